"""The figures' one visual language: palette, fonts, labels, provenance footer.

* Colours: the Okabe & Ito (2008) colour-blind-safe palette. Each dimension has one fixed
  colour in every figure; countries use the remaining Okabe-Ito colours (never a
  dimension's), and are also told apart by marker shape, so nothing depends on hue alone.
  Heat maps use colour maps that stay readable for the common colour-vision deficiencies
  (cividis, RdBu).
* Size: drawn at the text width of a single-column paper (6.5 in) or a column of a
  two-column one (3.4 in), fonts 7-9 pt at that size, so they need no scaling.
* Language: English labels by default; ``language="zh"`` uses the Chinese term labels of
  :mod:`pyvalues.instrument` with Noto Sans CJK (Debian ``fonts-noto-cjk``).
"""
from __future__ import annotations

import glob
import subprocess
import textwrap
import warnings
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")  # figures are files; never open a window

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from ..errors import PyvaluesError  # noqa: E402
from ..instrument import DIMENSIONS, term  # noqa: E402

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
}

DIMENSION_COLOURS = {
    "Practical": OKABE_ITO["orange"],
    "Epistemic": OKABE_ITO["blue"],
    "Social": OKABE_ITO["bluish_green"],
    "Protective": OKABE_ITO["vermillion"],
    "Personal": OKABE_ITO["reddish_purple"],
}
assert set(DIMENSION_COLOURS) == set(DIMENSIONS)

# Countries: the Okabe-Ito colours no dimension uses, then greys; markers as a second cue.
_COUNTRY_COLOURS = [OKABE_ITO["sky_blue"], OKABE_ITO["black"], OKABE_ITO["yellow"], "#999999", "#555555"]
_COUNTRY_MARKERS = ["o", "s", "^", "D", "v"]

TEXT_WIDTH_IN = 6.5  # single-column paper text width
COLUMN_WIDTH_IN = 3.4  # one column of a two-column paper

# Chinese names of the five dimensions (the paper's Chinese prompt names no dimensions;
# these are the usual translations of the five categories).
DIMENSION_ZH = {
    "Practical": "实用",
    "Epistemic": "认知",
    "Social": "社会",
    "Protective": "保护",
    "Personal": "个人",
}

LABELS = {
    "en": {
        "mean_rank": "Mean rank (1 = most important)",
        "rank_note": "lower rank = more important",
        "more_important": "more important",
        "less_important": "less important",
        "dimension_score": "Mean rank of the dimension's 5 terms",
        "n_models": "Number of models",
        "primary": "Primary (most important dimension)",
        "secondary": "Secondary (second most important)",
        "top5": "Top 5 (most important)",
        "bottom5": "Bottom 5 (least important)",
        "spearman": "Spearman's ρ between models' 25 term means",
        "cluster": "cluster",
        "height": "Height (1 − Pearson r, average linkage)",
        "au_bp": "AU / BP (%) at each merge",
        "kendall_w": "Kendall's W across the model's rankings",
        "p_ns": "Friedman p ≥ .05 (hollow)",
        "p_sig": "Friedman p < .05 (filled)",
        "cliffs": "Cliff's δ = P({a} < {b}) − P({a} > {b}) on ranks",
        "cliffs_note": "δ > 0: {a} ranks the term as more important",
        "q_sig": "BH q < .05",
        "p_sig_unc": "p < .05 uncorrected",
        "all_models": "All models (mean)",
        "dimension": "Dimension",
        "country": "Country",
        "placeholder": "Figure not drawn",
        "fig1": "Fig. 1. Mean rank of the 25 value terms over {n} models",
        "fig2": "Fig. 2. Dimension-level value priorities of {n} models",
        "fig3": "Fig. 3. Primary vs. Secondary dimension of {n} models",
        "fig4": "Fig. 4. Top-5 and Bottom-5 value terms by group",
        "fig5": "Fig. 5. Pairwise similarity of value priorities",
        "fig6": "Fig. 6. Hierarchical clustering of models by value priorities",
        "fig7": "Fig. 7. Clustered heat map of models' mean ranks",
        "figA1": "Fig. A-1. Within-model stability of value rankings by group",
        "figA2": "Fig. A-2. Group differences per term (Cliff's δ)",
        "data": "Data",
        "error_bars": "bars: mean over models; whiskers: ±1 SD across models",
        "ties": "{n} model(s) have tied dimension scores (see primary_secondary.tie)",
    },
    "zh": {
        "mean_rank": "平均排名（1 = 最重要）",
        "rank_note": "排名越低 = 越重要",
        "more_important": "更重要",
        "less_important": "较不重要",
        "dimension_score": "该维度 5 个词语的平均排名",
        "n_models": "模型数",
        "primary": "首要维度（最重要）",
        "secondary": "次要维度（第二重要）",
        "top5": "前 5（最重要）",
        "bottom5": "后 5（最不重要）",
        "spearman": "模型间 25 个词语平均排名的 Spearman ρ",
        "cluster": "聚类",
        "height": "高度（1 − Pearson r，平均连接）",
        "au_bp": "各合并处的 AU / BP (%)",
        "kendall_w": "模型多次排序间的 Kendall's W",
        "p_ns": "Friedman p ≥ .05（空心）",
        "p_sig": "Friedman p < .05（实心）",
        "cliffs": "Cliff's δ = P({a} < {b}) − P({a} > {b})（排名）",
        "cliffs_note": "δ > 0：{a} 认为该词语更重要",
        "q_sig": "BH q < .05",
        "p_sig_unc": "未校正 p < .05",
        "all_models": "所有模型（均值）",
        "dimension": "维度",
        "country": "国家",
        "placeholder": "未绘制此图",
        "fig1": "图 1. {n} 个模型对 25 个价值词语的平均排名",
        "fig2": "图 2. {n} 个模型的维度层面价值优先级",
        "fig3": "图 3. {n} 个模型的首要与次要维度",
        "fig4": "图 4. 各组的前 5 与后 5 价值词语",
        "fig5": "图 5. 模型价值优先级的两两相似度",
        "fig6": "图 6. 按价值优先级的模型层次聚类",
        "fig7": "图 7. 模型平均排名的聚类热图",
        "figA1": "图 A-1. 各组模型内价值排序的稳定性",
        "figA2": "图 A-2. 各词语的组间差异（Cliff's δ）",
        "data": "数据",
        "error_bars": "条形：模型均值；误差线：模型间 ±1 SD",
        "ties": "{n} 个模型的维度得分并列（见 primary_secondary.tie）",
    },
}


def label(key: str, language: str, **fmt) -> str:
    text = LABELS[language][key]
    return text.format(**fmt) if fmt else text


def term_label(name: str, language: str) -> str:
    return term(name).zh if language == "zh" else name


def dimension_label(name: str, language: str) -> str:
    return DIMENSION_ZH.get(name, name) if language == "zh" else name


def country_styles(countries) -> dict[str, tuple[str, str]]:
    """(colour, marker) per country, in sorted order so a country keeps its style."""
    out = {}
    for i, c in enumerate(sorted(set(countries))):
        out[c] = (_COUNTRY_COLOURS[i % len(_COUNTRY_COLOURS)], _COUNTRY_MARKERS[i % len(_COUNTRY_MARKERS)])
    return out


@lru_cache(maxsize=1)
def cjk_font_path() -> str | None:
    """Path of Noto Sans CJK (Debian fonts-noto-cjk), found with fc-list, or None."""
    try:
        out = subprocess.run(
            ["fc-list", ":lang=zh", "file", "family"], capture_output=True, text=True, timeout=20
        ).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    candidates = [line.split(":")[0] for line in out.splitlines() if "Noto Sans CJK" in line]
    candidates += glob.glob("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.tt*")
    for path in candidates:
        if path.endswith("Regular.ttc") or path.endswith("Regular.otf"):
            return path
    return candidates[0] if candidates else None


@lru_cache(maxsize=1)
def _register_cjk() -> str:
    path = cjk_font_path()
    if path is None:
        raise PyvaluesError(
            "Chinese figure labels need a CJK font and none was found (fc-list :lang=zh). "
            "On Debian: apt-get install fonts-noto-cjk; or draw the figures with language='en'."
        )
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


def rc(language: str) -> dict:
    """matplotlib rcParams of the house style for `language`."""
    if language not in LABELS:
        raise PyvaluesError(f"figure language {language!r} is not available; use one of {sorted(LABELS)}")
    family = ["DejaVu Sans"]
    if language == "zh":
        family = [_register_cjk(), "DejaVu Sans"]
    return {
        "font.family": "sans-serif",
        "font.sans-serif": family,
        "font.size": 8,
        "axes.titlesize": 9,
        "axes.labelsize": 8,
        "xtick.labelsize": 7.5,
        "ytick.labelsize": 7.5,
        "legend.fontsize": 7.5,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.linewidth": 0.6,
        "xtick.major.width": 0.6,
        "ytick.major.width": 0.6,
        "savefig.dpi": 200,
        "pdf.fonttype": 3 if language == "zh" else 42,  # Type 3 subsets a CJK collection ~5x faster
        "svg.fonttype": "none",
        "axes.unicode_minus": True,
    }


def finish(fig, title: str, provenance: str, note: str = "", language: str = "en", tight: bool = True) -> None:
    """Title at the top; the data's provenance (and a note) as a footer on every figure."""
    width = fig.get_figwidth()
    chars = max(40, int(width * 19.5))  # ~7 pt text
    fig.suptitle(title, x=0.01, ha="left", fontsize=9, fontweight="bold")
    lines = []
    if note:
        lines += textwrap.wrap(note, chars)
    if provenance:
        lines += textwrap.wrap(f"{label('data', language)}: {provenance}", chars)
    if lines:
        fig.text(0.01, 0.005, "\n".join(lines), ha="left", va="bottom", fontsize=6.5, color="#444444")
    # leave room: title above, footer below
    footer_in = 0.13 * len(lines) + 0.08
    h = fig.get_figheight()
    if not tight:  # the caller placed its axes itself
        return
    with warnings.catch_warnings():
        # figures with a colour bar axis or a legend outside the axes still lay out well
        warnings.filterwarnings("ignore", message=".*tight_layout.*")
        fig.tight_layout(rect=(0.015, min(0.4, footer_in / h), 0.995, 1 - 0.2 / h), pad=0.4)


def placeholder(title: str, reason: str, provenance: str, language: str = "en"):
    """A small figure that says why the figure is absent (shape of the data)."""
    fig = plt.figure(figsize=(TEXT_WIDTH_IN, 1.6))
    fig.text(0.5, 0.55, label("placeholder", language) + ":\n" + "\n".join(textwrap.wrap(reason, 95)),
             ha="center", va="center", fontsize=8, color="#333333")
    finish(fig, title, provenance, language=language)
    return fig
