"""python -m pyvalues.parse RESPONSES.jsonl [--out TABLE.csv] [--policy drop|mean_unused]

Re-parses stored responses: prints a per-model summary of parse statuses and writes the
tidy rank table (and, with --diagnostics, one JSON line of diagnostics per response).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import PyvaluesError
from .table import INCOMPLETE_POLICIES, parse_responses, status_summary, to_rank_table


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pyvalues.parse", description=__doc__.split("\n\n")[1])
    ap.add_argument("responses", help="the collector's JSONL (one JSON object per attempt)")
    ap.add_argument("--out", help="rank table to write (.csv, .parquet or .rds); "
                                  "default: RESPONSES with suffix _ranks.csv")
    ap.add_argument("--policy", choices=INCOMPLETE_POLICIES, default="drop",
                    help="incomplete rankings: drop them (default) or give missing terms the mean "
                         "of the unused ranks")
    ap.add_argument("--diagnostics", help="also write per-response diagnostics as JSONL here")
    args = ap.parse_args(argv)
    src = Path(args.responses)
    out = Path(args.out) if args.out else src.with_name(src.stem + "_ranks.csv")
    try:
        parsed = parse_responses(src)
        table = to_rank_table(parsed, policy=args.policy,
                              provenance=f"parsed from {src.name} by pyvalues.parse "
                                         f"(incomplete_policy={args.policy})")
        summary = status_summary(parsed)
        from ..ranktable import write_rank_table

        write_rank_table(table, out)
        if args.diagnostics:
            with open(args.diagnostics, "w", encoding="utf-8") as fh:
                for r in parsed:
                    fh.write(json.dumps({
                        "model": r.model, "language": r.language, "replicate": r.replicate,
                        "line": r.line, "status": r.status,
                        "parsed": r.parsed.to_dict() if r.parsed is not None else None,
                    }, ensure_ascii=False) + "\n")
    except PyvaluesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{len(parsed)} response(s) from {src}")
    print(summary.to_string(index=False))
    n_rankings = table.groupby(["model", "language", "replicate"]).ngroups if len(table) else 0
    print(f"wrote {len(table)} rows ({n_rankings} rankings, incomplete_policy={args.policy}) to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
