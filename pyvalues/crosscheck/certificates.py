"""Checked arguments about the level-3 misses: joint-infeasibility certificates and feasibility witnesses.

Each function recomputes its argument from a claims file (default: the seed paper's), so a test
that calls it fails when the claims change or the argument is wrong.

* :func:`top5_joint_certificate` -- a proof that three set claims cannot all hold (level 2):
  the overall Top-5 of Figure 1 and the two groups' Top-5 sets of Figure 4.
* :func:`dispersion_budget_certificate` -- a proof that 31 level-3 rows cannot all hold: Table
  A-1's 20 W, the five dimension means and the mixed ANOVA's category and interaction F fix a
  budget for the models' within-dimension SDs (sum SD^2 <= 1063.9) that the printed mean SDs
  (Protective 5.06, Personal 2.53 the smallest) with the dispersion F = 12.33 exceed (>= 1178.9).
* :func:`linear_witness` -- complete rankings (each model's 3 replicates are permutations of the
  25 terms) found by a mixed-integer programme (scipy's HiGHS) that satisfy every claim linear
  in the term means at once: both groups' Top-5 and Bottom-5 sets, the four archetype value sets
  with their printed memberships, the five dimension means and the groups' Practical and
  Personal means. It shows that no LP/MILP argument from these claims proves a set miss
  infeasible; whatever prevents the search from reaching them is non-linear (the clustering
  that must return the printed memberships, Kendall's W per model, the correlations).
* :func:`personal_scores_witness` -- 20 Personal dimension scores, each a sum of 15 ranks / 15
  (hence reachable by complete rankings), that reproduce every printed number of the Personal
  Mann-Whitney and Welch results together (U = 61, p = .398, r_rb = -.232, medians, means, SDs,
  t, df, p, g) and the overall Personal mean 21.34: p = .398 is reachable, by ties.
* :func:`correlation_witness` -- one ranking per model for each group whose pairwise Spearman
  and Kendall correlations give the printed mean rho, SD of rho and mean tau-b (CN .7180, .1179,
  .5590; US .5291, .2706, .4063) at once (the group's correlation claims alone, with each
  model's replicates identical: not jointly with Table A-1's W).
* :func:`term_tests_witness_ranks` -- complete rankings whose term tests give all 25 BH q >= .05
  with Professionalism and Pleasure and enjoyment at uncorrected p = .020 < .05 and Cliff's delta
  -/+.545 (printed ~ .55), checked by :func:`term_tests_check`.

:func:`check_witness` recomputes the claims from a witness's rankings with the analysis's own
rules (group and cluster means of the models' mean ranks, ties broken by the instrument's term
order as `pv_group_top_bottom` and the archetypes do).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pyvalues.crosscheck.claims import claim_number, read_claims, reported_interval
from pyvalues.crosscheck.design import MODEL_COUNTRY, canonical_model
from pyvalues.errors import PyvaluesError
from pyvalues.instrument import TERM_DIMENSION, TERM_NAMES

__all__ = ["top5_joint_certificate", "dispersion_budget_certificate", "linear_witness", "check_witness", "personal_scores_witness",
           "personal_scores_check", "correlation_witness", "correlation_check", "term_tests_witness_ranks",
           "term_tests_check", "LINEAR_CLAIMS", "TERM_CLAIMS"]

N_REPLICATES = 3
# claims linear in the models' term means (the witness satisfies all of them at once)
LINEAR_CLAIMS = ("top5_cn", "top5_us", "bottom5_cn", "bottom5_us", "archetype_social_ethical_terms",
                 "archetype_rational_instrumental_terms", "archetype_balanced_general_terms",
                 "archetype_warm_caring_terms", "dim_mean_protective", "dim_mean_epistemic", "dim_mean_practical",
                 "dim_mean_social", "dim_mean_personal", "practical_welch_mean_cn", "practical_welch_mean_us",
                 "personal_welch_mean_cn", "personal_welch_mean_us")


def _claims(claims) -> pd.DataFrame:
    from pyvalues.crosscheck import default_claims_path

    c = read_claims(claims if claims is not None else default_claims_path())
    return c.set_index("claim_id", drop=False)


def _interval(c):
    return reported_interval(claim_number(c), c["decimals"], c["relation"])


def top5_joint_certificate(claims=None) -> dict | None:
    """Whether the overall Top-5 and the two groups' Top-5 sets can all hold.

    A term in both groups' Top-5 has, in each group, a mean rank at most that of any term in
    neither group's Top-5 (and comes first on a tie, as ties are broken by one fixed term order);
    the pooled mean rank is a weighted average of the two groups' means, so it comes first in
    the pooled order too. Hence if the overall Top-5 lists a term in neither group's set, it
    lists every term in both: |both| + |neither listed| <= 5. Returns the members, the two term
    lists and `infeasible` (True when the inequality fails), or None when a claim is absent."""
    c = _claims(claims)
    ids = ("overall_top5", "top5_cn", "top5_us")
    if any(i not in c.index for i in ids) or any(c.loc[i, "relation"] != "=" for i in ids):
        return None
    overall, cn, us = (set(c.loc[i, "reported"].split(";")) for i in ids)
    both, neither = cn & us, overall - cn - us
    size = len(overall)
    infeasible = bool(neither) and (len(both) + len(neither) > size or not both <= overall)
    return {"members": list(ids), "both": sorted(both), "neither_listed": sorted(neither), "size": size,
            "infeasible": infeasible,
            "argument": (f"{', '.join(sorted(both))} are in both groups' Top-5, so pooled they come before every term in "
                         f"neither group's Top-5; Figure 1's overall Top-5 lists {len(neither)} such term(s) "
                         f"({', '.join(sorted(neither))}), which needs all {len(both)} shared terms in it too: "
                         f"{len(both)} + {len(neither)} {'>' if infeasible else '<='} {size}.")}


# --- the MILP over the models' rank sums ---------------------------------------------------------

def _design(c: pd.DataFrame):
    models = list(MODEL_COUNTRY)
    groups = {g: [i for i, m in enumerate(models) if MODEL_COUNTRY[m] == g] for g in ("CN", "US")}
    clusters = {}
    for _, r in c[(c["quantity"] == "members") & (c["relation"] == "=")].iterrows():
        clusters[r["result_row"]] = [models.index(canonical_model(x)) for x in r["reported"].split(";")]
    return models, groups, clusters


def _set_spec(c: pd.DataFrame, cid: str, groups, clusters):
    """(model indices, term indices, top?) of a set claim."""
    r = c.loc[cid]
    terms = [TERM_NAMES.index(x) for x in r["reported"].split(";")]
    if cid.startswith("archetype_"):
        return clusters[r["result_row"]], terms, True
    g = r["subject"].split("|")[0]
    return groups[g], terms, r["subject"].endswith("top5")


def _mean_spec(c: pd.DataFrame, cid: str, groups, n_models: int):
    """(model indices, term indices, interval) of a mean claim (dimension or group mean)."""
    r = c.loc[cid]
    dim = r["subject"]
    if cid.startswith("dim_mean_"):
        ms = list(range(n_models))
    else:
        ms = groups["CN" if cid.endswith("_cn") else "US"]
    return ms, [i for i, t in enumerate(TERM_NAMES) if TERM_DIMENSION[t] == dim], _interval(r)


def linear_witness(claims=None, time_limit: float = 300.0) -> dict:
    """Complete rankings satisfying all :data:`LINEAR_CLAIMS` at once, by a mixed-integer programme.

    Variables: per model a non-negative matrix Q[t, k] (how many of its 3 replicates put term t at
    rank k) with row and column sums 3 and the integer rank sums y[t] = sum_k k Q[t, k]; each
    model's Q is then chosen integer for its y (a second, small MILP), so Q is a sum of 3
    permutation matrices (König: a 3-regular bipartite multigraph has 3 disjoint perfect
    matchings), which :func:`_decompose` takes apart. Set claims are strict (each listed term's
    summed rank at least 1 below every other term's, so no tie-breaking rule is needed); mean
    claims lie in their closed rounding intervals (the half-open end is then checked by
    :func:`check_witness`). Returns
    {"status", "message", "ranks" (models x 3 x terms, or None), "models", "claims"}."""
    import scipy.sparse as sp
    from scipy.optimize import Bounds, LinearConstraint, milp

    c = _claims(claims)
    used = [i for i in LINEAR_CLAIMS if i in c.index]
    models, groups, clusters = _design(c)
    NM, NT, R = len(models), len(TERM_NAMES), N_REPLICATES
    nq = NM * NT * NT
    nv = nq + NM * NT

    def q(m, t, k):
        return (m * NT + t) * NT + k

    def y(m, t):
        return nq + m * NT + t

    rows, cols, vals, lo, hi = [], [], [], [], []

    def add(coef: dict, lower: float, upper: float):
        i = len(lo)
        for j, v in coef.items():
            rows.append(i); cols.append(j); vals.append(v)
        lo.append(lower); hi.append(upper)

    for m in range(NM):
        for t in range(NT):
            add({q(m, t, k): 1 for k in range(NT)}, R, R)
            coef = {q(m, t, k): k + 1 for k in range(NT)}
            coef[y(m, t)] = -1
            add(coef, 0, 0)
        for k in range(NT):
            add({q(m, t, k): 1 for t in range(NT)}, R, R)
    for cid in used:
        if c.loc[cid, "quantity"] == "terms":
            ms, terms, top = _set_spec(c, cid, groups, clusters)
            sign = 1 if top else -1
            for s in terms:
                for t in set(range(NT)) - set(terms):
                    coef: dict = {}
                    for m in ms:
                        coef[y(m, s)] = coef.get(y(m, s), 0) + sign
                        coef[y(m, t)] = coef.get(y(m, t), 0) - sign
                    add(coef, -np.inf, -1)
        else:
            ms, terms, iv = _mean_spec(c, cid, groups, NM)
            scale = R * len(ms) * len(terms)
            add({y(m, t): 1 for m in ms for t in terms}, math.ceil(iv.lo * scale - 1e-9), math.floor(iv.hi * scale + 1e-9))
    A = sp.csr_matrix((vals, (rows, cols)), shape=(len(lo), nv))
    # integer rank sums y; each model's Q is then made integer by a small MILP of its own (y integer
    # in 3 x the permutahedron is a sum of 3 permutations: the permutahedron, an integral polymatroid
    # base polytope, has the integer decomposition property; _integer_counts fails loudly if not)
    integrality = np.r_[np.zeros(nq), np.ones(NM * NT)]
    res = milp(np.zeros(nv), constraints=LinearConstraint(A, lo, hi), integrality=integrality,
               bounds=Bounds(np.zeros(nv), np.r_[np.full(nq, float(R)), np.full(NM * NT, float(R * NT))]),
               options={"time_limit": time_limit, "disp": False})
    out = {"status": int(res.status), "message": res.message, "ranks": None, "models": models, "claims": used}
    if res.x is None or res.status != 0:
        return out
    Y = np.rint(res.x[nq:]).astype(int).reshape(NM, NT)
    out["ranks"] = np.stack([_decompose(_integer_counts(Y[m], R), R) for m in range(NM)])
    return out


def _integer_counts(y: np.ndarray, r: int) -> np.ndarray:
    """An integer matrix Q (row and column sums r) with sum_k k Q[t, k] = y[t]."""
    import scipy.sparse as sp
    from scipy.optimize import Bounds, LinearConstraint, milp

    n = len(y)
    rows, cols, vals, b = [], [], [], []
    for t in range(n):
        for k in range(n):
            rows += [t, n + k, 2 * n + t]
            cols += [t * n + k] * 3
            vals += [1, 1, k + 1]
    b = np.r_[np.full(2 * n, float(r)), y.astype(float)]
    A = sp.csr_matrix((vals, (rows, cols)), shape=(3 * n, n * n))
    res = milp(np.zeros(n * n), constraints=LinearConstraint(A, b, b), integrality=np.ones(n * n),
               bounds=Bounds(0, r), options={"time_limit": 120.0})
    if res.x is None or res.status != 0:
        raise PyvaluesError(f"rank sums {y.tolist()} are not a sum of {r} permutations ({res.message})")
    return np.rint(res.x).astype(int).reshape(n, n)


def _decompose(Q: np.ndarray, r: int) -> np.ndarray:
    """r permutations (rank of each term) whose permutation matrices sum to Q (row and column
    sums r): a perfect matching on Q's support exists by König's theorem; take it, subtract, repeat."""
    from scipy.optimize import linear_sum_assignment

    Q = Q.copy()
    out = []
    for _ in range(r):
        rows, cols = linear_sum_assignment(-(Q > 0).astype(float))
        if not (Q[rows, cols] > 0).all():
            raise PyvaluesError("the MILP's rank-count matrix has no perfect matching on its support (not a sum of permutations)")
        Q[rows, cols] -= 1
        ranks = np.empty(Q.shape[0], dtype=int)
        ranks[rows] = cols + 1
        out.append(ranks)
    return np.array(out)


def _order(means: np.ndarray) -> np.ndarray:
    """Terms by mean rank, ties by the instrument's term order (R: order(means, seq_along(means)))."""
    return np.lexsort((np.arange(len(means)), means))


def check_witness(ranks: np.ndarray, claims=None, ids=LINEAR_CLAIMS) -> dict[str, tuple[bool, str]]:
    """Recompute each claim of `ids` from rankings (models x replicates x terms, models in
    MODEL_COUNTRY order): claim id -> (holds, value). Sets: the 5 terms with the lowest (Top) or
    highest (Bottom) group or cluster mean of the models' mean ranks; means: the mean over the
    models of the mean rank of the dimension's terms, against the half-open rounding interval."""
    c = _claims(claims)
    models, groups, clusters = _design(c)
    ranks = np.asarray(ranks)
    if ranks.shape != (len(models), N_REPLICATES, len(TERM_NAMES)):
        raise PyvaluesError(f"rankings of shape {ranks.shape}; expected {(len(models), N_REPLICATES, len(TERM_NAMES))}")
    for m in range(len(models)):
        for r in range(N_REPLICATES):
            if sorted(ranks[m, r]) != list(range(1, len(TERM_NAMES) + 1)):
                raise PyvaluesError(f"model {models[m]}, replicate {r + 1}: not a permutation of 1..{len(TERM_NAMES)}")
    means = ranks.mean(axis=1)  # model x term
    out = {}
    for cid in ids:
        if cid not in c.index:
            continue
        if c.loc[cid, "quantity"] == "terms":
            ms, terms, top = _set_spec(c, cid, groups, clusters)
            o = _order(means[ms].mean(axis=0))
            got = set((o[:5] if top else o[::-1][:5]).tolist())
            listed = set(terms)
            ok = got == listed if c.loc[cid, "relation"] == "=" else len(listed - got) <= 1
            out[cid] = (bool(ok), "; ".join(TERM_NAMES[i] for i in sorted(got)))
        else:
            ms, terms, iv = _mean_spec(c, cid, groups, len(models))
            v = float(means[np.ix_(ms, terms)].mean())
            out[cid] = (iv.contains(v), f"{v:.4f}")
    return out


# --- the Personal dimension scores ------------------------------------------------------------------

# Personal rank sums (5 terms x 3 replicates) of the 11 CN and 9 US models; score = sum / 15.
# Found by a seeded annealing from the bundled reconstruction's scores (which miss only p = .398);
# any integer in [45, 345] is the Personal rank sum of some complete rankings.
PERSONAL_SUMS = {"CN": [315, 318, 322, 330, 330, 330, 330, 330, 338, 338, 343],
                 "US": [221, 260, 306, 306, 327, 327, 343, 343, 345]}


def personal_scores_check(cn_sums, us_sums, claims=None) -> dict[str, tuple[bool, float]]:
    """The Personal Mann-Whitney and Welch claims recomputed from rank sums: claim id -> (holds,
    value). U and p as R's wilcox.test(CN, US) (normal approximation with continuity and tie
    correction when there are ties), r_rb = 1 - 2U/(n1 n2), Welch's t, df, p and Hedges' g
    (CN minus US)."""
    from scipy import stats

    c = _claims(claims)
    x, y = np.asarray(cn_sums, float) / 15, np.asarray(us_sums, float) / 15
    if any(s < 45 or s > 345 or s != int(s) for s in np.r_[cn_sums, us_sums]):
        raise PyvaluesError("a Personal rank sum of 5 terms over 3 replicates is an integer in [45, 345]")
    n1, n2 = len(x), len(y)
    N = n1 + n2
    U = float((x[:, None] > y[None, :]).sum() + 0.5 * (x[:, None] == y[None, :]).sum())
    _, cnt = np.unique(np.r_[x, y], return_counts=True)
    ties = float((cnt ** 3 - cnt).sum())
    if ties == 0:
        p = float(stats.mannwhitneyu(x, y, method="exact").pvalue)
    else:
        d = U - n1 * n2 / 2
        z = (d - 0.5 * np.sign(d)) / math.sqrt(n1 * n2 / 12 * ((N + 1) - ties / (N * (N - 1))))
        p = float(2 * min(stats.norm.cdf(z), stats.norm.sf(z)))
    v1, v2 = x.var(ddof=1) / n1, y.var(ddof=1) / n2
    t = (x.mean() - y.mean()) / math.sqrt(v1 + v2)
    df = (v1 + v2) ** 2 / (v1 ** 2 / (n1 - 1) + v2 ** 2 / (n2 - 1))
    sp = math.sqrt(((n1 - 1) * x.var(ddof=1) + (n2 - 1) * y.var(ddof=1)) / (N - 2))
    vals = {"personal_mwu_median_cn": float(np.median(x)), "personal_mwu_median_us": float(np.median(y)),
            "personal_mwu_U": U, "personal_mwu_p": p, "personal_mwu_r_rb": 1 - 2 * U / (n1 * n2),
            "personal_welch_mean_cn": float(x.mean()), "personal_welch_sd_cn": float(x.std(ddof=1)),
            "personal_welch_mean_us": float(y.mean()), "personal_welch_sd_us": float(y.std(ddof=1)),
            "personal_welch_df": df, "personal_welch_t": t, "personal_welch_p": float(2 * stats.t.sf(abs(t), df)),
            "personal_welch_g": (1 - 3 / (4 * N - 9)) * (x.mean() - y.mean()) / sp,
            "dim_mean_personal": float(np.r_[x, y].mean())}
    out = {}
    for cid, v in vals.items():
        if cid in c.index:
            # t and g are printed as magnitudes (CN's mean is the higher one, as printed)
            shown = abs(v) if cid in ("personal_welch_t", "personal_welch_g") else v
            out[cid] = (_interval(c.loc[cid]).contains(shown), v)
    out["_tie_sum"] = (True, ties)
    return out


def personal_scores_witness(claims=None) -> dict:
    """The stored Personal rank sums (PERSONAL_SUMS) and their recomputed claims."""
    return {"sums": PERSONAL_SUMS, "check": personal_scores_check(PERSONAL_SUMS["CN"], PERSONAL_SUMS["US"], claims)}


# --- the within-group correlations ------------------------------------------------------------------

# One complete ranking per model (its 3 replicates identical) for the 11 CN and the 9 US models,
# found by a seeded annealing on the group's mean Spearman rho, SD of rho and mean Kendall tau-b.
CORRELATION_CN = (
    (8, 21, 15, 9, 5, 23, 22, 6, 4, 3, 24, 11, 12, 10, 14, 17, 1, 18, 19, 13, 16, 7, 20, 25, 2),
    (14, 17, 18, 9, 8, 6, 22, 7, 10, 3, 24, 12, 13, 16, 20, 2, 4, 19, 11, 1, 23, 15, 25, 21, 5),
    (13, 18, 25, 5, 7, 2, 23, 9, 1, 10, 21, 22, 12, 19, 14, 16, 4, 11, 17, 3, 24, 6, 15, 20, 8),
    (12, 16, 24, 8, 9, 6, 22, 4, 2, 7, 25, 13, 18, 20, 14, 15, 1, 10, 21, 3, 19, 17, 11, 23, 5),
    (9, 18, 25, 10, 12, 5, 22, 7, 2, 8, 23, 3, 16, 17, 15, 19, 1, 14, 21, 6, 24, 11, 13, 20, 4),
    (10, 15, 24, 16, 2, 1, 22, 5, 8, 12, 23, 21, 13, 11, 14, 19, 4, 9, 20, 3, 25, 18, 7, 17, 6),
    (9, 20, 25, 8, 3, 6, 19, 16, 1, 7, 24, 23, 13, 18, 11, 21, 5, 12, 14, 2, 22, 10, 17, 15, 4),
    (11, 15, 21, 4, 6, 2, 22, 8, 1, 9, 24, 17, 14, 13, 18, 19, 5, 12, 16, 3, 25, 10, 20, 23, 7),
    (11, 24, 25, 7, 1, 9, 4, 19, 5, 10, 23, 18, 12, 14, 13, 16, 3, 15, 21, 2, 20, 17, 8, 22, 6),
    (12, 21, 25, 6, 1, 8, 18, 5, 7, 9, 24, 19, 14, 17, 15, 20, 4, 16, 13, 3, 22, 10, 11, 23, 2),
    (5, 13, 23, 7, 2, 17, 19, 8, 4, 10, 25, 24, 12, 15, 11, 16, 3, 9, 14, 1, 22, 18, 20, 21, 6),
)
CORRELATION_US = (
    (8, 10, 16, 21, 3, 19, 12, 1, 2, 11, 22, 5, 7, 17, 13, 25, 15, 14, 6, 24, 23, 4, 9, 18, 20),
    (17, 14, 20, 13, 4, 19, 6, 3, 16, 10, 21, 2, 9, 22, 15, 18, 12, 11, 7, 25, 23, 5, 1, 8, 24),
    (23, 7, 17, 12, 2, 24, 6, 3, 1, 10, 18, 4, 13, 14, 16, 21, 19, 20, 9, 15, 22, 8, 5, 11, 25),
    (22, 9, 18, 8, 3, 25, 12, 4, 1, 15, 20, 6, 13, 14, 7, 21, 17, 11, 5, 19, 23, 2, 16, 10, 24),
    (18, 21, 5, 14, 4, 25, 22, 2, 6, 9, 1, 3, 12, 24, 17, 20, 11, 16, 13, 15, 19, 7, 8, 10, 23),
    (21, 6, 14, 20, 2, 25, 11, 1, 3, 12, 18, 9, 8, 19, 13, 22, 15, 17, 10, 4, 23, 5, 7, 16, 24),
    (19, 15, 13, 10, 7, 24, 5, 1, 14, 2, 23, 3, 8, 16, 9, 25, 17, 18, 4, 22, 21, 6, 11, 12, 20),
    (18, 5, 7, 15, 1, 19, 11, 2, 3, 14, 17, 4, 8, 22, 9, 16, 12, 13, 6, 23, 25, 10, 24, 20, 21),
    (21, 2, 1, 19, 6, 25, 20, 11, 4, 22, 5, 13, 16, 14, 8, 12, 23, 24, 18, 10, 7, 15, 17, 3, 9),
)


def correlation_check(rankings, group: str, claims=None) -> dict[str, tuple[bool, float]]:
    """The group's correlation claims recomputed from one ranking per model: the mean and SD (n - 1)
    of the Spearman rho over all pairs of models and the mean Kendall tau-b, as `pv_correlations`
    defines them: claim id -> (holds, value)."""
    from itertools import combinations

    from scipy import stats

    c = _claims(claims)
    R = np.asarray(rankings)
    rho = [stats.spearmanr(R[a], R[b])[0] for a, b in combinations(range(len(R)), 2)]
    tau = [stats.kendalltau(R[a], R[b])[0] for a, b in combinations(range(len(R)), 2)]
    g = group.lower()
    vals = {f"spearman_{g}_mean": float(np.mean(rho)), f"spearman_{g}_sd": float(np.std(rho, ddof=1)),
            f"kendall_tau_{g}_mean": float(np.mean(tau))}
    return {cid: (_interval(c.loc[cid]).contains(v), v) for cid, v in vals.items() if cid in c.index}


def correlation_witness(claims=None) -> dict:
    """The stored rankings (CORRELATION_CN, CORRELATION_US) and their recomputed claims."""
    return {"CN": correlation_check(CORRELATION_CN, "CN", claims), "US": correlation_check(CORRELATION_US, "US", claims)}


# --- the term tests ----------------------------------------------------------------------------------

# Replicates (of 3) in which a model ranks Pleasure and enjoyment above Professionalism: 0, 1, 2 or 3
# for how many models of each group (found by enumerating all count vectors: Cliff's delta -.545,
# Brunner-Munzel p = .020)
_PROF_PLEASURE_COUNTS = {"CN": (9, 0, 1, 1), "US": (2, 2, 3, 2)}
_PAIR_PATTERN = {"CN": (0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2), "US": (0, 1, 2, 3, 0, 1, 2, 3, 1)}


def term_tests_witness_ranks() -> np.ndarray:
    """A complete-ranking data set (20 models x 3 replicates x 25 terms, models in MODEL_COUNTRY
    order, terms in instrument order) built for the term-level claims of Appendix A.3.

    Every replicate is one base order (Professionalism, Pleasure and enjoyment, then the other 23
    terms in instrument order) with adjacent swaps: Professionalism/Pleasure swapped in as many
    replicates as _PROF_PLEASURE_COUNTS gives (the CN models mostly not, the US models more often:
    the two terms' model mean ranks move in opposite directions, Cliff's delta -.545 and +.545);
    the other 23 terms in 10 adjacent pairs and one triple, swapped by the same pattern of counts
    in both groups, so they differ little between the groups but all vary (no NA p)."""
    models = list(MODEL_COUNTRY)
    order = ["Professionalism", "Pleasure and enjoyment"] + [t for t in TERM_NAMES if t not in
                                                             ("Professionalism", "Pleasure and enjoyment")]
    base = [TERM_NAMES.index(t) for t in order]
    ranks = np.zeros((len(models), N_REPLICATES, len(TERM_NAMES)), dtype=int)
    for g in ("CN", "US"):
        idx = [i for i, m in enumerate(models) if MODEL_COUNTRY[m] == g]
        v = np.repeat([0, 1, 2, 3], _PROF_PLEASURE_COUNTS[g])
        for j, m in enumerate(idx):
            for r in range(N_REPLICATES):
                pos = list(base)
                if r < v[j]:
                    pos[0], pos[1] = pos[1], pos[0]
                for k, p0 in enumerate(range(2, 22, 2)):
                    if r < (_PAIR_PATTERN[g][j] + k) % 4:
                        pos[p0], pos[p0 + 1] = pos[p0 + 1], pos[p0]
                if r == 0 and j % 3 == 0:
                    pos[22], pos[23] = pos[23], pos[22]
                if r == 1 and j % 2:
                    pos[23], pos[24] = pos[24], pos[23]
                rk = np.empty(len(TERM_NAMES), dtype=int)
                rk[pos] = np.arange(1, len(TERM_NAMES) + 1)
                ranks[m, r] = rk
    return ranks


TERM_CLAIMS = ("term_tests_all_q", "cliffs_delta_professionalism", "cliffs_delta_pleasure",
               "bm_p_uncorrected_professionalism", "bm_p_uncorrected_pleasure")


def term_tests_check(ranks, claims=None) -> dict[str, tuple[bool, float]]:
    """The term-level claims recomputed from rankings with scipy: per term the Brunner-Munzel p
    (t approximation) of the CN against the US models' mean ranks, the BH q over the 25 terms, and
    Cliff's delta in the paper's direction (negative: favouring CN, i.e. lower CN ranks)."""
    from scipy import stats

    c = _claims(claims)
    models = list(MODEL_COUNTRY)
    mr = np.asarray(ranks).mean(axis=1)
    cn = [i for i, m in enumerate(models) if MODEL_COUNTRY[m] == "CN"]
    us = [i for i, m in enumerate(models) if MODEL_COUNTRY[m] == "US"]
    p = np.array([stats.brunnermunzel(mr[cn, t], mr[us, t]).pvalue for t in range(len(TERM_NAMES))])
    if not np.isfinite(p).all():
        raise PyvaluesError("a term's Brunner-Munzel p is not finite (no variance): the witness must avoid it")
    q = stats.false_discovery_control(p)
    delta = [float(np.sign(mr[cn, t][:, None] - mr[us, t][None, :]).mean()) for t in range(len(TERM_NAMES))]
    vals = {"term_tests_all_q": float(q.min()),
            "cliffs_delta_professionalism": delta[TERM_NAMES.index("Professionalism")],
            "cliffs_delta_pleasure": delta[TERM_NAMES.index("Pleasure and enjoyment")],
            "bm_p_uncorrected_professionalism": float(p[TERM_NAMES.index("Professionalism")]),
            "bm_p_uncorrected_pleasure": float(p[TERM_NAMES.index("Pleasure and enjoyment")])}
    return {cid: (_interval(c.loc[cid]).contains(v), v) for cid, v in vals.items() if cid in c.index}


# --- the within-dimension dispersion: a sum-of-squares budget ------------------------------------

def _design_count(c: pd.DataFrame, cid: str) -> int:
    if cid not in c.index:
        raise PyvaluesError(f"the dispersion budget needs the design claim {cid!r} in the claims file")
    return int(claim_number(c.loc[cid]))


def dispersion_budget_certificate(claims=None) -> dict | None:
    """Whether Table A-1's W, the mixed ANOVA's category effect, the dimension means and the
    dispersion claims (the printed mean within-dimension SDs, the dimension with the smallest
    one, the dispersion ANOVA's F) can all hold for complete rankings.

    The argument is an identity of complete rankings (n terms, no ties): for every model the
    squared deviations of its n term means from (n + 1) / 2 sum to W n (n^2 - 1) / 12 (Kendall's
    W of its replicates), and split by dimension (k terms each) into (k - 1) SD^2 + k (score -
    (n + 1) / 2)^2 per dimension. Summed over models this fixes a *budget* for the within-dimension
    SDs: sum SD^2 = (n (n^2 - 1) / 12 sum W - k T) / (k - 1), T = sum over models and dimensions of
    (score - (n + 1) / 2)^2. T is bounded below by the printed dimension means and the mixed ANOVA:
    every model's scores average (n + 1) / 2, so T = N sum_d m~_d^2 + SS_int + SS_err (m~ the
    dimension means minus (n + 1) / 2); SS_err = (N - 2) SS_cat / F_cat with the Type III category
    SS = 4 n1 n2 / N sum_d mu_d^2 (mu: unweighted means of the two groups' cell means, centred),
    mu_d = m~_d - (n1 - n2) delta_d / (2 N), and ||delta||^2 = N SS_int / (n1 n2) with SS_int =
    F_int SS_err / (N - 2). (Type I/II give SS_cat = N sum m~^2, larger, so the bound holds for
    them too.) On the other side the dispersion ANOVA needs sum SD^2 >= N sum_d M_d^2 + (N - 1) SS_eff
    / F_disp (SS_subjects >= 0), with SS_eff = N sum_d (M_d - M.)^2, M_d the mean SDs. Every
    printed number enters at the end of its rounding interval that is least favourable to the
    contradiction (closed ends). A within-dimension SD is the sample SD of a model's k term means,
    as pv_model_dimension_scores() defines it (the quantity the level-3 row compares; population
    SDs would raise the need by k / (k - 1)); both ANOVAs have the models as subjects, which the
    printed df confirm (checked: df2 = (N - 2) df1 and (N - 1) df1). The proof depends on that
    reading: with the SD taken over a model's m x k raw ranks in a dimension (m rankings pooled),
    the budget is `budget_raw_ranks` = (N m n (n^2 - 1) / 12 - m k T) / (m k - 1), which does not
    involve W and, on the seed paper, exceeds the need (no contradiction under that reading).
    Returns members, the budget, `budget_raw_ranks`, the need, `infeasible` (need > budget) and
    the argument; None when a needed claim is absent."""
    import itertools

    c = _claims(claims)
    N, n1, n2 = (_design_count(c, i) for i in ("design_n_models", "design_n_cn", "design_n_us"))
    n, k = _design_count(c, "design_n_terms"), _design_count(c, "design_terms_per_dimension")
    centre = (n + 1) / 2
    dims = [d for d in dict.fromkeys(TERM_DIMENSION.values())]
    w_by_model = {}  # one W per model (Table A-1's row; the text repeats two of them)
    for i in c.index:
        if c.loc[i, "test"] == "kendall_w" and c.loc[i, "quantity"] == "W" and c.loc[i, "relation"] == "=" \
                and str(c.loc[i, "subject"]).strip() in MODEL_COUNTRY:
            w_by_model.setdefault(canonical_model(c.loc[i, "subject"]), i)
    w_ids = list(w_by_model.values())
    if len(w_ids) != N:
        return None
    mean_ids = {d: f"dim_mean_{d.lower()}" for d in dims}
    sd_ids = [i for i in c.index if c.loc[i, "quantity"] == "mean_sd" and c.loc[i, "relation"] == "="]
    smallest = [i for i in c.index if c.loc[i, "quantity"] == "extreme" and str(c.loc[i, "reported"]) == "min"
                and str(c.loc[i, "subject"]).endswith("|mean_sd")]
    anova = {"cat": "mixed_category_F", "int": "mixed_interaction_F", "disp": "disp_anova_F"}
    if any(i not in c.index for i in [*mean_ids.values(), *anova.values()]) or not sd_ids:
        return None
    # the error terms' df as printed must be those of this design (N - 2 and N - 1 per effect df)
    for key, per in (("cat", N - 2), ("int", N - 2), ("disp", N - 1)):
        r = c.loc[anova[key]]
        if float(r["df2"]) != per * float(r["df1"]):
            return None
    # the budget: T from below, sum W from above
    m_iv = {d: _interval(c.loc[i]) for d, i in mean_ids.items()}
    s_m = sum(0.0 if iv.lo <= centre <= iv.hi else min((iv.lo - centre) ** 2, (iv.hi - centre) ** 2)
              for iv in m_iv.values())
    f_cat, f_int = _interval(c.loc[anova["cat"]]).hi, _interval(c.loc[anova["int"]])
    a = (N - 2) * 4 * n1 * n2 / N / f_cat
    b = abs(n1 - n2) / (2 * N) * math.sqrt(f_int.hi * N / ((N - 2) * n1 * n2))
    # SS_err >= a (sqrt(s_m) - b sqrt(SS_err))^2  =>  sqrt(SS_err) >= sqrt(a s_m) / (1 + b sqrt(a))
    ss_err = (math.sqrt(a * s_m) / (1 + b * math.sqrt(a))) ** 2
    t_lo = N * s_m + ss_err * (1 + max(f_int.lo, 0.0) / (N - 2))
    w_sum = sum(_interval(c.loc[i]).hi for i in w_ids)
    total = n * (n * n - 1) / 12
    budget = (total * w_sum - k * t_lo) / (k - 1)
    # the need: lower ends of the printed mean SDs; the smallest one bounds the others from below
    lo = {d: 0.0 for d in dims}
    printed = {}
    for i in sd_ids:
        d = str(c.loc[i, "subject"]).strip()
        printed[d] = i
        lo[d] = _interval(c.loc[i]).lo
    used_smallest = None
    for i in smallest:
        d = str(c.loc[i, "subject"]).split("|")[0].strip()
        if d in printed:
            used_smallest = i
            lo = {e: max(v, lo[d]) for e, v in lo.items()}
    f_disp = _interval(c.loc[anova["disp"]]).hi
    x0 = np.array([lo[d] for d in dims])

    def need(x):
        return N * float((x ** 2).sum()) + (N - 1) * N * float(((x - x.mean()) ** 2).sum()) / f_disp

    # need(x) = x' H x / 2 with H = 2 N I + 2 N (N - 1) / F (I - J / K): convex; its minimum over
    # {x >= lo} is the KKT point, found exactly by trying every set of active lower bounds
    K = len(dims)
    H = 2 * N * np.eye(K) + 2 * (N - 1) * N / f_disp * (np.eye(K) - np.ones((K, K)) / K)
    need_lo, how = math.inf, ""
    for active in itertools.product((True, False), repeat=K):
        act = np.array(active)
        x = x0.copy()
        if (~act).any():  # free coordinates: H_ff x_f = -H_fa x_a
            x[~act] = np.linalg.solve(H[np.ix_(~act, ~act)], -H[np.ix_(~act, act)] @ x0[act])
        g = H @ x
        if (x >= x0 - 1e-12).all() and (g[act] >= -1e-9).all() and np.allclose(g[~act], 0, atol=1e-9):
            need_lo = need(x)
            how = ("at the lower ends (the gradient there is >= 0, the function convex)" if act.all() else
                   "the minimum over the box (the KKT point of a convex quadratic, " +
                   ", ".join(f"{d} {v:.3f}" for d, v in zip(dims, x)) + ")")
            break
    members = [*w_ids, *mean_ids.values(), anova["cat"], anova["int"], anova["disp"], *printed.values()]
    if used_smallest:
        members.append(used_smallest)
    infeasible = need_lo > budget
    # The other reading of the paper's "SD of term ranks": over a model's m x k raw ranks in a
    # dimension (its m rankings pooled). Every ranking's squared deviations from (n + 1) / 2 sum to
    # n (n^2 - 1) / 12 whatever W is, split by dimension into (m k - 1) SD^2 + m k (score - centre)^2
    # per model, so that budget is (N m n (n^2 - 1) / 12 - m k T) / (m k - 1), with the same T.
    m = _design_count(c, "design_n_replicates")
    budget_raw = (N * m * total - m * k * t_lo) / (m * k - 1)
    sd_text = ", ".join(f"{d} {c.loc[i, 'reported']}" for d, i in printed.items())
    arg = (f"(SD: the sample SD of a model's {k} term means in a dimension.) Budget: sum over models of the squared deviations of the {n} term means is {total:g} W per model, "
           f"<= {total:g} x {w_sum:.3f} = {total * w_sum:.1f} (Table A-1's {N} W at their upper ends); the "
           f"dimension means and the mixed ANOVA (F_cat <= {f_cat:g}, F_int in [{f_int.lo:g}, {f_int.hi:g}]) give "
           f"T >= {N} x {s_m:.3f} + {ss_err:.1f} x (1 + {max(f_int.lo, 0):g}/{N - 2}) = {t_lo:.1f}, so the models' "
           f"{N * len(dims)} within-dimension SDs have sum SD^2 <= ({total * w_sum:.1f} - {k} x {t_lo:.1f}) / {k - 1} "
           f"= {budget:.1f}. Need: mean SDs {sd_text}"
           + (f" ({c.loc[used_smallest, 'subject'].split('|')[0]} the smallest)" if used_smallest else "")
           + f" with the dispersion F <= {f_disp:g} need sum SD^2 >= {N} sum M^2 + {N - 1} x {N} sum (M - M.)^2 / "
           f"{f_disp:g} >= {need_lo:.1f}, {how}. {need_lo:.1f} {'>' if infeasible else '<='} {budget:.1f}. "
           f"The proof rests on that reading of the paper's 'SD of term ranks': read as the SD of a model's "
           f"{m} x {k} raw ranks in a dimension (its {m} rankings pooled), the budget is ({N} x {m} x {total:g} - "
           f"{m * k} x {t_lo:.1f}) / {m * k - 1} = {budget_raw:.1f} whatever W is, and this argument finds "
           f"{'no contradiction' if need_lo <= budget_raw else 'a contradiction too'} ({need_lo:.1f} "
           f"{'<=' if need_lo <= budget_raw else '>'} {budget_raw:.1f}).")
    return {"members": members, "budget": budget, "budget_raw_ranks": budget_raw, "need": need_lo, "t_lo": t_lo, "ss_err_lo": ss_err, "s_m": s_m,
            "w_sum_hi": w_sum, "infeasible": bool(infeasible), "argument": arg}
