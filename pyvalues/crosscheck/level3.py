"""Level 3: the reported numbers against an analysis of a data set (the reconstruction).

For each claim that names where its quantity lives in the analysis output
(`result_table`, `result_row`, `result_column`), look the value up in a `Results` (or a
dict of DataFrames) and say whether it falls within the printed precision. Cluster numbers
are arbitrary, so the paper's cluster k is matched to the reconstruction's cluster that
shares the most members with it.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from pyvalues.crosscheck.claims import claim_number, reported_interval, result_column_sign
from pyvalues.crosscheck.design import canonical_model
from pyvalues.crosscheck.level1 import make_row

__all__ = ["level3_rows", "lookup", "reported_beside"]

_SET_QUANTITIES = ("terms", "members")


def _tables(results) -> Mapping[str, pd.DataFrame]:
    if isinstance(results, Mapping):
        return results
    return getattr(results, "tables")


def _select(table: pd.DataFrame, row_key: str) -> pd.DataFrame:
    sel = table
    if not row_key:
        return sel
    for part in row_key.split("&"):
        col, _, val = part.partition("=")
        if col not in sel.columns:
            raise KeyError(f"column {col!r} not in table (has {list(sel.columns)})")
        col_vals = sel[col]
        if pd.api.types.is_numeric_dtype(col_vals):
            sel = sel[col_vals == float(val)]
        else:
            sel = sel[col_vals.astype(str) == val]
    return sel


def _paper_clusters(claims: pd.DataFrame) -> dict[str, set[str]]:
    mem = claims[(claims["quantity"] == "members") & (claims["relation"] == "=")]
    return {r["result_row"]: {canonical_model(m) for m in r["reported"].split(";")} for _, r in mem.iterrows()}


def _cluster_match(tables, claims) -> dict[str, tuple[int, int]]:
    """paper row key 'cluster=k' -> (reconstruction cluster, shared members)."""
    if "clusters" not in tables:
        return {}
    cl = tables["clusters"]
    recon = {c: set(g["model"]) for c, g in cl.groupby("cluster")}
    out = {}
    for key, members in _paper_clusters(claims).items():
        best = max(recon, key=lambda c: (len(recon[c] & members), -len(recon[c] ^ members)))
        out[key] = (int(best), len(recon[best] & members))
    return out


def lookup(results, claim, claims: pd.DataFrame | None = None):
    """The reconstruction's value(s) for `claim`: a float, a list of floats (row-less claims)
    or a set of names. Raises KeyError when the table, row or column is absent."""
    tables = _tables(results)
    name = claim["result_table"]
    if name not in tables:
        raise KeyError(f"result table {name!r} not in the results")
    table = tables[name]
    row_key = claim["result_row"]
    if name in ("clusters", "archetypes") and claims is not None:
        match = _cluster_match(tables, claims).get(row_key)
        if match is None:
            raise KeyError(f"no cluster matches {row_key}")
        row_key = f"cluster={match[0]}"
    sel = _select(table, row_key)
    # "-t": the paper prints the opposite direction of ours, so its value is minus ours
    col, sign = result_column_sign(claim)
    if col not in sel.columns:
        raise KeyError(f"column {col!r} not in {name}")
    if claim["quantity"] in _SET_QUANTITIES:
        return set(sel[col].astype(str))
    if not claim["result_row"]:
        return [sign * float(v) for v in sel[col]]
    if len(sel) != 1:
        raise KeyError(f"{len(sel)} rows of {name} match {claim['result_row']!r}")
    return sign * float(sel[col].iloc[0])


def _set_verdict(claim, value: set[str]) -> tuple[bool, str]:
    listed = [canonical_model(x) if claim["quantity"] == "members" else x for x in claim["reported"].split(";")]
    listed_set = set(listed)
    rel = claim["relation"]
    if rel == "=":
        ok = listed_set == value
    elif rel == ">=":
        ok = listed_set <= value
    else:  # '~': all but at most one listed item
        ok = len(listed_set - value) <= 1
    diff = ""
    if not ok or listed_set != value:
        miss, extra = sorted(listed_set - value), sorted(value - listed_set)
        diff = (f" Paper only: {', '.join(miss)}." if miss else "") + (f" Reconstruction only: {', '.join(extra)}." if extra else "")
    return ok, diff


def level3_rows(claims: pd.DataFrame, results, infeasible: dict[str, str] | None = None) -> list[dict]:
    """Level-3 rows; `infeasible` maps claim ids proved impossible at level 1 or 2 to the reason."""
    infeasible = infeasible or {}
    rows = []
    tables = _tables(results)
    matches = _cluster_match(tables, claims)
    for _, c in claims[claims["result_table"] != ""].iterrows():
        try:
            value = lookup(results, c, claims)
        except KeyError as e:
            rows.append(make_row(c, 3, "", "not_checkable", f"The analysis output has no counterpart: {e}."))
            continue
        col, sign = result_column_sign(c)
        where = f"{c['result_table']}[{c['result_row'] or 'all rows'}].{col}"
        if sign < 0:
            where = f"minus {where} (the paper prints the opposite direction)"
        if c["result_table"] in ("clusters", "archetypes") and c["result_row"] in matches:
            k, shared = matches[c["result_row"]]
            where += f" (matched to reconstruction cluster {k}, {shared} shared members)"
        if isinstance(value, set):
            ok, diff = _set_verdict(c, value)
            rec = "; ".join(sorted(value))
            note = f"Reconstruction {where}: " + ("the same set." if not diff else ("agrees within the stated relation." if ok else "differs.") + diff)
        else:
            iv = reported_interval(claim_number(c), c["decimals"], c["relation"])
            vals = value if isinstance(value, list) else [value]
            vals_ok = [v for v in vals if not (isinstance(v, float) and math.isnan(v))]
            ok = bool(vals_ok) and all(iv.contains(v) for v in vals_ok)
            rec = ", ".join(f"{v:.4g}" for v in vals)
            note = (f"Reconstruction {where} = {rec}; the printed value stands for {iv}: "
                    + ("within rounding." if ok else "outside rounding."))
        if c["claim_id"] in infeasible:
            verdict = "infeasible"
            note += " " + infeasible[c["claim_id"]]
        else:
            verdict = "consistent" if ok else "inconsistent"
        rows.append(make_row(c, 3, rec, verdict, note))
    return rows


def reported_beside(results, claims=None) -> dict[str, pd.DataFrame]:
    """Copies of the result tables that have a counterpart in the paper, with the paper's
    printed value beside ours: for each claimed column `col` a column `col_reported`
    (the printed value, with its relation when not '='), and for the set-valued tables
    (group_top_bottom, archetypes, clusters) a column `in_paper` saying whether the row's
    term or model is in the paper's set."""
    from pyvalues.crosscheck import default_claims_path
    from pyvalues.crosscheck.claims import read_claims

    claims = read_claims(claims if claims is not None else default_claims_path())
    tables = _tables(results)
    matches = _cluster_match(tables, claims)
    out: dict[str, pd.DataFrame] = {}
    for _, c in claims[claims["result_table"] != ""].iterrows():
        name = c["result_table"]
        if name not in tables or c["result_column"] not in tables[name].columns:
            continue
        t = out.setdefault(name, tables[name].copy())
        row_key = c["result_row"]
        if name in ("clusters", "archetypes"):
            if row_key not in matches:
                continue
            row_key = f"cluster={matches[row_key][0]}"
        try:
            idx = _select(t, row_key).index
        except KeyError:
            continue
        shown = c["reported"] if c["relation"] == "=" else f"{c['relation']} {c['reported']}"
        if c["quantity"] in _SET_QUANTITIES:
            listed = {canonical_model(x) if c["quantity"] == "members" else x for x in c["reported"].split(";")}
            if "in_paper" not in t.columns:
                t["in_paper"] = pd.Series(pd.NA, index=t.index, dtype="object")
            t.loc[idx, "in_paper"] = t.loc[idx, c["result_column"]].astype(str).isin(listed)
        else:
            col = f"{c['result_column']}_reported"
            if col not in t.columns:
                t[col] = ""
            t.loc[idx, col] = shown
    return out
