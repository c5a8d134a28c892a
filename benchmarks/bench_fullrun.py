"""The whole default run, `python -m pyvalues.analysis` (tables, parity twins, figures, report),
wall and CPU seconds of every process it starts, optionally beside another checkout.

    .venv/bin/python benchmarks/bench_fullrun.py [--repeats 3] [--baseline /path/to/other/checkout]

Each run is a fresh process in its own output folder. CPU is counted for the whole process
tree: this script makes itself a "child subreaper" (Linux prctl), so the processes the run
starts and leaves behind (the figure workers' fork server and its workers, the R worker
of ``pv_analyse(overlap = TRUE)``) are reparented to it and their CPU time is added when it
reaps them. With ``--baseline`` the two checkouts run alternately (A B A B ...), so load
from other jobs hits both alike; the run's outputs are compared file by file (CSV and PNG
byte for byte). Rows go to ``benchmarks/results/fullrun.csv``.
"""
from __future__ import annotations

import argparse
import filecmp
import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path

from _common import PYTHON, RESULTS, ROOT, Rows, _become_subreaper, _reap_all, environment_note, median


def run_once(checkout: Path, out: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([PYTHON, "-m", "pyvalues.analysis", "--out", str(out), "--quiet"], cwd=checkout,
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    _reap_all()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"run in {checkout} failed:\n{proc.stderr[-3000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def same_outputs(a: Path, b: Path) -> tuple[int, list[str]]:
    names = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.suffix in (".csv", ".png"))
    differ = [n for n in names if not (b / n).exists() or not filecmp.cmp(a / n, b / n, shallow=False)]
    return len(names), differ


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--baseline", help="another checkout (e.g. the main branch's) run alternately with this one")
    ap.add_argument("--out", default=str(RESULTS / "fullrun.csv"))
    args = ap.parse_args(argv)
    reaper = _become_subreaper()
    rows = Rows("fullrun")
    rows.add("environment", "load_average_1min_start", os.getloadavg()[0], "", environment_note())
    checkouts = {"this checkout": ROOT}
    if args.baseline:
        checkouts["baseline"] = Path(args.baseline).resolve()
    tmp = Path(tempfile.mkdtemp(prefix="pyvalues-fullrun-"))
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in checkouts}
    for i in range(args.repeats):
        for name, checkout in checkouts.items():
            times[name].append(run_once(checkout, tmp / f"{name.replace(' ', '_')}_{i}"))
        print(f"  repeat {i + 1}: " + ", ".join(f"{k} {v[-1][0]:.1f} s wall / {v[-1][1]:.1f} CPU s"
                                              for k, v in times.items()), flush=True)
    note = (f"fresh process, median of {args.repeats}; CPU of every process of the run"
            + ("" if reaper else " it waited for (no subreaper: left-behind workers not counted)"))
    for name, checkout in checkouts.items():
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=checkout, capture_output=True,
                                text=True).stdout.strip()
        checkout = f"{checkout} @ {commit}"
        rows.add(f"{name}: python -m pyvalues.analysis", "wall_s", median(w for w, _ in times[name]), "s",
                 f"{checkout}; {note}")
        rows.add(f"{name}: python -m pyvalues.analysis", "cpu_s", median(c for _, c in times[name]), "s",
                 f"{checkout}; {note}")
    if args.baseline:
        n, differ = same_outputs(tmp / "baseline_0", tmp / "this_checkout_0")
        rows.add("outputs: CSV and PNG files identical to the baseline's", "count", float(n - len(differ)), "files",
                 f"of {n}; differing: {', '.join(differ) or 'none'}")
        for metric, k in (("ratio_wall", 0), ("ratio_cpu", 1)):
            rows.add("this checkout / baseline", metric,
                     median(t[k] for t in times["this checkout"]) / median(t[k] for t in times["baseline"]), "x", "")
    return rows.finish(args.out)


if __name__ == "__main__":
    raise SystemExit(main())
