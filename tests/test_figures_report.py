"""Figures and the HTML report, for the paper's shape (20 models, 2 countries, 6 rankings
each) and for other shapes (7 models with one ranking each; one country only).

Independent sources: R called directly (hclust/pvclust on the same term means, in a
separate Rscript process), scipy's own average-linkage clustering, the instrument's
Chinese labels, the claims file of the paper (reported values), and headless Chromium
rendering the report (every <img> decoded, no errors).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import warnings
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, make_rank_table, rscript
from pyvalues.figures import FIGURES, draw, draw_all
from pyvalues.figures.tree import linkage_matrix, tree_from_tables
from pyvalues.instrument import TERM_NAMES, term
from pyvalues.report import write_report

PROVENANCE = "seeded random test table (tests/test_figures_report.py) - not real model data"


def _run(table):
    analysis = pytest.importorskip("pyvalues.analysis")
    try:
        return analysis.run(table, nboot=100, ci_nboot=500, parity=False)
    except Exception as exc:  # R / rpy2 not set up
        if type(exc).__name__ == "RSetupError":
            pytest.skip(f"R is not set up: {exc}")
        raise


def _with_provenance(table):
    table.attrs["provenance"] = PROVENANCE
    return table


@pytest.fixture(scope="module")
def table20():
    return _with_provenance(make_rank_table(11, 9, reps=3, seed=11))


@pytest.fixture(scope="module")
def results20(table20):
    return _run(table20)


@pytest.fixture(scope="module")
def results7():
    # 7 models, one replicate, one language
    return _run(_with_provenance(make_rank_table(4, 3, reps=1, seed=12)))


@pytest.fixture(scope="module")
def results_one_country():
    tab = make_rank_table(5, 0, reps=2, seed=13)
    return _run(_with_provenance(tab))


@pytest.fixture(scope="module")
def figs20(results20, tmp_path_factory):
    out = tmp_path_factory.mktemp("figs20")
    return out, draw_all(results20, out, formats="png,pdf")


def _png_size(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as im:
        return im.size


def _assert_all_files(out: Path, paths):
    for spec in FIGURES:
        png, pdf = out / f"{spec.stem}.png", out / f"{spec.stem}.pdf"
        assert png in paths and pdf in paths, spec.stem
        w, h = _png_size(png)
        assert w > 300 and h > 100, (spec.stem, w, h)
        assert pdf.read_bytes()[:5] == b"%PDF-"


# -- figures -------------------------------------------------------------------------------

def test_every_figure_for_20_models(figs20):
    out, paths = figs20
    _assert_all_files(out, paths)
    assert not list(out.glob("*.absent.txt")), "no figure should be a placeholder for the paper's shape"
    # drawn at a paper's text width (6.5 in at 200 dpi = 1300 px; Fig. 3 and A-1 narrower)
    assert _png_size(out / "fig1_term_means.png")[0] == 1300


def test_other_shapes_draw_placeholders_that_say_why(results7, results_one_country, tmp_path):
    out7 = tmp_path / "seven"
    paths = draw_all(results7, out7, formats=("png", "pdf"))
    _assert_all_files(out7, paths)
    # one ranking per model: concordance has only NA rows (one per model), so no Kendall's W to draw
    reason = (out7 / "figA1_concordance.absent.txt").read_text()
    assert "two or more rankings" in reason
    assert sorted(p.name for p in out7.glob("*.absent.txt")) == ["figA1_concordance.absent.txt"]

    out1 = tmp_path / "one_country"
    paths = draw_all(results_one_country, out1, formats=("png", "pdf"), workers=2)
    _assert_all_files(out1, paths)
    assert sorted(p.name for p in out1.glob("*.absent.txt")) == ["figA2_cliffs_delta.absent.txt"]
    assert "two countries" in (out1 / "figA2_cliffs_delta.absent.txt").read_text()


def test_every_figure_shows_the_provenance(results20):
    import matplotlib.pyplot as plt

    for spec in FIGURES:
        fig, reason = draw(spec, results20)
        texts = [t.get_text() for t in fig.texts]
        plt.close(fig)
        assert reason is None
        assert any(PROVENANCE in t.replace("\n", " ") for t in texts), spec.stem


def test_rank_axes_say_lower_is_more_important(results20):
    import matplotlib.pyplot as plt

    for stem in ("fig1_term_means", "fig4_top_bottom"):
        spec = next(s for s in FIGURES if s.stem == stem)
        fig, _ = draw(spec, results20)
        labels = " ".join(ax.get_xlabel() for ax in fig.axes)
        plt.close(fig)
        assert "lower rank = more important" in labels, stem


def test_dendrogram_merges_match_r_hclust_and_pvclust(results20, table20, tmp_path):
    """Each merge of the drawn tree (its members, height and AU) equals what R's hclust /
    pvclust give when called directly on the same term means, with the same seed."""
    csv = tmp_path / "t.csv"
    table20.to_csv(csv, index=False)
    out = rscript(f"""
suppressPackageStartupMessages(library(pvclust))
tab <- read.csv("{csv}", stringsAsFactors = FALSE)
inst <- read.csv("{ROOT}/inst/extdata/instrument.csv", stringsAsFactors = FALSE)
models <- unique(tab$model)
M <- sapply(models, function(m) sapply(inst$term, function(t) mean(tab$rank[tab$model == m & tab$term == t])))
pv <- pvclust(M, method.hclust = "average", method.dist = "correlation", nboot = 100, iseed = 2026, quiet = TRUE)
hc <- pv$hclust
members <- function(i) {{ v <- hc$merge[i, ]; unlist(lapply(v, function(x) if (x < 0) models[-x] else members(x))) }}
for (i in seq_len(nrow(hc$merge))) cat(paste(sort(members(i)), collapse = "|"), "\\t", format(hc$height[i], digits = 15),
  "\\t", format(pv$edges$au[i], digits = 15), "\\n", sep = "")
cat("ORDER\\t", paste(models[hc$order], collapse = "|"), "\\n", sep = "")
""")
    lines = [ln.split("\t") for ln in out.strip().splitlines()]
    r_order = lines[-1][1].split("|")
    r_merges = {ln[0]: (float(ln[1]), float(ln[2])) for ln in lines[:-1]}
    models = list(pd.unique(results20["model_term_means"]["model"]))
    tree = tree_from_tables(results20["cluster_edges"], results20["clusters"], models)
    assert tree.leaves == r_order
    for node in tree.nodes.itertuples():
        key = "|".join(sorted(node.members))
        h, au = r_merges[key]
        assert node.height == pytest.approx(h, rel=1e-12)
        assert node.au == pytest.approx(au, rel=1e-12)
        # the node sits at the midpoint of its children, as plot.hclust draws it
        assert node.x == pytest.approx((node.left_x + node.right_x) / 2)


def test_linkage_matrix_is_the_same_tree_as_scipy_average_linkage(results20):
    from scipy.cluster.hierarchy import cophenet, linkage

    mtm = results20["model_term_means"]
    models = list(pd.unique(mtm["model"]))
    M = mtm.pivot(index="model", columns="term", values="mean_rank").loc[models, list(TERM_NAMES)].to_numpy()
    Z_scipy = linkage(M, method="average", metric="correlation")
    Z_ours = linkage_matrix(results20["cluster_edges"])
    np.testing.assert_allclose(cophenet(Z_ours), cophenet(Z_scipy), rtol=1e-10)
    assert Z_ours[-1, 3] == len(models)


def test_chinese_labels_use_the_instrument_and_a_cjk_font(results20, tmp_path):
    import matplotlib.pyplot as plt

    from pyvalues.figures.style import cjk_font_path

    if cjk_font_path() is None:
        pytest.skip("no CJK font: apt-get install fonts-noto-cjk")
    spec = FIGURES[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" would raise
        fig, _ = draw(spec, results20, language="zh")
        fig.savefig(tmp_path / "zh.png")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    order = results20["term_means"].sort_values(["mean_rank", "term"])["term"]
    assert labels == [term(t).zh for t in order]
    fonts = {t.get_fontname() for t in fig.axes[0].get_yticklabels()}
    plt.close(fig)
    assert any("CJK" in f for f in fonts), fonts


# -- report --------------------------------------------------------------------------------

_PROBE = """<script>window.__errs=[];
addEventListener('error',function(e){__errs.push(String(e.message||(e.target&&(e.target.src||'').slice(0,40))||'error'))},true);
addEventListener('load',function(){var im=[].slice.call(document.images).map(function(i){
return {alt:i.alt,ok:i.complete&&i.naturalWidth>0,w:i.naturalWidth}});
var p=document.createElement('pre');p.id='__render_check';
p.textContent=JSON.stringify({errors:__errs,images:im,tables:document.querySelectorAll('table').length});
document.body.appendChild(p)});</script>"""


def chromium_render(html_path: Path, tmp: Path) -> dict:
    """Load the page in headless Chromium; a probe script injected into a copy writes what
    the browser saw (errors, each image's decoded width) into the DOM, read via --dump-dom."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("headless Chromium not installed: apt-get install -y chromium")
    probe = tmp / "probe.html"
    probe.write_text(html_path.read_text(encoding="utf-8").replace("<head>", "<head>" + _PROBE, 1),
                     encoding="utf-8")
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp / 'chromium-profile'}", "--virtual-time-budget=10000", "--dump-dom",
           probe.as_uri()]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    m = re.search(r'<pre id="__render_check">(.*?)</pre>', res.stdout, re.S)
    assert m, f"Chromium did not run the probe (rc {res.returncode}): {res.stderr[-1500:]}"
    return json.loads(m.group(1).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))


class _Rows(HTMLParser):
    """Rows of every table: a list of (cells, classes) per row; the header row as well."""

    def __init__(self):
        super().__init__()
        self.tables, self._cell, self._cls = [], None, ""

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell, self._cls = "", dict(attrs).get("class") or ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append((self._cell.strip(), self._cls))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def test_report_renders_in_chromium_with_every_image(results20, figs20, tmp_path):
    out, paths = figs20
    report = write_report(results20, tmp_path, figures=paths)
    text = report.read_text(encoding="utf-8")
    # self-contained: nothing to fetch
    assert not re.search(r'(src|href)\s*=\s*"(https?:|//|file:)', text)
    assert "<link" not in text
    seen = chromium_render(report, tmp_path)
    assert seen["errors"] == []
    assert len(seen["images"]) == len(FIGURES)
    assert all(im["ok"] and im["w"] > 300 for im in seen["images"]), seen["images"]
    assert PROVENANCE in text


def test_render_check_fails_on_a_broken_image(tmp_path):
    """The Chromium probe does catch an image that does not decode."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
                    '<img alt="x" src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUg=="></body></html>')
    seen = chromium_render(page, tmp_path)
    assert seen["images"][0]["ok"] is False
    assert seen["errors"], "the failed image load is reported as an error"


def test_report_other_shape_lists_skipped_analyses(results_one_country, tmp_path):
    figs = draw_all(results_one_country, tmp_path / "figs")
    report = write_report(results_one_country, tmp_path, figures=figs)
    parser = _Rows()
    parser.feed(report.read_text(encoding="utf-8"))
    skipped_rows = [t for t in parser.tables if t and [c for c, _ in t[0]][:2] == ["analysis", "reason"]]
    assert skipped_rows, "the report has a table of skipped analyses"
    listed = {r[0][0]: r[1][0] for r in skipped_rows[0][1:]}
    r_skipped = dict(zip(results_one_country.skipped["analysis"], results_one_country.skipped["reason"]))
    assert listed == r_skipped
    seen = chromium_render(report, tmp_path)
    assert seen["errors"] == [] and all(im["ok"] for im in seen["images"])
    # the placeholder's reason is also in the figure caption
    assert "Not drawn for this data" in report.read_text(encoding="utf-8")


def test_reported_value_is_beside_its_statistic(results20, tmp_path):
    """A `<col>_reported` column (as crosscheck.reported_beside adds) is shown right after
    `<col>`; the reported values here are the paper's, read from its claims file."""
    claims = pd.read_csv(ROOT / "data-raw" / "claims" / "paper2026.csv", dtype=str, keep_default_na=False)
    dim = claims[claims["claim_id"].str.startswith("dim_mean_")]
    reported = {row["subject"]: row["reported"] for _, row in dim.iterrows()}
    assert len(reported) == 5

    class Stand:  # the Results interface the report reads: .tables, .provenance, .skipped
        def __init__(self, tables):
            self.tables, self.provenance = tables, PROVENANCE
            self.skipped = tables["skipped"]

    tables = dict(results20.tables)
    dm = tables["dimension_means"].copy()
    # reported column first, so the report has to move it beside mean_score
    dm.insert(0, "mean_score_reported", dm["dimension"].map(reported))
    tables["dimension_means"] = dm
    report = write_report(Stand(tables), tmp_path, figures=None)
    parser = _Rows()
    parser.feed(report.read_text(encoding="utf-8"))
    t = next(t for t in parser.tables if t and "mean_score_reported" in [c for c, _ in t[0]])
    header = [c for c, _ in t[0]]
    i = header.index("mean_score")
    assert header[i + 1] == "mean_score_reported"
    assert "reported" in t[0][i + 1][1]
    for row in t[1:]:
        cells = dict(zip(header, (c for c, _ in row)))
        assert cells["mean_score_reported"] == reported[cells["dimension"]]
        assert "reported" in row[i + 1][1]


# -- speed: formats, workers, progress -------------------------------------------------------

def test_default_format_is_png_only_and_pdf_on_request(results20, tmp_path):
    from pyvalues.errors import PyvaluesError

    paths = draw_all(results20, tmp_path / "png")
    assert {p.suffix for p in paths} == {".png"}
    assert sorted(p.name for p in (tmp_path / "png").iterdir() if p.suffix != ".json") == \
        sorted(f"{s.stem}.png" for s in FIGURES)
    index = json.loads((tmp_path / "png" / "figures.json").read_text(encoding="utf-8"))
    assert [e["number"] for e in index] == [s.number for s in FIGURES]
    with pytest.raises(PyvaluesError, match="'jpeg'"):
        draw_all(results20, tmp_path / "bad", formats="png,jpeg")
    assert not (tmp_path / "bad").exists(), "a bad format is refused before anything is drawn"


def test_two_workers_draw_the_same_pixels_as_one(results20, tmp_path):
    from PIL import Image

    from pyvalues.figure_workers import Progress

    import io

    lines = io.StringIO()
    serial = draw_all(results20, tmp_path / "one")
    parallel = draw_all(results20, tmp_path / "two", workers=2, progress=Progress(0, stream=lines))
    assert [p.name for p in serial] == [p.name for p in parallel]
    for a, b in zip(serial, parallel):
        with Image.open(a) as ia, Image.open(b) as ib:
            assert ia.size == ib.size and ia.tobytes() == ib.tobytes(), a.name
    # one line per figure when the stream is not a terminal
    got = lines.getvalue().splitlines()
    assert len(got) == len(FIGURES) and got[-1].startswith(f"figures {len(FIGURES)}/{len(FIGURES)}: ")
    assert sorted(ln.split(": ")[1].split(" (")[0] for ln in got) == sorted(s.stem for s in FIGURES)


def test_progress_bar_on_a_terminal_and_nothing_when_quiet():
    import io

    from pyvalues.figure_workers import Progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty = Tty()
    bar = Progress(3, stream=tty)
    for name in ("a", "b", "c"):
        bar.step(name)
    text = tty.getvalue()
    assert text.count("\r") >= 3 and text.endswith("\n") and text.count("\n") == 1
    assert "[########################] 3/3" in text
    quiet = io.StringIO()
    q = Progress(3, stream=quiet, quiet=True)
    for name in ("a", "b", "c"):
        q.step(name)
    assert quiet.getvalue() == ""


def test_cli_refuses_an_unknown_format_before_computing(tmp_path, capsys):
    from pyvalues.analysis.__main__ import main

    assert main(["--formats", "png,tiff", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "--formats png,tiff" in err and "'tiff'" in err


# -- polish --------------------------------------------------------------------------------

def _spec(stem):
    return next(s for s in FIGURES if s.stem == stem)


class _Stand:
    """The Results interface the figures read: .tables, .provenance, .skipped."""

    def __init__(self, tables, provenance=PROVENANCE):
        self.tables, self.provenance = tables, provenance
        self.skipped = tables["skipped"]


def test_fig7_puts_the_least_important_terms_on_the_left(results20):
    """The paper reads Fig. 7 as 'a broad blue block on the left' of least-prioritised values."""
    import matplotlib.pyplot as plt

    fig, _ = draw(_spec("fig7_clustered_heatmap"), results20)
    heat = next(ax for ax in fig.axes if ax.images and len(ax.get_xticklabels()) == 25)
    shown = [t.get_text() for t in heat.get_xticklabels()]
    plt.close(fig)
    by_rank = results20["term_means"].sort_values("mean_rank")["term"].tolist()  # R's means
    assert shown[0] == by_rank[-1] and shown[-1] == by_rank[0]
    assert shown == by_rank[::-1]


def test_one_colour_scale_means_important_in_fig2_and_fig7(results20):
    import matplotlib.pyplot as plt

    scales = []
    for stem in ("fig2_dimension_priorities", "fig7_clustered_heatmap"):
        fig, _ = draw(_spec(stem), results20)
        im = max((im for ax in fig.axes for im in ax.images), key=lambda im: im.get_array().shape[0])
        cbar_labels = [ax.get_ylabel() for ax in fig.axes]
        rgba1, rgba25, rgba13 = im.cmap(im.norm(1.0)), im.cmap(im.norm(25.0)), im.cmap(im.norm(13.0))
        scales.append((im.cmap.name, im.norm.vmin, im.norm.vmax, rgba1, rgba25))
        plt.close(fig)
        assert rgba1[0] > 2 * max(rgba1[1], rgba1[2]), "rank 1 (most important) is red"
        assert rgba25[2] > 2 * max(rgba25[0], rgba25[1]), "rank 25 (least important) is blue"
        assert min(rgba13[:3]) > 0.9, "the middle rank 13 is (nearly) white"
        assert any("red = more important" in lab for lab in cbar_labels), (stem, cbar_labels)
    assert scales[0] == scales[1], "Fig. 2 and Fig. 7 use the same colours for the same rank"


def _renderer(fig):
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def test_fig1_whiskers_do_not_cross_the_value_labels(results20):
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    fig, _ = draw(_spec("fig1_term_means"), results20)
    r = _renderer(fig)
    ax = fig.axes[0]
    values = {f"{v:.2f}" for v in results20["term_means"]["mean_rank"]}
    boxes = [t.get_window_extent(r) for t in ax.texts if t.get_text() in values]
    assert len(boxes) == 25
    segs = [s for c in ax.collections if isinstance(c, LineCollection) for s in c.get_segments()]
    assert len(segs) >= 25, "the ±1 SD whiskers"
    for seg in segs:
        (x0, y0), (x1, y1) = ax.transData.transform(seg)
        for b in boxes:
            overlap_x = min(x0, x1) <= b.x1 and max(x0, x1) >= b.x0
            overlap_y = min(y0, y1) <= b.y1 and max(y0, y1) >= b.y0
            assert not (overlap_x and overlap_y), "a whisker runs through a value label"
    plt.close(fig)


def test_figA1_value_labels_keep_clear_of_the_markers(results20):
    """With W = 1 (its largest possible value) the label still does not touch the marker."""
    import matplotlib.pyplot as plt

    tables = dict(results20.tables)
    cc = tables["concordance"].copy()
    cc.loc[cc.index[0], "W"] = 1.0
    tables["concordance"] = cc
    fig, _ = draw(_spec("figA1_concordance"), _Stand(tables))
    r = _renderer(fig)
    ax = fig.axes[0]
    labels = [t for t in ax.texts if re.fullmatch(r"[01]\.\d{3}", t.get_text())]
    assert "1.000" in [t.get_text() for t in labels]
    markers = [ln.get_window_extent(r) for ln in ax.lines if ln.get_marker() not in (None, "None", "")]
    assert len(markers) == len(labels)
    for t in labels:
        b = t.get_window_extent(r)
        for m in markers:
            if m.y1 < b.y0 or m.y0 > b.y1:
                continue
            assert b.x0 - m.x1 >= 2, f"label {t.get_text()} is {b.x0 - m.x1:.1f} px from a marker"
    plt.close(fig)


def test_chinese_figures_have_chinese_footnotes_and_provenance(results20):
    import matplotlib.pyplot as plt

    from pyvalues import datasets
    from pyvalues.figures.style import cjk_font_path, provenance_label

    if cjk_font_path() is None:
        pytest.skip("no CJK font: apt-get install fonts-noto-cjk")
    # every bundled data set's provenance has a Chinese rendering (nothing left untranslated)
    for name, (_, prov) in datasets.DATASETS.items():
        zh = provenance_label(prov, "zh")
        assert "未翻译" not in zh and not re.search(r"[A-Za-z]{4,} [a-z]{3,} [a-z]{3,}", zh), (name, zh)
    stand = _Stand(dict(results20.tables), provenance=datasets.RECONSTRUCTION_PROVENANCE)
    for spec in FIGURES:
        fig_en, _ = draw(spec, stand, "en")
        fig_zh, _ = draw(spec, stand, "zh")
        foot_en = min(fig_en.texts, key=lambda t: t.get_position()[1]).get_text()
        foot_zh = min(fig_zh.texts, key=lambda t: t.get_position()[1]).get_text()
        plt.close(fig_en)
        plt.close(fig_zh)
        assert "RECONSTRUCTED" in foot_en
        assert "RECONSTRUCTED" not in foot_zh and "重构数据" in foot_zh and "并非作者的原始数据" in foot_zh
        note_en = foot_en.split("Data: ")[0].strip()
        if note_en:  # the English note's words are not in the Chinese figure
            assert note_en.replace("\n", " ")[:25] not in foot_zh.replace("\n", " "), spec.stem
            note_zh = foot_zh.split("数据：")[0]
            assert len(re.findall(r"[\u4e00-\u9fff]", note_zh)) >= 8, (spec.stem, note_zh)


# -- the report at a reader's window sizes ----------------------------------------------------

_LAYOUT_PROBE = """<script>addEventListener('load',function(){
var rows=[];[].slice.call(document.querySelectorAll('h3[id^="t-"]')).forEach(function(h){
var e=h.nextElementSibling,t=null;while(e&&e.tagName!=='H3'&&e.tagName!=='H2'){
if(e.matches('div.tw')){t=e.querySelector('table');break}e=e.nextElementSibling}
if(!t||!t.offsetParent||!t.querySelector('td'))return;
var lh=parseFloat(getComputedStyle(t.querySelector('td')).lineHeight);
var max=0;[].slice.call(t.tBodies[0].rows).forEach(function(r){max=Math.max(max,r.getBoundingClientRect().height)});
rows.push({table:h.id,lines:(max-4)/lh})});
var figs=[].slice.call(document.querySelectorAll('figure img')).map(function(i){var b=i.getBoundingClientRect();
return {alt:i.alt,h:b.height,w:b.width}});
var p=document.createElement('pre');p.id='__layout';
p.textContent=JSON.stringify({rows:rows,figs:figs,vw:innerWidth,vh:innerHeight});document.body.appendChild(p)});</script>"""


def chromium_layout(html_path: Path, tmp: Path, width: int, height: int) -> dict:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("headless Chromium not installed: apt-get install -y chromium")
    probe = tmp / f"layout_{width}x{height}.html"
    probe.write_text(html_path.read_text(encoding="utf-8").replace("<head>", "<head>" + _LAYOUT_PROBE, 1),
                     encoding="utf-8")
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
           f"--user-data-dir={tmp / f'chromium-{width}'}", f"--window-size={width},{height}",
           "--virtual-time-budget=10000", "--dump-dom", probe.as_uri()]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    m = re.search(r'<pre id="__layout">(.*?)</pre>', res.stdout, re.S)
    assert m, f"Chromium did not run the layout probe (rc {res.returncode}): {res.stderr[-1500:]}"
    return json.loads(m.group(1).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))


def test_report_tables_and_figures_fit_a_readers_window(results20, figs20, tmp_path):
    """At 1000 px no result-table row is more than two lines high (term_tests wrapped to five);
    in a 1000 x 800 window every figure, Fig. 2 included, is shown whole."""
    out, paths = figs20
    report = write_report(results20, tmp_path, figures=paths)
    seen = chromium_layout(report, tmp_path, 1000, 800)
    assert seen["vw"] == 1000 and 500 < seen["vh"] <= 800  # headless Chromium keeps some height for itself
    tables = {r["table"]: r["lines"] for r in seen["rows"]}
    assert "t-term_tests" in tables and len(tables) >= 8, tables
    too_tall = {t: round(n, 1) for t, n in tables.items() if n > 2.2}
    assert not too_tall, f"rows wrap to more than two lines: {too_tall}"
    fig2 = next(f for f in seen["figs"] if f["alt"].startswith("Fig. 2."))
    assert fig2["h"] <= seen["vh"] and fig2["w"] <= 1000
    assert all(f["h"] <= seen["vh"] for f in seen["figs"]), seen["figs"]
