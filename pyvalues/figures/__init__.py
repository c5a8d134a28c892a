"""The paper's figures, drawn from the result tables of :func:`pyvalues.analysis.run`.

Every figure reads result tables only; no statistic is computed here (means, tests,
correlations, the tree and its AU/BP all come from R through the results). A figure whose
tables are absent because the data has another shape (one country, one replicate, fewer
than three models) is drawn as a placeholder that gives the reason recorded in
``results.skipped``.

    from pyvalues.figures import draw_all
    paths = draw_all(results, "out/figures")            # English labels, PNG
    draw_all(results, "out/figures", formats="png,pdf", workers=2)   # and PDF, in two processes
    draw_all(results, "out/figures", language="zh")     # Chinese labels (Noto Sans CJK)

Figures (file stem, paper figure): see :data:`FIGURES`.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..results import provenance_of, tables_of as _tables, term_test_p
from ..errors import PyvaluesError
from ..instrument import DIMENSIONS, TERM_NAMES
from . import style
from .style import (
    COLUMN_WIDTH_IN,
    DIMENSION_COLOURS,
    TEXT_WIDTH_IN,
    country_styles,
    IMPORTANCE_CMAP,
    SIMILARITY_CMAP,
    dimension_label,
    finish,
    importance_colorbar,
    importance_norm,
    label,
    term_label,
)
from .tree import draw_tree, tree_from_tables

import matplotlib.pyplot as plt  # noqa: E402  (after style selected the Agg backend)
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402
from matplotlib.transforms import ScaledTranslation  # noqa: E402
from matplotlib.layout_engine import PlaceHolderLayoutEngine  # noqa: E402

__all__ = ["FIGURES", "FigureSpec", "draw_all", "draw", "table_of", "skip_reason", "provenance_of"]


class _Absent(Exception):
    """A figure's input tables are not in the results; carries the reason."""


# -- access to the results -----------------------------------------------------------------





def skip_reason(results, name: str) -> str | None:
    """The reason `results.skipped` gives for analysis `name`, if any."""
    skipped = getattr(results, "skipped", None)
    if skipped is None:
        skipped = _tables(results).get("skipped")
    if skipped is None or len(skipped) == 0:
        return None
    for row in skipped.itertuples(index=False):
        names = [s.strip() for s in str(row.analysis).split(",")]
        if name in names:
            return str(row.reason)
    return None


def table_of(results, name: str) -> pd.DataFrame:
    t = _tables(results).get(name)
    if t is None or not isinstance(t, pd.DataFrame) or len(t) == 0:
        reason = skip_reason(results, name) or f"the results have no {name!r} table"
        raise _Absent(f"{name}: {reason}")
    return t


def _model_order(results) -> list[str]:
    """Models in the order of the data (R's unique(model)), from model_term_means."""
    return list(pd.unique(table_of(results, "model_term_means")["model"]))


def _model_countries(results) -> dict[str, str]:
    mtm = table_of(results, "model_term_means")
    return dict(zip(mtm["model"], mtm["country"]))


def _dimension_order(results) -> list[str]:
    """Dimensions from most to least important (dimension_means.order), else as defined."""
    try:
        dm = table_of(results, "dimension_means")
        dm = dm.assign(_pos=dm["dimension"].map({d: i for i, d in enumerate(DIMENSIONS)}))
        return list(dm.sort_values(["order", "_pos"])["dimension"])
    except _Absent:
        return list(DIMENSIONS)


def _n_models(results) -> int:
    return len(_model_order(results))


def _dimension_legend(ax, language, dims=DIMENSIONS, **kw):
    handles = [Patch(facecolor=DIMENSION_COLOURS[d], label=dimension_label(d, language)) for d in dims]
    return ax.legend(handles=handles, title=label("dimension", language), frameon=False, **kw)


def _rank_axis_note(ax, language, axis="x", invert=False):
    """State 'lower rank = more important' on a rank axis, with an arrow."""
    note = f"← {label('more_important', language)}   ({label('rank_note', language)})"
    if axis == "x":
        ax.annotate(note, xy=(0, -0.1), xycoords="axes fraction", ha="left", va="top", fontsize=7,
                    color="#333333", annotation_clip=False)


def _luminance(rgba) -> float:
    r, g, b = rgba[:3]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


# -- the figures ---------------------------------------------------------------------------

def fig1_term_means(results, language="en"):
    tm = table_of(results, "term_means").sort_values(["mean_rank", "term"])
    n = int(tm["n_models"].max())
    fig, ax = plt.subplots(figsize=(TEXT_WIDTH_IN, 4.9))
    y = np.arange(len(tm))[::-1]
    colours = [DIMENSION_COLOURS[d] for d in tm["dimension"]]
    sd = tm["sd"].fillna(0).to_numpy() if "sd" in tm else None
    ax.barh(y, tm["mean_rank"], color=colours, height=0.72, xerr=sd,
            error_kw=dict(ecolor="#555555", elinewidth=0.6, capsize=1.5))
    # the values in a column right of the plot, where no whisker reaches
    beside = ax.get_yaxis_transform() + ScaledTranslation(4 / 72, 0, fig.dpi_scale_trans)
    for yi, v in zip(y, tm["mean_rank"]):
        ax.text(1.0, yi, f"{v:.2f}", va="center", ha="left", fontsize=6.5, color="#222222", transform=beside)
    ax.text(1.0, len(tm) - 0.45, label("mean", language), va="bottom", ha="left", fontsize=6.5,
            color="#222222", fontstyle="italic", transform=beside)
    ax.set_yticks(y, [term_label(t, language) for t in tm["term"]])
    ax.set_ylim(-0.7, len(tm) - 0.3)
    ax.set_xlim(0, 25.5)
    ax.set_xticks([1, 5, 10, 15, 20, 25])
    ax.set_xlabel(f"{label('mean_rank', language)} — {label('rank_note', language)}")
    _dimension_legend(ax, language, loc="upper right")
    finish(fig, label("fig1", language, n=n), provenance_of(results),
           note=label("error_bars", language), language=language)
    return fig


def fig2_dimension_priorities(results, language="en"):
    ds = table_of(results, "model_dimension_scores")
    dm = table_of(results, "dimension_means").set_index("dimension")
    dims = _dimension_order(results)
    countries = _model_countries(results)
    models = sorted(_model_order(results), key=lambda m: (countries[m], _model_order(results).index(m)))
    mat = ds.pivot(index="model", columns="dimension", values="score").loc[models, dims]
    mean_row = dm.loc[dims, "mean_score"].to_numpy()
    n = len(models)
    fig_h = min(8.5, 1.5 + 0.19 * (n + 2))
    fig, ax = plt.subplots(figsize=(TEXT_WIDTH_IN * 0.8, fig_h))
    data = np.vstack([mat.to_numpy(), np.full(len(dims), np.nan), mean_row])
    cmap = plt.get_cmap(IMPORTANCE_CMAP).with_extremes(bad="white")
    norm = importance_norm()
    im = ax.imshow(np.ma.masked_invalid(data), cmap=cmap, norm=norm, aspect="auto")
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            v = data[i, j]
            if np.isnan(v):
                continue
            col = "black" if _luminance(cmap(norm(v))) > 0.5 else "white"
            ax.text(j, i, f"{v:.1f}", ha="center", va="center", fontsize=6.5, color=col,
                    fontweight="bold" if i == data.shape[0] - 1 else "normal")
    ylabels = list(models) + ["", label("all_models", language)]
    ax.set_yticks(range(len(ylabels)), ylabels)
    ax.set_xticks(range(len(dims)), [dimension_label(d, language) for d in dims])
    ax.xaxis.tick_top()
    for tick, d in zip(ax.get_xticklabels(), dims):
        tick.set_bbox(dict(facecolor=DIMENSION_COLOURS[d], edgecolor="none", alpha=0.35, pad=1.5))
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    handles = _country_strip(ax, [countries[m] for m in models], side="left", offset=n)
    ax.legend(handles=handles, frameon=False, loc="upper right", bbox_to_anchor=(1.0, 0.0), ncol=len(handles),
              handletextpad=0.2, columnspacing=1.0, borderaxespad=0.3)
    importance_colorbar(fig, im, language, label("dimension_score", language), ax=ax, fraction=0.05, pad=0.02)
    finish(fig, label("fig2", language, n=n), provenance_of(results), note=label("note_fig2", language),
           language=language)
    return fig


def _country_strip(ax, countries, side="left", offset=None):
    """Mark each row's country with a marker between the heat map and the row labels."""
    styles = country_styles(countries)
    ax.tick_params(axis="y", pad=11)
    shift = ScaledTranslation(-5.5 / 72, 0, ax.figure.dpi_scale_trans)
    trans = ax.get_yaxis_transform() + shift
    for i, c in enumerate(countries):
        colour, marker = styles[c]
        ax.plot([0], [i], marker=marker, color=colour, markersize=4, transform=trans, clip_on=False,
                markeredgecolor="black", markeredgewidth=0.3)
    handles = [Line2D([], [], marker=m, color=c, linestyle="", markersize=4, markeredgecolor="black",
                      markeredgewidth=0.3, label=k) for k, (c, m) in styles.items()]
    return handles


def fig3_primary_secondary(results, language="en"):
    counts = table_of(results, "primary_secondary_counts").set_index("dimension")
    dims = _dimension_order(results)
    n = _n_models(results)
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH_IN * 1.25, 2.9))
    x = np.arange(len(dims))
    w = 0.38
    for off, col, hatch, alpha in ((-w / 2, "primary", None, 1.0), (w / 2, "secondary", "////", 0.45)):
        vals = counts.loc[dims, col].to_numpy()
        bars = ax.bar(x + off, vals, width=w, color=[DIMENSION_COLOURS[d] for d in dims], alpha=alpha,
                      hatch=hatch, edgecolor=[DIMENSION_COLOURS[d] for d in dims], linewidth=0.8)
        for b, v in zip(bars, vals):
            ax.text(b.get_x() + b.get_width() / 2, v + 0.15, f"{int(v)}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(x, [dimension_label(d, language) for d in dims])
    ax.set_ylabel(label("n_models", language))
    top = int(max(counts["primary"].max(), counts["secondary"].max()))
    ax.set_ylim(0, top * 1.5 + 1)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(handles=[Patch(facecolor="#777777", label=label("primary", language)),
                       Patch(facecolor="#777777", alpha=0.45, hatch="////", edgecolor="#777777",
                             label=label("secondary", language))], frameon=False, loc="upper right")
    note = label("note_fig3", language)
    try:
        ps = table_of(results, "primary_secondary")
        n_tie = int(ps["tie"].astype(str).str.upper().isin(["TRUE", "1"]).sum()) if "tie" in ps else 0
        if n_tie:
            note += " " + label("ties", language, n=n_tie)
    except _Absent:
        pass
    finish(fig, label("fig3", language, n=n), provenance_of(results), note=note, language=language)
    return fig


def fig4_top_bottom(results, language="en"):
    tb = table_of(results, "group_top_bottom")
    groups = list(pd.unique(tb["group"]))
    panels = [(g, end) for end in ("top", "bottom") for g in groups]
    fig, axes = plt.subplots(len(panels), 1, figsize=(TEXT_WIDTH_IN, 1.0 + 1.1 * len(panels)), sharex=True,
                             squeeze=False)
    for ax, (g, end) in zip(axes[:, 0], panels):
        sel = tb[(tb["group"] == g) & (tb["end"] == end)].sort_values("mean_rank")
        others = [set(tb[(tb["group"] == h) & (tb["end"] == end)]["term"]) for h in groups if h != g]
        y = np.arange(len(sel))[::-1]
        ax.barh(y, sel["mean_rank"], color=[DIMENSION_COLOURS[d] for d in sel["dimension"]], height=0.72)
        for yi, v in zip(y, sel["mean_rank"]):
            ax.text(v + 0.25, yi, f"{v:.2f}", va="center", fontsize=6.5)
        ax.set_yticks(y, [term_label(t, language) for t in sel["term"]])
        for tick, t in zip(ax.get_yticklabels(), sel["term"]):
            if others and not all(t in o for o in others):
                tick.set_fontstyle("italic")
                tick.set_fontweight("bold")
        ax.set_xlim(0, 26.5)
        ax.set_xticks([1, 5, 10, 15, 20, 25])
        ax.set_ylim(-0.6, len(sel) - 0.4)
        ax.set_title(f"{g}: {label('top5' if end == 'top' else 'bottom5', language)}", loc="right",
                     fontsize=7.5, fontweight="bold", pad=2)
    axes[-1, 0].set_xlabel(f"{label('mean_rank', language)} — {label('rank_note', language)}")
    handles = [Patch(facecolor=DIMENSION_COLOURS[d], label=dimension_label(d, language)) for d in DIMENSIONS]
    # above the first panel's title, not beside it
    axes[0, 0].legend(handles=handles, loc="lower left", ncol=5, frameon=False, bbox_to_anchor=(0.0, 1.16),
                      handlelength=1.2, columnspacing=1.0)
    if len(groups) > 1:
        note = label("note_fig4", language)
    else:
        note = label("note_fig4_one", language, g=groups[0])
    finish(fig, label("fig4", language), provenance_of(results), note=note, language=language)
    return fig


def _similarity_order(results) -> tuple[list[str], list[int] | None]:
    try:
        cl = table_of(results, "clusters").sort_values("order")
        return list(cl["model"]), list(cl["cluster"])
    except _Absent:
        return _model_order(results), None


def fig5_similarity(results, language="en"):
    pairs = table_of(results, "correlation_pairs")
    models, clusters = _similarity_order(results)
    countries = _model_countries(results)
    idx = {m: i for i, m in enumerate(models)}
    n = len(models)
    mat = np.eye(n)
    for r in pairs.itertuples():
        i, j = idx[r.model1], idx[r.model2]
        mat[i, j] = mat[j, i] = r.spearman
    fig, ax = plt.subplots(figsize=(TEXT_WIDTH_IN, min(TEXT_WIDTH_IN, 2.8 + 0.16 * n)))
    im = ax.imshow(mat, cmap=SIMILARITY_CMAP, vmin=-1, vmax=1)
    ax.set_xticks(range(n), models, rotation=60, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(n), models)
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    handles = _country_strip(ax, [countries[m] for m in models], side="left")
    styles = country_styles(countries.values())
    for i, m in enumerate(models):  # country marker under each column too
        colour, marker = styles[countries[m]]
        ax.plot([i], [-0.9], marker=marker, color=colour, markersize=4, clip_on=False,
                markeredgecolor="black", markeredgewidth=0.3)
    ax.set_ylim(n - 0.5, -1.3)
    if clusters is not None:
        start = 0
        for k in range(1, n + 1):
            if k == n or clusters[k] != clusters[start]:
                ax.add_patch(Rectangle((start - 0.5, start - 0.5), k - start, k - start, fill=False,
                                       edgecolor="black", linewidth=1.2))
                ax.text(start - 0.35, k - 0.65, f"{clusters[start]}", fontsize=6.5, fontweight="bold",
                        ha="left", va="bottom", color="black",
                        bbox=dict(facecolor="white", edgecolor="none", pad=0.6, alpha=0.85))
                start = k
    cb = fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
    cb.set_label(label("spearman", language), fontsize=7, linespacing=1.6)
    ax.legend(handles=handles, frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0),
              ncol=len(handles), handletextpad=0.2, columnspacing=1.0, borderaxespad=0.1)
    note = label("note_fig5_tree" if clusters is not None else "note_fig5_data", language) + " "
    try:
        cor = table_of(results, "correlations")
        sp = cor[cor["method"] == "spearman"]
        parts = []
        for r in sp.itertuples():
            if pd.notna(r.mean):
                ci = f" [{r.ci_low:.2f}, {r.ci_high:.2f}]" if pd.notna(r.ci_low) else ""
                parts.append(f"{r.group} {r.mean:.2f}{ci}")
        if parts:
            note += label("note_fig5_rho", language, parts="; ".join(parts))
    except _Absent:
        pass
    finish(fig, label("fig5", language), provenance_of(results), note=note, language=language)
    return fig


def _tree(results):
    edges = table_of(results, "cluster_edges")
    clusters = table_of(results, "clusters")
    return tree_from_tables(edges, clusters, _model_order(results)), clusters


def _cluster_bands(ax, tree, clusters, orientation, language, extent):
    cl = clusters.set_index("model")["cluster"]
    seq = [cl[m] for m in tree.leaves]
    start = 0
    shade = False
    for k in range(1, len(seq) + 1):
        if k == len(seq) or seq[k] != seq[start]:
            if shade:
                if orientation == "top":
                    ax.axvspan(start - 0.5, k - 0.5, color="#EEEEEE", zorder=0, lw=0)
                else:
                    ax.axhspan(start - 0.5, k - 0.5, color="#EEEEEE", zorder=0, lw=0)
            mid = (start + k - 1) / 2
            txt = f"{label('cluster', language)} {seq[start]}" if k - start >= 3 else f"{seq[start]}"
            if orientation == "top":
                ax.text(mid, extent, txt, ha="center", va="bottom", fontsize=7, fontweight="bold")
            shade = not shade
            start = k


def fig6_dendrogram(results, language="en"):
    tree, clusters = _tree(results)
    countries = _model_countries(results)
    styles = country_styles(countries.values())
    n = len(tree.leaves)
    hmax = float(tree.nodes["height"].max())
    fig, ax = plt.subplots(figsize=(TEXT_WIDTH_IN, 4.4))
    _cluster_bands(ax, tree, clusters, "top", language, hmax * 1.1)
    draw_tree(ax, tree, "top")
    for r in tree.nodes.itertuples():
        au = f"{100 * r.au:.0f}" if pd.notna(r.au) else "–"
        bp = f"{100 * r.bp:.0f}" if pd.notna(r.bp) else "–"
        ax.text(r.x - 0.08, r.height + hmax * 0.012, au, ha="right", va="bottom", fontsize=6,
                color="black", fontweight="bold" if pd.notna(r.au) and r.au >= 0.95 else "normal")
        ax.text(r.x + 0.08, r.height + hmax * 0.012, bp, ha="left", va="bottom", fontsize=6, color="#777777")
    ax.set_xticks(range(n), tree.leaves, rotation=60, ha="right", rotation_mode="anchor")
    for i, m in enumerate(tree.leaves):
        colour, marker = styles[countries[m]]
        ax.plot([i], [-hmax * 0.03], marker=marker, color=colour, markersize=4, clip_on=False,
                markeredgecolor="black", markeredgewidth=0.3)
    ax.set_ylim(-hmax * 0.05, hmax * 1.17)
    ax.set_xlim(-0.7, n - 0.3)
    ax.tick_params(axis="x", length=0)
    ax.spines["bottom"].set_visible(False)
    ax.set_ylabel(label("height", language))
    handles = [Line2D([], [], marker=m, color=c, linestyle="", markersize=4, markeredgecolor="black",
                      markeredgewidth=0.3, label=k) for k, (c, m) in styles.items()]
    handles += [Line2D([], [], linestyle="", label=label("legend_fig6", language))]
    ax.legend(handles=handles, frameon=False, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=len(handles),
              fontsize=7, handletextpad=0.2, columnspacing=1.2, borderaxespad=0.1)
    note = label("note_fig6", language, k=clusters["cluster"].nunique())
    finish(fig, label("fig6", language), provenance_of(results), note=note, language=language)
    return fig


def fig7_clustered_heatmap(results, language="en"):
    tree, clusters = _tree(results)
    mtm = table_of(results, "model_term_means")
    countries = _model_countries(results)
    try:
        # least important on the left, as the paper reads Fig. 7 ("a broad blue block on the left")
        terms = list(table_of(results, "term_means").sort_values(["mean_rank", "term"])["term"])[::-1]
    except _Absent:
        terms = list(TERM_NAMES)
    models = tree.leaves
    mat = mtm.pivot(index="model", columns="term", values="mean_rank").loc[models, terms].to_numpy()
    n = len(models)
    # explicit layout in inches: tree | heat map | model labels | colour bar
    row_h, col_w = 0.17, 0.15
    tree_w, gap, labels_w, cb_w, cb_lab = 0.75, 0.04, 1.25, 0.12, 0.85
    heat_w, heat_h = col_w * len(terms), row_h * n
    left = 0.15
    bottom_terms = 1.6 if language == "en" else 0.8  # room for the rotated term labels
    footer, strip_h, top = 0.55, 0.12, 0.65
    W = max(TEXT_WIDTH_IN, left + tree_w + gap + heat_w + labels_w + cb_w + cb_lab)
    H = footer + bottom_terms + heat_h + 0.04 + strip_h + top
    fig = plt.figure(figsize=(W, H))
    y0 = footer + bottom_terms
    hx = left + tree_w + gap
    ax_tree = fig.add_axes([left / W, y0 / H, tree_w / W, heat_h / H])
    ax = fig.add_axes([hx / W, y0 / H, heat_w / W, heat_h / H])
    ax_dim = fig.add_axes([hx / W, (y0 + heat_h + 0.04) / H, heat_w / W, strip_h / H])
    ax_cb = fig.add_axes([(hx + heat_w + labels_w) / W, y0 / H, cb_w / W, heat_h / H])
    draw_tree(ax_tree, tree, "left")
    ax_tree.set_ylim(n - 0.5, -0.5)
    ax_tree.set_xlim(float(tree.nodes["height"].max()) * 1.02, 0)
    ax_tree.axis("off")
    im = ax.imshow(mat, cmap=IMPORTANCE_CMAP, norm=importance_norm(), aspect="auto")
    ax.set_yticks(range(n), models)
    ax.yaxis.tick_right()
    ax.tick_params(axis="y", pad=9)
    ax.set_xticks(range(len(terms)), [term_label(t, language) for t in terms], rotation=60, ha="right",
                  rotation_mode="anchor", fontsize=6.5)
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    cl = clusters.set_index("model")["cluster"]
    for i in range(1, n):
        if cl[models[i]] != cl[models[i - 1]]:
            ax.axhline(i - 0.5, color="black", lw=1.0)
    styles = country_styles(countries.values())
    shift = ScaledTranslation(4.5 / 72, 0, fig.dpi_scale_trans)
    for i, m in enumerate(models):
        colour, marker = styles[countries[m]]
        ax.plot([1], [i], marker=marker, color=colour, markersize=3.5, clip_on=False,
                transform=ax.get_yaxis_transform() + shift, markeredgecolor="black", markeredgewidth=0.3)
    dims = [mtm.loc[mtm["term"] == t, "dimension"].iloc[0] for t in terms]
    ax_dim.imshow(np.array([[list(DIMENSIONS).index(d) for d in dims]]), aspect="auto",
                  cmap=_dimension_cmap(), vmin=-0.5, vmax=len(DIMENSIONS) - 0.5)
    ax_dim.axis("off")
    importance_colorbar(fig, im, language, label("mean_rank", language), cax=ax_cb)
    handles = [Patch(facecolor=DIMENSION_COLOURS[d], label=dimension_label(d, language)) for d in DIMENSIONS]
    handles += [Line2D([], [], marker=m, color=c, linestyle="", markersize=4, markeredgecolor="black",
                       markeredgewidth=0.3, label=k) for k, (c, m) in styles.items()]
    fig.legend(handles=handles, loc="lower left", ncol=len(handles), frameon=False, fontsize=6.5,
               bbox_to_anchor=(hx / W - 0.01, (y0 + heat_h + strip_h + 0.06) / H), handlelength=1,
               columnspacing=0.8, handletextpad=0.3)
    note = label("note_fig7", language)
    finish(fig, label("fig7", language), provenance_of(results), note=note, language=language, tight=False)
    return fig


def _dimension_cmap():
    from matplotlib.colors import ListedColormap
    return ListedColormap([DIMENSION_COLOURS[d] for d in DIMENSIONS])


def figA1_concordance(results, language="en"):
    cc = table_of(results, "concordance").copy()
    cc = cc[pd.notna(cc["W"])]
    if cc.empty:
        raise _Absent("concordance: no model has two or more rankings")
    groups = sorted(cc["country"].unique())
    styles = country_styles(_model_countries(results).values())
    rows = []
    for g in groups:
        rows += list(cc[cc["country"] == g].sort_values(["W", "model"], ascending=[False, True]).itertuples())
    n = len(rows)
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH_IN * 1.35, 1.3 + 0.17 * (n + len(groups))))

    def marker(r):
        sig = pd.notna(r.p) and r.p < 0.05
        colour = styles[r.country][0]
        return dict(zorder=2, markerfacecolor=colour if sig else "white",
                    markeredgecolor="black" if sig else colour, markeredgewidth=0.5 if sig else 1.2)

    y, yticks, ylabels, _ = dot_rows(ax, rows, "W", 0, styles, marker)
    ax.set_yticks(yticks, ylabels)
    ax.set_ylim(y - 0.4, -1.2)
    ax.set_xlim(0, 1.03)
    ax.spines["bottom"].set_bounds(0, 1)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_xlabel(label("kendall_w", language))
    ax.legend(handles=[Line2D([], [], marker="o", color="#555555", linestyle="", label=label("p_sig", language)),
                       Line2D([], [], marker="o", color="#555555", markerfacecolor="white", linestyle="",
                              label=label("p_ns", language))],
              frameon=False, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, fontsize=6.5,
              handletextpad=0.2, borderaxespad=0.1)
    m = int(cc["n_replicates"].max())
    note = label("note_figA1", language, m=m)
    finish(fig, label("figA1", language), provenance_of(results), note=note, language=language)
    return fig


def dot_rows(ax, rows, column, start, styles, marker):
    """The rows of a dot plot by country (Fig. A-1, Fig. L-2): for each row, in order, a grey line
    from `start` to its value, its marker (`marker(row)` gives its other keywords: faces, edges, zorder), its value
    printed 8 pt right of x = 1 (the largest possible value: no marker reaches it), and the
    country's name above its first row; a blank row between countries. Returns (next y, y ticks,
    y labels, {country: [first y, last y]})."""
    y, prev, yticks, ylabels, spans = 0, None, [], [], {}
    for r in rows:
        if prev is not None and r.country != prev:
            y += 1
        colour, shape = styles[r.country]
        value = getattr(r, column)
        ax.plot([start, value], [y, y], color="#BBBBBB", lw=0.6, zorder=1)
        ax.plot([value], [y], marker=shape, markersize=5, color=colour, **marker(r))
        ax.annotate(f"{value:.3f}", xy=(1.0, y), xytext=(8, 0), textcoords="offset points", va="center",
                    ha="left", fontsize=6.5, annotation_clip=False)
        spans.setdefault(r.country, [y, y])[1] = y
        yticks.append(y)
        ylabels.append(r.model)
        if prev != r.country:
            ax.text(-0.02, y - 0.9, r.country, fontsize=7.5, fontweight="bold", ha="right",
                    transform=ax.get_yaxis_transform())
        prev = r.country
        y += 1
    return y, yticks, ylabels, spans


def _group_names(results) -> tuple[str, str]:
    try:
        dt = table_of(results, "dimension_tests")
        if {"group1", "group2"} <= set(dt.columns):
            return str(dt["group1"].iloc[0]), str(dt["group2"].iloc[0])
    except _Absent:
        pass
    return "group 1", "group 2"


def figA2_cliffs_delta(results, language="en"):
    tt = table_of(results, "term_tests").set_index("term")
    a, b = _group_names(results)
    terms = [t for t in TERM_NAMES if t in tt.index]  # grouped by dimension, as in the instrument
    fig, ax = plt.subplots(figsize=(TEXT_WIDTH_IN, 4.9))
    y = np.arange(len(terms))[::-1]
    d = tt.loc[terms, "cliffs_delta"].to_numpy()
    dims = tt.loc[terms, "dimension"]
    ax.barh(y, d, color=[DIMENSION_COLOURS[x] for x in dims], height=0.7)
    ax.axvline(0, color="black", lw=0.6)
    # significance from a valid p: the permutation p for small groups (term_test_p says which)
    p_col, q_col, why = term_test_p(tt.reset_index())
    q = tt.loc[terms, q_col].to_numpy()
    p = tt.loc[terms, p_col].to_numpy()
    for yi, di, qi, pi in zip(y, d, q, p):
        end = di + (0.03 if di >= 0 else -0.03)
        ha = "left" if di >= 0 else "right"
        mark = ""
        if pd.notna(qi) and qi < 0.05:
            mark = "★"
        elif pd.notna(pi) and pi < 0.05:
            mark = "†"
        ax.text(end, yi, f"{di:+.2f}".replace("-", "−") + (f" {mark}" if mark else ""), va="center", ha=ha, fontsize=6.5)
    ax.set_yticks(y, [term_label(t, language) for t in terms])
    ax.set_xlim(-1.15, 1.15)
    ax.set_xlabel(label("cliffs", language, a=a, b=b))
    # delta > 0: the first group ranks the term as more important (one direction for all effects)
    ax.annotate(f"← {label('more_important', language)}: {b}", xy=(0.02, 1.0), xycoords="axes fraction",
                ha="left", va="bottom", fontsize=7, fontweight="bold")
    ax.annotate(f"{label('more_important', language)}: {a} →", xy=(0.98, 1.0), xycoords="axes fraction",
                ha="right", va="bottom", fontsize=7, fontweight="bold")
    n_sig = int(np.sum(pd.notna(q) & (q < 0.05)))
    _dimension_legend(ax, language, loc="lower left", bbox_to_anchor=(1.0, 0.0))
    why_text = why if language == "en" else (
        "学生化置换检验 p（推荐：组内模型少于 10 个，或渐近 p 无定义）" if p_col == "p_perm" else "渐近 Brunner–Munzel p")
    note = label("note_figA2", language, n=n_sig, s="s" if n_sig != 1 else "", q_col=q_col, p_col=p_col, why=why_text)
    finish(fig, label("figA2", language), provenance_of(results), note=note, language=language)
    return fig


@dataclass(frozen=True)
class FigureSpec:
    stem: str
    number: str  # as in the paper
    caption: str  # one line, for the report
    draw: Callable


FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec("fig1_term_means", "1", "Mean rank of the 25 value terms, coloured by dimension", fig1_term_means),
    FigureSpec("fig2_dimension_priorities", "2", "Model × dimension priorities (dimension scores)",
               fig2_dimension_priorities),
    FigureSpec("fig3_primary_secondary", "3", "Primary vs. Secondary dimension counts", fig3_primary_secondary),
    FigureSpec("fig4_top_bottom", "4", "Top-5 and Bottom-5 terms by group", fig4_top_bottom),
    FigureSpec("fig5_similarity", "5", "Pairwise similarity (Spearman ρ), ordered by cluster, marked by country",
               fig5_similarity),
    FigureSpec("fig6_dendrogram", "6", "pvclust dendrogram with AU/BP values", fig6_dendrogram),
    FigureSpec("fig7_clustered_heatmap", "7", "Clustered heat map of models × terms", fig7_clustered_heatmap),
    FigureSpec("figA1_concordance", "A-1", "Kendall's W by group", figA1_concordance),
    FigureSpec("figA2_cliffs_delta", "A-2", "Cliff's δ per term, FDR-significant terms marked", figA2_cliffs_delta),
)

from .language import LANGUAGE_FIGURES, language_figures  # noqa: E402  (drawn for two prompt languages)


def draw(spec: FigureSpec, results, language: str = "en"):
    """Draw one figure; a placeholder figure (and the reason) when its tables are absent.

    Returns ``(figure, reason)``; reason is None when the figure was drawn."""
    with plt.rc_context(style.rc(language)):
        try:
            fig, reason = spec.draw(results, language), None
        except _Absent as why:
            reason = str(why)
            title = f"Fig. {spec.number}. {spec.caption}"
            fig = style.placeholder(title, reason, provenance_of(results), language)
        family = plt.rcParams["font.sans-serif"]
    # fix the font family on every text now: a generic 'sans-serif' would be resolved at
    # save time, outside this rc context, and lose the CJK font
    from matplotlib.text import Text

    for t in fig.findobj(Text):
        t.set_fontfamily(list(family))
    return fig, reason


def _figure_specs(results) -> tuple[FigureSpec, ...]:
    """The figures drawn for these results: the paper's, and the language figures when the
    results have the language tables (pyvalues.figures.language)."""
    return tuple(FIGURES) + tuple(language_figures(results))


def _render_one(spec: FigureSpec, results, out: Path, language: str, formats) -> tuple[list[Path], str | None]:
    """Draw one figure and save it as each of `formats`; (paths, reason it is a placeholder)."""
    fig, reason = draw(spec, results, language)
    suffix = "" if language == "en" else f"_{language}"
    paths = []
    if isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine):
        # what fig.tight_layout() leaves behind: an engine that lays out nothing, but whose
        # presence makes savefig draw the whole figure once more (without rendering) before
        # drawing it; the layout is done, so that draw is dropped (pixels identical)
        fig.set_layout_engine(None)
    try:
        with plt.rc_context(style.rc(language)):
            for fmt in formats:
                p = out / f"{spec.stem}{suffix}.{fmt}"
                # zlib level 3: lossless like the default 6, a third less encoding time, no larger
                extra = {"pil_kwargs": {"compress_level": 3}} if fmt == "png" else {}
                fig.savefig(p, metadata=_metadata(fmt, spec, results), **extra)
                paths.append(p)
    finally:
        plt.close(fig)
    note = out / f"{spec.stem}{suffix}.absent.txt"
    if reason:
        note.write_text(reason + "\n", encoding="utf-8")
    elif note.exists():
        note.unlink()
    return paths, reason


def draw_all(results, out_dir, language: str = "en", formats=("png",), *, workers=1,
             progress=None) -> list[Path]:
    """Draw every figure of :data:`FIGURES` into `out_dir` (created) as each of `formats`.

    File names are ``<stem>.<fmt>`` (``<stem>_zh.<fmt>`` for Chinese labels); `formats` is
    any of ``png`` (default), ``pdf`` and ``svg``, as a tuple or ``"png,pdf"``. A figure whose
    tables are absent is saved as a placeholder stating why, and the reason is also written
    to ``<stem>.absent.txt``; ``figures.json`` lists every figure's number, caption, files and
    reason. `workers` > 1 (or a started :class:`pyvalues.figure_workers.FigureWorkers`) draws
    in that many processes (the calling script needs an ``if __name__ == "__main__":``
    guard); `progress` (a :class:`pyvalues.figure_workers.Progress`) is told of each figure.
    Returns the paths written, in figure order, the formats in the order given."""
    from ..figure_workers import FigureWorkers, check_formats, render, write_index

    formats = check_formats(formats)
    style.rc(language)  # an unknown language or a missing CJK font stops here, before any drawing
    specs = _figure_specs(results)
    if isinstance(workers, FigureWorkers) or int(workers) > 1:
        return render(results, out_dir, language=language, formats=formats, workers=workers,
                      progress=progress, stems=[s.stem for s in specs])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    entries = []
    for spec in specs:
        t = time.perf_counter()
        written, reason = _render_one(spec, results, out, language, formats)
        paths += written
        entries.append({"stem": spec.stem, "number": spec.number, "caption": spec.caption,
                        "files": written, "absent": reason})
        if progress is not None:
            progress.step(spec.stem, time.perf_counter() - t)
    write_index(out, entries, language)
    return paths


def _metadata(fmt, spec, results):
    if fmt == "png":
        return {"Title": f"Fig. {spec.number}: {spec.caption}", "Description": provenance_of(results)}
    if fmt in ("pdf", "svg"):
        return {"Title": f"Fig. {spec.number}: {spec.caption}"}
    return None
