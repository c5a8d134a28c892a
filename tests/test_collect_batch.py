"""Batch mode (pyvalues.collect.batch) against loopback fakes of OpenAI's Batch API and
Anthropic's Message Batches (tests/fake_batch_server.py).

What each test expects comes from the design of its run, counted on the server's side:
a run of M models x 2 languages x R replicates has 2MR requests; the fake counts how often
each custom id was submitted, how often it was answered, and how often it was submitted
while an earlier submission was still live (``live_resubmissions``, which must stay 0).
The fake answers each prompt with the terms in the order the prompt lists them, so the rank
of a term in the parsed table must be its position in the replicate's recorded term order.
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from pyvalues.collect import Store, export_jsonl, parse_config, term_order_for
from pyvalues.pipeline import collect, rank_table_from_jsonl  # collection with the parser's follow-up (re-ask)
from pyvalues.collect.batch import BatchLedger

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_batch_server import FakeBatchServer  # noqa: E402
from fake_chat_server import FakeChatServer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
KEY_ENV = "PV_BATCH_TEST_KEY"
# a realistic project key: 168 characters
KEY = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z" * 5


def _config(base_url, kind="openai", replicates=5, models=("Model A", "Model B"), mode="batch", **run):
    url = base_url if kind == "openai" else base_url.removesuffix("/v1")
    return {
        "run": {"languages": ["zh", "en"], "replicates": replicates, "term_order": "shuffled", "mode": mode,
                "batch_poll_s": 0.05, "batch_wait_s": 60, "timeout_s": 10, "max_attempts": 3,
                "backoff_initial_s": 0.02, "backoff_max_s": 0.1, **run},
        "generation": {"max_tokens": 64, "seed": 1},
        "providers": {"p": {"kind": kind, "base_url": url, "api_key_env": KEY_ENV}},
        "models": [{"name": n, "country": "US", "provider": "p", "model_id": f"fake-{i}"}
                   for i, n in enumerate(models)],
    }


def _toml(cfg: dict) -> str:
    def val(v):
        return json.dumps(v)
    lines = ["[run]"] + [f"{k} = {val(v)}" for k, v in cfg["run"].items()]
    lines += ["[generation]"] + [f"{k} = {val(v)}" for k, v in cfg["generation"].items()]
    for name, p in cfg["providers"].items():
        lines += [f"[providers.{name}]"] + [f"{k} = {val(v)}" for k, v in p.items()]
    for m in cfg["models"]:
        lines += ["[[models]]"] + [f"{k} = {val(v)}" for k, v in m.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)


def _ok_keys(db) -> Counter:
    with Store(db) as st:
        return Counter(r["request_key"] for r in st.rows() if r["status"] == "ok")


def _check_ranks(db, tmp_path, config):
    """Parse the export; every ranking is complete and equals the prompt's term order."""
    jsonl = tmp_path / "export.jsonl"
    export_jsonl(db, jsonl)
    table, status = rank_table_from_jsonl(jsonl, tmp_path / "ranks.csv")
    n_cells = len(config.enabled_models) * len(config.languages) * config.replicates
    assert len(table) == 25 * n_cells
    for (model, language, rep), g in table.groupby(["model", "language", "replicate"]):
        order = term_order_for(config.term_order, config.shuffle_seed, rep)
        assert dict(zip(g["term"], g["rank"])) == {t: i + 1 for i, t in enumerate(order)}
    return table


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_batch_happy_path(tmp_path, kind):
    db = tmp_path / "b.sqlite"
    with FakeBatchServer(expected_key=KEY) as fake:
        config = parse_config(_config(fake.base_url, kind))
        summary = collect(config, db, progress=False)
        assert summary.complete
        n = 2 * 2 * 5
        # one batch per model, each request submitted once and answered once
        assert len(fake.order) == 2
        assert sorted(len(b["items"]) for b in fake.batches.values()) == [10, 10]
        assert len(fake.submissions) == n and set(fake.submissions.values()) == {1}
        assert set(fake.answers.values()) == {1} and fake.live_resubmissions == 0
        # custom ids are the store keys
        ok = _ok_keys(db)
        assert set(ok) == set(fake.submissions) and set(ok.values()) == {1}
        assert sum(t.ok for t in summary.tallies.values()) == n
        # a second run sends nothing
        again = collect(config, db, progress=False)
        assert sum(t.already_done for t in again.tallies.values()) == n and len(fake.order) == 2
    with Store(db) as st:
        rows = st.rows()
        assert st.integrity_check() == "ok"
    assert all(r["request"]["batch"]["id"] in fake.batches for r in rows)
    assert all(r["request"]["provider_kind"] == kind for r in rows)
    _check_ranks(db, tmp_path, config)
    led = BatchLedger(db, create=False)
    try:
        assert led.counts() == {("ended", "answered"): n}
    finally:
        led.close()


def test_batch_rows_have_the_sync_format(tmp_path):
    """The same plan collected synchronously and through a batch: identical columns, texts,
    request bodies, and identical rank tables after parsing."""
    with FakeChatServer() as chat, FakeBatchServer() as fake:
        sync_cfg = parse_config(_config(chat.base_url, replicates=2, mode="sync"))
        batch_cfg = parse_config(_config(fake.base_url, replicates=2))
        collect(sync_cfg, tmp_path / "s.sqlite", progress=False)
        collect(batch_cfg, tmp_path / "b.sqlite", progress=False)
    with Store(tmp_path / "s.sqlite") as s, Store(tmp_path / "b.sqlite") as b:
        srows, brows = s.rows(), b.rows()
    assert len(srows) == len(brows) == 8
    key = lambda r: (r["model"], r["language"], r["replicate"])  # noqa: E731
    for sr, br in zip(sorted(srows, key=key), sorted(brows, key=key)):
        assert set(sr) == set(br)
        for col in ("model", "country", "language", "replicate", "provider", "model_id", "attempt", "status",
                    "http_status", "error", "response_text", "finish_reason", "prompt_hash", "term_order",
                    "followup", "followup_of"):
            assert sr[col] == br[col], col
        assert sr["request"]["body"] == br["request"]["body"]
        assert br["request"]["url"] == br["base_url"] + "/chat/completions"
    st = _check_ranks(tmp_path / "s.sqlite", tmp_path / "s", sync_cfg)
    bt = _check_ranks(tmp_path / "b.sqlite", tmp_path / "b", batch_cfg)
    assert st.reset_index(drop=True).equals(bt.reset_index(drop=True))


class _FailEveryThird:
    """The fake's outcome: every third request, in the order the fake first processes them,
    errors on its first submission and is answered on the next. (Request keys hold the fake's
    port, so a split by key would sometimes pick none of 10 requests.)"""

    def __init__(self):
        self.seen: dict[str, int] = {}

    def failing(self, custom_id: str) -> bool:
        return self.seen.setdefault(custom_id, len(self.seen)) % 3 == 0

    def __call__(self, custom_id, n):
        return "error" if n == 1 and self.failing(custom_id) else "ok"


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_partial_failures_are_retried_next_run_only(tmp_path, kind):
    db = tmp_path / "p.sqlite"
    fail = _FailEveryThird()
    with FakeBatchServer(outcome=fail) as fake:
        config = parse_config(_config(fake.base_url, kind))
        first = collect(config, db, progress=False)
        keys = set(fake.submissions)
        bad = {k for k in keys if fail.failing(k)}
        assert 0 < len(bad) < len(keys)
        assert not first.complete
        assert sum(t.failed for t in first.tallies.values()) == len(bad)
        assert set(_ok_keys(db)) == keys - bad
        with Store(db) as st:
            errs = [r for r in st.rows() if r["status"] != "ok"]
        assert {r["request_key"] for r in errs} == bad and len(errs) == len(bad)
        assert {r["status"] for r in errs} == ({"http_500"} if kind == "openai" else {"batch_errored"})
        assert all(r["attempt"] == 1 and r["error"] for r in errs)

        second = collect(config, db, progress=False)
        assert second.complete
        # the second run's batches hold exactly the failed requests
        later = [fake.batches[i] for i in fake.order[2:]]
        assert {c for b in later for c, _ in b["items"]} == bad
        assert {k for k, v in fake.submissions.items() if v == 2} == bad
        assert set(fake.submissions.values()) <= {1, 2} and fake.live_resubmissions == 0
        assert set(fake.answers.values()) == {1}
    ok = _ok_keys(db)
    assert set(ok) == keys and set(ok.values()) == {1}
    with Store(db) as st:
        # the retried answers continue the attempt numbering
        assert {r["attempt"] for r in st.rows() if r["status"] == "ok" and r["request_key"] in bad} == {2}
    _check_ranks(db, tmp_path, config)


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_expired_batch(tmp_path, kind):
    db = tmp_path / "e.sqlite"
    with FakeBatchServer(expire={1}, expire_done=4) as fake:
        config = parse_config(_config(fake.base_url, kind, models=("Model A",)))
        first = collect(config, db, progress=False)
        assert not first.complete
        first_batch = fake.batches[fake.order[0]]
        done_ids = [c for c, _ in first_batch["items"][:4]]
        expired_ids = [c for c, _ in first_batch["items"][4:]]
        assert set(_ok_keys(db)) == set(done_ids)
        with Store(db) as st:
            assert Counter(r["status"] for r in st.rows() if r["status"] != "ok") == {"batch_expired": 6}
        second = collect(config, db, progress=False)
        assert second.complete
        assert [c for c, _ in fake.batches[fake.order[1]]["items"]] == expired_ids
        assert fake.live_resubmissions == 0 and set(fake.answers.values()) == {1}
    assert set(_ok_keys(db).values()) == {1} and len(_ok_keys(db)) == 10
    _check_ranks(db, tmp_path, config)


def test_failed_batch_and_missing_key(tmp_path, monkeypatch):
    """A 401 on create stops the model with one message and leaves its requests pending."""
    db = tmp_path / "k.sqlite"
    with FakeBatchServer(expected_key="sk-other-key-000000000000") as fake:
        config = parse_config(_config(fake.base_url, models=("Model A",)))
        summary = collect(config, db, progress=False)
        t = summary.tallies["Model A"]
        assert t.stop_message and "401" in t.stop_message and KEY[:12] not in t.stop_message
        assert t.ok == 0 and len(fake.order) == 0
    led = BatchLedger(db, create=False)
    try:
        assert led.counts() == {("abandoned", "failed"): 10}
    finally:
        led.close()


def test_key_echoed_by_the_server_is_never_stored_or_printed(tmp_path):
    db = tmp_path / "r.sqlite"
    with FakeBatchServer(echo_headers={"create": {1}, "poll": {1, 2, 3}}) as fake:
        cfg = tmp_path / "r.toml"
        cfg.write_text(_toml(_config(fake.base_url, models=("Model A",))))
        proc = subprocess.run([sys.executable, "-m", "pyvalues.collect", str(cfg), "--store", str(db)],
                              cwd=ROOT, capture_output=True, text=True, timeout=120,
                              env={**os.environ, KEY_ENV: KEY})
        assert fake.echo_calls["poll"] >= 3  # the echoing answers were really sent
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "polling failed" in proc.stderr and "[redacted]" in proc.stderr
    blobs = [proc.stdout, proc.stderr] + [p.read_bytes().decode("utf-8", "replace")
                                          for p in tmp_path.iterdir() if p.is_file() and p.name != "r.toml"]
    pieces = {KEY[i:i + 8] for i in range(len(KEY) - 7)}
    hits = [p for p in pieces for b in blobs if p in b]
    assert hits == []


# --------------------------------------------------------------------------- SIGKILL


def _start(cfg: Path, db: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pyvalues.collect", str(cfg), "--store", str(db),
                             "--no-parse", "--quiet"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, env={**os.environ, KEY_ENV: KEY})


def _ledger_states(db) -> Counter:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return Counter(r[0] for r in con.execute("SELECT state FROM batches"))
    finally:
        con.close()


def test_ctrl_c_while_waiting_exits_130_and_the_rerun_polls_the_same_batch(tmp_path):
    """SIGINT (Ctrl-C) while the run waits for a submitted batch: exit status 130 (the CLI's
    documented status for an interrupt), a message saying the batch goes on and how to
    resume, the store intact; the rerun polls that batch and creates none."""
    db = tmp_path / "int.sqlite"
    cfg = tmp_path / "int.toml"
    with FakeBatchServer(polls_to_end=10**6) as fake:
        cfg.write_text(_toml(_config(fake.base_url, models=("Model A",))))
        proc = _start(cfg, db)
        try:
            deadline = time.monotonic() + 60
            while fake.calls["poll"] < 2 and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.05)
            assert fake.calls["poll"] >= 2 and proc.poll() is None  # submitted, now polling
            os.kill(proc.pid, signal.SIGINT)
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        err = err.decode("utf-8", "replace")
        assert proc.returncode == 130, err[-2000:]
        assert "interrupted (Ctrl-C): 0 of 10 requests are done and stored; resume with: " in err
        assert "batches already submitted go on at the provider and the rerun polls them" in err
        assert "Traceback" not in err
        assert _ledger_states(db) == Counter({"submitted": 1}) and len(fake.order) == 1
        fake.polls_to_end = 1
        summary = collect(parse_config(_config(fake.base_url, models=("Model A",))), db, progress=False)
        assert summary.complete and summary.tallies["Model A"].ok == 10
        assert len(fake.order) == 1 and fake.live_resubmissions == 0
    with Store(db) as st:
        assert st.integrity_check() == "ok"
    assert len(_ok_keys(db)) == 10


@pytest.mark.parametrize("kind,where,state_at_kill", [
    ("openai", "upload", "intent"),
    ("openai", "create", "creating"),
    ("openai", "poll", "submitted"),
    ("anthropic", "create", "creating"),
    ("anthropic", "poll", "submitted"),
    ("openai", "results", "submitted"),
    ("anthropic", "results", "submitted"),
])
def test_sigkill_then_resume(tmp_path, kind, where, state_at_kill):
    """SIGKILL while the server holds the reply to the upload, the create call (the batch
    exists on the server, its id is not yet in the store), a poll, or the download of an
    ended batch's results; then resume."""
    db = tmp_path / "kill.sqlite"
    cfg = tmp_path / "kill.toml"
    with FakeBatchServer(block={where: 1}, polls_to_end=3) as fake:
        config = _config(fake.base_url, kind)
        cfg.write_text(_toml(config))
        n = 2 * 2 * 5
        proc = _start(cfg, db)
        try:
            assert fake.blocked[where].wait(60), proc.stderr.read().decode()[-2000:] if proc.poll() else "no call"
            time.sleep(0.2)  # the client is now waiting on the held reply
            assert proc.poll() is None
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        with Store(db) as st:
            assert st.integrity_check() == "ok"
        states = _ledger_states(db)
        assert states[state_at_kill] >= 1, states
        batches_at_kill = len(fake.order)
        fake.release.set()  # let the held handler thread finish (its client is gone)

        proc = _start(cfg, db)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()[-2000:]

        answered = _ok_keys(db)
        duplicated = sum(v - 1 for v in answered.values())
        resubmitted = sum(v - 1 for v in fake.submissions.values())
        print(f"\nSIGKILL during {where} ({kind}): answered {len(answered)}/{n}, duplicated {duplicated}, "
              f"resubmitted {resubmitted}, live resubmissions {fake.live_resubmissions}, "
              f"batches created {len(fake.order)} (at the kill {batches_at_kill}), "
              f"files uploaded {len(fake.files) - sum(1 for f in fake.files.values() if f['purpose'] != 'batch')}")
        assert len(answered) == n and duplicated == 0
        assert set(fake.submissions) == set(answered)
        assert resubmitted == 0 and fake.live_resubmissions == 0
        assert set(fake.answers.values()) == {1}
        # the batches on the server: one per model, none created twice
        assert len(fake.order) == 2
    with Store(db) as st:
        assert st.integrity_check() == "ok"
    assert _ledger_states(db) == Counter({"ended": 2})


class _Refusals:
    """The fake's outcome of each request: ok, filter200, policy400, ok, ... in the order the
    fake first processes them (keys hold the fake's port, so a split by key would vary)."""

    SHAPES = ("ok", "filter200", "policy400")

    def __init__(self):
        self.shape: dict[str, str] = {}

    def __call__(self, custom_id, n):
        return self.shape.setdefault(custom_id, self.SHAPES[len(self.shape) % 3])


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_refusals_inside_a_batch_are_final_like_synchronous_ones(tmp_path, kind):
    """A refusal in a batch result is stored as ``refused`` (final, not sent again), in the
    row shape the synchronous path stores (tests/test_collect_refusals.py): the 200 form keeps
    the cut text and the stop reason, the 400 form the provider's error code/message."""
    db = tmp_path / "f.sqlite"
    outcome = _Refusals()
    with FakeBatchServer(outcome=outcome) as fake:
        config = parse_config(_config(fake.base_url, kind, models=("Model A",)))
        first = collect(config, db, progress=False)
        keys = set(fake.submissions)
        shape = outcome.shape
        refused = {k for k, v in shape.items() if v != "ok"}
        assert set(shape) == keys and len(keys) == 10 and len(refused) == 6
        t = first.tallies["Model A"]
        assert (t.ok, t.refused, t.failed, t.skipped) == (10 - len(refused), len(refused), 0, 0)
        assert first.complete
        n_batches = len(fake.order)
        again = collect(config, db, progress=False)
        assert again.complete and again.tallies["Model A"].already_done == 10
        assert len(fake.order) == n_batches == 1  # refusals are final: no new batch
    with Store(db) as st:
        rows = st.rows()
    assert len(rows) == 10 and {r["request_key"]: r["status"] for r in rows} == {
        k: ("ok" if v == "ok" else "refused") for k, v in shape.items()}
    for r in rows:
        if shape[r["request_key"]] == "filter200":
            assert r["http_status"] == 200 and r["response_text"] == "1. Helpfulness\n2."
            assert r["finish_reason"] == ("refusal" if kind == "anthropic" else "content_filter")
            assert f"stop reason {r['finish_reason']!r}" in r["error"]
        elif shape[r["request_key"]] == "policy400":
            assert r["response_text"] is None and r["error"].startswith("refused: ")
            assert ("content filtering policy" in r["error"] if kind == "anthropic"
                    else "content_policy_violation" in r["error"])
    led = BatchLedger(db, create=False)
    try:
        assert led.counts() == {("ended", "answered"): 10}
    finally:
        led.close()


# --------------------------------------------------------------------------- config and mixing


def test_mode_config():
    from pyvalues.errors import CollectError

    base = _config("http://127.0.0.1:9/v1", mode="sync")
    base["providers"]["q"] = {"kind": "anthropic", "base_url": "http://127.0.0.1:9", "mode": "batch"}
    cfg = parse_config(base)
    assert (cfg.mode, cfg.providers["p"].mode, cfg.providers["q"].mode) == ("sync", "sync", "batch")
    assert parse_config(_config("http://127.0.0.1:9/v1")).providers["p"].mode == "batch"  # [run] default
    for bad, where in [({"mode": "async"}, "run"), ({"batch_poll_s": 0}, "run"),
                       ({"batch_wait_s": float("nan")}, "run"), ({"batch_wait_s": -1}, "run")]:
        raw = _config("http://127.0.0.1:9/v1")
        raw["run"].update(bad)
        with pytest.raises(CollectError, match=rf"\[{where}\]"):
            parse_config(raw)
    raw = _config("http://127.0.0.1:9/v1")
    raw["providers"]["p"]["mode"] = "Batch"
    with pytest.raises(CollectError, match=r"\[providers\.p\]: mode must be"):
        parse_config(raw)
    raw = _config("http://127.0.0.1:9/v1", mode="sync")
    raw["providers"]["p"] = {"kind": "openai", "local_server": "bundled", "mode": "batch"}
    with pytest.raises(CollectError, match="no batch API"):
        parse_config(raw)


def test_failed_batch_requests_are_not_sent_synchronously(tmp_path):
    """With the re-ask policy on (which revisits every planned request), a request that
    failed inside a batch waits for the next run's batch: the fake has no chat route, so a
    synchronous send would be a 404 that stops the model."""
    db = tmp_path / "m.sqlite"
    fail = _FailEveryThird()
    with FakeBatchServer(outcome=fail) as fake:
        config = parse_config(_config(fake.base_url, replicates=3, reask_incomplete=1))
        first = collect(config, db, progress=False)
        assert all(not t.stop_message for t in first.tallies.values())
        n_bad = sum(map(fail.failing, fake.submissions))
        assert 0 < n_bad < 12 and sum(t.failed for t in first.tallies.values()) == n_bad
        second = collect(config, db, progress=False)
        assert second.complete and fake.live_resubmissions == 0
    assert set(_ok_keys(db).values()) == {1} and len(_ok_keys(db)) == 12


def test_results_read_twice_are_stored_once(tmp_path):
    """A run that stopped after storing some results of a batch but before closing it reads
    the results again: nothing is stored twice, nothing is resubmitted. Simulated by
    reopening every item of the first batch after a run with answers and errors."""
    db = tmp_path / "t.sqlite"
    fail = _FailEveryThird()
    with FakeBatchServer(outcome=fail) as fake:
        config = parse_config(_config(fake.base_url, models=("Model A",)))
        collect(config, db, progress=False)
        with Store(db) as st:
            before = st.rows()
        assert {r["status"] for r in before} == {"ok", "http_500"}
        con = sqlite3.connect(db)
        with con:
            con.execute("UPDATE batches SET state = 'submitted'")
            con.execute("UPDATE batch_items SET state = 'live', outcome = NULL")
        con.close()
        again = collect(config, db, progress=False)
        assert len(fake.order) == 1 and fake.live_resubmissions == 0  # polled again, not resubmitted
        with Store(db) as st:
            assert st.rows() == before
        assert sum(t.failed for t in again.tallies.values()) == sum(r["status"] != "ok" for r in before)
        third = collect(config, db, progress=False)  # the errored ones go into a new batch
        assert third.complete and len(fake.order) == 2


def test_openai_batch_that_fails_validation(tmp_path):
    db = tmp_path / "v.sqlite"
    with FakeBatchServer(invalid={1}) as fake:
        config = parse_config(_config(fake.base_url, models=("Model A",)))
        first = collect(config, db, progress=False)
        assert first.tallies["Model A"].failed == 10 and not _ok_keys(db)
        with Store(db) as st:
            errs = st.rows()
        assert {r["status"] for r in errs} == {"batch_failed"} and len(errs) == 10
        assert all("scripted validation failure" in r["error"] for r in errs)
        second = collect(config, db, progress=False)
        assert second.complete and len(fake.order) == 2 and set(fake.answers.values()) == {1}


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_batch_still_running_is_polled_by_the_next_run(tmp_path, kind):
    db = tmp_path / "w.sqlite"
    with FakeBatchServer(polls_to_end=10_000) as fake:
        config = parse_config(_config(fake.base_url, kind, models=("Model A",), batch_wait_s=0.3))
        first = collect(config, db, progress=False)
        t = first.tallies["Model A"]
        assert (t.ok, t.failed, t.skipped) == (0, 0, 10) and not first.complete
        polls = fake.batches[fake.order[0]]["polls"]
        assert polls >= 2
        fake.polls_to_end = polls + 2  # ends during the second run's polling
        second = collect(config, db, progress=False)
        assert second.complete and len(fake.order) == 1 and set(fake.submissions.values()) == {1}


def test_poll_rejected_for_good_is_not_retried_until_the_deadline(tmp_path, monkeypatch):
    """A 401 while polling (a revoked key): one message, the run ends, the batch is kept."""
    db = tmp_path / "x.sqlite"
    with FakeBatchServer(polls_to_end=10_000) as fake:
        config = parse_config(_config(fake.base_url, models=("Model A",), batch_wait_s=0.3))
        collect(config, db, progress=False)
        fake.expected_key = "sk-a-new-key-000000000000"
        out = []
        t0 = time.monotonic()
        config = parse_config(_config(fake.base_url, models=("Model A",), batch_wait_s=60))
        summary = collect(config, db, progress=True, stream=_Lines(out))
        assert time.monotonic() - t0 < 20 and not summary.complete
        assert sum("401" in line and "not polled again" in line for line in out) == 1
        assert len(fake.order) == 1
        fake.expected_key, fake.polls_to_end = KEY, 0
        assert collect(config, db, progress=False).complete and len(fake.order) == 1


class _Lines:
    def __init__(self, out):
        self.out = out

    def write(self, text):
        self.out.extend(text.splitlines())

    def flush(self):
        pass

    def isatty(self):
        return False


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_repeated_sigkill_at_random_moments(tmp_path, kind):
    """Six SIGKILLs at seeded random moments of the runs while work remains (start-up, the
    submission of the first run, then polling: the kills during upload, create and the
    results download have their own tests above), then a run to the end: every request
    answered once, none submitted twice, the store intact after every kill."""
    import random

    rng = random.Random(14)
    db = tmp_path / "rk.sqlite"
    cfg = tmp_path / "rk.toml"
    # a batch ends on its 120th poll (20 polls/s while a collector runs): six kills 0.8-2 s
    # apart land before the end however fast the machine starts the collector
    with FakeBatchServer(polls_to_end=120) as fake:
        cfg.write_text(_toml(_config(fake.base_url, kind, replicates=100)))
        n = 2 * 2 * 100
        seen = []  # (answers stored, batch states) after each kill
        for _ in range(6):  # each kill lands while work remains (the loop ends otherwise)
            if seen and seen[-1][0] == n and set(seen[-1][1]) == {"ended"}:
                break
            proc = _start(cfg, db)
            time.sleep(rng.uniform(0.8, 2.0))
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            with Store(db) as st:
                assert st.integrity_check() == "ok"
                seen.append((len(_ok_keys(db)), dict(_ledger_states(db)) if BatchLedger.exists(db) else {}))
        proc = _start(cfg, db)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()[-2000:]
        answered = _ok_keys(db)
        resubmitted = sum(v - 1 for v in fake.submissions.values())
        print(f"\n{len(seen)} random SIGKILLs ({kind}): answered {len(answered)}/{n}, "
              f"duplicated {sum(v - 1 for v in answered.values())}, resubmitted {resubmitted}, "
              f"live resubmissions {fake.live_resubmissions}, batches created {len(fake.order)}; "
              f"after each kill (answers, batch states): {seen}")
        assert len(seen) >= 3  # at least three kills came before the work was done
        assert len(answered) == n and set(answered.values()) == {1}
        assert resubmitted == 0 and fake.live_resubmissions == 0 and set(fake.answers.values()) == {1}
    assert _ledger_states(db) == Counter({"ended": len(fake.order)})


def test_a_request_cannot_be_in_two_live_batches(tmp_path):
    """The ledger's partial unique index, independent of the runner's bookkeeping."""
    led = BatchLedger(tmp_path / "u.sqlite")
    try:
        led.write_intent("r1", "p", "openai", "M", "http://x/v1", [("k1", "k1", {}), ("k2", "k2", {})], "run")
        with pytest.raises(sqlite3.IntegrityError):
            led.write_intent("r2", "p", "openai", "M", "http://x/v1", [("k3", "k3", {}), ("k2", "k2", {})], "run")
        assert led.live_keys() == {"k1", "k2"}  # the second intent left nothing behind
        led.abandon("r1", "test", "http_400")
        led.write_intent("r3", "p", "openai", "M", "http://x/v1", [("k2", "k2", {})], "run")
        assert led.live_keys() == {"k2"}
    finally:
        led.close()
