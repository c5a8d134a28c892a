"""All analyses on a large generated table, in Rscript: `pv_analyse(d, nboot = 1000, cluster = 2)`.

    .venv/bin/python benchmarks/bench_full500.py [--models 500] [--workers 2] [--before REF]

The issue-13 target "500 models, nboot 1,000, all analyses: <= 60 s wall on 2 cores". One
Rscript process reads the generated paper-shaped table (benchmarks/_common.py: 3
replicates, seed 1), starts nothing else, and times `pv_analyse(d, nboot = 1000,
ci_nboot = 10000, nperm = 10000, cluster = <workers>)` (the defaults but the cluster; the
cluster is started inside, as the CLI's `--cluster 2` does). Progress lines (one per step,
with its wall time) are kept. With --before REF the R sources of git ref REF run the same
way first (e.g. main), so both figures come from one run of this script.

The CPU of every process of a run is counted too (``all_processes_cpu_s``: the master and
its PSOCK workers): this script makes itself a "child subreaper" (Linux prctl), so the
workers, which the shell that starts them leaves behind, are reparented to it and their CPU
time is added when it reaps them. With --before, the two runs' results (the whole
`pv_results` object) are compared with `identical()` (``identical_to_before``).

Writes ``benchmarks/results/full500.csv`` (benchmark, case, metric, value, unit, note).
"""
from __future__ import annotations

import argparse
import os
import resource
import re
import subprocess
import tempfile
import time
from pathlib import Path

from _common import RESULTS, ROOT, Rows, _become_subreaper, _reap_all, environment_note, write_generated


R_SCRIPT = r"""
args <- commandArgs(TRUE)
root <- args[1]; csv <- args[2]; workers <- as.integer(args[3])
options(pyvalues.source_root = root, pyvalues.progress = TRUE)
for (f in sort(list.files(file.path(root, "R"), pattern = "[.]R$", full.names = TRUE))) source(f)
d <- pv_validate(read.csv(csv, stringsAsFactors = FALSE))
t0 <- proc.time()
res <- pv_analyse(d, nboot = 1000, cluster = if (workers > 1) workers else NULL)
t <- proc.time() - t0
cat(sprintf("RESULT\t%.3f\t%.3f\n", t[["elapsed"]], t[["user.self"]] + t[["sys.self"]]))
cat(sprintf("SKIPPED\t%s\n", paste(res$skipped$analysis, collapse = "; ")))
if (length(args) >= 4) saveRDS(res, args[4])
"""

def run_one(root: Path, csv: Path, workers: int, rows: Rows, label: str, models: int, rds: Path,
            reaper: bool) -> None:
    script = Path(tempfile.mkdtemp(prefix="full500-")) / "full.R"
    script.write_text(R_SCRIPT)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.time()
    proc = subprocess.run(["Rscript", str(script), str(root), str(csv), str(workers), str(rds)],
                          capture_output=True, text=True, cwd=ROOT)
    wall = time.time() - t0
    _reap_all()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    case = f"{models} models, pv_analyse(nboot = 1000, cluster = {workers}), {label}"
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT\t"):
            _, wall, cpu = line.split("\t")
            rows.add(case, "wall_s", float(wall), "s", "Rscript, inside the process (R start-up excluded)")
            rows.add(case, "master_cpu_s", float(cpu), "s", "the master R process only (workers not counted)")
        elif line.startswith("SKIPPED\t"):
            rows.add(case, "skipped", 0, "", line.split("\t", 1)[1] or "none")
    for line in proc.stderr.splitlines():
        m = re.match(r"^(.*?): (?:\d+/\d+ )?done in ([0-9.]+) s", line.strip())
        if m:
            rows.add(case, f"step: {m.group(1).strip()}", float(m.group(2)), "s", "wall, from the progress line")
    rows.add(case, "process_wall_s", wall, "s", "whole Rscript process")
    rows.add(case, "all_processes_cpu_s", (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
             "s", "user + system CPU of the Rscript process and of its PSOCK workers" if reaper else
             "user + system CPU of the Rscript process only (no subreaper: workers not counted)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", type=int, default=500)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--before", default=None, help="git ref whose R/ is also timed first (e.g. main)")
    ap.add_argument("--out", default=str(RESULTS / "full500.csv"))
    args = ap.parse_args(argv)
    reaper = _become_subreaper()
    rows = Rows("full500")
    rows.add("environment", "load_average_1min_start", os.getloadavg()[0], "", environment_note())
    tmp = Path(tempfile.mkdtemp(prefix="full500-"))
    csv = write_generated(args.models, tmp)
    if args.before:
        before = tmp / "before"
        before.mkdir()
        archive = subprocess.run(["git", "archive", args.before, "R", "inst", "DESCRIPTION"], cwd=ROOT,
                                 capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(before)], input=archive.stdout, check=True)
        sha = subprocess.run(["git", "rev-parse", "--short", args.before], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
        run_one(before, csv, args.workers, rows, f"before ({args.before} {sha})", args.models, tmp / "before.rds",
                reaper)
    run_one(ROOT, csv, args.workers, rows, "this checkout", args.models, tmp / "after.rds", reaper)
    if args.before:
        same = subprocess.run(["Rscript", "-e", f'cat(identical(readRDS("{tmp / "before.rds"}"), '
                               f'readRDS("{tmp / "after.rds"}")))'], capture_output=True, text=True).stdout.strip()
        rows.add("comparison", "identical_to_before", int(same == "TRUE"), "",
                 f"identical() of the two runs' whole pv_results objects: {same}")
    return rows.finish(Path(args.out))


if __name__ == "__main__":
    raise SystemExit(main())
