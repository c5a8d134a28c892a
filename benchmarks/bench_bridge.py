"""The bridge's overhead: the full analysis through pyvalues vs the same R code run by Rscript alone.

    .venv/bin/python benchmarks/bench_bridge.py [--repeats 3] [--data PATH]

On one rank table (the bundled default data set when it is present, else a generated
paper-shaped table of 20 models x 3 replicates, 11 CN / 9 US), written to a CSV that
both sides read:

* **fresh processes**, interleaved, ``--repeats`` times each (medians):
  ``python -m pyvalues.analysis --data CSV --no-figures --no-parity`` vs
  ``Rscript -e 'source R/*.R; res <- pv_analyse(read.csv(CSV))'``, and an Rscript that
  also writes what the CLI writes (each table as CSV and all in one .rds), like for like.
  Wall and CPU seconds; the ratios pyvalues / Rscript (target <= 1.10).
* **start-up**: bare ``Rscript``; Rscript + sourcing ``R/`` + loading afex, pvclust,
  effectsize, rstatix; ``import pyvalues.analysis`` alone; and Python + embedded R +
  the same sourcing and loading (what pyvalues pays before the first statistic).
* **in process**, in one fresh Python process after a warm-up call:
  ``pyvalues.analysis.run(table, parity=False)`` vs ``pv_analyse()`` timed inside the
  same embedded R (``system.time``); the difference is the bridge (Python validation +
  conversion both ways). Conversion alone: the rank table to R (``pandas2ri``), and
  ``pv_analyse()``'s result list back to pandas. Per family: ``rbridge.call(fname,
  table)`` vs the same R function timed inside R.

Figures go to ``benchmarks/results/bridge.csv``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import (PYTHON, RESULTS, ROOT, Rows, _become_subreaper, _reap_all, environment_note, median, run_timed,
                     write_generated)


def run_timed_tree(cmd: list[str]) -> tuple[float, float]:
    """run_timed, with the CPU of the processes the command leaves behind (the R worker of
    pv_analyse(overlap = TRUE)) counted too: they are reparented to this script (a subreaper)
    and reaped before the CPU is read."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, _ = run_timed(cmd)
    _reap_all()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

R_NAMESPACES = 'for (p in c("afex", "pvclust", "effectsize", "rstatix")) loadNamespace(p)'
FAMILIES = ["model_term_means", "model_dimension_scores", "dispersion_anova", "dispersion_posthoc",
            "dimension_tests", "mixed_anova", "term_tests", "correlation_pairs", "correlations",
            "concordance", "cluster_models"]


def r_source(root: Path) -> str:
    return (f'options(pyvalues.source_root = "{root.as_posix()}"); '
            f'for (f in sort(list.files("{root.as_posix()}/R", pattern = "[.]R$", full.names = TRUE))) source(f); ')


def bench_table(data: str | None, folder: Path) -> tuple[Path, str]:
    """The CSV both sides read, and a label of what it holds."""
    import pandas as pd  # noqa: F401

    from pyvalues import datasets

    folder.mkdir(parents=True, exist_ok=True)
    cols = ["model", "country", "language", "replicate", "term", "rank"]
    if data:
        from pyvalues.ranktable import read_rank_table

        table = read_rank_table(data)
        label = f"{data}"
    else:
        try:
            table = datasets.load(datasets.DEFAULT_DATASET)
            label = f"bundled {datasets.DEFAULT_DATASET}"
        except Exception:
            path = write_generated(20, folder)
            return path, "generated paper-shaped table, 20 models (11 CN, 9 US) x 3 replicates (bundled data set not built yet)"
    path = folder / "bridge_table.csv"
    table[cols].to_csv(path, index=False, lineterminator="\n")
    n = table["model"].nunique()
    return path, f"{label}, {n} models, {len(table)} rows"


# --------------------------------------------------------------------------- in process


def inprocess(csv: Path, repeats: int, out_json: Path) -> None:
    """Runs in its own fresh process; writes its figures as JSON rows."""
    overlap = "TRUE" if (os.cpu_count() or 1) >= 2 else "FALSE"  # as run() calls pv_analyse
    import warnings

    import pandas as pd

    warnings.simplefilter("ignore")
    res: list[tuple] = []
    t0 = time.perf_counter()
    import pyvalues.analysis as analysis
    from pyvalues import rbridge
    from pyvalues.ranktable import read_rank_table
    res.append(("in process: import pyvalues.analysis", "wall_s", time.perf_counter() - t0, "s", ""))

    t0 = time.perf_counter()
    rbridge.session()._ensure()
    res.append(("in process: start embedded R + source R/", "wall_s", time.perf_counter() - t0, "s",
                "rpy2 init, package checks, sourcing R/*.R"))
    t0 = time.perf_counter()
    rbridge.session().eval(f"invisible({{ {R_NAMESPACES} }})")
    res.append(("in process: load R namespaces", "wall_s", time.perf_counter() - t0, "s",
                "afex, pvclust, effectsize, rstatix"))

    table = read_rank_table(csv)
    t0 = time.perf_counter()
    analysis.run(table, parity=False, nboot=10, ci_nboot=100)
    res.append(("in process: warm-up run(nboot=10)", "wall_s", time.perf_counter() - t0, "s",
                "first call: loads the rest lazily"))

    import rpy2.robjects as ro
    from rpy2.robjects import default_converter, pandas2ri
    from rpy2.robjects.conversion import localconverter

    from pyvalues.ranktable import validate
    session = rbridge.session()
    validated = validate(table)
    with localconverter(default_converter + pandas2ri.converter):
        ro.globalenv[".bench_tab"] = rbridge._to_r(validated)
    ro.globalenv[".pv_env"] = session._env

    # alternate run() and the R-internal pv_analyse so that load drifts hit both alike
    run_wall, run_cpu, run_r, run_val, r_wall, r_cpu = [], [], [], [], [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        result = analysis.run(table, parity=False)
        run_wall.append(time.perf_counter() - t0)
        run_cpu.append(time.process_time() - c0)
        run_r.append(result.timings["r"])
        run_val.append(result.timings["validate"])
        t = ro.r(f"system.time(.bench_res <- .pv_env$pv_analyse(.bench_tab, overlap = {overlap}))")
        r_wall.append(float(t[2]))
        r_cpu.append(float(t[0]) + float(t[1]))
    note = f"median of {repeats}, after warm-up"
    res += [
        ("in process: run(table, parity=False)", "wall_s", median(run_wall), "s", note),
        ("in process: run(table, parity=False)", "cpu_s", median(run_cpu), "s", note + "; CPU of the Python process (R runs in it)"),
        ("in process: run() -> rbridge.call('pv_analyse')", "wall_s", median(run_r), "s", note + "; conversion included"),
        ("in process: run() -> Python validation", "wall_s", median(run_val), "s", note),
        ("in process: pv_analyse() timed inside R", "wall_s", median(r_wall), "s", note + "; same embedded R, no conversion"),
        ("in process: pv_analyse() timed inside R", "cpu_s", median(r_cpu), "s", note),
        ("in process: run() / pv_analyse() in R", "ratio_wall", median(run_wall) / median(r_wall), "x", "target <= 1.10"),
        ("in process: bridge time (run() - pv_analyse() in R)", "wall_s", median(run_wall) - median(r_wall), "s",
         "Python validation + conversion both ways + result assembly"),
    ]

    # conversion alone
    conv_in, conv_out = [], []
    for _ in range(max(5, repeats)):
        t0 = time.perf_counter()
        with localconverter(default_converter + pandas2ri.converter):
            rbridge._to_r(validated)
        conv_in.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        with localconverter(default_converter + pandas2ri.converter):
            back = rbridge._from_r(ro.globalenv[".bench_res"])
        conv_out.append(time.perf_counter() - t0)
    n_cells = sum(int(v.shape[0]) * int(v.shape[1]) for _, v in back.items() if hasattr(v, "shape"))
    res += [
        ("conversion: rank table pandas -> R", "wall_s", median(conv_in), "s", f"{len(validated)} rows x {validated.shape[1]} columns"),
        ("conversion: pv_analyse() result R -> pandas", "wall_s", median(conv_out), "s",
         f"{len(back)} tables, {n_cells} cells"),
    ]

    # per family: through the bridge vs inside R
    for fam in FAMILIES:
        kwargs = {"nboot": 100} if fam == "cluster_models" else {}
        r_args = ", nboot = 100" if fam == "cluster_models" else ""
        rbridge.call(f"pv_{fam}", validated, **kwargs)  # warm-up
        b, r = [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            rbridge.call(f"pv_{fam}", validated, **kwargs)
            b.append(time.perf_counter() - t0)
            t = ro.r(f"system.time(.pv_env$pv_{fam}(.bench_tab{r_args}))")
            r.append(float(t[2]))
        note = f"median of {repeats}" + ("; nboot=100" if kwargs else "")
        res += [
            (f"family {fam}: rbridge.call", "wall_s", median(b), "s", note),
            (f"family {fam}: inside R", "wall_s", median(r), "s", note),
            (f"family {fam}: bridge overhead", "overhead_s", median(b) - median(r), "s", "rbridge.call - inside R"),
        ]
    out_json.write_text(json.dumps(res))


# --------------------------------------------------------------------------- main


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--data", help="rank table to use (default: bundled data set, else a generated one)")
    ap.add_argument("--out", default=str(RESULTS / "bridge.csv"))
    ap.add_argument("--inprocess", nargs=3, metavar=("CSV", "REPEATS", "JSON"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.inprocess:
        inprocess(Path(args.inprocess[0]), int(args.inprocess[1]), Path(args.inprocess[2]))
        return 0

    rows = Rows("bridge")
    _become_subreaper()
    rows.add("environment", "load_average_1min_start", os.getloadavg()[0], "", environment_note())
    tmp = Path(tempfile.mkdtemp(prefix="pyvalues-bench-"))
    csv, label = bench_table(args.data, tmp)
    rows.add("table", "n_rows", float(sum(1 for _ in open(csv)) - 1), "rows", label)
    src = r_source(ROOT)
    r_out = (tmp / "r_out").as_posix()
    # the same R call as run() makes: the afex ANOVAs in a second R process on 2+ cores
    overlap = "TRUE" if (os.cpu_count() or 1) >= 2 else "FALSE"
    commands = {
        "pyvalues CLI": [PYTHON, "-m", "pyvalues.analysis", "--data", str(csv), "--no-figures", "--no-parity",
                         "--out", str(tmp / "cli_out")],
        "Rscript pv_analyse": ["Rscript", "-e", src + f'res <- pv_analyse(read.csv("{csv.as_posix()}"), overlap = {overlap})'],
        "Rscript pv_analyse + write": ["Rscript", "-e", src + f'res <- pv_analyse(read.csv("{csv.as_posix()}"), overlap = {overlap}); '
                                       f'dir.create("{r_out}", showWarnings = FALSE); '
                                       f'for (n in names(res)) write.csv(res[[n]], file.path("{r_out}", paste0(n, ".csv")), row.names = FALSE); '
                                       f'saveRDS(res, file.path("{r_out}", "results.rds"))'],
    }
    startup = {
        "Rscript bare": ["Rscript", "-e", "invisible(NULL)"],
        "Rscript + source R/ + namespaces": ["Rscript", "-e", src + R_NAMESPACES],
        "python import pyvalues.analysis": [PYTHON, "-c", "import pyvalues.analysis"],
        "python + embedded R + source R/ + namespaces": [
            PYTHON, "-c", "from pyvalues import rbridge; rbridge.session().eval('invisible({ "
            + R_NAMESPACES.replace('"', '\\"') + " })')"],
    }
    print(f"bridge: {label}; {args.repeats} interleaved fresh-process repeats ...", flush=True)
    times = {k: [] for k in [*commands, *startup]}
    for i in range(args.repeats):
        for name, cmd in [*commands.items(), *startup.items()]:
            times[name].append(run_timed_tree(cmd))
        print(f"  repeat {i + 1}: " + ", ".join(f"{k} {v[-1][0]:.2f}s" for k, v in times.items()), flush=True)
    med = {k: (median(w for w, _ in v), median(c for _, c in v)) for k, v in times.items()}
    note = f"fresh process, median of {args.repeats}"
    for name in [*commands, *startup]:
        rows.add(f"fresh: {name}", "wall_s", med[name][0], "s", note)
        rows.add(f"fresh: {name}", "cpu_s", med[name][1], "s", note)
    cli, rs, rw = med["pyvalues CLI"], med["Rscript pv_analyse"], med["Rscript pv_analyse + write"]
    rows.add("fresh: pyvalues CLI / Rscript pv_analyse", "ratio_wall", cli[0] / rs[0], "x", "target <= 1.10")
    rows.add("fresh: pyvalues CLI / Rscript pv_analyse", "ratio_cpu", cli[1] / rs[1], "x", "CPU time: less sensitive to load")
    rows.add("fresh: pyvalues CLI / Rscript pv_analyse + write", "ratio_wall", cli[0] / rw[0], "x", "like for like (both write CSVs + .rds)")
    rows.add("fresh: pyvalues CLI / Rscript pv_analyse + write", "ratio_cpu", cli[1] / rw[1], "x", "like for like")
    rows.add("fresh: start-up difference (python+R - Rscript)", "wall_s",
             med["python + embedded R + source R/ + namespaces"][0] - med["Rscript + source R/ + namespaces"][0], "s",
             "what pyvalues pays before the first statistic, over Rscript")

    print("bridge: in process ...", flush=True)
    out_json = tmp / "inprocess.json"
    subprocess.run([PYTHON, __file__, "--inprocess", str(csv), str(args.repeats), str(out_json)], cwd=ROOT,
                   check=True)
    for case, metric, value, unit, n in json.loads(out_json.read_text()):
        rows.add(case, metric, value, unit, n)
    return rows.finish(args.out)


if __name__ == "__main__":
    raise SystemExit(main())
