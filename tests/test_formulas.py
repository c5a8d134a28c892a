"""pyvalues/formulas.py: the formulas the Python side writes once (Hedges' J, Benjamini-Hochberg,
the skip rules' words), against R and hand computations; and that the twins, the crosscheck
and the reconstruction's kernels use these functions, not copies."""
from __future__ import annotations

import math

import numpy as np
import pytest

from pyvalues import formulas
from pyvalues.formulas import SKIP, bh_adjust, hedges_j, skip_reason


def test_hedges_j_by_hand():
    # df = 18 (11 vs 9 models): Gamma(9) / (sqrt(9) Gamma(8.5)), with math.gamma
    assert hedges_j(18) == pytest.approx(math.gamma(9) / (3 * math.gamma(8.5)), rel=1e-14)
    assert hedges_j(18, exact=False) == 1 - 3 / 71


def _bh(p):
    p = np.asarray(p, float)
    q = np.full_like(p, np.nan)
    bh_adjust(p, q)
    return q


def test_bh_by_hand_with_ties_and_na():
    # n = 4 non-missing: q_(i) = min_{j >= i} p_(j) 4 / j; the NA is left out of the family
    p = [0.01, np.nan, 0.04, 0.03, 0.04]
    expected = [min(0.01 * 4 / 1, 0.03 * 4 / 2, 0.04 * 4 / 4), np.nan, 0.04, 0.04, 0.04]
    np.testing.assert_allclose(_bh(p), expected, rtol=1e-15)
    np.testing.assert_array_equal(_bh([0.9, 0.8]), [0.9, 0.9])


def test_bh_and_hedges_g_agree_with_r():
    rbridge = pytest.importorskip("pyvalues.rbridge")
    try:
        rbridge.session().start()
    except Exception as e:  # noqa: BLE001
        pytest.skip(f"R not available: {e}")
    rng = np.random.default_rng(15)
    p = rng.random(25)
    p[[3, 11]] = np.nan
    p[7] = p[8]  # a tie
    r_q = np.asarray(rbridge.call("p.adjust", list(p), method="BH"), float)
    np.testing.assert_allclose(_bh(p), r_q, rtol=1e-14, equal_nan=True)
    # Hedges' g of two samples with effectsize::hedges_g (pooled SD), J from formulas
    x, y = rng.normal(0, 1, 11), rng.normal(0.5, 2, 9)
    df = len(x) + len(y) - 2
    sp = math.sqrt(((len(x) - 1) * x.var(ddof=1) + (len(y) - 1) * y.var(ddof=1)) / df)
    r_g = rbridge.session().call_code("function(x, y) effectsize::hedges_g(x, y, pooled_sd = TRUE)$Hedges_g",
                                      list(x), list(y))
    assert (x.mean() - y.mean()) / sp * hedges_j(df) == pytest.approx(float(np.asarray(r_g).ravel()[0]), rel=1e-12)


def test_skip_words_are_the_same_on_the_r_side():
    rbridge = pytest.importorskip("pyvalues.rbridge")
    try:
        s = rbridge.session()
        s.start()
    except Exception as e:  # noqa: BLE001
        pytest.skip(f"R not available: {e}")
    r_skip = s._env.find(".pv_skip")
    assert set(r_skip.names) == set(SKIP)
    cases = {"too_few_models": (dict(what="clustering", n=3, n_models=2), ("clustering", 3, 2)),
             "not_computable": ({}, ()),
             "one_country": (dict(listing="CN (4 models)"), ("CN (4 models)",)),
             "small_group": (dict(g1="CN", n1=1, g2="US", n2=5), ("CN", 1, "US", 5))}
    for rule, (fields, args) in cases.items():
        fmt = r_skip.rx2(rule)[0]
        r_text = rbridge.call("sprintf", fmt, *args) if args else fmt
        r_text = r_text if isinstance(r_text, str) else str(np.asarray(r_text).ravel()[0])
        assert skip_reason(rule, **fields) == r_text, rule


def test_the_users_call_these_functions_not_copies():
    from pyvalues.analysis import twins
    from pyvalues.crosscheck import stats

    assert stats.hedges_j is formulas.hedges_j
    assert twins.hedges_j is formulas.hedges_j and twins.bh_adjust is formulas.bh_adjust
    kernels = pytest.importorskip("pyvalues_reconstruct.kernels", reason="the 'reconstruct' extra (numba)")
    assert kernels.hedges_j.py_func is formulas.hedges_j and kernels.bh_adjust.py_func is formulas.bh_adjust
    # compiled by numba they give the same numbers (J to the last bits numba's lgamma allows)
    p = np.array([0.2, 0.01, 0.03, 0.5, 0.03])
    q = np.zeros_like(p)
    kernels.bh_adjust(p, q)
    np.testing.assert_array_equal(q, _bh(p))
    assert kernels.hedges_j(18.0) == pytest.approx(hedges_j(18), rel=1e-15)
