"""Reading a claims file and the rounding intervals of reported numbers.

Format: data-raw/claims/README.md. A reported number printed with d decimals stands for every
value that rounds to it: 0.59 -> [0.585, 0.595]. Like statcheck (Nuijten et al. 2016) we keep
the interval closed, so that values exactly on the rounding boundary count as matching; checks
that only match on a boundary say so in their note.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from pyvalues.errors import ClaimsError

__all__ = ["CLAIM_COLUMNS", "RELATIONS", "read_claims", "Interval", "reported_interval", "claim_number",
           "result_column_sign"]

CLAIM_COLUMNS = [
    "claim_id", "location", "test", "quantity", "subject", "statistic", "reported", "relation",
    "decimals", "df1", "df2", "n1", "n2", "companion", "result_table", "result_row", "result_column",
]
RELATIONS = ("=", "<", "<=", ">", ">=", "~")
_NUMERIC = ("decimals", "df1", "df2", "n1", "n2")
_LIST_QUANTITIES = ("terms", "members", "term_list")
_TEXT_QUANTITIES = ("sig", "country", "W_mean", "label", "extreme")


def result_column_sign(claim) -> tuple[str, int]:
    """The result column a claim points at, and the sign that turns our value into the
    paper's: ``"-t"`` -> ``("t", -1)`` (the paper prints the opposite direction, see
    data-raw/claims/README.md), ``"U"`` -> ``("U", 1)``."""
    col = str(claim["result_column"])
    return (col[1:], -1) if col.startswith("-") else (col, 1)


@dataclass(frozen=True)
class Interval:
    """An interval of values from lo to hi (either end may be infinite); each end is closed
    unless `lo_closed` / `hi_closed` say otherwise. `reported_interval` gives the half-open
    rounding interval [lo, hi) of a printed number; recomputed ranges are closed."""

    lo: float
    hi: float
    lo_closed: bool = True
    hi_closed: bool = True

    def contains(self, x: float, tol: float = 1e-12) -> bool:
        # tol absorbs floating-point error: within tol of a closed end counts as on it, within
        # tol of an open end as on that (excluded) boundary
        above = x >= self.lo - tol if self.lo_closed else x > self.lo + tol
        below = x <= self.hi + tol if self.hi_closed else x < self.hi - tol
        return bool(above and below)

    def overlaps(self, other: "Interval", tol: float = 1e-12) -> bool:
        def before(a_hi, a_closed, b_lo, b_closed):  # a ends before b starts
            return a_hi < b_lo - tol if (a_closed and b_closed) else a_hi <= b_lo + tol
        return not (before(self.hi, self.hi_closed, other.lo, other.lo_closed)
                    or before(other.hi, other.hi_closed, self.lo, self.lo_closed))

    def __add__(self, other: "Interval") -> "Interval":
        return Interval(self.lo + other.lo, self.hi + other.hi,
                        self.lo_closed and other.lo_closed, self.hi_closed and other.hi_closed)

    def scale(self, c: float) -> "Interval":
        a, b = self.lo * c, self.hi * c
        if c >= 0:
            return Interval(a, b, self.lo_closed, self.hi_closed)
        return Interval(b, a, self.hi_closed, self.lo_closed)

    def __str__(self) -> str:
        return f"{'[' if self.lo_closed else '('}{_fmt(self.lo)}, {_fmt(self.hi)}{']' if self.hi_closed else ')'}"


def _fmt(x: float) -> str:
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.6g}"


def claim_number(claim) -> float:
    """The reported number of a claim as a float (ClaimsError if it is not a number)."""
    try:
        return float(str(claim["reported"]).strip())
    except ValueError:
        raise ClaimsError(
            f"claim {claim['claim_id']!r}: reported value {claim['reported']!r} is not a number; "
            "write numbers as printed (e.g. 0.382 or .382)"
        ) from None


def reported_interval(value: float, decimals, relation: str = "=") -> Interval:
    """Values compatible with `value` printed with `decimals` decimals under `relation`.

    '=': [v - h, v + h) with h = 0.5 * 10**-decimals (half-open: round half up); '~' (printed
    as approximate): [v - 2h, v + 2h], closed; '<': (-inf, v); '<=': (-inf, v]; '>': (v, inf);
    '>=': [v, inf). A missing `decimals` means an exact value ([v, v]).
    """
    h = 0.0 if decimals is None or (isinstance(decimals, float) and math.isnan(decimals)) else 0.5 * 10 ** (-int(decimals))
    if relation == "=":
        return Interval(value - h, value + h, True, h == 0)
    if relation == "~":
        return Interval(value - 2 * h, value + 2 * h)
    if relation == "<":
        return Interval(-math.inf, value, False, False)
    if relation == "<=":
        return Interval(-math.inf, value, False, True)
    if relation == ">":
        return Interval(value, math.inf, False, False)
    if relation == ">=":
        return Interval(value, math.inf, True, False)
    raise ValueError(f"unknown relation {relation!r}")


def read_claims(source) -> pd.DataFrame:
    """Read and validate a claims file (path or DataFrame); returns a DataFrame of CLAIM_COLUMNS.

    Raises ClaimsError naming the row (1-based, header = row 1) and column of the first problem.
    """
    if not isinstance(source, pd.DataFrame):
        # a file read (and validated) once per process and version of the file; each caller
        # gets its own copy
        path = Path(source)
        try:
            st = path.stat()
        except OSError:
            st = None
        if st is not None:
            return _read_claims_file(str(path), st.st_mtime_ns, st.st_size).copy()
    return _read_claims(source)


@lru_cache(maxsize=8)
def _read_claims_file(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    return _read_claims(Path(path))


def _read_claims(source) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        claims = source.copy()
        where = "claims DataFrame"
    else:
        path = Path(source)
        if not path.exists():
            raise ClaimsError(f"claims file {path} does not exist; the seed paper's is data-raw/claims/paper2026.csv")
        claims = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        where = str(path)
    missing = [c for c in CLAIM_COLUMNS if c not in claims.columns]
    if missing:
        raise ClaimsError(f"{where}: missing column(s) {missing}; the format is in data-raw/claims/README.md")
    claims = claims[CLAIM_COLUMNS].astype(object).where(claims[CLAIM_COLUMNS].notna(), "")
    for col in CLAIM_COLUMNS:
        claims[col] = claims[col].map(lambda v: "" if v is None else str(v).strip())
    dup = claims["claim_id"][claims["claim_id"].duplicated()]
    if len(dup):
        raise ClaimsError(f"{where}: claim_id {dup.iloc[0]!r} occurs more than once; claim ids must be unique")
    for i, row in claims.iterrows():
        line = i + 2
        if not row["claim_id"]:
            raise ClaimsError(f"{where}, row {line}: empty claim_id")
        if row["relation"] not in RELATIONS:
            raise ClaimsError(
                f"{where}, row {line} ({row['claim_id']}): relation {row['relation']!r} is not one of {RELATIONS}"
            )
        for col in _NUMERIC:
            if row[col] != "":
                try:
                    float(row[col])
                except ValueError:
                    raise ClaimsError(
                        f"{where}, row {line} ({row['claim_id']}): column {col} = {row[col]!r} is not a number"
                    ) from None
        if row["quantity"] not in _LIST_QUANTITIES + _TEXT_QUANTITIES:
            try:
                float(row["reported"])
            except ValueError:
                raise ClaimsError(
                    f"{where}, row {line} ({row['claim_id']}): reported {row['reported']!r} is not a number "
                    f"(quantity {row['quantity']!r} needs one)"
                ) from None
    for col in _NUMERIC:
        claims[col] = pd.to_numeric(claims[col].replace("", None), errors="coerce")
    return claims.reset_index(drop=True)
