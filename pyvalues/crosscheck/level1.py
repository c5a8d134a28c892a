"""Level 1: each reported result on its own.

For each group of claims that belong to one printed result (same `companion`), recompute the
p-value and effect size from the printed statistic and its dfs or ns, treating every printed
number as the interval of values that round to it, and compare with what is printed.
Verdicts follow statcheck (Nuijten et al. 2016): `consistent` when the intervals meet,
`decision_error` when they do not and the two sides fall on different sides of alpha = .05,
`inconsistent` otherwise.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from pyvalues.crosscheck import stats as st
from pyvalues.crosscheck.claims import Interval, claim_number, reported_interval

__all__ = ["ALPHA", "level1_rows", "p_verdict", "make_row", "shown"]

ALPHA = 0.05
_INFERENTIAL = {"F", "p", "pes", "U", "r_rb", "t", "z", "df", "g", "W", "q", "p_adj", "ci_low", "ci_high", "delta",
                "rho_mean", "rho_sd", "tau_mean"}


def shown(claim) -> str:
    rel = claim["relation"]
    return str(claim["reported"]) if rel == "=" else f"{rel} {claim['reported']}"


def make_row(claim, level: int, recomputed: str, verdict: str, note: str) -> dict:
    return {
        "claim_id": claim["claim_id"], "level": level, "location": claim["location"],
        "statistic": claim["statistic"], "reported": shown(claim), "recomputed": recomputed,
        "verdict": verdict, "note": note,
    }


def _interval(claim) -> Interval:
    return reported_interval(claim_number(claim), claim["decimals"], claim["relation"])


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
    p_lo, p_hi = float(st.p_from_f(F.hi, df1, df2)), float(st.p_from_f(F.lo, df1, df2))
    out.append(make_row(fc, 1, f"F in {F}", "consistent",
                        f"F({df1:g}, {df2:g}) printed with {int(fc['decimals'])} decimals stands for {F}; its p and partial eta squared are checked in the companion rows."))
    if "p" in q:
        pc = q["p"]
        v = p_verdict(pc, p_lo, p_hi)
        note = f"p = pf(F, {df1:g}, {df2:g}, lower.tail = FALSE) for F in {F} gives p in {_iv(p_lo, p_hi, 4)}"
        note += {"consistent": "; the printed p agrees.",
                 "inconsistent": "; the printed p lies outside this range (same side of .05).",
                 "decision_error": "; the printed p lies on the other side of .05."}[v]
        out.append(make_row(pc, 1, _iv(p_lo, p_hi, 4), v, note))
    if "pes" in q:
        ec = q["pes"]
        e_lo, e_hi = float(st.pes_from_f(F.lo, df1, df2)), float(st.pes_from_f(F.hi, df1, df2))
        ok = _interval(ec).overlaps(Interval(e_lo, e_hi))
        out.append(make_row(ec, 1, _iv(e_lo, e_hi, 4), "consistent" if ok else "inconsistent",
                            f"Partial eta squared = F df1 / (F df1 + df2) with F in {F} and dfs ({df1:g}, {df2:g}) is {_iv(e_lo, e_hi, 4)}; "
                            + ("the printed value agrees." if ok else "the printed value does not follow from F and its dfs.")))
    return out


# --- Mann-Whitney U --------------------------------------------------------------------------

def _check_mwu(group: pd.DataFrame) -> list[dict]:
    q = _by_quantity(group)
    if "U" not in q:
        return []
    uc = q["U"]
    n1, n2 = int(uc["n1"]), int(uc["n2"])
    U_iv = _interval(uc)
    # U of two samples is a multiple of 1/2 (1/2 per tied pair); candidates on that grid
    cands = [k / 2 for k in range(math.ceil(2 * U_iv.lo - 1e-9), math.floor(2 * U_iv.hi + 1e-9) + 1)
             if 0 <= k / 2 <= n1 * n2]
    u_printed = claim_number(uc)
    out = []
    r_ok, p_ok = {}, {}
    for U in cands:
        if "r_rb" in q:
            r_ok[U] = _interval(q["r_rb"]).contains(float(st.r_rb_from_u(U, n1, n2)))
        if "p" in q:
            rep = _interval(q["p"])
            methods = {}
            if U == int(U):
                methods["exact"] = st.mwu_p_exact(U, n1, n2)
            methods["normal, continuity correction"] = float(st.mwu_p_normal(U, n1, n2, True))
            methods["normal, no continuity correction"] = float(st.mwu_p_normal(U, n1, n2, False))
            hits = [m for m, p in methods.items() if rep.contains(p)]
            # ties shrink sigma and so can only lower the normal-approximation p
            tie_note = None
            if not hits and U != int(U) or (not hits and rep.hi < methods["normal, continuity correction"]):
                T = st.implied_tie_sum(U, claim_number(q["p"]), n1, n2, True)
                if not math.isnan(T) and T >= 0:
                    tie_note = T
            p_ok[U] = (methods, hits, tie_note)
    joint = [U for U in cands if r_ok.get(U, True) and (p_ok.get(U) is None or p_ok[U][1] or p_ok[U][2] is not None)]
    edge = [U for U in joint if U in (U_iv.lo, U_iv.hi)]

    def describe(U):
        methods, hits, T = p_ok.get(U, ({}, [], None))
        if hits:
            return f"U = {U:g} ({', '.join(hits)})"
        if T is not None:
            return f"U = {U:g} (normal approximation with continuity correction and ties summing to sum(t^3 - t) ~ {T:.0f})"
        return f"U = {U:g}"

    if joint:
        if all(U in edge for U in joint) and u_printed not in joint:
            note = (f"Printed U = {uc['reported']} stands for U in {U_iv}; the companions are reproduced only by "
                    + "; ".join(describe(U) for U in joint)
                    + f", on the edge of the rounding interval: the paper's U is {joint[0]:g} (a half-integer U arises from ties) printed as {uc['reported']}.")
        else:
            note = f"U in {U_iv}, n1 = {n1}, n2 = {n2}; the companions are reproduced by " + "; ".join(describe(U) for U in joint) + "."
        out.append(make_row(uc, 1, ", ".join(f"{U:g}" for U in joint), "consistent", note))
    else:
        out.append(make_row(uc, 1, "", "inconsistent",
                            f"No U in {U_iv} (on the half-integer grid) reproduces the printed companions with n1 = {n1}, n2 = {n2}."))
    if "r_rb" in q:
        rc = q["r_rb"]
        r_lo, r_hi = float(st.r_rb_from_u(U_iv.hi, n1, n2)), float(st.r_rb_from_u(U_iv.lo, n1, n2))
        r_at = float(st.r_rb_from_u(u_printed, n1, n2))
        ok = _interval(rc).overlaps(Interval(r_lo, r_hi))
        matching = [U for U in cands if r_ok.get(U)]
        if ok and u_printed in matching:
            note = f"r_rb = 1 - 2U/(n1 n2) = {_f(r_at)} at U = {uc['reported']}; the printed value agrees."
        elif ok:
            note = (f"At U = {uc['reported']} exactly, r_rb = 1 - 2U/(n1 n2) = {_f(r_at)}, which does not round to the printed {rc['reported']}; "
                    f"the printed value implies U = {', '.join(f'{U:g}' for U in matching)}, within the rounding interval of the printed U only at its edge.")
        else:
            note = f"r_rb = 1 - 2U/(n1 n2) for U in {U_iv} is {_iv(r_lo, r_hi)}; the printed value does not follow from U (sign convention: positive when the first group has lower values)."
        out.append(make_row(rc, 1, _iv(r_lo, r_hi), "consistent" if ok else "inconsistent", note))
    if "p" in q:
        pc = q["p"]
        all_p = []
        for U in cands:
            all_p += list(p_ok[U][0].values())
        lo, hi = min(all_p), max(all_p)
        hits = [(U, m) for U in cands for m in p_ok[U][1]]
        ties = sorted(((U, p_ok[U][2]) for U in cands if p_ok[U][2] is not None and not p_ok[U][1]),
                      key=lambda ut: ut[0] != u_printed)
        if hits:
            v = "consistent"
            note = "Reproduced by " + "; ".join(f"{m} at U = {U:g}" for U, m in hits) + "."
            if any(U != u_printed for U, _ in hits) and not any(U == u_printed for U, _ in hits):
                note += f" Not reproduced at U = {uc['reported']} exactly."
        elif ties:
            U, T = ties[0]
            v = "consistent"
            note = (f"Untied p-values for U in {U_iv} range over {_iv(lo, hi)}; the printed p is lower than the untied normal approximation "
                    f"({_f(p_ok[U][0]['normal, continuity correction'])} at U = {U:g}), as ties produce: R's wilcox.test with continuity correction gives it when "
                    f"the tie groups sum to sum(t^3 - t) ~ {T:.0f} (e.g. a few pairs and triples of equal dimension scores).")
        else:
            v = p_verdict(pc, lo, hi)
            note = f"Exact and normal-approximation p-values for U in {U_iv}, n1 = {n1}, n2 = {n2} range over {_iv(lo, hi)}; the printed p is outside."
        out.append(make_row(pc, 1, _iv(lo, hi), v, note))
    return out


# --- Welch's t from means and SDs ------------------------------------------------------------

def _grid(iv: Interval, k: int = 9) -> np.ndarray:
    return np.linspace(iv.lo, iv.hi, k)


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
            masks[name] = (arr >= _interval(q[name]).lo - 1e-12) & (arr <= _interval(q[name]).hi + 1e-12)
    if "g" in q:
        gi = _interval(q["g"])
        masks["g"] = ((g_exact >= gi.lo) & (g_exact <= gi.hi)) | ((g_approx >= gi.lo) & (g_approx <= gi.hi))
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
        out.append(make_row(c, 1, _iv(lo, hi), verdict, note))
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
    return [make_row(wc, 1, f"chi2(24) in {_iv(float(c_lo), float(c_hi), 2)}", "consistent",
                     f"W printed with {int(wc['decimals'])} decimals stands for {W}; W in [0, 1] as required."),
            make_row(pc, 1, _iv(p_lo, p_hi, 4), v, note)]


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
    iv = _interval(sc)
    if stat == "t":
        df = float(sc["df1"]) if pd.notna(sc["df1"]) else (claim_number(q["df"]) if "df" in q else math.nan)
        if math.isnan(df):
            return [make_row(pc, 1, "", "not_checkable", "The t statistic is printed without its df.")]
        f = lambda x: float(st.p_from_t(x, df))  # noqa: E731
        what = f"2 pt(-|t|, {df:g})"
    else:
        f = lambda x: float(2 * st.stats.norm.sf(abs(x)))  # noqa: E731
        what = "2 pnorm(-|z|)"
    # |stat| closest to 0 gives the largest p
    ends = [iv.lo, iv.hi] + ([0.0] if iv.lo < 0 < iv.hi else [])
    ps = [f(x) for x in ends]
    lo, hi = min(ps), max(ps)
    v = p_verdict(pc, lo, hi)
    note = f"p = {what} for {stat} in {iv} is {_iv(lo, hi, 4)}" + {
        "consistent": "; the printed p agrees.",
        "inconsistent": "; the printed p lies outside this range (same side of .05).",
        "decision_error": "; the printed p lies on the other side of .05."}[v]
    return [make_row(pc, 1, _iv(lo, hi, 4), v, note)]


_DISPATCH = {
    "t_test": _check_t_z,
    "z_test": _check_t_z,
    "rm_anova": _check_anova,
    "mixed_anova": _check_anova,
    "mann_whitney": _check_mwu,
    "welch_t": _check_welch,
    "kendall_w": _check_kendall_w,
    "spearman": _check_corr_ci,
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
