"""Level-1 logic of pyvalues.crosscheck on published examples and hand computations.

Independent sources: statcheck's documented examples (R help pages of statcheck 1.4:
?statcheck and ?plot.statcheck), R called directly (pwilcox, wilcox.test, pchisq), and
hand computations written out below.
"""
from __future__ import annotations

import math
import shutil
import subprocess

import pandas as pd
import pytest

from pyvalues.crosscheck import stats as st
from pyvalues.crosscheck.claims import CLAIM_COLUMNS, read_claims, reported_interval
from pyvalues.crosscheck.level1 import level1_rows

HAS_R = shutil.which("Rscript") is not None


def r_value(expr: str) -> float:
    out = subprocess.run(["Rscript", "-e", f"cat(format({expr}, digits = 15))"], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def claims_of(rows: list[dict]) -> pd.DataFrame:
    base = {c: "" for c in CLAIM_COLUMNS}
    full = []
    for i, r in enumerate(rows):
        d = dict(base, claim_id=f"c{i}", location="test", relation="=", statistic="")
        d.update({k: str(v) for k, v in r.items()})
        full.append(d)
    return read_claims(pd.DataFrame(full))


def verdicts(rows: list[dict]) -> dict[str, str]:
    claims = claims_of(rows)
    out = level1_rows(claims)
    ids = dict(zip(claims["claim_id"], claims["quantity"]))
    return {ids[r["claim_id"]]: r["verdict"] for r in out}


# --- rounding intervals ------------------------------------------------------------------------

def test_rounding_interval_is_half_open():
    # 0.59 printed with 2 decimals stands for [0.585, 0.595): 0.595 rounds half up to 0.60
    iv = reported_interval(0.59, 2)
    assert iv.lo == pytest.approx(0.585) and iv.hi == pytest.approx(0.595)
    assert iv.contains(0.585) and iv.contains(0.5949999) and not iv.contains(0.595)
    assert reported_interval(37, 0).contains(36.5) and not reported_interval(37, 0).contains(37.5)
    assert reported_interval(0.001, 3, "<").hi == 0.001 and math.isinf(reported_interval(0.001, 3, "<").lo)
    assert not reported_interval(0.001, 3, "<").contains(0.001) and reported_interval(0.001, 3, "<=").contains(0.001)
    # '~' doubles the half-width: t(~11.5) covers [11.4, 11.6]
    iv = reported_interval(11.5, 1, "~")
    assert (iv.lo, iv.hi) == pytest.approx((11.4, 11.6))


# --- statcheck's documented examples -----------------------------------------------------------

def test_statcheck_example_t_consistent():
    # ?plot.statcheck: "This test is consistent t(28) = 0.2, p = .84"
    v = verdicts([dict(test="t_test", quantity="t", reported="0.2", decimals=1, df1=28, companion="a"),
                  dict(test="t_test", quantity="p", reported="0.84", decimals=2, df1=28, companion="a")])
    assert v["p"] == "consistent"


def test_statcheck_example_F_inconsistent():
    # ?plot.statcheck: "but this one is inconsistent: F(2, 28) = 4.2, p = .01" (true p ~ .025, both < .05)
    v = verdicts([dict(test="rm_anova", quantity="F", reported="4.2", decimals=1, df1=2, df2=28, companion="a"),
                  dict(test="rm_anova", quantity="p", reported="0.01", decimals=2, df1=2, df2=28, companion="a")])
    assert v["p"] == "inconsistent"


def test_statcheck_example_z_decision_error():
    # ?plot.statcheck: "This final test is even a gross/decision inconsistency: z = 1.23, p = .03"
    v = verdicts([dict(test="z_test", quantity="z", reported="1.23", decimals=2, companion="a"),
                  dict(test="z_test", quantity="p", reported="0.03", decimals=2, companion="a")])
    assert v["p"] == "decision_error"


def test_statcheck_example_t100_decision_error():
    # ?statcheck: "t(100)=1, p < 0.001" -> error and decision error (computed p = 0.3197)
    v = verdicts([dict(test="t_test", quantity="t", reported="1", decimals=0, df1=100, companion="a"),
                  dict(test="t_test", quantity="p", reported="0.001", relation="<", decimals=3, df1=100, companion="a")])
    assert v["p"] == "decision_error"


# --- F: p and partial eta squared ------------------------------------------------------------

def test_pes_from_F_hand():
    # F(4, 76) = 12.33: 4 * 12.33 / (4 * 12.33 + 76) = 49.32 / 125.32
    assert float(st.pes_from_f(12.33, 4, 76)) == pytest.approx(49.32 / 125.32)


@pytest.mark.skipif(not HAS_R, reason="Rscript not installed (apt-get install r-base-core)")
def test_p_from_F_matches_R():
    assert float(st.p_from_f(0.59, 1, 72)) == pytest.approx(r_value("pf(0.59, 1, 72, lower.tail = FALSE)"), rel=1e-10)


def test_F_constructed_verdicts():
    base = dict(test="mixed_anova", df1=1, df2=72, companion="a")
    assert verdicts([dict(base, quantity="F", reported="0.59", decimals=2),
                     dict(base, quantity="p", reported="0.446", decimals=3),
                     dict(base, quantity="pes", reported="0.008", decimals=3)]) == {"F": "consistent", "p": "consistent", "pes": "consistent"}
    # both not significant, but p wrong: inconsistent; pes of .08 does not follow from F
    v = verdicts([dict(base, quantity="F", reported="0.59", decimals=2),
                  dict(base, quantity="p", reported="0.30", decimals=2),
                  dict(base, quantity="pes", reported="0.08", decimals=2)])
    assert v["p"] == "inconsistent" and v["pes"] == "inconsistent"
    # printed p < .05 for a non-significant F: decision error
    v = verdicts([dict(base, quantity="F", reported="0.59", decimals=2),
                  dict(base, quantity="p", reported="0.04", decimals=2)])
    assert v["p"] == "decision_error"


# --- Mann-Whitney U --------------------------------------------------------------------------

def test_mwu_null_counts_small_case_by_hand():
    # n1 = n2 = 2: the 6 arrangements give U = 0, 1, 2, 2, 3, 4
    assert st.mwu_null_counts(2, 2) == (1, 1, 2, 1, 1)
    # n1 = 1, n2 = 3: U uniform on 0..3
    assert st.mwu_null_counts(1, 3) == (1, 1, 1, 1)


@pytest.mark.skipif(not HAS_R, reason="Rscript not installed")
def test_mwu_exact_p_matches_R():
    # wilcox.test of x = 1..11 shifted so that W = 61 against y of size 9, no ties
    ours = st.mwu_p_exact(61, 11, 9)
    r = r_value("2 * pwilcox(60, 11, 9, lower.tail = FALSE)")
    assert ours == pytest.approx(r, rel=1e-12)


@pytest.mark.skipif(not HAS_R, reason="Rscript not installed")
def test_mwu_normal_with_ties_matches_R_wilcox_test():
    x = [1, 2, 2, 5, 7, 8, 8, 8, 12, 13, 14]
    y = [2, 3, 4, 6, 8, 9, 10, 11, 15]
    rx, ry = ", ".join(map(str, x)), ", ".join(map(str, y))
    r_p = r_value(f"suppressWarnings(wilcox.test(c({rx}), c({ry}))$p.value)")
    r_w = r_value(f"suppressWarnings(wilcox.test(c({rx}), c({ry}))$statistic)")
    # tie groups among all 20 values: 2 (x3), 8 (x4) -> sum t^3 - t = 24 + 60
    assert st.mwu_p_normal(r_w, 11, 9, True, tie_sum=24 + 60) == pytest.approx(r_p, rel=1e-10)


def test_r_rb_hand():
    # 1 - 2 * 37 / 99 = 25/99 ; 1 - 2 * 37.5 / 99 = 24/99
    assert float(st.r_rb_from_u(37, 11, 9)) == pytest.approx(25 / 99)
    assert float(st.r_rb_from_u(37.5, 11, 9)) == pytest.approx(24 / 99)


def test_mwu_companions_imply_half_integer_U():
    # The paper's Practical result: U = 37, p = .382, r_rb = .242 with n = 11, 9.
    # r_rb = .242 needs U = 37.5 (24/99 = .2424); U = 37 gives 25/99 = .2525.
    claims = claims_of([
        dict(test="mann_whitney", quantity="U", reported="37", decimals=0, n1=11, n2=9, companion="a"),
        dict(test="mann_whitney", quantity="p", reported="0.382", decimals=3, n1=11, n2=9, companion="a"),
        dict(test="mann_whitney", quantity="r_rb", reported="0.242", decimals=3, n1=11, n2=9, companion="a")])
    rows = {r["claim_id"]: r for r in level1_rows(claims)}
    # one rounding convention (half-open): 37 stands for [36.5, 37.5), so 37.5 does not print as 37
    assert rows["c0"]["verdict"] == "inconsistent" and rows["c0"]["recomputed"] == "37.5"
    assert "37.5 does not print as 37" in rows["c0"]["note"]
    assert rows["c2"]["verdict"] == "inconsistent"
    # p = .382 is not reached inside [36.5, 37.5) either: by hand, sigma = sqrt(99 * 21 / 12) = 13.16;
    # U = 37: z = (37 - 49.5 + 0.5) / 13.16 = -0.912, p = .362 (exact .370); ties only lower p.
    # U = 37.5 gives (37.5 - 49.5 + 0.5) / 13.16 = -0.874, p = .382.
    assert rows["c1"]["verdict"] == "inconsistent"


def test_mwu_p_that_no_variant_gives_is_flagged():
    # U = 61 of 11 x 9: untied p's are .40-.43 (normal) and .41 (exact); p = .02 is far below
    v = verdicts([dict(test="mann_whitney", quantity="U", reported="61", decimals=0, n1=11, n2=9, companion="a"),
                  dict(test="mann_whitney", quantity="p", reported="0.70", decimals=2, n1=11, n2=9, companion="a")])
    assert v["p"] == "inconsistent"


# --- Welch from summaries ------------------------------------------------------------------------

def test_welch_hand_computation():
    # Practical: CN 12.95 +- 2.11 (11), US 14.09 +- 4.03 (9)
    v1, v2 = 2.11 ** 2 / 11, 4.03 ** 2 / 9
    t_hand = (12.95 - 14.09) / math.sqrt(v1 + v2)
    df_hand = (v1 + v2) ** 2 / (v1 ** 2 / 10 + v2 ** 2 / 8)
    t, df, _ = st.welch(12.95, 2.11, 11, 14.09, 4.03, 9)
    assert float(t) == pytest.approx(t_hand) and float(df) == pytest.approx(df_hand)
    assert round(float(t), 2) == -0.77 and round(float(df), 1) == 11.5


def test_hedges_g_hand():
    # Personal 22.0 +- 0.57 vs 20.58 +- 2.83: pooled SD^2 = (10 * .3249 + 8 * 8.0089) / 18
    sp = math.sqrt((10 * 0.3249 + 8 * 8.0089) / 18)
    j = 1 - 3 / (4 * 18 - 1)
    assert float(st.hedges_g(22.0, 0.57, 11, 20.58, 2.83, 9, exact=False)) == pytest.approx(1.42 / sp * j)


def test_welch_rounding_box_verdicts():
    base = dict(test="welch_t", n1=11, n2=9, companion="a")
    summ = [dict(base, quantity="mean_cn", reported="22.0", decimals=1), dict(base, quantity="sd_cn", reported="0.57", decimals=2),
            dict(base, quantity="mean_us", reported="20.58", decimals=2), dict(base, quantity="sd_us", reported="2.83", decimals=2)]
    # at the printed point t = 1.48, but 22.0 stands for [21.95, 22.05]: t = 1.45 is attainable
    v = verdicts(summ + [dict(base, quantity="t", reported="1.45", decimals=2), dict(base, quantity="p", reported="0.184", decimals=3)])
    assert v["t"] == "consistent" and v["p"] == "consistent"
    v = verdicts(summ + [dict(base, quantity="t", reported="2.45", decimals=2), dict(base, quantity="p", reported="0.04", decimals=2)])
    assert v["t"] == "inconsistent" and v["p"] == "decision_error"


# --- Kendall's W -> Friedman ------------------------------------------------------------------

@pytest.mark.skipif(not HAS_R, reason="Rscript not installed")
def test_friedman_from_W_matches_R():
    # chi2 = m (n - 1) W = 3 * 24 * 0.489 = 35.208
    chisq, df, p = st.friedman_from_w(0.489, 3, 25)
    assert float(chisq) == pytest.approx(35.208) and df == 24
    assert float(p) == pytest.approx(r_value("pchisq(35.208, 24, lower.tail = FALSE)"), rel=1e-10)


def test_friedman_table_verdicts():
    base = dict(test="kendall_w", n1=3, n2=25, df1=24)
    ok = verdicts([dict(base, quantity="W", reported="0.489", decimals=3, companion="a"),
                   dict(base, quantity="p", reported="0.065", decimals=3, companion="a")])
    assert ok["p"] == "consistent"
    bad = verdicts([dict(base, quantity="W", reported="0.950", decimals=3, companion="a"),
                    dict(base, quantity="p", reported="0.001", decimals=3, companion="a")])
    assert bad["p"] == "inconsistent"  # the Friedman p is ~4e-6, not .001


def test_not_checkable():
    v = verdicts([dict(test="brunner_munzel", quantity="q", reported="0.05", relation=">=", decimals=2)])
    assert v["q"] == "not_checkable"
