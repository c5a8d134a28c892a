"""Reading a run's results without the analysis engine: what the summary, figures, report and crosscheck share.

Both take either a :class:`~pyvalues.results.Results` or a plain mapping name -> DataFrame
(e.g. tables read back from a results folder). No matplotlib here: a tables-only report
must not pay for importing it.
"""
from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..errors import PyvaluesError


def tables_of(results) -> Mapping:
    """The result tables, by name."""
    if hasattr(results, "tables"):
        return results.tables
    if isinstance(results, Mapping):
        return results
    raise PyvaluesError(
        f"expected a Results object (with .tables) or a mapping name -> DataFrame, got {type(results).__name__}"
    )


def provenance_of(results) -> str:
    """Where the analysed data came from, as the run recorded it."""
    prov = getattr(results, "provenance", None)
    if prov:
        return str(prov)
    for t in tables_of(results).values():
        if isinstance(t, pd.DataFrame) and t.attrs.get("provenance"):
            return str(t.attrs["provenance"])
    return "provenance not recorded"


# Below this many models in a group the t approximation of the Brunner-Munzel test is
# poor (3 vs 3 models cannot give a permutation p below 0.1, the asymptotic p can be 0).
SMALL_GROUP = 10


def term_test_p(term_tests: pd.DataFrame) -> tuple[str, str, str]:
    """Which p and q of ``term_tests`` to read significance from: ``(p_column, q_column, why)``.

    The studentized permutation p (``p_perm``, ``q_perm``) when a group has fewer than
    ``SMALL_GROUP`` models or when the asymptotic p is undefined for some term (groups that
    do not overlap); otherwise the asymptotic Brunner-Munzel p (the paper's specification).
    The summary, the BH family it counts and Fig. A-2's stars all use this choice.
    """
    tt = term_tests
    if "p_perm" not in tt.columns:
        return "p", "q", "asymptotic Brunner-Munzel p (no permutation p in this table)"
    if {"n1", "n2"} <= set(tt.columns) and len(tt):
        n_min = int(min(tt["n1"].min(), tt["n2"].min()))
        if n_min < SMALL_GROUP:
            return "p_perm", "q_perm", (f"studentized permutation p (recommended: a group has {n_min} "
                                        f"models, fewer than {SMALL_GROUP})")
    if tt["p"].isna().any():
        return "p_perm", "q_perm", ("studentized permutation p (recommended: the asymptotic p is "
                                    f"undefined for {int(tt['p'].isna().sum())} terms)")
    return "p", "q", f"asymptotic Brunner-Munzel p (both groups have {SMALL_GROUP} or more models)"


def parity_counts(parity: pd.DataFrame) -> dict[str, int]:
    """How many rows, how many comparable, and how many of those agree / disagree."""
    comparable = parity["comparable"].astype(bool) if "comparable" in parity else parity["same_method"].astype(bool)
    agrees = parity["agrees"].astype("boolean").fillna(False).astype(bool)
    return {"rows": len(parity), "comparable": int(comparable.sum()),
            "agree": int((comparable & agrees).sum()), "disagree": int((comparable & ~agrees).sum())}
