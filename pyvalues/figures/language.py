"""Figures of the prompt-language analysis (issue 12), in the house style of the paper's figures.

* ``figL1_language_shift``: a dumbbell chart of each term's mean rank over models in the two
  prompt languages (from ``language_term_tests``), terms ordered by the shift (first − second
  language), terms with BH q < .05 marked ★ (p < .05 uncorrected: †).
* ``figL2_language_rho``: each model's Spearman ρ between its term means in the two languages
  (``language_consistency``), grouped by country, with each country's mean and its bootstrap CI
  over models (``language_consistency_summary``).

Like every figure they read result tables only, carry the provenance footer, state that a lower
rank is more important, and take Chinese labels with ``language="zh"``. They are drawn only when
the results have the language tables (a table with two prompt languages); otherwise
:func:`language_figures` returns none and the report states why (``results.skipped``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..results import provenance_of, tables_of
from ..instrument import DIMENSIONS
from . import FigureSpec, _Absent, _dimension_legend, dot_rows, table_of
from .style import COLUMN_WIDTH_IN, DIMENSION_COLOURS, TEXT_WIDTH_IN, country_styles, finish, label, term_label

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

__all__ = ["LANGUAGE_FIGURES", "language_figures", "figL1_language_shift", "figL2_language_rho"]

_LABELS = {
    "en": {
        "figL1": "Fig. L-1. Prompt-language shift per term: mean rank over {n} models, {a} vs {b}",
        "figL2": "Fig. L-2. Cross-language similarity per model ({a} vs {b})",
        "prompt": "{code} prompt",
        "rho": "Spearman's ρ between the model's term means in {a} and in {b}",
        "group_mean": "country mean, 95% bootstrap CI over models",
        "noteL1": ("Terms ordered by the shift = mean rank in {a} − mean rank in {b} (top: more important in {a}). "
                   "★ BH q < .05 over the 25 terms ({k}); † p < .05 uncorrected only (exploratory). Paired Wilcoxon "
                   "signed-rank tests over the {n} models with rankings in both languages."),
        "noteL2": "ρ = 1: the same order of the 25 terms in both languages.",
        "excluded": "Excluded (rankings in one language only): {models}.",
    },
    "zh": {
        "figL1": "图 L-1. 各词语的提示语言差异：{n} 个模型的平均排名，{a} 与 {b}",
        "figL2": "图 L-2. 各模型的跨语言相似度（{a} 与 {b}）",
        "prompt": "{code} 提示",
        "rho": "模型在 {a} 与 {b} 中词语平均排名的 Spearman ρ",
        "group_mean": "国家均值，模型自助法 95% CI",
        "noteL1": ("词语按差异排序：{a} 平均排名 − {b} 平均排名（上方：在 {a} 中更重要）。★ 25 个词语 BH q < .05"
                   "（{k} 个）；† 仅未校正 p < .05（探索性）。对两种语言均有排序的 {n} 个模型做配对 Wilcoxon 符号秩检验。"),
        "noteL2": "ρ = 1：两种语言中 25 个词语的顺序相同。",
        "excluded": "未纳入（仅有一种语言的排序）：{models}。",
    },
}

_LANGUAGE_NAMES = {"zh": {"zh": "中文", "en": "英文"}, "en": {"zh": "Chinese", "en": "English"}}


def _l(key: str, language: str, **fmt) -> str:
    return _LABELS[language][key].format(**fmt)


def _code_name(code: str, language: str) -> str:
    name = _LANGUAGE_NAMES[language].get(code)
    return f"{name} ({code})" if name else code


def _codes(tt: pd.DataFrame) -> tuple[str, str]:
    means = [c for c in tt.columns if str(c).startswith("mean_")]
    if len(means) < 2:
        raise _Absent("language_term_tests: no mean_<language> columns")
    return means[0][5:], means[1][5:]


def _excluded(results) -> list[str]:
    lc = tables_of(results).get("language_consistency")
    if not isinstance(lc, pd.DataFrame) or "spearman" not in lc:
        return []
    return list(lc.loc[pd.isna(lc["spearman"]), "model"])


def figL1_language_shift(results, language="en"):
    tt = table_of(results, "language_term_tests").copy()
    a, b = _codes(tt)
    tt["shift"] = tt[f"mean_{a}"] - tt[f"mean_{b}"]
    # most negative shift (more important in the first language) at the top
    tt = tt.sort_values(["shift", "term"], ascending=[True, True]).reset_index(drop=True)
    n = int(tt["n_models"].max())
    fig, ax = plt.subplots(figsize=(TEXT_WIDTH_IN, 5.2))
    y = np.arange(len(tt))[::-1]
    xa, xb = tt[f"mean_{a}"].to_numpy(), tt[f"mean_{b}"].to_numpy()
    for yi, u, v, dim in zip(y, xa, xb, tt["dimension"]):
        ax.plot([u, v], [yi, yi], color=DIMENSION_COLOURS[dim], lw=2.2, alpha=0.8, zorder=1, solid_capstyle="round")
    ax.scatter(xa, y, marker="o", s=22, color="black", zorder=3, label=_l("prompt", language, code=_code_name(a, language)))
    ax.scatter(xb, y, marker="s", s=20, facecolor="white", edgecolor="black", linewidth=0.9, zorder=3,
               label=_l("prompt", language, code=_code_name(b, language)))
    q, p = tt["q"].to_numpy(), tt["p"].to_numpy()
    for yi, u, v, s, qi, pi in zip(y, xa, xb, tt["shift"], q, p):
        mark = "★" if pd.notna(qi) and qi < 0.05 else ("†" if pd.notna(pi) and pi < 0.05 else "")
        ax.text(max(u, v) + 0.5, yi, f"{s:+.2f}".replace("-", "−") + (f" {mark}" if mark else ""),
                va="center", ha="left", fontsize=6.5)
    ax.set_yticks(y, [term_label(t, language) for t in tt["term"]])
    ax.set_ylim(-0.7, len(tt) - 0.3)
    ax.set_xlim(0.5, 28.5)
    ax.set_xticks([1, 5, 10, 15, 20, 25])
    ax.set_xlabel(f"{label('mean_rank', language)} — {label('rank_note', language)}")
    leg = ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, frameon=False, fontsize=7,
                    borderaxespad=0.2)
    ax.add_artist(leg)
    _dimension_legend(ax, language, loc="lower left", bbox_to_anchor=(1.0, 0.0), fontsize=6.5, title_fontsize=7)
    k = int(np.sum(pd.notna(q) & (q < 0.05)))
    note = _l("noteL1", language, a=a, b=b, k=k, n=n)
    excluded = _excluded(results)
    if excluded:
        note += " " + _l("excluded", language, models=", ".join(excluded))
    finish(fig, _l("figL1", language, n=n, a=a, b=b), provenance_of(results), note=note, language=language)
    return fig


def figL2_language_rho(results, language="en"):
    lc = table_of(results, "language_consistency").copy()
    lc = lc[pd.notna(lc["spearman"])]
    if lc.empty:
        raise _Absent("language_consistency: no model has rankings in both languages")
    w_cols = [c for c in lc.columns if str(c).startswith("W_")]
    a, b = (w_cols[0][2:], w_cols[1][2:]) if len(w_cols) >= 2 else ("1", "2")
    summary = tables_of(results).get("language_consistency_summary")
    groups = sorted(lc["country"].unique())
    styles = country_styles(groups)
    rows = []
    for g in groups:
        rows += list(lc[lc["country"] == g].sort_values(["spearman", "model"], ascending=[False, True]).itertuples())
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH_IN * 1.35, 1.4 + 0.17 * (len(rows) + len(groups))))
    # the axis starts at 0.5 (or lower when a model's rho is lower): rho near 1 stays readable
    lo = min(0.5, np.floor((float(lc["spearman"].min()) - 0.05) * 10) / 10)
    y, yticks, ylabels, spans = dot_rows(ax, rows, "spearman", lo, styles,
                                         lambda r: dict(markeredgecolor="black", markeredgewidth=0.5, linestyle="", zorder=3))
    if isinstance(summary, pd.DataFrame) and len(summary):
        sm = summary[summary["method"] == "spearman"].set_index("group")
        for g, (y0, y1) in spans.items():
            if g in sm.index and pd.notna(sm.loc[g, "mean"]):
                colour = styles[g][0]
                if pd.notna(sm.loc[g, "ci_low"]):
                    ax.fill_betweenx([y0 - 0.4, y1 + 0.4], sm.loc[g, "ci_low"], sm.loc[g, "ci_high"],
                                     color=colour, alpha=0.18, lw=0, zorder=0)
                ax.plot([sm.loc[g, "mean"]] * 2, [y0 - 0.4, y1 + 0.4], color=colour, lw=1.2, ls="--", zorder=2)
    ax.set_yticks(yticks, ylabels)
    ax.set_ylim(y - 0.4, -1.2)
    ax.set_xlim(lo, 1 + 0.03 * (1 - lo))  # as Fig. A-1: the values are printed right of rho = 1
    ax.spines["bottom"].set_bounds(lo, 1)
    ax.set_xlabel(_l("rho", language, a=a, b=b))
    ax.legend(handles=[Line2D([], [], color="#555555", ls="--", lw=1.2, label=_l("group_mean", language))],
              frameon=False, loc="lower left", bbox_to_anchor=(0.0, 1.0), fontsize=6.5)
    note = _l("noteL2", language)
    excluded = _excluded(results)
    if excluded:
        note += " " + _l("excluded", language, models=", ".join(excluded))
    finish(fig, _l("figL2", language, a=a, b=b), provenance_of(results), note=note, language=language)
    return fig


LANGUAGE_FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec("figL1_language_shift", "L-1", "Prompt-language shift per term (dumbbell, ordered by the shift)",
               figL1_language_shift),
    FigureSpec("figL2_language_rho", "L-2", "Each model's cross-language Spearman ρ, by country", figL2_language_rho),
)


def language_figures(results) -> tuple[FigureSpec, ...]:
    """The language figures when the results have the language tables (two prompt
    languages), else none: a one-language table gets no placeholder, the report says why."""
    return LANGUAGE_FIGURES if "language_term_tests" in tables_of(results) else ()
