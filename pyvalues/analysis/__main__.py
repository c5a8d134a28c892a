"""``python -m pyvalues.analysis [--data PATH] [--out DIR]``: run every analysis.

Without ``--data`` it analyses the bundled default data set, the paper-consistent
reconstruction (labelled as such everywhere: it is not the authors' raw data).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import PyvaluesError


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m pyvalues.analysis",
        description="Run every analysis of the seed paper on a rank table (R via rpy2) and write the results.",
    )
    ap.add_argument("--data", help="rank table (.csv, .parquet, .rds) or a bundled data set's name; "
                    "default: paper2026_reconstruction (reconstructed, not raw data)")
    ap.add_argument("--out", default="out/analysis", help="output folder (default: out/analysis)")
    ap.add_argument("--no-figures", action="store_true", help="write tables only (no figures, no HTML report)")
    ap.add_argument("--language", choices=["en", "zh"], default="en",
                    help="labels of the figures: English (default) or Chinese (needs fonts-noto-cjk)")
    ap.add_argument("--groups", nargs=2, metavar=("FIRST", "SECOND"), help="the two countries to compare (default CN US)")
    ap.add_argument("--k", type=int, default=4, help="number of clusters (default 4)")
    ap.add_argument("--nboot", type=int, default=1000, help="pvclust bootstrap replications (default 1000)")
    ap.add_argument("--cores", type=int, default=1,
                    help="local R worker processes for the bootstrap (default 1: serial; AU/BP then depend "
                    "on the number of workers, as pvclust's parallel random streams do)")
    ap.add_argument("--cluster", metavar="N|HOST,HOST,...",
                    help="R workers for the bootstrap: a number of local workers, or host names (one PSOCK "
                    "worker each, over passwordless ssh; see the README). Overrides --cores")
    ap.add_argument("--engine", choices=["pyvalues", "pvclust"], default="pyvalues",
                    help="multiscale bootstrap: pyvalues (default; pvclust's exact numbers, faster) or pvclust")
    ap.add_argument("--quiet", action="store_true", help="no progress on stderr")
    ap.add_argument("--seed", type=int, default=2026, help="seed of every resampling step (default 2026)")
    ap.add_argument("--no-parity", action="store_true", help="skip the Python twins and the parity table")
    ap.add_argument("--invalid-rankings", choices=["error", "drop"], default="error",
                    help="what to do with a ranking that is not a permutation of 1..25 (default: error)")
    ap.add_argument("--show-r-console", action="store_true", help="print what R printed")
    args = ap.parse_args(argv)

    from .. import datasets, rbridge
    from ..ranktable import read_rank_table
    from . import run

    try:
        if args.data is None or args.data in datasets.DATASETS:
            table = datasets.load(args.data or datasets.DEFAULT_DATASET)
        else:
            table = read_rank_table(args.data, invalid_rankings=args.invalid_rankings)
        from ..progress import Progress

        progress = None if args.quiet else Progress()
        results = run(table, groups=tuple(args.groups) if args.groups else None, k=args.k,
                      nboot=args.nboot, seed=args.seed, parity=not args.no_parity,
                      parallel=args.cores if args.cores > 1 else False, cluster=args.cluster,
                      engine=args.engine, progress=False if progress is None else progress)
        out = Path(args.out)
        written = results.to_dir(out)
        print(results.summary())
        print()
        from ..report import write_report

        if not args.no_figures:
            from ..figures import draw_all

            figures = draw_all(results, out / "figures", language=args.language)
            report = write_report(results, out, figures=figures)
            print(f"Figures: {len(figures)} files in {out / 'figures'}; report: {report}")
        else:
            report = write_report(results, out, figures=None)
            print(f"Report (tables only): {report}")
        print(f"Tables: {len([p for p in written if p.suffix == '.csv'])} CSV files and results.rds in {out}")
        print(f"Provenance: {results.provenance}")
        if args.show_r_console:
            print("\n--- R console ---\n" + rbridge.console())
    except PyvaluesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        console = getattr(exc, "console", "")
        if console:
            print("--- R console ---\n" + console, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
