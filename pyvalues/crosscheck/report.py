"""A readable Markdown version of a cross-check table."""
from __future__ import annotations

import pandas as pd

__all__ = ["to_markdown"]

_LEVEL = {
    1: "Level 1 — each reported result on its own",
    2: "Level 2 — against the stated design",
    3: "Level 3 — against the reconstruction",
}


def _cell(x) -> str:
    return str(x).replace("|", "\\|").replace("\n", " ")


def to_markdown(table: pd.DataFrame, title: str = "Cross-check of the reported statistics", source: str = "") -> str:
    lines = [f"# {title}", ""]
    if source:
        lines += [source, ""]
    counts = table.groupby(["level", "verdict"]).size().unstack(fill_value=0)
    lines += ["## Summary", "", "| level | " + " | ".join(counts.columns) + " |", "|---|" + "---|" * len(counts.columns)]
    for lv, r in counts.iterrows():
        lines.append(f"| {lv} | " + " | ".join(str(int(v)) for v in r) + " |")
    lines.append("")
    flagged = table[table["verdict"].isin(["inconsistent", "decision_error", "infeasible"])]
    if len(flagged):
        lines += ["## Findings (inconsistent, decision error, infeasible)", ""]
        for _, r in flagged.iterrows():
            lines.append(f"- **{r['claim_id']}** (level {r['level']}, {r['verdict']}; {r['location']}): {r['note']}")
        lines.append("")
    for lv in sorted(table["level"].unique()):
        sub = table[table["level"] == lv]
        lines += [f"## {_LEVEL.get(int(lv), f'Level {lv}')}", "",
                  "| claim | location | printed | reported | recomputed | verdict | note |", "|---|---|---|---|---|---|---|"]
        for _, r in sub.iterrows():
            lines.append("| " + " | ".join(_cell(r[c]) for c in ("claim_id", "location", "statistic", "reported", "recomputed", "verdict", "note")) + " |")
        lines.append("")
    return "\n".join(lines)
