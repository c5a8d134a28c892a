"""Reading a run's results without the analysis engine: what figures and reports share.

Both take either a :class:`~pyvalues.analysis.Results` or a plain mapping name -> DataFrame
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
