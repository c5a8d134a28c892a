"""R's statcheck (Nuijten & Epskamp) beside our level-1 verdicts.

statcheck recomputes p from t, F, chi-square, r and z results written in APA style. We write
each printed F and t result of the claims file in that style, and each Kendall's W as the
Friedman chi-square it implies (chi2(n - 1) = m (n - 1) W, two decimals; marked as derived,
since the paper prints W, not chi-square), run statcheck::statcheck() in the process's R
session (pyvalues.rbridge: the same R the analysis uses, not a second one), and return its
verdicts. U, W itself and effect sizes are outside statcheck's scope.
"""
from __future__ import annotations

import pandas as pd

from pyvalues.crosscheck.claims import claim_number
from pyvalues.errors import RSetupError

__all__ = ["statcheck_inputs", "run_statcheck"]

_R = r"""
function(inp) {
  x <- setNames(inp$text, inp$claim_id)
  r <- suppressMessages(statcheck::statcheck(x, messages = FALSE, AllPValues = FALSE))
  if (is.null(r) || !nrow(r)) r <- data.frame(source = character(), raw = character(), computed_p = numeric(),
                                              error = logical(), decision_error = logical())
  data.frame(source = as.character(r$source), raw = as.character(r$raw), computed_p = r$computed_p,
             error = r$error, decision_error = r$decision_error, stringsAsFactors = FALSE)
}
"""


def _p_text(pc) -> str:
    v = str(pc["reported"]).lstrip("0") if str(pc["reported"]).startswith("0.") else str(pc["reported"])
    rel = pc["relation"] if pc["relation"] in ("<", ">", "=") else "="
    return f"p {rel} {v}"


def statcheck_inputs(claims: pd.DataFrame) -> pd.DataFrame:
    """APA-style strings for the p-value claims statcheck can check: claim_id (of the p row), text, derived."""
    rows = []
    for comp, g in claims[claims["companion"] != ""].groupby("companion", sort=False):
        q = {c["quantity"]: c for _, c in g.iterrows()}
        if "p" not in q:
            continue
        pc = q["p"]
        if "F" in q and pd.notna(q["F"]["df1"]):
            f = q["F"]
            rows.append((pc["claim_id"], f"F({f['df1']:g}, {f['df2']:g}) = {f['reported']}, {_p_text(pc)}", False))
        elif "t" in q and "df" in q:
            rows.append((pc["claim_id"], f"t({q['df']['reported']}) = {q['t']['reported']}, {_p_text(pc)}", False))
        elif "W" in q and pd.notna(q["W"]["n1"]):
            w = q["W"]
            m, n = int(w["n1"]), int(w["n2"])
            chisq = m * (n - 1) * claim_number(w)
            rows.append((pc["claim_id"], f"chi2({n - 1}) = {chisq:.2f}, {_p_text(pc)}", True))
    return pd.DataFrame(rows, columns=["claim_id", "text", "derived"])


def run_statcheck(claims: pd.DataFrame) -> pd.DataFrame:
    """statcheck's verdict per p claim: claim_id, text, derived, statcheck_p, statcheck_verdict."""
    from pyvalues import rbridge

    inputs = statcheck_inputs(claims)
    session = rbridge.session()
    if not session.eval('isTRUE(requireNamespace("statcheck", quietly = TRUE))')[0]:
        raise RSetupError("the R package statcheck is missing: apt-get install r-cran-statcheck "
                          "(or in R: install.packages('statcheck'))")
    res = session.call_code(_R, inputs[["claim_id", "text"]])
    res = res.rename(columns={"source": "claim_id", "computed_p": "statcheck_p"})
    out = inputs.merge(res, on="claim_id", how="left")

    def verdict(r):
        if pd.isna(r.get("statcheck_p")):
            return "not parsed"
        if bool(r["decision_error"]):
            return "decision error"
        return "error" if bool(r["error"]) else "consistent"

    out["statcheck_verdict"] = out.apply(verdict, axis=1)
    return out[["claim_id", "text", "derived", "statcheck_p", "statcheck_verdict"]]


_R_TEXT = r"""
function(inp) {
  x <- setNames(inp$text, inp$id)
  r <- suppressMessages(statcheck::statcheck(x, messages = FALSE, OneTailedTxt = TRUE, AllPValues = FALSE))
  if (is.null(r) || !nrow(r)) r <- data.frame(source = character(), test_type = character(), test_value = numeric(),
                                              reported_p = numeric(), raw = character(), computed_p = numeric(),
                                              error = logical(), decision_error = logical())
  data.frame(source = as.character(r$source), test_type = as.character(r$test_type), test_value = r$test_value,
             reported_p = r$reported_p, raw = as.character(r$raw), computed_p = r$computed_p,
             error = r$error, decision_error = r$decision_error, stringsAsFactors = FALSE)
}
"""

# our test types that statcheck reads, and its names for them
_SC_TYPE = {"t": "t", "F": "F", "r": "r", "chi2": "Chi2", "chi2_F": "Chi2", "H": "Chi2", "z": "Z", "Q": "Q"}


def _sc_verdict(r) -> str:
    if bool(r["decision_error"]):
        return "decision_error"
    return "inconsistent" if bool(r["error"]) else "consistent"


def _apa(row, m_raters: int | None = None) -> str | None:
    """Our reading of a text-route p row written in APA style for statcheck."""
    tt = row["test_type"]
    if tt == "W" and m_raters and pd.notna(row.get("df1")) and pd.notna(row.get("p_reported")):
        # Kendall's W as the Friedman chi-square it implies, chi2(n - 1) = m (n - 1) W (derived, two decimals)
        chisq = m_raters * row["df1"] * row["value"]
        prel = {"<=": "<", ">=": ">"}.get(row["p_comparison"], row["p_comparison"])
        p_txt = f"{row['p_reported']:.10g}".lstrip("0")
        return f"chi2({row['df1']:g}) = {chisq:.2f}, p {prel} {p_txt}"
    if tt not in _SC_TYPE or pd.isna(row.get("p_reported")):
        return None
    st = str(row["statistic"])
    val = row["value"]
    import re
    m = re.search(r"(<=|>=|=|<|>)\s*([-+]?\d*\.?\d+)", st)  # the statistic's printed digits
    v_txt = m.group(2) if m else f"{val:g}"
    p_txt = f"{row['p_reported']:.10g}".lstrip("0") if row["p_reported"] < 1 else f"{row['p_reported']:g}"
    pm = re.search(r"p\s*(<=|>=|=|<|>)\s*(\d?\.\d+)", st)
    if pm:
        p_txt = pm.group(2)
    prel = {"<=": "<", ">=": ">"}.get(row["p_comparison"], row["p_comparison"])
    df1 = row["df1"]
    if tt == "F":
        head = f"F({df1:g}, {row['df2']:g})"
    elif tt in ("chi2", "chi2_F", "H"):
        head = f"chi2({df1:g})"
    elif tt == "z":
        head = "z"
    else:
        head = f"{tt}({df1:g})"
    tail = " (one-tailed)" if "[one-tailed per text]" in st else ""
    return f"{head} = {v_txt}, p {prel} {p_txt}{tail}"


def add_statcheck_to_text(table: pd.DataFrame, text: str) -> None:
    """Beside each text-route p row of a test statcheck reads (t, F, r, chi2, z, Q), add to the
    note: whether statcheck found the result in the raw text by itself, statcheck's verdict on
    our APA rendering of the result, and why it differs from ours when it does."""
    from pyvalues import rbridge

    session = rbridge.session()
    if not session.eval('isTRUE(requireNamespace("statcheck", quietly = TRUE))')[0]:
        raise RSetupError("the R package statcheck is missing: apt-get install r-cran-statcheck "
                          "(or in R: install.packages('statcheck'))")
    m_raters = table.attrs.get("design", {}).get("m")
    rows = [(i, _apa(r, m_raters)) for i, r in table.iterrows() if r["claim_id"].endswith("_p")]
    rows = [(i, a) for i, a in rows if a]
    inp = pd.DataFrame({"id": ["raw"] + [str(i) for i, _ in rows], "text": [text] + [a for _, a in rows]})
    res = session.call_code(_R_TEXT, inp)
    raw = res[res["source"] == "raw"]
    table.attrs["statcheck_raw"] = raw.reset_index(drop=True)
    mine = {r["source"]: r for _, r in res[res["source"] != "raw"].iterrows()}
    for i, apa in rows:
        s = mine.get(str(i))
        r = table.loc[i]
        if r["test_type"] == "W":
            if s is None:
                continue
            sv = _sc_verdict(s)
            table.at[i, "note"] = (f"{r['note']} R statcheck on the chi-square derived from W ('{apa}', m = {m_raters}): {sv} "
                                   f"(computed p = {s['computed_p']:.4g})."
                                   + ("" if sv == r["verdict"] else " Why they differ: statcheck reads the derived chi-square rounded "
                                      "to two decimals; ours uses W's own rounding interval."))
            continue
        own = raw[(raw["test_type"] == _SC_TYPE[r["test_type"]]) & ((raw["test_value"] - abs(r["value"])).abs() < 1e-9)
                  & ((raw["reported_p"] - r["p_reported"]).abs() < 1e-9)]
        read = "R statcheck reads this result in the raw text itself" if len(own) else \
            "R statcheck does not find this result in the raw text (it reads only APA-style t, F, r, chi2, z, Q without LaTeX, split dfs or words between statistic and p)"
        if s is None:
            table.at[i, "note"] = f"{r['note']} {read}; it could not parse our rendering '{apa}'."
            continue
        sv = _sc_verdict(s)
        why = ""
        if sv != r["verdict"]:
            why = " Why they differ: " + _why_differ(r, sv)
        table.at[i, "note"] = (f"{r['note']} {read}; statcheck on '{apa}': {sv} (computed p = {s['computed_p']:.4g})."
                               + ("" if sv == r["verdict"] else why))
    table.attrs["statcheck_rendered"] = len(rows)


def _why_differ(r, sv: str) -> str:
    note = str(r["note"])
    if "Jointly with the printed t and df" in note or "Over the rounding box" in note:
        if r["verdict"] != "consistent":
            return ("we also check the printed t, df and p against the printed means and SDs (Welch), and read a df printed "
                    "with decimals or as approximate as an interval; statcheck reads t, df and p alone.")
        return "we read the df printed as approximate or with decimals as an interval, statcheck as an exact value."
    if r["test_type"] in ("chi2_F", "H"):
        return "statcheck reads it as a plain chi-square; any difference comes from the statistic's rounding at the boundary."
    if r.get("one_tailed"):
        return "we accept the one-tailed p where the sentence says one-sided (statcheck looks at the whole text)."
    return ("at the rounding boundary: we use half-open intervals [v - h, v + h) for the statistic and the printed p, "
            "statcheck closed intervals and R's round().")
