"""Numba kernels of the reconstruction: every statistic of a study from its rank sums.

All statistics the paper reports are functions of R[j, t], the sum of model j's NR integer
ranks of term t (NM x NT): term means m = R / NR, dimension scores d = (sum of R over the
dimension's TPD terms) / (TPD NR), Kendall's W = (sum_t R^2 - NT (NR (NT + 1) / 2)^2) /
(NR^2 (NT^3 - NT) / 12). The kernels mirror, formula by formula, the R functions of the
analysis specification (cited at each kernel); `tests/test_reconstruction.py` checks them
against R itself.

Every kernel that depends on the design takes its `Layout` (`pyvalues_reconstruct.layout`):
the sizes and the offsets of the blocks of the flat statistics vector. The targets of a search
travel as one `Objective`, the state of a stage-2 chain as one `Chain`.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit
from numba.extending import overload

from pyvalues import formulas

# Inside numba, scipy's gammaln is numba's math.lgamma, as these kernels always computed it
# (its last bits can differ from scipy's, which the Python twins use).
@overload(formulas.gammaln)
def _gammaln_in_numba(x):
    return lambda x: math.lgamma(x)


# written once in pyvalues/formulas.py (the twins and the crosscheck use the same functions)
hedges_j = njit(cache=True)(formulas.hedges_j)
bh_adjust = njit(cache=True)(formulas.bh_adjust)  # p.adjust(method = "BH")

# --- special functions ----------------------------------------------------------------------
@njit(cache=True)
def _betacf(a, b, x):
    # Lentz's continued fraction for the incomplete beta (Numerical Recipes 6.4)
    tiny = 1e-300
    qab = a + b
    qap = a + 1.0
    qam = a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    if abs(d) < tiny:
        d = tiny
    d = 1.0 / d
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        if abs(d) < tiny:
            d = tiny
        c = 1.0 + aa / c
        if abs(c) < tiny:
            c = tiny
        d = 1.0 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        if abs(d) < tiny:
            d = tiny
        c = 1.0 + aa / c
        if abs(c) < tiny:
            c = tiny
        d = 1.0 / d
        de = d * c
        h *= de
        if abs(de - 1.0) < 1e-15:
            break
    return h


@njit(cache=True)
def betainc(a, b, x):
    """Regularized incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    lbt = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
           + a * math.log(x) + b * math.log(1.0 - x))
    bt = math.exp(lbt)
    if x < (a + 1.0) / (a + b + 2.0):
        return bt * _betacf(a, b, x) / a
    return 1.0 - bt * _betacf(b, a, 1.0 - x) / b


@njit(cache=True)
def t_p2(t, df):
    """Two-sided p of Student's t."""
    if not math.isfinite(t):
        return 0.0
    return betainc(0.5 * df, 0.5, df / (df + t * t))


@njit(cache=True)
def t_cdf(t, df):
    p = 0.5 * betainc(0.5 * df, 0.5, df / (df + t * t))
    return p if t < 0 else 1.0 - p


@njit(cache=True)
def f_sf(f, d1, d2):
    if f <= 0.0:
        return 1.0
    return betainc(0.5 * d2, 0.5 * d1, d2 / (d2 + d1 * f))


@njit(cache=True)
def norm_cdf(z):
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


@njit(cache=True)
def chi2_sf_even(x, df):
    """Upper tail of chi-square with even df (closed form: Poisson sum)."""
    y = 0.5 * x
    term = 1.0
    s = 1.0
    for i in range(1, df // 2):
        term *= y / i
        s += term
    return math.exp(-y) * s


# --- small helpers ----------------------------------------------------------------------------
@njit(cache=True)
def midranks(v, out):
    """Average ranks (1-based) of v, ties get the mean of their ranks (R's rank())."""
    n = v.shape[0]
    order = np.argsort(v, kind="mergesort")
    i = 0
    while i < n:
        k = i
        while k + 1 < n and v[order[k + 1]] == v[order[i]]:
            k += 1
        r = 0.5 * (i + k) + 1.0
        for q in range(i, k + 1):
            out[order[q]] = r
        i = k + 1


@njit(cache=True)
def pearson(x, y):
    n = x.shape[0]
    mx = 0.0
    my = 0.0
    for i in range(n):
        mx += x[i]
        my += y[i]
    mx /= n
    my /= n
    sxy = 0.0
    sxx = 0.0
    syy = 0.0
    for i in range(n):
        dx = x[i] - mx
        dy = y[i] - my
        sxy += dx * dy
        sxx += dx * dx
        syy += dy * dy
    if sxx == 0.0 or syy == 0.0:
        return 0.0
    return sxy / math.sqrt(sxx * syy)


@njit(cache=True)
def pearson_int(x, y):
    n = x.shape[0]
    sx = 0
    sy = 0
    sxx = 0
    syy = 0
    sxy = 0
    for i in range(n):
        sx += x[i]
        sy += y[i]
        sxx += x[i] * x[i]
        syy += y[i] * y[i]
        sxy += x[i] * y[i]
    cxy = n * sxy - sx * sy
    cxx = n * sxx - sx * sx
    cyy = n * syy - sy * sy
    if cxx == 0 or cyy == 0:
        return 0.0
    return cxy / math.sqrt(float(cxx) * float(cyy))


@njit(cache=True)
def kendall_taub(x, y):
    """Kendall's tau-b (cor(method = "kendall") in R)."""
    n = x.shape[0]
    c = 0
    d = 0
    tx = 0
    ty = 0
    for i in range(n):
        for k in range(i + 1, n):
            a = x[i] - x[k]
            b = y[i] - y[k]
            if a == 0 and b == 0:
                tx += 1
                ty += 1
            elif a == 0:
                tx += 1
            elif b == 0:
                ty += 1
            elif (a > 0) == (b > 0):
                c += 1
            else:
                d += 1
    n0 = n * (n - 1) // 2
    den = math.sqrt(float(n0 - tx) * float(n0 - ty))
    if den == 0.0:
        return 0.0
    return (c - d) / den


@njit(cache=True)
def mean_sd(x):
    n = x.shape[0]
    m = 0.0
    for i in range(n):
        m += x[i]
    m /= n
    v = 0.0
    for i in range(n):
        v += (x[i] - m) ** 2
    return m, math.sqrt(v / (n - 1))


@njit(cache=True)
def median_sorted(x):
    y = np.sort(x)
    n = y.shape[0]
    if n % 2 == 1:
        return y[n // 2]
    return 0.5 * (y[n // 2 - 1] + y[n // 2])


# --- pairwise similarity cache ------------------------------------------------------------------
@njit(cache=True)
def update_pairs(j, R, mr, rho, tau, pear):
    """Recompute model j's midranks and its row/column of the similarity matrices."""
    midranks(R[j].astype(np.float64), mr[j])
    for i in range(R.shape[0]):
        if i == j:
            rho[j, j] = 1.0
            tau[j, j] = 1.0
            pear[j, j] = 1.0
            continue
        v = pearson(mr[i], mr[j])
        rho[i, j] = v
        rho[j, i] = v
        v = kendall_taub(R[i], R[j])
        tau[i, j] = v
        tau[j, i] = v
        v = pearson_int(R[i], R[j])
        pear[i, j] = v
        pear[j, i] = v


@njit(cache=True)
def init_pairs(R, mr, rho, tau, pear):
    for j in range(R.shape[0]):
        midranks(R[j].astype(np.float64), mr[j])
    for j in range(R.shape[0]):
        update_pairs(j, R, mr, rho, tau, pear)


# --- hierarchical clustering ---------------------------------------------------------------------
@njit(cache=True)
def hclust_average_cut(pear, k, labels):
    """hclust(as.dist(1 - r), method = "average") cut at k clusters (stats::cutree).

    Labels follow cutree: clusters numbered 1.. by the first observation (in input order)
    that belongs to them. Ties in merge height are broken as hclust's Fortran does (the
    first pair in (i, j) scan order), which with continuous correlations does not arise.
    """
    n = pear.shape[0]
    dist = np.empty((n, n))
    for i in range(n):
        for q in range(n):
            dist[i, q] = 1.0 - pear[i, q]
    size = np.ones(n, dtype=np.int64)
    active = np.ones(n, dtype=np.bool_)
    member = np.arange(n)  # representative cluster of each observation
    nclus = n
    while nclus > k:
        best = 1e300
        bi = -1
        bq = -1
        for i in range(n):
            if not active[i]:
                continue
            for q in range(i + 1, n):
                if active[q] and dist[i, q] < best:
                    best = dist[i, q]
                    bi = i
                    bq = q
        # merge bq into bi (UPGMA / Lance-Williams average)
        for x in range(n):
            if active[x] and x != bi and x != bq:
                v = (size[bi] * dist[bi, x] + size[bq] * dist[bq, x]) / (size[bi] + size[bq])
                dist[bi, x] = v
                dist[x, bi] = v
        size[bi] += size[bq]
        active[bq] = False
        for x in range(n):
            if member[x] == bq:
                member[x] = bi
        nclus -= 1
    lab = np.zeros(n, dtype=np.int64)
    nxt = 1
    seen = -np.ones(n, dtype=np.int64)
    for x in range(n):
        rep = member[x]
        if seen[rep] < 0:
            seen[rep] = nxt
            nxt += 1
        labels[x] = seen[rep]
    return labels


# --- all statistics ---------------------------------------------------------------------------
@njit(cache=True)
def compute_stats(L, R, rho, tau, pear, is_cn, wcdf, stats, labels, ta=-1, tb=-1, dims_only=False):
    """Fill `stats` (L.NSTAT) and `labels` (cluster of each model, cutree k = L.NK).

    With ta >= 0 only terms ta and tb changed since the last call: the per-term tests of the
    other terms are kept from `stats`. With dims_only, only the statistics of the dimension
    scores (means, Primary/Secondary, group tests, mixed ANOVA) and W are computed.
    """
    NM, NR, NT, ND, TPD = L.NM, L.NR, L.NT, L.ND, L.TPD
    NG, NPAIRS = L.NG, L.NPAIRS
    O_W, O_FP, O_NSIG, O_DGAP = L.O_W, L.O_FP, L.O_NSIG, L.O_DGAP
    O_DIMMEAN, O_PRIM, O_SEC, O_DSD = L.O_DIMMEAN, L.O_PRIM, L.O_SEC, L.O_DSD
    O_DISP, O_DISP_GG, O_POST, O_PDIFF = L.O_DISP, L.O_DISP_GG, L.O_POST, L.O_PDIFF
    O_GRP, O_MIX, O_COR = L.O_GRP, L.O_MIX, L.O_COR
    O_DELTA, O_BMP, O_BMQ, O_BMSTAT, O_BMDF = L.O_DELTA, L.O_BMP, L.O_BMQ, L.O_BMSTAT, L.O_BMDF
    f_nr = float(NR)
    f_den = float(TPD * NR)  # a dimension score is a rank sum over TPD terms x NR replicates
    n_cn = 0
    for j in range(NM):
        if is_cn[j]:
            n_cn += 1
    n_us = NM - n_cn
    # Kendall's W and Friedman (concordance.R): chisq = m (n - 1) W, df = n - 1
    nsig = 0
    for j in range(NM):
        ss = 0.0
        for t in range(NT):
            ss += float(R[j, t]) * R[j, t]
        w = (ss - NT * (NR * (NT + 1) / 2.0) ** 2) / (NR * NR * (NT ** 3 - NT) / 12.0)
        stats[O_W + j] = w
        p = chi2_sf_even(NR * (NT - 1) * w, NT - 1) if (NT - 1) % 2 == 0 else np.nan
        stats[O_FP + j] = p
        if p < 0.05:
            nsig += 1
    stats[O_NSIG] = nsig
    # SD over models of each term's mean rank (pv_term_means' sd) and its rank, 1 = largest, ties
    # ranked by the instrument's term order (the heat map's consensus and disagreement)
    O_TSD, O_TSDR = L.O_TSD, L.O_TSDR
    for t in range(NT):
        m1 = 0.0
        for j in range(NM):
            m1 += R[j, t] / f_nr
        m1 /= NM
        v = 0.0
        for j in range(NM):
            v += (R[j, t] / f_nr - m1) ** 2
        stats[O_TSD + t] = math.sqrt(v / (NM - 1))
    for t in range(NT):
        k = 1
        for u in range(NT):
            if stats[O_TSD + u] > stats[O_TSD + t] or (stats[O_TSD + u] == stats[O_TSD + t] and u < t):
                k += 1
        stats[O_TSDR + t] = k
    # dimension scores and within-dimension SDs of term means
    S = np.zeros((NM, ND), dtype=np.int64)
    d = np.zeros((NM, ND))
    s = np.zeros((NM, ND))
    tm = np.zeros(TPD)
    for j in range(NM):
        for D in range(ND):
            acc = 0
            for q in range(TPD):
                acc += R[j, TPD * D + q]
                tm[q] = R[j, TPD * D + q] / f_nr
            S[j, D] = acc
            d[j, D] = acc / f_den
            _, sd = mean_sd(tm)
            s[j, D] = sd
    for D in range(ND):
        a = 0
        b = 0.0
        for j in range(NM):
            a += S[j, D]
            b += s[j, D]
        stats[O_DIMMEAN + D] = a / (f_den * NM)
        stats[O_DSD + D] = b / NM
        stats[O_PRIM + D] = 0.0
        stats[O_SEC + D] = 0.0
    # Primary / Secondary: lowest and second-lowest d
    gap = 1e9
    for j in range(NM):
        order = np.argsort(S[j], kind="mergesort")
        stats[O_PRIM + order[0]] += 1.0
        stats[O_SEC + order[1]] += 1.0
        g1 = S[j, order[1]] - S[j, order[0]]
        g2 = S[j, order[2]] - S[j, order[1]]
        if g1 < gap:
            gap = g1
        if g2 < gap:
            gap = g2
    stats[O_DGAP] = gap
    if not dims_only:
        # dispersion: one-way repeated-measures ANOVA of s (afex aov_ez, within = dimension)
        gm = 0.0
        for j in range(NM):
            for D in range(ND):
                gm += s[j, D]
        gm /= NM * ND
        ss_dim = 0.0
        ss_subj = 0.0
        ss_tot = 0.0
        for D in range(ND):
            ss_dim += NM * (stats[O_DSD + D] - gm) ** 2
        for j in range(NM):
            rm = 0.0
            for D in range(ND):
                rm += s[j, D]
            rm /= ND
            ss_subj += ND * (rm - gm) ** 2
            for D in range(ND):
                ss_tot += (s[j, D] - gm) ** 2
        ss_err = ss_tot - ss_dim - ss_subj
        df1 = ND - 1.0
        df2 = (ND - 1.0) * (NM - 1.0)
        F = (ss_dim / df1) / (ss_err / df2)
        stats[O_DISP] = F
        stats[O_DISP + 1] = f_sf(F, df1, df2)
        stats[O_DISP + 2] = ss_dim / (ss_dim + ss_err)
        # Greenhouse-Geisser epsilon from the double-centred covariance of the 5 dimensions
        cov = np.zeros((ND, ND))
        for a in range(ND):
            for b in range(ND):
                acc = 0.0
                for j in range(NM):
                    acc += (s[j, a] - stats[O_DSD + a]) * (s[j, b] - stats[O_DSD + b])
                cov[a, b] = acc / (NM - 1)
        rmean = np.zeros(ND)
        tmean = 0.0
        for a in range(ND):
            for b in range(ND):
                rmean[a] += cov[a, b] / ND
                tmean += cov[a, b] / (ND * ND)
        num = 0.0
        den = 0.0
        for a in range(ND):
            num += cov[a, a] - rmean[a] - rmean[a] + tmean
            for b in range(ND):
                den += (cov[a, b] - rmean[a] - rmean[b] + tmean) ** 2
        eps = num * num / ((ND - 1) * den)
        stats[O_DISP_GG] = eps
        stats[O_DISP_GG + 1] = f_sf(F, df1 * eps, df2 * eps)
        # Bonferroni-corrected paired t tests (all NPAIRS pairs a < b, in dimension order)
        diff = np.zeros(NM)
        k = 0
        for a in range(ND):
            for b in range(a + 1, ND):
                for j in range(NM):
                    diff[j] = s[j, a] - s[j, b]
                m, sd = mean_sd(diff)
                t = m / (sd / math.sqrt(NM)) if sd > 0 else (np.inf if m != 0 else 0.0)
                p = t_p2(t, NM - 1.0) if sd > 0 else (0.0 if m != 0 else 1.0)
                stats[O_POST + k] = min(1.0, p * NPAIRS)
                stats[O_PDIFF + k] = m
                k += 1
    # group tests per dimension (nonparametric.R: wilcox.test(x = CN, y = US), Welch t.test)
    xs = np.zeros(n_cn)
    ys = np.zeros(n_us)
    xi = np.zeros(n_cn, dtype=np.int64)
    yi = np.zeros(n_us, dtype=np.int64)
    pooled = np.zeros(NM)
    rk = np.zeros(NM)
    pm = np.zeros(ND)
    for D in range(ND):
        ix = 0
        iy = 0
        for j in range(NM):
            if is_cn[j]:
                xs[ix] = d[j, D]
                xi[ix] = S[j, D]
                ix += 1
            else:
                ys[iy] = d[j, D]
                yi[iy] = S[j, D]
                iy += 1
        o = O_GRP + NG * D
        stats[o + 0] = median_sorted(xs)
        stats[o + 1] = median_sorted(ys)
        mx, sx = mean_sd(xs)
        my, sy = mean_sd(ys)
        stats[o + 2] = mx
        stats[o + 3] = sx
        stats[o + 4] = my
        stats[o + 5] = sy
        # Mann-Whitney on the integer rank sums (same order as d, exact comparisons)
        for q in range(n_cn):
            pooled[q] = xi[q]
        for q in range(n_us):
            pooled[n_cn + q] = yi[q]
        midranks(pooled, rk)
        rs = 0.0
        for q in range(n_cn):
            rs += rk[q]
        U = rs - n_cn * (n_cn + 1) / 2.0
        stats[o + 6] = U
        # ties?
        srt = np.sort(pooled)
        tsum = 0.0
        ties = False
        q = 0
        while q < NM:
            k2 = q
            while k2 + 1 < NM and srt[k2 + 1] == srt[q]:
                k2 += 1
            tcount = k2 - q + 1
            if tcount > 1:
                ties = True
                tsum += tcount ** 3 - tcount
            q = k2 + 1
        if not ties:
            # exact: R's pwilcox; wcdf[u] = P(U <= u)
            ui = int(round(U))
            if U > n_cn * n_us / 2.0:
                p = 1.0 - wcdf[ui - 1]
            else:
                p = wcdf[ui]
            p = min(1.0, 2.0 * p)
        else:
            z = U - n_cn * n_us / 2.0
            sigma = math.sqrt((n_cn * n_us / 12.0) * ((NM + 1) - tsum / (NM * (NM - 1.0))))
            corr = 0.5 if z > 0 else (-0.5 if z < 0 else 0.0)
            z = (z - corr) / sigma
            p = 2.0 * min(norm_cdf(z), norm_cdf(-z))
        stats[o + 7] = p
        pm[D] = p
        stats[o + 9] = 1.0 - 2.0 * U / (n_cn * n_us)
        # Welch
        vx = sx * sx / n_cn
        vy = sy * sy / n_us
        se = math.sqrt(vx + vy)
        t = (mx - my) / se if se > 0 else 0.0
        dfw = (vx + vy) ** 2 / (vx * vx / (n_cn - 1) + vy * vy / (n_us - 1)) if se > 0 else 1.0
        stats[o + 10] = t
        stats[o + 11] = dfw
        stats[o + 12] = t_p2(t, dfw)
        # Hedges' g: pooled SD, exact small-sample correction (effectsize::hedges_g)
        dfp = n_cn + n_us - 2.0
        sp = math.sqrt(((n_cn - 1) * sx * sx + (n_us - 1) * sy * sy) / dfp)
        J = hedges_j(dfp)
        stats[o + 13] = (mx - my) / sp * J if sp > 0 else 0.0
    qm = np.zeros(ND)
    bh_adjust(pm, qm)
    for D in range(ND):
        stats[O_GRP + NG * D + 8] = qm[D]
    # mixed ANOVA (afex aov_ez, Type III, contr.sum): every model's d averages 13, so the
    # between-subject (country) SS is 0; within effects from the group means per dimension
    mu_cn = np.zeros(ND)
    mu_us = np.zeros(ND)
    for D in range(ND):
        for j in range(NM):
            if is_cn[j]:
                mu_cn[D] += d[j, D] / n_cn
            else:
                mu_us[D] += d[j, D] / n_us
    hm = 1.0 / (1.0 / n_cn + 1.0 / n_us)
    grand = (NT + 1) / 2.0
    ss_d = 0.0
    ss_i = 0.0
    ss_e = 0.0
    for D in range(ND):
        u = 0.5 * (mu_cn[D] + mu_us[D])
        ss_d += 4.0 * hm * (u - grand) ** 2
        ss_i += hm * (mu_cn[D] - mu_us[D]) ** 2
        for j in range(NM):
            mu = mu_cn[D] if is_cn[j] else mu_us[D]
            ss_e += (d[j, D] - mu) ** 2
    # subject effects within groups are 0 (all rows average 13), so ss_e is the error SS
    dfe = (ND - 1.0) * (NM - 2.0)
    Fd = (ss_d / (ND - 1.0)) / (ss_e / dfe)
    Fi = (ss_i / (ND - 1.0)) / (ss_e / dfe)
    stats[O_MIX + 0] = Fd
    stats[O_MIX + 1] = f_sf(Fd, ND - 1.0, dfe)
    stats[O_MIX + 2] = ss_d / (ss_d + ss_e)
    stats[O_MIX + 3] = Fi
    stats[O_MIX + 4] = f_sf(Fi, ND - 1.0, dfe)
    stats[O_MIX + 5] = ss_i / (ss_i + ss_e)
    # country: between-subject SS and its error are both 0 with complete rankings
    row_dev = 0.0
    for j in range(NM):
        acc = 0.0
        for D in range(ND):
            acc += d[j, D]
        row_dev += (acc / ND - grand) ** 2
    stats[O_MIX + 6] = 0.0 if row_dev < 1e-18 else np.nan
    stats[O_MIX + 7] = 1.0 if row_dev < 1e-18 else np.nan
    stats[O_MIX + 8] = 0.0 if row_dev < 1e-18 else np.nan
    if dims_only:
        return
    # pairwise correlations within CN, within US, all pairs
    ncn_p = n_cn * (n_cn - 1) // 2
    nus_p = n_us * (n_us - 1) // 2
    nall_p = NM * (NM - 1) // 2
    for which in range(2):
        mat = rho if which == 0 else tau
        vcn = np.zeros(ncn_p)
        vus = np.zeros(nus_p)
        vall = np.zeros(nall_p)
        a1 = 0
        a2 = 0
        a3 = 0
        for i in range(NM):
            for q in range(i + 1, NM):
                vall[a3] = mat[i, q]
                a3 += 1
                if is_cn[i] and is_cn[q]:
                    vcn[a1] = mat[i, q]
                    a1 += 1
                elif (not is_cn[i]) and (not is_cn[q]):
                    vus[a2] = mat[i, q]
                    a2 += 1
        o = O_COR + 6 * which
        m, sd = mean_sd(vcn)
        stats[o] = m
        stats[o + 1] = sd
        m, sd = mean_sd(vus)
        stats[o + 2] = m
        stats[o + 3] = sd
        m, sd = mean_sd(vall)
        stats[o + 4] = m
        stats[o + 5] = sd
    # per term: Cliff's delta and Brunner-Munzel (CN first; brunnermunzel / scipy formula)
    px = np.zeros(NM)
    rkx = np.zeros(n_cn)
    rky = np.zeros(n_us)
    bmp = np.zeros(NT)
    bmq = np.zeros(NT)
    for t in range(NT):
        if ta >= 0 and t != ta and t != tb:
            bmp[t] = stats[O_BMP + t]
            continue
        ix = 0
        iy = 0
        for j in range(NM):
            if is_cn[j]:
                xs[ix] = R[j, t]
                ix += 1
            else:
                ys[iy] = R[j, t]
                iy += 1
        gt = 0
        lt = 0
        for a in range(n_cn):
            for b in range(n_us):
                if xs[a] > ys[b]:
                    gt += 1
                elif xs[a] < ys[b]:
                    lt += 1
        stats[O_DELTA + t] = (gt - lt) / float(n_cn * n_us)
        for q in range(n_cn):
            px[q] = xs[q]
        for q in range(n_us):
            px[n_cn + q] = ys[q]
        midranks(px, rk)
        midranks(xs, rkx)
        midranks(ys, rky)
        mrx = 0.0
        mry = 0.0
        for q in range(n_cn):
            mrx += rk[q] / n_cn
        for q in range(n_us):
            mry += rk[n_cn + q] / n_us
        Sx = 0.0
        for q in range(n_cn):
            Sx += (rk[q] - rkx[q] - mrx + (n_cn + 1) / 2.0) ** 2
        Sx /= n_cn - 1
        Sy = 0.0
        for q in range(n_us):
            Sy += (rk[n_cn + q] - rky[q] - mry + (n_us + 1) / 2.0) ** 2
        Sy /= n_us - 1
        den = (n_cn + n_us) * math.sqrt(n_cn * Sx + n_us * Sy)
        num = n_cn * n_us * (mry - mrx)
        if den > 0:
            wb = num / den
            dfb = (n_cn * Sx + n_us * Sy) ** 2 / ((n_cn * Sx) ** 2 / (n_cn - 1) + (n_us * Sy) ** 2 / (n_us - 1))
            c = t_cdf(wb, dfb)
            p = 2.0 * min(c, 1.0 - c)
        else:
            wb = np.inf if num != 0 else 0.0
            dfb = np.nan
            p = 0.0 if num != 0 else 1.0
        stats[O_BMSTAT + t] = wb
        stats[O_BMDF + t] = dfb
        stats[O_BMP + t] = min(1.0, p)
        bmp[t] = min(1.0, p)
    bh_adjust(bmp, bmq)
    for t in range(NT):
        stats[O_BMQ + t] = bmq[t]
    hclust_average_cut(pear, L.NK, labels)


# --- objective -----------------------------------------------------------------------------------
class Objective(NamedTuple):
    """The targets of a search, compiled to arrays (`pyvalues_reconstruct.search`).

    Numeric targets: stats[c_idx] must lie in (c_lo, c_hi) (endpoints included where c_loinc /
    c_hiinc); a miss costs c_w (1 + distance / c_scale). Set targets (one row each): the
    set_terms' mean ranks must be the lowest (set_kind 0: group Top-k, set_who 0 = CN, 1 = US;
    2: archetype of target cluster set_who) or highest (1: group Bottom-k); set_allow items may
    be missing. Partition: tl[j] = target cluster of model j (-1 = free), weight part_w; margin
    is the hinge of the set targets."""

    c_idx: np.ndarray
    c_lo: np.ndarray
    c_hi: np.ndarray
    c_loinc: np.ndarray
    c_hiinc: np.ndarray
    c_scale: np.ndarray
    c_w: np.ndarray
    set_kind: np.ndarray
    set_who: np.ndarray
    set_terms: np.ndarray
    set_allow: np.ndarray
    set_w: np.ndarray
    tl: np.ndarray
    part_w: float
    margin: float


@njit(cache=True)
def penalty(L, ob, stats, labels, R, pear, is_cn):
    """Sum over targets of w * (1 + distance / scale) for every target outside its interval.

    Numeric targets: stats[c_idx] must lie in (c_lo, c_hi) (endpoints included where
    c_loinc / c_hiinc). Set targets: the k lowest (kind 0: group top-k; kind 2: archetype of
    target cluster) or highest (kind 1: group bottom-k) mean ranks; `set_allow` items may be
    missing. Partition target `tl` (-1 = free): penalised by the number of model pairs whose
    co-membership differs, plus a margin hinge on average-linkage distances.
    """
    NM, NT = L.NM, L.NT
    c_idx, c_lo, c_hi, c_loinc, c_hiinc, c_scale, c_w = (ob.c_idx, ob.c_lo, ob.c_hi, ob.c_loinc,
                                                         ob.c_hiinc, ob.c_scale, ob.c_w)
    set_kind, set_who, set_terms, set_allow, set_w = (ob.set_kind, ob.set_who, ob.set_terms,
                                                      ob.set_allow, ob.set_w)
    tl, part_w, margin = ob.tl, ob.part_w, ob.margin
    pen = 0.0
    for k in range(c_idx.shape[0]):
        v = stats[c_idx[k]]
        if not math.isfinite(v):
            pen += c_w[k] * 2.0
            continue
        dist = 0.0
        if v < c_lo[k] or (v == c_lo[k] and not c_loinc[k]):
            dist = c_lo[k] - v
            pen += c_w[k] * (1.0 + dist / c_scale[k])
        elif v > c_hi[k] or (v == c_hi[k] and not c_hiinc[k]):
            dist = v - c_hi[k]
            pen += c_w[k] * (1.0 + dist / c_scale[k])
    # sets
    ns = set_terms.shape[1]  # printed set size (5 for a Top-5)
    f_nr = float(L.NR)
    vec = np.zeros(NT)
    inset = np.zeros(NT, dtype=np.bool_)
    viol = np.zeros(ns)
    for k in range(set_kind.shape[0]):
        for t in range(NT):
            vec[t] = 0.0
            inset[t] = False
        cnt = 0
        for j in range(NM):
            use = False
            if set_kind[k] <= 1:
                use = (is_cn[j] and set_who[k] == 0) or ((not is_cn[j]) and set_who[k] == 1)
            else:
                use = tl[j] == set_who[k]
            if use:
                cnt += 1
                for t in range(NT):
                    vec[t] += R[j, t]
        for t in range(NT):
            vec[t] /= f_nr * max(cnt, 1)
        sgn = -1.0 if set_kind[k] == 1 else 1.0  # bottom: highest ranks
        for q in range(ns):
            inset[set_terms[k, q]] = True
        # most extreme value outside the set
        lim = 1e9
        for t in range(NT):
            if not inset[t]:
                if sgn * vec[t] < lim:
                    lim = sgn * vec[t]
        for q in range(ns):
            x = sgn * vec[set_terms[k, q]] - lim + margin
            viol[q] = x if x > 0 else 0.0
        # drop the `allow` largest violations
        srt = np.sort(viol)
        tot = 0.0
        nbad = 0
        for q in range(ns - set_allow[k]):
            tot += srt[q]
        # count hard misses among the kept items
        for q in range(ns):
            if sgn * vec[set_terms[k, q]] >= lim:
                nbad += 1
        miss = nbad - set_allow[k]
        if miss > 0:
            pen += set_w[k] * (1.0 + miss)
        pen += set_w[k] * tot / 3.0
    # partition
    if part_w > 0:
        npair_bad = 0
        for i in range(NM):
            if tl[i] < 0:
                continue
            for q in range(i + 1, NM):
                if tl[q] < 0:
                    continue
                if (tl[i] == tl[q]) != (labels[i] == labels[q]):
                    npair_bad += 1
        pen += part_w * npair_bad
        # hinge: average distance to own target cluster below that to any other, by margin
        for i in range(NM):
            if tl[i] < 0:
                continue
            own = 0.0
            nown = 0
            best_other = 1e9
            for c in range(L.NK):
                acc = 0.0
                n = 0
                for q in range(NM):
                    if q != i and tl[q] == c:
                        acc += 1.0 - pear[i, q]
                        n += 1
                if n == 0:
                    continue
                acc /= n
                if c == tl[i]:
                    own = acc
                    nown = n
                elif acc < best_other:
                    best_other = acc
            if nown > 0:
                x = own - best_other + 0.05
                if x > 0:
                    pen += part_w * 5.0 * x
    # Primary / Secondary must not rest on a tie
    if stats[L.O_DGAP] <= 0:
        pen += 0.5
    return pen


# --- stage 2: annealing of the complete rankings ---------------------------------------------------
class Chain(NamedTuple):
    """The state of a stage-2 chain; a move changes it in place."""

    P: np.ndarray  # P[j, r, t]: rank of term t in replicate r of model j
    inv: np.ndarray  # inv[j, r, k]: term at rank k
    R: np.ndarray  # rank sums over the replicates
    mr: np.ndarray  # midranks of each model's rank sums (Spearman)
    rho: np.ndarray
    tau: np.ndarray
    pear: np.ndarray
    stats: np.ndarray
    labels: np.ndarray


class Saved(NamedTuple):
    """What a move may change besides P, inv, R: model j's rows of the similarity matrices and
    midranks, the statistics and the cluster labels (restored when a move is rejected)."""

    rho: np.ndarray
    tau: np.ndarray
    pear: np.ndarray
    mr: np.ndarray
    stats: np.ndarray
    labels: np.ndarray


@njit(cache=True)
def swap_terms(P, inv, R, j, rr, a, b):
    """Swap the ranks of terms a and b in replicate rr of model j (an involution)."""
    ra = P[j, rr, a]
    rb = P[j, rr, b]
    P[j, rr, a] = rb
    P[j, rr, b] = ra
    inv[j, rr, rb] = a
    inv[j, rr, ra] = b
    R[j, a] += rb - ra
    R[j, b] += ra - rb


@njit(cache=True)
def metropolis(new, cur, T):
    """Metropolis rule: accept a move that does not raise the penalty; accept one that does
    with probability exp(-(new - cur) / T). Draws a uniform only in the second case."""
    return new <= cur or np.random.random() < math.exp(-(new - cur) / T)


@njit(cache=True)
def apply_move(L, st, sv, j, swaps, n):
    """Save what the move can change, apply its n swaps (swaps[k] = replicate, term a, term b,
    all in model j), and recompute model j's similarities."""
    for q in range(L.NM):
        sv.rho[q] = st.rho[j, q]
        sv.tau[q] = st.tau[j, q]
        sv.pear[q] = st.pear[j, q]
    for q in range(L.NT):
        sv.mr[q] = st.mr[j, q]
    sv.stats[:] = st.stats
    sv.labels[:] = st.labels
    for k in range(n):
        swap_terms(st.P, st.inv, st.R, j, swaps[k, 0], swaps[k, 1], swaps[k, 2])
    update_pairs(j, st.R, st.mr, st.rho, st.tau, st.pear)


@njit(cache=True)
def accept_or_undo(L, st, sv, j, swaps, n, new, cur, T):
    """The Metropolis decision on a move made by `apply_move`; a rejected move is undone
    (its swaps in reverse order, then everything `apply_move` saved). Returns whether the move
    was accepted."""
    if metropolis(new, cur, T):
        return True
    for k in range(n - 1, -1, -1):
        swap_terms(st.P, st.inv, st.R, j, swaps[k, 0], swaps[k, 1], swaps[k, 2])
    for q in range(L.NM):
        st.rho[j, q] = sv.rho[q]
        st.rho[q, j] = sv.rho[q]
        st.tau[j, q] = sv.tau[q]
        st.tau[q, j] = sv.tau[q]
        st.pear[j, q] = sv.pear[q]
        st.pear[q, j] = sv.pear[q]
    for q in range(L.NT):
        st.mr[j, q] = sv.mr[q]
    st.stats[:] = sv.stats
    st.labels[:] = sv.labels
    return False


@njit(cache=True)
def _record(trace, it, n_iter, best):
    ntrace = trace.shape[0]
    if ntrace > 0 and it % (n_iter // ntrace if n_iter >= ntrace else 1) == 0:
        k = it // (n_iter // ntrace if n_iter >= ntrace else 1)
        if k < ntrace:
            trace[k] = best


@njit(cache=True)
def _compensated_move(L, P, j, r, swaps):
    """Draw a compensated pair in model j: terms a, b of two dimensions swap in replicate r, and
    terms c, e of the same two dimensions with the opposite rank difference swap in another
    replicate (the dimension scores stay). Fills swaps[0:2]; returns 2, or 0 when none exists."""
    TPD = L.TPD
    r2 = np.random.randint(L.NR - 1)
    if r2 >= r:
        r2 += 1
    a = np.random.randint(L.NT)
    b = np.random.randint(L.NT)
    Da = a // TPD
    Db = b // TPD
    if Da == Db:
        return 0
    diff = P[j, r, b] - P[j, r, a]
    nc = 0
    for c in range(TPD * Da, TPD * Da + TPD):
        for e in range(TPD * Db, TPD * Db + TPD):
            if P[j, r2, e] - P[j, r2, c] == -diff:
                nc += 1
    if nc == 0:
        return 0
    pick = np.random.randint(nc)
    cc = -1
    ce = -1
    for c in range(TPD * Da, TPD * Da + TPD):
        for e in range(TPD * Db, TPD * Db + TPD):
            if P[j, r2, e] - P[j, r2, c] == -diff:
                if pick == 0 and cc < 0:
                    cc = c
                    ce = e
                pick -= 1
    swaps[0, 0] = r
    swaps[0, 1] = a
    swaps[0, 2] = b
    swaps[1, 0] = r2
    swaps[1, 1] = cc
    swaps[1, 2] = ce
    return 2


@njit(cache=True)
def _swap_move(L, P, inv, single_ok, j, r, p_within, swaps):
    """Draw a swap of two terms' ranks in model j: in replicate r only (changes W), or in all
    replicates (moves the profile, keeps W). Fills swaps[0:n]; returns n, or 0 for no move."""
    NT = L.NT
    # a swap in one replicate changes W; a swap in all replicates moves the model's
    # profile and keeps its sum of squared rank sums, hence its W
    allrep = np.random.random() < 0.85 or not single_ok[j]
    a = np.random.randint(NT)
    if np.random.random() < p_within:
        # the other term from a's dimension: keeps every dimension score
        b = L.TPD * (a // L.TPD) + np.random.randint(L.TPD - 1)
        if b >= a:
            b += 1
    elif (not allrep) or np.random.random() < 0.5:
        ra = P[j, r, a]
        step = np.random.randint(1, 4) if allrep else 1
        if np.random.random() < 0.5:
            step = -step
        rb = ra + step
        if rb < 1 or rb > NT:
            return 0
        b = inv[j, r, rb]
    else:
        b = np.random.randint(NT)
        if b == a:
            return 0
    r0 = r if not allrep else 0
    r1 = r + 1 if not allrep else L.NR
    n = 0
    for rr in range(r0, r1):
        swaps[n, 0] = rr
        swaps[n, 1] = a
        swaps[n, 2] = b
        n += 1
    return n


@njit(cache=True)
def anneal(L, ob, P, single_ok, is_cn, wcdf, n_iter, T0, T1, seed, best_P, trace, p_within=0.0,
           p_comp=0.0):
    """Simulated annealing over swaps of two terms' ranks within one replicate ranking.

    With probability p_within the two terms are from the same dimension (the dimension
    scores, hence every dimension-level statistic, stay as they are). With probability
    p_comp a move is a compensated pair: terms a, b of two dimensions swap in one replicate
    and terms c, e of the same two dimensions swap in another, with the opposite rank
    difference, so the dimension scores again stay as they are while the model's term means
    and W change. Every move goes through `apply_move` and `accept_or_undo`.

    P[j, r, t] is the rank (1..NT) of term t in replicate r of model j. Returns the best
    penalty; best_P receives the best state. Deterministic for a given seed.
    """
    NM, NR, NT = L.NM, L.NR, L.NT
    np.random.seed(seed)
    R = np.zeros((NM, NT), dtype=np.int64)
    inv = np.zeros((NM, NR, NT + 1), dtype=np.int64)
    for j in range(NM):
        for r in range(NR):
            for t in range(NT):
                R[j, t] += P[j, r, t]
                inv[j, r, P[j, r, t]] = t
    st = Chain(P, inv, R, np.zeros((NM, NT)), np.zeros((NM, NM)), np.zeros((NM, NM)),
               np.zeros((NM, NM)), np.zeros(L.NSTAT), np.zeros(NM, dtype=np.int64))
    sv = Saved(np.zeros(NM), np.zeros(NM), np.zeros(NM), np.zeros(NT), np.zeros(L.NSTAT),
               np.zeros(NM, dtype=np.int64))
    init_pairs(st.R, st.mr, st.rho, st.tau, st.pear)
    compute_stats(L, st.R, st.rho, st.tau, st.pear, is_cn, wcdf, st.stats, st.labels)
    cur = penalty(L, ob, st.stats, st.labels, st.R, st.pear, is_cn)
    best = cur
    best_P[:] = P
    swaps = np.zeros((max(NR, 2), 3), dtype=np.int64)
    for it in range(n_iter):
        T = T0 * (T1 / T0) ** (it / n_iter)
        j = np.random.randint(NM)
        r = np.random.randint(NR)
        if p_comp > 0.0 and single_ok[j] and np.random.random() < p_comp:
            n = _compensated_move(L, P, j, r, swaps)
            if n == 0:
                continue
            apply_move(L, st, sv, j, swaps, n)
            compute_stats(L, st.R, st.rho, st.tau, st.pear, is_cn, wcdf, st.stats, st.labels)
        else:
            n = _swap_move(L, P, inv, single_ok, j, r, p_within, swaps)
            if n == 0:
                continue
            apply_move(L, st, sv, j, swaps, n)
            # only terms a and b changed: the other terms' tests are kept
            compute_stats(L, st.R, st.rho, st.tau, st.pear, is_cn, wcdf, st.stats, st.labels,
                          swaps[0, 1], swaps[0, 2])
        new = penalty(L, ob, st.stats, st.labels, st.R, st.pear, is_cn)
        if accept_or_undo(L, st, sv, j, swaps, n, new, cur, T):
            cur = new
            if new < best:
                best = new
                best_P[:] = P
        _record(trace, it, n_iter, best)
    return best


@njit(cache=True)
def stats_of(L, P, is_cn, wcdf):
    """All statistics and cluster labels of a full state P (NM x NR x NT ranks)."""
    NM, NR, NT = L.NM, L.NR, L.NT
    R = np.zeros((NM, NT), dtype=np.int64)
    for j in range(NM):
        for r in range(NR):
            for t in range(NT):
                R[j, t] += P[j, r, t]
    mr = np.zeros((NM, NT))
    rho = np.zeros((NM, NM))
    tau = np.zeros((NM, NM))
    pear = np.zeros((NM, NM))
    init_pairs(R, mr, rho, tau, pear)
    stats = np.zeros(L.NSTAT)
    labels = np.zeros(NM, dtype=np.int64)
    compute_stats(L, R, rho, tau, pear, is_cn, wcdf, stats, labels)
    return stats, labels, R, rho, tau, pear


# --- stage 1: the NM x ND matrix of dimension rank sums ------------------------------------------
@njit(cache=True)
def r_from_dims(L, S, R):
    """A rank-sum matrix R whose dimension sums are S (spread evenly over each dimension's
    terms): every dimension-level statistic depends on S only."""
    TPD = L.TPD
    for j in range(L.NM):
        for D in range(L.ND):
            base = S[j, D] // TPD
            rem = S[j, D] - TPD * base
            for q in range(TPD):
                R[j, TPD * D + q] = base + (1 if q < rem else 0)


@njit(cache=True)
def dims_row_ok(L, row):
    """Whether a row of NR-replicate dimension rank sums splits into NR complete rankings as
    `construct_start_dims` splits it (parts of 1/NR, remainders spread over the replicates in
    dimension order): in each replicate the k smallest dimension sums are at least the sum
    of the TPD k smallest ranks (15, 55, 120, 210 for 5 terms per dimension)."""
    NR, ND, TPD = L.NR, L.ND, L.TPD
    T = np.zeros((NR, ND), dtype=np.int64)
    u = 0
    for D in range(ND):
        q = row[D] // NR
        rem = row[D] - NR * q
        for r in range(NR):
            T[r, D] = q
        for x in range(rem):
            T[u % NR, D] += 1
            u += 1
    for r in range(NR):
        srt = np.sort(T[r])
        acc = 0
        for k in range(ND - 1):
            acc += srt[k]
            n = TPD * (k + 1)
            if acc < n * (n + 1) // 2:
                return False
    return True


@njit(cache=True)
def flat_penalty(L, S, wt):
    """A model's W is at least TPD sum_D (S_D / TPD - mean rank sum)^2 / (NR^2 (NT^3 - NT) / 12)
    (its terms' rank sums spread at least as much as their dimensions' means): each row must
    allow its model's printed W (wt, with a margin of .04)."""
    f_tpd = float(L.TPD)
    mrs = L.NR * (L.NT + 1) / 2.0
    wden = L.NR * L.NR * (L.NT ** 3 - L.NT) / 12.0
    pen = 0.0
    for j in range(L.NM):
        acc = 0.0
        for D in range(L.ND):
            acc += (S[j, D] / f_tpd - mrs) ** 2
        x = f_tpd * acc / wden - (wt[j] - 0.04)
        if x > 0:
            pen += 1.0 + x / 0.01
    return pen


@njit(cache=True)
def dims_clusters(L, R, pear, labels):
    """Pearson correlations of all rows of R and their average-linkage clusters (k = L.NK)."""
    for i in range(L.NM):
        pear[i, i] = 1.0
        for q in range(i + 1, L.NM):
            v = pearson_int(R[i], R[q])
            pear[i, q] = v
            pear[q, i] = v
    hclust_average_cut(pear, L.NK, labels)


@njit(cache=True)
def shift_dims(S, j, j2, a, b, k):
    """Move k units of model j's dimension rank sums from b to a (and back in model j2 >= 0,
    which keeps the column sums); k < 0 undoes it."""
    S[j, a] += k
    S[j, b] -= k
    if j2 >= 0:
        S[j2, a] -= k
        S[j2, b] += k


@njit(cache=True)
def anneal_dims(L, ob, S, step3, is_cn, wcdf, n_iter, T0, T1, seed, best_S, wt, p_tie=0.0):
    """Simulated annealing of the dimension rank sums S[j, D] (NR replicates, so d = S / (TPD
    NR)) on the dimension-level targets only (`ob` has no set targets); a move shifts k units
    between two dimensions of one model (rows keep their sum). Models with step3 move by
    multiples of NR (identical replicates). With ob.part_w > 0 the clustering of the models'
    dimension profiles (term rank sums spread evenly within each dimension) is held to the
    target partition ob.tl. The decision is `metropolis`, the undo `shift_dims`.
    Returns the best penalty; best_S receives the best state."""
    NM, NR, ND = L.NM, L.NR, L.ND
    kmax = L.TPD * NR  # largest shift: one score unit (1 / (TPD NR)) x TPD NR
    np.random.seed(seed)
    R = np.zeros((NM, L.NT), dtype=np.int64)
    rho = np.zeros((NM, NM))
    tau = np.zeros((NM, NM))
    pear = np.zeros((NM, NM))
    stats = np.zeros(L.NSTAT)
    labels = np.zeros(NM, dtype=np.int64)
    r_from_dims(L, S, R)
    compute_stats(L, R, rho, tau, pear, is_cn, wcdf, stats, labels, 0, 1, True)
    if ob.part_w > 0:
        dims_clusters(L, R, pear, labels)
    cur = penalty(L, ob, stats, labels, R, pear, is_cn)
    cur += flat_penalty(L, S, wt)
    best = cur
    best_S[:] = S
    for it in range(n_iter):
        T = T0 * (T1 / T0) ** (it / n_iter)
        j = np.random.randint(NM)
        a = np.random.randint(ND)
        b = np.random.randint(ND - 1)
        if b >= a:
            b += 1
        k = np.random.randint(1, kmax + 1)
        if step3[j]:
            k = NR * ((k + NR - 1) // NR)
        if p_tie > 0.0 and np.random.random() < p_tie:
            # copy another model's score in dimension a (ties shape the Mann-Whitney p)
            j2 = np.random.randint(NM)
            k = S[j2, a] - S[j, a]
            if k == 0 or abs(k) > 2 * kmax or (step3[j] and k % NR != 0):
                continue
        # half the moves are compensated by another model (the column sums, hence the
        # dimension means, stay as they are)
        j2 = -1
        if np.random.random() < 0.5:
            j2 = np.random.randint(NM - 1)
            if j2 >= j:
                j2 += 1
            if step3[j2] and k % NR != 0:
                continue
        shift_dims(S, j, j2, a, b, k)
        if not dims_row_ok(L, S[j]) or (j2 >= 0 and not dims_row_ok(L, S[j2])):
            shift_dims(S, j, j2, a, b, -k)
            continue
        r_from_dims(L, S, R)
        compute_stats(L, R, rho, tau, pear, is_cn, wcdf, stats, labels, 0, 1, True)
        if ob.part_w > 0:
            dims_clusters(L, R, pear, labels)
        new = penalty(L, ob, stats, labels, R, pear, is_cn)
        new += flat_penalty(L, S, wt)
        if metropolis(new, cur, T):
            cur = new
            if new < best:
                best = new
                best_S[:] = S
        else:
            shift_dims(S, j, j2, a, b, -k)
    return best
