"""Every benchmark of pyvalues in one command: one CSV of figures and a short summary.

    .venv/bin/python benchmarks/run_all.py            # defaults: under 10 minutes on 2 cores
    .venv/bin/python benchmarks/run_all.py --full     # adds pvclust at nboot 10,000 (+ ~3 min)

Runs, each in its own process, and folds their CSVs into
``benchmarks/results/benchmarks.csv`` (``benchmark, case, metric, value, unit, note``;
one row per figure) and ``benchmarks/results/SUMMARY.md``:

1. ``bench_bridge.py``  -- the full analysis through pyvalues vs the same R code run by
   Rscript alone (fresh processes and in process), start-up, conversion, per family;
2. ``bench_engine.py``  -- each analysis family as R function vs Python twin, at 20, 100
   and 500 models, and pvclust serial vs 2 workers;
   ``bench_pvboot.py``  -- the multiscale bootstrap, pyvalues's engine vs pvclust::pvclust
   side by side (same seed and nboot, one R process) at 20 / 100 / 500 / 2,000 models;
3. ``bench_parse.py``, ``bench_collect.py``, ``bench_reconstruction.py`` -- when present
   (written by the parse, collect and cross-check work), with quick settings.

Every figure is measured in this run (the machines are shared and noisy): ratios are of
times taken side by side, the load average is recorded at the start and end of each part.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import COLUMNS, PYTHON, RESULTS, ROOT, environment_note, read_rows, write_rows  # noqa: E402

BENCH = ROOT / "benchmarks"

# Other benchmarks, their quick arguments, the CSV they write, and how to fold it:
# (benchmark, script, args, csv, key columns, note columns)
# Their own result files (parse.csv, ...) are left as their authors wrote them: the output
# of this run is copied to <name>_run_all.csv and the previous file put back.
EXTERNAL = [
    ("parse", "bench_parse.py", ["--seconds", "1.0", "--reps", "3"], "parse.csv", None, None),
    ("collect", "bench_collect.py", ["--requests", "32", "--repeats", "3"], "collect.csv",
     ["concurrency", "delay_s", "requests", "repeats"], ["cpus", "python"]),
    ("reconstruction", "bench_reconstruction.py", ["--iterations", "200000"], "reconstruction.csv",
     ["iterations", "chains", "seed"], ["cpus", "python", "load_avg_1min"]),
]
FULL_ARGS = {"parse": [], "collect": [], "reconstruction": ["--iterations", "200000,600000,1500000"]}

UNITS = [("_ms", "ms"), ("_s", "s"), ("_seconds", "s"), ("_rps", "req/s"), ("us_per_", "us"),
         ("ratio", "x"), ("fraction", "share"), ("_matched", "claims"), ("_checked", "claims")]


def quick_name(csv_name: str) -> str:
    """Where this suite keeps another benchmark's output of its own run."""
    return csv_name.replace(".csv", "_run_all.csv")


def unit_of(column: str) -> str:
    for pattern, unit in UNITS:
        if column.endswith(pattern) or column.startswith(pattern) or pattern in column:
            return unit
    return ""


def fold(benchmark: str, path: Path, keys, notes) -> list[dict]:
    """Rows of another benchmark's CSV in the long format."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    if rows and {"metric", "value"} <= set(rows[0]):  # already one figure per row
        for r in rows:
            note = "; ".join(x for x in (r.get("note", ""), r.get("environment", "")) if x)
            out.append(dict(benchmark=benchmark, case=r.get("case", ""), metric=r["metric"], value=r["value"],
                            unit=r.get("unit", ""), note=note))
        return out
    for r in rows:
        case = ", ".join(f"{k}={r[k]}" for k in keys if k in r)
        note = ", ".join(f"{k}={r[k]}" for k in notes if k in r)
        for col, value in r.items():
            if col in keys or col in notes:
                continue
            out.append(dict(benchmark=benchmark, case=case, metric=col, value=value, unit=unit_of(col), note=note))
    return out


def run_part(name: str, cmd: list[str], log: list[dict], timeout: float) -> bool:
    print(f"\n=== {name}: {' '.join(Path(c).name if c == PYTHON else c for c in cmd)}", flush=True)
    t0 = time.perf_counter()
    load0 = os.getloadavg()[0]
    try:
        proc = subprocess.run(cmd, cwd=ROOT, timeout=timeout)
        ok = proc.returncode == 0
        status = "ok" if ok else f"failed (exit {proc.returncode})"
    except subprocess.TimeoutExpired:
        ok, status = False, f"timed out after {timeout:.0f} s"
    secs = time.perf_counter() - t0
    log.append(dict(benchmark="run_all", case=name, metric="wall_s", value=round(secs, 2), unit="s",
                    note=f"{status}; load average {load0:.2f} at start, {os.getloadavg()[0]:.2f} at end"))
    print(f"=== {name}: {status} in {secs:.1f} s", flush=True)
    return ok


# --------------------------------------------------------------------------- summary


def _get(rows, benchmark, case, metric):
    for r in rows:
        if r["benchmark"] == benchmark and r["case"] == case and r["metric"] == metric:
            try:
                return float(r["value"])
            except ValueError:
                return None
    return None


def _fmt(x, digits=2):
    if x is None:
        return "–"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    if abs(x) < 0.01:
        return f"{x:.4f}"
    return f"{x:.{digits}f}"


def summary(rows: list[dict], started: str, command: str, total_s: float, full: bool,
            pvclust_full: list[dict]) -> str:
    g = lambda *a: _get(rows, *a)  # noqa: E731
    end_env = next((r["note"] for r in rows if r["benchmark"] == "run_all" and r["case"] == "total"),
                   f"{environment_note()} at the end")
    L = ["# pyvalues benchmarks", "",
         f"Run {started} with `{command}` in {total_s / 60:.1f} min; {end_env}. "
         "Times are medians of repeats in this run; ratios are of figures measured side by side. "
         "CPU seconds are given beside wall seconds because the machine is shared: CPU time "
         "is far less sensitive to other jobs than wall time. All figures: `benchmarks.csv`; profiles, causes "
         "and proposed changes: `FINDINGS.md`.", ""]

    # 1. bridge
    label = next((r["note"] for r in rows if r["benchmark"] == "bridge" and r["case"] == "table"), "")
    L += ["## 1. Bridge overhead: pyvalues vs Rscript alone", "", f"Table: {label}.", "",
          "| | wall s | CPU s |", "|---|---:|---:|"]
    for name in ["pyvalues CLI", "Rscript pv_analyse", "Rscript pv_analyse + write"]:
        L.append(f"| fresh process: {name} | {_fmt(g('bridge', f'fresh: {name}', 'wall_s'))} "
                 f"| {_fmt(g('bridge', f'fresh: {name}', 'cpu_s'))} |")
    L += [f"| in process: `run(table, parity=False)` after warm-up | {_fmt(g('bridge', 'in process: run(table, parity=False)', 'wall_s'))} "
          f"| {_fmt(g('bridge', 'in process: run(table, parity=False)', 'cpu_s'))} |",
          f"| in process: `pv_analyse()` timed inside the same R | {_fmt(g('bridge', 'in process: pv_analyse() timed inside R', 'wall_s'))} "
          f"| {_fmt(g('bridge', 'in process: pv_analyse() timed inside R', 'cpu_s'))} |", ""]
    r1 = g("bridge", "fresh: pyvalues CLI / Rscript pv_analyse", "ratio_wall")
    r1c = g("bridge", "fresh: pyvalues CLI / Rscript pv_analyse", "ratio_cpu")
    r2 = g("bridge", "fresh: pyvalues CLI / Rscript pv_analyse + write", "ratio_wall")
    r3 = g("bridge", "in process: run() / pv_analyse() in R", "ratio_wall")
    L += [f"**Ratio pyvalues / Rscript (target ≤ 1.15):** fresh processes {_fmt(r1)} wall, {_fmt(r1c)} CPU "
          f"({_fmt(r2)} wall against an Rscript that also writes the CSVs and .rds); in process {_fmt(r3)}.", "",
          "Where the time goes (seconds):", "",
          "| part | s |", "|---|---:|"]
    for case, metric, what in [
        ("fresh: Rscript bare", "wall_s", "R start-up (bare `Rscript`)"),
        ("fresh: Rscript + source R/ + namespaces", "wall_s", "Rscript + sourcing R/ + loading afex, pvclust, effectsize, rstatix"),
        ("fresh: python import pyvalues.analysis", "wall_s", "Python: `import pyvalues.analysis`"),
        ("fresh: python + embedded R + source R/ + namespaces", "wall_s", "Python + embedded R + the same sourcing and loading"),
        ("conversion: rank table pandas -> R", "wall_s", "conversion: rank table to R"),
        ("conversion: pv_analyse() result R -> pandas", "wall_s", "conversion: all result tables back to pandas"),
        ("in process: run() -> Python validation", "wall_s", "Python validation of the table in `run()`"),
        ("in process: bridge time (run() - pv_analyse() in R)", "wall_s",
         "in process, `run()` minus `pv_analyse()` in R (medians; noise of a few tenths of a second)"),
    ]:
        L.append(f"| {what} | {_fmt(g('bridge', case, metric), 3)} |")
    fams = ["model_term_means", "model_dimension_scores", "dispersion_anova", "dispersion_posthoc", "dimension_tests",
            "mixed_anova", "term_tests", "correlation_pairs", "correlations", "concordance", "cluster_models"]
    L += ["", "Per R family (20-model table), through `rbridge.call` vs timed inside R (s; cluster_models at nboot 100):", "",
          "| family | inside R | through the bridge | overhead |", "|---|---:|---:|---:|"]
    for f in fams:
        L.append(f"| {f} | {_fmt(g('bridge', f'family {f}: inside R', 'wall_s'), 3)} "
                 f"| {_fmt(g('bridge', f'family {f}: rbridge.call', 'wall_s'), 3)} "
                 f"| {_fmt(g('bridge', f'family {f}: bridge overhead', 'overhead_s'), 3)} |")

    # 2 + 3. engine
    sizes = sorted({int(r["case"].split(", ")[1].split()[0]) for r in rows
                    if r["benchmark"] == "engine" and r["case"].startswith("R ") and ", " in r["case"]})
    efams = ["validate", "aggregation", "dispersion_anova", "dimension_tests", "mixed_anova", "term_tests",
             "correlations", "concordance", "clustering_hclust"]
    if sizes:
        L += ["", "## 2. R engine vs Python twins, and 3. how cost grows", "",
              "Wall seconds per analysis family, generated paper-shaped tables (55 % CN, 3 replicates); R timed "
              "inside R (no start-up, no bridge), Python twins in process; both after a warm-up call and from a "
              "validated table.", "",
              "| family | " + " | ".join(f"R {n} | Py {n}" for n in sizes) + " |",
              "|---|" + "---:|---:|" * len(sizes)]
        approx = False
        for f in efams:
            cells = []
            for n in sizes:
                rv = g("engine", f"R {f}, {n} models", "wall_s")
                pv_ = g("engine", f"Python {f}, {n} models", "wall_s")
                if f == "correlations":
                    full_r = g("engine", f"R {f}, {n} models", "wall_s_at_ci_nboot_10000")
                    if full_r is not None:
                        approx = True
                        full_p = g("engine", f"Python {f}, {n} models", "wall_s_at_ci_nboot_10000")
                        cells += ["≈" + _fmt(full_r), "≈" + _fmt(full_p) if full_p is not None else _fmt(pv_)]
                        continue
                cells += [_fmt(rv, 3), _fmt(pv_, 3)]
            L.append(f"| {f} | " + " | ".join(cells) + " |")
        cells = []
        for n in sizes:
            v = g("engine", f"R clustering_pvclust, {n} models", "wall_s_at_nboot_1000")
            measured = g("engine", f"R clustering_pvclust, {n} models", "wall_s")
            cells += [(_fmt(v) if v == measured else "≈" + _fmt(v)), "no twin"]
        L.append("| clustering_pvclust, nboot 1,000 | " + " | ".join(cells) + " |")
        nb_notes = [f"{n} models from {r['note'].replace('extrapolated linearly from ', '')}" for n in sizes for r in rows
                    if r["benchmark"] == "engine" and r["case"] == f"R clustering_pvclust, {n} models"
                    and r["metric"] == "wall_s_at_nboot_1000" and r["note"].startswith("extrapolated")]
        cr_notes = [f"{n} models from {r['note'].split(' (')[0].replace('extrapolated from ', '')}" for n in sizes for r in rows
                    if r["benchmark"] == "engine" and r["case"] == f"R correlations, {n} models"
                    and r["metric"].startswith("wall_s_at_ci_nboot")]
        L += ["", "≈: estimated from a run at a smaller nboot, scaled linearly: pvclust at "
              + ("; ".join(nb_notes) or "–") + " (its cost is 10 scales x nboot clusterings); correlations at "
              + ("; ".join(cr_notes) or "–") + " (a smaller ci_nboot keeps the default run short; the bootstrap is linear "
              "in nboot; `--full` runs 10,000)."]
        share = g("engine", "R clustering_pvclust, 20 models", "wall_s")
        total_r = g("bridge", "in process: pv_analyse() timed inside R", "wall_s")
        if share and total_r:
            L += ["", f"pvclust (nboot 1,000) is {100 * min(share / total_r, 1):.0f} % of `pv_analyse()` on 20 models "
                  f"({_fmt(share)} of {_fmt(total_r)} s, measured in separate processes)."]

    pv = [r for r in rows if r["benchmark"] == "engine" and r["case"].startswith("pvclust 20 models")]
    extra = [r for r in pvclust_full if r["case"].startswith("pvclust") and r["case"] not in {x["case"] for x in pv}]
    if pv or extra:
        L += ["", "pvclust on the 20-model table (`pv_cluster_models()`), serial vs a `parallel::makeCluster(2)` cluster:", "",
              "| nboot | serial s | 2 workers s | cluster start s | speed-up (wall) | incl. start | speed-up (CPU-bound) | `parallel = TRUE` s |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for src, rr in (("this run", pv), ("last `--full` run", extra)):
            for case in dict.fromkeys(r["case"] for r in rr):
                gg = lambda m: _get(rr, "engine", case, m)  # noqa: E731
                nb = case.split("nboot ")[1]
                L.append(f"| {nb}{'' if src == 'this run' else ' (' + src + ')'} | {_fmt(gg('serial_wall_s'))} "
                         f"| {_fmt(gg('parallel2_wall_s'))} | {_fmt(gg('cluster_start_wall_s'))} "
                         f"| {_fmt(gg('speedup_2_workers'))} | {_fmt(gg('speedup_2_workers_incl_start'))} "
                         f"| {_fmt(gg('speedup_cpu_bound'))} "
                         f"| {_fmt(gg('parallel_true_wall_s'))} |")
        L += ["", "Speed-up (wall) needs two idle cores: with the load average above 2 the second worker competes "
              "with other jobs. Speed-up (CPU-bound) = serial CPU / (busiest worker's CPU + the master's): what two "
              "idle cores give. `parallel = TRUE` is pvclust's own choice of `detectCores() - 1` workers (one on this "
              "machine)."]
        if extra:
            when = next((r["note"] for r in pvclust_full if r["case"] == "recorded"), "")
            L += ["", f"nboot 10,000 runs only with `--full`; the row marked is from {when}."]

    # the bootstrap engines side by side
    pb = [r for r in rows if r["benchmark"] == "pvboot"]
    if pb:
        sizes = sorted({int(r["case"].split()[0]) for r in pb if r["metric"] == "cpu_s_at_nboot_1000"})
        L += ["", "## Multiscale bootstrap: pyvalues's engine vs pvclust::pvclust", "",
              "CPU seconds at nboot 1,000 (10 scales), same seed, both in one R process; ≈: extrapolated from two "
              "smaller nboot values (see `pvboot.csv` notes).", "",
              "| models | pvclust CPU s | pyvalues CPU s | ratio | identical |", "|---:|---:|---:|---:|---|"]
        for n in sizes:
            cell = {}
            for eng in ("pvclust", "pyvalues"):
                v = _get(pb, "pvboot", f"{n} models, {eng}", "cpu_s_at_nboot_1000")
                note = next((r["note"] for r in pb if r["case"] == f"{n} models, {eng}"
                             and r["metric"] == "cpu_s_at_nboot_1000"), "")
                cell[eng] = ("" if note == "measured" else "≈") + _fmt(v)
            same = [r for r in pb if r["case"].startswith(f"{n} models, nboot") and r["metric"] == "identical_edges_and_counts"]
            L.append(f"| {n} | {cell['pvclust']} | {cell['pyvalues']} | "
                     f"{_fmt(_get(pb, 'pvboot', f'{n} models', 'cpu_ratio_pvclust_over_pyvalues'))} | "
                     + ", ".join(f"{r['case'].split(', ')[1]}: {'yes' if r['value'] in ('1', 1) else 'NO'}" for r in same) + " |")

    # 4-6. others
    for name, title in [("collect", "4. Collection (loopback server, fixed delay)"), ("parse", "5. Parser"),
                        ("reconstruction", "6. Reconstruction")]:
        rr = [r for r in rows if r["benchmark"] == name]
        L += ["", f"## {title}", ""]
        if not rr:
            L.append("Not run (script absent or failed; see the run_all rows of benchmarks.csv).")
            continue
        if name == "collect":
            L += ["| case | throughput req/s | ideal req/s | ratio | client overhead ms |", "|---|---:|---:|---:|---:|"]
            for case in dict.fromkeys(r["case"] for r in rr):
                L.append(f"| {case} | {_fmt(_get(rr, name, case, 'throughput_rps'))} | {_fmt(_get(rr, name, case, 'ideal_rps'))} "
                         f"| {_fmt(_get(rr, name, case, 'ratio'))} | {_fmt(_get(rr, name, case, 'client_overhead_ms'))} |")
        elif name == "parse":
            L += ["| case | metric | value | unit |", "|---|---|---:|---|"]
            typ = [r for r in rr if r["metric"].startswith("typical")]
            adv = sorted([r for r in rr if r["metric"].startswith("adversarial")], key=lambda r: -float(r["value"]))
            for r in typ + adv[:3]:
                L.append(f"| {r['case']} | {r['metric']} | {r['value']} | {r['unit']} |")
            if adv:
                L += ["", f"Slowest adversarial input: {adv[0]['case']} ({adv[0]['value']} {adv[0]['unit']})."]
        else:
            L += ["| case | search s | matched (feasible) | share | core matched |", "|---|---:|---:|---:|---:|"]
            for case in dict.fromkeys(r["case"] for r in rr):
                m = _get(rr, name, case, "feasible_matched"); c = _get(rr, name, case, "feasible_checked")
                cm = _get(rr, name, case, "core_matched"); cc = _get(rr, name, case, "core_checked")
                L.append(f"| {case} | {_fmt(_get(rr, name, case, 'search_seconds'))} | "
                         f"{_fmt(m, 0)} / {_fmt(c, 0)} | {_fmt(_get(rr, name, case, 'fraction_matched'), 3)} | "
                         f"{_fmt(cm, 0)} / {_fmt(cc, 0)} |")

    parts = [r for r in rows if r["benchmark"] == "run_all"]
    L += ["", "## The run", "", "| part | wall s | status |", "|---|---:|---|"]
    L += [f"| {r['case']} | {r['value']} | {r['note'].split(' | ')[-1]} |" for r in parts]
    if not full:
        L += ["", "pvclust at nboot 10,000 is left out of the default run (it alone takes minutes); "
              "`--full` adds it."]
    return "\n".join(L) + "\n"


# --------------------------------------------------------------------------- main


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Run every pyvalues benchmark; write benchmarks.csv and SUMMARY.md.")
    ap.add_argument("--full", action="store_true", help="also pvclust at nboot 10,000 and larger nboot at scale")
    ap.add_argument("--repeats", type=int, default=3, help="repeats of each timed run (medians)")
    ap.add_argument("--scale-models", type=int, nargs="+", default=[20, 100, 500, 2000],
                    help="table sizes for the bootstrap engines side by side")
    ap.add_argument("--only", nargs="+", choices=["bridge", "engine", "pvboot", "parse", "collect", "reconstruction"],
                    help="run only these parts (the others' rows are kept from their last CSVs)")
    ap.add_argument("--models", type=int, nargs="+", default=[20, 100, 500], help="table sizes for the scale part")
    ap.add_argument("--summary-only", action="store_true",
                    help="run nothing: rebuild benchmarks.csv and SUMMARY.md from the parts' last CSVs")
    args = ap.parse_args(argv)
    if args.summary_only:
        args.only = []
    started = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    command = ".venv/bin/python benchmarks/run_all.py" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    want = lambda part: args.only is None or part in args.only  # noqa: E731
    t0 = time.perf_counter()
    log: list[dict] = [dict(benchmark="run_all", case="environment", metric="load_average_1min_start",
                            value=round(os.getloadavg()[0], 2), unit="", note=environment_note())]
    print(f"pyvalues benchmarks, {started}; {environment_note()}", flush=True)

    if want("bridge"):
        run_part("bridge", [PYTHON, str(BENCH / "bench_bridge.py"), "--repeats", str(args.repeats)], log, 1800)
    if want("engine"):
        cmd = [PYTHON, str(BENCH / "bench_engine.py"), "--repeats", str(args.repeats), "--models",
               *map(str, args.models)]
        run_part("engine", cmd + (["--full"] if args.full else []), log, 3600)
    if want("pvboot"):
        run_part("pvboot", [PYTHON, str(BENCH / "bench_pvboot.py"), "--models", *map(str, args.scale_models)]
                 + (["--full"] if args.full else []), log, 3600)
    for name, script, extra, csv_name, _, _ in EXTERNAL:
        if want(name):
            if (BENCH / script).exists():
                theirs = RESULTS / csv_name
                (RESULTS / quick_name(csv_name)).unlink(missing_ok=True)
                saved = theirs.read_bytes() if theirs.exists() else None
                mtime = theirs.stat().st_mtime_ns if theirs.exists() else None
                try:
                    ok = run_part(name, [PYTHON, str(BENCH / script), *(FULL_ARGS[name] if args.full else extra)],
                                  log, 1200)
                    if ok and theirs.exists() and theirs.stat().st_mtime_ns != mtime:
                        (RESULTS / quick_name(csv_name)).write_bytes(theirs.read_bytes())
                finally:
                    if saved is not None:
                        theirs.write_bytes(saved)
                    elif theirs.exists():
                        theirs.unlink()
            else:
                log.append(dict(benchmark="run_all", case=name, metric="wall_s", value="", unit="s",
                                note=f"benchmarks/{script} not present"))
    total = time.perf_counter() - t0
    log.append(dict(benchmark="run_all", case="total", metric="wall_s", value=round(total, 1), unit="s",
                    note=f"{environment_note()} at the end"))
    log_file = RESULTS / "run_all_log.csv"
    if args.summary_only and log_file.exists():
        log = read_rows(log_file)
        total = float(next(r["value"] for r in log if r["case"] == "total"))
        started, command = log[0]["note"].split(" | ")[0], log[0]["note"].split(" | ")[1]
    elif not args.summary_only:
        log[0]["note"] = f"{started} | {command} | {log[0]['note']}"
        write_rows(log, log_file)

    rows: list[dict] = []
    for name in ["bridge", "engine", "pvboot"]:
        p = RESULTS / f"{name}.csv"
        if p.exists():
            rows += read_rows(p)
    for name, _, _, csv_name, keys, notes in EXTERNAL:
        p = RESULTS / quick_name(csv_name)
        if p.exists():
            rows += fold(name, p, keys or [], notes or [])
    rows += log

    # pvclust at nboot 10,000: keep the figures of the last --full run for the default summary
    full_file = RESULTS / "pvclust_full.csv"
    if args.full and want("engine"):
        keep = [r for r in rows if r["benchmark"] == "engine" and r["case"].startswith("pvclust 20 models, nboot 10000")]
        if keep:
            keep.append(dict(benchmark="engine", case="recorded", metric="", value="", unit="",
                             note=f"{started}, {environment_note()}"))
            write_rows(keep, full_file)
    pvclust_full = read_rows(full_file) if full_file.exists() else []

    write_rows(rows, RESULTS / "benchmarks.csv")
    text = summary(rows, started, command, total, args.full, pvclust_full)
    (RESULTS / "SUMMARY.md").write_text(text, encoding="utf-8")
    print(f"\nwrote {RESULTS / 'benchmarks.csv'} ({len(rows)} figures) and {RESULTS / 'SUMMARY.md'} "
          f"in {total / 60:.1f} min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
