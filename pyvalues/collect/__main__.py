"""python -m pyvalues.collect CONFIG [--store PATH] [--jsonl PATH] [--ranktable PATH]"""
from __future__ import annotations

import argparse
import sys

from ..errors import PyvaluesError
from . import manifest_path, run


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m pyvalues.collect",
        description="Collect value rankings from the models of a TOML run config. Rerunning the same "
                    "command resumes: only requests without a successful answer are sent.")
    ap.add_argument("config", help="TOML run config (see configs/paper-2026.toml)")
    ap.add_argument("--store", help="SQLite store (default: [run].store of the config, else CONFIG_STEM.sqlite)")
    ap.add_argument("--jsonl", help="JSONL export (default: beside the store, STORE_STEM.jsonl)")
    ap.add_argument("--ranktable", help="tidy rank table CSV (default: beside the store, STORE_STEM_ranktable.csv)")
    ap.add_argument("--no-parse", action="store_true", help="collect and export only")
    ap.add_argument("--quiet", action="store_true", help="no progress display")
    args = ap.parse_args(argv)
    try:
        summary, jsonl, csv, status = run(args.config, args.store, jsonl_path=args.jsonl,
                                          ranktable_path=args.ranktable, progress=not args.quiet,
                                          parse=not args.no_parse)
    except PyvaluesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary)
    print(f"attempts exported to {jsonl}")
    print(f"run manifest written to {manifest_path(summary.store_path)}")
    if csv is not None:
        print(f"rank table written to {csv}")
        print("parse status per model:")
        print(status.to_string(index=False))
    return 0 if summary.complete else 1


if __name__ == "__main__":
    raise SystemExit(main())
