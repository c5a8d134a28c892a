"""Trust at the edges (issue 10): no invalid p, no aborted run, no dropped table, one direction.

Each test builds a rank table of an awkward shape and checks what ``analysis.run`` says,
against hand computations written out here or R called directly (``conftest.rscript``).
"""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, make_rank_table, rscript
from pyvalues import analysis
from pyvalues.results import term_test_p
from pyvalues.analysis.parity import parity_counts, parity_table
from pyvalues.instrument import TERM_NAMES


def _run(table, **kw):
    kw = {"nboot": 30, "ci_nboot": 300, "parity": False, **kw}
    return analysis.run(table, **kw)


def separated_3v3(seed=5) -> pd.DataFrame:
    """3 CN models near the order 1..25 and 3 US models near its reverse: the terms at both
    ends do not overlap between the groups, those in the middle do."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(6):
        country = "CN" if i < 3 else "US"
        key = np.arange(25.0) if country == "CN" else 24.0 - np.arange(25.0)
        rank = np.argsort(np.argsort(key + rng.normal(0, 1.0, 25), kind="stable"), kind="stable") + 1
        rows += [(f"{country.lower()}{i}", country, "en", 1, t, int(r)) for t, r in zip(TERM_NAMES, rank)]
    return pd.DataFrame(rows, columns=["model", "country", "language", "replicate", "term", "rank"])


def identical_within_country() -> pd.DataFrame:
    """Every CN model gives cn01's three rankings, every US model us01's."""
    tab = make_rank_table(seed=3)
    out = []
    for country, source in (("CN", "cn01"), ("US", "us01")):
        one = tab[tab["model"] == source]
        for m in tab.loc[tab["country"] == country, "model"].unique():
            out.append(one.assign(model=m))
    return pd.concat(out, ignore_index=True)


# ------------------------------------------------------------------ Brunner-Munzel p


def test_separated_3v3_has_no_p_of_zero_and_the_exact_permutation_p():
    res = _run(separated_3v3())
    tt = res.term_tests
    separated = tt["estimate"].isin([0.0, 1.0])
    assert separated.sum() >= 10  # the two ends of the ranking
    # no p or q of 0 anywhere: undefined asymptotic p is NA with a note
    for col in ("p", "q", "p_perm", "q_perm"):
        assert not (tt[col] == 0).any(), col
    assert tt.loc[separated, "p"].isna().all() and tt.loc[separated, "q"].isna().all()
    assert tt.loc[separated, "note"].str.contains("do not overlap").all()
    # by hand: of the choose(6, 3) = 20 splits only the observed one and its mirror image
    # separate completely, so the two-sided permutation p is 2 / 20
    assert np.allclose(tt.loc[separated, "p_perm"], 2 / 20)
    assert (tt["n_perm"] == 20).all() and (tt["p_perm_mcse"] == 0).all()
    # the summary counts significance by the permutation q and says why
    p_col, q_col, why = term_test_p(tt)
    assert (p_col, q_col) == ("p_perm", "q_perm") and "fewer than 10" in why
    text = res.summary()
    assert f"{int((tt['q_perm'] < 0.05).sum())} of 25 terms q_perm < .05" in text
    assert "permutation p (p_perm, q_perm) is the recommended one" in text


# ------------------------------------------------------------------ no aborted run


def test_identical_within_country_completes_with_skipped_rows(tmp_path):
    tab = identical_within_country()
    res = analysis.run(tab, nboot=30, ci_nboot=300, parity=True)
    sk = res.skipped.set_index("analysis")
    # R's own failures, each with a plain-words reason beside R's message
    assert "essentially constant" in sk.loc["dimension_tests", "message"]
    assert "do not vary within a group" in sk.loc["dimension_tests", "reason"]
    assert "mixed_anova" in sk.index and sk.loc["mixed_anova", "message"]
    # everything else is computed
    for name in ("term_means", "term_tests", "correlations", "cohesion_test", "clusters", "concordance"):
        assert name in res, name
    # zero within-group variance: the asymptotic BM is undefined, the permutation p is not
    tt = res.term_tests
    assert tt["p"].isna().all() and tt["p_perm"].notna().all()
    # parity: the tables R skipped are not counted as disagreements
    n = parity_counts(res.parity)
    assert n["disagree"] == 0, res.parity[~res.parity["agrees"].fillna(True)]
    # the CLI exits 0 and writes every computed table
    csv = tmp_path / "ident.csv"
    tab.to_csv(csv, index=False)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "pyvalues.analysis", "--data", str(csv), "--out", str(out),
                           "--no-figures", "--nboot", "20", "--no-parity"],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    written = {p.stem for p in out.glob("*.csv")}
    assert {"term_tests", "cohesion_test", "skipped", "concordance"} <= written
    assert "dimension_tests" not in written
    assert "Skipped:" in proc.stdout and "essentially constant" in proc.stdout


def test_one_model():
    res = _run(make_rank_table(1, 0, reps=2, seed=4))
    assert {"term_means", "dimension_means", "concordance"} <= set(res)
    sk = set(res.skipped["analysis"])
    assert {"dispersion_anova", "correlations", "dimension_tests", "term_tests", "cohesion_test"} <= sk
    assert res.concordance["W"].notna().all()


def test_one_ranking_for_one_model_keeps_every_other_model():
    tab = make_rank_table(seed=6)
    tab = tab[~((tab["model"] == "us02") & (tab["replicate"] > 1))]
    res = _run(tab)
    co = res.concordance.set_index("model")
    assert len(co) == 20
    assert np.isnan(co.loc["us02", "W"]) and "one ranking" in co.loc["us02", "note"]
    assert co.drop("us02")["W"].notna().all()
    # by hand for one other model: W = chisq / (m (n - 1)) from friedman.test
    ref = float(rscript(
        "x <- read.csv(text = '" + tab[tab['model'] == 'cn01'].to_csv(index=False).replace("'", "\\'")
        + "'); cat(format(friedman.test(rank ~ term | replicate, data = x)$statistic, digits = 17))"))
    assert co.loc["cn01", "W"] == pytest.approx(ref / (3 * 24), rel=1e-12)


def test_three_countries_compare_the_two_largest():
    tab = make_rank_table(seed=7)
    uk = make_rank_table(1, 0, seed=8, countries=("UK", "UK")).assign(model="uk01")
    res = _run(pd.concat([tab, uk], ignore_index=True))
    gc = res.groups_compared.iloc[0]
    assert (gc.group1, gc.group2, gc.n1, gc.n2) == ("CN", "US", 11, 9)
    assert "UK" in gc.rule and "most models" in gc.rule
    assert (res.dimension_tests["group1"] == "CN").all() and (res.term_tests["n2"] == 9).all()
    assert "Groups compared: CN (11 models) first, US (9 models)" in res.summary()
    # the same as the table without the UK model
    plain = _run(tab)
    assert np.allclose(res.dimension_tests["p_mwu"], plain.dimension_tests["p_mwu"])
    # ties in model counts: alphabetical (DE, FR of 4 each beat JP of 3)
    t2 = pd.concat([make_rank_table(4, 4, seed=9, countries=("FR", "DE")),
                    make_rank_table(3, 0, seed=10, countries=("JP", "JP")).assign(
                        model=lambda d: "jp" + d["model"])], ignore_index=True)
    gc2 = _run(t2).groups_compared.iloc[0]
    assert (gc2.group1, gc2.group2) == ("DE", "FR")


def test_unknown_group_names_fail_before_computing():
    tab = make_rank_table(4, 4, seed=11, countries=("DE", "FR"))
    with pytest.raises(ValueError) as info:
        analysis.run(tab, groups=("CN", "JP"))
    msg = str(info.value)
    assert "'CN', 'JP' are not countries" in msg and "DE (4 models), FR (4 models)" in msg


def test_constant_data_every_model_the_same_ranking():
    tab = make_rank_table(4, 3, reps=2, seed=12)
    first = tab[tab["model"] == "cn01"]
    tab = pd.concat([first.assign(model=m, country=c) for m, c in
                     tab.drop_duplicates("model")[["model", "country"]].itertuples(index=False)],
                    ignore_index=True)
    res = _run(tab)
    assert np.allclose(res.correlation_pairs["spearman"], 1.0)
    tt = res.term_tests
    assert tt["p"].isna().all() and tt["note"].str.contains("zero variance").all()
    assert np.allclose(tt["p_perm"], 1.0)            # every split is as extreme as 0 vs 0
    co = res.cohesion_test
    assert np.allclose(co["diff"], 0.0) and np.allclose(co["p_perm"], 1.0)
    assert "dimension_tests" in set(res.skipped["analysis"])


# ------------------------------------------------------------------ one direction


def test_signed_effects_point_one_way_against_r_called_directly(tmp_path):
    """CN ranks Helpfulness first in every ranking: every signed effect for it is positive.
    The values equal R's own functions with the sign flip made explicit."""
    tab = make_rank_table(6, 5, reps=2, seed=13)
    res = _run(tab)
    csv = tmp_path / "t.csv"
    tab.to_csv(csv, index=False)
    ref = json.loads(rscript(f"""
tab <- read.csv("{csv}", stringsAsFactors = FALSE)
inst <- read.csv("{ROOT}/inst/extdata/instrument.csv", stringsAsFactors = FALSE)
tab$dimension <- inst$dimension[match(tab$term, inst$term)]
sc <- aggregate(rank ~ model + country + dimension, data = tab, FUN = function(x) sum(x) / length(x))
x <- sc$rank[sc$dimension == "Social" & sc$country == "CN"]; y <- sc$rank[sc$dimension == "Social" & sc$country == "US"]
tm <- aggregate(rank ~ model + country + term, data = tab, FUN = function(x) sum(x) / length(x))
a <- tm$rank[tm$term == "Logic" & tm$country == "CN"]; b <- tm$rank[tm$term == "Logic" & tm$country == "US"]
cat(sprintf('{{"t": %.17g, "g": %.17g, "W": %.17g, "rb": %.17g}}', t.test(x, y)$statistic,
    effectsize::hedges_g(x, y)$Hedges_g, wilcox.test(x, y, exact = FALSE)$statistic,
    effectsize::rank_biserial(a, b)$r_rank_biserial))
"""))
    dt = res.dimension_tests.set_index("dimension")
    assert dt.loc["Social", "t"] == pytest.approx(-ref["t"], rel=1e-10)        # minus t.test(CN, US)
    assert dt.loc["Social", "hedges_g"] == pytest.approx(-ref["g"], rel=1e-8)  # minus hedges_g(CN, US)
    assert dt.loc["Social", "U"] == ref["W"]                                   # R's W as R reports it
    tt = res.term_tests.set_index("term")
    # effectsize's rank-biserial of two samples is P(a > b) - P(a < b): Cliff's delta with a first
    assert tt.loc["Logic", "cliffs_delta"] == pytest.approx(-ref["rb"], rel=1e-10)
    # same sign for every effect of a term / dimension
    s = np.sign(dt[["r_rb", "t", "hedges_g"]])
    assert ((s.nunique(axis=1) == 1) | (dt["r_rb"] == 0)).all()
    s = np.sign(tt[["statistic", "cliffs_delta"]].assign(est=tt["estimate"] - 0.5))
    assert ((s.nunique(axis=1) == 1) | (tt["cliffs_delta"] == 0)).all()


# ------------------------------------------------------------------ parity can fail


def test_parity_excludes_non_comparable_rows_and_flags_a_perturbed_value():
    from pyvalues.analysis.twins import python_twins

    tab = make_rank_table(5, 4, reps=2, seed=14)
    res = analysis.run(tab, nboot=20, ci_nboot=200, parity=True)
    r_tables = dict(res.tables)
    r_tables.pop("parity")
    twins = python_twins(tab, ci_nboot=200)
    par = parity_table(r_tables, twins)
    boot = par[(par["table"] == "correlations") & (par["statistic"] == "ci_low")]
    assert (~boot["comparable"]).all() and boot["agrees"].isna().all()
    n = parity_counts(par)
    assert n["disagree"] == 0 and n["comparable"] == n["agree"] < n["rows"]
    broken = {k: v.copy() for k, v in twins.items()}
    broken["term_tests"].loc[3, "cliffs_delta"] += 1e-6
    par2 = parity_table(r_tables, broken)
    bad = par2[par2["comparable"] & ~par2["agrees"].fillna(True)]
    assert list(zip(bad["table"], bad["statistic"])) == [("term_tests", "cliffs_delta")]
    assert parity_counts(par2)["disagree"] == 1
