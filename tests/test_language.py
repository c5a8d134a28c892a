"""The prompt-language analysis (issue 12) through the Python bridge, checked against R called
directly in a separate Rscript process (wilcox.test, afex::aov_ez, cor, the textbook W formula on
plainly aggregated means; none of pyvalues's R functions), and against scipy."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import ROOT, make_rank_table, rscript
from pyvalues import analysis, datasets
from pyvalues.errors import PyvaluesError

R_REFERENCE = r"""
suppressPackageStartupMessages(library(afex))
tab <- read.csv("{csv}", stringsAsFactors = FALSE)
inst <- read.csv("{root}/inst/extdata/instrument.csv", stringsAsFactors = FALSE)
tab$dimension <- inst$dimension[match(tab$term, inst$term)]
avg <- function(x) sum(x) / length(x)
n <- table(tab$model, tab$language)
paired <- rownames(n)[n[, "zh"] > 0 & n[, "en"] > 0]
tm <- aggregate(rank ~ model + country + language + term, data = tab, FUN = avg)
sc <- aggregate(rank ~ model + country + language + dimension, data = tab, FUN = avg)
names(sc)[5] <- "score"
pick <- function(d, key, value, l) {{ x <- d[d[[key]] == value & d$language == l, ]; x[match(paired, x$model), ] }}
terms <- lapply(inst$term, function(t) {{
  zh <- pick(tm, "term", t, "zh")$rank; en <- pick(tm, "term", t, "en")$rank
  w <- suppressWarnings(wilcox.test(zh, en, paired = TRUE))
  list(term = t, mean_zh = mean(zh), mean_en = mean(en), median_diff = median(zh - en),
       V = unname(w$statistic), p = w$p.value, method = w$method)
}})
dims <- lapply(unique(inst$dimension), function(dm) {{
  zh <- pick(sc, "dimension", dm, "zh")$score; en <- pick(sc, "dimension", dm, "en")$score
  w <- suppressWarnings(wilcox.test(zh, en, paired = TRUE))
  list(dimension = dm, V = unname(w$statistic), p = w$p.value)
}})
scp <- sc[sc$model %in% paired, ]
fit <- suppressWarnings(suppressMessages(aov_ez("model", "score", scp, between = "country",
  within = c("language", "dimension"), anova_table = list(es = "pes", correction = "none"))))
gg <- suppressWarnings(suppressMessages(aov_ez("model", "score", scp, between = "country",
  within = c("language", "dimension"), anova_table = list(correction = "GG"))))
eff <- c("dimension", "country:dimension", "language:dimension", "country:language:dimension")
anova <- lapply(eff, function(e) list(effect = e, F = fit$anova_table[e, "F"], p = fit$anova_table[e, "Pr(>F)"],
  pes = fit$anova_table[e, "pes"], df1 = fit$anova_table[e, "num Df"], df2 = fit$anova_table[e, "den Df"],
  p_gg = gg$anova_table[e, "Pr(>F)"]))
Wf <- function(x) {{ m <- length(unique(x$replicate)); if (m < 2) return(NA)
  R <- tapply(x$rank, x$term, sum); 12 * sum((R - mean(R))^2) / (m^2 * (25^3 - 25)) }}
models <- lapply(unique(tab$model), function(m) {{
  a <- tm[tm$model == m & tm$language == "zh", ]; b <- tm[tm$model == m & tm$language == "en", ]
  both <- nrow(a) > 0 && nrow(b) > 0
  a <- a$rank[match(inst$term, a$term)]; b <- b$rank[match(inst$term, b$term)]
  list(model = m, country = tab$country[tab$model == m][1],
       spearman = if (both) cor(a, b, method = "spearman") else NA,
       kendall = if (both) cor(a, b, method = "kendall") else NA,
       W_zh = Wf(tab[tab$model == m & tab$language == "zh", ]), W_en = Wf(tab[tab$model == m & tab$language == "en", ]))
}})
num <- function(x) if (is.na(x)) "null" else format(x, digits = 17)
obj <- function(l) paste0("{{", paste(sprintf('"%s":%s', names(l), vapply(l, function(v)
  if (is.character(v)) sprintf('"%s"', v) else num(v), "")), collapse = ","), "}}")
arr <- function(x) paste0("[", paste(vapply(x, obj, ""), collapse = ","), "]")
cat(sprintf('{{"paired":[%s],"terms":%s,"dims":%s,"anova":%s,"models":%s}}',
    paste0('"', paired, '"', collapse = ","), arr(terms), arr(dims), arr(anova), arr(models)))
"""


@pytest.fixture(scope="module")
def sim():
    return datasets.load("language_simulation")


@pytest.fixture(scope="module")
def reference(sim, tmp_path_factory):
    csv = tmp_path_factory.mktemp("language") / "sim.csv"
    sim[["model", "country", "language", "replicate", "term", "rank"]].to_csv(csv, index=False)
    return json.loads(rscript(R_REFERENCE.format(csv=csv, root=ROOT)))


@pytest.fixture(scope="module")
def results(sim):
    return analysis.run(sim, nboot=20, ci_nboot=500, parity=False)


def test_simulated_example_is_labelled_and_reproducible(sim):
    assert sim.attrs["provenance"].startswith("SIMULATED data:")
    assert set(sim["language"]) == {"zh", "en"}
    # the seeded generator gives the same bytes as the bundled CSV
    sys.path.insert(0, str(ROOT / "data-raw"))
    try:
        import make_language_example as gen
    finally:
        sys.path.pop(0)
    lines = ["model,country,language,replicate,term,rank"] + [",".join(map(str, r)) for r in gen.simulate()]
    assert "\n".join(lines) + "\n" == (ROOT / "data-raw" / "language_simulation.csv").read_text(encoding="utf-8")
    per = sim.drop_duplicates(["model", "language", "replicate"]).groupby(["model", "language"]).size()
    assert per[("CN-sim-08", "zh")] == 3 and per[("CN-sim-08", "en")] == 1
    assert ("US-sim-08", "zh") not in per.index


def test_term_tests_equal_wilcox_test_called_directly(results, reference):
    tt = results["language_term_tests"].set_index("term")
    assert list(results["language_term_tests"].columns) == [
        "term", "dimension", "n_models", "mean_zh", "mean_en", "median_diff", "V", "p", "q", "r_rb", "method", "note"]
    assert (tt["n_models"] == len(reference["paired"])).all()
    for ref in reference["terms"]:
        row = tt.loc[ref["term"]]
        for col in ("mean_zh", "mean_en", "median_diff", "V", "p"):
            assert row[col] == pytest.approx(ref[col], rel=1e-12, abs=1e-14), (ref["term"], col)
        assert row["method"] == ref["method"]
    # BH over the 25 terms, as statsmodels computes it
    from statsmodels.stats.multitest import multipletests

    assert np.allclose(tt["q"], multipletests(tt["p"], method="fdr_bh")[1], rtol=1e-12)
    assert tt["note"].str.contains("US-sim-08 (en only)", regex=False).all()


def test_rank_biserial_by_hand(sim, results):
    # Kerby's simple difference over the non-zero paired differences, computed with scipy's ranks
    n = sim.drop_duplicates(["model", "language", "replicate"]).groupby(["model", "language"]).size().unstack()
    paired = n.dropna().index
    means = sim.groupby(["model", "language", "term"])["rank"].mean().unstack("language")
    for term in ("Harmony", "Clarity", "Simplicity"):
        m = means.xs(term, level="term").loc[paired]
        d = (m["zh"] - m["en"]).to_numpy()
        d = d[d != 0]
        r = stats.rankdata(np.abs(d))
        expected = (r[d > 0].sum() - r[d < 0].sum()) / r.sum()
        got = results["language_term_tests"].set_index("term").loc[term, "r_rb"]
        assert got == pytest.approx(expected, rel=1e-12)


def test_dimension_tests_and_anova_equal_r_called_directly(results, reference):
    dt = results["language_dimension_tests"].set_index("dimension")
    for ref in reference["dims"]:
        assert dt.loc[ref["dimension"], "V"] == ref["V"]
        assert dt.loc[ref["dimension"], "p"] == pytest.approx(ref["p"], rel=1e-12)
    an = results["language_anova"].set_index("effect")
    assert list(an.index) == ["country", "language", "dimension", "country:language", "country:dimension",
                              "language:dimension", "country:language:dimension"]
    for ref in reference["anova"]:
        row = an.loc[ref["effect"]]
        for col in ("F", "p", "pes", "df1", "df2", "p_gg"):
            assert row[col] == pytest.approx(ref[col], rel=1e-10), (ref["effect"], col)
    for e in ("country", "language", "country:language"):
        assert pd.isna(an.loc[e, "F"]) and pd.isna(an.loc[e, "p"]) and "0/0" in an.loc[e, "note"]


def test_consistency_equals_cor_scipy_and_the_w_formula(sim, results, reference):
    lc = results["language_consistency"].set_index("model")
    assert list(results["language_consistency"].columns) == [
        "model", "country", "spearman", "kendall", "W_zh", "W_en", "n_zh", "n_en", "note"]
    means = sim.groupby(["model", "language", "term"])["rank"].mean()
    for ref in reference["models"]:
        row = lc.loc[ref["model"]]
        for col in ("spearman", "kendall", "W_zh", "W_en"):
            if ref[col] is None:
                assert pd.isna(row[col]), (ref["model"], col)
            else:
                assert row[col] == pytest.approx(ref[col], rel=1e-12), (ref["model"], col)
        if ref["spearman"] is not None:
            a = means.loc[(ref["model"], "zh")]
            b = means.loc[(ref["model"], "en")].reindex(a.index)
            assert row["spearman"] == pytest.approx(stats.spearmanr(a, b)[0], rel=1e-12)
            assert row["kendall"] == pytest.approx(stats.kendalltau(a, b)[0], rel=1e-12)  # tau-b
    assert "no rankings in zh" in lc.loc["US-sim-08", "note"]
    # per-country mean of the per-model rho (bootstrap CI brackets it)
    cs = results["language_consistency_summary"]
    for g in ("CN", "US"):
        row = cs[(cs["group"] == g) & (cs["method"] == "spearman")].iloc[0]
        rhos = [r["spearman"] for r in reference["models"] if r["country"] == g and r["spearman"] is not None]
        assert row["mean"] == pytest.approx(np.mean(rhos), rel=1e-12)
        assert row["n_models"] == len(rhos)
        assert row["ci_low"] <= row["mean"] <= row["ci_high"]
    # concordance: within-language W beside the pooled one
    co = results["concordance"].set_index("model")
    assert list(results["concordance"].columns[:6]) == ["model", "country", "n_replicates", "W", "W_zh", "W_en"]
    assert np.allclose(co.loc[lc.index, "W_zh"], lc["W_zh"], equal_nan=True)


def test_one_prompt_language_and_the_skip_reason(sim):
    res = analysis.run(sim, language="zh", nboot=20, ci_nboot=200, parity=False)
    mtm = res["model_term_means"]
    assert "US-sim-08" not in set(mtm["model"])  # no zh rankings
    assert mtm.loc[mtm["model"] == "CN-sim-08", "n_rankings"].iloc[0] == 3
    assert "language_term_tests" not in res.tables
    reason = res.skipped.set_index("analysis").filter(like="language_term_tests", axis=0)["reason"].iloc[0]
    assert "one prompt language only (zh)" in reason
    assert "only the rankings with prompt language 'zh'" in res.provenance
    assert res.settings["language"] == "zh"
    with pytest.raises(PyvaluesError, match="its languages are zh, en"):
        analysis.run(sim, language="fr", parity=False)


def test_report_section_says_why_for_one_language(tmp_path):
    from pyvalues.report import render_report

    res = analysis.run(make_rank_table(n_cn=3, n_us=3, reps=2, seed=9), nboot=20, ci_nboot=200, parity=False)
    html = render_report(res)
    assert 'id="language"' in html and "Not analysed for this data" in html
    assert "one prompt language only (en)" in html


def test_language_figures_and_report_for_two_languages(results, tmp_path):
    from pyvalues.figures import draw_all
    from pyvalues.report import render_report

    paths = draw_all(results, tmp_path, formats=("png",))
    names = {p.name for p in paths}
    assert {"figL1_language_shift.png", "figL2_language_rho.png"} <= names
    assert not list(tmp_path.glob("figL*.absent.txt"))
    html = render_report(results, figures=paths)
    assert "Fig. L-1." in html and "SIMULATED data" in html and "Harmony" in html
    from pyvalues.figures.language import figL1_language_shift

    import matplotlib.pyplot as plt

    fig = figL1_language_shift(results)
    texts = " ".join(t.get_text() for t in fig.findobj(plt.Text))
    assert "SIMULATED data" in texts and "lower rank = more important" in texts and "US-sim-08" in texts
    plt.close(fig)


def test_cli_by_language_and_deprecated_language_flag(tmp_path):
    out = tmp_path / "out"
    res = subprocess.run(
        [sys.executable, "-m", "pyvalues.analysis", "--data", "language_simulation", "--out", str(out),
         "--no-figures", "--no-parity", "--nboot", "20", "--by-language", "--language", "en"],
        capture_output=True, text=True, cwd=ROOT, timeout=900,
    )
    assert res.returncode == 0, res.stderr
    assert "--language is deprecated" in res.stderr and "--labels" in res.stderr
    assert "Prompt language (zh - en" in res.stdout and "SIMULATED data" in res.stdout
    assert (out / "language_term_tests.csv").exists()
    for code in ("zh", "en"):
        assert (out / f"language_{code}" / "term_means.csv").exists()
        assert not (out / f"language_{code}" / "language_term_tests.csv").exists()
        manifest = json.loads((out / f"language_{code}" / "manifest.json").read_text())
        assert manifest["data"]["languages"] == [code]
