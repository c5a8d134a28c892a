"""The figures' one visual language: palette, fonts, labels, provenance footer.

* Colours: the Okabe & Ito (2008) colour-blind-safe palette. Each dimension has one fixed
  colour in every figure; countries use the remaining Okabe-Ito colours (never a
  dimension's), and are also told apart by marker shape, so nothing depends on hue alone.
  Heat maps use colour maps that stay readable for the common colour-vision deficiencies.
* One colour scale means "important" in every figure that colours by rank (Fig. 2, Fig. 7):
  red = ranked important (low rank), white = the middle rank (13), blue = ranked unimportant,
  as the paper's text reads Fig. 7 ("a broad blue block" of least-prioritised values). The
  similarity map (Fig. 5) uses another hue pair (purple/orange), so red and blue never mean
  anything else.
* Size: drawn at the text width of a single-column paper (6.5 in) or a column of a
  two-column one (3.4 in), fonts 7-9 pt at that size, so they need no scaling.
* Language: English labels by default; ``language="zh"`` uses the Chinese term labels of
  :mod:`pyvalues.instrument` with Noto Sans CJK SC (Debian ``fonts-noto-cjk``), and Chinese
  titles, axis labels, footnotes and provenance (:func:`provenance_label`).
"""
from __future__ import annotations

import glob
import re
import subprocess
import textwrap
import warnings
from contextlib import contextmanager
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
        "mean": "mean",
        "importance_scale": "red = more important, blue = less important",
        "note_fig2": "Columns ordered from the most to the least important dimension (mean over models). "
                     "Colour: the dimension's mean rank on the scale of Fig. 7 (red = ranked important, "
                     "white = the middle rank 13, blue = ranked unimportant).",
        "note_fig3": "Dimensions ordered from the most to the least important (mean over models).",
        "note_fig4": "Terms in bold italics are in this group's list but not in every other group's list.",
        "note_fig4_one": "One group only ({g}); there is no second group to compare.",
        "note_fig5_tree": "Models ordered as in the dendrogram (Fig. 6); boxes: its clusters (number at the "
                          "box's lower left corner).",
        "note_fig5_data": "Models in data order (clustering was skipped).",
        "note_fig5_rho": "Mean pairwise ρ (95% CI, bootstrap over models): {parts}.",
        "note_fig6": "Numbers at each merge: left AU (approximately unbiased p-value), right BP (bootstrap "
                     "probability), both in % (pvclust); clusters from cutting the tree into {k} groups.",
        "legend_fig6": "numbers: AU | BP (%), AU ≥ 95 in bold",
        "note_fig7": "Rows: models in dendrogram order (tree of Fig. 6; lines separate its clusters). Columns: "
                     "terms from the least (left) to the most important (right) over all models; the strip "
                     "above gives each term's dimension. Red = ranked important, blue = ranked unimportant.",
        "note_figA1": "W over each model's {m} rankings (raters) of the 25 terms; Friedman χ² on 24 df.",
        "note_figA2": "★ BH-FDR {q_col} < .05 over the 25 terms ({n} term{s}); † {p_col} < .05 uncorrected only "
                      "(exploratory). Brunner–Munzel tests on the models' term means; {why}.",
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
        "mean": "均值",
        "importance_scale": "红 = 更重要，蓝 = 较不重要",
        "note_fig2": "列按维度从最重要到最不重要排列（模型均值）。颜色：维度的平均排名，色标与图 7 相同"
                     "（红 = 排名靠前即重要，白 = 中间排名 13，蓝 = 排名靠后即不重要）。",
        "note_fig3": "维度按从最重要到最不重要排列（模型均值）。",
        "note_fig4": "粗斜体词语在本组列表中，但不在其他每一组的列表中。",
        "note_fig4_one": "只有一组（{g}），没有可比较的第二组。",
        "note_fig5_tree": "模型按树状图（图 6）的顺序排列；方框：其聚类（编号在方框左下角）。",
        "note_fig5_data": "模型按数据顺序排列（未进行聚类）。",
        "note_fig5_rho": "两两 ρ 的均值（95% 置信区间，对模型做 bootstrap）：{parts}。",
        "note_fig6": "各合并处的数字：左为 AU（近似无偏 p 值），右为 BP（bootstrap 概率），均为 %（pvclust）；"
                     "聚类由将树切分为 {k} 组得到。",
        "legend_fig6": "数字：AU | BP (%)，AU ≥ 95 为粗体",
        "note_fig7": "行：按树状图顺序排列的模型（图 6 的树；横线分隔其聚类）。列：按所有模型从最不重要（左）"
                     "到最重要（右）排列的词语；上方色条标出每个词语的维度。红 = 排名靠前即重要，蓝 = 排名靠后即不重要。",
        "note_figA1": "W 基于每个模型对 25 个词语的 {m} 次排序（评分者）；Friedman χ²，自由度 24。",
        "note_figA2": "★ 25 个词语上 BH-FDR {q_col} < .05（{n} 个词语）；† 仅未校正 {p_col} < .05（探索性）。"
                      "对模型词语均值的 Brunner–Munzel 检验；{why}。",
    },
}


def label(key: str, language: str, **fmt) -> str:
    text = LABELS[language][key]
    return text.format(**fmt) if fmt else text


def term_label(name: str, language: str) -> str:
    return term(name).zh if language == "zh" else name


def dimension_label(name: str, language: str) -> str:
    return DIMENSION_ZH.get(name, name) if language == "zh" else name


# -- provenance in the figure's language -----------------------------------------------------
# The provenance line is written by the stage that made the data (datasets, parse, collect).
# Chinese figures translate the known forms; anything else keeps its original text after a
# Chinese statement that it is untranslated, and a reconstructed or simulated data set is
# always named as such in Chinese.
_PROVENANCE_ZH = (
    (re.compile(r"^RECONSTRUCTED data: a rank data set searched to reproduce the summary statistics published in "
                r"(?P<cite>.+?); it reproduces (?P<k>\d+) of (?P<n>\d+) \((?P<pct>[\d.]+)%\) of the paper's jointly "
                r"feasible reported numbers within rounding \((?P<file>.+?) lists the misses\); not the authors' "
                r"raw data \(unpublished\)$"),
     "重构数据：为再现 {cite} 发表的汇总统计量而搜索得到的排名数据集；在论文可同时满足的报告数值中，它在舍入范围内"
     "再现了 {n} 个中的 {k} 个（{pct}%）（未再现者列于 {file}）；并非作者的原始数据（未公开）"),
    (re.compile(r"^RECONSTRUCTED data: a rank data set searched to reproduce the summary statistics published in "
                r"(?P<cite>.+?); its fit table \((?P<file>.+?)\) is missing; not the authors' raw data "
                r"\(unpublished\)$"),
     "重构数据：为再现 {cite} 发表的汇总统计量而搜索得到的排名数据集；其拟合表（{file}）缺失；并非作者的原始数据（未公开）"),
    (re.compile(r"^RECONSTRUCTED data: a rank data set consistent with the summary statistics published in "
                r"(?P<cite>.+?); not the authors' raw data \(unpublished\)$"),
     "重构数据：与 {cite} 发表的汇总统计量一致的排名数据集；并非作者的原始数据（未公开）"),
    (re.compile(r"^SIMULATED data: a two-language \(zh, en\) rank table of (?P<n>\d+) fictitious models drawn by "
                r"(?P<script>\S+) \(seed (?P<seed>\d+)\) with a built-in language effect; not observed responses "
                r"of any real model$"),
     "模拟数据：由 {script}（种子 {seed}）生成的双语（zh、en）排名表，含 {n} 个虚构模型，内置语言效应；"
     "并非任何真实模型的观测回答"),
    (re.compile(r"^real responses of local models (?P<models>.+?) \((?P<how>.+?)\), collected with (?P<cfg>\S+) "
                r"and parsed by pyvalues\.parse$"),
     "本地模型 {models} 的真实回答（{how}），用 {cfg} 收集并由 pyvalues.parse 解析"),
    (re.compile(r"^collected by pyvalues\.collect with (?P<cfg>\S+) \(store (?P<store>\S+)\), parsed by "
                r"pyvalues\.parse$"),
     "由 pyvalues.collect 按 {cfg} 收集（存储 {store}），并由 pyvalues.parse 解析"),
    (re.compile(r"^parsed from (?P<file>.+?) by pyvalues\.parse \(incomplete_policy=(?P<policy>\w+)\)$"),
     "由 pyvalues.parse 从 {file} 解析（incomplete_policy={policy}）"),
    (re.compile(r"^parsed by pyvalues\.parse \(incomplete_policy=(?P<policy>\w+)\)$"),
     "由 pyvalues.parse 解析（incomplete_policy={policy}）"),
    (re.compile(r"^user data \((?P<src>.+)\)$"), "用户数据（{src}）"),
    (re.compile(r"^user data$"), "用户数据"),
    (re.compile(r"^provenance not recorded$"), "未记录数据来源"),
)


def provenance_label(provenance: str, language: str) -> str:
    """The provenance line in the figure's language (the text itself for English)."""
    if language != "zh":
        return provenance
    text = provenance.strip()
    for pattern, template in _PROVENANCE_ZH:
        m = pattern.match(text)
        if m:
            groups = {k: v.replace(" and ", " 与 ") for k, v in m.groupdict().items()}
            return template.format(**groups)
    kind = ("重构数据" if text.upper().startswith("RECONSTRUCTED")
            else "模拟数据" if text.upper().startswith("SIMULATED") else None)
    head = f"{kind}（说明原文未翻译）：" if kind else "（原文未翻译）"
    return head + text


# -- the one colour scale of importance ---------------------------------------------------------
IMPORTANCE_CMAP = "RdBu"  # low rank (important) red, high rank (unimportant) blue
SIMILARITY_CMAP = "PuOr"  # correlation: never red/blue, which mean importance
RANK_TICKS = (1, 5, 9, 13, 17, 21, 25)


def importance_norm(n_terms: int = 25):
    """Ranks 1..n_terms with the middle rank white: the same mapping in every figure."""
    from matplotlib.colors import TwoSlopeNorm

    return TwoSlopeNorm(vmin=1, vcenter=(1 + n_terms) / 2, vmax=n_terms)


def importance_colorbar(fig, mappable, language: str, what: str, **kw):
    """Colour bar of the importance scale: rank 1 at the top, the legend says red = important."""
    cb = fig.colorbar(mappable, **kw)
    cb.set_ticks(list(RANK_TICKS))
    cb.ax.invert_yaxis()
    cb.set_label(f"{what}\n{label('importance_scale', language)}", fontsize=7, linespacing=1.6)
    return cb


def country_styles(countries) -> dict[str, tuple[str, str]]:
    """(colour, marker) per country, in sorted order so a country keeps its style."""
    out = {}
    for i, c in enumerate(sorted(set(countries))):
        out[c] = (_COUNTRY_COLOURS[i % len(_COUNTRY_COLOURS)], _COUNTRY_MARKERS[i % len(_COUNTRY_MARKERS)])
    return out


# Chinese faces in order of preference: the simplified-Chinese face of Noto Sans CJK first
_CJK_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans CJK TC", "Noto Sans CJK JP",
                 "Noto Sans CJK KR", "Noto Sans CJK HK")
_CJK_GLOBS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.tt*",
              "/usr/share/fonts/opentype/noto/NotoSansCJK*.otf",
              "/usr/share/fonts/truetype/noto/NotoSansCJK*.tt*")


def _known_cjk_family() -> str | None:
    """A CJK family already in matplotlib's font list (its cached scan of the system fonts)."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((f for f in _CJK_FAMILIES if f in names), None)


@lru_cache(maxsize=1)
def cjk_font_path() -> str | None:
    """Path of Noto Sans CJK (Debian fonts-noto-cjk), or None.

    Looked up once per process, cheapest source first: matplotlib's cached font list, the
    Debian install path, and only then ``fc-list`` (a subprocess that can take seconds)."""
    family = _known_cjk_family()
    if family is not None:
        return font_manager.findfont(family, fallback_to_default=False)
    for pattern in _CJK_GLOBS:
        hits = sorted(glob.glob(pattern))
        if hits:
            return hits[0]
    try:
        out = subprocess.run(
            ["fc-list", ":lang=zh", "file", "family"], capture_output=True, text=True, timeout=20
        ).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    candidates = [line.split(":")[0] for line in out.splitlines() if "Noto Sans CJK" in line]
    for path in candidates:
        if path.endswith("Regular.ttc") or path.endswith("Regular.otf"):
            return path
    return candidates[0] if candidates else None


@lru_cache(maxsize=1)
def _register_cjk() -> str:
    """The CJK family name for rcParams (registered with matplotlib when it was not listed)."""
    family = _known_cjk_family()
    if family is not None:
        return family
    path = cjk_font_path()
    if path is None:
        raise PyvaluesError(
            "Chinese figure labels need a CJK font and none was found (fc-list :lang=zh). "
            "On Debian: apt-get install fonts-noto-cjk; or draw the figures with language='en'."
        )
    font_manager.fontManager.addfont(path)
    family = _known_cjk_family()
    return family or font_manager.FontProperties(fname=path).get_name()


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
        # the layout pass and the PNG use one renderer (same dpi), so text is measured once
        "figure.dpi": 200,
        "savefig.dpi": 200,
        "pdf.fonttype": 3 if language == "zh" else 42,  # Type 3 subsets a CJK collection ~5x faster
        "svg.fonttype": "none",
        "axes.unicode_minus": True,
    }


_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` Latin-character widths. Text without CJK characters wraps at
    spaces (textwrap); CJK characters count 1.8 widths and a line may break between any two of
    them, Latin words stay whole."""
    if not _CJK.search(text):
        return textwrap.wrap(text, width)
    tokens = re.findall(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]|\s+|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+", text)
    lines, cur, used = [], "", 0.0
    for tok in tokens:
        w = 1.8 if _CJK.match(tok) else len(tok)
        if used + w > width and cur.strip():
            lines.append(cur.rstrip())
            cur, used = "", 0.0
            if tok.isspace():
                continue
        cur += tok
        used += w
    if cur.strip():
        lines.append(cur.rstrip())
    return lines


@contextmanager
def _tight_boxes_once(fig):
    """Within one tight_layout call, measure each axes' tight box once.

    Given a ``rect``, matplotlib's tight layout runs its margin search twice, and both runs
    measure every axes with all its tick labels (the costliest part of drawing a figure)
    while nothing has moved in between; the second run reuses the first run's boxes here."""
    cache: dict = {}
    patched = []
    for ax in fig.axes:
        method = ax.get_tightbbox

        def once(*args, _method=method, _ax=ax, **kwargs):
            key = (id(_ax), tuple(id(a) for a in args), tuple(sorted(kwargs.items())))
            if key not in cache:
                cache[key] = _method(*args, **kwargs)
            return cache[key]

        ax.get_tightbbox = once
        patched.append(ax)
    try:
        yield
    finally:
        for ax in patched:
            del ax.get_tightbbox  # the class's method again


def finish(fig, title: str, provenance: str, note: str = "", language: str = "en", tight: bool = True) -> None:
    """Title at the top; the data's provenance (and a note) as a footer on every figure."""
    width = fig.get_figwidth()
    chars = max(40, int(width * 19.5))  # ~7 pt text
    fig.suptitle(title, x=0.01, ha="left", fontsize=9, fontweight="bold")
    lines = []
    if note:
        lines += wrap(note, chars)
    if provenance:
        sep = "：" if language == "zh" else ": "
        lines += wrap(f"{label('data', language)}{sep}{provenance_label(provenance, language)}", chars)
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
        with _tight_boxes_once(fig):
            fig.tight_layout(rect=(0.015, min(0.4, footer_in / h), 0.995, 1 - 0.2 / h), pad=0.4)


def placeholder(title: str, reason: str, provenance: str, language: str = "en"):
    """A small figure that says why the figure is absent (shape of the data)."""
    fig = plt.figure(figsize=(TEXT_WIDTH_IN, 1.6))
    fig.text(0.5, 0.55, label("placeholder", language) + ":\n" + "\n".join(textwrap.wrap(reason, 95)),
             ha="center", va="center", fontsize=8, color="#333333")
    finish(fig, title, provenance, language=language)
    return fig
