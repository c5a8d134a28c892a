"""Formulas the Python side writes once: Hedges' small-sample correction, Benjamini-Hochberg,
and the messages of the skip rules.

The Python twins (:mod:`pyvalues.analysis.twins`), the crosscheck (:mod:`pyvalues.crosscheck.stats`)
and the reconstruction's numba kernels (``pyvalues_reconstruct.kernels``, which compile these
same functions with ``numba.njit``) import them; the R side has its own single copy
(``.pv_hedges_g`` in ``R/nonparametric.R``, ``stats::p.adjust``, ``R/analysis.R``).

Plain math on scalars and numpy arrays only (what numba compiles): no pandas, no scipy call
that numba cannot see (``gammaln`` is mapped to numba's ``math.lgamma`` where it compiles).
"""
from __future__ import annotations

import numpy as np

__all__ = ["gammaln", "hedges_j", "bh_adjust", "SKIP", "skip_reason"]


def gammaln(x):
    """``scipy.special.gammaln``, imported on first use (importing pyvalues loads no scipy;
    the reconstruction's numba kernels compile this name as ``math.lgamma``)."""
    from scipy.special import gammaln as _gammaln

    return _gammaln(x)


def hedges_j(df, exact=True):
    """Hedges' (1981) small-sample correction of Cohen's d for `df` degrees of freedom.

    Exact: J = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2)), as ``effectsize::hedges_g`` (>= 0.8)
    computes it (R: ``.pv_hedges_g``); ``exact=False``: the approximation 1 - 3 / (4 df - 1)."""
    if not exact:
        return 1.0 - 3.0 / (4.0 * df - 1.0)
    return np.exp(gammaln(df / 2) - np.log(np.sqrt(df / 2)) - gammaln((df - 1) / 2))


def bh_adjust(p, out):
    """Benjamini-Hochberg q of the p-values `p` into `out` (``p.adjust(p, method = "BH")``):
    q_(i) = min over j >= i of p_(j) n / j, at most 1. NaN p are left out of the family (n
    counts the others) and get NaN q, as R's p.adjust drops NA."""
    n = 0
    for i in range(p.shape[0]):
        if not np.isnan(p[i]):
            n += 1
    order = np.argsort(-p, kind="mergesort")  # decreasing p, NaN last
    cummin = 1.0
    rank = n
    for r in range(p.shape[0]):
        i = order[r]
        if np.isnan(p[i]):
            out[i] = np.nan
            continue
        v = p[i] / (rank / n)  # statsmodels' fdr_bh arithmetic: its q to the last bit
        if v < cummin:
            cummin = v
        out[i] = min(cummin, 1.0)
        rank -= 1


# The skip rules' words: one analysis that cannot be computed on this data is a row of
# `skipped` (analysis, reason, message) and the others still run. R writes the same
# sentences in R/analysis.R (pv_analyse's family boundary) and .pv_choose_groups.
SKIP = {
    "too_few_models": "{what}: at least {n} models are needed; the table has {n_models}",
    "not_computable": "could not be computed on this data (see message)",
    "one_country": "group comparisons need two countries; the table has {listing}",
    "small_group": "group comparisons need at least two models in each group; {g1} has {n1}, {g2} has {n2}",
}


def skip_reason(rule: str, **fields) -> str:
    """The `reason` of a ``skipped`` row for `rule` (a key of :data:`SKIP`)."""
    return SKIP[rule].format(**fields)
