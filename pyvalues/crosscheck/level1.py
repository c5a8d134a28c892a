"""Level 1: each reported result on its own.

For each group of claims that belong to one printed result (same `companion`), recompute the
p-value and effect size from the printed statistic and its dfs or ns, treating every printed
number as the interval of values that round to it, and compare with what is printed.
Verdicts follow statcheck (Nuijten et al. 2016): `consistent` when the intervals meet,
`decision_error` when they do not and the two sides fall on different sides of alpha = .05,
`inconsistent` otherwise.
"""
from __future__ import annotations

import functools
import math
import re

import numpy as np
import pandas as pd

from pyvalues.crosscheck import stats as st
from pyvalues.crosscheck.claims import Interval, claim_number, reported_interval
from pyvalues.crosscheck.pcheck import ONE_TAILED_RE, check_p

__all__ = ["ALPHA", "level1_rows", "p_verdict", "make_row", "shown"]

ALPHA = 0.05
_INFERENTIAL = {"chi2", "r", "Q", "H", "chi2_F", "BM", "V", "d", "r_es", "F", "p", "pes", "U", "r_rb", "t", "z", "df", "g", "W", "q", "p_adj", "ci_low", "ci_high", "delta",
                "rho_mean", "rho_sd", "tau_mean"}


def shown(claim) -> str:
    rel = claim["relation"]
    return str(claim["reported"]) if rel == "=" else f"{rel} {claim['reported']}"


def make_row(claim, level: int, recomputed: str, verdict: str, note: str, **result) -> dict:
    """One output row; `result` fills the result columns shared with the text route
    (test_type, df1, df2, value, p_comparison, p_reported, p_recomputed, one_tailed)."""
    row = {
        "claim_id": claim["claim_id"], "level": level, "location": claim["location"],
        "statistic": claim["statistic"], "reported": shown(claim), "recomputed": recomputed,
        "verdict": verdict, "note": note,
    }
    row.update(result)
    return row


def _p_fields(pc, test_type: str, df1, df2, value, p_recomputed: float, one_tailed: bool = False) -> dict:
    """The result columns of a p row (p_comparison and p_reported as printed)."""
    return {"test_type": test_type, "df1": df1, "df2": df2, "value": value,
            "p_comparison": pc["relation"], "p_reported": claim_number(pc),
            "p_recomputed": p_recomputed, "one_tailed": one_tailed}


def _interval(claim) -> Interval:
    return reported_interval(claim_number(claim), claim["decimals"], claim["relation"])


def _dec(claim) -> int | None:
    return None if pd.isna(claim["decimals"]) else int(claim["decimals"])


def _f(x: float, digits: int = 3) -> str:
    if abs(x) < 1e-3 and x != 0:
        return f"{x:.2e}"
    return f"{x:.{digits}f}"


def _iv(a: float, b: float, digits: int = 3) -> str:
    lo, hi = min(a, b), max(a, b)
    if _f(lo, digits) == _f(hi, digits):
        return _f(lo, digits)
    return f"[{_f(lo, digits)}, {_f(hi, digits)}]"


def _significant(claim) -> bool | None:
    """Whether the printed p declares significance at ALPHA (None when it cannot be told)."""
    v = claim_number(claim)
    rel = claim["relation"]
    if rel in ("<", "<="):
        return True if v <= ALPHA else None
    if rel in (">", ">="):
        return False if v >= ALPHA else None
    return v < ALPHA


def p_verdict(p_claim, p_lo: float, p_hi: float) -> str:
    """Verdict of a printed p against the recomputed p range [p_lo, p_hi]."""
    rep = _interval(p_claim)
    if rep.overlaps(Interval(p_lo, p_hi)):
        return "consistent"
    sig_rep = _significant(p_claim)
    sig_rec = True if p_hi < ALPHA else (False if p_lo >= ALPHA else None)
    if sig_rep is not None and sig_rec is not None and sig_rep != sig_rec:
        return "decision_error"
    return "inconsistent"


def _by_quantity(group: pd.DataFrame) -> dict:
    return {row["quantity"]: row for _, row in group.iterrows()}


# --- F tests (repeated-measures and mixed ANOVA) ---------------------------------------------

def _check_anova(group: pd.DataFrame) -> list[dict]:
    q = _by_quantity(group)
    out = []
    if "F" not in q:
        return out
    fc = q["F"]
    df1, df2 = fc["df1"], fc["df2"]
    if pd.isna(df1) or pd.isna(df2):
        return [make_row(fc, 1, "", "not_checkable", "The degrees of freedom are not printed, so p and partial eta squared cannot be recomputed.")]
    F = _interval(fc)
    out.append(make_row(fc, 1, f"F in {F}", "consistent",
                        f"F({df1:g}, {df2:g}) printed with {int(fc['decimals'])} decimals stands for {F}; its p and partial eta squared are checked in the companion rows.",
                        test_type="F", df1=df1, df2=df2, value=claim_number(fc)))
    if "p" in q:
        pc = q["p"]
        chk = check_p("F", claim_number(fc), int(fc["decimals"]), claim_number(pc), pc["relation"], _dec(pc), df1, df2)
        out.append(make_row(pc, 1, _iv(chk.p_lo, chk.p_hi, 4), chk.verdict, chk.note,
                            **_p_fields(pc, "F", df1, df2, claim_number(fc), chk.p_at)))
    if "pes" in q:
        ec = q["pes"]
        e_lo, e_hi = float(st.pes_from_f(F.lo, df1, df2)), float(st.pes_from_f(F.hi, df1, df2))
        ok = _interval(ec).overlaps(Interval(e_lo, e_hi))
        note = (f"Partial eta squared = F df1 / (F df1 + df2) with F in {F} and dfs ({df1:g}, {df2:g}) is {_iv(e_lo, e_hi, 4)}; "
                + ("the printed value agrees." if ok else "the printed value does not follow from F and its dfs."))
        out.append(make_row(ec, 1, _iv(e_lo, e_hi, 4), "consistent" if ok else "inconsistent", note,
                            test_type="eta2_p", value=claim_number(ec)))
    return out


# --- Mann-Whitney U --------------------------------------------------------------------------

def _tie_size(T: float) -> int:
    """The smallest s with s^3 - s >= T: one tie group of s equal values carries that tie sum."""
    s = 2
    while s ** 3 - s < T:
        s += 1
    return s


def mwu_p_explanations(U: float, n1: int, n2: int, p_iv: Interval, max_groups: int | None = None) -> dict:
    """How a Mann-Whitney U can give a printed p (interval `p_iv`), as R's wilcox.test would.

    Returns {'methods': {name: p}, 'hits': [names whose p is in p_iv], 'tie_needed': T or None,
    'tie_max': Tmax or None}: ties lower the normal-approximation p (they shrink sigma), so a
    printed p below the untied one is explained by ties whose sum of t^3 - t is T; that is
    admissible only when T <= Tmax, the largest tie sum two samples of n1 and n2 values with this U
    (and at most `max_groups` distinct values) can have (stats.max_tie_sum)."""
    methods = {}
    if U == int(U):
        methods["exact"] = st.mwu_p_exact(U, n1, n2)
    methods["normal, continuity correction"] = float(st.mwu_p_normal(U, n1, n2, True))
    methods["normal, no continuity correction"] = float(st.mwu_p_normal(U, n1, n2, False))
    hits = [m for m, pv in methods.items() if p_iv.contains(pv)]
    tie_needed = tie_max = None
    if not hits and p_iv.hi <= methods["normal, continuity correction"] and not math.isinf(p_iv.hi):
        # the least tie sum reaching into the interval is the one for its upper end
        T = st.implied_tie_sum(U, p_iv.hi, n1, n2, True)
        if not math.isnan(T):
            tie_needed = max(T, 0.0)
            tie_max = _max_tie_sum(n1, n2, U, max_groups)
    return {"methods": methods, "hits": hits, "tie_needed": tie_needed, "tie_max": tie_max}


@functools.lru_cache(maxsize=256)
def _max_tie_sum(n1, n2, U, max_groups):
    return st.max_tie_sum(n1, n2, U, max_groups)


def _tie_ok(ex: dict) -> bool:
    return ex["tie_needed"] is not None and not math.isnan(ex["tie_max"]) and ex["tie_needed"] <= ex["tie_max"]


def _tie_text(U: float, ex: dict, n1: int, n2: int) -> str:
    T, Tmax = ex["tie_needed"], ex["tie_max"]
    return (f"at U = {U:g} the normal approximation with continuity correction needs tie groups with "
            f"sum(t^3 - t) >= {T:.0f} (as much as one group of {_tie_size(T)} equal values); the largest tie sum "
            f"n1 = {n1}, n2 = {n2} allow with this U is {Tmax:.0f}")


def _check_mwu(group: pd.DataFrame) -> list[dict]:
    q = _by_quantity(group)
    if "U" not in q:
        return []
    uc = q["U"]
    if pd.isna(uc["n1"]) or pd.isna(uc["n2"]):
        return [make_row(c, 1, "", "not_checkable", "Mann-Whitney U needs the group sizes n1, n2, which are not given.",
                         test_type="U", value=claim_number(uc)) for c in q.values() if c["quantity"] in ("U", "p", "r_rb")]
    n1, n2 = int(uc["n1"]), int(uc["n2"])
    U_iv = _interval(uc)
    # U of two samples is a multiple of 1/2 (1/2 per tied pair); candidates on that grid inside
    # the (half-open) rounding interval of the printed U
    cands = [k / 2 for k in range(math.floor(2 * U_iv.lo) - 1, math.ceil(2 * U_iv.hi) + 2)
             if 0 <= k / 2 <= n1 * n2 and U_iv.contains(k / 2)]
    u_printed = claim_number(uc)
    out = []
    r_ok, p_ok = {}, {}
    for U in cands:
        if "r_rb" in q:
            r_ok[U] = _interval(q["r_rb"]).contains(float(st.r_rb_from_u(U, n1, n2)))
        if "p" in q:
            p_ok[U] = mwu_p_explanations(U, n1, n2, _interval(q["p"]))
    joint = [U for U in cands if r_ok.get(U, True) and (p_ok.get(U) is None or p_ok[U]["hits"] or _tie_ok(p_ok[U]))]

    def describe(U):
        ex = p_ok.get(U)
        if ex is None:
            return f"U = {U:g}"
        if ex["hits"]:
            return f"U = {U:g} ({', '.join(ex['hits'])})"
        return f"U = {U:g} (normal approximation with continuity correction and ties summing to sum(t^3 - t) ~ {ex['tie_needed']:.0f})"

    # what r_rb alone implies for U (to name the paper's U when it lies outside the printed U's interval)
    r_implied = []
    if "r_rb" in q:
        r_implied = [k / 2 for k in range(0, 2 * n1 * n2 + 1) if _interval(q["r_rb"]).contains(float(st.r_rb_from_u(k / 2, n1, n2)))]
    if joint:
        note = f"U in {U_iv}, n1 = {n1}, n2 = {n2}; the companions are reproduced by " + "; ".join(describe(U) for U in joint) + "."
        out.append(make_row(uc, 1, ", ".join(f"{U:g}" for U in joint), "consistent", note, test_type="U", value=u_printed))
    else:
        note = f"No U in {U_iv} (on the half-integer grid) reproduces the printed companions with n1 = {n1}, n2 = {n2}."
        if r_implied:
            note += (f" The printed r_rb = {q['r_rb']['reported']} implies U = {', '.join(f'{U:g}' for U in r_implied)}"
                     + (f", which also gives the printed p ({', '.join(p_ok_desc for p_ok_desc in _p_desc(r_implied, n1, n2, q))})" if "p" in q and _p_desc(r_implied, n1, n2, q) else "")
                     + f"; under the rounding convention (half-open, [v - .5, v + .5)) {r_implied[0]:g} does not print as {uc['reported']}.")
        out.append(make_row(uc, 1, ", ".join(f"{U:g}" for U in r_implied), "inconsistent", note,
                            test_type="U", value=u_printed))
    # r_rb and p agree with each other on a U outside the printed U's interval: the printed U is
    # the odd one out, and a data set can still reproduce r_rb and p (level 3 need not call them infeasible)
    companions_agree = bool(not joint and r_implied and "p" in q and _p_desc(r_implied, n1, n2, q))
    if "r_rb" in q:
        rc = q["r_rb"]
        r_lo, r_hi = float(st.r_rb_from_u(U_iv.hi, n1, n2)), float(st.r_rb_from_u(U_iv.lo, n1, n2))
        r_at = float(st.r_rb_from_u(u_printed, n1, n2))
        matching = [U for U in cands if r_ok.get(U)]
        ok = bool(matching)
        if ok and u_printed in matching:
            note = f"r_rb = 1 - 2U/(n1 n2) = {_f(r_at)} at U = {uc['reported']}; the printed value agrees."
        elif ok:
            note = (f"At U = {uc['reported']} exactly, r_rb = 1 - 2U/(n1 n2) = {_f(r_at)}, which does not round to the printed {rc['reported']}; "
                    f"the printed value implies U = {', '.join(f'{U:g}' for U in matching)}, within the rounding interval of the printed U.")
        else:
            note = (f"r_rb = 1 - 2U/(n1 n2) for U in {U_iv} (half-integer grid) is {_iv(r_lo, r_hi)}; the printed value does not follow from U"
                    + (f": it implies U = {', '.join(f'{U:g}' for U in r_implied)}" if r_implied else "")
                    + " (sign convention: positive when the first group has lower values).")
        out.append(make_row(rc, 1, _iv(r_lo, r_hi), "consistent" if ok else "inconsistent", note,
                            test_type="r_rb", value=claim_number(rc)))
        out[-1]["feasible_alone"] = companions_agree
    if "p" in q:
        pc = q["p"]
        all_p = [pv for U in cands for pv in p_ok[U]["methods"].values()]
        lo, hi = (min(all_p), max(all_p)) if all_p else (math.nan, math.nan)
        hits = [(U, m) for U in cands for m in p_ok[U]["hits"]]
        ties = sorted((U for U in cands if not p_ok[U]["hits"] and p_ok[U]["tie_needed"] is not None),
                      key=lambda U: U != u_printed)
        p_at = p_ok[u_printed]["methods"].get("exact", p_ok[u_printed]["methods"]["normal, continuity correction"]) if u_printed in p_ok else math.nan
        fields = _p_fields(pc, "U", n1, n2, u_printed, p_at)
        if hits:
            v = "consistent"
            note = "Reproduced by " + "; ".join(f"{m} at U = {U:g}" for U, m in hits) + "."
            if not any(U == u_printed for U, _ in hits):
                note += f" Not reproduced at U = {uc['reported']} exactly."
        elif ties and any(_tie_ok(p_ok[U]) for U in ties):
            U = next(U for U in ties if _tie_ok(p_ok[U]))
            v = "consistent"
            note = (f"Untied p-values for U in {U_iv} range over {_iv(lo, hi)}; the printed p is lower than the untied normal approximation "
                    f"({_f(p_ok[U]['methods']['normal, continuity correction'])} at U = {U:g}), as ties produce (R's wilcox.test): "
                    + _tie_text(U, p_ok[U], n1, n2) + ", so the design allows it.")
        elif ties:
            U = ties[0]
            v = p_verdict(pc, lo, hi)
            note = (f"Untied p-values for U in {U_iv} range over {_iv(lo, hi)}; ties could lower the normal-approximation p, but "
                    + _tie_text(U, p_ok[U], n1, n2) + ", less than needed: no tie pattern of this design gives the printed p.")
        else:
            v = p_verdict(pc, lo, hi)
            note = f"Exact and normal-approximation p-values for U in {U_iv}, n1 = {n1}, n2 = {n2} range over {_iv(lo, hi)}; the printed p is outside."
        out.append(make_row(pc, 1, _iv(lo, hi), v, note, **fields))
        out[-1]["feasible_alone"] = companions_agree
    return out


def _p_desc(Us, n1, n2, q) -> list[str]:
    out = []
    for U in Us:
        ex = mwu_p_explanations(U, n1, n2, _interval(q["p"]))
        if ex["hits"]:
            out.append(f"{', '.join(ex['hits'])} at U = {U:g}")
        elif _tie_ok(ex):
            out.append(f"normal approximation with ties, sum(t^3 - t) ~ {ex['tie_needed']:.0f}, at U = {U:g}")
    return out


# --- Welch's t from means and SDs ------------------------------------------------------------

def _grid(iv: Interval, k: int = 9) -> np.ndarray:
    return np.linspace(iv.lo, iv.hi, k)


def _inside(iv: Interval, arr: np.ndarray, tol: float = 1e-12) -> np.ndarray:
    """Interval.contains over an array."""
    above = arr >= iv.lo - tol if iv.lo_closed else arr > iv.lo + tol
    below = arr <= iv.hi + tol if iv.hi_closed else arr < iv.hi - tol
    return above & below


def _check_welch(group: pd.DataFrame) -> list[dict]:
    q = _by_quantity(group)
    need = ("mean_cn", "sd_cn", "mean_us", "sd_us")
    if not all(k in q for k in need):
        return []
    n1, n2 = int(q["mean_cn"]["n1"]), int(q["mean_cn"]["n2"])
    m1, s1, m2, s2 = np.meshgrid(*(_grid(_interval(q[k])) for k in need), indexing="ij")
    t, df, p = st.welch(m1, s1, n1, m2, s2, n2)
    g_exact = st.hedges_g(m1, s1, n1, m2, s2, n2, exact=True)
    g_approx = st.hedges_g(m1, s1, n1, m2, s2, n2, exact=False)
    box = ", ".join(f"{k} = {q[k]['reported']}" for k in need)
    out = []
    masks = {}
    for name, arr in (("t", t), ("df", df), ("p", p)):
        if name in q:
            masks[name] = _inside(_interval(q[name]), arr)
    if "g" in q:
        gi = _interval(q["g"])
        masks["g"] = _inside(gi, g_exact) | _inside(gi, g_approx)
    joint = np.ones_like(t, dtype=bool)
    for mk in masks.values():
        joint &= mk
    for name, arr in (("t", t), ("df", df), ("p", p), ("g", g_exact)):
        if name not in q:
            continue
        c = q[name]
        lo, hi = float(arr.min()), float(arr.max())
        if name == "g":
            lo, hi = min(lo, float(g_approx.min())), max(hi, float(g_approx.max()))
        ok = bool(masks[name].any())
        what = {"t": "Welch's t", "df": "the Welch-Satterthwaite df", "p": "the two-sided Welch p", "g": "Hedges' g (pooled SD, exact or approximate small-sample correction)"}[name]
        if ok:
            verdict = "consistent"
            note = f"Over the rounding box of the printed summaries ({box}; n = {n1}, {n2}) {what} ranges over {_iv(lo, hi)}; the printed value is attainable"
            note += ", jointly with all printed companions." if joint.any() else ", but not jointly with every printed companion."
        else:
            verdict = p_verdict(c, lo, hi) if name == "p" else "inconsistent"
            note = f"Over the rounding box of the printed summaries ({box}; n = {n1}, {n2}) {what} ranges over {_iv(lo, hi)}; the printed value is outside it."
        extra = {"test_type": name, "value": claim_number(c)}
        if name == "p" and "t" in q and "df" in q:
            # the printed t, fractional df and p jointly, as statcheck reads t(df) = t, p = p
            tc, dc = q["t"], q["df"]
            chk = check_p("t", claim_number(tc), _dec(tc), claim_number(c), c["relation"], _dec(c),
                          df1=claim_number(dc), df1_interval=_interval(dc))
            extra = _p_fields(c, "t", claim_number(dc), math.nan, claim_number(tc), chk.p_at)
            note += f" Jointly with the printed t and df (statcheck's rule, df as an interval): {chk.note[0].lower()}{chk.note[1:]}"
            if verdict == "consistent" and chk.verdict != "consistent":
                verdict = chk.verdict
        out.append(make_row(c, 1, _iv(lo, hi), verdict, note, **extra))
    return out


# --- Kendall's W and the Friedman test -------------------------------------------------------

def _check_kendall_w(group: pd.DataFrame) -> list[dict]:
    q = _by_quantity(group)
    if "W" not in q or "p" not in q:
        return []
    wc, pc = q["W"], q["p"]
    m, n = int(wc["n1"]), int(wc["n2"])
    W = _interval(wc)
    c_lo, df, p_hi = st.friedman_from_w(W.lo, m, n)
    c_hi, _, p_lo = st.friedman_from_w(W.hi, m, n)
    p_lo, p_hi = float(p_lo), float(p_hi)
    v = p_verdict(pc, p_lo, p_hi)
    note = (f"Friedman chi2 = m (n - 1) W = {_iv(float(c_lo), float(c_hi), 2)} on {df} df (m = {m} rankings, n = {n} terms) "
            f"gives p in {_iv(p_lo, p_hi, 4)}")
    if v == "consistent":
        note += "; the printed p agrees."
    elif claim_number(pc) == 0.001 and pc["relation"] == "=" and p_hi < 0.0005:
        note += ("; the printed p = .001 is larger than the Friedman p by a factor of "
                 f"{0.001 / p_hi:.0f} or more. It matches the floor 1/(B + 1) of a Monte Carlo permutation p with B = 999 "
                 "(or p < .001 printed as p = .001), not the Friedman test named in the table; the conclusion (p < .05) is unaffected.")
    elif v == "decision_error":
        note += "; the printed p lies on the other side of .05."
    else:
        note += "; the printed p lies outside this range."
    p_at = float(st.friedman_from_w(claim_number(wc), m, n)[2])
    return [make_row(wc, 1, f"chi2({df}) in {_iv(float(c_lo), float(c_hi), 2)}", "consistent",
                     f"W printed with {int(wc['decimals'])} decimals stands for {W}; W in [0, 1] as required.",
                     test_type="W", df1=df, value=claim_number(wc)),
            make_row(pc, 1, _iv(p_lo, p_hi, 4), v, note, **_p_fields(pc, "W", df, math.nan, claim_number(wc), p_at))]


# --- Mean of pairwise correlations and its CI -------------------------------------------------

def _check_corr_ci(group: pd.DataFrame) -> list[dict]:
    q = _by_quantity(group)
    if not all(k in q for k in ("rho_mean", "rho_sd", "ci_low", "ci_high")):
        return []
    n_models = int(q["rho_mean"]["n1"])
    P = n_models * (n_models - 1) // 2
    mean, sd = _interval(q["rho_mean"]), _interval(q["rho_sd"])
    tq = float(st.stats.t.isf(0.025, P - 1))
    zq = float(st.stats.norm.isf(0.025))
    out = []
    m0, s0 = claim_number(q["rho_mean"]), claim_number(q["rho_sd"])
    se_t = s0 / math.sqrt(P)
    se_boot = s0 * math.sqrt((P - 1) / P) / math.sqrt(P)
    for side, sign in (("ci_low", -1), ("ci_high", 1)):
        c = q[side]
        # t interval bound, monotone in mean and sd: extremes at the box corners
        vals = [mm + sign * tq * ss / math.sqrt(P) for mm in (mean.lo, mean.hi) for ss in (sd.lo, sd.hi)]
        t_lo, t_hi = min(vals), max(vals)
        t_ok = _interval(c).overlaps(Interval(t_lo, t_hi))
        half = abs(claim_number(c) - m0)
        ratio = half / (zq * se_boot)
        boot_ok = 0.85 <= ratio <= 1.15
        if t_ok:
            verdict, note = "consistent", f"The t interval mean {'+' if sign > 0 else '-'} t(.975, {P - 1}) SD / sqrt({P}) over the {P} pairs of {n_models} models gives {_iv(t_lo, t_hi, 4)}; the printed bound agrees."
        elif boot_ok:
            verdict = "consistent"
            note = (f"Not a t interval over the {P} pairs (that bound would be {_iv(t_lo, t_hi, 4)}), but compatible with a percentile bootstrap over pairs: "
                    f"its half-width {half:.4f} is {ratio:.2f} times the normal-theory bootstrap half-width 1.96 SD sqrt((P-1)/P) / sqrt(P) = {zq * se_boot:.4f}. "
                    f"Resampling pairs treats them as independent although each model enters {n_models - 1} of the {P} pairs, so this interval is too narrow.")
        else:
            verdict = "inconsistent"
            note = (f"Neither a t interval over the {P} pairs ({_iv(t_lo, t_hi, 4)}) nor a bootstrap over pairs (normal-theory half-width {zq * se_boot:.4f}; "
                    f"printed half-width {half:.4f}) reproduces the printed bound from the printed mean and SD.")
        out.append(make_row(c, 1, _iv(t_lo, t_hi, 4), verdict, note))
    return out


def _check_t_z(group: pd.DataFrame) -> list[dict]:
    """A printed t (with df) or z and its two-sided p, as statcheck checks them."""
    q = _by_quantity(group)
    stat = "t" if "t" in q else "z" if "z" in q else None
    if stat is None or "p" not in q:
        return []
    sc, pc = q[stat], q["p"]
    df, df_iv = math.nan, None
    if stat == "t":
        if pd.notna(sc["df1"]):
            df = float(sc["df1"])
        elif "df" in q:
            df, df_iv = claim_number(q["df"]), _interval(q["df"])
        else:
            return [make_row(pc, 1, "", "not_checkable", "The t statistic is printed without its df.")]
    chk = check_p(stat, claim_number(sc), _dec(sc), claim_number(pc), pc["relation"], _dec(pc), df1=df, df1_interval=df_iv,
                  one_tailed_in_text=bool(ONE_TAILED_RE.search(str(sc["statistic"]))))
    return [make_row(pc, 1, _iv(chk.p_lo, chk.p_hi, 4), chk.verdict, chk.note,
                     **_p_fields(pc, stat, df, math.nan, claim_number(sc), chk.p_at, chk.one_tailed))] \
        + _effect_rows(q, stat, claim_number(sc), _interval(sc), df, sc["n1"], sc["n2"])


def _effect_rows(q: dict, stat: str, value: float, value_iv: Interval, df: float, n1, n2) -> list[dict]:
    """Effect sizes printed beside a t or F: r = sqrt(t^2 / (t^2 + df)); Cohen's d = t sqrt(1/n1 + 1/n2)
    (independent groups; magnitude only) and Hedges' g = d J(n1 + n2 - 2)."""
    out = []
    ends = [abs(value_iv.lo), abs(value_iv.hi)] + ([0.0] if value_iv.lo < 0 < value_iv.hi else [])
    t_lo, t_hi = min(ends), max(ends)
    if stat == "F":
        t_lo, t_hi = math.sqrt(max(value_iv.lo, 0)), math.sqrt(max(value_iv.hi, 0))
    if "r_es" in q and not math.isnan(df):
        c = q["r_es"]
        lo, hi = t_lo / math.sqrt(t_lo ** 2 + df), t_hi / math.sqrt(t_hi ** 2 + df)
        ok = _interval(c).overlaps(Interval(lo, hi)) or _interval(c).overlaps(Interval(-hi, -lo))
        out.append(make_row(c, 1, _iv(lo, hi), "consistent" if ok else "inconsistent",
                            f"r = sqrt(t^2 / (t^2 + df)) with |t| in [{t_lo:.4g}, {t_hi:.4g}], df = {df:g} is {_iv(lo, hi)}; "
                            + ("the printed |r| agrees." if ok else "the printed r does not follow."), test_type="r", value=claim_number(c)))
    for name in ("d", "g"):
        if name not in q:
            continue
        c = q[name]
        if pd.isna(n1) or pd.isna(n2):
            out.append(make_row(c, 1, "", "not_checkable", f"Cohen's d / Hedges' g from t needs the group sizes, which the text does not state.",
                                test_type=name, value=claim_number(c)))
            continue
        k = math.sqrt(1 / n1 + 1 / n2)
        j = st.hedges_j(n1 + n2 - 2, exact=False) if name == "g" else 1.0
        lo, hi = t_lo * k * j, t_hi * k * j
        ok = _interval(c).overlaps(Interval(lo, hi)) or _interval(c).overlaps(Interval(-hi, -lo))
        what = "d = t sqrt(1/n1 + 1/n2)" + (" J, J = 1 - 3/(4 (n1 + n2 - 2) - 1)" if name == "g" else "")
        out.append(make_row(c, 1, _iv(lo, hi), "consistent" if ok else "inconsistent",
                            f"{what} with |t| in [{t_lo:.4g}, {t_hi:.4g}], n1 = {n1:g}, n2 = {n2:g} (independent groups, pooled SD) is {_iv(lo, hi)}; "
                            + ("the printed magnitude agrees." if ok else "the printed value does not follow (a paired design or another SD would give another d)."),
                            test_type=name, value=claim_number(c)))
    return out


_APA = {"chi2": "chi2", "r": "r", "Q": "Q", "H": "H", "chi2_F": "chi2_F", "BM": "t"}


def _check_apa(group: pd.DataFrame) -> list[dict]:
    """chi2, r, Q, Kruskal-Wallis H, Friedman chi2_F and a Brunner-Munzel statistic with its df, and p."""
    q = _by_quantity(group)
    stat = next((k for k in _APA if k in q), None)
    if stat is None:
        return []
    sc = q[stat]
    test_type = _APA[stat]
    out = []
    if "df" in q:  # a df printed as its own number (fractional, or approximate: t(~11.5))
        df1, df1_iv = claim_number(q["df"]), _interval(q["df"])
    elif pd.notna(sc["df1"]):
        df1 = float(sc["df1"])
        df1_iv = reported_interval(df1, _dec_df(sc), "=") if df1 != int(df1) else None
    else:
        return [make_row(c, 1, "", "not_checkable", f"The {stat} statistic is printed without its df, so p cannot be recomputed.",
                         test_type=stat, value=claim_number(sc)) for c in ([q["p"]] if "p" in q else [sc])]
    if "p" in q:
        pc = q["p"]
        chk = check_p(test_type, claim_number(sc), _dec(sc), claim_number(pc), pc["relation"], _dec(pc), df1=df1, df1_interval=df1_iv,
                      one_tailed_in_text=bool(ONE_TAILED_RE.search(str(sc["statistic"]))))
        note = chk.note
        if stat == "BM":
            note = "Brunner-Munzel statistic read as t on its (Satterthwaite) df, as brunnermunzel.test: " + note
        out.append(make_row(pc, 1, _iv(chk.p_lo, chk.p_hi, 4), chk.verdict, note,
                            **_p_fields(pc, stat, df1, math.nan, claim_number(sc), chk.p_at, chk.one_tailed)))
    if stat == "BM":
        out += _effect_rows(q, "t", claim_number(sc), _interval(sc), df1, sc["n1"], sc["n2"])
    return out


def _dec_df(c) -> int:
    s = str(c["df1"])
    return len(s.split(".")[1].rstrip("0")) if "." in s else 0


@functools.lru_cache(maxsize=64)
def _signrank_counts(n: int) -> tuple[int, ...]:
    """Number of sign patterns giving each V = 0..n(n+1)/2 (R's dsignrank * 2^n)."""
    c = [1]
    for k in range(1, n + 1):
        new = c + [0] * k
        for v, x in enumerate(c):
            new[v + k] += x
        c = new
    return tuple(c)


def signrank_p_exact(V: int, n: int) -> float:
    """Two-sided exact p of wilcox.test(x, mu = 0) with statistic V, n non-zero differences."""
    c = _signrank_counts(n)
    tot = 2 ** n
    if V > n * (n + 1) / 4:
        tail = sum(c[V:])
    else:
        tail = sum(c[: V + 1])
    return min(1.0, 2 * tail / tot)


def _check_signed_rank(group: pd.DataFrame) -> list[dict]:
    """Wilcoxon signed-rank V (R's wilcox.test paired / one-sample) with n pairs: exact p (no ties)
    and the normal approximation with continuity correction."""
    q = _by_quantity(group)
    if "V" not in q or "p" not in q:
        return []
    vc, pc = q["V"], q["p"]
    if pd.isna(vc["n1"]):
        return [make_row(pc, 1, "", "not_checkable", "The signed-rank statistic is printed without the number of pairs.",
                         test_type="V", value=claim_number(vc))]
    n = int(vc["n1"])
    iv = _interval(vc)
    cands = [k / 2 for k in range(math.floor(2 * iv.lo), math.ceil(2 * iv.hi) + 1) if iv.contains(k / 2) and 0 <= k / 2 <= n * (n + 1) / 2]
    ps = []
    for V in cands:
        if V == int(V) and n <= 50:
            ps.append(signrank_p_exact(int(V), n))
        mu, sigma = n * (n + 1) / 4, math.sqrt(n * (n + 1) * (2 * n + 1) / 24)
        for corr in (0.5, 0.0):
            z = (abs(V - mu) - corr) / sigma
            ps.append(float(2 * st.stats.norm.sf(max(z, 0.0))))
    lo, hi = (min(ps), max(ps)) if ps else (math.nan, math.nan)
    v = p_verdict(pc, lo, hi) if ps else "not_checkable"
    note = (f"Exact and normal-approximation p of the signed-rank V in {iv}, n = {n} (R's wilcox.test) range over {_iv(lo, hi)}; "
            + ("the printed p agrees." if v == "consistent" else "the printed p is outside (ties would only lower the normal p)."))
    v_printed = claim_number(vc)
    p_at = signrank_p_exact(int(v_printed), n) if v_printed == int(v_printed) and n <= 50 else math.nan
    return [make_row(pc, 1, _iv(lo, hi), v, note, **_p_fields(pc, "V", n, math.nan, v_printed, p_at))]


# Conventional benchmarks: Cohen (1988) for (partial) eta squared .01 / .06 / .14 (small / medium /
# large); Romano et al. (2006) for Cliff's delta |d| .147 / .33 / .474 (negligible below .147).
EFFECT_LABELS = {
    "eta2_p": ((0.01, "small"), (0.06, "medium"), (0.14, "large")),
    "delta": ((0.147, "small"), (0.33, "medium"), (0.474, "large")),
}
_LABEL_SOURCE = {"eta2_p": "Cohen (1988): .01 small, .06 medium, .14 large",
                 "delta": "Romano et al. (2006): .147 small, .33 medium, .474 large"}


def effect_label(kind: str, value: float) -> str:
    label = "negligible"
    for cut, name in EFFECT_LABELS[kind]:
        if abs(value) >= cut:
            label = name
    return label


def _check_label(group: pd.DataFrame) -> list[dict]:
    """A verbal label of an effect size ('large effect'), subject 'eta2_p=0.614' or 'delta~0.55'."""
    out = []
    for _, c in group[group["quantity"] == "label"].iterrows():
        m = re.match(r"^(eta2_p|delta)\s*([=~])\s*([-+]?\d*\.?\d+)$", c["subject"])
        if not m:
            out.append(make_row(c, 1, "", "not_checkable", "The subject does not name the effect size (write eta2_p=0.614 or delta~0.55)."))
            continue
        kind, rel, num = m.group(1), m.group(2), m.group(3)
        from pyvalues.crosscheck.pcheck import decimals_of
        iv = reported_interval(abs(float(num)), decimals_of(num), rel)
        labels = sorted({effect_label(kind, iv.lo), effect_label(kind, iv.hi)})
        printed = [x.strip() for x in re.split(r"-to-|-| to ", c["reported"]) if x.strip()]
        ok = set(printed) <= set(labels) and set(labels) <= set(printed) if len(printed) > 1 else printed[0] in labels
        note = (f"{kind} = {num} stands for |{kind}| in {iv}, which {_LABEL_SOURCE[kind]} call {' or '.join(labels)}; "
                f"printed '{c['reported']}'" + (", which agrees." if ok else
                                                  ", which does not: " + ("a range of labels claims the value sits at their border." if len(printed) > 1 else "another label.")))
        out.append(make_row(c, 1, "/".join(labels), _ok_label(ok), note, test_type=f"{kind}_label", value=float(num)))
    return out


def _ok_label(ok: bool) -> str:
    return "consistent" if ok else "inconsistent"


_DISPATCH = {
    "effect_label": _check_label,
    "t_test": _check_t_z,
    "z_test": _check_t_z,
    "rm_anova": _check_anova,
    "mixed_anova": _check_anova,
    "mann_whitney": _check_mwu,
    "welch_t": _check_welch,
    "kendall_w": _check_kendall_w,
    "spearman": _check_corr_ci,
    "chi2_test": _check_apa,
    "correlation": _check_apa,
    "q_test": _check_apa,
    "kruskal_wallis": _check_apa,
    "friedman": _check_apa,
    "brunner_munzel": _check_apa,
    "wilcoxon_signed_rank": _check_signed_rank,
}


def level1_rows(claims: pd.DataFrame) -> list[dict]:
    """Level-1 rows: one per inferential claim (checked or not_checkable)."""
    rows: list[dict] = []
    done: set[str] = set()
    for comp, group in claims[claims["companion"] != ""].groupby("companion", sort=False):
        tests = [t for t in group["test"].unique() if t in _DISPATCH]
        for test in tests:
            # descriptive companions (means, SDs) travel with the test they feed
            sub = group if test == "welch_t" else group[group["test"].isin([test, "descriptive"])]
            for r in _DISPATCH[test](sub):
                if r["claim_id"] not in done:
                    rows.append(r)
                    done.add(r["claim_id"])
    for r in _check_label(claims[(claims["test"] == "effect_label") & (claims["companion"] == "")]):
        rows.append(r)
        done.add(r["claim_id"])
    for _, c in claims.iterrows():
        if c["claim_id"] in done or c["quantity"] not in _INFERENTIAL or c["test"] in ("descriptive", "design", "count", "set", "membership"):
            continue
        rows.append(make_row(c, 1, "", "not_checkable", _why_not(c)))
    return rows


def _why_not(c) -> str:
    t, qn = c["test"], c["quantity"]
    if t == "brunner_munzel":
        return "No Brunner-Munzel statistic, df or per-term p is printed, so neither p nor q can be recomputed from the paper."
    if t == "paired_t_bonferroni":
        return "The post hoc t statistics are not printed; only the bound on the Bonferroni-adjusted p is, so there is nothing to recompute (see the level-2 row on what the bound requires)."
    if t == "cliffs_delta":
        return "Cliff's delta is printed without the counts or the test statistic it accompanies, so it cannot be recomputed; level 2 checks it against the 11 x 9 grid."
    if t == "kendall_tau":
        return "A mean of pairwise Kendall taus has no printed statistic to recompute it from; level 2 checks it against the Spearman mean (Daniels' inequality)."
    if t == "kendall_w" and qn != "W":
        return "A summary over the table's W values; checked against Table A-1 at level 2."
    if qn in ("rho_mean", "rho_sd"):
        return "A mean or SD of pairwise correlations has nothing printed to recompute it from; it enters the CI check of its companions."
    if qn == "W":
        return "Kendall's W is printed without a p-value here; the table row with the same model is checked at level 1 and this text value against the table at level 2."
    if qn == "p" and c["relation"] in (">", ">=", "<", "<="):
        return "A bound stated for a set of tests whose statistics are not all printed; nothing to recompute."
    return "The paper prints no statistic from which this number can be recomputed."
