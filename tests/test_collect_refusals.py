"""A provider's refusal is an answer for that request only; the model's other requests go on.

Per model, the loopback server refuses the Chinese prompt (whose text starts with 在你看来)
in one of the documented shapes and answers the English one; so, by construction, each model
must end with 2 refused requests (zh, replicates 1-2) and 2 answered (en), the store must
hold exactly one attempt per request (refusals are not retried), the rank-table summary must
count 2 ``refused`` per model, and a rerun must send nothing.
"""
from __future__ import annotations

import json

import pandas as pd
from fake_chat_server import FakeChatServer

from pyvalues.collect import Store, collect, load_config
from pyvalues.collect.__main__ import main

ZH = "在你看来"

CONFIG = """
[run]
languages = ["zh", "en"]
replicates = 2
timeout_s = 5
max_attempts = 3
backoff_initial_s = 0.01
backoff_max_s = 0.05

[generation]
max_tokens = 64
seed = 5

[providers.oa]
kind = "openai"
base_url = "{base_url}"
concurrency = 1

[providers.an]
kind = "anthropic"
base_url = "{root}"
concurrency = 1

[[models]]
name = "Filter400"
country = "CN"
provider = "oa"
model_id = "refuse400"

[[models]]
name = "Policy400"
country = "US"
provider = "oa"
model_id = "policy400"

[[models]]
name = "Filter200"
country = "CN"
provider = "oa"
model_id = "filter200"

[[models]]
name = "Claude refusal"
country = "US"
provider = "an"
model_id = "claude-refusal"

[[models]]
name = "Plain"
country = "US"
provider = "oa"
model_id = "plain"
"""

MATCH = {"refuse400": [(ZH, "refuse400")], "policy400": [(ZH, "policy400")], "filter200": [(ZH, "filter200")],
         "claude-refusal": [(ZH, "filter200")]}  # on /v1/messages: stop_reason "refusal"


def test_refusals_are_outcomes_per_request(tmp_path, capsys):
    db = tmp_path / "r.sqlite"
    with FakeChatServer(match=MATCH) as fake:
        cfg = tmp_path / "r.toml"
        cfg.write_text(CONFIG.format(base_url=fake.base_url, root=fake.base_url.removesuffix("/v1")))
        code = main([str(cfg), "--store", str(db), "--quiet"])
        out = capsys.readouterr().out
        n_events = len(fake.events)
        arrivals = [(e["model"], e["behaviour"]) for e in fake.events]
        assert collect(load_config(cfg), db, progress=False).tallies["Filter400"].already_done == 4
        assert len(fake.events) == n_events  # a rerun sends nothing: refusals are final
    assert code == 0, out
    # one arrival per request: 5 models x 2 languages x 2 replicates, no retry of a refusal
    assert n_events == 20
    for model in MATCH:
        assert sorted(b for m, b in arrivals if m == model) == sorted([MATCH[model][0][1]] * 2 + ["ok"] * 2)

    with Store(db) as st:
        rows = st.rows()
    got = {(r["model"], r["language"], r["replicate"]): r["status"] for r in rows}
    assert len(rows) == len(got) == 20
    for model in ("Filter400", "Policy400", "Filter200", "Claude refusal"):
        for rep in (1, 2):
            assert got[(model, "zh", rep)] == "refused" and got[(model, "en", rep)] == "ok"
    assert all(got[("Plain", lang, rep)] == "ok" for lang in ("zh", "en") for rep in (1, 2))
    reasons = {r["model"]: r["error"] for r in rows if r["status"] == "refused"}
    assert "content_filter" in reasons["Filter400"] and "content_policy_violation" in reasons["Policy400"]
    assert "'content_filter'" in reasons["Filter200"] and "'refusal'" in reasons["Claude refusal"]

    # the collection summary and the parser's summary both count them
    summary = out[out.index("collection summary"):]
    table = pd.read_csv(tmp_path / "r_ranktable.csv")
    assert set(table["parse_status"]) == {"complete"} and len(table) == 25 * 12
    status_block = out[out.index("parse status per model:"):].splitlines()[1:7]
    header = status_block[0].split()
    counts = {line.split()[0] if not line.startswith("Claude") else "Claude refusal":
              dict(zip(header[1:], map(int, line.replace("Claude refusal", "Claude_refusal").split()[1:])))
              for line in (s.strip() for s in status_block[1:])}
    for model in ("Filter400", "Policy400", "Filter200", "Claude refusal"):
        assert counts[model]["refused"] == 2 and counts[model]["complete"] == 2, counts
    assert counts["Plain"]["refused"] == 0 and counts["Plain"]["complete"] == 4
    assert "refused" in summary.splitlines()[1]

    recs = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sum(r["status"] == "refused" for r in recs) == 8
