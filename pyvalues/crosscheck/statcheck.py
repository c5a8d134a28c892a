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
