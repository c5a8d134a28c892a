"""Test statistics recomputed from reported summaries (level 1 arithmetic), no I/O.

Each function mirrors an R computation so that a result can be compared with what the paper's
software would print: stats::pf / pt / pchisq for p-values, stats::wilcox.test for the
Mann-Whitney U test (exact, or the normal approximation with continuity and tie correction),
stats::t.test(var.equal = FALSE) for Welch's t, and the Friedman chi-square of Kendall's W.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np


class _LazyScipyStats:
    """``scipy.stats``, imported on first use: putting the paper's values beside ours
    (level 3, what every run on the bundled data does) needs none of it, and importing it
    costs most of a CPU second."""

    def __getattr__(self, name):
        from scipy import stats as scipy_stats

        return getattr(scipy_stats, name)


stats = _LazyScipyStats()

from pyvalues.formulas import hedges_j  # one formula for twins, crosscheck and the reconstruction

__all__ = [
    "p_from_f", "pes_from_f", "p_from_t", "p_from_chisq", "friedman_from_w",
    "mwu_null_counts", "mwu_p_exact", "mwu_p_normal", "r_rb_from_u", "implied_tie_sum",
    "welch", "hedges_j", "hedges_g", "max_tie_sum",
]


def p_from_f(F, df1, df2):
    return stats.f.sf(F, df1, df2)


def pes_from_f(F, df1, df2):
    """Partial eta squared from F: F df1 / (F df1 + df2) (Cohen 1973; Lakens 2013, eq. 13)."""
    F = np.asarray(F, dtype=float)
    return F * df1 / (F * df1 + df2)


def p_from_t(t, df):
    """Two-sided p of a t statistic."""
    return 2 * stats.t.sf(np.abs(t), df)


def p_from_chisq(x, df):
    return stats.chi2.sf(x, df)


def friedman_from_w(W, m, n):
    """Friedman chi-square, df and p from Kendall's W with m rankings (raters) of n items:
    chi2 = m (n - 1) W on n - 1 df (Kendall & Babington Smith 1939; no tie correction)."""
    chisq = m * (n - 1) * np.asarray(W, dtype=float)
    return chisq, n - 1, stats.chi2.sf(chisq, n - 1)


@lru_cache(maxsize=64)
def mwu_null_counts(n1: int, n2: int) -> tuple[int, ...]:
    """Number of arrangements giving each U = 0..n1 n2 under H0 without ties (Mann & Whitney 1947
    recursion c(u; m, n) = c(u - n; m - 1, n) + c(u; m, n - 1)); R's dwilcox * choose(n1 + n2, n1)."""
    # table[m][n] is the count vector for sizes (m, n)
    prev_row = [np.array([1], dtype=object) for _ in range(n2 + 1)]  # m = 0
    for m in range(1, n1 + 1):
        row = [np.array([1], dtype=object)]  # n = 0
        for n in range(1, n2 + 1):
            size = m * n + 1
            c = np.zeros(size, dtype=object)
            a = prev_row[n]  # (m - 1, n), shifted by n
            c[n:n + len(a)] += a
            b = row[n - 1]  # (m, n - 1)
            c[: len(b)] += b
            row.append(c)
        prev_row = row
    return tuple(int(x) for x in prev_row[n2])


def mwu_p_exact(U: float, n1: int, n2: int) -> float:
    """Two-sided exact p of wilcox.test(x, y) with W = U (x of size n1): R's
    min(1, 2 * P(W >= U)) if U > n1 n2 / 2 else min(1, 2 * P(W <= U)). Integer U only."""
    if U != int(U):
        raise ValueError("the exact distribution is defined for integer U only (no ties)")
    U = int(U)
    counts = mwu_null_counts(int(n1), int(n2))
    total = sum(counts)
    if U > n1 * n2 / 2:
        tail = sum(counts[U:])
    else:
        tail = sum(counts[: U + 1])
    return min(1.0, 2 * tail / total)


def mwu_p_normal(U, n1, n2, correct: bool = True, tie_sum: float = 0.0):
    """Two-sided p of the normal approximation as in R's wilcox.test: z = (U - n1 n2/2 -
    sign * 0.5) / sigma, sigma^2 = n1 n2 / 12 * ((N + 1) - tie_sum / (N (N - 1))),
    tie_sum = sum over tie groups of t^3 - t."""
    U = np.asarray(U, dtype=float)
    N = n1 + n2
    z = U - n1 * n2 / 2
    sigma = math.sqrt(n1 * n2 / 12 * ((N + 1) - tie_sum / (N * (N - 1))))
    corr = np.sign(z) * 0.5 if correct else 0.0
    z = (z - corr) / sigma
    return 2 * np.minimum(stats.norm.cdf(z), stats.norm.sf(z))


def r_rb_from_u(U, n1, n2):
    """Rank-biserial correlation r = 1 - 2U / (n1 n2) (Wendt 1972), U of the first sample."""
    return 1 - 2 * np.asarray(U, dtype=float) / (n1 * n2)


def implied_tie_sum(U: float, p: float, n1: int, n2: int, correct: bool = True) -> float:
    """The sum of t^3 - t over tie groups that makes the normal approximation give p for U
    (NaN when no tie pattern can: p above the untied p)."""
    N = n1 + n2
    dev = abs(U - n1 * n2 / 2) - (0.5 if correct else 0.0)
    z = stats.norm.isf(p / 2)
    if z <= 0 or dev <= 0:
        return float("nan")
    sigma2 = (dev / z) ** 2
    return N * (N - 1) * ((N + 1) - 12 * sigma2 / (n1 * n2))


def welch(m1, s1, n1, m2, s2, n2):
    """Welch's t (x - y), its Welch-Satterthwaite df and two-sided p (R's t.test default)."""
    v1 = np.asarray(s1, dtype=float) ** 2 / n1
    v2 = np.asarray(s2, dtype=float) ** 2 / n2
    se = np.sqrt(v1 + v2)
    t = (np.asarray(m1, dtype=float) - m2) / se
    df = (v1 + v2) ** 2 / (v1 ** 2 / (n1 - 1) + v2 ** 2 / (n2 - 1))
    return t, df, p_from_t(t, df)


def hedges_g(m1, s1, n1, m2, s2, n2, exact: bool = True):
    """Hedges' g of x - y with the pooled SD (effectsize::hedges_g, pooled_sd = TRUE)."""
    df = n1 + n2 - 2
    sp = np.sqrt(((n1 - 1) * np.asarray(s1, dtype=float) ** 2 + (n2 - 1) * np.asarray(s2, dtype=float) ** 2) / df)
    return (np.asarray(m1, dtype=float) - m2) / sp * hedges_j(df, exact)


def max_tie_sum(n1: int, n2: int, U: float, max_groups: int | None = None) -> float:
    """The largest sum over tie groups of t^3 - t that two samples of sizes n1, n2 can have
    when the Mann-Whitney U of the first sample is U (NaN when U is impossible).

    The pooled sorted sample is a sequence of tie blocks, block k holding a_k values of the first
    sample and b_k of the second; U = sum_k a_k (b_1 + ... + b_{k-1} + b_k / 2). A dynamic
    programme over (a used, b used, 2U so far) maximises sum (a_k + b_k)^3 - (a_k + b_k) exactly.
    `max_groups` bounds the number of blocks (the number of distinct values the design allows)."""
    n1, n2 = int(n1), int(n2)
    target = int(round(2 * U))
    if abs(2 * U - target) > 1e-9 or not 0 <= target <= 2 * n1 * n2:
        return float("nan")
    size = 2 * n1 * n2 + 1
    if max_groups is None or max_groups >= n1 + n2:
        # blocks only add values, so states in order of a + b can be completed in one pass
        best = np.full((n1 + 1, n2 + 1, size), -np.inf)
        best[0, 0, 0] = 0.0
        for used in range(n1 + n2):
            for au in range(max(0, used - n2), min(n1, used) + 1):
                _extend(best, best, au, used - au, n1, n2, size)
        answer = best[n1, n2, target]
        return float(answer) if np.isfinite(answer) else float("nan")
    # at most max_groups blocks: one layer per block
    best = np.full((n1 + 1, n2 + 1, size), -np.inf)
    best[0, 0, 0] = 0.0
    answer = -np.inf
    for _ in range(int(max_groups)):
        new = np.full_like(best, -np.inf)
        for au in range(n1 + 1):
            for bu in range(n2 + 1):
                _extend(best, new, au, bu, n1, n2, size)
        best = new
        answer = max(answer, best[n1, n2, target])
    return float(answer) if np.isfinite(answer) else float("nan")


def _extend(src, dst, au, bu, n1, n2, size):
    row = src[au, bu]
    if not np.isfinite(row).any():
        return
    for a in range(n1 - au + 1):
        for b in range(n2 - bu + 1):
            if a + b == 0:
                continue
            shift = a * (2 * bu + b)
            t = a + b
            tgt = dst[au + a, bu + b, shift:]
            np.maximum(tgt, row[: size - shift] + (t ** 3 - t), out=tgt)
