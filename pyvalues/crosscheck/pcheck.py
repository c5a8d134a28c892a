"""statcheck's level-1 rule for one printed result, shared by the claims-file and the text route.

A printed result (test statistic with its dfs, and a p-value) is `consistent` when some value of
the statistic and of its dfs inside their rounding intervals gives a p inside the rounding
interval of the printed p (Nuijten et al. 2016, statcheck's `error_test`: the printed p lies
between the p-values of the two ends of the statistic's interval, each rounded to the printed
digits). Intervals are the one convention of :func:`pyvalues.crosscheck.claims.reported_interval`
(half-open at the printed digits). Unlike statcheck we also treat a df printed with decimals
(Welch's t(11.5)) or as approximate (t(~11.5)) as an interval.

`decision_error` replicates statcheck's `decision_error_test` (alpha = .05, pEqualAlphaSig =
TRUE): an inconsistent result whose printed p and the p recomputed from the printed statistic
fall on different sides of alpha. One-tailed tests: as statcheck with `OneTailedTxt = TRUE`, an
inconsistent t, z or r result is re-checked with the one-tailed p when the text around it says
"one-sided", "one-tailed" or "directional" (statcheck's `extract_1tail`); if that is consistent
the result is consistent and `one_tailed` is True. When the one-tailed p fits but the text does
not say so, the note says it and the verdict stays.

p-values: t, z: two-sided, 2 pt(-|t|, df) / 2 pnorm(-|z|); r: t = r sqrt(df / (1 - r^2)) on df;
F: pf(F, df1, df2, lower.tail = FALSE); chi2, Q, H (Kruskal-Wallis), chi2_F (Friedman):
pchisq(x, df, lower.tail = FALSE) -- statcheck's `compute_p`.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from pyvalues.crosscheck.claims import Interval, reported_interval
from pyvalues.crosscheck.stats import stats  # scipy.stats, imported on first use

__all__ = ["ALPHA", "ONE_TAILED_RE", "TEST_TYPES", "PCheck", "p_value", "check_p", "decimals_of"]

ALPHA = 0.05
ONE_TAILED_RE = re.compile(r"one.?sided|one.?tailed|directional", re.IGNORECASE)
TEST_TYPES = ("t", "F", "r", "chi2", "z", "Q", "H", "chi2_F")
_TWO_SIDED = ("t", "z", "r")


def decimals_of(printed: str) -> int:
    """Number of decimals of a number as printed ('.382' -> 3, '37' -> 0, '1.2e-5' -> 0)."""
    s = printed.strip().lstrip("+-−")
    if "e" in s.lower():
        return 0
    return len(s.split(".")[1]) if "." in s else 0


def p_value(test_type: str, x: float, df1: float = math.nan, df2: float = math.nan, two_tailed: bool = True) -> float:
    """p of a test statistic, as statcheck's compute_p (R's pt, pf, pnorm, pchisq)."""
    if test_type == "t":
        p = stats.t.sf(abs(x), df2 if not math.isnan(df2) else df1)
    elif test_type == "z":
        p = stats.norm.sf(abs(x))
    elif test_type == "r":
        df = df2 if not math.isnan(df2) else df1
        if abs(x) >= 1:
            p = 0.0
        else:
            p = stats.t.sf(abs(x) / math.sqrt((1 - x * x) / df), df)
    elif test_type == "F":
        p = stats.f.sf(x, df1, df2)
    elif test_type in ("chi2", "Q", "H", "chi2_F"):
        p = stats.chi2.sf(x, df1)
    else:
        raise ValueError(f"unknown test type {test_type!r}; one of {TEST_TYPES}")
    p = float(p)
    return min(1.0, 2 * p) if (two_tailed and test_type in _TWO_SIDED) else p


@dataclass
class PCheck:
    verdict: str          # consistent, inconsistent, decision_error, not_checkable
    p_lo: float           # range of p over the rounding box of statistic and dfs
    p_hi: float
    p_at: float           # p at the printed statistic and dfs
    one_tailed: bool      # judged as a one-tailed test
    note: str


def _df_values(iv: Interval | None) -> list[float]:
    if iv is None:
        return [math.nan]
    if iv.lo == iv.hi:
        return [iv.lo]
    return list(np.linspace(iv.lo, iv.hi, 7))


def _stat_values(test_type: str, iv: Interval) -> list[float]:
    lo, hi = iv.lo, iv.hi
    if test_type in ("F", "chi2", "Q", "H", "chi2_F"):
        lo = max(lo, 0.0)
    if test_type == "r":
        lo, hi = max(lo, -1.0), min(hi, 1.0)
    hi = min(hi, 1e6) if math.isinf(hi) else hi
    lo = max(lo, -1e6) if math.isinf(lo) else lo
    vals = [lo, hi]
    if lo < 0 < hi:
        vals.append(0.0)
    return vals


def _p_range(test_type, s_iv, df1_iv, df2_iv, two_tailed) -> tuple[float, float]:
    ps = [p_value(test_type, s, d1, d2, two_tailed)
          for s in _stat_values(test_type, s_iv) for d1 in _df_values(df1_iv) for d2 in _df_values(df2_iv)]
    return min(ps), max(ps)


def _decision_error(p_rel: str, p_rep: float, p_at: float, test_rel: str) -> bool:
    """statcheck's decision_error_test with pEqualAlphaSig = TRUE ('ns' read as p > alpha)."""
    a = ALPHA
    if test_rel == "=":
        if p_rel == "=":
            return (p_rep <= a < p_at) or (p_rep > a >= p_at)
        if p_rel in ("<", "<="):
            return p_rep <= a < p_at
        return p_rep >= a >= p_at
    if test_rel == "<":
        return p_rel in ("=", "<", "<=") and p_rep <= a <= p_at
    if test_rel == ">":
        return (p_rel == "=" and p_rep > a >= p_at) or (p_rel in (">", ">=") and p_rep >= a >= p_at)
    return False


def _fmt_p(x: float) -> str:
    return f"{x:.2e}" if 0 < x < 1e-4 else f"{x:.4f}"


def check_p(test_type: str, value: float, value_decimals: int, p_reported: float | None, p_relation: str,
            p_decimals: int | None, df1: float = math.nan, df2: float = math.nan,
            df1_interval: Interval | None = None, df2_interval: Interval | None = None,
            test_relation: str = "=", one_tailed_in_text: bool = False) -> PCheck:
    """statcheck's rule for one result. `p_relation` is '=', '<', '<=', '>', '>=' or 'ns'
    (printed "ns": p > .05); the df intervals default to the exact printed dfs."""
    if test_relation == "=":
        s_iv = reported_interval(value, value_decimals, "=")
    else:
        s_iv = reported_interval(value, None, {"<": "<", "<=": "<=", ">": ">", ">=": ">="}[test_relation])
    if df1_interval is None and not math.isnan(df1):
        df1_interval = Interval(df1, df1)
    if df2_interval is None and not math.isnan(df2):
        df2_interval = Interval(df2, df2)
    if test_type in ("t", "r") and df2_interval is None:
        df2_interval = df1_interval
    p_lo, p_hi = _p_range(test_type, s_iv, df1_interval, df2_interval, True)
    p_at = p_value(test_type, value, df1, df2 if not math.isnan(df2) else df1, True)
    if p_relation == "ns":
        p_iv, p_rep, rel = Interval(ALPHA, math.inf, False, False), ALPHA, ">"
    else:
        if p_reported is None:
            return PCheck("not_checkable", p_lo, p_hi, p_at, False, "No p-value is printed with the statistic.")
        p_iv, p_rep, rel = reported_interval(p_reported, p_decimals, p_relation), p_reported, p_relation
    what = {"t": f"2 pt(-|t|, df)", "z": "2 pnorm(-|z|)", "r": "2 pt(-|r| sqrt(df / (1 - r^2)), df)",
            "F": "pf(F, df1, df2, lower.tail = FALSE)"}.get(test_type, "pchisq(x, df, lower.tail = FALSE)")
    def _wide(iv):
        return iv is not None and iv.lo != iv.hi
    if test_type in ("t", "r"):
        box = f"{test_type} in {s_iv}" + (f", df in {df2_interval}" if _wide(df2_interval) else "")
    else:
        box = f"{test_type} in {s_iv}" + (f", df1 in {df1_interval}" if _wide(df1_interval) else "") \
            + (f", df2 in {df2_interval}" if _wide(df2_interval) else "")
    if rel == "=" and p_rep <= 0:
        return PCheck("inconsistent", p_lo, p_hi, p_at, False,
                      f"A printed p = 0 is impossible (statcheck's pZeroError); {what} for {box} is {_fmt_p(p_lo)}-{_fmt_p(p_hi)}; print p < .001.")
    ok = p_iv.overlaps(Interval(p_lo, p_hi))
    rng = _fmt_p(p_lo) if _fmt_p(p_lo) == _fmt_p(p_hi) else f"[{_fmt_p(p_lo)}, {_fmt_p(p_hi)}]"
    note = f"{what} for {box} gives p in {rng}"
    if ok:
        return PCheck("consistent", p_lo, p_hi, p_at, False, note + "; the printed p agrees.")
    # one-tailed re-check (statcheck, OneTailedTxt = TRUE)
    if test_type in _TWO_SIDED:
        o_lo, o_hi = _p_range(test_type, s_iv, df1_interval, df2_interval, False)
        if p_iv.overlaps(Interval(o_lo, o_hi)):
            o_rng = f"[{_fmt_p(o_lo)}, {_fmt_p(o_hi)}]"
            if one_tailed_in_text:
                return PCheck("consistent", o_lo, o_hi, p_value(test_type, value, df1, df2 if not math.isnan(df2) else df1, False), True,
                              note + f"; the printed p is the one-tailed p ({o_rng}), and the text says the test is one-sided (statcheck's rule).")
            note += f"; the printed p equals the one-tailed p {o_rng}, but the text does not say the test is one-tailed"
    dec = _decision_error(rel, p_rep, p_at, test_relation)
    note += ("; the printed p lies on the other side of .05 (decision error)." if dec
             else "; the printed p lies outside this range.")
    return PCheck("decision_error" if dec else "inconsistent", p_lo, p_hi, p_at, False, note)
