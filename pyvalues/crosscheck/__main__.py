"""python -m pyvalues.crosscheck [--claims PATH] [--data NAME_OR_PATH] [--out DIR]

Levels 1 and 2 from the claims file alone; level 3 when --data names a data set to analyse
(`paper2026_reconstruction`, a bundled name, or a rank-table CSV). Prints a summary;
with --out writes DIR/crosscheck.csv and DIR/crosscheck.md.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pyvalues.crosscheck import crosscheck, default_claims_path
from pyvalues.crosscheck.report import to_markdown
from pyvalues.errors import PyvaluesError


def _results(data: str):
    from pyvalues import analysis, datasets
    from pyvalues.ranktable import read_rank_table

    if data in datasets.DATASETS:
        table = datasets.load(data)
    else:
        table = read_rank_table(Path(data))
    return analysis.run(table, parity=False, reported=False), table.attrs.get("provenance", data)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pyvalues.crosscheck", description=__doc__.split("\n\n")[1])
    ap.add_argument("--claims", default=str(default_claims_path()), help="claims CSV (default: the seed paper's)")
    ap.add_argument("--data", default=None, help="data set for level 3: a bundled name or a rank-table CSV")
    ap.add_argument("--out", default=None, help="directory for crosscheck.csv and crosscheck.md")
    ap.add_argument("--no-statcheck", action="store_true", help="do not run R's statcheck beside level 1")
    args = ap.parse_args(argv)
    try:
        results, provenance = (None, "")
        if args.data:
            results, provenance = _results(args.data)
        table = crosscheck(args.claims, results, statcheck=False if args.no_statcheck else None)
    except PyvaluesError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / "crosscheck.csv", index=False, lineterminator="\n")
        source = f"Claims: `{args.claims}`." + (f" Level-3 data: {provenance}." if provenance else "")
        (out / "crosscheck.md").write_text(to_markdown(table, source=source) + "\n", encoding="utf-8")
        print(f"wrote {out / 'crosscheck.csv'} and {out / 'crosscheck.md'}")
    counts = table.groupby(["level", "verdict"]).size()
    print(f"claims: {args.claims}")
    if provenance:
        print(f"level 3 data: {provenance}")
    for (lv, v), n in counts.items():
        print(f"  level {lv}  {v:<15} {n:>4}")
    for _, r in table[table["verdict"].isin(["inconsistent", "decision_error", "infeasible"])].iterrows():
        print(f"  [{r['level']}] {r['verdict']:<14} {r['claim_id']}: {r['note'][:160]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
