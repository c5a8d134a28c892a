"""The ``parity`` table: each inferential statistic from R beside its Python twin.

One row per (table, row, statistic) with the R value, the Python value
(:func:`pyvalues.analysis.twins.python_twins`), their absolute and relative difference,
whether both sides implement the same method, whether the row is ``comparable`` and, for
comparable rows only, whether they agree: ``agrees`` is ``rel_diff <= 1e-8`` (two missing
values, or two equal infinities, also agree). A row is not comparable when the two sides
implement different conventions or random-number generators (``same_method`` False:
pingouin's mixed ANOVA, bootstrap intervals, a Monte Carlo permutation p, rstatix's
rounding); ``note`` says why, ``agrees`` is NA and the row is left out of every agreement
count. A comparable row is held to the tolerance and can fail; a row present on one side
only is comparable and fails.

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
from ..results.access import parity_counts  # noqa: F401  (re-exported: read from a results table)

__all__ = ["parity_table", "parity_counts", "is_p_value", "submit_twins", "REL_TOL", "ABS_TOL", "PARITY_COLUMNS",
           "PINGOUIN_MIXED_NOTE"]

# This module imports numpy and pandas only: the Python twins (scipy, statsmodels) are
# imported where they are computed, which in the CLI is a worker process (submit_twins).

PINGOUIN_MIXED_NOTE = (
    "pingouin.mixed_anova: sums of squares for the within-subject main effect are computed "
    "around the weighted grand mean (Type II-like), not afex's Type III with sum contrasts; "
    "with unequal group sizes its dimension F differs from afex's (the interaction and the "
    "country effect of a balanced design agree)"
)

REL_TOL = 1e-8
ABS_TOL = 1e-12
PARITY_COLUMNS = ["table", "row", "statistic", "r_value", "python_value", "abs_diff", "rel_diff",
                  "same_method", "comparable", "agrees", "note"]

RSTATIX_ROUNDING = ("rstatix::pairwise_t_test rounds p and p.adj to 3 significant digits; "
                    "Python's p is unrounded")
BOOTSTRAP_RNG = ("percentile bootstrap: R's seeded random streams cannot be reproduced with "
                 "numpy's generator; not compared (ci_low_t/ci_high_t and the point estimates are)")
MONTE_CARLO_PERM = ("Monte Carlo permutation p: R's seeded draws cannot be reproduced with numpy's generator; "
                    "not compared (an exact p is)")
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
    # " / ".join of each row's key values as text (built column-wise: a row-wise agg is slow)
    parts = [t[k].astype(str).tolist() for k in keys]
    t["_row"] = [" / ".join(values) for values in zip(*parts)]
    return t.drop_duplicates("_row").set_index("_row")


def _records(table: pd.DataFrame) -> dict:
    """Each row of a keyed table (unique index) as a dict of its values, by row key: read once,
    instead of a pandas row lookup per statistic."""
    columns = list(table.columns)
    return {row: dict(zip(columns, values))
            for row, values in zip(table.index, table.itertuples(index=False, name=None))}


def _note(name: str, stat: str, row: str, r_row, py_row, r_tab, py_tab) -> tuple[bool, str]:
    """Whether both sides implement the same method here, and the note saying why not."""
    if name == "dispersion_posthoc" and stat in ("p", "p_adj"):
        r = _num(r_row[stat])
        py = _num(py_row[stat])
        if not np.isnan(py) and r != py and _signif(py, 3) == r:
            return False, RSTATIX_ROUNDING
    if name in ("correlations", "cohesion_test") and stat.startswith(("ci_low", "ci_high")) \
            and not stat.endswith("_t"):
        return False, BOOTSTRAP_RNG
    if name == "cohesion_test" and stat == "p_perm" and np.isnan(_num(py_row.get("p_perm", np.nan))):
        return False, MONTE_CARLO_PERM
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
    r_rows, py_rows = _records(r), _records(py)
    for row in list(dict.fromkeys(list(r.index) + list(py.index))):
        in_r, in_py = row in r_rows, row in py_rows
        for stat in statistics:
            if (in_r and stat not in r.columns) or (in_py and stat not in py.columns):
                continue
            rv = _num(r_rows[row][stat]) if in_r else np.nan
            pv = _num(py_rows[row][stat]) if in_py else np.nan
            if not (in_r and in_py):
                out.append(dict(table=py_name or name, row=row, statistic=stat, r_value=rv, python_value=pv,
                                abs_diff=np.nan, rel_diff=np.nan, same_method=True, comparable=True,
                                agrees=False, note=f"row missing on the {'Python' if in_r else 'R'} side"))
                continue
            abs_diff, rel_diff, agrees = _compare(rv, pv, stat)
            if forced_note is not None:
                same, note = False, forced_note
            else:
                same, note = _note(name, stat, row, r_rows[row], py_rows[row], r, py)
            out.append(dict(table=py_name or name, row=row, statistic=stat, r_value=rv, python_value=pv,
                            abs_diff=abs_diff, rel_diff=rel_diff, same_method=same, comparable=same,
                            agrees=agrees if same else pd.NA, note=note))
    return out


def _skip_reason(tables: dict, name: str) -> str | None:
    sk = tables.get("skipped")
    if sk is None or not len(sk):
        return None
    hit = sk[sk["analysis"].astype(str).str.split(", ").apply(lambda names: name in names)]
    return None if hit.empty else str(hit["reason"].iloc[0])


def _tied_cut(edges, clusters) -> str | None:
    """A note when the k-cluster cut falls between merges of equal height: the partition is
    then not unique (identical models merge at 0), and R and scipy may pick different ones."""
    if edges is None or clusters is None or not len(edges) or not len(clusters):
        return None
    k = int(pd.Series(clusters["cluster"]).nunique())
    h = np.sort(pd.to_numeric(edges["height"], errors="coerce").to_numpy(float))
    n_merges = len(h)
    i = n_merges - k  # merges done below the cut: h[:i]; the first merge not done: h[i]
    if 0 < i < n_merges and abs(h[i] - h[i - 1]) <= 1e-12 * max(1.0, abs(h[i])):
        return (f"merge heights tied at the cut into {k} clusters ({h[i]:.3g}): the partition is not unique, "
                "R and scipy may break the tie differently; not compared (merge heights are)")
    return None


def _python_twins(rank_table, groups, k):
    from .twins import python_twins

    return python_twins(rank_table, groups=groups, k=k)


class _Deferred:
    """A result computed when it is first asked for (what :func:`submit_twins` returns
    without workers): the twins then run where they always did, after R."""

    def __init__(self, fn, *args):
        self._fn, self._args, self._done = fn, args, False

    def result(self, timeout=None):
        if not self._done:
            self._value, self._done = self._fn(*self._args), True
        return self._value


def submit_twins(rank_table: pd.DataFrame, *, groups=None, k: int = 4, workers=None):
    """Start ``python_twins(rank_table, groups=groups, k=k)``; returns something with
    ``.result()`` (a future).

    The twins need only the rank table, not R's results, so on `workers` (anything with
    ``submit(fn, *args) -> Future``: the CLI's :class:`pyvalues.figure_workers.FigureWorkers`)
    they are computed in another process while R computes, and importing scipy and
    statsmodels costs this process nothing. Without workers they are computed here, when
    the result is asked for. Same function, same arguments: the same numbers either way; an
    error is raised by ``.result()``, as the call would raise it."""
    if workers is None:
        return _Deferred(_python_twins, rank_table, groups, k)
    return workers.submit(_python_twins, rank_table, groups, k)


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
            why = _skip_reason(r_tables if r_tab is None else py_tables, name)
            # skipped on one side with a stated reason: nothing to compare; missing without
            # one: a failure
            rows.append(dict(table=name, row="", statistic="", r_value=np.nan, python_value=np.nan,
                             abs_diff=np.nan, rel_diff=np.nan, same_method=why is None,
                             comparable=why is None, agrees=False if why is None else pd.NA,
                             note=f"table missing on the {side} side" + (f" (skipped there: {why})" if why else "")))
            continue
        rows += _rows(name, keys, statistics, r_tab, py_tab)
    tied = _tied_cut(r_tables.get("cluster_edges"), r_tables.get("clusters"))
    if tied:
        for row in rows:
            if row["table"] == "clusters":
                row.update(same_method=False, comparable=False, agrees=pd.NA, note=tied)
    if r_tables.get("mixed_anova") is not None and py_tables.get("mixed_anova_pingouin") is not None:
        rows += _rows("mixed_anova", ["effect"], ["F", "p", "pes", "gg_eps", "p_gg"], r_tables["mixed_anova"],
                      py_tables["mixed_anova_pingouin"], py_name="mixed_anova (pingouin)",
                      forced_note=PINGOUIN_MIXED_NOTE)
    out = pd.DataFrame(rows, columns=PARITY_COLUMNS)
    out["same_method"] = out["same_method"].astype(bool)
    out["comparable"] = out["comparable"].astype(bool)
    out["agrees"] = out["agrees"].astype("boolean")  # NA where not comparable
    return out
