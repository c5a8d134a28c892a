"""Time the reconstruction search against the share of feasible claims it reproduces.

    python benchmarks/bench_reconstruction.py [--iterations 1000000,2000000,4000000] [--seed 2026]

For each stage-2 iteration budget (stage 1 always runs N_ITER_DIMS steps per chain): wall
time of the search (numba already compiled: a warm-up run
comes first), final penalty, and the number of jointly feasible reported numbers reproduced
within rounding. Writes benchmarks/results/reconstruction.csv (one row per budget) and prints
it. The machine's load average is recorded, since other processes slow the search.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

try:
    import pyvalues_reconstruct as rc  # noqa: E402
    rc.load_kernels()
except ImportError as e:
    sys.exit(f"error: {e}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", default="1000000,2000000,4000000")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--chains", type=int, default=2)
    ap.add_argument("--claims", type=Path, default=ROOT / "data-raw/claims/paper2026.csv")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/reconstruction.csv")
    args = ap.parse_args(argv)
    targets = rc.load_targets(args.claims)
    t0 = time.perf_counter()
    rc._chain((targets, args.seed, 1000, 0.5, 0.001, 1000))  # compile / load the numba cache
    warm = time.perf_counter() - t0
    rows = []
    for n in [int(x) for x in args.iterations.split(",")]:
        load = os.getloadavg()[0]
        t = time.perf_counter()
        P, pen, _ = rc.search(targets, seed=args.seed, n_iter=n, chains=args.chains, verbose=False)
        secs = time.perf_counter() - t
        s = rc.summary(rc.fit_table(targets, P))
        rows.append({
            "iterations": n, "chains": args.chains, "seed": args.seed, "search_seconds": round(secs, 2),
            "stage1_steps": rc.N_ITER_DIMS,
            "us_per_step": round(1e6 * secs / (n + rc.N_ITER_DIMS), 1), "penalty": round(pen, 4),
            "feasible_matched": s["n_feasible_matched"], "feasible_checked": s["n_feasible_checked"],
            "fraction_matched": round(s["frac_feasible"], 4),
            "core_matched": s["n_core_matched"], "core_checked": s["n_core"],
            "fraction_core": round(s["frac_core"], 4),
            "load_avg_1min": round(load, 2), "cpus": os.cpu_count(),
            "python": platform.python_version(), "warmup_seconds": round(warm, 2),
        })
        print(rows[-1], flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    df = pd.DataFrame(rows)
    df.to_csv(args.out, index=False, lineterminator="\n")
    print(df.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
