"""The multiscale bootstrap: pyvalues's engine (pv_pvclust) vs pvclust::pvclust, side by side.

    .venv/bin/python benchmarks/bench_pvboot.py [--models 20 100 500 2000] [--full] [--workers 2]

For each table size, in ONE Rscript process, both engines run on the same 25 x models
matrix of term means with the same seed (`iseed`) and the same nboot; CPU seconds
(user + system, `proc.time()`) and wall seconds are recorded, and where both ran at the
same nboot their edges and counts are checked `identical()`. 20 models is the bundled
table (paper2026_reconstruction); larger sizes are generated paper-shaped tables
(benchmarks/_common.py: 3 replicates, seed 1).

Both engines cost a fixed set-up (the original tree, pvclust's `hc2split` of it and the
AU/BP fit) plus a cost per replicate. Where nboot = 1,000 would take too long, an engine
runs at two smaller nboot values and its time at 1,000 is extrapolated from the line
through the two largest nboot values measured (the row says so, with both points): pvclust beyond 20 models,
and the new engine at 500 (unless --full) and 2,000 models. With --workers N the new
engine also runs on N local PSOCK workers (wall time, cluster start-up excluded and
reported separately).

Writes ``benchmarks/results/pvboot.csv`` (benchmark, case, metric, value, unit, note).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
from pathlib import Path

from _common import RESULTS, ROOT, Rows, environment_note, write_generated

R_SCRIPT = r"""
args <- commandArgs(TRUE)
spec <- read.delim(args[1], stringsAsFactors = FALSE)   # n, csv, engine, nboots (comma-separated)
root <- args[2]; workers <- as.integer(args[3]); worker_nboot <- as.integer(args[4])
options(pyvalues.source_root = root)   # finds inst/csrc (the compiled kernels), as pyvalues.rbridge does
for (f in sort(list.files(file.path(root, "R"), pattern = "[.]R$", full.names = TRUE))) source(f)
suppressPackageStartupMessages(loadNamespace("pvclust"))
load(file.path(root, "data", "paper2026_reconstruction.rda"))
emit <- function(...) cat(paste("RESULT", ..., sep = "\t"), "\n", sep = "")
term_matrix <- function(d) {
  tm <- pv_model_term_means(d); models <- unique(tm$model); inst <- pv_instrument()
  matrix(tm$mean_rank[order(match(tm$model, models), match(tm$term, inst$term))],
         nrow = length(inst$term), dimnames = list(inst$term, models))
}
timed <- function(f) {
  gc(FALSE)
  t0 <- proc.time(); value <- f(); t <- proc.time() - t0
  list(value = value, wall = t[["elapsed"]], cpu = t[["user.self"]] + t[["sys.self"]])
}
cat("RESULT\tnative\t", !is.null(.pv_native_routines(.pv_native())), "\n", sep = "")
# warm-up: byte-compile both paths once on a small matrix
invisible(pv_pvclust(matrix(stats::rnorm(25 * 6), 25), nboot = 5, iseed = 1, quiet = TRUE))
invisible(pvclust::pvclust(matrix(stats::rnorm(25 * 6), 25), nboot = 5, iseed = 1, quiet = TRUE))
results <- list()
for (i in seq_len(nrow(spec))) {
  n <- spec$n[i]
  M <- if (spec$csv[i] == "bundled") term_matrix(pv_validate(paper2026_reconstruction)) else
    term_matrix(pv_validate(read.csv(spec$csv[i], stringsAsFactors = FALSE)))
  for (nb in as.integer(strsplit(spec$nboots[i], ",")[[1]])) {
    r <- if (spec$engine[i] == "pyvalues") {
      timed(function() pv_pvclust(M, nboot = nb, iseed = 2026, quiet = TRUE))
    } else {
      timed(function() pvclust::pvclust(M, nboot = nb, iseed = 2026, quiet = TRUE))
    }
    emit(n, spec$engine[i], nb, r$wall, r$cpu)
    key <- paste(n, nb)
    other <- results[[key]]
    if (!is.null(other)) {
      same <- identical(other$edges, r$value$edges) && identical(other$count, r$value$count)
      emit(n, "identical", nb, as.integer(same), as.integer(same))
    }
    results[[key]] <- r$value
  }
  if (workers > 1 && spec$engine[i] == "pyvalues" && n >= 100) {
    nb <- if (n >= 2000) 6L else worker_nboot
    s <- timed(function() parallel::makePSOCKcluster(workers))
    cl <- s$value
    emit(n, "cluster_start", workers, s$wall, s$cpu)
    w0 <- unlist(parallel::clusterEvalQ(cl, sum(proc.time()[1:2])))
    r <- timed(function() pv_pvclust(M, nboot = nb, iseed = 2026, quiet = TRUE, cluster = cl))
    w1 <- unlist(parallel::clusterEvalQ(cl, sum(proc.time()[1:2])))
    emit(n, paste0("pyvalues_", workers, "workers"), nb, r$wall, r$cpu + sum(w1 - w0))
    parallel::stopCluster(cl)
  }
}
"""


def plan(n: int, full: bool) -> dict[str, str]:
    """nboot values per engine: 1000 where affordable, else two points for a line."""
    if n <= 30:
        return {"pvclust": "1000", "pyvalues": "1000"}
    if n <= 150:
        return {"pvclust": "50,100", "pyvalues": "50,100,1000"}
    if n <= 600:
        return {"pvclust": "5,10", "pyvalues": "5,10,1000" if full else "5,10,100"}
    return {"pvclust": "1,2", "pyvalues": "1,2,6"}


def derive(rows: Rows, measured: dict, models) -> None:
    """CPU at nboot 1,000 per engine (measured, or the line through the two largest nboot
    values measured) and the ratio pvclust / pyvalues per size."""
    at1000 = {}
    for (n, engine), pts in measured.items():
        if 1000 in pts:
            at1000[(n, engine)] = (pts[1000][1], "measured")
        else:
            (a, (_, ca)), (b, (_, cb)) = sorted(pts.items())[-2:]
            slope = (cb - ca) / (b - a)
            fixed = max(ca - slope * a, 0.0)
            at1000[(n, engine)] = (fixed + slope * 1000, f"extrapolated from nboot {a} ({ca:.2f} s) and {b} ({cb:.2f} s): "
                                   f"{fixed:.2f} s fixed + {slope:.3f} s per nboot")
        rows.add(f"{n} models, {engine}", "cpu_s_at_nboot_1000", at1000[(n, engine)][0], "s", at1000[(n, engine)][1])
    for n in models:
        if (n, "pvclust") in at1000 and (n, "pyvalues") in at1000:
            ratio = at1000[(n, "pvclust")][0] / at1000[(n, "pyvalues")][0]
            est = any(not at1000[(n, e)][1].startswith("measured") for e in ("pvclust", "pyvalues"))
            rows.add(f"{n} models", "cpu_ratio_pvclust_over_pyvalues", ratio, "x",
                     "nboot 1,000" + (" (at least one side extrapolated)" if est else ", both measured"))


def rederive(path: Path) -> int:
    """Recompute the derived rows of an existing pvboot.csv from its measured rows."""
    from _common import read_rows, write_rows

    old = read_rows(path)
    keep = [r for r in old if r["metric"] not in ("cpu_s_at_nboot_1000", "cpu_ratio_pvclust_over_pyvalues")]
    measured: dict = {}
    for r in keep:
        parts = r["case"].split(", ")
        if len(parts) == 3 and parts[1] in ("pvclust", "pyvalues") and r["metric"] in ("cpu_s", "wall_s"):
            n, nb = int(parts[0].split()[0]), int(parts[2].split()[1])
            w, c = measured.setdefault((n, parts[1]), {}).get(nb, (0.0, 0.0))
            measured[(n, parts[1])][nb] = (float(r["value"]), c) if r["metric"] == "wall_s" else (w, float(r["value"]))
    rows = Rows("pvboot", echo=True)
    derive(rows, measured, sorted({n for n, _ in measured}))
    end = [r for r in keep if r["metric"] == "load_average_1min_end"]
    write_rows([r for r in keep if r not in end] + rows.rows + end, path)
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", type=int, nargs="+", default=[20, 100, 500, 2000])
    ap.add_argument("--full", action="store_true", help="the new engine at nboot 1,000 at 500 models too")
    ap.add_argument("--workers", type=int, default=2, help="also run the new engine on this many PSOCK workers (0: no)")
    ap.add_argument("--worker-nboot", type=int, default=100, help="nboot of the worker runs")
    ap.add_argument("--out", default=str(RESULTS / "pvboot.csv"))
    ap.add_argument("--rederive", action="store_true",
                    help="run nothing: recompute the nboot-1,000 estimates and ratios of --out from its measured rows")
    args = ap.parse_args(argv)
    if args.rederive:
        return rederive(Path(args.out))
    rows = Rows("pvboot")
    rows.add("environment", "load_average_1min_start", os.getloadavg()[0], "", environment_note())
    tmp = Path(tempfile.mkdtemp(prefix="pvboot-"))
    lines = ["n\tcsv\tengine\tnboots"]
    for n in args.models:
        csv = "bundled" if n == 20 else str(write_generated(n, tmp))
        for engine, nboots in plan(n, args.full).items():
            lines.append(f"{n}\t{csv}\t{engine}\t{nboots}")
    (tmp / "spec.tsv").write_text("\n".join(lines) + "\n")
    (tmp / "bench.R").write_text(R_SCRIPT)
    proc = subprocess.run(["Rscript", str(tmp / "bench.R"), str(tmp / "spec.tsv"), str(ROOT), str(args.workers),
                           str(args.worker_nboot)], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    measured: dict[tuple[int, str], dict[int, tuple[float, float]]] = {}
    for line in proc.stdout.splitlines():
        if not line.startswith("RESULT\t"):
            continue
        if line.startswith("RESULT\tnative\t"):
            rows.add("environment", "compiled_kernels", int(line.split("\t")[2] == "TRUE"), "bool",
                     "pv_pvclust's compiled distance and tree (inst/csrc) loaded; 0: R's own code")
            continue
        _, n, what, nb, wall, cpu = line.split("\t")
        n, nb, wall, cpu = int(n), int(nb), float(wall), float(cpu)
        if what == "identical":
            rows.add(f"{n} models, nboot {nb}", "identical_edges_and_counts", int(cpu), "bool",
                     "pv_pvclust vs pvclust::pvclust, same iseed: identical(edges) && identical(count)")
        elif what == "cluster_start":
            rows.add(f"{n} models, {nb} PSOCK workers", "cluster_start_wall_s", wall, "s", "makePSOCKcluster")
        elif what.endswith("workers"):
            rows.add(f"{n} models, pyvalues on {what.split('_')[1].replace('workers', '')} PSOCK workers, nboot {nb}",
                     "wall_s", wall, "s", "cluster start excluded")
            rows.add(f"{n} models, pyvalues on {what.split('_')[1].replace('workers', '')} PSOCK workers, nboot {nb}",
                     "cpu_s", cpu, "s", "master + workers")
        else:
            measured.setdefault((n, what), {})[nb] = (wall, cpu)
            rows.add(f"{n} models, {what}, nboot {nb}", "cpu_s", cpu, "s", "measured")
            rows.add(f"{n} models, {what}, nboot {nb}", "wall_s", wall, "s", "measured")
    derive(rows, measured, args.models)
    return rows.finish(Path(args.out))


if __name__ == "__main__":
    raise SystemExit(main())
