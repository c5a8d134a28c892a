"""The reconstruction's evaluator (numba kernels) against R, on the bundled reconstruction.

Every statistic the search optimises is recomputed here by R itself (friedman.test,
afex::aov_ez, pairwise paired t.test, wilcox.test, t.test, effectsize::hedges_g, cor,
hclust/cutree and pvclust) or by scipy where R lacks the test (Brunner-Munzel:
scipy.stats.brunnermunzel, the same formula as the brunnermunzel package), and compared with
pyvalues_reconstruct.evaluate_ranks. A design of another shape (from a claims file's design
rows) is checked against scipy. The tool is the `reconstruct` extra (numba).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

pytest.importorskip("numba", reason="the reconstruction is the 'reconstruct' extra: pip install -e '.[reconstruct]'")
import pyvalues_reconstruct as rc  # noqa: E402
from pyvalues.crosscheck.design import MODEL_COUNTRY, MODEL_NAMES
from pyvalues.instrument import DIMENSIONS, TERM_NAMES

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT / "data-raw" / "paper2026_reconstruction.csv"

NO_R = "Rscript not installed (apt-get install r-base-core r-cran-afex r-cran-pvclust r-cran-effectsize r-cran-jsonlite)"

R_CODE = r"""
suppressPackageStartupMessages({library(afex); library(jsonlite); library(pvclust)})
x <- read.csv(commandArgs(TRUE)[1], stringsAsFactors = FALSE)
models <- strsplit(commandArgs(TRUE)[2], "|", fixed = TRUE)[[1]]
terms <- strsplit(commandArgs(TRUE)[3], "|", fixed = TRUE)[[1]]
dims <- c("Practical", "Epistemic", "Social", "Protective", "Personal")
out <- list()
# Kendall's W from Friedman's chi-square: W = chisq / (m (n - 1))
W <- sapply(models, function(m) {
  y <- x[x$model == m, ]
  mat <- xtabs(rank ~ replicate + term, data = y)
  ft <- friedman.test(mat)
  c(unname(ft$statistic) / (nrow(mat) * (ncol(mat) - 1)), ft$p.value)
})
out$W <- unname(W[1, ]); out$friedman_p <- unname(W[2, ])
# term means M (terms x models) and dimension scores
M <- sapply(models, function(m) sapply(terms, function(t) mean(x$rank[x$model == m & x$term == t])))
country <- sapply(models, function(m) x$country[x$model == m][1])
dimof <- sapply(terms, function(t) x$dimension[x$term == t][1])
d <- expand.grid(model = models, dimension = dims, stringsAsFactors = FALSE)
d$country <- country[d$model]
d$score <- mapply(function(m, D) mean(x$rank[x$model == m & x$dimension == D]), d$model, d$dimension)
d$sd <- mapply(function(m, D) sd(M[dimof == D, m]), d$model, d$dimension)
out$dim_mean <- sapply(dims, function(D) mean(d$score[d$dimension == D]))
out$mean_sd <- sapply(dims, function(D) mean(d$sd[d$dimension == D]))
a1 <- aov_ez(id = "model", dv = "sd", data = d, within = "dimension",
             anova_table = list(correction = "none", es = "pes"))
out$disp_F <- a1$anova_table$F; out$disp_p <- a1$anova_table$`Pr(>F)`; out$disp_pes <- a1$anova_table$pes
a1gg <- aov_ez(id = "model", dv = "sd", data = d, within = "dimension",
               anova_table = list(correction = "GG"))
out$disp_p_gg <- a1gg$anova_table$`Pr(>F)`
post <- c()
for (i in 1:4) for (j in (i + 1):5) {
  xa <- d$sd[d$dimension == dims[i]]; xb <- d$sd[d$dimension == dims[j]]
  post <- c(post, min(1, 10 * t.test(xa, xb, paired = TRUE)$p.value))
}
out$posthoc <- post
grp <- list()
for (D in dims) {
  cn <- d$score[d$dimension == D & d$country == "CN"]; us <- d$score[d$dimension == D & d$country == "US"]
  wt <- suppressWarnings(wilcox.test(cn, us))
  tt <- t.test(cn, us)
  g <- effectsize::hedges_g(cn, us)$Hedges_g
  grp[[D]] <- c(median(cn), median(us), mean(cn), sd(cn), mean(us), sd(us), unname(wt$statistic),
                wt$p.value, unname(tt$statistic), unname(tt$parameter), tt$p.value, g)
}
out$grp <- grp
out$q_mwu <- p.adjust(sapply(grp, function(v) v[8]), "BH")
a2 <- aov_ez(id = "model", dv = "score", data = d, between = "country", within = "dimension",
             type = 3, anova_table = list(correction = "none", es = "pes"))
tab <- a2$anova_table
out$mixed_dim <- c(tab["dimension", "F"], tab["dimension", "pes"], tab["dimension", "Pr(>F)"])
out$mixed_int <- c(tab["country:dimension", "F"], tab["country:dimension", "pes"], tab["country:dimension", "Pr(>F)"])
rs <- cor(M, method = "spearman"); kt <- cor(M, method = "kendall")
pairs_of <- function(C, g) { idx <- which(country == g); v <- C[idx, idx]; v[upper.tri(v)] }
out$cor <- c(mean(pairs_of(rs, "CN")), sd(pairs_of(rs, "CN")), mean(pairs_of(rs, "US")), sd(pairs_of(rs, "US")),
             mean(pairs_of(kt, "CN")), sd(pairs_of(kt, "CN")), mean(pairs_of(kt, "US")), sd(pairs_of(kt, "US")))
out$term_sd <- unname(apply(M, 1, sd))  # SD over models of each term's mean rank (the heat map)
hc <- hclust(as.dist(1 - cor(M)), method = "average")
out$cutree <- unname(cutree(hc, k = 4))
pv <- pvclust(M, method.hclust = "average", method.dist = "correlation", nboot = 10, iseed = 1, quiet = TRUE)
out$pv_cutree <- unname(cutree(pv$hclust, k = 4))
cat(toJSON(out, digits = NA, auto_unbox = FALSE))
"""


@pytest.fixture(scope="module")
def both():
    if shutil.which("Rscript") is None:
        pytest.skip(NO_R)
    if not CSV.exists():
        pytest.skip(f"{CSV} not built yet: run python data-raw/reconstruct_paper.py")
    table = pd.read_csv(CSV)
    P = rc.ranks_from_table(table)
    ev = rc.evaluate_ranks(P)
    res = subprocess.run(
        ["Rscript", "--vanilla", "-e", R_CODE, str(CSV), "|".join(MODEL_NAMES), "|".join(TERM_NAMES)],
        capture_output=True, text=True, check=True,
    )
    return table, P, ev, json.loads(res.stdout)


def test_bundled_table_has_the_papers_shape(both):
    table, P, _, _ = both
    assert len(table) == 20 * 3 * 25
    assert (table.language == "unspecified").all()
    assert table.groupby("model").country.first().to_dict() == MODEL_COUNTRY
    for j in range(20):
        for r in range(3):
            assert sorted(P[j, r]) == list(range(1, 26))


def test_term_sd_and_its_rank_match_r(both):
    _, _, ev, r = both
    np.testing.assert_allclose([ev[f"term_sd|{t}"] for t in TERM_NAMES], r["term_sd"], rtol=0, atol=1e-12)
    # rank 1 = largest SD (R's rank of -sd; no ties in the bundled data)
    assert len(set(np.round(r["term_sd"], 12))) == 25
    want = pd.Series(r["term_sd"]).rank(ascending=False).astype(int).tolist()
    assert [int(ev[f"term_sd_rank|{t}"]) for t in TERM_NAMES] == want


def test_kendall_w_and_friedman_match_r(both):
    _, _, ev, r = both
    np.testing.assert_allclose([ev[f"W|{m}"] for m in MODEL_NAMES], r["W"], rtol=0, atol=1e-12)
    np.testing.assert_allclose([ev[f"friedman_p|{m}"] for m in MODEL_NAMES], r["friedman_p"],
                               rtol=1e-9, atol=1e-15)


def test_dimension_means_and_dispersion_anova_match_afex(both):
    _, _, ev, r = both
    np.testing.assert_allclose([ev[f"dim_mean|{D}"] for D in DIMENSIONS], r["dim_mean"], atol=1e-12)
    np.testing.assert_allclose([ev[f"mean_sd|{D}"] for D in DIMENSIONS], r["mean_sd"], atol=1e-12)
    assert ev["disp|F"] == pytest.approx(r["disp_F"][0], rel=1e-9)
    assert ev["disp|p"] == pytest.approx(r["disp_p"][0], rel=1e-6, abs=1e-15)
    assert ev["disp|pes"] == pytest.approx(r["disp_pes"][0], rel=1e-9)
    assert ev["disp|p_gg"] == pytest.approx(r["disp_p_gg"][0], rel=1e-6, abs=1e-15)
    ours = [ev[f"posthoc|{DIMENSIONS[a]}|{DIMENSIONS[b]}"] for a, b in rc.paper_study().layout.pairs()]
    np.testing.assert_allclose(ours, r["posthoc"], rtol=1e-8, atol=1e-15)


def test_group_tests_match_wilcox_and_welch(both):
    _, _, ev, r = both
    fields = ["median_cn", "median_us", "mean_cn", "sd_cn", "mean_us", "sd_us", "U", "p_mwu",
              "t", "df", "p_welch", "hedges_g"]
    for D in DIMENSIONS:
        ours = [ev[f"grp|{D}|{f}"] for f in fields]
        np.testing.assert_allclose(ours, r["grp"][D], rtol=1e-8, atol=1e-12, err_msg=D)
        assert ev[f"grp|{D}|r_rb"] == pytest.approx(1 - 2 * r["grp"][D][6] / 99)
    np.testing.assert_allclose([ev[f"grp|{D}|q_mwu"] for D in DIMENSIONS], r["q_mwu"], rtol=1e-9)


def test_mixed_anova_matches_afex_type3(both):
    _, _, ev, r = both
    assert [ev["mixed|dimension|F"], ev["mixed|dimension|pes"], ev["mixed|dimension|p"]] == \
        pytest.approx(r["mixed_dim"], rel=1e-8, abs=1e-15)
    assert [ev["mixed|country:dimension|F"], ev["mixed|country:dimension|pes"],
            ev["mixed|country:dimension|p"]] == pytest.approx(r["mixed_int"], rel=1e-8)


def test_within_group_correlations_match_cor(both):
    _, _, ev, r = both
    ours = [ev[f"cor|{m}|{g}|{q}"] for m in ("spearman", "kendall") for g in ("CN", "US")
            for q in ("mean", "sd")]
    np.testing.assert_allclose(ours, r["cor"], rtol=1e-10, atol=1e-12)


def test_clusters_match_hclust_and_pvclust(both):
    _, _, ev, r = both
    ours = [ev["cluster_labels"][m] for m in MODEL_NAMES]
    assert ours == r["cutree"]
    assert ours == r["pv_cutree"]


def test_term_tests_match_scipy_brunner_munzel_and_hand_cliffs_delta(both):
    _, P, ev, _ = both
    M = P.sum(axis=1) / 3.0
    cn = np.array([MODEL_COUNTRY[m] == "CN" for m in MODEL_NAMES])
    for t, term in enumerate(TERM_NAMES):
        x, y = M[cn, t], M[~cn, t]
        # Cliff's delta written out: P(CN > US) - P(CN < US) over the 99 pairs
        delta = (np.sign(x[:, None] - y[None, :])).sum() / (len(x) * len(y))
        assert ev[f"delta|{term}"] == pytest.approx(delta, abs=1e-12)
        res = sps.brunnermunzel(x, y)
        if np.isfinite(res.statistic):
            assert ev[f"bm_stat|{term}"] == pytest.approx(res.statistic, rel=1e-9)
            assert ev[f"bm_p|{term}"] == pytest.approx(res.pvalue, rel=1e-7, abs=1e-14)


def test_fit_table_reports_every_claim(both):
    fit = pd.read_csv(ROOT / "data-raw" / "paper2026_reconstruction_fit.csv", dtype=str,
                      keep_default_na=False)
    claims = pd.read_csv(ROOT / "data-raw" / "claims" / "paper2026.csv", dtype=str)
    # every claim of the claims file has a row (the search was rerun after issue 11's new claims)
    assert set(claims.claim_id) <= set(fit.claim_id)
    # the country effect of the mixed ANOVA is identically 0 for complete rankings
    row = fit.set_index("claim_id").loc["mixed_country_F"]
    assert row.feasible == "no" and float(row.reconstruction) == 0.0




# --- the tool's place and its shape ----------------------------------------------------------
def test_core_packages_do_not_import_the_reconstruction_or_numba():
    code = ("import sys, pyvalues.crosscheck, pyvalues.crosscheck.__main__, pyvalues.analysis, pyvalues.datasets; "
            "print('pyvalues_reconstruct' in sys.modules, 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"]


def test_without_numba_the_error_names_the_extra():
    # numba made unimportable: the targets still load, the kernels fail with the install command
    code = ("import sys; sys.modules['numba'] = None; import pyvalues_reconstruct as rc; "
            "t = rc.load_targets('data-raw/claims/paper2026.csv'); print(len(t)); rc.load_kernels()")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode != 0
    # one target per claims row (plus supplementary ones from the paper's text)
    assert int(out.stdout) >= len(pd.read_csv(ROOT / "data-raw" / "claims" / "paper2026.csv"))
    assert "pip install -e '.[reconstruct]'" in out.stderr


def test_paper_layout_is_the_353_slot_vector():
    # block sizes written out by hand for 20 models, 5 dimensions (10 pairs, 14 group
    # quantities each), 25 terms: W, Friedman p, dim mean, Primary, Secondary, mean SD, rm-ANOVA,
    # post hoc, group block, mixed ANOVA, correlations, delta, BM p, BM q, n sig, BM stat, BM df,
    # GG, gap, paired differences, term SD over models, its rank
    sizes = [20, 20, 5, 5, 5, 5, 3, 10, 70, 9, 12, 25, 25, 25, 1, 25, 25, 2, 1, 10, 25, 25]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    L = rc.paper_study().layout
    fields = ["O_W", "O_FP", "O_DIMMEAN", "O_PRIM", "O_SEC", "O_DSD", "O_DISP", "O_POST", "O_GRP", "O_MIX",
              "O_COR", "O_DELTA", "O_BMP", "O_BMQ", "O_NSIG", "O_BMSTAT", "O_BMDF", "O_DISP_GG", "O_DGAP",
              "O_PDIFF", "O_TSD", "O_TSDR"]
    assert [getattr(L, f) for f in fields] == list(starts)
    assert L.NSTAT == 353 == sum(sizes)
    assert (L.NM, L.N_CN, L.N_US, L.NR, L.NT, L.ND, L.TPD, L.NK) == (20, 11, 9, 3, 25, 5, 5, 4)
    assert rc.paper_study().models == tuple(MODEL_NAMES)


SMALL_CLAIMS = """claim_id,location,test,quantity,subject,statistic,reported,relation,decimals,df1,df2,n1,n2,companion,result_table,result_row,result_column
design_n_models,x,design,count,models,7 models,7,=,0,,,,,,,,
design_n_cn,x,design,count,CN,4 CN,4,=,0,,,,,,,,
design_n_us,x,design,count,US,3 US,3,=,0,,,,,,,,
design_n_terms,x,design,count,terms,8 terms,8,=,0,,,,,,,,
design_n_dimensions,x,design,count,dimensions,4 dimensions,4,=,0,,,,,,,,
design_terms_per_dimension,x,design,count,terms per dimension,2 per dimension,2,=,0,,,,,,,,
design_n_replicates,x,design,count,replicates,2 replicates,2,=,0,,,,,,,,
n_clusters,x,count,count,clusters,two clusters,2,=,0,,,,,,,,
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A study of another shape: 4 CN + 3 US models, 2 replicates, 4 dimensions x 2 terms."""
    path = tmp_path_factory.mktemp("claims") / "small.csv"
    rows = [f"country_m{j},x,design,country,m{j},m{j},{'CN' if j < 4 else 'US'},=,,,,,,,,,"
            for j in range(7)]
    path.write_text(SMALL_CLAIMS + "\n".join(rows) + "\n", encoding="utf-8")
    study = rc.study_from_claims(path)
    rng = np.random.default_rng(5)
    P = np.array([[rng.permutation(8) + 1 for _ in range(2)] for _ in range(7)], dtype=np.int64)
    return path, study, P


def test_another_shape_is_read_from_the_design_rows(small):
    _, study, _ = small
    L = study.layout
    assert (L.NM, L.N_CN, L.N_US, L.NR, L.NT, L.ND, L.TPD, L.NK) == (7, 4, 3, 2, 8, 4, 2, 2)
    # 7 + 7 + 4 x 4 + 3 + 6 + 4 x 14 + 9 + 12 + 8 x 5 + 1 + 2 + 1 + 6 + 8 x 2 (term SD, its rank; by hand)
    assert L.NSTAT == 7 + 7 + 16 + 3 + 6 + 56 + 9 + 12 + 40 + 1 + 2 + 1 + 6 + 16
    assert len(rc.stat_names(study)) == L.NSTAT


def test_another_shape_evaluates_like_scipy(small):
    _, study, P = small
    ev = rc.evaluate_ranks(P, study)
    cn = study.is_cn
    for j, m in enumerate(study.models):
        chi2 = sps.friedmanchisquare(*P[j].T).statistic  # m = 2 rankings of n = 8 items
        assert ev[f"W|{m}"] == pytest.approx(chi2 / (2 * 7), abs=1e-12)
    d = P.sum(axis=1).reshape(7, 4, 2).sum(axis=2) / 4.0  # dimension scores: 2 terms x 2 replicates
    for D, dim in enumerate(study.dimensions):
        assert ev[f"dim_mean|{dim}"] == pytest.approx(d[:, D].mean(), abs=1e-12)
        w = sps.ttest_ind(d[cn, D], d[~cn, D], equal_var=False)
        assert ev[f"grp|{dim}|t"] == pytest.approx(w.statistic, rel=1e-9)
        assert ev[f"grp|{dim}|p_welch"] == pytest.approx(w.pvalue, rel=1e-7)
        u = sps.mannwhitneyu(d[cn, D], d[~cn, D], alternative="two-sided",
                             method="exact" if len(set(d[:, D])) == 7 else "asymptotic")
        assert ev[f"grp|{dim}|U"] == u.statistic
        assert ev[f"grp|{dim}|p_mwu"] == pytest.approx(u.pvalue, rel=1e-7)
    M = P.sum(axis=1) / 2.0
    rho = np.array([[sps.spearmanr(M[i], M[k]).statistic for k in range(7)] for i in range(7)])
    iu = np.triu_indices(4, 1)
    assert ev["cor|spearman|CN|mean"] == pytest.approx(rho[:4, :4][iu].mean(), abs=1e-12)
    # average-linkage clusters on 1 - Pearson, cut at the study's 2 clusters (scipy)
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform
    dist = 1 - np.corrcoef(M)
    np.fill_diagonal(dist, 0)
    ref = fcluster(linkage(squareform(dist, checks=False), "average"), 2, "maxclust")
    ours = [ev["cluster_labels"][m] for m in study.models]
    assert len(set(ours)) == 2
    assert {frozenset(np.flatnonzero(ref == c)) for c in set(ref)} == \
        {frozenset(np.flatnonzero(np.array(ours) == c)) for c in set(ours)}


def test_another_shape_can_be_searched(small):
    path, study, _ = small
    targets = rc.load_targets(path)
    assert targets.study == study
    P, pen, _ = rc._chain((targets, 1, 2000, 0.5, 0.001, 2000))
    assert P.shape == (7, 2, 8)
    for j in range(7):
        for r in range(2):
            assert sorted(P[j, r]) == list(range(1, 9))
    table = rc.ranks_to_table(P, study)
    assert len(table) == 7 * 2 * 8 and set(table.country) == {"CN", "US"}
    fit = rc.fit_table(targets, P)
    design = fit.set_index("claim_id")
    # the design rows are counted from the reconstruction itself
    assert design.loc["design_n_terms", "reconstruction"] == "8"
    assert design.loc["design_n_replicates", "reconstruction"] == "2"
    assert design.loc["n_clusters", "reconstruction"] == "2"


def test_rankings_of_the_wrong_shape_are_refused(small):
    _, study, P = small
    with pytest.raises(ValueError, match="7 models x 2 replicates x 8 terms"):
        rc.evaluate_ranks(np.zeros((20, 3, 25), dtype=np.int64), study)
