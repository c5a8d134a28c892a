"""Waiting is visible and bounded; Ctrl-C stops cleanly and says how to resume.

* Retry-After within ``max_retry_after_s`` is honoured even above ``backoff_max_s`` (measured
  at the server between the 429 and the retry), and announced on a non-terminal stream with
  what is waited for and until when.
* Retry-After above the cap ends the request at once (no wait), with the reason; the next
  run sends it again.
* SIGINT during a long wait: the process exits with 130 within seconds, prints how to resume,
  the store keeps every attempt, and the resumed run completes with one answer per request.
"""
from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from fake_chat_server import FakeChatServer

from pyvalues.collect import Store, collect, parse_config

ROOT = Path(__file__).resolve().parents[1]


def _config(base_url, **run):
    return parse_config({
        "run": {"replicates": 1, "timeout_s": 5, "max_attempts": 3, "backoff_initial_s": 0.01,
                "backoff_max_s": 0.05, **run},
        "generation": {"max_tokens": 64, "seed": 1},
        "providers": {"p": {"kind": "openai", "base_url": base_url, "concurrency": 2}},
        "models": [{"name": "M", "country": "US", "provider": "p", "model_id": "m"}],
    })


def test_retry_after_honoured_above_backoff_max_and_announced(tmp_path):
    stream = io.StringIO()
    with FakeChatServer(script={"m": ["429"]}, retry_after_s=2) as fake:
        summary = collect(_config(fake.base_url, max_retry_after_s=10), tmp_path / "s.sqlite", stream=stream)
        events = list(fake.events)
    assert summary.complete
    times = {}
    for e in events:
        times.setdefault(e["request"], []).append(e["t"])
    assert len(times) == 2 and all(len(t) == 2 and t[1] - t[0] >= 1.95 for t in times.values())
    text = stream.getvalue()
    lines = [ln for ln in text.splitlines() if ln.startswith("waiting 2 s, until ")]
    assert len(lines) == 2, text
    assert re.fullmatch(r"waiting 2 s, until \d\d:\d\d:\d\d UTC: model 'M', (zh|en), replicate 1 -- HTTP 429: "
                        r"rate limit reached; then attempt 2 \(at most 3 per run\)", lines[0]), lines[0]


def test_retry_after_above_cap_fails_fast_then_next_run_sends(tmp_path):
    stream = io.StringIO()
    with FakeChatServer(script={"m": ["429"]}, retry_after_s=3600) as fake:
        t0 = time.monotonic()
        s1 = collect(_config(fake.base_url, max_retry_after_s=5), tmp_path / "s.sqlite", stream=stream)
        took = time.monotonic() - t0
        n1 = len(fake.events)
        s2 = collect(_config(fake.base_url, max_retry_after_s=5), tmp_path / "s.sqlite", progress=False)
        n2 = len(fake.events)
    assert took < 3 and n1 == 2 and s1.tallies["M"].failed == 2 and not s1.complete
    assert stream.getvalue().count("the server asked to wait 3600 s (Retry-After), more than "
                                   "max_retry_after_s = 5; left for the next run") == 2
    assert n2 == 4 and s2.complete and s2.tallies["M"].ok == 2
    with Store(tmp_path / "s.sqlite") as st:
        assert Counter((r["status"], r["attempt"]) for r in st.rows()) == {("http_429", 1): 2, ("ok", 2): 2}


CONFIG = """
[run]
languages = ["zh", "en"]
replicates = 3
timeout_s = 5
max_attempts = 3
backoff_initial_s = 0.01
backoff_max_s = 0.05
max_retry_after_s = 600

[generation]
max_tokens = 64
seed = 1

[providers.p]
kind = "openai"
base_url = "{base_url}"
concurrency = 2

[[models]]
name = "M"
country = "US"
provider = "p"
model_id = "m"

[[models]]
name = "Quick"
country = "US"
provider = "p"
model_id = "quick"
"""


def test_ctrl_c_during_a_wait_stops_cleanly_and_resumes(tmp_path):
    db = tmp_path / "c.sqlite"
    cfg = tmp_path / "c.toml"
    # model m: every request first meets a 429 asking for 300 s; model quick answers at once
    with FakeChatServer(script={"m": ["429"]}, retry_after_s=300) as fake:
        cfg.write_text(CONFIG.format(base_url=fake.base_url))
        proc = subprocess.Popen([sys.executable, "-m", "pyvalues.collect", str(cfg), "--store", str(db)],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        err_lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            err_lines.append(line)
            if line.startswith("waiting 300 s, until"):
                break
        assert any(ln.startswith("waiting 300 s, until") for ln in err_lines), "".join(err_lines)
        time.sleep(0.5)
        t0 = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        took = time.monotonic() - t0
        err = "".join(err_lines) + err
        assert proc.returncode == 130, err[-3000:]
        assert took < 10
        assert f"resume with: python -m pyvalues.collect {cfg} --store {db}" in err
        assert "Traceback" not in err
        with Store(db) as st:
            assert st.integrity_check() == "ok"
            before = st.rows()
        # the resumed run: requests not sent before meet their 429 now, asking for 0.05 s;
        # each request's second arrival is answered
        fake.retry_after_s = 0.05
        proc = subprocess.run([sys.executable, "-m", "pyvalues.collect", str(cfg), "--store", str(db), "--quiet"],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-3000:]
    with Store(db) as st:
        rows = st.rows()
    assert rows[:len(before)] == before  # nothing stored before the interrupt changed or vanished
    ok = Counter((r["model"], r["language"], r["replicate"]) for r in rows if r["status"] == "ok")
    assert set(ok.values()) == {1} and len(ok) == 12
    # m's requests each met one 429 (attempt 1, in either run) and were answered at attempt 2
    m_rows = Counter((r["status"], r["attempt"]) for r in rows if r["model"] == "M")
    assert m_rows == {("http_429", 1): 6, ("ok", 2): 6}


def test_a_rate_limit_wait_is_announced_once_and_ended():
    from pyvalues.collect.limits import ProviderLimiter

    clock = iter([0.0, 0.0, 61.0])  # the second request finds the window full, then 61 s have passed
    lim = ProviderLimiter(2, requests_per_minute=1, clock=lambda: next(clock))
    calls = []
    t1 = lim.acquire(0, on_wait=lambda s, why: calls.append((s, why)))
    assert calls == []
    t2 = lim.acquire(0, on_wait=lambda s, why: calls.append((s, why)))
    assert calls == [(60.0, "requests_per_minute = 1 of the provider"), (None, None)]
    lim.release(t1)
    lim.release(t2)
