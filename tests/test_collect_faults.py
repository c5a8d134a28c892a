"""Faults on a real loopback HTTP server: nothing lost, nothing duplicated, fatal errors once.

The expected counts are worked out by hand from the server's script: every request of a
model scripted ["429"] meets one 429 and then succeeds, so the store must hold exactly one
http_429 attempt (attempt 1) and one ok attempt (attempt 2) per request, and the server
must have served exactly as many successful answers as the store holds.
"""
from __future__ import annotations

import io
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from pyvalues.collect import Store, collect, export_jsonl, parse_config
from fake_chat_server import FakeChatServer
from pyvalues.instrument import TERM_NAMES

SECRET = "sk-test-5f3a9c1e-NEVER-STORE-ME"
FAULTS = {"m429": ("429", "http_429"), "m500": ("500", "http_500"), "m503": ("503", "http_503"),
          "mhang": ("hang", "timeout"), "mdrop": ("drop", "connection"), "mmal": ("malformed", "malformed")}
LANGS, REPS = 2, 2  # each model: 2 languages x 2 replicates = 4 requests


def make_config(base_url, models, *, replicates=REPS, max_attempts=4, timeout_s=2.0, fatal=(), **run):
    providers = {
        "p": {"kind": "openai", "base_url": base_url, "api_key_env": "PYVALUES_TEST_KEY", "concurrency": 4},
        # concurrency 1: a model stopped by a fatal error sends no second request
        "q": {"kind": "openai", "base_url": base_url, "api_key_env": "PYVALUES_TEST_KEY", "concurrency": 1},
    }
    return parse_config({
        "run": {"replicates": replicates, "timeout_s": timeout_s, "max_attempts": max_attempts,
                "backoff_initial_s": 0.05, "backoff_max_s": 0.2, **run},
        # a seed makes the bodies of replicates differ (seed + r - 1), so the server's
        # per-request script applies to every request
        "generation": {"max_tokens": 64, "seed": 7},
        "providers": providers,
        "models": [{"name": f"Model {m}", "country": "US", "provider": "q" if m in fatal else "p",
                    "model_id": m} for m in models],
    })


@pytest.fixture
def key_env(monkeypatch):
    monkeypatch.setenv("PYVALUES_TEST_KEY", SECRET)


def _all_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_retryable_faults_nothing_lost_nothing_duplicated(tmp_path, key_env):
    fatal = {"m401": "401", "m403": "403", "m404": "404", "m400": "400"}
    script = {m: [b] for m, (b, _) in FAULTS.items()}
    with FakeChatServer(script=script, always=fatal, expected_key=SECRET, retry_after_s=1.0, hang_s=3.5) as fake:
        models = list(FAULTS) + ["mok"] + list(fatal)
        cfg = make_config(fake.base_url, models, fatal=set(fatal))
        out = io.StringIO()
        summary = collect(cfg, tmp_path / "s.sqlite", stream=out)
        events = list(fake.events)
        served = Counter(m for m, _ in fake.ok_served)

    with Store(tmp_path / "s.sqlite") as store:
        rows = store.rows()
        assert store.integrity_check() == "ok"
    by_model = {}
    for r in rows:
        by_model.setdefault(r["model_id"], []).append(r)

    for m, (_, status) in FAULTS.items():
        got = Counter((r["status"], r["attempt"]) for r in by_model[m])
        assert got == {(status, 1): LANGS * REPS, ("ok", 2): LANGS * REPS}, m
        # nothing lost: every answer the server completed is stored, once
        assert served[m] == LANGS * REPS
        cells = [(r["language"], r["replicate"]) for r in by_model[m] if r["status"] == "ok"]
        assert sorted(cells) == sorted({(lang, rep) for lang in ("zh", "en") for rep in (1, 2)})
        assert summary.tallies[f"Model {m}"].ok == LANGS * REPS
        assert summary.tallies[f"Model {m}"].retried == LANGS * REPS
    assert Counter(r["status"] for r in by_model["mok"]) == {"ok": 4}

    # Retry-After: 1 s, measured at the server between a 429 and the retry of that request
    arrivals = {}
    for e in events:
        if e["model"] == "m429":
            arrivals.setdefault(e["request"], []).append(e["t"])
    assert len(arrivals) == 4
    for times in arrivals.values():
        assert len(times) == 2 and times[1] - times[0] >= 0.95

    # non-retryable: one request reached the server, one attempt stored, one message
    text = out.getvalue()
    for m, code in fatal.items():
        assert [e["behaviour"] for e in events if e["model"] == m] == [code]
        assert [(r["status"], r["http_status"]) for r in by_model[m]] == [(f"http_{code}", int(code))]
        t = summary.tallies[f"Model {m}"]
        assert (t.ok, t.failed, t.skipped) == (0, 1, 3)
        assert f"HTTP {code}" in t.stop_message
        assert len(re.findall(rf"STOPPED model 'Model {m}'", text)) == 1
    assert "check the API key in PYVALUES_TEST_KEY" in summary.tallies["Model m401"].stop_message

    # the key went to the server on every request, and nowhere else
    assert all(e["auth_ok"] for e in events)
    export_jsonl(tmp_path / "s.sqlite", tmp_path / "s.jsonl")
    assert SECRET.encode() not in _all_bytes(tmp_path / "s.sqlite")
    assert SECRET not in (tmp_path / "s.jsonl").read_text()
    assert SECRET not in text and SECRET not in str(summary) and SECRET not in repr(cfg)


def test_rerun_sends_only_what_is_missing_and_continues_attempt_numbers(tmp_path, key_env):
    with FakeChatServer(always={"mdown": "500"}, expected_key=SECRET) as fake:
        cfg = make_config(fake.base_url, ["mdown", "mok"], max_attempts=3)
        s1 = collect(cfg, tmp_path / "s.sqlite", progress=False)
        n1 = len(fake.events)
        # 4 requests of mok once each + 4 requests of mdown three times each
        assert n1 == 4 + 4 * 3
        assert (s1.tallies["Model mdown"].failed, s1.tallies["Model mok"].ok) == (4, 4)
        assert not s1.complete
        fake.always.clear()  # the server recovers
        s2 = collect(cfg, tmp_path / "s.sqlite", progress=False)
        assert len(fake.events) - n1 == 4  # only mdown's four missing requests
        assert s2.complete and s2.tallies["Model mok"].already_done == 4
    with Store(tmp_path / "s.sqlite") as store:
        rows = store.rows()
    down = [r for r in rows if r["model_id"] == "mdown"]
    per_key = {}
    for r in down:
        per_key.setdefault(r["request_key"], []).append((r["attempt"], r["status"]))
    for attempts in per_key.values():
        assert attempts == [(1, "http_500"), (2, "http_500"), (3, "http_500"), (4, "ok")]
    ok_keys = [r["request_key"] for r in rows if r["status"] == "ok"]
    assert len(ok_keys) == len(set(ok_keys)) == 8


def test_jsonl_export_format(tmp_path, key_env):
    with FakeChatServer(script={"m429": ["429"]}, expected_key=SECRET, retry_after_s=0) as fake:
        cfg = make_config(fake.base_url, ["m429"], replicates=1, term_order="shuffled", shuffle_seed=3)
        collect(cfg, tmp_path / "s.sqlite", progress=False)
    n = export_jsonl(tmp_path / "s.sqlite", tmp_path / "out.jsonl")
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert n == len(lines) == 4  # 2 languages x (429 + ok)
    recs = [json.loads(line) for line in lines]
    need = {"model", "country", "language", "replicate", "provider", "model_id", "attempt", "status",
            "http_status", "response_text", "raw_body", "latency_s", "usage", "prompt_hash", "term_order",
            "request", "started_at", "finished_at"}
    for rec in recs:
        assert need <= set(rec)
        assert sorted(rec["term_order"]) == sorted(TERM_NAMES)
        assert "Authorization" not in json.dumps(rec["request"])
    failed = [r for r in recs if r["status"] == "http_429"]
    ok = [r for r in recs if r["status"] == "ok"]
    assert len(failed) == 2 and all(r["response_text"] is None and r["http_status"] == 429 for r in failed)
    for r in ok:
        assert r["http_status"] == 200 and r["model"] == "Model m429"
        # the fake answers with the terms in the order its prompt listed them
        listed = [line.split(". ", 1)[1] for line in r["response_text"].splitlines()]
        assert listed == r["term_order"]
        assert json.loads(r["raw_body"])["choices"][0]["message"]["content"] == r["response_text"]
        assert r["usage"]["total_tokens"] == r["usage"]["prompt_tokens"] + r["usage"]["completion_tokens"]


def test_missing_key_stops_only_that_model(tmp_path, monkeypatch):
    monkeypatch.delenv("PYVALUES_TEST_KEY", raising=False)
    monkeypatch.setenv("PYVALUES_OTHER_KEY", SECRET)
    with FakeChatServer() as fake:
        cfg = parse_config({
            "run": {"replicates": 1},
            "providers": {"p": {"kind": "openai", "base_url": fake.base_url, "api_key_env": "PYVALUES_TEST_KEY"},
                          "o": {"kind": "openai", "base_url": fake.base_url, "api_key_env": "PYVALUES_OTHER_KEY"}},
            "models": [{"name": "No key", "country": "US", "provider": "p", "model_id": "a"},
                       {"name": "Keyed", "country": "CN", "provider": "o", "model_id": "b"}],
        })
        out = io.StringIO()
        summary = collect(cfg, tmp_path / "s.sqlite", stream=out)
        assert [e["model"] for e in fake.events] == ["b", "b"]  # nothing sent for the keyless model
    t = summary.tallies["No key"]
    assert (t.ok, t.skipped) == (0, 2)
    assert "environment variable PYVALUES_TEST_KEY is not set" in t.stop_message
    assert out.getvalue().count("STOPPED") == 1
    assert summary.tallies["Keyed"].ok == 2


def test_anthropic_messages_round_trip(tmp_path, key_env):
    with FakeChatServer(script={"claude-x": ["529"]}, expected_key=SECRET) as fake:
        cfg = parse_config({
            "run": {"replicates": 1, "languages": ["en"], "backoff_initial_s": 0.01, "backoff_max_s": 0.05},
            "generation": {"max_tokens": 50, "seed": 3},
            "providers": {"a": {"kind": "anthropic", "base_url": fake.base_url.removesuffix("/v1"),
                                "api_key_env": "PYVALUES_TEST_KEY"}},
            "models": [{"name": "Claude", "country": "US", "provider": "a", "model_id": "claude-x"}],
        })
        summary = collect(cfg, tmp_path / "s.sqlite", progress=False)
        assert all(e["auth_ok"] for e in fake.events) and len(fake.events) == 2
    assert summary.complete
    with Store(tmp_path / "s.sqlite") as st:
        rows = st.rows()
    assert [(r["attempt"], r["status"]) for r in rows] == [(1, "http_529"), (2, "ok")]
    ok = rows[1]
    assert ok["request"]["url"].endswith("/v1/messages") and "seed" not in ok["request"]["body"]
    assert ok["response_text"].splitlines()[0] == f"1. {TERM_NAMES[0]}"
    assert ok["usage"]["total_tokens"] == ok["usage"]["prompt_tokens"] + ok["usage"]["completion_tokens"]
