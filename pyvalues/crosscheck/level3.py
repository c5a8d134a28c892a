"""Level 3: the reported numbers against an analysis of a data set (the reconstruction).

For each claim that names where its quantity lives in the analysis output
(`result_table`, `result_row`, `result_column`), look the value up in a `Results` (or a
dict of DataFrames) and say whether it falls within the printed precision. Cluster numbers
are arbitrary, so the paper's cluster k is matched to the reconstruction's cluster that
shares the most members with it.
"""
from __future__ import annotations

import math

import pandas as pd

from pyvalues.crosscheck.claims import claim_number, reported_interval, result_column_sign
from pyvalues.crosscheck.design import canonical_model
from pyvalues.crosscheck.level1 import make_row
from pyvalues.results import tables_of as _tables  # a Results object or a mapping name -> DataFrame

__all__ = ["level3_rows", "lookup", "reported_beside", "reported_agreement", "AGREEMENT_COLUMNS"]

_SET_QUANTITIES = ("terms", "members")
_BESIDE = ("_reported", "_reported_low", "_reported_high", "_agrees")


def _select(table: pd.DataFrame, row_key: str) -> pd.DataFrame:
    """The rows of `table` where every ``col=value`` of `row_key` (joined by '&') holds."""
    keep = _select_mask(table, row_key)
    return table if keep is None else table[keep]


def _select_index(table: pd.DataFrame, row_key: str) -> pd.Index:
    """The index labels of :func:`_select`'s rows (without copying the rows)."""
    keep = _select_mask(table, row_key)
    return table.index if keep is None else table.index[keep]


def _select_mask(table: pd.DataFrame, row_key: str):
    """:func:`_select` as a boolean array over the rows (None: no condition, every row)."""
    if not row_key:
        return None
    keep = None
    for part in row_key.split("&"):
        col, _, val = part.partition("=")
        if col not in table.columns:
            raise KeyError(f"column {col!r} not in table (has {list(table.columns)})")
        col_vals = table[col]
        if pd.api.types.is_numeric_dtype(col_vals):
            hit = (col_vals == float(val)).to_numpy(dtype=bool, na_value=False)
        else:
            hit = (col_vals.astype(str) == val).to_numpy(dtype=bool, na_value=False)
        keep = hit if keep is None else keep & hit
    return keep


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
    keep = _select_mask(table, row_key)
    # "-t": the paper prints the opposite direction of ours, so its value is minus ours
    col, sign = result_column_sign(claim)
    if col not in table.columns:
        raise KeyError(f"column {col!r} not in {name}")
    values = table[col] if keep is None else table[col][keep]  # the one column of the selected rows
    if claim["quantity"] in _SET_QUANTITIES:
        return set(values.astype(str))
    if not claim["result_row"]:
        return [sign * float(v) for v in values]
    if len(values) != 1:
        raise KeyError(f"{len(values)} rows of {name} match {claim['result_row']!r}")
    return sign * float(values.iloc[0])


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


def level3_rows(claims: pd.DataFrame, results, infeasible: dict[str, str] | None = None,
                untargeted: dict[str, str] | None = None) -> list[dict]:
    """Level-3 rows; `infeasible` maps claim ids proved impossible at level 1 or 2 to the reason;
    `untargeted` maps claim ids the data set was never fitted to (e.g. the reconstruction's
    bootstrap CI bounds) to the reason: their rows are `not_checkable`, not misses."""
    infeasible = infeasible or {}
    untargeted = untargeted or {}
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
        ok, lo, hi, rec, diff = _judge(c, value)
        if isinstance(value, set):
            note = f"Reconstruction {where}: " + ("the same set." if not diff else ("agrees within the stated relation. " if ok else "differs. ") + diff)
        else:
            iv = reported_interval(claim_number(c), c["decimals"], c["relation"])
            note = (f"Reconstruction {where} = {rec}; the printed value stands for {iv}: "
                    + ("within rounding." if ok else "outside rounding."))
        ok = bool(ok)
        if c["claim_id"] in infeasible:
            verdict = "infeasible"
            note += " " + infeasible[c["claim_id"]]
        elif c["claim_id"] in untargeted:
            verdict = "not_checkable"
            note += " Not a test of the data set: " + untargeted[c["claim_id"]]
        else:
            verdict = "consistent" if ok else "inconsistent"
        rows.append(make_row(c, 3, rec, verdict, note))
    rows += _ordering_rows(claims, tables, untargeted)
    return rows


AGREEMENT_COLUMNS = ["claim_id", "table", "row", "column", "statistic", "reported", "reported_low",
                     "reported_high", "value", "agrees", "note"]


def _judge(claim, value) -> tuple[bool | None, float, float, str, str]:
    """(agrees, reported_low, reported_high, our value as text, note) for one claim and our
    value(s): the printed number's rounding interval (:func:`reported_interval`, the one
    implementation that level 1 and level 3 use) against our value; sets by their relation.
    `agrees` is None when our value is missing (NA)."""
    if isinstance(value, set):
        ok, diff = _set_verdict(claim, value)
        return ok, math.nan, math.nan, "; ".join(sorted(value)), diff.strip()
    iv = reported_interval(claim_number(claim), claim["decimals"], claim["relation"])
    vals = value if isinstance(value, list) else [value]
    finite = [v for v in vals if not (isinstance(v, float) and math.isnan(v))]
    shown = ", ".join("NA" if isinstance(v, float) and math.isnan(v) else f"{v:.4g}" for v in vals)
    if not finite:
        return None, iv.lo, iv.hi, shown, "our value is NA"
    bad = [v for v in finite if not iv.contains(v)]
    note = "" if not bad else (f"{len(bad)} of {len(vals)} rows outside {iv}" if len(vals) > 1 else f"outside {iv}")
    return not bad, iv.lo, iv.hi, shown, note


def reported_agreement(results, claims=None) -> pd.DataFrame:
    """One row per reported value of the paper that has a counterpart in `results`: the
    printed value, the interval it stands for (``reported_low``, ``reported_high``, from its
    printed rounding or its '<'/'<='/'>'/'>=' bound), our value and ``agrees`` (True, False,
    or NA when our value is NA). Columns: :data:`AGREEMENT_COLUMNS`."""
    from pyvalues.crosscheck import default_claims_path
    from pyvalues.crosscheck.claims import read_claims

    claims = read_claims(claims if claims is not None else default_claims_path())
    rows = []
    for _, c in claims[claims["result_table"] != ""].iterrows():
        try:
            value = lookup(results, c, claims)
        except KeyError:
            continue
        ok, lo, hi, shown, note = _judge(c, value)
        if isinstance(value, list) and ok is False:
            # a claim about every row ("all q >= .05"): name the rows outside, not all values
            t = _tables(results)[c["result_table"]]
            iv = reported_interval(claim_number(c), c["decimals"], c["relation"])
            label = t.columns[0]
            col, sign = result_column_sign(c)
            out_rows = t[[not (pd.isna(v) or iv.contains(sign * float(v))) for v in t[col]]]
            shown = "; ".join(f"{r[label]} {sign * float(r[col]):.4g}" for _, r in out_rows.iterrows())
        if ok is None:  # our value is NA: say why when the table says
            t = _tables(results)[c["result_table"]]
            sel = _select(t, c["result_row"]) if "note" in t.columns else t.iloc[0:0]
            why = "; ".join(str(x) for x in sel.get("note", pd.Series(dtype=str)).dropna().unique() if str(x))
            note = f"{note}: {why}" if why else note
        printed = c["reported"] if c["relation"] == "=" else f"{c['relation']} {c['reported']}"
        rows.append([c["claim_id"], c["result_table"], c["result_row"] or "all rows", c["result_column"],
                     c["statistic"], printed, lo, hi, shown, ok, note])
    out = pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)
    out["agrees"] = out["agrees"].astype("boolean")
    return out


def _ordering_rows(claims: pd.DataFrame, tables, untargeted: dict) -> list[dict]:
    """Statements about an order, not a number (test `ordering`): the largest / smallest mean SD,
    the share of positive pairwise correlations, terms of most consensus / disagreement (the 5
    terms with the smallest / largest SD of model mean ranks)."""
    out = []
    for _, c in claims[claims["test"] == "ordering"].iterrows():
        q = c["quantity"]
        try:
            if q == "extreme":
                t = tables["dimension_means"].set_index("dimension")["mean_sd_within"]
                dim = c["subject"].split("|")[0]
                pick = t.idxmax() if c["reported"] == "max" else t.idxmin()
                ok = pick == dim
                rec = f"{pick} ({t[pick]:.3f})"
                note = f"Reconstruction dimension_means.mean_sd_within: {', '.join(f'{k} {v:.3f}' for k, v in t.items())}; the {'largest' if c['reported'] == 'max' else 'smallest'} is {pick}."
            elif q == "share_positive":
                rho = tables["correlation_pairs"]["spearman"]
                share = float((rho > 0).mean())
                ok = reported_interval(claim_number(c), c["decimals"], c["relation"]).contains(share)
                rec = f"{share:.3f}"
                note = f"Reconstruction correlation_pairs: {int((rho > 0).sum())} of {len(rho)} Spearman correlations are positive ({share:.1%}); read as a share {c['relation']} {c['reported']}."
            elif q == "term_list":
                tm = tables["term_means"].sort_values("sd")
                low = c["subject"].endswith("consensus")
                ends = list(tm["term"].head(5)) if low else list(tm["term"].tail(5))
                listed = c["reported"].split(";")
                ok = set(listed) <= set(ends)
                rec = "; ".join(ends)
                note = (f"Reconstruction term_means: the 5 terms with the {'smallest' if low else 'largest'} SD of model mean ranks are "
                        f"{', '.join(ends)}; " + ("every listed term is among them." if ok else f"not among them: {', '.join(sorted(set(listed) - set(ends)))}."))
            else:
                continue
        except KeyError as e:
            out.append(make_row(c, 3, "", "not_checkable", f"The analysis output has no counterpart: {e}."))
            continue
        if c["claim_id"] in untargeted:
            verdict, note = "not_checkable", note + " Not a test of the data set: " + untargeted[c["claim_id"]]
        else:
            verdict = "consistent" if ok else "inconsistent"
        out.append(make_row(c, 3, rec, verdict, note))
    return out


def reported_beside(results, claims=None) -> dict[str, pd.DataFrame]:
    """Copies of the result tables that have a counterpart in the paper, with the paper's
    printed value beside ours. For each claimed column `col`:

    * ``col_reported``: the printed value as text, with its relation when not '=' ("< 0.001");
    * ``col_reported_low``, ``col_reported_high``: the interval of values the printed value
      stands for (its rounding interval, or a one-sided bound; -inf/inf for open ends);
    * ``col_agrees``: whether our value lies in that interval (NA when ours is NA).

    The set-valued tables (group_top_bottom, archetypes, clusters) get ``in_paper``: whether
    the row's term or model is in the paper's set. :func:`reported_agreement` lists the same
    judgements one row per reported value."""
    from pyvalues.crosscheck import default_claims_path
    from pyvalues.crosscheck.claims import read_claims

    claims = read_claims(claims if claims is not None else default_claims_path())
    tables = _tables(results)
    matches = _cluster_match(tables, claims)
    out: dict[str, pd.DataFrame] = {}
    claimed = claims[claims["result_table"] != ""]
    # claims about every row ("all p > .05") first, so a row's own printed value wins
    claimed = pd.concat([claimed[claimed["result_row"] == ""], claimed[claimed["result_row"] != ""]])
    for _, c in claimed.iterrows():
        name = c["result_table"]
        col, sign = result_column_sign(c)
        if name not in tables or col not in tables[name].columns:
            continue
        if name not in out:  # a fresh copy, without the columns of an earlier comparison
            old = [x for x in tables[name].columns if x == "in_paper" or str(x).endswith(_BESIDE)]
            out[name] = tables[name].drop(columns=old)
        t = out[name]
        row_key = c["result_row"]
        if name in ("clusters", "archetypes"):
            if row_key not in matches:
                continue
            row_key = f"cluster={matches[row_key][0]}"
        try:
            idx = _select_index(t, row_key)
        except KeyError:
            continue
        shown = c["reported"] if c["relation"] == "=" else f"{c['relation']} {c['reported']}"
        if c["quantity"] in _SET_QUANTITIES:
            listed = {canonical_model(x) if c["quantity"] == "members" else x for x in c["reported"].split(";")}
            if "in_paper" not in t.columns:
                t["in_paper"] = pd.Series(pd.NA, index=t.index, dtype="object")
            t.loc[idx, "in_paper"] = t.loc[idx, col].astype(str).isin(listed)
            continue
        if sign < 0:  # the paper prints the opposite direction: its interval turned into ours
            shown += " (paper's direction; ours is the opposite sign)"
        if f"{col}_reported" not in t.columns:
            t[f"{col}_reported"] = ""
            t[f"{col}_reported_low"] = math.nan
            t[f"{col}_reported_high"] = math.nan
            t[f"{col}_agrees"] = pd.Series(pd.NA, index=t.index, dtype="boolean")
        iv = reported_interval(claim_number(c), c["decimals"], c["relation"])
        t.loc[idx, f"{col}_reported"] = shown
        lo, hi = sorted((sign * iv.lo, sign * iv.hi))
        t.loc[idx, f"{col}_reported_low"] = lo
        t.loc[idx, f"{col}_reported_high"] = hi
        for i in idx:
            v = t.at[i, col]
            t.at[i, f"{col}_agrees"] = pd.NA if pd.isna(v) else bool(iv.contains(sign * float(v)))
    return out
