"""Cross-check a paper's reported statistics at three levels.

>>> from pyvalues.crosscheck import crosscheck
>>> table = crosscheck()                      # the seed paper's claims, levels 1 and 2
>>> table[table.verdict == "infeasible"]      # doctest: +SKIP

Level 1 recomputes each printed result from its own statistic and dfs or ns (p, effect
sizes, Welch's t from means and SDs, the Friedman test from Kendall's W), treating each
printed number as the interval that rounds to it. Level 2 checks the numbers against the
design the paper states (degrees of freedom, constraints of complete rankings, GRIM grids,
the text against the tables). Level 3 compares an analysis of a data set — the bundled
reconstruction — with each printed value. Where R's statcheck applies (t, F, chi-square),
its verdict is shown beside ours (`statcheck_rows`).

`check_text(text)` finds the reported tests in a paper's text (plain, Markdown, LaTeX) and
checks them with the same level-1 code (pyvalues.crosscheck.text); `compare_routes` sets the
two routes side by side.

Output: one row per check, columns `claim_id, level, location, statistic, test_type, df1,
df2, value, p_comparison, p_reported, p_recomputed, one_tailed, verdict, note, reported,
recomputed` (the result columns are filled on level-1 rows of a printed result: the test type,
its dfs and printed value, the p as printed and as recomputed at the printed statistic, and
whether it was judged one-tailed); verdict in `consistent, inconsistent, decision_error,
infeasible, not_checkable`. Claims format: data-raw/claims/README.md.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from pyvalues.crosscheck.claims import read_claims
from pyvalues.crosscheck.level1 import level1_rows
from pyvalues.crosscheck.level2 import level2_rows
from pyvalues.crosscheck.level3 import level3_rows, reported_agreement, reported_beside
from pyvalues.crosscheck.text import check_text, compare_routes

__all__ = ["crosscheck", "check_text", "reconstruction_untargeted", "compare_routes", "read_claims", "reported_beside",
           "reported_agreement", "default_claims_path", "COLUMNS", "VERDICTS"]

COLUMNS = ["claim_id", "level", "location", "statistic", "test_type", "df1", "df2", "value", "p_comparison",
           "p_reported", "p_recomputed", "one_tailed", "verdict", "note", "reported", "recomputed"]
# test type of a level-1 row from its claim's quantity (when the check did not set it)
_QUANTITY_TYPE = {"F": "F", "U": "U", "t": "t", "z": "z", "W": "W", "pes": "eta2_p", "r_rb": "r_rb", "g": "g", "d": "d",
                  "delta": "delta", "chi2": "chi2", "r": "r", "q": "q", "p_adj": "p_adj", "rho_mean": "rho", "rho_sd": "rho",
                  "tau_mean": "tau", "ci_low": "ci", "ci_high": "ci", "df": "df"}
VERDICTS = ("consistent", "inconsistent", "decision_error", "infeasible", "not_checkable")


def default_claims_path() -> Path:
    """The seed paper's claims file, data-raw/claims/paper2026.csv."""
    return Path(__file__).resolve().parents[2] / "data-raw" / "claims" / "paper2026.csv"


def crosscheck(claims=None, results=None, statcheck: bool | None = None, untargeted=None) -> pd.DataFrame:
    """Cross-check the claims (a path or DataFrame; default: the seed paper) at levels 1 and 2,
    and at level 3 against `results` (an analysis `Results` or a dict of its tables) when given.

    `statcheck`: append R statcheck's verdict to the note of each level-1 p row it can check
    (default: when Rscript and the statcheck package are available; True: required).

    `untargeted`: claim id -> reason for claims the level-3 data set was never fitted to (for the
    bundled reconstruction: `reconstruction_untargeted()`, its four bootstrap CI bounds); their
    level-3 rows are `not_checkable`."""
    claims = read_claims(claims if claims is not None else default_claims_path())
    rows2 = level2_rows(claims)
    has_l2 = {r["claim_id"] for r in rows2}
    # a level-1 'not_checkable' is noise when level 2 has something to say about the claim
    rows1 = [r for r in level1_rows(claims) if not (r["verdict"] == "not_checkable" and r["claim_id"] in has_l2)]
    rows = rows1 + rows2
    if statcheck is not False:
        _add_statcheck(claims, rows1, required=bool(statcheck))
    if results is not None:
        # infeasible for any data set: proved impossible at level 2, or inconsistent with its own
        # printed companions at level 1 (e.g. a Table A-1 p that the printed W cannot give)
        infeasible = {r["claim_id"]: "Level 2 shows no complete-ranking data set can reproduce the printed value."
                      for r in rows2 if r["verdict"] == "infeasible"}
        for r in rows1:
            if r.get("feasible_alone"):
                continue  # inconsistent only with a companion that is the odd one out (e.g. U beside r_rb and p)
            if r["verdict"] in ("inconsistent", "decision_error") and r["claim_id"] not in infeasible:
                infeasible[r["claim_id"]] = ("Level 1 shows the printed value does not follow from its printed companions, "
                                             "so no data set reproduces it together with them.")
        rows += level3_rows(claims, results, infeasible, untargeted)
    ids = claims.set_index("claim_id")
    for r in rows:
        if r["level"] == 1 and not r.get("test_type") and r["claim_id"] in ids.index:
            c = ids.loc[r["claim_id"]]
            r["test_type"] = _QUANTITY_TYPE.get(c["quantity"], c["quantity"])
            try:
                r["value"] = float(c["reported"])
            except ValueError:
                pass
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["one_tailed"] = out["one_tailed"].astype("boolean").fillna(False).astype(bool)
    order = {cid: i for i, cid in enumerate(claims["claim_id"])}
    out["_o"] = out["claim_id"].map(order)
    out = out.sort_values(["level", "_o"], kind="stable").drop(columns="_o").reset_index(drop=True)
    return out


def reconstruction_untargeted() -> dict[str, str]:
    """Claims the bundled reconstruction's search never targeted, with the reason, from its fit
    table (data-raw/paper2026_reconstruction_fit.csv, rows with kind `untargeted`)."""
    path = Path(__file__).resolve().parents[2] / "data-raw" / "paper2026_reconstruction_fit.csv"
    if not path.exists():
        return {}
    fit = pd.read_csv(path, dtype=str, keep_default_na=False)
    out = {r["claim_id"]: f"the reconstruction's search never targeted it ({r['reason']})."
           for _, r in fit[fit["kind"] == "untargeted"].iterrows()}
    # claims added to the claims file after the search was run are not in its fit table
    claims = read_claims(default_claims_path())
    for cid in sorted(set(claims["claim_id"]) - set(fit["claim_id"])):
        out[cid] = ("the reconstruction's search never targeted it: the claim was added to the claims file after the "
                    "search was run (data-raw/reconstruct_paper.py regenerates the fit with it).")
    return out


def _add_statcheck(claims, rows1, required: bool) -> None:
    from pyvalues.crosscheck.statcheck import run_statcheck
    from pyvalues.errors import PyvaluesError

    try:
        sc = run_statcheck(claims)
    except PyvaluesError:
        if required:
            raise
        return
    by_id = {r["claim_id"]: r for _, r in sc.iterrows()}
    for row in rows1:
        s = by_id.get(row["claim_id"])
        if s is None:
            continue
        src = f"'{s['text']}'" + (" (chi-square derived from W)" if s["derived"] else "")
        if s["statcheck_verdict"] == "not parsed":
            row["note"] += f" R statcheck could not parse {src}."
        else:
            row["note"] += f" R statcheck on {src}: {s['statcheck_verdict']} (computed p = {s['statcheck_p']:.4g})."
            theirs = s["statcheck_verdict"].replace("error", "inconsistent").replace("decision inconsistent", "decision_error")
            if theirs != row["verdict"]:
                from pyvalues.crosscheck.statcheck import _why_differ
                why = ("statcheck reads the chi-square we derived from W, rounded to two decimals; ours uses W's own rounding interval."
                       if s["derived"] else _why_differ(row, theirs))
                row["note"] += f" Why they differ: {why}"
