"""A real round trip: the collector against llama-cpp-python's server with two real small LLMs.

Skips only where llama-cpp-python[server] or the model wheels are not installed (the project's
setup script installs them; CI runs these tests).
"""
from __future__ import annotations

import json
import socket

import pytest

from pyvalues.collect import Store, collect, export_jsonl, parse_config
from pyvalues.collect.localserver import LocalServer, bundled_model_path, llama_cpp_available
from pyvalues.errors import CollectError

if not llama_cpp_available():
    pytest.skip("llama-cpp-python[server] is not installed; run the project's setup script "
                "(CMAKE_ARGS=\"-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON\" "
                "pip install 'llama-cpp-python[server]')", allow_module_level=True)
try:
    bundled_model_path("gemma3-270m")
    bundled_model_path("smollm2-135m")
except CollectError as exc:
    pytest.skip(f"bundled model weights missing: {exc}", allow_module_level=True)

MAX_TOKENS = 24
pytestmark = [pytest.mark.llm, pytest.mark.slow]


@pytest.fixture(scope="module")
def server():
    with LocalServer(["gemma3-270m", "smollm2-135m"], n_ctx=1024) as srv:
        yield srv


def test_round_trip_both_models(server, tmp_path):
    cfg = parse_config({
        "run": {"languages": ["en", "zh"], "replicates": 1, "timeout_s": 300, "max_attempts": 2},
        "generation": {"max_tokens": MAX_TOKENS, "temperature": 0.0, "seed": 1},
        "providers": {"local": {"kind": "openai", "base_url": server.base_url, "concurrency": 1}},
        "models": [{"name": "Gemma", "country": "US", "provider": "local", "model_id": "gemma3-270m"},
                   {"name": "Smol", "country": "US", "provider": "local", "model_id": "smollm2-135m"}],
    })
    summary = collect(cfg, tmp_path / "s.sqlite", progress=False)
    assert summary.complete, str(summary)
    export_jsonl(tmp_path / "s.sqlite", tmp_path / "s.jsonl")
    recs = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(recs) == 4 and {r["status"] for r in recs} == {"ok"}
    for r in recs:
        body = json.loads(r["raw_body"])
        # the server says which model answered: the alias we asked for
        assert body["model"] == r["model_id"]
        assert isinstance(r["response_text"], str) and r["response_text"].strip()
        # generation was capped at max_tokens; the server's own count says so
        assert 0 < r["usage"]["completion_tokens"] <= MAX_TOKENS
        assert body["choices"][0]["finish_reason"] in ("length", "stop")
        assert r["request"]["body"]["messages"][0]["content"].startswith(
            {"en": "In your opinion", "zh": "在你看来"}[r["language"]])
    # rerun: nothing sent, nothing added
    again = collect(cfg, tmp_path / "s.sqlite", progress=False)
    assert all(t.already_done == 2 and t.ok == 0 for t in again.tallies.values())
    with Store(tmp_path / "s.sqlite") as st:
        assert len(st.rows()) == 4


def test_real_server_error_is_retried_then_given_up(server, tmp_path):
    cfg = parse_config({
        "run": {"languages": ["en"], "replicates": 2, "timeout_s": 60, "max_attempts": 3,
                "backoff_initial_s": 0.05, "backoff_max_s": 0.2},
        "generation": {"max_tokens": 4, "extra_body": {"temperature": "hot"}},
        "providers": {"local": {"kind": "openai", "base_url": server.base_url, "concurrency": 1}},
        "models": [{"name": "Bad", "country": "US", "provider": "local", "model_id": "smollm2-135m"}],
    })
    summary = collect(cfg, tmp_path / "s.sqlite", progress=False)
    t = summary.tallies["Bad"]
    # llama-cpp-python's server answers a body its validation rejects with HTTP 500 (not 422),
    # which is retryable: each of the 2 requests is tried max_attempts = 3 times, then given up
    assert (t.ok, t.failed, t.skipped) == (0, 2, 0)
    assert dict(t.attempts) == {"http_500": 2 * 3}
    with Store(tmp_path / "s.sqlite") as st:
        rows = st.rows()
    assert sorted(r["attempt"] for r in rows) == [1, 1, 2, 2, 3, 3]
    assert all("validation error" in r["error"] for r in rows)


def test_server_stops_and_frees_its_port():
    srv = LocalServer(["smollm2-135m"], n_ctx=512).start()
    port = srv.port
    srv.stop()
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0
