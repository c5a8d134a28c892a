"""The text route (pyvalues.crosscheck.check_text) on cases whose verdicts come from elsewhere.

Independent sources: statcheck's documented examples (?statcheck, ?plot.statcheck of statcheck
1.4), R's statcheck called directly on the same strings (Rscript, not our R session), R's pt / pf
/ pchisq called directly, brute-force enumeration, and hand computations written out below.
"""
from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

import pytest

from pyvalues.crosscheck import check_text, compare_routes, crosscheck
from pyvalues.crosscheck import stats as st
from pyvalues.crosscheck.text import normalise

ROOT = Path(__file__).resolve().parents[1]
# the seed paper, from the shared folder beside the repository (as CI lays it out) or the workplace's
PAPER = next((p for p in (Path(__file__).resolve().parents[2] / "shared" / "paper" / "000_5b2de9a947ba121e.txt",
                          Path("/work/shared/paper/000_5b2de9a947ba121e.txt")) if p.exists()),
             Path("/work/shared/paper/000_5b2de9a947ba121e.txt"))
HAS_R = shutil.which("Rscript") is not None


def r_value(expr: str) -> float:
    out = subprocess.run(["Rscript", "-e", f"cat(format({expr}, digits = 15))"], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def has_statcheck() -> bool:
    if not HAS_R:
        return False
    out = subprocess.run(["Rscript", "-e", 'cat(requireNamespace("statcheck", quietly = TRUE))'], capture_output=True, text=True)
    return out.stdout.strip() == "TRUE"


def p_row(text: str):
    t = check_text(text, statcheck=False)
    rows = t[t["claim_id"].str.endswith("_p")]
    assert len(rows) == 1, t[["claim_id", "statistic"]]
    return rows.iloc[0]


# --- statcheck's documented examples ---------------------------------------------------------

@pytest.mark.parametrize("text, verdict", [
    ("blablabla the effect was very significant (t(100)=1, p < 0.001)", "decision_error"),  # ?statcheck
    ("This test is consistent t(28) = 0.2, p = .84", "consistent"),                          # ?plot.statcheck
    ("but this one is inconsistent: F(2, 28) = 4.2, p = .01", "inconsistent"),               # ?plot.statcheck
    ("This final test is even a gross/decision inconsistency: z = 1.23, p = .03", "decision_error"),
])
def test_statcheck_documented_examples(text, verdict):
    assert p_row(text)["verdict"] == verdict


# --- variants of writing the same result -------------------------------------------------------

@pytest.mark.parametrize("text", [
    "F(1, 72) = 0.59, p = .446",
    "F (1,72)=0.59 , p=.446",
    "F[1, 72] = 0.59, p = .446",
    "$F(1, 72) = 0.59$ , p = .446, partial $\\eta^2 = .008$",
    "the effect was $F(1,\n 72) = 0.59$,\np\n= .446",
])
def test_variants_of_one_F_result(text):
    r = p_row(text)
    # R: pf(0.59, 1, 72, lower.tail = FALSE) = 0.4449
    assert r["test_type"] == "F" and r["df1"] == 1 and r["df2"] == 72 and r["value"] == 0.59
    assert r["p_reported"] == 0.446 and r["verdict"] == "consistent"


def test_unicode_minus_relations_and_ns():
    assert normalise("t(20) = \u22122.10, p \u2264 .05") == "t(20) = -2.10, p <= .05"
    r = p_row("t(20) = \u22122.10, p \u2264 .05")
    assert r["value"] == -2.10 and r["p_comparison"] == "<=" and r["verdict"] == "consistent"
    r = p_row("the difference was not reliable, t(40) = 0.50, ns.")
    assert r["p_comparison"] == ">" and r["verdict"] == "consistent"
    r = p_row("t(40) = 3.50, n.s.")  # p = .0012: 'ns' is a decision error
    assert r["verdict"] == "decision_error"


def test_effect_sizes_beside_F_and_latex_eta_p():
    t = check_text(r"$F(4, 76) = 12.33, p < .001, \eta^2_p = .394$", statcheck=False)
    pes = t[t["test_type"] == "eta2_p"].iloc[0]
    # by hand: 12.33 * 4 / (12.33 * 4 + 76) = 49.32 / 125.32 = .3935
    assert pes["verdict"] == "consistent"
    t = check_text(r"$F(4, 76) = 12.33, p < .001, \eta_p^2 = .494$", statcheck=False)
    assert t[t["test_type"] == "eta2_p"].iloc[0]["verdict"] == "inconsistent"


@pytest.mark.skipif(not HAS_R, reason="Rscript not installed")
def test_chi2_with_N_and_latex_chi_against_R_pchisq():
    r = p_row(r"$\chi^2(2, N = 100) = 5.99$, $p = .05$")
    assert r["test_type"] == "chi2" and r["df1"] == 2
    assert r["p_recomputed"] == pytest.approx(r_value("pchisq(5.99, 2, lower.tail = FALSE)"), rel=1e-9)
    assert r["verdict"] == "consistent"
    # Kruskal-Wallis H and Friedman chi2_F are chi-square tests on their df
    r = p_row("Kruskal-Wallis H(2) = 7.30, p = .03")
    assert r["test_type"] == "H" and r["p_recomputed"] == pytest.approx(r_value("pchisq(7.30, 2, lower.tail = FALSE)"), rel=1e-9)
    # by hand: pchisq(x, 2) = exp(-x / 2); H in [7.295, 7.305) gives p in (.02593, .02606], inside [.025, .035)
    assert r["verdict"] == "consistent"

@pytest.mark.skipif(not HAS_R, reason="Rscript not installed")
def test_r_with_df_against_R_pt():
    r = p_row("scores correlated, r(48) = .30, p = .034")
    # t = r sqrt(df / (1 - r^2)); p = 2 pt(-t, 48)
    assert r["p_recomputed"] == pytest.approx(r_value("2 * pt(-0.30 * sqrt(48 / (1 - 0.09)), 48)"), rel=1e-9)
    assert r["verdict"] == "consistent"


# --- Welch's t checked jointly ------------------------------------------------------------------

@pytest.mark.skipif(not HAS_R, reason="Rscript not installed")
def test_welch_t_fractional_df_jointly():
    # |t| in (0.765, 0.775], df in [11.4, 11.6]: p ranges over [2 pt(-0.775, 11.6), 2 pt(-0.765, 11.4)]
    p_max = r_value("2 * pt(-0.765, 11.4)")
    p_min = r_value("2 * pt(-0.775, 11.6)")
    assert 0.4585 < p_max < 0.4615 and 0.4535 < p_min < 0.4545
    assert p_row("t(\u224811.5) = \u22120.77, p = .458")["verdict"] == "consistent"
    assert p_row("t(\u224811.5) = \u22120.77, p = .462")["verdict"] == "inconsistent"   # .462 > p_max
    assert p_row("t(\u224811.5) = \u22120.80, p = .458")["verdict"] == "inconsistent"   # 2 pt(-0.795, 11.4) = .443


def test_welch_with_means_and_sds_in_the_text():
    text = ("Groups of 11 vs. 9 models. Practical: [M \u00b1 SD] CN = 12.95 \u00b1 2.11, US = 14.09 \u00b1 4.03, "
            "t(\u224811.5) = \u22120.77, p = .462.")
    r = p_row(text)
    assert r["verdict"] == "inconsistent" and "Jointly with the printed t and df" in r["note"]


# --- Mann-Whitney U: ties bounded by the design ---------------------------------------------------

def _brute_max_tie_sum(n1, n2, values=4):
    """Largest sum of t^3 - t for each U over all samples of n1 and n2 values from 1..values."""
    best = {}
    for x in itertools.combinations_with_replacement(range(values), n1):
        for y in itertools.combinations_with_replacement(range(values), n2):
            U = sum((a > b) + 0.5 * (a == b) for a in x for b in y)
            pooled = list(x) + list(y)
            T = sum(pooled.count(v) ** 3 - pooled.count(v) for v in set(pooled))
            best[U] = max(best.get(U, 0), T)
    return best


def test_max_tie_sum_matches_brute_force():
    for n1, n2 in ((2, 2), (3, 2), (3, 3)):
        brute = _brute_max_tie_sum(n1, n2, values=n1 + n2)
        for U, T in brute.items():
            assert st.max_tie_sum(n1, n2, U) == T, (n1, n2, U)
    # at most 2 distinct values
    brute2 = _brute_max_tie_sum(3, 2, values=2)
    for U, T in brute2.items():
        assert st.max_tie_sum(3, 2, U, max_groups=2) == T


def test_U_tie_explanation_is_bounded_by_the_design():
    # the case: U = 61 (11 vs 9) with p = .10 needs a tie sum of ~5920; the design allows 4104
    T = st.implied_tie_sum(61, 0.10, 11, 9)
    assert T == pytest.approx(5920, abs=1)
    assert st.max_tie_sum(11, 9, 61) == 4104
    r = p_row("With n1 = 11, n2 = 9 models, U = 61, p = .10.")
    assert r["verdict"] == "inconsistent" and "4104" in r["note"]
    # the paper's Personal result needs only a small tie sum (.398 vs the untied .403)
    r = p_row("With n1 = 11, n2 = 9 models, U = 61, p = .398.")
    assert r["verdict"] == "consistent" and "4104" in r["note"]


def test_U_without_group_sizes_is_not_checkable():
    t = check_text("The groups differed, U = 37, p = .382.", statcheck=False)
    assert set(t["verdict"]) == {"not_checkable"}


# --- one-tailed tests (statcheck's OneTailedTxt rule) --------------------------------------------

def test_one_tailed_from_the_sentence():
    # t(28) = 2.20: two-tailed p = .036, one-tailed .018
    r = p_row("A one-tailed test confirmed it, t(28) = 2.20, p = .018.")
    assert r["verdict"] == "consistent" and bool(r["one_tailed"])
    r = p_row("The test confirmed it, t(28) = 2.20, p = .018.")
    assert r["verdict"] == "inconsistent" and "one-tailed" in r["note"] and not bool(r["one_tailed"])


# --- agreement with statcheck called directly -------------------------------------------------------

STRINGS = [
    "t(28) = 2.20, p = .03", "t(28) = 2.20, p = .04", "F(2, 28) = 4.2, p = .01", "F(2, 28) = 4.2, p = .03",
    "(z = 1.23, p = .03)", "(z = 1.96, p = .05)", "r(48) = .30, p = .034", "chi2(2) = 5.99, p = .05",
    "t(100) = 1, p < .001", "F(1, 72) = 0.59, p = .446", "F(4, 76) = 12.33, p < .001", "t(40) = 3.50, ns",
    "t(15) = 1.80, p = .046, one-tailed", "chi2(1) = 3.84, p < .05", "t(12) = -2.18, p = .05",
]


@pytest.mark.skipif(not has_statcheck(), reason="R package statcheck not installed (apt-get install r-cran-statcheck)")
def test_agrees_with_statcheck_called_directly():
    code = ("library(statcheck); s <- commandArgs(TRUE); "
            "r <- statcheck(s, messages = FALSE, OneTailedTxt = TRUE); "
            "v <- ifelse(r$decision_error, 'decision_error', ifelse(r$error, 'inconsistent', 'consistent')); "
            "cat(paste(r$source, v, sep = '='), sep = '\\n')")
    out = subprocess.run(["Rscript", "-e", code, *STRINGS], capture_output=True, text=True, check=True).stdout.split()
    theirs = {int(k) - 1: v for k, v in (x.split("=") for x in out)}
    assert len(theirs) == len(STRINGS)
    for i, s in enumerate(STRINGS):
        assert p_row(s)["verdict"] == theirs[i], s


# --- the seed paper: both routes -----------------------------------------------------------------

@pytest.fixture(scope="module")
def seed():
    if not PAPER.exists():
        pytest.skip("seed paper text not present")
    text_table = check_text(PAPER.read_text(encoding="utf-8"), statcheck=False)
    claims_table = crosscheck(statcheck=False)
    return text_table, claims_table, compare_routes(text_table, claims_table)


def test_seed_paper_routes_agree_on_every_result_both_read(seed):
    _, _, routes = seed
    both = routes[routes["agree"].notna()]
    assert len(both) >= 70
    assert both["agree"].astype(bool).all(), both[~both["agree"].astype(bool)]


def test_seed_paper_text_finds_the_claims_files_inferential_results(seed):
    _, _, routes = seed
    claims_only = routes[routes["text_claim_id"].isna()]
    # what the text route does not read: the correlation CIs (not a test) and the two uncorrected
    # Brunner-Munzel p < .05, which the paper states in words, without a number
    assert set(claims_only["test_type"]) <= {"ci", "p"}
    assert set(claims_only[claims_only["test_type"] == "p"]["claims_claim_id"]) <= {
        "bm_p_uncorrected_professionalism", "bm_p_uncorrected_pleasure"}


def test_seed_paper_findings(seed):
    text_table, _, _ = seed
    t = text_table.set_index("claim_id")
    by_stat = {r["statistic"]: r for _, r in text_table.iterrows()}
    u37 = text_table[(text_table["test_type"] == "U") & (text_table["value"] == 37)]
    assert set(u37["verdict"]) == {"inconsistent"}  # 37.5 does not print as 37
    w = text_table[(text_table["test_type"] == "W") & text_table["claim_id"].str.endswith("_p")]
    # Table A-1: p = .001 printed for W >= .772 (Friedman p < 1e-4) in 17 rows; .004, .022, .065 agree
    assert (w["verdict"] == "inconsistent").sum() == 17
    assert len(by_stat) > 0 and "T1_p" in t.index


def test_cli_text_writes_the_tables(tmp_path):
    paper = tmp_path / "p.tex"
    paper.write_text("We found $F(1, 72) = 0.59$, $p = .446$ and $t(28) = 2.20$, $p = .03$.\n", encoding="utf-8")
    from pyvalues.crosscheck.__main__ import main
    assert main(["--text", str(paper), "--out", str(tmp_path / "out"), "--no-statcheck"]) == 0
    import pandas as pd
    t = pd.read_csv(tmp_path / "out" / "textcheck.csv")
    assert list(t.columns[:14]) == ["claim_id", "level", "location", "statistic", "test_type", "df1", "df2", "value",
                                    "p_comparison", "p_reported", "p_recomputed", "one_tailed", "verdict", "note"]
    assert sorted(t[t["claim_id"].str.endswith("_p")]["verdict"]) == ["consistent", "inconsistent"]
    assert (tmp_path / "out" / "textcheck.md").exists()


# --- one rounding convention everywhere ----------------------------------------------------------

def test_fit_table_reader_uses_the_same_half_open_interval():
    from pyvalues.crosscheck.claims import reported_interval
    from pyvalues_reconstruct.targets import _interval
    for value, dec, rel in ((37, 0, "="), (0.242, 3, "="), (0.001, 3, "<"), (0.05, 2, ">="), (11.5, 1, "~")):
        iv = reported_interval(value, dec, rel)
        assert _interval(value, rel, dec) == (iv.lo, iv.hi, iv.lo_closed, iv.hi_closed)
    lo, hi, li, hi_i = _interval(37, "=", 0)
    assert (lo <= 36.5 < hi) and not (37.5 < hi or (hi_i and 37.5 == hi))  # 37.5 is not U = 37


# --- the parser on generated variants (hypothesis) -------------------------------------------------

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as hs  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(df1=hs.integers(1, 9), df2=hs.integers(5, 400), f100=hs.integers(1, 5000),
       space=hs.sampled_from(["", " "]), bracket=hs.sampled_from(["()", "[]"]), latex=hs.booleans(),
       split=hs.booleans())
def test_parser_reads_generated_F_results(df1, df2, f100, space, bracket, latex, split):
    F = f100 / 100
    p = float(st.p_from_f(F, df1, df2))
    p_txt = "< .001" if p < 0.001 else f"= {p:.3f}".replace("0.", ".")
    head = f"F{space}{bracket[0]}{df1},{space}{'' if not split else chr(10)}{df2}{bracket[1]}{space}={space}{F:.2f}"
    body = f"${head}$, $p {p_txt}$" if latex else f"{head}, p {p_txt}"
    r = p_row(f"The effect was found, {body}.")
    assert (r["df1"], r["df2"], r["value"]) == (df1, df2, round(F, 2))
    assert r["verdict"] == "consistent"  # p printed from the exact F: always consistent


# --- tests statcheck does not read ------------------------------------------------------------------

@pytest.mark.skipif(not HAS_R, reason="Rscript not installed")
def test_wilcoxon_signed_rank_V_exact_against_R_psignrank():
    r = p_row("A Wilcoxon signed-rank test on the n = 10 pairs gave V = 3, p = .010.")
    assert r["test_type"] == "V" and r["verdict"] == "consistent"
    assert r["p_recomputed"] == pytest.approx(r_value("2 * psignrank(3, 10)"), rel=1e-12)
    # printed .10 > .05 but the exact p is .0098: a decision error
    assert p_row("A Wilcoxon signed-rank test on the n = 10 pairs gave V = 3, p = .10.")["verdict"] == "decision_error"


@pytest.mark.skipif(not HAS_R, reason="Rscript not installed")
def test_wilcoxon_rank_sum_W_is_U_against_R_pwilcox():
    # R's wilcox.test(x, y) prints W = U of x; exact two-sided p = 2 pwilcox(10, 8, 7)
    p = r_value("2 * pwilcox(10, 8, 7)")
    r = p_row(f"With n1 = 8, n2 = 7, the Wilcoxon rank-sum test gave W = 10, p = {p:.3f}".replace("0.", "."))
    assert r["test_type"] == "U" and r["verdict"] == "consistent"


@pytest.mark.skipif(not HAS_R, reason="Rscript not installed")
def test_friedman_and_brunner_munzel_against_R():
    r = p_row(r"A Friedman test, $\chi^2_F(24) = 35.21$, $p = .065$.")
    assert r["test_type"] == "chi2_F" and r["p_recomputed"] == pytest.approx(r_value("pchisq(35.21, 24, lower.tail = FALSE)"), rel=1e-9)
    assert r["verdict"] == "consistent"
    # brunnermunzel.test reports a t-type statistic on a Satterthwaite df
    r = p_row("The Brunner-Munzel test gave BM(17.3) = 2.10, p = .051.")
    assert r["test_type"] == "BM" and r["verdict"] == "consistent"
    assert r["p_recomputed"] == pytest.approx(r_value("2 * pt(-2.10, 17.3)"), rel=1e-9)


def test_kendall_w_with_design_and_table():
    text = ("Each of 20 models ranked 25 terms in three replicates.\n\n"
            "Rank\tModel\tKendall's W\tp (Friedman)\n1\tA\t0.489\tp = .065\n2\tB\t0.950\tp = .001\n")
    t = check_text(text, statcheck=False)
    ps = t[t["claim_id"].str.endswith("_p")].set_index("value")["verdict"]
    # chi2 = m (n - 1) W = 3 * 24 * W on 24 df: W = .489 -> p = .065; W = .950 -> p ~ 4e-6, not .001
    assert ps[0.489] == "consistent" and ps[0.950] == "inconsistent"
