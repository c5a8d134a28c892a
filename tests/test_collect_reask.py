"""The re-ask policy of the collector against a real HTTP server on loopback.

The fake server (tests/fake_chat_server.py) is scripted per model: the first answer of a
conversation lists the prompt's terms without Logic and Empathy, the next one lists all 25.
What the collector sent is read from the server's side (the messages it received), what it
kept from the store and the JSONL export. The expected follow-up text is written out here by
hand from the prompt's labels (Appendix A.1: "Logic(逻辑性)", "Empathy(共情/同理心)").
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from pyvalues.collect import Store, export_jsonl, followup_key, load_config, manifest_path
from pyvalues.pipeline import collect, rank_table_from_jsonl  # collection with the parser's follow-up
from pyvalues.collect.__main__ import main
from fake_chat_server import FakeChatServer
from pyvalues.errors import CollectError
from pyvalues.instrument import TERM_NAMES, prompt_hash, prompt_text
from pyvalues.parse import parse_responses

ROOT = Path(__file__).resolve().parents[1]
MISSING_TWO = "missing:Logic|Empathy"

CONFIG = """
[run]
languages = {languages}
replicates = {replicates}
term_order = "shuffled"
shuffle_seed = 5
timeout_s = 30
max_attempts = 3
backoff_initial_s = 0.01
backoff_max_s = 0.05
{reask}

[generation]
max_tokens = 200
seed = 7

[providers.fake]
kind = "openai"
base_url = "{base_url}"
api_key_env = "PYVALUES_REASK_KEY"
concurrency = 2

[[models]]
name = "Fake"
country = "CN"
provider = "fake"
model_id = "fake"
"""


def write_config(path, base_url, *, reask="", languages=("en", "zh"), replicates=2):
    path.write_text(CONFIG.format(base_url=base_url, reask=reask, languages=json.dumps(list(languages)),
                                  replicates=replicates), encoding="utf-8")
    return path


def named_terms(text):
    """The canonical terms a message names as the prompt prints them: English(中文)."""
    return {t for t in TERM_NAMES if f"{t}(" in text}


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv("PYVALUES_REASK_KEY", "sk-reask-secret")


def test_followup_names_the_missing_terms_and_the_last_answer_is_final(tmp_path):
    db = tmp_path / "run.sqlite"
    with FakeChatServer(answers={"fake": [MISSING_TWO, "complete"]}, expected_key="sk-reask-secret") as fake:
        cfg = write_config(tmp_path / "run.toml", fake.base_url, reask="reask_incomplete = 2")
        summary = collect(load_config(cfg), db, progress=False)
        events = list(fake.events)
        # a rerun: every conversation ended with a complete answer, nothing is sent
        again = collect(load_config(cfg), db, progress=False)
        assert len(fake.events) == len(events)
    assert summary.complete and again.complete
    assert summary.tallies["Fake"].ok == 4 and summary.tallies["Fake"].followups_ok == 4
    assert again.tallies["Fake"].already_done == 4 and again.tallies["Fake"].followups_ok == 0

    # 2 languages x 2 replicates: 4 originals (one user turn) + 4 follow-ups (three turns), no more
    originals = [e for e in events if len(e["messages"]) == 1]
    followups = [e for e in events if len(e["messages"]) == 3]
    assert len(originals) == 4 and len(followups) == 4 and len(events) == 8

    with Store(db) as store:
        rows = store.rows()
    ok = {r["request_key"]: r for r in rows if r["status"] == "ok"}
    assert len(ok) == len(rows) == 8  # every attempt stored, none twice
    by_original = {r["request_key"]: r for r in ok.values() if r["followup"] == 0}
    for key, orig in by_original.items():
        fkey = followup_key(key, 1)
        follow = ok[fkey]
        assert follow["followup"] == 1 and follow["followup_of"] == key
        assert follow["language"] == orig["language"] and follow["replicate"] == orig["replicate"]
        assert followup_key(key, 2) not in ok  # the complete answer ended the conversation
        messages = follow["request"]["body"]["messages"]
        # the conversation sent: original prompt, the model's answer, the follow-up
        assert [m["role"] for m in messages] == ["user", "assistant", "user"]
        assert messages[0]["content"] == prompt_text(orig["language"], orig["term_order"])
        assert messages[1]["content"] == orig["response_text"]
        listed = [line.split(". ", 1)[1] for line in orig["response_text"].splitlines()]
        assert listed == [t for t in orig["term_order"] if t not in ("Logic", "Empathy")]
        # the follow-up names exactly the two missing terms, in the prompt's language
        assert named_terms(messages[2]["content"]) == {"Logic", "Empathy"}
        if orig["language"] == "en":
            assert messages[2]["content"].startswith(
                "Your ranking is missing these words: Logic(逻辑性), Empathy(共情/同理心).")
        else:
            assert messages[2]["content"].startswith("你的排序缺少以下词语：Logic(逻辑性)、Empathy(共情/同理心)。")
    # the server received those same follow-ups
    assert sorted(json.dumps(e["messages"], ensure_ascii=False) for e in followups) == sorted(
        json.dumps(r["request"]["body"]["messages"], ensure_ascii=False) for r in ok.values() if r["followup"])

    # export: followup / followup_of; the parser takes the follow-up's (complete) answer
    jsonl = tmp_path / "run.jsonl"
    assert export_jsonl(db, jsonl) == 8
    recs = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["followup"] for r in recs) == [0, 0, 0, 0, 1, 1, 1, 1]
    assert all((r["followup_of"] is None) == (r["followup"] == 0) for r in recs)
    table, status = rank_table_from_jsonl(jsonl, tmp_path / "run_ranktable.csv")
    assert status.set_index("model").loc["Fake", "complete"] == 4
    assert len(table) == 4 * 25 and set(table["parse_status"]) == {"complete"}
    for orig in by_original.values():  # the complete answer numbers the terms in prompt order
        got = table[(table.language == orig["language"]) & (table.replicate == orig["replicate"])]
        assert dict(zip(got.term, got["rank"])) == {t: i + 1 for i, t in enumerate(orig["term_order"])}
    assert {p.followup for p in parse_responses(jsonl)} == {1}


def test_n_caps_the_followups_and_a_larger_n_continues_the_conversation(tmp_path):
    db = tmp_path / "cap.sqlite"
    with FakeChatServer(answers={"fake": ["missing:Logic"] * 20}) as fake:
        cfg = write_config(tmp_path / "cap.toml", fake.base_url, reask="reask_incomplete = 3",
                           languages=("en",), replicates=1)
        s1 = collect(load_config(cfg), db, progress=False)
        n_first = len(fake.events)
        collect(load_config(cfg), db, progress=False)  # same N: nothing more to send
        n_same = len(fake.events)
        cfg = write_config(tmp_path / "cap.toml", fake.base_url, reask="reask_incomplete = 5",
                           languages=("en",), replicates=1)
        s3 = collect(load_config(cfg), db, progress=False)
        n_more = len(fake.events)
    assert (n_first, n_same, n_more) == (1 + 3, 4, 4 + 2)
    assert s1.tallies["Fake"].followups_ok == 3 and s3.tallies["Fake"].followups_ok == 2
    with Store(db) as store:
        rows = store.rows()
    assert [r["followup"] for r in rows] == [0, 1, 2, 3, 4, 5]
    assert all(r["status"] == "ok" for r in rows)
    assert len({r["request_key"] for r in rows}) == 6
    for r in rows[1:]:  # each follow-up names Logic only
        assert named_terms(r["request"]["body"]["messages"][-1]["content"]) == {"Logic"}
    export_jsonl(db, tmp_path / "cap.jsonl")
    (final,) = parse_responses(tmp_path / "cap.jsonl")
    assert final.followup == 5 and final.status == "incomplete" and len(final.parsed.ranks) == 24


def test_unparseable_is_reasked_and_a_refusal_is_not(tmp_path):
    db = tmp_path / "u.sqlite"
    with FakeChatServer(answers={"fake": ["unparseable", "refuse", "complete"]}) as fake:
        cfg = write_config(tmp_path / "u.toml", fake.base_url, reask="reask_incomplete = 4",
                           languages=("en",), replicates=1)
        collect(load_config(cfg), db, progress=False)
        events = list(fake.events)
    # original "Sure." -> follow-up 1 asks for the numbered list -> a refusal ends the conversation
    assert [len(e["messages"]) for e in events] == [1, 3]
    assert events[1]["messages"][2]["content"].startswith("I could not read a ranking in your answer.")
    export_jsonl(db, tmp_path / "u.jsonl")
    (final,) = parse_responses(tmp_path / "u.jsonl")
    assert final.followup == 1 and final.status == "refused"


def test_off_by_default_sends_nothing_extra(tmp_path):
    db = tmp_path / "off.sqlite"
    with FakeChatServer(answers={"fake": [MISSING_TWO, "complete"]}) as fake:
        cfg = write_config(tmp_path / "off.toml", fake.base_url)  # no reask_incomplete
        assert load_config(cfg).reask_incomplete == 0
        collect(load_config(cfg), db, progress=False)
        collect(load_config(cfg), db, progress=False)
        events = list(fake.events)
    assert len(events) == 4 and all(len(e["messages"]) == 1 for e in events)
    with Store(db) as store:
        rows = store.rows()
    assert len(rows) == 4 and {r["followup"] for r in rows} == {0} and {r["followup_of"] for r in rows} == {None}
    manifest = json.loads(manifest_path(db).read_text(encoding="utf-8"))
    assert manifest["reask_policy"]["enabled"] is False and manifest["run"]["reask_incomplete"] == 0


def test_manifest_records_the_policy_prompts_and_runs(tmp_path):
    db = tmp_path / "out" / "m.sqlite"
    with FakeChatServer(answers={"fake": [MISSING_TWO]}) as fake:
        cfg = write_config(tmp_path / "m.toml", fake.base_url, reask="reask_incomplete = 1")
        assert main([str(cfg), "--store", str(db), "--quiet"]) == 0
        assert main([str(cfg), "--store", str(db), "--quiet"]) == 0
    path = tmp_path / "out" / "m_manifest.json"
    assert manifest_path(db) == path
    text = path.read_text(encoding="utf-8")
    assert "sk-reask-secret" not in text
    manifest = json.loads(text)
    assert manifest["reask_policy"]["reask_incomplete"] == 1 and manifest["reask_policy"]["enabled"] is True
    assert manifest["reask_policy"]["reask_statuses"] == ["incomplete", "unparseable"]
    assert manifest["incomplete_policy"] == "drop"
    assert manifest["run"] == {"languages": ["en", "zh"], "replicates": 2, "term_order": "shuffled",
                               "shuffle_seed": 5, "timeout_s": 30.0, "max_attempts": 3,
                               "backoff_initial_s": 0.01, "backoff_max_s": 0.05, "reask_incomplete": 1,
                               "max_retry_after_s": 300.0, "mode": "sync"}
    assert manifest["models"][0]["model_id"] == "fake" and manifest["models"][0]["generation"] == {
        "max_tokens": 200, "seed": 7}
    assert manifest["versions"]["pyvalues"] and manifest["versions"]["python"].startswith("3.")
    # prompt hashes: the hash of each prompt text actually sent (read back from the store)
    with Store(db) as store:
        sent = {(str(r["replicate"]), r["language"]): prompt_hash(r["request"]["body"]["messages"][0]["content"])
                for r in store.rows() if r["followup"] == 0}
    assert {(rep, lang): h for rep, by_lang in manifest["prompt_hashes"].items()
            for lang, h in by_lang.items()} == sent
    assert len(set(sent.values())) == 4  # shuffled: each replicate has its own order
    # one entry per invocation, both finished
    assert len(manifest["runs"]) == 2 and all(r["finished_at"] for r in manifest["runs"])
    assert manifest["runs"][0]["run_id"] != manifest["runs"][1]["run_id"]


def test_config_rejects_a_negative_or_non_integer_reask(tmp_path):
    for bad in ("reask_incomplete = -1", "reask_incomplete = true", "reask_incomplete = 1.5"):
        cfg = write_config(tmp_path / "bad.toml", "http://127.0.0.1:9/v1", reask=bad)
        with pytest.raises(CollectError, match="reask_incomplete"):
            load_config(cfg)


def _ok_rows(db: Path) -> list[tuple]:
    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return list(con.execute("SELECT id, request_key, followup, followup_of, response_text FROM attempts "
                                "WHERE status = 'ok' ORDER BY id"))
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()


def test_sigkill_between_the_original_and_the_followup_resumes(tmp_path):
    db = tmp_path / "k.sqlite"
    with FakeChatServer(answers={"fake": [MISSING_TWO, "complete"]}, followup_delay_s=15.0) as fake:
        cfg = write_config(tmp_path / "k.toml", fake.base_url, reask="reask_incomplete = 2",
                           languages=("en",), replicates=1)
        env = dict(os.environ, PYVALUES_REASK_KEY="sk-reask-secret")
        cmd = [sys.executable, "-m", "pyvalues.collect", str(cfg), "--store", str(db), "--no-parse", "--quiet"]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        deadline = time.monotonic() + 60
        # wait until the original answer is stored and the follow-up is in flight at the server
        while time.monotonic() < deadline and proc.poll() is None and not (
                _ok_rows(db) and any(len(e["messages"]) == 3 for e in fake.events)):
            time.sleep(0.02)
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        before = _ok_rows(db)
        assert len(before) == 1 and before[0][2] == 0  # the original only
        with Store(db) as store:
            assert store.integrity_check() == "ok"

        fake.followup_delay_s = 0.0
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=120)
        assert proc.returncode == 0, proc.stderr.decode()[-2000:]
        events = list(fake.events)

    after = _ok_rows(db)
    assert after[0] == before[0]  # the original answer kept, unchanged
    assert [(r[2], r[3]) for r in after] == [(0, None), (1, before[0][1])]
    assert after[1][1] == followup_key(before[0][1], 1)
    assert len(after) == 2 and len({r[1] for r in after}) == 2
    # the original was sent once; the follow-up twice (killed in flight, then resent), identically
    assert sum(len(e["messages"]) == 1 for e in events) == 1
    sent_followups = [e for e in events if len(e["messages"]) == 3]
    assert len(sent_followups) == 2 and sent_followups[0]["request"] == sent_followups[1]["request"]
    assert named_terms(sent_followups[1]["messages"][2]["content"]) == {"Logic", "Empathy"}
    # the follow-up's answer is complete, so no follow-up 2
    export_jsonl(db, tmp_path / "k.jsonl")
    (final,) = parse_responses(tmp_path / "k.jsonl")
    assert final.followup == 1 and final.status == "complete"


# --- the follow-up is the parser's, passed in: collection reads no answer itself -------------
def test_collection_without_a_followup_function_stops_before_sending(tmp_path):
    from pyvalues.collect import collect as collect_only

    db = tmp_path / "run.sqlite"
    with FakeChatServer(answers={"fake": [MISSING_TWO, "complete"]}, expected_key="sk-reask-secret") as fake:
        cfg = write_config(tmp_path / "run.toml", fake.base_url, reask="reask_incomplete = 1")
        with pytest.raises(CollectError, match=r"reask_incomplete = 1: .*pyvalues\.pipeline\.collect"):
            collect_only(load_config(cfg), db, progress=False)
        assert fake.events == []
    assert not db.exists()


def test_the_injected_followup_decides_what_is_sent(tmp_path):
    from pyvalues.collect import collect as collect_only

    seen = []

    def followup(answer_text, language, prompt_order):  # written here: no parser involved
        seen.append((answer_text, language, list(prompt_order)))
        return f"again please ({language})" if answer_text.count("\n") < 24 else None

    db = tmp_path / "run.sqlite"
    with FakeChatServer(answers={"fake": [MISSING_TWO, "complete"]}, expected_key="sk-reask-secret") as fake:
        cfg = write_config(tmp_path / "run.toml", fake.base_url, reask="reask_incomplete = 2", languages=("en",),
                           replicates=1)
        summary = collect_only(load_config(cfg), db, progress=False, followup=followup)
        events = list(fake.events)
    # one original answer with 23 lines (two terms missing): one follow-up; its complete answer ends it
    assert [len(e["messages"]) for e in events] == [1, 3]
    assert events[1]["messages"][2]["content"] == "again please (en)"
    assert summary.tallies["Fake"].followups_ok == 1
    assert [(lang, len(order)) for _text, lang, order in seen] == [("en", 25), ("en", 25)]
    assert seen[0][0].count("\n") == 22 and seen[1][0].count("\n") == 24
