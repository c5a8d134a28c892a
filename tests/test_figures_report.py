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
    return out, draw_all(results20, out)


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
    paths = draw_all(results7, out7)
    _assert_all_files(out7, paths)
    # one ranking per model: concordance has only NA rows (one per model), so no Kendall's W to draw
    reason = (out7 / "figA1_concordance.absent.txt").read_text()
    assert "two or more rankings" in reason
    assert sorted(p.name for p in out7.glob("*.absent.txt")) == ["figA1_concordance.absent.txt"]

    out1 = tmp_path / "one_country"
    paths = draw_all(results_one_country, out1)
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
