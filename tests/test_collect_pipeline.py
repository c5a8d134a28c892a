"""The command end to end: config -> collect -> JSONL -> parser -> tidy rank table beside the store.

The loopback server answers with the 25 terms numbered in the order its prompt listed them,
so the expected rank of every term is its position in the recorded (shuffled) term order.
"""
from __future__ import annotations

import json

import pandas as pd

from pyvalues.collect.__main__ import main
from fake_chat_server import FakeChatServer
from pyvalues.instrument import TERM_DIMENSION

CONFIG = """
[run]
languages = ["zh", "en"]
replicates = 3
term_order = "shuffled"
shuffle_seed = 11
timeout_s = 10
max_attempts = 3
backoff_initial_s = 0.01
backoff_max_s = 0.05

[generation]
max_tokens = 100

[providers.fake]
kind = "openai"
base_url = "{base_url}"
api_key_env = "PYVALUES_PIPE_KEY"
concurrency = 2

[[models]]
name = "Fake CN"
country = "CN"
provider = "fake"
model_id = "fake-cn"

[[models]]
name = "Fake US"
country = "US"
provider = "fake"
model_id = "fake-us"
"""


def test_cli_collects_exports_and_writes_rank_table(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PYVALUES_PIPE_KEY", "sk-pipeline-secret")
    with FakeChatServer(script={"fake-us": ["503"]}, expected_key="sk-pipeline-secret") as fake:
        cfg = tmp_path / "run.toml"
        cfg.write_text(CONFIG.format(base_url=fake.base_url))
        assert main([str(cfg), "--store", str(tmp_path / "out" / "run.sqlite"), "--quiet"]) == 0
        n_events = len(fake.events)
        # the same command again: nothing to do, same files
        assert main([str(cfg), "--store", str(tmp_path / "out" / "run.sqlite"), "--quiet"]) == 0
        assert len(fake.events) == n_events
    printed = capsys.readouterr().out
    assert "rank table written to" in printed and "sk-pipeline-secret" not in printed

    jsonl = tmp_path / "out" / "run.jsonl"
    csv = tmp_path / "out" / "run_ranktable.csv"
    recs = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    # 2 models x 2 languages x 3 replicates ok, plus one 503 per fake-us request (6)
    assert sum(r["status"] == "ok" for r in recs) == 12
    assert sum(r["status"] == "http_503" for r in recs) == 6

    table = pd.read_csv(csv)
    assert len(table) == 12 * 25
    assert set(table["parse_status"]) == {"complete"}
    orders = {(r["model"], r["language"], r["replicate"]): r["term_order"] for r in recs if r["status"] == "ok"}
    for (model, lang, rep), order in orders.items():
        got = table[(table.model == model) & (table.language == lang) & (table.replicate == rep)]
        assert dict(zip(got.term, got["rank"])) == {t: i + 1 for i, t in enumerate(order)}
        assert dict(zip(got.term, got.dimension)) == {t: TERM_DIMENSION[t] for t in order}
    assert dict(table.groupby("model")["country"].first()) == {"Fake CN": "CN", "Fake US": "US"}


def test_cli_bad_config_exits_2_with_message(tmp_path, capsys):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[run]\nreplicates = 3\n")
    assert main([str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "no [providers.NAME] table" in err and str(cfg) in err
