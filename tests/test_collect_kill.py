"""A collection killed with SIGKILL mid-run, three times, then resumed to the end.

Expected, from the design of the run (1 model x 2 languages x 10 replicates = 20 requests):
at the end exactly 20 successful attempts, one per request; every successful attempt that
was in the store after a kill is still there, unchanged; the store passes SQLite's
integrity check after every kill.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from pyvalues.collect import Store
from fake_chat_server import FakeChatServer

ROOT = Path(__file__).resolve().parents[1]
N_REQUESTS = 2 * 10

CONFIG = """
[run]
languages = ["zh", "en"]
replicates = 10
timeout_s = 10
max_attempts = 3
backoff_initial_s = 0.05
backoff_max_s = 0.2

[generation]
max_tokens = 64
seed = 1

[providers.fake]
kind = "openai"
base_url = "{base_url}"
concurrency = 2

[[models]]
name = "Fake model"
country = "US"
provider = "fake"
model_id = "fake"
"""


def _ok_rows(db: Path) -> dict:
    """id -> (request_key, response_text) of the successful attempts, read-only."""
    if not db.exists():
        return {}
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return {r[0]: (r[1], r[2]) for r in
                con.execute("SELECT id, request_key, response_text FROM attempts WHERE status = 'ok'")}
    except sqlite3.OperationalError:  # table not created yet
        return {}
    finally:
        con.close()


def _start(cfg: Path, db: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pyvalues.collect", str(cfg), "--store", str(db),
                             "--no-parse", "--quiet"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)


def test_sigkill_midrun_then_resume(tmp_path):
    db = tmp_path / "killed.sqlite"
    cfg = tmp_path / "kill.toml"
    with FakeChatServer(delay_s=0.25) as fake:
        cfg.write_text(CONFIG.format(base_url=fake.base_url))
        kept: dict = {}
        for round_ in range(3):
            proc = _start(cfg, db)
            target = len(kept) + 3
            deadline = time.monotonic() + 60
            while len(_ok_rows(db)) < target and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.02)
            assert proc.poll() is None, f"round {round_}: the run ended before it could be killed: " \
                                        f"{proc.stderr.read().decode()[-2000:]}"
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            assert proc.returncode == -signal.SIGKILL
            with Store(db) as store:  # opens after a kill
                assert store.integrity_check() == "ok"
            now = _ok_rows(db)
            assert len(now) >= target
            # completed responses survive: nothing written before is gone or changed
            assert all(now.get(i) == v for i, v in kept.items())
            kept = now
        assert len(kept) < N_REQUESTS  # the kills really interrupted the run

        proc = _start(cfg, db)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()[-2000:]
        served = len(fake.ok_served)

    final = _ok_rows(db)
    assert all(final.get(i) == v for i, v in kept.items())
    keys = [k for k, _ in final.values()]
    assert len(keys) == len(set(keys)) == N_REQUESTS  # all there, none duplicated
    with Store(db) as store:
        assert store.integrity_check() == "ok"
        cells = {(r["language"], r["replicate"]) for r in store.rows() if r["status"] == "ok"}
    assert cells == {(lang, rep) for lang in ("zh", "en") for rep in range(1, 11)}
    # the server answered at least every stored request (answers in flight at a kill are redone)
    assert served >= N_REQUESTS
