"""The search: a constructed start, stage 1 on the dimension rank sums, stage 2 on the rankings.

Stage 1 fits the NM x ND matrix of dimension rank sums (every dimension-level statistic is a
function of it) to the dimension-level targets; the matrix is then realised as complete
rankings shaped by the archetypes. Stage 2 anneals the rankings on all targets with swaps of
two terms' ranks: most moves keep the dimension scores (two terms of one dimension, or a
compensated pair of cross-dimension swaps in two replicates), a few are free. The objective
and every statistic are computed by the numba kernels of `pyvalues_reconstruct.kernels`.
`polish` (stage 3, optional) anneals a result again with the weights of chosen claims raised.
"""
from __future__ import annotations

import numpy as np

from .fit import fit_table, summary
from .layout import SET_SIZE, Layout, load_kernels as _kernels, stat_index, stat_names
from .targets import SCALE, WEIGHT, Targets

__all__ = ["construct_start", "construct_start_dims", "search", "polish", "N_ITER_DIMS"]


def _compile_targets(targets: Targets, part_w: float, margin: float):
    """The numeric, set and partition targets as the arrays of a kernels.Objective."""
    study = targets.study
    index = stat_index(study)
    c_idx, c_lo, c_hi, c_li, c_hi_i, c_sc, c_w = [], [], [], [], [], [], []
    for t in targets:
        if not t.feasible or t.kind != "num":
            continue
        n = len(t.subs)
        for stat, lo, hi, li, hi_i in t.subs:
            c_idx.append(index[stat])
            c_lo.append(lo)
            c_hi.append(hi)
            c_li.append(li)
            c_hi_i.append(hi_i)
            c_sc.append(SCALE.get(t.quantity, 0.05))
            c_w.append(WEIGHT.get(t.quantity, 1.0) / n)
    sets = [t for t in targets if t.kind == "set" and t.feasible]
    set_kind = np.array([s.set_spec[0] for s in sets], dtype=np.int64)
    set_who = np.array([s.set_spec[1] for s in sets], dtype=np.int64)
    set_terms = np.array([[study.terms.index(x) for x in s.set_spec[2]] for s in sets],
                         dtype=np.int64).reshape(len(sets), SET_SIZE)
    set_allow = np.array([s.set_spec[3] for s in sets], dtype=np.int64)
    set_w = np.ones(len(sets))
    tl = -np.ones(study.layout.NM, dtype=np.int64)
    for t in targets:
        if t.kind == "partition" and t.feasible:
            c = int(t.subject.split()[1]) - 1
            for m in t.members:
                tl[study.models.index(m)] = c
    return _kernels().Objective(np.array(c_idx, dtype=np.int64), np.array(c_lo, float), np.array(c_hi, float),
                     np.array(c_li, dtype=np.bool_), np.array(c_hi_i, dtype=np.bool_), np.array(c_sc, float),
                     np.array(c_w, float), set_kind, set_who, set_terms, set_allow, set_w, tl,
                     float(part_w), float(margin))


def construct_start(targets: Targets, seed: int) -> np.ndarray:
    """A constructed starting point: per-model base rankings shaped by the archetypes.

    Each model starts from its archetype's value set (top 5, in printed order), followed by the
    remaining terms in the order of the reported dimension means (Protective, Epistemic,
    Practical, Social, Personal) with the reported Bottom-5 terms last; a few random swaps
    make the models of a cluster differ; replicates 2, 3, ... are perturbed by random swaps
    until Kendall's W falls to the model's reported value.
    """
    study = targets.study
    L = study.layout
    rng = np.random.default_rng(seed)
    dim_order = _dimension_order(targets)
    bottom = []
    for t in targets:
        if t.kind == "set" and t.set_spec[0] == 1:
            bottom = [x for x in t.set_spec[2] if x not in bottom]
    tail = [x for d in dim_order for x in study.terms if study.dimension_of(x) == d and x not in bottom]
    tail += bottom
    arche = {}
    for t in targets:
        if t.kind == "set" and t.set_spec[0] == 2:
            arche[t.set_spec[1]] = t.set_spec[2]
    member_cluster = {}
    for t in targets:
        if t.kind == "partition":
            for m in t.members:
                member_cluster[m] = int(t.subject.split()[1]) - 1
    w_target = {}
    for t in targets:
        if t.kind == "num" and t.subs and t.subs[0][0].startswith("W|"):
            w_target[t.subs[0][0][2:]] = 0.5 * (t.subs[0][1] + t.subs[0][2])
    # signed Cliff's deltas: a negative delta means CN ranks the term as more important
    deltas = {}
    for t in targets:
        if t.kind == "num" and t.test == "cliffs_delta" and t.feasible:
            deltas[t.subject] = float(t.reported)
    P = np.zeros((L.NM, L.NR, L.NT), dtype=np.int64)
    for j, m in enumerate(study.models):
        top = arche.get(member_cluster.get(m, -1), [])
        order = list(top) + [x for x in tail if x not in top]
        cn = study.is_cn[j]
        for term, dl in deltas.items():
            # the group that ranks the term as more important moves it up by a few places
            if term in order and (dl < 0) == cn and term not in top:
                i = order.index(term)
                order.insert(max(SET_SIZE, i - 4), order.pop(i))
        order = [study.terms.index(x) for x in order]
        for _ in range(6):  # individual flavour within the cluster
            i = int(rng.integers(0, L.NT - 1))
            order[i], order[i + 1] = order[i + 1], order[i]
        base = np.empty(L.NT, dtype=np.int64)
        base[order] = np.arange(1, L.NT + 1)
        for r in range(L.NR):
            P[j, r] = base
        target = w_target.get(m, 0.9)
        for _ in range(2000):
            w = L.kendall_w(P[j].sum(axis=0))
            if w <= target + 0.003:
                break
            r = int(rng.integers(1, L.NR))
            a = int(rng.integers(0, L.NT))
            b = min(L.NT - 1, max(0, a + int(rng.integers(-4, 5))))
            ta = np.where(P[j, r] == a + 1)[0][0]
            tb = np.where(P[j, r] == b + 1)[0][0]
            P[j, r, ta], P[j, r, tb] = P[j, r, tb], P[j, r, ta]
    return P


N_ITER_DIMS = 4_000_000  # stage-1 annealing steps (dimension rank sums)
DIM_WEIGHT = 4.0  # weight of the dimension-level targets in stage 2 (keeps the stage-1 fit)
PART_W_DIMS = 1.0  # weight of the archetype partition in stage 1 (dimension profiles)
P_TIE = 0.0  # share of stage-1 moves that copy another model's dimension score (ties)
P_COMP = 0.3  # share of compensated cross-dimension pairs (keep S, change W)
P_WITHIN = 0.8  # share of annealing moves within a dimension (they keep the stage-1 fit)
DIM_STATS = ("dim_mean|", "n_primary|", "n_secondary|", "grp|", "mixed|")
PART_W = 2.0  # weight of the archetype partition in stage 2
SET_MARGIN = 0.2  # hinge of the set targets in stage 2 (mean ranks)


def _dimension_order(targets: Targets) -> list[str]:
    """Dimensions by their reported mean rank (most important first; the ones without a
    reported mean after them, in the study's order)."""
    means = {}
    for t in targets:
        if t.kind == "num" and t.subs and t.subs[0][0].startswith("dim_mean|"):
            means[t.subs[0][0].split("|", 1)[1]] = float(t.reported)
    dims = targets.study.dimensions
    return sorted((d for d in dims if d in means), key=lambda d: means[d]) + [d for d in dims if d not in means]


def _single_ok(targets) -> np.ndarray:
    """False for the models whose printed W is 1.000: they keep identical replicates."""
    study = targets.study
    ok = np.ones(study.layout.NM, dtype=np.bool_)
    for t in targets:
        if t.kind == "num" and t.subs and t.subs[0][0].startswith("W|") and t.subs[0][2] > 1.0:
            ok[study.models.index(t.subs[0][0][2:])] = False
    return ok


def _realize_partition(T: np.ndarray, rng, L: Layout) -> np.ndarray:
    """dim[k] (k = rank - 1) of a partition of ranks 1..NT into the ND dimensions, TPD each,
    whose rank sums equal T (sum NT (NT + 1) / 2) -- or as close as a greedy exchange search
    gets."""
    NT, TPD = L.NT, L.TPD
    order = np.argsort(T, kind="mergesort")
    dim = np.empty(NT, dtype=np.int64)
    for i, D in enumerate(order):
        dim[TPD * i:TPD * i + TPD] = D
    ranks = np.arange(1, NT + 1)
    for _ in range(400):
        sums = np.array([ranks[dim == D].sum() for D in range(L.ND)])
        err = sums - T
        if not err.any():
            return dim
        best = None
        for x in range(NT):
            for y in range(x + 1, NT):
                a, b = dim[x], dim[y]
                if a == b:
                    continue
                # swapping ranks x+1 (in a) and y+1 (in b): a gains y - x, b loses y - x
                dlt = y - x
                gain = (abs(err[a]) + abs(err[b])) - (abs(err[a] + dlt) + abs(err[b] - dlt))
                if gain > 0 and (best is None or gain > best[0]):
                    best = (gain, x, y)
        if best is None:  # stuck: a random exchange
            x, y = rng.choice(NT, size=2, replace=False)
        else:
            _, x, y = best
        dim[x], dim[y] = dim[y], dim[x]
    return dim


def construct_start_dims(targets: Targets, seed: int, n_iter_dims: int = 400_000):
    """A start fitted to the dimension-level targets first.

    Stage 1 anneals the NM x ND matrix S of dimension rank sums (over the NR replicates) on
    the targets that depend on S only (dimension means, Primary/Secondary counts, the group
    medians, means, SDs, Mann-Whitney and Welch tests, the mixed ANOVA), plus a bound that
    lets every printed W be reached (a row's spread bounds its model's W from below); moves
    shift units between two dimensions of a model, half of them compensated by another model
    (column sums kept), and every row must split into NR complete rankings. The rows are then
    permuted among the models of each country (which changes no dimension-level statistic)
    to lie closest to the archetype-shaped start of `construct_start`. Each row is realised
    as NR complete rankings: each replicate's dimension sums are S / NR (remainders
    spread over the replicates), a dimension's ranks go to its terms in the order of the
    archetype-shaped start, and random swaps that keep S (within a dimension, or compensated
    cross-dimension pairs in two replicates) lower Kendall's W towards its printed value.
    """
    study = targets.study
    L = study.layout
    K = _kernels()
    rng = np.random.default_rng(seed)
    P0 = construct_start(targets, seed)
    full = _compile_targets(targets, PART_W_DIMS, 0.0)
    names = stat_names(study)
    keep = np.array([names[i].startswith(DIM_STATS) for i in full.c_idx], dtype=bool)
    # stage 1 sees the dimension-level numeric targets and the partition, no set targets
    no_sets = np.zeros(0, dtype=np.int64)
    ob = full._replace(**{f: getattr(full, f)[keep] for f in full._fields[:7]},
                       set_kind=no_sets, set_who=no_sets, set_terms=np.zeros((0, SET_SIZE), dtype=np.int64),
                       set_allow=no_sets, set_w=np.zeros(0))
    single_ok = _single_ok(targets)
    S = np.ascontiguousarray(P0.sum(axis=1).reshape(L.NM, L.ND, L.TPD).sum(axis=2), dtype=np.int64)
    best_S = np.zeros_like(S)
    wt = {}
    for t in targets:
        if t.kind == "num" and t.subs and t.subs[0][0].startswith("W|"):
            wt[t.subs[0][0][2:]] = 0.5 * (t.subs[0][1] + min(t.subs[0][2], 1.0))
    wt_model = np.array([wt.get(m, 0.9) for m in study.models])
    tl = ob.tl
    pen_dims = K.anneal_dims(L, ob, S, ~single_ok, study.is_cn, study.wcdf, n_iter_dims, 1.0, 0.002, seed,
                             best_S, wt_model, P_TIE)
    # every dimension-level statistic is invariant to permuting the rows of S among the models
    # of one country (and the clustering, among those of one target cluster): give each model
    # the row closest to its archetype-shaped start
    from scipy.optimize import linear_sum_assignment

    # (a low printed W needs a flat row: W >= TPD sum_D (S_D / TPD - NR (NT + 1) / 2)^2 / (NR^2 (NT^3 - NT) / 12))
    w_target = {}
    for t in targets:
        if t.kind == "num" and t.subs and t.subs[0][0].startswith("W|"):
            w_target[t.subs[0][0][2:]] = 0.5 * (t.subs[0][1] + min(t.subs[0][2], 1.0))
    S0 = P0.sum(axis=1).reshape(L.NM, L.ND, L.TPD).sum(axis=2)
    fitted = best_S.copy()
    w_min = L.TPD * ((fitted / float(L.TPD) - L.mean_rank_sum) ** 2).sum(axis=1) / L.w_denominator
    is_cn = study.is_cn
    groups = [is_cn & (tl == c) for c in sorted(set(tl.tolist()))]
    groups += [~is_cn & (tl == c) for c in sorted(set(tl.tolist()))]
    for grp in groups:
        idx = np.where(grp)[0]
        if len(idx) == 0:
            continue
        cost = ((S0[idx][:, None, :] - fitted[idx][None, :, :]) ** 2).sum(axis=2).astype(float)
        wt = np.array([w_target.get(study.models[j], 0.9) for j in idx])
        cost += 1e7 * np.maximum(0.0, w_min[idx][None, :] - (wt[:, None] - 0.06)) ** 2
        for a, j in enumerate(idx):
            if not single_ok[j]:
                cost[a, (fitted[idx] % L.NR != 0).any(axis=1)] = 1e12
        rows, cols = linear_sum_assignment(cost)
        best_S[idx[rows]] = fitted[idx[cols]]
    w_target = {}
    for t in targets:
        if t.kind == "num" and t.subs and t.subs[0][0].startswith("W|"):
            w_target[t.subs[0][0][2:]] = 0.5 * (t.subs[0][1] + min(t.subs[0][2], 1.0))
    P = np.zeros_like(P0)
    R0 = P0.sum(axis=1)
    NR, NT, ND, TPD = L.NR, L.NT, L.ND, L.TPD
    for j, m in enumerate(study.models):
        row = best_S[j]
        q, rem = np.divmod(row, NR)
        T = np.tile(q, (NR, 1))
        units = [D for D in range(ND) for _ in range(int(rem[D]))]
        for i, D in enumerate(units):
            T[i % NR, D] += 1
        pref = np.argsort(np.argsort(R0[j], kind="mergesort"), kind="mergesort")  # 0 = first
        for r in range(NR):
            dim = _realize_partition(T[r], rng, L)
            for D in range(ND):
                terms = sorted(range(TPD * D, TPD * D + TPD), key=lambda t: pref[t])
                rk = [k + 1 for k in range(NT) if dim[k] == D]
                for t, x in zip(terms, rk):
                    P[j, r, t] = x
        if not single_ok[j]:
            P[j, 1:] = P[j, 0]
            continue
        target = w_target.get(m, 0.9)

        def w_of(Pj):
            return L.kendall_w(Pj.sum(axis=0))

        w = w_of(P[j])
        for _ in range(6000):
            if w <= target + 0.003:
                break
            Q = P[j].copy()
            if rng.random() < 0.5:  # two terms of one dimension in one replicate
                r = int(rng.integers(0, NR))
                D = int(rng.integers(0, ND))
                a, b = rng.choice(TPD, size=2, replace=False)
                ta, tb = TPD * D + a, TPD * D + b
                Q[r, ta], Q[r, tb] = Q[r, tb], Q[r, ta]
            else:  # a cross-dimension swap in one replicate, compensated in another (keeps S)
                r1, r2 = rng.choice(NR, size=2, replace=False)
                ta, tb = rng.choice(NT, size=2, replace=False)
                Da, Db = ta // TPD, tb // TPD
                if Da == Db:
                    continue
                diff = Q[r1, tb] - Q[r1, ta]
                cand = [(c, e) for c in range(TPD * Da, TPD * Da + TPD) for e in range(TPD * Db, TPD * Db + TPD)
                        if Q[r2, e] - Q[r2, c] == -diff]
                if not cand:
                    continue
                c, e = cand[int(rng.integers(0, len(cand)))]
                Q[r1, ta], Q[r1, tb] = Q[r1, tb], Q[r1, ta]
                Q[r2, c], Q[r2, e] = Q[r2, e], Q[r2, c]
            w2 = w_of(Q)
            if w2 < w and w2 >= target - 0.01:
                P[j] = Q
                w = w2
    return P, float(pen_dims)


def _chain(args):
    targets, seed, n_iter, T0, T1 = args[:5]
    n_dims = args[5] if len(args) > 5 else N_ITER_DIMS
    dim_w = args[6] if len(args) > 6 else DIM_WEIGHT
    study = targets.study
    K = _kernels()
    ob = _compile_targets(targets, PART_W, SET_MARGIN)
    names = stat_names(study)
    keep = np.array([names[i].startswith(DIM_STATS) for i in ob.c_idx], dtype=bool)
    ob = ob._replace(c_w=np.where(keep, ob.c_w * dim_w, ob.c_w))
    P, _ = construct_start_dims(targets, seed, n_dims)
    single_ok = _single_ok(targets)
    out_P = np.zeros_like(P)
    trace = np.zeros(200)
    pen = K.anneal(study.layout, ob, P, single_ok, study.is_cn, study.wcdf, n_iter, T0, T1, seed, out_P,
                   trace, P_WITHIN, P_COMP)
    return out_P, float(pen), trace


def search(targets: Targets, seed: int = 2026, n_iter: int = 2_000_000,
           T0: float = 0.5, T1: float = 0.001, chains: int = 1, verbose: bool = True):
    """Seeded simulated annealing from the constructed start; returns (P, penalty, trace).

    With chains > 1, independent chains (seeds seed, seed + 1, ...) run in parallel processes
    and the one reproducing most feasible claims within rounding is kept (then the lowest
    penalty, then the first): the result depends on the seed and chain count only, not on
    scheduling.
    """
    jobs = [(targets, seed + c, n_iter, T0, T1) for c in range(chains)]
    if chains == 1:
        results = [_chain(jobs[0])]
    else:
        import multiprocessing as mp
        with mp.get_context("fork").Pool(min(chains, 2)) as pool:
            results = pool.map(_chain, jobs)
    # keep the chain that reproduces most claims within rounding, then the lowest penalty
    matched = [summary(fit_table(targets, res[0]))["n_feasible_matched"] for res in results]
    best = min(range(chains), key=lambda c: (-matched[c], results[c][1], c))
    if verbose:
        for c, (_, pen, _) in enumerate(results):
            print(f"  chain {c + 1}/{chains} (seed {seed + c}): penalty {pen:.4f}, "
                  f"{matched[c]} feasible claims within rounding", flush=True)
    return results[best]

def polish(targets: Targets, P: np.ndarray, seed: int, n_iter: int, T0: float, T1: float,
           boost: float, set_boost: float, boosted: tuple[str, ...]) -> tuple[np.ndarray, float]:
    """A second, seeded annealing from P (the result of :func:`search`) with the weights of the
    claims in `boosted` multiplied by `boost` (numeric) and `set_boost` (set claims): the claims
    the first stage leaves unreproduced get more of the objective. Returns (P, penalty)."""
    study = targets.study
    K = _kernels()
    ob = _compile_targets(targets, PART_W, SET_MARGIN)
    names = stat_names(study)
    keep = np.array([names[i].startswith(DIM_STATS) for i in ob.c_idx], dtype=bool)
    cw = np.where(keep, ob.c_w * DIM_WEIGHT, ob.c_w)
    owner = [t.claim_id for t in targets if t.feasible and t.kind == "num" for _ in t.subs]
    cw = cw * np.array([boost if o in boosted else 1.0 for o in owner])
    sets = [t.claim_id for t in targets if t.kind == "set" and t.feasible]
    sw = np.array([set_boost if s in boosted else 1.0 for s in sets])
    ob = ob._replace(c_w=cw, set_w=sw)
    out_P = np.zeros_like(P)
    trace = np.zeros(200)
    pen = K.anneal(study.layout, ob, np.ascontiguousarray(P).copy(), _single_ok(targets), study.is_cn, study.wcdf,
                   n_iter, T0, T1, seed, out_P, trace, P_WITHIN, P_COMP)
    return out_P, float(pen)
