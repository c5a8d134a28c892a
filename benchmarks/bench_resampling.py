"""Resampling steps of the R engine, before and after an optimisation, side by side.

    .venv/bin/python benchmarks/bench_resampling.py [--before REF] [--models 20 100 500]
        [--workers 2] [--full-run]

For each table -- the bundled 20-model reconstruction (``20``) and generated tables of
100 and 500 models (``benchmarks/_common.generated_table``) -- one Rscript process times
``term_tests``, ``correlations`` and ``cohesion_test`` at their defaults (nperm and nboot
10,000, seed 2026):

* ``before``: the R sources of git ref ``--before`` (default ``main``), extracted to a
  temporary folder and sourced, serial;
* ``after``: this checkout's ``R/``, serial, and with a PSOCK cluster of ``--workers``
  local workers (cluster start-up excluded, started once as pv_analyse does);

and checks with ``identical()`` that every ``after`` result (serial and on workers) equals
the ``before`` result. ``--full-run`` also times ``python -m pyvalues.analysis
--no-figures`` on the bundled data (wall, fresh process). One run each (these steps take
seconds to minutes; the machine is shared, so the load average is recorded). Rows go to
``benchmarks/results/resampling.csv``.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PYTHON, RESULTS, ROOT, Rows, environment_note, run_timed, write_generated  # noqa: E402

R_SCRIPT = r"""
args <- commandArgs(TRUE)
before_root <- args[1]; after_root <- args[2]; workers <- as.integer(args[3])
tables <- args[-(1:3)]                              # "20" or a CSV path, alternating with n
load_into <- function(root) {
  env <- new.env(parent = globalenv())
  old <- options(pyvalues.source_root = root)
  for (f in sort(list.files(file.path(root, "R"), pattern = "[.]R$", full.names = TRUE))) sys.source(f, envir = env)
  env
}
suppressPackageStartupMessages(loadNamespace("parallel"))
before <- load_into(before_root)
after <- load_into(after_root)
options(pyvalues.source_root = after_root)
load(file.path(after_root, "data", "paper2026_reconstruction.rda"))
cl <- if (workers >= 2) parallel::makePSOCKcluster(workers)
emit <- function(...) cat(paste("RESULT", ..., sep = "\t"), "\n", sep = "")
timed <- function(expr) { t0 <- proc.time(); v <- force(expr); t <- proc.time() - t0
  list(value = v, wall = t[["elapsed"]], cpu = t[["user.self"]] + t[["sys.self"]]) }
# the pair bootstrap's generator changed (issue 13: compiled, xoshiro per L'Ecuyer block), so
# correlations are compared without ci_low_pairs/ci_high_pairs when `before` predates it
same_as <- function(fn, x, y) {
  if (identical(x, y)) return("TRUE")
  if (fn == "correlations") {
    keep <- setdiff(names(x), c("ci_low_pairs", "ci_high_pairs"))
    if (identical(x[keep], y[keep])) return("TRUE except ci_low_pairs/ci_high_pairs")
  }
  "FALSE"
}
for (i in seq(1, length(tables), by = 2)) {
  n <- tables[i]; src <- tables[i + 1]
  d <- if (src == "bundled") paper2026_reconstruction else after$pv_validate(read.csv(src))
  for (fn in c("term_tests", "correlations", "cohesion_test")) {
    b <- timed(before[[fn]](d))
    emit(n, fn, "before_serial", b$wall, b$cpu, "TRUE")
    a <- timed(after[[fn]](d))
    emit(n, fn, "after_serial", a$wall, a$cpu, same_as(fn, a$value, b$value))
    if (!is.null(cl)) {
      p <- timed(after[[fn]](d, cluster = cl))
      emit(n, fn, sprintf("after_%d_workers", workers), p$wall, p$cpu,
           if (identical(p$value, a$value)) "TRUE (= after serial)" else "FALSE (differs from after serial)")
    }
  }
}
if (!is.null(cl)) parallel::stopCluster(cl)
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", default="main", help="git ref whose R/ is the 'before' (default main)")
    ap.add_argument("--models", type=int, nargs="+", default=[20, 100, 500])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--full-run", action="store_true", help="also time python -m pyvalues.analysis --no-figures")
    ap.add_argument("--out", default=str(RESULTS / "resampling.csv"))
    args = ap.parse_args(argv)

    rows = Rows("resampling")
    rows.add("environment", "load_average_1min_start", os.getloadavg()[0], "", environment_note())
    tmp = Path(tempfile.mkdtemp(prefix="pyvalues-bench-"))
    before_root = tmp / "before"
    before_root.mkdir()
    archive = subprocess.run(["git", "archive", args.before, "R"], cwd=ROOT, capture_output=True, check=True)
    # (R/ only: a `before` with compiled kernels finds them through pyvalues.source_root = checkout)
    subprocess.run(["tar", "-x", "-C", str(before_root)], input=archive.stdout, check=True)
    sha = subprocess.run(["git", "rev-parse", "--short", args.before], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.strip()
    tables: list[str] = []
    for n in sorted(args.models):
        tables += [str(n), "bundled" if n == 20 else str(write_generated(n, tmp))]
    script = tmp / "bench_resampling.R"
    script.write_text(R_SCRIPT)
    print(f"R resampling steps on {sorted(args.models)} models: before = {args.before} ({sha}), after = checkout",
          flush=True)
    proc = subprocess.Popen(["Rscript", str(script), str(before_root), str(ROOT), str(args.workers), *tables],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if not line.startswith("RESULT\t"):
            continue
        _, n, fn, variant, wall, cpu, same = line.rstrip("\n").split("\t")
        case = f"R {fn}, {'bundled 20' if n == '20' else n} models"
        note = (f"before = {args.before} {sha}" if variant == "before_serial" else
                f"identical() to before: {same}" if variant == "after_serial" else f"identical(): {same}")
        rows.add(case, f"{variant}_wall_s", float(wall), "s", note)
        rows.add(case, f"{variant}_cpu_s", float(cpu), "s", "")
    if proc.wait() != 0:
        raise SystemExit(f"Rscript failed:\n{proc.stderr.read()[-3000:]}")
    if args.full_run:
        with tempfile.TemporaryDirectory() as out:
            wall, cpu = run_timed([PYTHON, "-m", "pyvalues.analysis", "--no-figures", "--quiet", "--out", out])
        rows.add("python -m pyvalues.analysis --no-figures (bundled)", "wall_s", wall, "s", "this checkout, fresh process")
        rows.add("python -m pyvalues.analysis --no-figures (bundled)", "cpu_s", cpu, "s", "")
    return rows.finish(Path(args.out))


if __name__ == "__main__":
    raise SystemExit(main())
