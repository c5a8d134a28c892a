"""python -m pyvalues.collect CONFIG [--store PATH] [--models PATTERN ...] [--dry-run] ...

The command line of collection (collect, export, parse, write the rank table), above the
stages it joins; ``pyvalues/collect/__main__.py`` only calls :func:`main`."""
from __future__ import annotations

import argparse
import os
import sys
import threading

from ..collect import manifest_path, plan
from ..collect.runner import BATCH_PRICE_FACTOR, CollectInterrupted
from ..errors import PyvaluesError
from . import collect_and_parse

EXIT_CODES = """exit status:
  0    every planned request has a final answer (answered or refused); for --dry-run: the plan was printed
  1    some requests failed or were not sent (see the summary); rerun the same command to resume
  2    bad config or arguments (one line on stderr says what, where and how to fix it); nothing was sent
  130  interrupted (Ctrl-C); every stored answer is kept; rerun the same command to resume
"""


def _parser():
    return argparse.ArgumentParser(
        prog="python -m pyvalues.collect",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Collect value rankings from the models of a TOML run config. Rerunning the same "
                    "command resumes: only requests without a final answer (answered or refused) are sent.",
        epilog="store: by default [run].store of the config (relative to the config file), else "
               "CONFIG_STEM.sqlite in the current directory; the JSONL export, the rank table and the "
               "manifest are written beside it.\n\n" + EXIT_CODES)


def main(argv=None) -> int:
    ap = _parser()
    ap.add_argument("config", help="TOML run config (see configs/paper-2026.toml)")
    ap.add_argument("--store", help="SQLite store (default: [run].store of the config, else CONFIG_STEM.sqlite "
                                    "in the current directory)")
    ap.add_argument("--jsonl", help="JSONL export (default: beside the store, STORE_STEM.jsonl)")
    ap.add_argument("--ranktable", help="tidy rank table CSV (default: beside the store, STORE_STEM_ranktable.csv)")
    ap.add_argument("--models", action="append", metavar="PATTERN",
                    help="collect only the models whose name matches this glob (case-insensitive, e.g. "
                         "'GPT*' or 'DeepSeek-*'); repeat for several; default: every enabled model")
    ap.add_argument("--dry-run", action="store_true",
                    help="print per model the requests a run would send (new vs already stored), estimated "
                         "tokens, the mode (sync or batch) and, where the config gives prices, the cost (batch "
                         "mode at the batch rate); send and write nothing")
    ap.add_argument("--no-parse", action="store_true", help="collect and export only")
    ap.add_argument("--quiet", action="store_true", help="no progress display")
    args = ap.parse_args(argv)
    if args.dry_run:
        return _dry_run(args)
    try:
        summary, jsonl, csv, status = collect_and_parse(args.config, args.store, jsonl_path=args.jsonl,
                                          ranktable_path=args.ranktable, progress=not args.quiet,
                                          parse=not args.no_parse, models=args.models)
    except PyvaluesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except CollectInterrupted as exc:
        print(exc.summary)
        print(exc.message, file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        if threading.active_count() > 1:  # requests left in flight by a second Ctrl-C: do not wait for them
            os._exit(130)
        return 130
    except KeyboardInterrupt:  # before or after the requests (reading the config, exporting)
        store = args.store or "the same store"
        print(f"interrupted (Ctrl-C); every stored attempt is kept; resume with: python -m pyvalues.collect "
              f"{args.config}" + (f" --store {args.store}" if args.store else "") + f" (store: {store})",
              file=sys.stderr)
        return 130
    print(summary)
    if jsonl is None:
        print("nothing was collected: no store, export, manifest or rank table written.")
        return 1
    print(f"attempts exported to {jsonl}")
    print(f"run manifest written to {manifest_path(summary.store_path)}")
    if csv is not None:
        print(f"rank table written to {csv}")
        print("parse status per model:")
        print(status.to_string(index=False))
    elif not args.no_parse:
        print("no answer in the store: no rank table written.")
    return 0 if summary.complete else 1


def _dry_run(args) -> int:
    try:
        config, store_path, table = plan(args.config, args.store, models=args.models)
    except PyvaluesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    import pandas as pd

    shown = table.copy()
    for c in ("max_output_tokens", "cost_usd", "max_cost_usd"):
        shown[c] = shown[c].map(lambda v: "-" if v is None or pd.isna(v) else v)
    print(f"dry run of {args.config}: {len(config.languages)} language(s) x {config.replicates} replicate(s) per "
          f"model; store {store_path}" + ("" if store_path.exists() else " (does not exist yet)"))
    print(shown.to_string(index=False))
    batch = table.loc[table["mode"] == "batch", "model"].tolist()
    if batch:
        print(f"batch mode ({len(batch)} of {len(table)} models: {', '.join(batch)}): sent through OpenAI's Batch "
              f"API / Anthropic's Message Batches, answers within 24 h, priced at {BATCH_PRICE_FACTOR:g} x the "
              f"configured prices")
    priced = table["cost_usd"].notna()
    line = (f"total: {int(table['requests'].sum())} requests, {int(table['stored'].sum())} stored, "
            f"{int(table['to_send'].sum())} to send; ~{int(table['input_tokens'].sum())} input and "
            f"~{int(table['output_tokens'].sum())} output tokens (estimates: 4 ASCII characters or 1 CJK "
            f"character per token; a 25-line answer per request; follow-ups not included)")
    print(line)
    if priced.any():
        print(f"cost: ~${table.loc[priced, 'cost_usd'].sum():.2f} at the estimates, at most "
              f"${table.loc[priced, 'max_cost_usd'].fillna(0).sum():.2f} if every answer used max_tokens "
              f"({int(priced.sum())} of {len(table)} models priced)")
    else:
        print("cost: no prices in the config (price_input_per_mtok / price_output_per_mtok, USD per million "
              "tokens, at [providers.NAME] or [[models]]).")
    print("dry run: nothing was sent and no file was written.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
