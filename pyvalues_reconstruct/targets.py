"""The targets of a reconstruction: a claims file's rows, as constraints on named statistics.

`load_targets` turns every row of a claims file (data-raw/claims/README.md) into a `Target`:
interval constraints on the statistics of `pyvalues_reconstruct.layout.stat_names`, a set
or partition target, or a row the search does not target (design facts, derived numbers,
numbers the data alone do not determine). Claims no data set of the design can reproduce
together with the others are marked infeasible, with the reason, decided from the printed
numbers themselves.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

from pyvalues.crosscheck.design import MODEL_NAMES

from .layout import SET_SIZE, Layout, Study, study_from_claims

__all__ = ["Target", "Targets", "load_targets", "infeasible_top5", "SCALE", "WEIGHT"]


class Targets(list):
    """The targets of one claims file (a list of `Target`), with the `Study` whose shape they
    describe (`.study`)."""

    def __init__(self, study: Study, items=()):
        super().__init__(items)
        self.study = study


def _words(n: int) -> str:
    return {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven"}.get(n, str(n))


def _excepted_model(subject: str, study: Study) -> str | None:
    """The model named after 'except' in a subject such as 'US except Microsoft-Phi4'."""
    name = subject.split("except", 1)[1].strip() if "except" in subject else ""
    try:
        return study.model(name) if name else None
    except KeyError:
        return name


@dataclass
class Target:
    claim_id: str
    test: str
    quantity: str
    subject: str
    statistic: str
    reported: str
    relation: str
    decimals: float | None
    kind: str  # num, set, partition, derived, design, untargeted
    feasible: bool = True
    reason: str = ""
    source: str = "claims"
    subs: list = field(default_factory=list)  # (stat name, lo, hi, lo_incl, hi_incl)
    set_spec: tuple | None = None  # (kind, who, [terms], allow)
    members: list | None = None


# Distances outside a target's interval are divided by a natural range of the quantity, so
# that no family of targets (4-decimal correlations, say) freezes the others.
SCALE = {
    "W": 0.005, "mean": 0.1, "median_cn": 0.1, "median_us": 0.1, "mean_cn": 0.1,
    "mean_us": 0.1, "sd_cn": 0.1, "sd_us": 0.1, "mean_sd": 0.1, "F": 1.0, "p": 0.02,
    "p_adj": 0.02, "q": 0.02, "pes": 0.01, "U": 1.0, "r_rb": 0.02, "delta": 0.02, "t": 0.1,
    "df": 0.5, "g": 0.02, "rho_mean": 0.01, "rho_sd": 0.01, "tau_mean": 0.01, "count": 1.0,
    "term_list": 1.0,  # a rank among the terms
}
# Table A-1's W also fixes the printed order (rank) of the models: weigh W twice.
WEIGHT = {"W": 2.0}


def _interval(reported: float, relation: str, decimals: float | None):
    """(lo, hi, lo_incl, hi_incl) of a printed number: its rounding interval or bound, from
    pyvalues.crosscheck.claims.reported_interval (the one convention: half-open [v - h, v + h)
    at the printed digits), a missing `decimals` read as 0."""
    from pyvalues.crosscheck.claims import reported_interval

    dec = 0 if decimals is None or (isinstance(decimals, float) and math.isnan(decimals)) else int(decimals)
    iv = reported_interval(reported, dec, relation)
    return iv.lo, iv.hi, iv.lo_closed, iv.hi_closed


def _friedman_p_range(w_printed: float, dec: int, L: Layout):
    """Friedman p of the interval a printed W stands for: chi-square = NR (NT - 1) W on NT - 1 df."""
    lo, hi = w_printed - 0.5 * 10 ** -dec, w_printed + 0.5 * 10 ** -dec
    hi = min(hi, 1.0)
    k, df = L.NR * (L.NT - 1), L.NT - 1
    return (sps.chi2.sf(k * hi, df), sps.chi2.sf(k * lo, df))


def _sig_marker(p: float) -> str:
    # Table A-1 prints "**" and "ns"; read with the usual legend: ** p < .01, * p < .05.
    if p < 0.001:
        return "***|**"  # a table without a *** column prints p < .001 as **
    if p < 0.01:
        return "**"
    if p < 0.05:
        return "*"
    return "ns"


def load_targets(claims_path, study: Study | None = None) -> Targets:
    """Targets of the search from the claims file, with feasibility and reasons.

    Every row becomes a Target. kind: `num` (interval constraints on named statistics),
    `set`, `partition` (the archetype memberships), `derived` (implied by other targets and
    evaluated afterwards), `design` (true by construction), `untargeted` (not a function of
    the data alone). Infeasible claims are excluded from the objective; the reason says why.
    The shape comes from the claims file's design rows (`study_from_claims`) unless `study`
    is given; the returned list carries it as `.study`.
    """
    study = study if study is not None else study_from_claims(claims_path)
    L = study.layout
    country = study.country
    DIMENSIONS, TERM_NAMES = study.dimensions, study.terms
    claims = pd.read_csv(claims_path, dtype=str, keep_default_na=False)
    rows = claims.to_dict("records")
    by_id = {r["claim_id"]: r for r in rows}
    out = Targets(study)
    printed_W = {}
    for r in rows:
        if r["test"] == "kendall_w" and r["quantity"] == "W" and r["subject"] in country:
            printed_W.setdefault(r["subject"], (float(r["reported"]), int(r["decimals"])))
    named_posthoc = set()
    for r in rows:
        if r["test"] == "paired_t_bonferroni" and ">" in r["subject"]:
            a, b = r["subject"].split(">")
            named_posthoc.add(frozenset((a.strip(), b.strip())))
    for r in rows:
        dec = float(r["decimals"]) if r["decimals"] != "" else None
        t = Target(r["claim_id"], r["test"], r["quantity"], r["subject"], r["statistic"],
                   r["reported"], r["relation"], dec, kind="num")
        test, q, subj, rel = r["test"], r["quantity"], r["subject"], r["relation"]
        val = None
        try:
            val = float(r["reported"])
        except ValueError:
            pass

        def add(stat, reported=val, relation=rel, decimals=dec):
            lo, hi, li, hi_i = _interval(reported, relation, decimals)
            t.subs.append((stat, lo, hi, li, hi_i))

        if test == "design":
            t.kind = "design"
        elif test == "descriptive" and q == "mean" and subj in DIMENSIONS:
            add(f"dim_mean|{subj}")
        elif test == "count" and q == "count" and subj.endswith(("|Primary", "|Secondary")):
            dim, which = subj.split("|")
            add(f"n_{which.lower()}|{dim}")
        elif test == "count" and q == "percent":
            t.kind = "derived"
        elif test == "descriptive" and q == "mean_sd":
            add(f"mean_sd|{subj}")
        elif test == "rm_anova":
            add(f"disp|{q}")
        elif test == "paired_t_bonferroni":
            if ">" in subj:
                a, b = [x.strip() for x in subj.split(">")]
                ia, ib = DIMENSIONS.index(a), DIMENSIONS.index(b)
                lo_, hi_ = sorted((ia, ib))
                add(f"posthoc|{DIMENSIONS[lo_]}|{DIMENSIONS[hi_]}")
                # direction: a's mean SD above b's
                if ia < ib:
                    t.subs.append((f"pdiff|{a}|{b}", 0.0, np.inf, False, True))
                else:
                    t.subs.append((f"pdiff|{b}|{a}", -np.inf, 0.0, True, False))
            else:  # the remaining pairs
                for k, (a, b) in enumerate(L.pairs()):
                    if frozenset((DIMENSIONS[a], DIMENSIONS[b])) not in named_posthoc:
                        add(f"posthoc|{DIMENSIONS[a]}|{DIMENSIONS[b]}")
        elif test == "set" and q == "terms" and subj.startswith(("CN|", "US|")):
            grp, end = subj.split("|")
            terms = [x.strip() for x in r["reported"].split(";")]
            t.kind = "set"
            t.set_spec = (0 if end == "top5" else 1, 0 if grp == "CN" else 1, terms,
                          1 if rel == "~" else 0)
        elif test == "set" and q == "terms" and subj.startswith("cluster"):
            c = int(subj.split()[1])
            t.kind = "set"
            t.set_spec = (2, c - 1, [x.strip() for x in r["reported"].split(";")], 0)
        elif test == "membership":
            t.members = [study.model(x) for x in r["reported"].split(";")]
            t.kind = "partition" if rel == "=" else "derived"
        elif test in ("mann_whitney", "welch_t", "descriptive") and subj in DIMENSIONS:
            fld = {"p": "p_mwu" if test == "mann_whitney" else "p_welch", "g": "hedges_g"}.get(q, q)
            add(f"grp|{subj}|{fld}")
        elif test in ("mann_whitney", "welch_t") and subj.startswith("all"):
            fld = {("mann_whitney", "p"): "p_mwu", ("mann_whitney", "q"): "q_mwu",
                   ("welch_t", "p"): "p_welch"}[(test, q)]
            for dim in DIMENSIONS:
                add(f"grp|{dim}|{fld}")
        elif test == "mixed_anova":
            add(f"mixed|{subj}|{q}")
        elif test in ("spearman", "kendall_tau"):
            meth = "spearman" if test == "spearman" else "kendall"
            if q in ("rho_mean", "tau_mean"):
                add(f"cor|{meth}|{subj}|mean")
            elif q == "rho_sd":
                add(f"cor|{meth}|{subj}|sd")
            else:
                t.kind = "untargeted"
                t.feasible = False
                t.reason = ("a percentile-bootstrap bound depends on the authors' unpublished "
                            "resampling (seed, number of resamples), not on the rank data alone; "
                            "shown for information, excluded from the objective")
        elif test == "kendall_w" and q == "W" and subj in country:
            add(f"W|{subj}")
        elif test == "kendall_w" and q == "p" and subj in country:
            add(f"friedman_p|{subj}")
        elif test == "kendall_w" and q in ("sig", "rank"):
            t.kind = "derived"
        elif test == "kendall_w" or (test == "count" and subj == "models with p < .05"):
            t.kind = "derived"
        elif test == "count" and subj == "clusters":
            t.kind = "design"  # cutree(k = 4)
        elif test == "brunner_munzel" and q == "q" and subj.startswith("all"):
            for term in TERM_NAMES:
                add(f"bm_q|{term}")
        elif test == "brunner_munzel" and q == "p" and subj in TERM_NAMES:
            add(f"bm_p|{subj}")
        elif test == "cliffs_delta":
            add(f"delta|{subj}")
        elif test == "ordering" and q == "term_list" and subj.endswith(("|consensus", "|disagreement")):
            # the heat map: every listed term among the SET_SIZE terms with the smallest
            # (consensus) or largest (disagreement) SD of the models' mean ranks
            for term in (x.strip() for x in r["reported"].split(";")):
                if subj.endswith("|disagreement"):
                    t.subs.append((f"term_sd_rank|{term}", 1.0, float(SET_SIZE), True, True))
                else:
                    t.subs.append((f"term_sd_rank|{term}", float(L.NT - SET_SIZE + 1), float(L.NT), True, True))
        else:
            t.kind = "derived"
        out.append(t)

    # Appendix A.3 says the two terms with Cliff's delta ~ +-0.55 showed "concordant directional
    # trends in the uncorrected tests" (Brunner-Munzel p < .05) while all q >= .05. Where the
    # claims file has no row for the uncorrected p, it is a supplementary target here.
    bm_p_rows = {x.subject for x in out if x.test == "brunner_munzel" and x.quantity == "p"}
    for t0 in [x for x in out if x.test == "cliffs_delta" and x.subject not in bm_p_rows]:
        t = Target(f"supp_bm_p_uncorrected_{t0.subject.split()[0].lower()}", "brunner_munzel", "p",
                   t0.subject, "concordant directional trends in the uncorrected tests",
                   "0.05", "<", 2.0, kind="num", source="paper text (Appendix A.3), not in claims file")
        t.subs.append((f"bm_p|{t0.subject}", -np.inf, 0.05, True, False))
        out.append(t)

    # --- joint infeasibility, decided from the printed numbers themselves ----------------------
    def infeasible(claim_id, reason):
        for t in out:
            if t.claim_id == claim_id:
                t.feasible = False
                t.reason = reason

    for t in out:
        if t.test == "mixed_anova" and t.subject == "country":
            infeasible(t.claim_id,
                       f"complete rankings make every model's {_words(L.ND)} dimension scores average exactly "
                       f"{(L.NT + 1) / 2:g}, "
                       "so the between-subject (country) sum of squares is identically 0: F = 0, "
                       "p = 1, partial eta2 = 0 for any data of this design")
        if t.test == "kendall_w" and t.quantity == "p" and t.subject in printed_W:
            w, wd = printed_W[t.subject]
            plo, phi = _friedman_p_range(w, wd, L)
            lo, hi, _, _ = _interval(float(t.reported), t.relation, t.decimals)
            if phi < lo or plo >= hi:
                infeasible(t.claim_id,
                           f"with W = {w:.{wd}f} as printed (m = {L.NR}, {L.NT} terms) chi-square = "
                           f"{L.NR * (L.NT - 1)} W on {L.NT - 1} df "
                           f"gives p in [{plo:.2g}, {phi:.2g}], which cannot print as p = {t.reported}")
        if t.test == "kendall_w" and t.quantity == "sig" and t.subject in printed_W:
            w, wd = printed_W[t.subject]
            plo, phi = _friedman_p_range(w, wd, L)
            marks = {_sig_marker(plo), _sig_marker(phi)}
            ok = any(t.reported in m.split("|") for m in marks)
            if not ok:
                infeasible(t.claim_id,
                           f"W = {w:.{wd}f} gives Friedman p in [{plo:.3f}, {phi:.3f}], marked "
                           f"{'/'.join(sorted(marks))} under the usual legend (** p < .01, * p < .05), "
                           f"not {t.reported}")
    # the count of significant models vs Table A-1
    n_sig_table = sum(1 for w, wd in printed_W.values() if _friedman_p_range(w, wd, L)[1] < 0.05)
    for t in out:
        if t.test == "count" and t.subject == "models with p < .05" and int(float(t.reported)) != n_sig_table:
            infeasible(t.claim_id, f"Table A-1's W values give {n_sig_table} models with Friedman p < .05, "
                                   f"not {t.reported}")
        if t.test == "kendall_w" and t.subject.startswith("US except"):
            excepted = _excepted_model(t.subject, study)
            bad = [m for m, (w, _) in printed_W.items() if country[m] == "US"
                   and m != excepted and not w > float(t.reported)]
            if bad:
                infeasible(t.claim_id, f"Table A-1 prints W <= {t.reported} for US model(s) "
                                       f"{', '.join(bad)}")
    # Group Top-5 sets: kept in the objective (no proof of infeasibility), with what we know
    for t in out:
        if t.kind == "set" and t.set_spec[0] == 0 and study.models == MODEL_NAMES:
            t.reason = (
                "not proven infeasible: an LP relaxation (each model's term means in the "
                "permutahedron of 1..25) satisfies both groups' Top-5 sets together with the archetype "
                "value sets and memberships and the five dimension means; but if Harmony, Critical "
                "thinking, Helpfulness and Equity and justice are in both groups' Top-5, their pooled "
                "means are below those of every Protective term and of Accuracy, contradicting Figure "
                "1's text (human rights, harm prevention, professional ethics, accuracy lead); the "
                "search did not find data reconciling them with the clustering and correlations")
    # U as printed vs its companions r_rb and p (Mann-Whitney, n = N_CN, N_US)
    n1n2 = L.N_CN * L.N_US
    for t in out:
        if t.test == "mann_whitney" and t.quantity == "U":
            comp = {x.quantity: x for x in out if x.test == "mann_whitney" and x.subject == t.subject}
            if "r_rb" in comp:
                r_rb = float(comp["r_rb"].reported)
                lo, hi, _, _ = _interval(r_rb, "=", comp["r_rb"].decimals)
                u_range = ((1 - hi) * n1n2 / 2, (1 - lo) * n1n2 / 2)
                halfints = [u / 2 for u in range(0, 2 * n1n2 + 1) if u_range[0] < u / 2 <= u_range[1]]
                ulo, uhi, _, _ = _interval(float(t.reported), "=", t.decimals)
                if not any(ulo <= u < uhi for u in halfints):
                    infeasible(t.claim_id,
                               f"r_rb = {comp['r_rb'].reported} (1 - 2U/{n1n2}) requires U = "
                               f"{'/'.join(f'{u:g}' for u in halfints)} (a tie between groups), which does "
                               f"not print as U = {t.reported}; the companion p = "
                               f"{comp['p'].reported if 'p' in comp else '?'} also fits U = "
                               f"{'/'.join(f'{u:g}' for u in halfints)} (normal approximation), so the "
                               f"reconstruction matches r_rb and p and reports U to one decimal")
    return out


def infeasible_top5(targets: Targets) -> str | None:
    """Prove (by an LP relaxation) that the group Top-5 sets cannot hold with the archetypes.

    The term-mean vector of any model (mean of complete rankings) lies in the permutahedron of
    1..25, i.e. it is P @ (1..25) for a doubly stochastic P (Birkhoff). If no such
    continuous solution satisfies the group Top-5 sets, the archetype value sets (with their
    memberships) and the five dimension means, no integer data set can.
    """
    from scipy.optimize import linprog

    study = targets.study
    L = study.layout

    part = [t for t in targets if t.kind == "partition"]
    sets = [t for t in targets if t.kind == "set"]
    cl = {}
    for t in part:
        c = int(t.subject.split()[1]) - 1
        for m in t.members:
            cl[m] = c
    nm, nt = L.NM, L.NT
    nv = nm * nt * nt  # P_j[t, k]
    ntau = 0
    A_eq, b_eq, A_ub, b_ub = [], [], [], []

    def pidx(j, t, k):
        return (j * nt + t) * nt + k

    def mean_row(models, t):
        row = np.zeros(nv + 16)
        for j in models:
            for k in range(nt):
                row[pidx(j, t, k)] = (k + 1) / len(models)
        return row

    for j in range(nm):
        for t in range(nt):
            row = np.zeros(nv + 16)
            row[[pidx(j, t, k) for k in range(nt)]] = 1
            A_eq.append(row); b_eq.append(1)
        for k in range(nt):
            row = np.zeros(nv + 16)
            row[[pidx(j, t, k) for t in range(nt)]] = 1
            A_eq.append(row); b_eq.append(1)
    groups_used = []
    for s in sets:
        kind, who, terms, allow = s.set_spec
        if allow:
            continue
        if kind <= 1:
            models = [j for j in range(nm) if study.is_cn[j] == (who == 0)]
        else:
            models = [j for j in range(nm) if cl.get(study.models[j]) == who]
        tau = nv + ntau
        ntau += 1
        groups_used.append(s.claim_id)
        ti = [study.terms.index(x) for x in terms]
        sgn = 1.0 if kind != 1 else -1.0
        for t in range(nt):
            row = sgn * mean_row(models, t)
            if t in ti:  # mean(t) <= tau
                row[tau] = -sgn * 1.0
                A_ub.append(row); b_ub.append(0)
            else:  # mean(t) >= tau
                row = -row
                row[tau] = sgn * 1.0
                A_ub.append(row); b_ub.append(0)
    for t in targets:
        if t.kind == "num" and t.subs and t.subs[0][0].startswith("dim_mean|"):
            dim = t.subs[0][0].split("|")[1]
            D = study.dimensions.index(dim)
            row = np.zeros(nv + 16)
            for q in range(L.TPD):
                row += mean_row(range(nm), L.TPD * D + q) / L.TPD
            _, lo, hi, _, _ = t.subs[0]
            A_ub.append(row); b_ub.append(hi)
            A_ub.append(-row); b_ub.append(-lo)
    bounds = [(0, 1)] * nv + [(None, None)] * 16
    res = linprog(np.zeros(nv + 16), A_ub=np.array(A_ub), b_ub=np.array(b_ub),
                  A_eq=np.array(A_eq), b_eq=np.array(b_eq), bounds=bounds, method="highs")
    return None if res.status == 0 else res.message