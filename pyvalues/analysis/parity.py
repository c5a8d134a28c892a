"""The ``parity`` table: each inferential statistic from R beside its Python twin.

One row per (table, row, statistic) with the R value, the Python value
(:func:`pyvalues.analysis.twins.python_twins`), their absolute and relative difference,
whether both sides implement the same method, and whether they agree: ``agrees`` is
``rel_diff <= 1e-8`` (two missing values, or two equal infinities, also agree). Where
the two sides implement different conventions ``same_method`` is False and ``note``
says why; such rows are reported, not held to the tolerance.

``rel_diff = |r - py| / max(|r|, |py|)`` (0 when both are 0). A statistic that is 0 in
exact arithmetic (a t of two equal group means, a delta of 0) comes out as exactly 0 on
one side and about 1e-15 on the other, a relative difference of 1; so for statistics
other than p- and q-values an absolute difference below ``ABS_TOL = 1e-12`` also counts
as agreement. p- and q-values are held to the relative tolerance alone.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema as _schema
from .twins import PINGOUIN_MIXED_NOTE

__all__ = ["parity_table", "is_p_value", "REL_TOL", "ABS_TOL", "PARITY_COLUMNS"]

REL_TOL = 1e-8
ABS_TOL = 1e-12
PARITY_COLUMNS = ["table", "row", "statistic", "r_value", "python_value", "abs_diff", "rel_diff",
                  "same_method", "agrees", "note"]

RSTATIX_ROUNDING = ("rstatix::pairwise_t_test rounds p and p.adj to 3 significant digits; "
                    "Python's p is unrounded")
BOOTSTRAP_RNG = ("percentile bootstrap: R's seeded Mersenne-Twister sample.int cannot be reproduced with "
                 "numpy's generator; compare ci_low_t/ci_high_t (t interval) instead")
SCIPY_BM_DEGENERATE = ("samples do not overlap: scipy.stats.brunnermunzel gives p = NaN (df 0/0), "
                       "brunnermunzel 2.0 (R) gives statistic +-Inf, df NaN, p = 0")
BH_WITH_DEGENERATE = ("BH q over terms including non-overlapping ones, whose p is 0 in R and NaN in scipy "
                      "(dropped from the Python BH set), so q differs")
CLUSTER_LABELS = ("cluster labels compared as partitions: both sides relabelled 1, 2, ... by first "
                  "appearance in model-name order")

# (table, key columns, statistics); key columns identify the row on both sides. Declared
# with the tables in pyvalues.schema (Table.parity_keys, Column.parity).
_SPECS = _schema.parity_specs()


def _num(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return np.nan


def is_p_value(statistic: str) -> bool:
    """p- and q-value columns (p, p_gg, p_adj, p_mwu, q, q_mwu, ...): no absolute floor."""
    return statistic in ("p", "q") or statistic.startswith(("p_", "q_"))


def _compare(r: float, py: float, statistic: str = "p") -> tuple[float, float, bool]:
    if np.isnan(r) and np.isnan(py):
        return np.nan, np.nan, True
    if np.isinf(r) or np.isinf(py):
        same = r == py
        return (0.0 if same else np.inf), (0.0 if same else np.inf), bool(same)
    if np.isnan(r) or np.isnan(py):
        return np.nan, np.nan, False
    abs_diff = abs(r - py)
    scale = max(abs(r), abs(py))
    rel_diff = abs_diff / scale if scale > 0 else 0.0
    agrees = rel_diff <= REL_TOL or (not is_p_value(statistic) and abs_diff <= ABS_TOL)
    return abs_diff, rel_diff, bool(agrees)


def _keyed(table: pd.DataFrame, keys: list[str], name: str) -> pd.DataFrame:
    t = table.copy()
    if name == "correlation_pairs":  # a pair is unordered: the two sides may order models differently
        a, b = t["model1"].astype(str), t["model2"].astype(str)
        t["model1"], t["model2"] = np.where(a <= b, a, b), np.where(a <= b, b, a)
    if name == "cluster_edges":  # merge heights in increasing order (the merge order of both)
        t = t.sort_values("height", kind="stable").reset_index(drop=True)
        t["edge"] = np.arange(1, len(t) + 1)
    if name == "clusters":
        t = t.sort_values("model", kind="stable")
        first = list(dict.fromkeys(t["cluster"]))
        t["cluster"] = t["cluster"].map({c: i + 1 for i, c in enumerate(first)})
    t["_row"] = t[keys].astype(str).agg(" / ".join, axis=1)
    return t.drop_duplicates("_row").set_index("_row")


def _note(name: str, stat: str, row: str, r_row, py_row, r_tab, py_tab) -> tuple[bool, str]:
    """Whether both sides implement the same method here, and the note saying why not."""
    if name == "dispersion_posthoc" and stat in ("p", "p_adj"):
        r = _num(r_row[stat])
        py = _num(py_row[stat])
        if not np.isnan(py) and r != py and _signif(py, 3) == r:
            return False, RSTATIX_ROUNDING
    if name == "correlations" and stat in ("ci_low", "ci_high"):
        return False, BOOTSTRAP_RNG
    if name == "term_tests":
        est = _num(py_row.get("estimate", np.nan))
        if stat in ("statistic", "df", "p") and est in (0.0, 1.0):
            if stat == "p":
                return False, SCIPY_BM_DEGENERATE
            return True, SCIPY_BM_DEGENERATE
        if stat == "q" and "estimate" in py_tab and py_tab["estimate"].isin([0.0, 1.0]).any():
            return False, BH_WITH_DEGENERATE
    if name == "dimension_tests" and stat in ("U", "p_mwu", "q_mwu", "r_rb"):
        rm, pm = str(r_row.get("method", "")), str(py_row.get("method", ""))
        if rm and pm and rm != pm:
            return False, f"different Mann-Whitney variants: R {rm!r}, Python {pm!r}"
    if name == "clusters":
        return True, CLUSTER_LABELS
    if name == "cluster_edges":
        return True, "merge heights in increasing order; pvclust's AU/BP have no Python twin"
    if name == "mixed_anova":
        note = str(r_row.get("note", "") or "")
        if "not estimable" in note:
            return True, note
        return True, "afex Type III (R) vs Type III twin on orthonormal within contrasts (Python)"
    return True, ""


def _signif(x: float, digits: int) -> float:
    if x == 0 or not np.isfinite(x):
        return x
    return float(f"{x:.{digits}g}")


def _rows(name, keys, statistics, r_tab, py_tab, py_name=None, forced_note=None):
    out = []
    r = _keyed(r_tab, keys, name)
    py = _keyed(py_tab, keys, name)
    for row in list(dict.fromkeys(list(r.index) + list(py.index))):
        in_r, in_py = row in r.index, row in py.index
        for stat in statistics:
            if (in_r and stat not in r.columns) or (in_py and stat not in py.columns):
                continue
            rv = _num(r.at[row, stat]) if in_r else np.nan
            pv = _num(py.at[row, stat]) if in_py else np.nan
            if not (in_r and in_py):
                out.append(dict(table=py_name or name, row=row, statistic=stat, r_value=rv, python_value=pv,
                                abs_diff=np.nan, rel_diff=np.nan, same_method=True, agrees=False,
                                note=f"row missing on the {'Python' if in_r else 'R'} side"))
                continue
            abs_diff, rel_diff, agrees = _compare(rv, pv, stat)
            if forced_note is not None:
                same, note = False, forced_note
            else:
                same, note = _note(name, stat, row, r.loc[row], py.loc[row], r, py)
            out.append(dict(table=py_name or name, row=row, statistic=stat, r_value=rv, python_value=pv,
                            abs_diff=abs_diff, rel_diff=rel_diff, same_method=same, agrees=agrees, note=note))
    return out


def parity_table(r_tables: dict[str, pd.DataFrame], py_tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Line up R's results (``pv_analyse``) with their Python twins, one row per statistic.

    Tables present on one side only are listed with a note; ``mixed_anova_pingouin``
    (Python) is compared with R's ``mixed_anova`` as a different method.
    """
    rows = []
    for name, keys, statistics in _SPECS:
        r_tab, py_tab = r_tables.get(name), py_tables.get(name)
        if r_tab is None and py_tab is None:
            continue
        if r_tab is None or py_tab is None:
            side = "R" if r_tab is None else "Python"
            rows.append(dict(table=name, row="", statistic="", r_value=np.nan, python_value=np.nan,
                             abs_diff=np.nan, rel_diff=np.nan, same_method=True, agrees=False,
                             note=f"table missing on the {side} side"))
            continue
        rows += _rows(name, keys, statistics, r_tab, py_tab)
    if r_tables.get("mixed_anova") is not None and py_tables.get("mixed_anova_pingouin") is not None:
        rows += _rows("mixed_anova", ["effect"], ["F", "p", "pes", "gg_eps", "p_gg"], r_tables["mixed_anova"],
                      py_tables["mixed_anova_pingouin"], py_name="mixed_anova (pingouin)",
                      forced_note=PINGOUIN_MIXED_NOTE)
    out = pd.DataFrame(rows, columns=PARITY_COLUMNS)
    out["same_method"] = out["same_method"].astype(bool)
    out["agrees"] = out["agrees"].astype(bool)
    return out
