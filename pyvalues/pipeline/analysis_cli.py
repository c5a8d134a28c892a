"""``python -m pyvalues.analysis [--data PATH] [--out DIR]``: run every analysis.

The command line's wiring (check the options, run, put the paper's values beside ours,
write tables, figures and report) lives here, above the stages it joins;
``pyvalues/analysis/__main__.py`` only calls :func:`main`.

Without ``--data`` it analyses the bundled default data set, the paper-consistent
reconstruction (labelled as such everywhere: it is not the authors' raw data).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from ..errors import PyvaluesError


def check_out_dir(out: Path) -> str | None:
    """Why results cannot be written to `out` (None when they can): checked before any computing,
    by creating the folder and a probe file in it, so that a bad --out never costs a run."""
    if out.exists() and not out.is_dir():
        return f"--out {out}: this is a file, not a folder; give a folder to write the results into (it is created if missing)"
    parent = next((p for p in [out, *out.parents] if p.exists()), None)
    if parent is not None and not parent.is_dir():
        return f"--out {out}: {parent} is a file, so no folder can be made under it; choose another --out"
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".pyvalues-write-test-", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return (f"--out {out}: cannot write there ({exc.strerror or exc}); choose a folder you can write to, "
                "e.g. --out out/analysis")
    return None


def check_options(args) -> list[str]:
    """Problems with the numeric options, one line each (before any computing)."""
    problems = []
    if args.k is not None and args.k < 2:
        problems.append(f"--k {args.k}: the number of clusters must be at least 2")
    if args.nboot < 10:
        problems.append(f"--nboot {args.nboot}: pvclust needs at least 10 bootstrap replications (default 1000)")
    if args.cores < 1:
        problems.append(f"--cores {args.cores}: give 1 (serial) or more worker processes")
    return problems


def check_groups(groups, table) -> str | None:
    """Unknown --groups names, with the countries the table has."""
    if not groups:
        return None
    present = sorted(table["country"].unique())
    unknown = [g for g in groups if g not in present]
    if groups[0] == groups[1]:
        return f"--groups {groups[0]} {groups[1]}: give two different countries; the table has {', '.join(present)}"
    if unknown:
        return (f"--groups {' '.join(groups)}: {', '.join(unknown)} not in the table's countries "
                f"({', '.join(present)}); name two of those")
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m pyvalues.analysis",
        description="Run every analysis of the seed paper on a rank table (R via rpy2) and write the results.",
    )
    ap.add_argument("--data", help="rank table (.csv, .parquet, .rds) or a bundled data set's name; "
                    "default: paper2026_reconstruction (reconstructed, not raw data)")
    ap.add_argument("--out", default="out/analysis", help="output folder (default: out/analysis)")
    ap.add_argument("--no-figures", action="store_true", help="write tables only (no figures, no HTML report)")
    ap.add_argument("--labels", choices=["en", "zh"], default=None,
                    help="labels of the figures: English (default) or Chinese (needs fonts-noto-cjk)")
    ap.add_argument("--language", choices=["en", "zh"], default=None, help="deprecated spelling of --labels")
    ap.add_argument("--prompt-language", metavar="CODE",
                    help="analyse only the rankings with this prompt language (e.g. zh)")
    ap.add_argument("--by-language", action="store_true",
                    help="also write the full set of results for each prompt language into OUT/language_<code>/ "
                    "(the pooled set stays in OUT)")
    ap.add_argument("--groups", nargs=2, metavar=("FIRST", "SECOND"), help="the two countries to compare, first one first (default: the two with the most models)")
    ap.add_argument("--k", type=int, default=None, help="number of clusters (default 4)")
    ap.add_argument("--nboot", type=int, default=1000, help="pvclust bootstrap replications (default 1000)")
    ap.add_argument("--cores", type=int, default=1,
                    help="local R worker processes for the bootstrap (default 1: serial; AU/BP then depend "
                    "on the number of workers, as pvclust's parallel random streams do)")
    ap.add_argument("--cluster", metavar="N|HOST,HOST,...",
                    help="R workers for the bootstrap: a number of local workers, or host names (one PSOCK "
                    "worker each, over passwordless ssh; see the README). Overrides --cores")
    ap.add_argument("--engine", choices=["pyvalues", "pvclust"], default="pyvalues",
                    help="multiscale bootstrap: pyvalues (default; pvclust's exact numbers, faster) or pvclust")
    ap.add_argument("--seed", type=int, default=2026, help="seed of every resampling step (default 2026)")
    ap.add_argument("--no-parity", action="store_true", help="skip the Python twins and the parity table")
    ap.add_argument("--invalid-rankings", choices=["error", "drop"], default="error",
                    help="what to do with a ranking that is not a permutation of 1..25 (default: error)")
    ap.add_argument("--formats", default="png",
                    help="figure file formats, comma-separated: png (default), pdf, svg; e.g. --formats png,pdf")
    ap.add_argument("--quiet", action="store_true", help="no progress output (bars on a terminal, lines otherwise)")
    ap.add_argument("--show-r-console", action="store_true", help="print what R printed")
    args = ap.parse_args(argv)
    if args.language is not None:
        print("warning: --language is deprecated: it only ever chose the figures' labels; use --labels "
              f"{args.language} (--prompt-language selects the rankings' language)", file=sys.stderr)
    labels = args.labels or args.language or "en"
    if args.by_language and args.prompt_language:
        ap.error("--by-language and --prompt-language exclude each other: the first writes every language")

    from .. import datasets, rbridge
    from ..analysis import run
    from ..ranktable import read_rank_table
    from . import beside_paper, beside_paper_tables

    def fail(message: str) -> int:
        print(f"error: {message}", file=sys.stderr)
        return 2

    # everything that can be checked is checked before any computing (exit 2, one line each)
    problems = check_options(args)
    from ..figure_workers import FigureWorkers, Progress, check_formats, collect, default_workers, submit

    try:
        formats = check_formats(args.formats)
    except PyvaluesError as exc:
        problems.append(f"--formats {args.formats}: {exc}")
    out = Path(args.out)
    bad_out = check_out_dir(out)
    if bad_out:
        problems.append(bad_out)
    if problems:
        for p in problems:
            print(f"error: {p}", file=sys.stderr)
        return 2
    # figure workers start now and import matplotlib while R computes; this process never
    # imports matplotlib nor forks (it embeds R)
    # the workers also compute the Python twins and the paper's values beside ours: the fork
    # server imports what they need once (scipy), this process never does
    on_paper = args.data in (None, datasets.DEFAULT_DATASET)
    preload = ([] if args.no_parity else ["pyvalues.analysis.twins"]) + (["pyvalues.crosscheck"] if on_paper else [])
    workers = (FigureWorkers(default_workers(), preload=preload)
               if not args.no_figures and default_workers() > 1 else None)
    try:
        if args.data is None or args.data in datasets.DATASETS:
            table = datasets.load(args.data or datasets.DEFAULT_DATASET)
        else:
            table = read_rank_table(args.data, invalid_rankings=args.invalid_rankings)
        bad_groups = check_groups(args.groups, table)
        if bad_groups:
            return fail(bad_groups)
        languages = sorted(table["language"].astype(str).unique())
        if args.prompt_language and args.prompt_language not in languages:
            return fail(f"--prompt-language {args.prompt_language}: the table has no rankings in that language; "
                        f"its languages are {', '.join(languages)}")
        n_models = table["model"].nunique()
        if args.k is not None and args.k >= n_models:
            return fail(f"--k {args.k}: the table has {n_models} models, so at most {n_models - 1} clusters")
        from ..progress import Progress as StepProgress

        step_progress = None if args.quiet else StepProgress()
        reconstruction = table.attrs.get("dataset") == "paper2026_reconstruction"
        started = {}  # the workers start on the paper's values and the figures as soon as R's tables are back

        def after_r(r_results) -> None:
            if reconstruction:  # first in the workers' queue: it reads R's tables only
                started["beside"] = workers.submit(beside_paper_tables, r_results)
            started["figures"] = submit(r_results, out / "figures", language=labels, formats=formats,
                                        workers=workers)

        results = run(table, groups=tuple(args.groups) if args.groups else None, k=args.k or 4,
                      nboot=args.nboot, seed=args.seed, parity=not args.no_parity,
                      parallel=args.cores if args.cores > 1 else False, cluster=args.cluster,
                      engine=args.engine, progress=False if step_progress is None else step_progress,
                      language=args.prompt_language, workers=workers,
                      after_r=after_r if workers is not None else None)
        if reconstruction:  # the paper's values beside ours: an explicit step, taken on its reconstruction
            beside_paper(results, job=started.get("beside"))
        t_figures = time.perf_counter()
        # the workers draw while this process writes the tables and prints the summary
        job = started.get("figures")
        written = results.to_dir(out)
        print(results.summary())
        print()
        from ..report import write_report

        if not args.no_figures:
            progress = Progress(0, "figures", quiet=args.quiet)  # collect() sets the number of figures
            if job is not None:
                figures = collect(job, progress)
            else:
                from ..figures import draw_all

                figures = draw_all(results, out / "figures", language=labels, formats=formats,
                                   progress=progress)
            report = write_report(results, out, figures=figures)
            print(f"Figures: {len(figures)} files in {out / 'figures'}; report: {report} "
                  f"(figures and report {time.perf_counter() - t_figures:.1f} s after the analysis"
                  + (", drawn while the tables were written)" if job is not None else ")"))
        else:
            report = write_report(results, out, figures=None)
            print(f"Report (tables only): {report}")
        print(f"Tables: {len([p for p in written if p.suffix == '.csv'])} CSV files and results.rds in {out}")
        print(f"Provenance: {results.provenance}")
        if args.by_language:
            from . import write_language_sets

            run_kwargs = dict(groups=tuple(args.groups) if args.groups else None, k=args.k or 4, nboot=args.nboot,
                              seed=args.seed, parity=not args.no_parity,
                              parallel=args.cores if args.cores > 1 else False)
            for code, folder, n in write_language_sets(table, out, run_kwargs=run_kwargs, labels=labels,
                                                       figures=not args.no_figures):
                print(f"Prompt language {code}: {n} CSV files, results.rds and report.html in {folder}")
        if args.show_r_console:
            print("\n--- R console ---\n" + rbridge.console())
    except PyvaluesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        console = getattr(exc, "console", "")
        if console:
            print("--- R console ---\n" + console, file=sys.stderr)
        return 2
    finally:
        if workers is not None:
            workers.close(cancel=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
