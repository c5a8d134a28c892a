"""Python twins of the R statistics and the parity table (issue 2, point 7).

The reference values come from R called directly through ``Rscript``: afex::aov_ez,
stats::t.test / wilcox.test / friedman.test / cor / hclust / cutree / p.adjust,
effectsize::hedges_g and rank_biserial (= Cliff's delta for two samples). Term means
are recomputed in base R from the integer rank sums, not with pyvalues' own R
aggregation. Brunner–Munzel uses ``bm_test`` from R/brunnermunzel.R because the CRAN
package is not installed here; that implementation is itself tested against the
package's outputs (tests/testthat/test-brunnermunzel.R, ../shared/reference).
``pv_analyse`` is run only for the parity-table tests, which compare R's result tables
with the twins as the package will.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pyvalues.analysis.parity import ABS_TOL, REL_TOL, is_p_value, parity_table
from pyvalues.analysis.twins import MWU_ASYMPTOTIC, MWU_EXACT, python_twins
from pyvalues.instrument import TERM_NAMES

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("Rscript") is None,
                                reason="Rscript not found: run the README's set-up (Debian r-base and r-cran-*)")

R_PRELUDE = r"""
args <- commandArgs(TRUE)
root <- args[1]; infile <- args[2]; outfile <- args[3]
options(pyvalues.source_root = root)
for (f in list.files(file.path(root, "R"), full.names = TRUE)) source(f, encoding = "UTF-8")
tab <- read.csv(infile, stringsAsFactors = FALSE)
"""

R_REFERENCE = R_PRELUDE + r"""
suppressMessages({library(afex)})
inst <- pv_instrument()
dims <- pv_dimensions()
models <- sort(unique(tab$model))
country <- tab$country[match(models, tab$model)]
rk <- unique(tab[, c("model", "language", "replicate")])
n_rank <- as.numeric(table(factor(rk$model, levels = models)))
sums <- tapply(tab$rank, list(factor(tab$model, levels = models), factor(tab$term, levels = inst$term)), sum)
M <- t(sums / n_rank)                       # 25 terms x models, rank sums divided once
ds <- do.call(rbind, lapply(seq_along(models), function(i) do.call(rbind, lapply(dims, function(dm) {
  j <- inst$dimension == dm
  data.frame(model = models[i], country = country[i], dimension = dm,
             score = sum(sums[i, j]) / (5 * n_rank[i]), sd_within = sd(M[j, i]))
}))))
ds$dimension <- factor(ds$dimension, levels = dims)
res <- list()
res$dimension_scores <- transform(ds, dimension = as.character(dimension))

tidy <- function(fit) {
  at <- fit$anova_table
  out <- data.frame(effect = rownames(at), df1 = at[["num Df"]], df2 = at[["den Df"]], F = at[["F"]],
                    p = at[["Pr(>F)"]], pes = at[["pes"]], gg_eps = NA_real_, p_gg = NA_real_)
  adj <- suppressWarnings(summary(fit)$pval.adjustments)
  i <- match(rownames(adj), out$effect)
  out$gg_eps[i] <- adj[, "GG eps"]; out$p_gg[i] <- adj[, "Pr(>F[GG])"]
  out
}
aov_args <- list(type = 3, anova_table = list(es = "pes", correction = "none"))
fit <- suppressWarnings(suppressMessages(do.call(afex::aov_ez, c(list(id = "model", dv = "sd_within",
                        data = ds, within = "dimension"), aov_args))))
res$dispersion_anova <- tidy(fit)

post <- NULL
for (a in 1:4) for (b in (a + 1):5) {
  x <- ds$sd_within[ds$dimension == dims[a]][order(ds$model[ds$dimension == dims[a]])]
  y <- ds$sd_within[ds$dimension == dims[b]][order(ds$model[ds$dimension == dims[b]])]
  tt <- t.test(x, y, paired = TRUE)
  post <- rbind(post, data.frame(group1 = dims[a], group2 = dims[b], n = length(x), mean_diff = mean(x - y),
                                 statistic = unname(tt$statistic), df = unname(tt$parameter), p = tt$p.value))
}
post$p_adj <- p.adjust(post$p, "bonferroni")
res$dispersion_posthoc <- post

groups <- c("CN", "US")
if (all(table(country)[groups] >= 2, na.rm = FALSE) && all(groups %in% country)) {
  dt <- do.call(rbind, lapply(dims, function(dm) {
    x <- ds$score[ds$dimension == dm & ds$country == "CN"]
    y <- ds$score[ds$dimension == dm & ds$country == "US"]
    w <- suppressWarnings(wilcox.test(x, y))
    tt <- t.test(x, y)
    data.frame(dimension = dm, U = unname(w$statistic), p_mwu = w$p.value,
               r_rb = 1 - 2 * unname(w$statistic) / (length(x) * length(y)),
               t = unname(tt$statistic), df = unname(tt$parameter), p_welch = tt$p.value,
               hedges_g = effectsize::hedges_g(x, y, pooled_sd = TRUE)$Hedges_g, method = w$method)
  }))
  dt$q_mwu <- p.adjust(dt$p_mwu, "BH"); dt$q_welch <- p.adjust(dt$p_welch, "BH")
  res$dimension_tests <- dt
  ds2 <- ds; ds2$country <- factor(ds2$country, levels = groups)
  fit <- suppressWarnings(suppressMessages(do.call(afex::aov_ez, c(list(id = "model", dv = "score",
                          data = ds2, between = "country", within = "dimension"), aov_args))))
  res$mixed_anova <- tidy(fit)
  options(pyvalues.bm_impl = "auto")
  tt <- do.call(rbind, lapply(inst$term, function(t) {
    x <- M[t, country == "CN"]; y <- M[t, country == "US"]
    b <- pv_bm_test(x, y)
    data.frame(term = t, statistic = b$statistic, df = b$df, p = b$p, estimate = b$estimate,
               cliffs_delta = effectsize::rank_biserial(x, y)$r_rank_biserial)
  }))
  tt$q <- p.adjust(tt$p, "BH")
  res$term_tests <- tt
}

rho <- cor(M, method = "spearman"); tau <- cor(M, method = "kendall")
ij <- which(upper.tri(rho), arr.ind = TRUE)
pairs <- data.frame(model1 = models[ij[, 1]], model2 = models[ij[, 2]],
                    g = ifelse(country[ij[, 1]] == country[ij[, 2]], country[ij[, 1]], "between"),
                    spearman = rho[ij], kendall = tau[ij])
res$correlation_pairs <- pairs
cs <- NULL
for (g in c(sort(unique(country)), "all")) for (m in c("spearman", "kendall")) {
  x <- pairs[[m]][if (g == "all") TRUE else pairs$g == g]
  k <- length(x)
  ci <- if (k >= 2) t.test(x)$conf.int else c(NA, NA)
  cs <- rbind(cs, data.frame(group = g, method = m, n_pairs = k, mean = mean(x), sd = sd(x),
                             ci_low_t = ci[1], ci_high_t = ci[2]))
}
res$correlations <- cs

if (all(n_rank >= 2)) {
  res$concordance <- do.call(rbind, lapply(models, function(m) {
    x <- tab[tab$model == m, ]
    y <- tapply(x$rank, list(paste(x$language, x$replicate), factor(x$term, levels = inst$term)), identity)
    storage.mode(y) <- "double"
    ft <- friedman.test(y)
    data.frame(model = m, W = unname(ft$statistic) / (nrow(y) * (ncol(y) - 1)), chisq = unname(ft$statistic),
               df = unname(ft$parameter), p = ft$p.value)
  }))
}
hc <- hclust(as.dist(1 - cor(M)), method = "average")
res$cluster_edges <- data.frame(edge = seq_along(hc$height), height = hc$height)
res$clusters <- data.frame(model = models, cluster = unname(cutree(hc, k = min(4, length(models)))))
e <- list2env(res)
save(list = names(res), envir = e, file = outfile)
"""

R_PV_ANALYSE = R_PRELUDE + r"""
res <- pv_analyse(tab, nboot = 20, ci_nboot = 200, seed = 1)
res <- res[vapply(res, function(x) is.data.frame(x) && nrow(x) > 0, logical(1))]
e <- list2env(res)
save(list = names(res), envir = e, file = outfile)
"""


def _run_r(script: str, table: pd.DataFrame, tmp_path: Path, name: str) -> dict[str, pd.DataFrame]:
    import pyreadr

    src, data, out = tmp_path / f"{name}.R", tmp_path / f"{name}.csv", tmp_path / f"{name}.RData"
    src.write_text(script, encoding="utf-8")
    table.to_csv(data, index=False)
    proc = subprocess.run(["Rscript", str(src), str(ROOT), str(data), str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"Rscript failed:\n{proc.stderr[-3000:]}"
    return {k: v for k, v in pyreadr.read_r(str(out)).items()}


# ------------------------------------------------------------------ seeded rank tables


def make_table(n_cn=11, n_us=9, n_rep=3, seed=1, shift_scale=0.35, tie_heavy=False, separate_term=None,
               languages=("en",)) -> pd.DataFrame:
    """Rankings from a latent utility: shared base + country shift + model effect + noise.

    ``tie_heavy`` draws every ranking from three fixed permutations, so many models share
    identical term-mean vectors; ``separate_term`` gives that term rank 1 in every CN
    ranking and 25 in every US ranking (non-overlapping samples).
    """
    rng = np.random.default_rng(seed)
    base = rng.normal(size=25) * 2
    shift = rng.normal(size=25) * shift_scale
    protos = [rng.permutation(25) + 1 for _ in range(3)]
    rows = []
    for i in range(n_cn + n_us):
        country = "CN" if i < n_cn else "US"
        pref = base + (shift if country == "CN" else -shift) + rng.normal(size=25) * 0.7
        for lang in languages:
            for r in range(1, n_rep + 1):
                if tie_heavy:
                    ranks = (protos[(i + (r > 1)) % 3] if country == "CN" else protos[(i // 2 + 1) % 3]).copy()
                else:
                    ranks = np.argsort(np.argsort(pref + rng.normal(size=25))) + 1
                if separate_term is not None:
                    j = TERM_NAMES.index(separate_term)
                    k = int(np.flatnonzero(ranks == (1 if country == "CN" else 25))[0])
                    ranks[k], ranks[j] = ranks[j], ranks[k]
                rows += [dict(model=f"{country}-{i:02d}", country=country, language=lang, replicate=r,
                              term=t, rank=int(x)) for t, x in zip(TERM_NAMES, ranks)]
    return pd.DataFrame(rows)


TABLES = {
    "cn11_us9_rep3": lambda: make_table(),
    "tie_heavy": lambda: make_table(n_cn=6, n_us=6, n_rep=2, seed=7, tie_heavy=True,
                                    separate_term="Helpfulness"),
    "seven_models_one_replicate": lambda: make_table(n_cn=4, n_us=3, n_rep=1, seed=3, shift_scale=1.0),
    "two_languages_rep5": lambda: make_table(n_cn=5, n_us=4, n_rep=5, seed=11, languages=("zh", "en")),
}


@pytest.fixture(scope="module", params=sorted(TABLES))
def case(request, tmp_path_factory):
    table = TABLES[request.param]()
    ref = _run_r(R_REFERENCE, table, tmp_path_factory.mktemp(request.param), "reference")
    return request.param, table, ref, python_twins(table)


def _close(r, py, what):
    """Relative 1e-8; for statistics other than p/q an absolute 1e-12 too (see parity.py)."""
    r, py = np.asarray(r, float), np.asarray(py, float)
    both_nan = np.isnan(r) & np.isnan(py)
    same_inf = np.isinf(r) & (r == py)
    scale = np.maximum(np.abs(r), np.abs(py))
    rel = np.where(scale > 0, np.abs(r - py) / np.where(scale > 0, scale, 1), 0.0)
    floor = 0.0 if is_p_value(what.split()[-1]) else ABS_TOL
    ok = both_nan | same_inf | (rel <= REL_TOL) | (np.abs(r - py) <= floor)
    assert ok.all(), f"{what}: R {r[~ok]} vs Python {py[~ok]} (rel diff {rel[~ok]})"
    return float(np.nanmax(np.where(both_nan | same_inf, 0, rel))) if rel.size else 0.0


def _merge(ref, py, key):
    return ref.merge(py, on=key, suffixes=("_r", "_py"), validate="one_to_one")


# ------------------------------------------------------------------ twins vs R called directly


def test_dimension_scores_are_one_division(case):
    _, _, ref, tw = case
    m = _merge(ref["dimension_scores"], tw["model_dimension_scores"], ["model", "dimension"])
    assert len(m) == len(ref["dimension_scores"])
    # integer rank sums divided once: the same double on both sides, not merely close
    assert (m["score_r"].to_numpy() == m["score_py"].to_numpy()).all()
    _close(m["sd_within_r"], m["sd_within_py"], "sd_within")


def test_dispersion_anova_and_posthoc(case):
    _, _, ref, tw = case
    r, py = ref["dispersion_anova"].iloc[0], tw["dispersion_anova"].iloc[0]
    for col in ("df1", "df2", "F", "p", "pes", "gg_eps", "p_gg"):
        _close(r[col], py[col], f"dispersion_anova {col}")
    m = _merge(ref["dispersion_posthoc"], tw["dispersion_posthoc"], ["group1", "group2"])
    assert len(m) == 10
    for col in ("mean_diff", "statistic", "df", "p", "p_adj"):
        _close(m[f"{col}_r"], m[f"{col}_py"], f"posthoc {col}")


def test_dimension_tests(case):
    name, _, ref, tw = case
    if "dimension_tests" not in ref:
        pytest.skip(f"{name}: R reference has no group comparison")
    m = _merge(ref["dimension_tests"], tw["dimension_tests"], ["dimension"])
    assert (m["method_r"] == m["method_py"]).all(), m[["method_r", "method_py"]]
    for col in ("U", "p_mwu", "q_mwu", "r_rb", "df", "p_welch", "q_welch"):
        _close(m[f"{col}_r"], m[f"{col}_py"], f"dimension_tests {col}")
    # one direction (positive = CN ranks the dimension as more important): minus
    # t.test(CN, US)$statistic and minus effectsize::hedges_g(CN, US)
    for col in ("t", "hedges_g"):
        _close(m[f"{col}_r"], -m[f"{col}_py"], f"dimension_tests {col} (sign flipped)")


def test_mixed_anova_type3_twin_matches_afex(case):
    name, _, ref, tw = case
    if "mixed_anova" not in ref:
        pytest.skip(f"{name}: no mixed ANOVA")
    m = _merge(ref["mixed_anova"], tw["mixed_anova"], ["effect"])
    assert set(m["effect"]) == {"country", "dimension", "country:dimension"}
    within = m[m["effect"] != "country"]
    for col in ("df1", "df2", "F", "p", "pes", "gg_eps", "p_gg"):
        _close(within[f"{col}_r"], within[f"{col}_py"], f"mixed_anova {col}")
    # complete rankings: every model's scores average 13, the country effect is 0/0
    country = tw["mixed_anova"].set_index("effect").loc["country"]
    assert np.isnan(country["F"]) and "not estimable" in country["note"]
    assert abs(ref["mixed_anova"].set_index("effect").loc["country", "pes"]) < 1e-6 or \
        np.isnan(ref["mixed_anova"].set_index("effect").loc["country", "F"])


def test_pingouin_mixed_anova_is_type3_only_for_equal_groups(case):
    name, _, ref, tw = case
    r = ref["mixed_anova"].set_index("effect")
    pg = tw["mixed_anova_pingouin"].set_index("effect")
    sizes = tw["dimension_tests"].iloc[0]
    rel = abs(pg.loc["dimension", "F"] - r.loc["dimension", "F"]) / r.loc["dimension", "F"]
    if sizes["n1"] == sizes["n2"]:
        assert rel <= REL_TOL  # balanced: Type II and Type III coincide
    else:
        assert rel > 1e-3, f"{name}: pingouin's within main effect unexpectedly equals afex's Type III"
    # the interaction is the same test either way
    _close(r.loc["country:dimension", "F"], pg.loc["country:dimension", "F"], "pingouin interaction F")


def test_term_tests(case):
    name, _, ref, tw = case
    if "term_tests" not in ref:
        pytest.skip(f"{name}: no group comparison")
    m = _merge(ref["term_tests"], tw["term_tests"], ["term"])
    assert len(m) == 25
    # effectsize::rank_biserial(CN, US) = P(CN > US) - P(CN < US); ours points the other way
    _close(m["cliffs_delta_r"], -m["cliffs_delta_py"], "cliffs_delta (sign flipped)")
    _close(m["estimate_r"], m["estimate_py"], "BM estimate")
    separated = m["estimate_py"].isin([0.0, 1.0])
    ok = m[~separated]
    for col in ("statistic", "df", "p"):
        _close(ok[f"{col}_r"], ok[f"{col}_py"], f"term_tests {col}")
    # BH over the terms that have a p: the reference's p.adjust over its non-separated p
    q_ref = m["p_r"].where(~separated)
    from statsmodels.stats.multitest import multipletests
    if (~separated).any():
        q_expected = np.full(len(m), np.nan)
        q_expected[~separated.to_numpy()] = multipletests(q_ref[~separated], method="fdr_bh")[1]
        _close(q_expected, m["q_py"], "term_tests q")
    if separated.any():
        # brunnermunzel 2.0 (called directly): +-Inf statistic and p = 0; ours: the same
        # infinity and p = NaN (no p that the data cannot produce)
        sep = m[separated]
        assert (sep["p_r"] == 0).all() and sep["p_py"].isna().all()
        assert (sep["statistic_r"] == sep["statistic_py"]).all()


def test_correlations(case):
    _, _, ref, tw = case
    pairs = tw["correlation_pairs"].copy()
    a, b = pairs["model1"], pairs["model2"]
    pairs["model1"], pairs["model2"] = np.where(a <= b, a, b), np.where(a <= b, b, a)
    m = _merge(ref["correlation_pairs"], pairs, ["model1", "model2"])
    assert len(m) == len(ref["correlation_pairs"])
    _close(m["spearman_r"], m["spearman_py"], "spearman")
    _close(m["kendall_r"], m["kendall_py"], "kendall tau-b")
    m = _merge(ref["correlations"], tw["correlations"], ["group", "method"])
    assert (m["n_pairs_r"] == m["n_pairs_py"]).all()
    for col in ("mean", "sd", "ci_low_t", "ci_high_t"):
        _close(m[f"{col}_r"], m[f"{col}_py"], f"correlations {col}")


def test_concordance(case):
    name, table, ref, tw = case
    if "concordance" not in ref:
        # one ranking per model: one row per model, NA with a note (not a dropped table)
        co = tw["concordance"]
        assert len(co) == table["model"].nunique() and co["W"].isna().all()
        assert co["note"].str.contains("one ranking").all()
        return
    m = _merge(ref["concordance"], tw["concordance"], ["model"])
    for col in ("W", "chisq", "df", "p"):
        _close(m[f"{col}_r"], m[f"{col}_py"], f"concordance {col}")


def test_clustering(case):
    _, _, ref, tw = case
    _close(np.sort(ref["cluster_edges"]["height"]), np.sort(tw["cluster_edges"]["height"]), "merge heights")
    r = ref["clusters"].set_index("model")["cluster"]
    py = tw["clusters"].set_index("model")["cluster"].reindex(r.index)
    # the same partition: a bijection between R's and Python's labels
    pairs = set(zip(r, py))
    assert len(pairs) == len(set(r)) == len(set(py))


def test_both_mann_whitney_variants_are_exercised():
    methods = set()
    for make in TABLES.values():
        tw = python_twins(make())
        if "dimension_tests" in tw:
            methods |= set(tw["dimension_tests"]["method"])
    assert methods == {MWU_EXACT, MWU_ASYMPTOTIC}


# ------------------------------------------------------------------ the parity table


@pytest.fixture(scope="module")
def parity_cases(tmp_path_factory):
    out = {}
    for name in ("cn11_us9_rep3", "tie_heavy"):
        table = TABLES[name]()
        r_tables = _run_r(R_PV_ANALYSE, table, tmp_path_factory.mktemp(f"pv_{name}"), "pv")
        py_tables = python_twins(table, seed=1, ci_nboot=200)
        out[name] = (r_tables, py_tables, parity_table(r_tables, py_tables))
    return out


def test_parity_same_method_rows_agree(parity_cases):
    for name, (_, _, par) in parity_cases.items():
        assert list(par.columns) == ["table", "row", "statistic", "r_value", "python_value", "abs_diff",
                                     "rel_diff", "same_method", "comparable", "agrees", "note"]
        bad = par[par["comparable"] & ~par["agrees"].fillna(True)]
        assert bad.empty, f"{name}:\n{bad.to_string()}"
        # every inferential table is present on both sides
        for t in ("dispersion_anova", "dimension_tests", "mixed_anova", "term_tests", "correlations",
                  "concordance", "cluster_edges", "clusters"):
            assert (par["table"] == t).any(), f"{name}: {t} missing from parity"
        assert not par["note"].str.startswith("table missing").any()
        # a different convention is never silent, and never counted
        assert (par.loc[~par["comparable"], "note"].str.len() > 0).all()
        assert par.loc[~par["comparable"], "agrees"].isna().all()
        assert par.loc[par["comparable"], "agrees"].notna().all()


def test_parity_notes_different_conventions(parity_cases):
    _, _, par = parity_cases["cn11_us9_rep3"]
    pg = par[par["table"] == "mixed_anova (pingouin)"]
    assert (~pg["comparable"]).all() and pg["note"].str.contains("Type III").all()
    dim_f = pg[(pg["row"] == "dimension") & (pg["statistic"] == "F")].iloc[0]
    assert pd.isna(dim_f["agrees"]) and dim_f["rel_diff"] > 1e-3
    boot = par[(par["table"] == "correlations") & par["statistic"].isin(["ci_low", "ci_high"])]
    assert (~boot["comparable"]).all() and boot["note"].str.contains("bootstrap").all()
    # the R side keeps the post hoc p unrounded (rstatix would round to 3 digits): held to 1e-8
    post_p = par[(par["table"] == "dispersion_posthoc") & par["statistic"].isin(["p", "p_adj"])]
    assert len(post_p) == 20 and post_p["same_method"].all() and post_p["agrees"].all()

    _, _, par = parity_cases["tie_heavy"]
    # a separated term: no p on either side (NA, not 0), so the row is compared and agrees
    sep = par[(par["table"] == "term_tests") & (par["row"] == "Helpfulness") & (par["statistic"] == "p")].iloc[0]
    assert np.isnan(sep["r_value"]) and np.isnan(sep["python_value"])
    assert sep["comparable"] and sep["agrees"]


def test_parity_flags_a_disagreement(parity_cases):
    r_tables, py_tables, _ = parity_cases["cn11_us9_rep3"]
    broken = {k: v.copy() for k, v in py_tables.items()}
    dt = broken["dimension_tests"]
    dt.loc[dt["dimension"] == "Social", "t"] *= 1 + 1e-6          # a relative error of 1e-6
    broken["concordance"].loc[0, "W"] = np.nan                     # a value lost on one side
    broken["clusters"] = broken["clusters"].assign(cluster=1)      # a different partition
    par = parity_table(r_tables, broken)
    flagged = par[par["comparable"] & ~par["agrees"].fillna(True)]
    got = set(zip(flagged["table"], flagged["row"], flagged["statistic"]))
    assert ("dimension_tests", "Social", "t") in got
    model = py_tables["concordance"].loc[0, "model"]
    assert ("concordance", model, "W") in got
    assert any(t == "clusters" for t, _, _ in got)
    row = par[(par["table"] == "dimension_tests") & (par["row"] == "Social") & (par["statistic"] == "t")].iloc[0]
    assert 0.9e-6 < row["rel_diff"] < 1.1e-6


R_AFEX_ONLY = r"""
args <- commandArgs(TRUE)
ds <- read.csv(args[2], stringsAsFactors = FALSE)
ds$country <- factor(ds$country, levels = c("CN", "US"))
ds$dimension <- factor(ds$dimension, levels = unique(ds$dimension))
fit <- suppressMessages(afex::aov_ez(id = "model", dv = "score", data = ds, between = "country",
                                     within = "dimension", type = 3,
                                     anova_table = list(es = "pes", correction = "none")))
at <- fit$anova_table
adj <- summary(fit)$pval.adjustments
out <- data.frame(effect = rownames(at), df1 = at[["num Df"]], df2 = at[["den Df"]], F = at[["F"]],
                  p = at[["Pr(>F)"]], pes = at[["pes"]], gg_eps = NA_real_, p_gg = NA_real_)
i <- match(rownames(adj), out$effect)
out$gg_eps[i] <- adj[, "GG eps"]; out$p_gg[i] <- adj[, "Pr(>F[GG])"]
mixed_anova <- out
save(mixed_anova, file = args[3])
"""


def test_type3_twin_with_an_estimable_country_effect(tmp_path):
    """Scores that are not rank means (subject means differ): afex's country effect too."""
    from pyvalues.analysis.twins import _type3_mixed_anova
    from pyvalues.instrument import DIMENSIONS

    rng = np.random.default_rng(42)
    rows = []
    for i in range(20):
        country = "CN" if i < 11 else "US"
        level = rng.normal() + (0.8 if country == "CN" else 0.0)
        for j, dm in enumerate(DIMENSIONS):
            rows.append(dict(model=f"m{i:02d}", country=country, dimension=dm,
                             score=level + 0.3 * j * (country == "US") + rng.normal() * (1 + 0.3 * j)))
    ds = pd.DataFrame(rows)
    ref = _run_r(R_AFEX_ONLY, ds, tmp_path, "afex")["mixed_anova"]
    py = _type3_mixed_anova(ds, ["CN", "US"])
    m = _merge(ref, py, ["effect"])
    assert len(m) == 3 and not m["F_r"].isna().any()
    for col in ("df1", "df2", "F", "p", "pes"):
        _close(m[f"{col}_r"], m[f"{col}_py"], f"type III {col}")
    within = m[m["effect"] != "country"]
    for col in ("gg_eps", "p_gg"):
        _close(within[f"{col}_r"], within[f"{col}_py"], f"type III {col}")


def test_twins_on_a_worker_process_give_rs_numbers(tmp_path):
    """submit_twins on a worker (what the CLI does while R computes): the same tables as in
    this process, held to R called directly (stats::wilcox.test, t.test, brunnermunzel)."""
    from pyvalues.analysis.parity import submit_twins
    from pyvalues.figure_workers import FigureWorkers

    table = TABLES["cn11_us9_rep3"]()
    ref = _run_r(R_REFERENCE, table, tmp_path, "reference")
    with FigureWorkers(1) as workers:
        job = submit_twins(table, workers=workers)
        here = python_twins(table)  # meanwhile, in this process
        there = job.result(timeout=300)
    assert sorted(there) == sorted(here)
    for name in here:
        pd.testing.assert_frame_equal(there[name], here[name], check_exact=True, obj=name)
    m = _merge(ref["dimension_tests"], there["dimension_tests"], ["dimension"])
    for col in ("U", "p_mwu", "p_welch"):
        _close(m[f"{col}_r"], m[f"{col}_py"], f"dimension_tests {col} (worker)")
    m = _merge(ref["term_tests"], there["term_tests"], ["term"])
    _close(m["estimate_r"], m["estimate_py"], "BM estimate (worker)")
    # without workers: computed when asked for, the same tables
    lazy = submit_twins(table)
    pd.testing.assert_frame_equal(lazy.result()["term_tests"], here["term_tests"], check_exact=True)
