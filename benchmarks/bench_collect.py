"""Collector overhead and throughput against a loopback server that answers after a fixed delay.

    .venv/bin/python benchmarks/bench_collect.py [--delay 0.1] [--requests 48] [--repeats 3]

The server (``tests/fake_chat_server.py``, the test suite's ThreadingHTTPServer on 127.0.0.1,
run in its own process, so it does not share the collector's GIL)
answers every chat request after ``delay`` seconds with a 25-line ranking. For each
concurrency c in 1, 2, 4, 8, 16 a fresh store receives ``requests`` requests (one model, two
languages, requests/2 replicates) through :func:`pyvalues.collect.collect`, the whole public
path: planning, limiter, HTTP with requests, retry wrapper, redaction of every body (an API key
of OpenAI's length is set, so the redactor scans each body for its pieces), SQLite insert
(WAL, synchronous=FULL), progress off.

Figures (median over repeats):

* ``throughput_rps`` = requests / wall time of collect(); ``ideal_rps`` = c / delay;
  ``ratio`` = throughput / ideal (1.0 = the client adds nothing).
* ``client_overhead_ms`` = (wall - sum of per-attempt HTTP latencies / c) / requests * c: the
  time per request a worker spends outside the HTTP call (store writes, planning, thread
  hand-off), i.e. not waiting on the server.
* ``http_over_delay_ms`` = mean HTTP latency - delay: loopback, requests' and the test
  server's own handling (the server is Python too).

Written to benchmarks/results/collect.csv and printed.
"""
from __future__ import annotations

import argparse
import csv
import os
import secrets
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pyvalues.collect import Store, collect, parse_config  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "collect.csv"
ROOT = Path(__file__).resolve().parents[1]
KEY_ENV = "PYVALUES_BENCH_KEY"


def one_run(base_url, concurrency, n_requests, tmp):
    cfg = parse_config({
        "run": {"replicates": n_requests // 2, "timeout_s": 30, "max_attempts": 2},
        "generation": {"max_tokens": 64, "seed": 1},
        "providers": {"p": {"kind": "openai", "base_url": base_url, "concurrency": concurrency,
                            "api_key_env": KEY_ENV}},
        "models": [{"name": "bench", "country": "US", "provider": "p", "model_id": "bench"}],
    })
    db = Path(tmp) / f"bench-{concurrency}-{time.monotonic_ns()}.sqlite"
    t0 = time.perf_counter()
    summary = collect(cfg, db, progress=False)
    wall = time.perf_counter() - t0
    assert summary.complete, summary
    with Store(db) as st:
        lat = [r["latency_s"] for r in st.rows() if r["status"] == "ok"]
    assert len(lat) == n_requests
    return wall, lat


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--delay", type=float, default=0.1)
    ap.add_argument("--requests", type=int, default=48)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    args = ap.parse_args(argv)
    rows = []
    # a key of OpenAI's project-key length, so every body passes through a non-empty redactor
    os.environ[KEY_ENV] = "sk-proj-" + secrets.token_urlsafe(117)[:156]
    server = subprocess.Popen([sys.executable, str(ROOT / "tests" / "fake_chat_server.py"), "--delay", str(args.delay)],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    base_url = server.stdout.readline().strip()
    try:
        rows = measure(args, base_url)
    finally:
        server.terminate()
        server.wait(timeout=10)
    write_and_print(args, rows)


def measure(args, base_url):
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        one_run(base_url, 1, 4, tmp)  # warm-up: imports, first connection
        for c in args.concurrency:
            walls, overheads, over_delay = [], [], []
            for _ in range(args.repeats):
                wall, lat = one_run(base_url, c, args.requests, tmp)
                walls.append(wall)
                # each of c workers is busy wall seconds; sum(lat) of that is waiting on HTTP
                overheads.append((wall * c - sum(lat)) / args.requests)
                over_delay.append(statistics.mean(lat) - args.delay)
            wall = statistics.median(walls)
            thr = args.requests / wall
            ideal = c / args.delay
            rows.append({
                "concurrency": c, "delay_s": args.delay, "requests": args.requests, "repeats": args.repeats,
                "wall_s": round(wall, 4), "throughput_rps": round(thr, 2), "ideal_rps": round(ideal, 2),
                "ratio": round(thr / ideal, 3),
                "client_overhead_ms": round(1000 * statistics.median(overheads), 2),
                "http_over_delay_ms": round(1000 * statistics.median(over_delay), 2),
                "cpus": os.cpu_count(), "python": platform.python_version(),
            })
    return rows


def write_and_print(args, rows):
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    cols = ["concurrency", "wall_s", "throughput_rps", "ideal_rps", "ratio", "client_overhead_ms",
            "http_over_delay_ms"]
    print(f"collector vs loopback server, delay {args.delay:g} s, {args.requests} requests, "
          f"median of {args.repeats} ({os.cpu_count()} CPUs)")
    print("  ".join(f"{c:>18}" for c in cols))
    for r in rows:
        print("  ".join(f"{r[c]:>18}" for c in cols))
    print(f"written to {OUT}")


if __name__ == "__main__":
    main()
