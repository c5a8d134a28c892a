"""The analysis engine: R functions vs their Python twins, how cost grows, pvclust on 2 cores.

    .venv/bin/python benchmarks/bench_engine.py [--models 20 100 500] [--repeats 3] [--full]

Three parts, written to ``benchmarks/results/engine.csv``:

* **families** -- for generated rank tables of 20, 100 and 500 models (3 replicates,
  paper-shaped: 55 % CN), the time of each analysis family as the R function in ``R/``
  (timed inside one ``Rscript`` process with ``proc.time()``, after a warm-up call, so
  neither R's start-up nor rpy2 is in the figure) and as its Python twin in
  ``pyvalues/analysis/twins.py`` (timed in this process after a warm-up call). Both
  start from a validated table, so each family includes its own aggregation, as a user
  calling it would pay. Median of up to ``--repeats`` runs (fewer when one run takes
  longer than ``--cap`` seconds).
* **clustering** -- ``pv_cluster_models()`` is pvclust's multiscale bootstrap (10 scales x
  nboot hierarchical clusterings); its Python twin is one scipy clustering without AU/BP
  (no twin exists), so the like-for-like pair is ``clustering_hclust`` (R ``hclust`` +
  ``cutree`` vs scipy). pvclust's cost is linear in nboot; at sizes where nboot = 1000
  would take minutes it is run at a smaller nboot and the 1000-replicate time is
  extrapolated (the row says so).
* **pvclust** -- the 20-model table at nboot 1,000 (and 10,000 with ``--full``), serial
  vs ``parallel = <cluster of 2 workers>`` (``parallel::makeCluster(2)``), and pvclust's
  own ``parallel = TRUE`` (which starts ``detectCores() - 1`` workers: one, on 2 cores).

The correlation bootstrap (``pv_correlations()``, 10,000 resamples of the pairwise
coefficients) costs nboot x pairs draws; where that exceeds ``--max-draws`` (500 models)
the default run uses a smaller nboot and extrapolates (the row says so); ``--full`` runs
10,000.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

from _common import RESULTS, ROOT, Rows, environment_note, median, write_generated

R_SCRIPT = r"""
args <- commandArgs(TRUE)
# the spec is a tab-separated file: n, csv, pvclust_nboot, ci_nboot
spec <- read.delim(args[1], stringsAsFactors = FALSE)
repeats <- as.integer(args[2]); cap <- as.numeric(args[3])
root <- args[4]; pvclust_spec <- args[5]; full <- identical(args[6], "full")
options(pyvalues.source_root = root, warn = 1)
for (f in sort(list.files(file.path(root, "R"), pattern = "[.]R$", full.names = TRUE))) source(f)
suppressPackageStartupMessages({ loadNamespace("afex"); loadNamespace("pvclust"); loadNamespace("effectsize"); loadNamespace("rstatix") })

emit <- function(...) cat(paste("RESULT", ..., sep = "\t"), "\n", sep = "")
timed <- function(expr_fn, repeats, cap, warm) {
  wall <- c(); cpu <- c()
  if (warm) expr_fn()                         # warm-up on the first table (loads namespaces, byte-compiles)
  for (i in seq_len(repeats)) {
    t0 <- proc.time(); expr_fn(); t <- proc.time() - t0
    wall <- c(wall, t[["elapsed"]]); cpu <- c(cpu, t[["user.self"]] + t[["sys.self"]])
    if (sum(wall) > cap) break
  }
  c(median(wall), median(cpu), length(wall))
}
hclust_only <- function(d) {
  tm <- pv_model_term_means(d); inst <- pv_instrument(); models <- unique(tm$model)
  M <- matrix(tm$mean_rank[order(match(tm$model, models), match(tm$term, inst$term))],
              nrow = nrow(inst), dimnames = list(inst$term, models))
  hc <- stats::hclust(stats::as.dist(1 - stats::cor(M)), method = "average")
  stats::cutree(hc, k = 4)
}
for (i in seq_len(nrow(spec))) {
  n <- spec$n[i]
  t <- timed(function() pv_validate(read.csv(spec$csv[i])), repeats, cap, i == 1)
  emit(n, "validate", t[1], t[2], t[3], "read.csv + pv_validate")
  d <- pv_validate(read.csv(spec$csv[i]))
  fams <- list(
    aggregation = function() { pv_model_term_means(d); pv_model_dimension_scores(d); pv_term_means(d);
      pv_dimension_means(d); pv_primary_secondary(d); pv_primary_secondary_counts(d); pv_group_top_bottom(d) },
    dispersion_anova = function() { pv_dispersion_anova(d); pv_dispersion_posthoc(d) },
    dimension_tests = function() pv_dimension_tests(d),
    mixed_anova = function() pv_mixed_anova(d),
    term_tests = function() pv_term_tests(d),
    correlations = function() { pv_correlation_pairs(d); pv_correlations(d, nboot = spec$ci_nboot[i]) },
    concordance = function() pv_concordance(d),
    clustering_hclust = function() hclust_only(d))
  for (f in names(fams)) {
    t <- timed(fams[[f]], repeats, cap, i == 1)
    emit(n, f, t[1], t[2], t[3], "")
  }
  nb <- spec$pvclust_nboot[i]
  if (nb == 0) next                           # measured in the pvclust part below
  t0 <- proc.time(); pv_cluster_models(d, nboot = nb); t <- proc.time() - t0
  emit(n, "clustering_pvclust", t[["elapsed"]], t[["user.self"]] + t[["sys.self"]], 1, paste0("nboot=", nb))
}
if (nzchar(pvclust_spec)) {
  d <- pv_validate(read.csv(spec$csv[spec$n == 20][1]))
  for (nb in as.integer(strsplit(pvclust_spec, ",")[[1]])) {
    t0 <- proc.time(); pv_cluster_models(d, nboot = nb, parallel = FALSE); t <- proc.time() - t0
    emit(20, paste0("pvclust_serial_", nb), t[["elapsed"]], t[["user.self"]] + t[["sys.self"]], 1, "")
    t0 <- proc.time(); cl <- parallel::makeCluster(2); t <- proc.time() - t0
    emit(20, paste0("pvclust_cluster_start_", nb), t[["elapsed"]], t[["user.self"]] + t[["sys.self"]], 1, "")
    invisible(parallel::clusterEvalQ(cl, loadNamespace("pvclust")))
    w0 <- unlist(parallel::clusterEvalQ(cl, sum(proc.time()[1:2])))
    t0 <- proc.time(); pv_cluster_models(d, nboot = nb, parallel = cl); t <- proc.time() - t0
    w1 <- unlist(parallel::clusterEvalQ(cl, sum(proc.time()[1:2])))
    emit(20, paste0("pvclust_parallel2_", nb), t[["elapsed"]], t[["user.self"]] + t[["sys.self"]], 1, "")
    emit(20, paste0("pvclust_workercpu_", nb), max(w1 - w0), sum(w1 - w0), 1, "")
    parallel::stopCluster(cl)
    if (nb <= 1000) {
      t0 <- proc.time(); pv_cluster_models(d, nboot = nb, parallel = TRUE); t <- proc.time() - t0
      emit(20, paste0("pvclust_paralleltrue_", nb), t[["elapsed"]], t[["user.self"]] + t[["sys.self"]], 1,
           paste0("parallel = TRUE: ", parallel::detectCores() - 1, " worker(s), start included"))
    }
  }
}
"""

FAMILIES = ["validate", "aggregation", "dispersion_anova", "dimension_tests", "mixed_anova", "term_tests",
            "correlations", "concordance", "clustering_hclust"]


def python_families(d, ci_nboot: int):
    from pyvalues.analysis import twins as T
    from pyvalues.ranktable import validate

    g = T._groups(d["country"])

    def ds():
        return T._model_dimension_scores(T._model_term_means(d))

    def aggregation():
        tm = T._model_term_means(d)
        s = T._model_dimension_scores(tm)
        T._term_means(tm)
        T._dimension_means(tm, s)
        T._primary_secondary_counts(T._primary_secondary(s))

    raw = d.drop(columns=["dimension"]).copy()
    raw.attrs = {}
    return {
        "validate": lambda: validate(raw),
        "aggregation": aggregation,
        "dispersion_anova": lambda: T._dispersion_anova(ds()),
        "dimension_tests": lambda: T._dimension_tests(ds(), g),
        "mixed_anova": lambda: T._type3_mixed_anova(ds(), g),
        "mixed_anova_pingouin": lambda: T._pingouin_mixed_anova(ds(), g),
        "term_tests": lambda: T._term_tests(T._model_term_means(d), g),
        "correlations": lambda: T._correlations(T._correlation_pairs(T._model_term_means(d)), nboot=ci_nboot),
        "concordance": lambda: T._concordance(d),
        "clustering_hclust": lambda: T._clusters(T._model_term_means(d), k=4),
    }


def time_python(fn, repeats: int, cap: float, warm: bool) -> tuple[float, float, int]:
    if warm:
        fn()  # warm-up on the first table (imports, caches)
    walls, cpus = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        if sum(walls) > cap:
            break
    return median(walls), median(cpus), len(walls)


def ci_nboot_for(n_models: int, ci_nboot: int, max_draws: float) -> int:
    """The correlation bootstrap draws nboot x pairs values per group (CN pairs, US pairs,
    all pairs: about 1.5 x n(n-1)/2 in all); keep the default run short by capping that."""
    pairs = 1.5 * n_models * (n_models - 1) / 2
    if max_draws == float("inf") or pairs * ci_nboot <= max_draws:
        return ci_nboot
    fit = int(max_draws / pairs)
    return max(100, min(ci_nboot, fit // 100 * 100))


def pvclust_nboot_for(n_models: int, full: bool) -> int:
    if n_models <= 30:
        return 1000
    if n_models <= 150:
        return 1000 if full else 100
    return 100 if full else 10


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", type=int, nargs="+", default=[20, 100, 500])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cap", type=float, default=4.0, help="stop repeating a family after this many seconds")
    ap.add_argument("--ci-nboot", type=int, default=10000, help="correlation bootstrap resamples (pv_analyse's default)")
    ap.add_argument("--max-draws", type=float, default=2e8,
                    help="cap on the correlation bootstrap's nboot x pairs in the default run (none with --full)")
    ap.add_argument("--pvclust-nboot", default=None,
                    help="comma-separated nboot values for serial vs parallel (default 1000; 1000,10000 with --full)")
    ap.add_argument("--full", action="store_true", help="pvclust at nboot 10,000 and larger nboot at scale")
    ap.add_argument("--skip-python", action="store_true")
    ap.add_argument("--out", default=str(RESULTS / "engine.csv"))
    args = ap.parse_args(argv)
    pvclust_spec = args.pvclust_nboot or ("1000,10000" if args.full else "1000")

    rows = Rows("engine")
    rows.add("environment", "load_average_1min_start", os.getloadavg()[0], "", environment_note())
    tmp = Path(tempfile.mkdtemp(prefix="pyvalues-bench-"))
    sizes = sorted(set(args.models) | ({20} if pvclust_spec else set()))
    spec = []
    pvclust_nboots = [int(x) for x in pvclust_spec.split(",") if x]
    for n in sizes:
        # the 20-model table's nboot = 1000 run is the serial run of the pvclust part
        nb = 0 if (n == 20 and 1000 in pvclust_nboots) else pvclust_nboot_for(n, args.full)
        spec.append(dict(n=n, csv=str(write_generated(n, tmp)), pvclust_nboot=nb,
                         ci_nboot=ci_nboot_for(n, args.ci_nboot, float("inf") if args.full else args.max_draws)))
    spec_file = tmp / "spec.tsv"
    spec_file.write_text("n\tcsv\tpvclust_nboot\tci_nboot\n"
                         + "".join(f"{s['n']}\t{s['csv']}\t{s['pvclust_nboot']}\t{s['ci_nboot']}\n" for s in spec))
    script = tmp / "bench_engine.R"
    script.write_text(R_SCRIPT)
    by_n = {s["n"]: s for s in spec}

    # ---- R side: one Rscript process, results streamed back line by line
    print(f"R families on {sizes} models (Rscript, timed in R) ...", flush=True)
    r_times: dict[tuple[int, str], tuple[float, float]] = {}
    proc = subprocess.Popen(["Rscript", str(script), str(spec_file), str(args.repeats), str(args.cap),
                             str(ROOT), pvclust_spec, "full" if args.full else "default"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if not line.startswith("RESULT\t"):
            continue
        _, n, fam, wall, cpu, reps, note = line.rstrip("\n").split("\t")
        n, wall, cpu = int(n), float(wall), float(cpu)
        r_times[(n, fam)] = (wall, cpu)
        if fam.startswith("pvclust_"):
            continue
        s = by_n[n]
        extra = note
        if fam == "correlations" and s["ci_nboot"] != args.ci_nboot:
            extra = f"run at ci_nboot={s['ci_nboot']} to keep the default run short (--full: {args.ci_nboot})"
        rows.add(f"R {fam}, {n} models", "wall_s", wall, "s", f"median of {reps}; {extra}".rstrip("; "))
        rows.add(f"R {fam}, {n} models", "cpu_s", cpu, "s", f"median of {reps}")
        if fam == "clustering_pvclust":
            nb = s["pvclust_nboot"]
            rows.add(f"R {fam}, {n} models", "wall_s_at_nboot_1000", wall * 1000 / nb, "s",
                     "measured" if nb == 1000 else f"extrapolated linearly from nboot={nb}")
        if fam == "correlations" and s["ci_nboot"] != args.ci_nboot:
            rows.add(f"R {fam}, {n} models", f"wall_s_at_ci_nboot_{args.ci_nboot}", wall * args.ci_nboot / s["ci_nboot"],
                     "s", f"extrapolated from ci_nboot={s['ci_nboot']} (the bootstrap is linear in nboot)")
    err = proc.stderr.read()
    if proc.wait() != 0:
        raise SystemExit(f"Rscript failed:\n{err[-3000:]}")

    if (20, "pvclust_serial_1000") in r_times and 20 in args.models:
        wall, cpu = r_times[(20, "pvclust_serial_1000")]
        case = "R clustering_pvclust, 20 models"
        rows.add(case, "wall_s", wall, "s", "median of 1; nboot=1000 (the serial run of the pvclust part)")
        rows.add(case, "cpu_s", cpu, "s", "median of 1")
        rows.add(case, "wall_s_at_nboot_1000", wall, "s", "measured")

    # pvclust serial vs parallel
    for nb in pvclust_nboots:
        ser = r_times.get((20, f"pvclust_serial_{nb}"))
        par = r_times.get((20, f"pvclust_parallel2_{nb}"))
        start = r_times.get((20, f"pvclust_cluster_start_{nb}"))
        if not (ser and par and start):
            continue
        case = f"pvclust 20 models, nboot {nb}"
        wk = r_times.get((20, f"pvclust_workercpu_{nb}"))
        rows.add(case, "serial_wall_s", ser[0], "s", "pv_cluster_models(parallel = FALSE)")
        rows.add(case, "serial_cpu_s", ser[1], "s", "pv_cluster_models(parallel = FALSE)")
        if wk:
            rows.add(case, "parallel2_worker_cpu_s", wk[1], "s", "CPU of the 2 workers, summed")
            rows.add(case, "speedup_cpu_bound", ser[1] / (wk[0] + par[1]), "x",
                     "serial CPU / (busiest worker's CPU + master CPU): the speed-up on 2 idle cores")
        rows.add(case, "parallel2_wall_s", par[0], "s", "pv_cluster_models(parallel = makeCluster(2)); cluster start excluded")
        rows.add(case, "cluster_start_wall_s", start[0], "s", "parallel::makeCluster(2)")
        rows.add(case, "speedup_2_workers", ser[0] / par[0], "x", "serial / parallel, cluster start excluded")
        rows.add(case, "speedup_2_workers_incl_start", ser[0] / (par[0] + start[0]), "x", "serial / (parallel + start)")
        pt = r_times.get((20, f"pvclust_paralleltrue_{nb}"))
        if pt:
            rows.add(case, "parallel_true_wall_s", pt[0], "s", "pvclust(parallel = TRUE): detectCores() - 1 workers, start included")

    # ---- Python twins, in this process
    if not args.skip_python:
        import pandas as pd

        from pyvalues.ranktable import validate

        print(f"Python twins on {args.models} models (in process) ...", flush=True)
        warnings.simplefilter("ignore")
        for i, n in enumerate(sorted(args.models)):
            d = validate(pd.read_csv(by_n[n]["csv"]))
            for fam, fn in python_families(d, by_n[n]["ci_nboot"]).items():
                wall, cpu, reps = time_python(fn, args.repeats, args.cap, warm=i == 0)
                note = f"median of {reps}"
                if fam == "correlations" and by_n[n]["ci_nboot"] != args.ci_nboot:
                    note += f"; run at ci_nboot={by_n[n]['ci_nboot']}"
                if fam == "validate":
                    note += "; pyvalues.ranktable.validate"
                rows.add(f"Python {fam}, {n} models", "wall_s", wall, "s", note)
                rows.add(f"Python {fam}, {n} models", "cpu_s", cpu, "s", f"median of {reps}")
                if fam == "correlations" and by_n[n]["ci_nboot"] != args.ci_nboot:
                    rows.add(f"Python {fam}, {n} models", f"wall_s_at_ci_nboot_{args.ci_nboot}",
                             wall * args.ci_nboot / by_n[n]["ci_nboot"], "s",
                             f"extrapolated from ci_nboot={by_n[n]['ci_nboot']} (the bootstrap is linear in nboot)")
                rf = r_times.get((n, fam if fam != "mixed_anova_pingouin" else "mixed_anova"))
                if rf and wall > 0:
                    rows.add(f"R/Python {fam}, {n} models", "ratio_wall", rf[0] / wall, "x",
                             "R time / Python time (> 1: Python faster)"
                             + ("; pingouin mixed_anova vs afex" if fam == "mixed_anova_pingouin" else ""))

    return rows.finish(args.out)


if __name__ == "__main__":
    raise SystemExit(main())
