"""The tidy rank table: one row per (model, country, language, replicate, term).

Columns (the schema every stage after parsing relies on):

=============  =======  ==============================================================
column         type     meaning
=============  =======  ==============================================================
model          str      display name of the model
country        str      developer's country or group label (e.g. ``CN``, ``US``)
language       str      prompt language (``zh``, ``en``; ``unspecified`` where unknown)
replicate      int      replicate index, 1-based, within (model, language)
term           str      canonical term name (:data:`pyvalues.instrument.TERM_NAMES`)
rank           int      1..25, 1 = most important
dimension      str      derived from ``term`` (:data:`pyvalues.instrument.TERM_DIMENSION`)
parse_status   str      optional; from the parser (``complete``, ``repaired``, ``incomplete``)
=============  =======  ==============================================================

A *ranking* is the 25 rows of one (model, language, replicate). ``DataFrame.attrs``
carries ``provenance`` (a one-line label of where the data came from) and, for parsed
data, ``incomplete_policy``.

:func:`validate` checks everything a statistic downstream silently relies on and raises
:class:`~pyvalues.errors.RankTableError` naming the offending rows and the fix.
"""
from __future__ import annotations

import difflib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import PyvaluesWarning, RankTableError, plain
from .instrument import N_TERMS, TERM_DIMENSION, TERM_NAMES

__all__ = [
    "KEY",
    "RANKING_KEY",
    "REQUIRED_COLUMNS",
    "validate",
    "read_rank_table",
    "write_rank_table",
    "term_rank_sums",
]

RANKING_KEY = ["model", "language", "replicate"]
KEY = ["model", "language", "replicate", "term"]
REQUIRED_COLUMNS = ["model", "country", "language", "replicate", "term", "rank"]
_MAX_LISTED = 8
_IMPUTED_STATUSES = {"incomplete", "imputed"}


def _where(source: str | None) -> str:
    return f"rank table {source}" if source else "rank table"


def _row_list(df: pd.DataFrame, rows, extra=None) -> str:
    """Describe rows by their 1-based data-row number and key fields."""
    out = []
    for i in list(rows)[:_MAX_LISTED]:
        r = df.loc[i]
        desc = f"row {int(df.index.get_loc(i)) + 1} (model {plain(r['model'])!r}, language {plain(r['language'])!r}, replicate {plain(r['replicate'])!r}, term {plain(r['term'])!r}"
        if extra is not None:
            desc += f", {extra}={plain(r[extra])!r}"
        out.append(desc + ")")
    more = len(rows) - _MAX_LISTED
    if more > 0:
        out.append(f"... and {more} more")
    return "; ".join(out)


def _ranking_list(keys) -> str:
    keys = list(keys)
    shown = [f"(model {plain(m)!r}, language {plain(l)!r}, replicate {plain(r)!r})" for m, l, r in keys[:_MAX_LISTED]]
    if len(keys) > _MAX_LISTED:
        shown.append(f"... and {len(keys) - _MAX_LISTED} more")
    return ", ".join(shown)


def validate(
    table: pd.DataFrame,
    *,
    source: str | None = None,
    invalid_rankings: str = "error",
) -> pd.DataFrame:
    """Check a rank table and return a clean copy with the ``dimension`` column derived.

    Parameters
    ----------
    table : DataFrame with at least :data:`REQUIRED_COLUMNS`.
    source : where the table came from (a path), used in messages.
    invalid_rankings : ``"error"`` (default) raises on a ranking that is not a
        permutation of 1..25; ``"drop"`` drops those rankings with a warning that says
        how many and which.

    Row numbers in messages count data rows from 1 (in a CSV, row 1 is the line after
    the header).
    """
    if invalid_rankings not in ("error", "drop"):
        raise ValueError("invalid_rankings must be 'error' or 'drop'")
    where = _where(source)
    if not isinstance(table, pd.DataFrame):
        raise RankTableError(f"{where}: expected a pandas DataFrame, got {type(table).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise RankTableError(
            f"{where}: missing column(s) {missing}; it has {list(table.columns)}. "
            f"A rank table needs {REQUIRED_COLUMNS} (one row per model, language, replicate and term)."
        )
    if len(table) == 0:
        raise RankTableError(f"{where}: the table has no rows.")
    attrs = dict(table.attrs)
    df = table.copy().reset_index(drop=True)

    for col in REQUIRED_COLUMNS:
        bad = df.index[df[col].isna() | (df[col].astype(str).str.strip() == "")]
        if len(bad):
            raise RankTableError(
                f"{where}: {len(bad)} row(s) have no value in column {col!r}: {_row_list(df, bad)}. "
                f"Fill them in or remove those rows."
            )
    for col in ("model", "country", "language", "term"):
        df[col] = df[col].astype(str).str.strip()

    # terms
    unknown = df.index[~df["term"].isin(TERM_NAMES)]
    if len(unknown):
        names = sorted(set(df.loc[unknown, "term"]))
        hints = []
        for n in names[:_MAX_LISTED]:
            close = difflib.get_close_matches(n, TERM_NAMES, n=1, cutoff=0.5)
            hints.append(f"{n!r} (did you mean {close[0]!r}?)" if close else repr(n))
        raise RankTableError(
            f"{where}: {len(unknown)} row(s) have an unknown term: {', '.join(hints)}; "
            f"first rows: {_row_list(df, unknown)}. Use the canonical names in "
            f"pyvalues.instrument.TERM_NAMES (as printed in the paper's Appendix A.1)."
        )

    # replicate: positive integer
    rep = pd.to_numeric(df["replicate"], errors="coerce")
    bad = df.index[rep.isna() | (rep != np.floor(rep)) | (rep < 1)]
    if len(bad):
        raise RankTableError(
            f"{where}: {len(bad)} row(s) have a replicate that is not a whole number >= 1: "
            f"{_row_list(df, bad)}. Number replicates 1, 2, 3, ..."
        )
    df["replicate"] = rep.astype("int64")

    # rank: number in 1..25; integer unless the row was imputed by the parser's policy
    rank = pd.to_numeric(df["rank"], errors="coerce")
    bad = df.index[rank.isna()]
    if len(bad):
        raise RankTableError(
            f"{where}: {len(bad)} row(s) have a rank that is not a number: {_row_list(df, bad, 'rank')}."
        )
    bad = df.index[(rank < 1) | (rank > N_TERMS)]
    if len(bad):
        raise RankTableError(
            f"{where}: {len(bad)} row(s) have a rank outside 1..{N_TERMS}: {_row_list(df, bad, 'rank')}. "
            f"Ranks run from 1 (most important) to {N_TERMS} (least important)."
        )
    imputed = (
        df["parse_status"].astype(str).isin(_IMPUTED_STATUSES)
        if "parse_status" in df.columns
        else pd.Series(False, index=df.index)
    )
    nonint = df.index[(rank != np.floor(rank)) & ~imputed]
    if len(nonint):
        raise RankTableError(
            f"{where}: {len(nonint)} row(s) have a rank that is not a whole number: "
            f"{_row_list(df, nonint, 'rank')}. Only rows the parser imputed (parse_status "
            f"'incomplete' under the 'mean_unused' policy) may carry fractional ranks."
        )
    df["rank"] = rank.astype("int64") if not imputed.any() else rank.astype("float64")

    # duplicates
    dup = df.index[df.duplicated(KEY, keep=False)]
    if len(dup):
        raise RankTableError(
            f"{where}: {len(dup)} rows repeat a (model, language, replicate, term) that appears "
            f"more than once: {_row_list(df, dup, 'rank')}. Each ranking has one row per term; "
            f"remove the duplicates or give them distinct replicate numbers."
        )

    # one country per model
    per_model = df.groupby("model", sort=False)["country"].unique()
    multi = per_model[per_model.map(len) > 1]
    if len(multi):
        desc = "; ".join(f"{plain(m)!r}: {plain(sorted(c))}" for m, c in multi.items())
        raise RankTableError(
            f"{where}: a model must have exactly one country, but {desc}. "
            f"Correct the country column (a model's developer country does not vary by row)."
        )

    # dimension: derived; an input column must agree
    derived = df["term"].map(TERM_DIMENSION)
    if "dimension" in df.columns:
        wrong = df.index[df["dimension"].astype(str) != derived]
        if len(wrong):
            raise RankTableError(
                f"{where}: {len(wrong)} row(s) give a dimension that does not belong to their term: "
                f"{_row_list(df, wrong, 'dimension')}. The dimension is derived from the term "
                f"(pyvalues.instrument.TERM_DIMENSION); drop the column or correct it."
            )
    df["dimension"] = derived

    # each ranking a permutation of 1..25 over the 25 terms
    bad_rankings: dict[tuple, str] = {}
    for key, g in df.groupby(RANKING_KEY, sort=False):
        problems = []
        present = set(g["term"])
        if len(present) < N_TERMS:
            miss = [t for t in TERM_NAMES if t not in present]
            problems.append(f"missing term(s) {miss[:5]}{' ...' if len(miss) > 5 else ''}")
        r = g["rank"]
        if not (imputed.loc[g.index].any()):
            counts = r.value_counts()
            rep_ranks = sorted(int(x) for x in counts[counts > 1].index)
            if rep_ranks:
                problems.append(f"rank(s) {rep_ranks} used more than once")
            unused = sorted(set(range(1, N_TERMS + 1)) - set(int(x) for x in r))
            if unused and len(present) == N_TERMS:
                problems.append(f"rank(s) {unused} unused")
        if problems:
            bad_rankings[key] = "; ".join(problems)
    if bad_rankings:
        detail = "; ".join(
            f"(model {plain(m)!r}, language {plain(l)!r}, replicate {plain(rp)}): {why}"
            for (m, l, rp), why in list(bad_rankings.items())[:_MAX_LISTED]
        )
        if invalid_rankings == "error":
            raise RankTableError(
                f"{where}: {len(bad_rankings)} ranking(s) are not a permutation of 1..{N_TERMS} over the "
                f"{N_TERMS} terms: {detail}. Fix them, or pass invalid_rankings='drop' to drop them "
                f"with a warning."
            )
        drop = df.set_index(RANKING_KEY).index.isin(list(bad_rankings))
        warnings.warn(
            f"{where}: dropped {len(bad_rankings)} ranking(s) ({int(drop.sum())} rows) that are not a "
            f"permutation of 1..{N_TERMS}: {detail}",
            PyvaluesWarning,
            stacklevel=2,
        )
        df = df.loc[~drop].reset_index(drop=True)
        if len(df) == 0:
            raise RankTableError(f"{where}: no valid ranking is left after dropping the invalid ones.")

    cols = REQUIRED_COLUMNS + ["dimension"] + [c for c in df.columns if c not in REQUIRED_COLUMNS + ["dimension"]]
    df = df[cols].sort_values(["model", "language", "replicate", "rank", "term"], kind="stable")
    df = df.reset_index(drop=True)
    df.attrs.update(attrs)
    df.attrs.setdefault("provenance", f"user data ({source})" if source else "user data")
    return df


def read_rank_table(path, *, invalid_rankings: str = "error") -> pd.DataFrame:
    """Read and validate a rank table from CSV, Parquet or R's .rds / .rda."""
    path = Path(path)
    if not path.exists():
        raise RankTableError(f"rank table {path}: no such file.")
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".gz") or path.name.endswith(".csv.gz"):
            df = pd.read_csv(path, dtype={"model": str, "country": str, "language": str, "term": str})
        elif suffix in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        elif suffix in (".rds", ".rda", ".rdata"):
            import pyreadr

            res = pyreadr.read_r(str(path))
            if len(res) != 1:
                raise RankTableError(
                    f"rank table {path}: the R file holds {len(res)} objects {list(res)}; expected one data.frame."
                )
            df = next(iter(res.values()))
        else:
            raise RankTableError(
                f"rank table {path}: unknown file type {suffix!r}; use .csv, .parquet or .rds."
            )
    except RankTableError:
        raise
    except Exception as exc:  # a reader's own error, with the file named
        raise RankTableError(f"rank table {path}: could not be read ({type(exc).__name__}: {exc}).") from exc
    for col in ("model", "country", "language", "term", "dimension", "parse_status"):
        if col in df.columns and isinstance(df[col].dtype, pd.CategoricalDtype):
            df[col] = df[col].astype(str)
    return validate(df, source=str(path), invalid_rankings=invalid_rankings)


def write_rank_table(table: pd.DataFrame, path) -> Path:
    """Write a rank table to CSV, Parquet or .rds (by the file's extension)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table.to_csv(path, index=False, lineterminator="\n")
    elif suffix in (".parquet", ".pq"):
        table.to_parquet(path, index=False)
    elif suffix == ".rds":
        import pyreadr

        pyreadr.write_rds(str(path), table.reset_index(drop=True))
    else:
        raise RankTableError(f"cannot write {path}: use .csv, .parquet or .rds.")
    return path


def term_rank_sums(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Per model: the sum of each term's ranks over its rankings, and the number of rankings.

    Returns (sums: models x terms in instrument order, n_rankings: per model). Term means
    are ``sums / n`` — one division, so mathematically equal means are equal doubles.
    """
    sums = table.pivot_table(index="model", columns="term", values="rank", aggfunc="sum", sort=False)
    sums = sums.reindex(columns=list(TERM_NAMES))
    n = table.groupby("model", sort=False)[RANKING_KEY].apply(lambda g: len(g.drop_duplicates()))
    return sums, n.reindex(sums.index)
