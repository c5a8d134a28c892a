"""A 2,000-request run through the batch APIs, against the loopback fakes: client CPU and store size.

    .venv/bin/python benchmarks/bench_batch.py [--requests 2000] [--models 10] [--repeats 1]

The collector runs as ``python -m pyvalues.collect CONFIG --store DB --no-parse --quiet`` in
a fresh process (start-up, planning, batch JSONL, upload, create, polling every 0.05 s,
reading the results, one SQLite insert per answer with ``synchronous=FULL``, JSONL export);
the fakes (``tests/fake_batch_server.py``: OpenAI's Batch API and Anthropic's Message
Batches; ``tests/fake_chat_server.py`` for the synchronous comparison) run as threads of
this process, so the CPU seconds of the collector's process do not include the server's.
``models`` models x 2 languages x requests / (2 models) replicates; one batch per model.

Cases: ``openai_batch`` and ``anthropic_batch`` (each a fresh store), ``sync_c8`` (the same
plan through the synchronous client at concurrency 8, server delay 0, as a yardstick),
``rerun_nothing_to_do`` (the finished OpenAI store run again: start-up, planning, reading
the store). Figures: ``client_cpu_s`` (user + system of the collector process), ``wall_s``,
``store_bytes`` (database + WAL + shared-memory files after the process ended),
``store_bytes_per_request``, ``batch_items_template_bytes`` (what the batch ledger adds: each
request's recorded row template), ``answered`` (distinct request keys with an answer).

Written to benchmarks/results/batch.csv (``benchmark, case, metric, value, unit, note``).
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PYTHON, RESULTS, ROOT, Rows, environment_note, median, run_timed  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
from fake_batch_server import FakeBatchServer  # noqa: E402

from fake_chat_server import FakeChatServer  # noqa: E402

OUT = RESULTS / "batch.csv"


def config_text(base_url, kind, mode, n_models, replicates) -> str:
    url = base_url if kind == "openai" else base_url.removesuffix("/v1")
    lines = ["[run]", 'languages = ["zh", "en"]', f"replicates = {replicates}", f'mode = "{mode}"',
             "batch_poll_s = 0.05", "batch_wait_s = 600", "timeout_s = 60", "max_attempts = 3",
             "backoff_initial_s = 0.05", "backoff_max_s = 0.5",
             "[generation]", "max_tokens = 64", "seed = 1",
             "[providers.p]", f'kind = "{kind}"', f'base_url = "{url}"', "concurrency = 8"]
    for i in range(n_models):
        lines += ["[[models]]", f'name = "bench-{i:02d}"', 'country = "US"', 'provider = "p"',
                  f'model_id = "bench-{i:02d}"']
    return "\n".join(lines) + "\n"


def store_bytes(db: Path) -> int:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*") if p.is_file())


def answered(db: Path) -> int:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute("SELECT COUNT(DISTINCT request_key) FROM attempts WHERE status = 'ok'").fetchone()[0]
    finally:
        con.close()


def template_bytes(db: Path) -> int:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute("SELECT COALESCE(SUM(LENGTH(CAST(template AS BLOB))), 0) FROM batch_items").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


def one(tmp: Path, name: str, server, kind: str, mode: str, args):
    replicates = args.requests // (2 * args.models)
    cfg = tmp / f"{name}.toml"
    cfg.write_text(config_text(server.base_url, kind, mode, args.models, replicates))
    db = tmp / f"{name}.sqlite"
    return (*timed_run(cfg, db), db, cfg)


def timed_run(cfg: Path, db: Path):
    return run_timed([PYTHON, "-m", "pyvalues.collect", str(cfg), "--store", str(db), "--no-parse", "--quiet"],
                     timeout=1800)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--models", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args(argv)
    if args.requests % (2 * args.models):
        ap.error("--requests must be a multiple of 2 x --models")
    rows = Rows("batch")
    rows.add("environment", "load_average_1min_start", __import__("os").getloadavg()[0], "", environment_note())
    n = args.requests
    note = f"{n} requests = {args.models} models x 2 languages x {n // (2 * args.models)} replicates"
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        for case, kind, mode in (("openai_batch", "openai", "batch"), ("anthropic_batch", "anthropic", "batch"),
                                 ("sync_c8", "openai", "sync")):
            walls, cpus, sizes = [], [], []
            for r in range(args.repeats):
                server = (FakeBatchServer(polls_to_end=2) if mode == "batch" else FakeChatServer()).start()
                try:
                    wall, cpu, db, cfg = one(tmp, f"{case}-{r}", server, kind, mode, args)
                    if mode == "batch":
                        assert len(server.order) == args.models and set(server.submissions.values()) == {1}
                    if case == "openai_batch" and r == 0:
                        rerun = timed_run(cfg, db)
                        assert len(server.order) == args.models  # nothing sent again
                finally:
                    server.stop()
                got = answered(db)
                assert got == n, f"{case}: {got} of {n} answered"
                walls.append(wall)
                cpus.append(cpu)
                sizes.append(store_bytes(db))
            rows.add(case, "client_cpu_s", median(cpus), "s", note + f"; median of {args.repeats}")
            rows.add(case, "wall_s", median(walls), "s", "batch: includes polling every 0.05 s"
                     if mode == "batch" else "concurrency 8, server delay 0")
            rows.add(case, "client_cpu_ms_per_request", 1000 * median(cpus) / n, "ms", "")
            rows.add(case, "store_bytes", sizes[-1], "B", "database + WAL + shm after the process ended")
            rows.add(case, "store_bytes_per_request", round(sizes[-1] / n, 1), "B", "")
            rows.add(case, "batch_items_template_bytes", template_bytes(db), "B",
                     "the ledger's recorded row templates (0 without batch tables)")
            rows.add(case, "answered", answered(db), "requests", "distinct request keys with an answer")
            if case == "openai_batch":
                rows.add("rerun_nothing_to_do", "client_cpu_s", rerun[1], "s",
                         "the finished openai_batch store run again: start-up, planning, reading the store")
                rows.add("rerun_nothing_to_do", "wall_s", rerun[0], "s", "")
    return rows.finish(OUT)


if __name__ == "__main__":
    raise SystemExit(main())
