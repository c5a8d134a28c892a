"""The collector's JSONL -> parsed responses -> rank table, summary, CLI and follow-ups."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pyvalues.errors import ParseError
from pyvalues.instrument import TERM_DIMENSION, TERM_NAMES
from pyvalues.parse import (followup_prompt, parse_ranking, parse_responses, read_responses,
                            status_summary, to_rank_table)

N = list(TERM_NAMES)
ROOT = Path(__file__).resolve().parents[1]


def numbered(labels):
    return "\n".join(f"{i + 1}. {x}" for i, x in enumerate(labels))


def attempt(model, country, language, replicate, status, text, **kw):
    return {"model": model, "country": country, "language": language, "replicate": replicate,
            "status": status, "response_text": text, **kw}


REV = N[::-1]
RECORDS = [
    # model A, en, rep 1: a failed attempt, then a complete answer
    attempt("A", "US", "en", 1, "error", None, error="HTTP 503"),
    attempt("A", "US", "en", 1, "ok", numbered(REV)),
    # rep 2: an incomplete answer first, then a complete one: the last ok attempt counts
    attempt("A", "US", "en", 2, "ok", numbered(N[:10])),
    attempt("A", "US", "en", 2, "ok", numbered(N)),
    # rep 3: incomplete (23 terms; Logic and Empathy missing)
    attempt("A", "US", "en", 3, "ok", numbered([x for x in N if x not in ("Logic", "Empathy")])),
    # model B: a refusal, an unparseable answer, and a repaired one (fuzzy)
    attempt("B", "CN", "zh", 1, "ok", "作为一个人工智能，我没有个人的价值观。"),
    attempt("B", "CN", "zh", 2, "ok", "好的。"),
    attempt("B", "CN", "zh", 3, "ok", numbered(N[:8] + ["Critcal thinkng"] + N[9:])),
    # model B, en, rep 1: no successful attempt at all
    attempt("B", "CN", "en", 1, "error", None),
]


def test_last_successful_attempt_counts_and_statuses_per_model():
    parsed = parse_responses(RECORDS)
    by_key = {(r.model, r.language, r.replicate): r.status for r in parsed}
    assert by_key == {
        ("A", "en", 1): "complete", ("A", "en", 2): "complete", ("A", "en", 3): "incomplete",
        ("B", "zh", 1): "refused", ("B", "zh", 2): "unparseable", ("B", "zh", 3): "repaired",
        ("B", "en", 1): "no_response",
    }
    summary = status_summary(parsed).set_index("model")
    assert summary.loc["A"].to_dict() == {"n": 3, "complete": 2, "repaired": 0, "incomplete": 1,
                                          "unparseable": 0, "refused": 0, "no_response": 0}
    assert summary.loc["B"].to_dict() == {"n": 4, "complete": 0, "repaired": 1, "incomplete": 0,
                                          "unparseable": 1, "refused": 1, "no_response": 1}


def test_rank_table_drop_policy():
    df = to_rank_table(parse_responses(RECORDS))
    assert list(df.columns[:8]) == ["model", "country", "language", "replicate", "term", "rank",
                                    "dimension", "parse_status"]
    assert df.attrs["incomplete_policy"] == "drop"
    # complete A/en/1 and A/en/2, repaired B/zh/3; 25 rows each
    assert sorted(set(map(tuple, df[["model", "language", "replicate"]].values.tolist()))) == [
        ("A", "en", 1), ("A", "en", 2), ("B", "zh", 3)]
    assert len(df) == 75 and df["rank"].dtype == "int64"
    a1 = df[(df.model == "A") & (df.replicate == 1)].set_index("term")["rank"]
    assert a1["Emotional expression"] == 1 and a1["Helpfulness"] == 25
    assert (df["dimension"] == df["term"].map(TERM_DIMENSION)).all()
    assert set(df[df.model == "B"]["parse_status"]) == {"repaired"}


def test_rank_table_mean_unused_policy_by_hand():
    df = to_rank_table(parse_responses(RECORDS), policy="mean_unused")
    assert df.attrs["incomplete_policy"] == "mean_unused"
    a3 = df[(df.model == "A") & (df.replicate == 3)].set_index("term")
    # 23 terms written at ranks 1..23; unused ranks {24, 25}: each missing term gets 24.5
    assert a3.loc["Logic", "rank"] == 24.5 and a3.loc["Empathy", "rank"] == 24.5
    assert a3.loc["Helpfulness", "rank"] == 1.0 and a3.loc["Emotional expression", "rank"] == 23.0
    assert set(a3["parse_status"]) == {"incomplete"}
    assert len(df) == 100  # 4 rankings: refused/unparseable/no response never enter


def test_reader_names_the_line_of_a_bad_record(tmp_path):
    p = tmp_path / "r.jsonl"
    good = json.dumps(RECORDS[1])
    bad = dict(RECORDS[1])
    del bad["replicate"]
    p.write_text(good + "\n\n" + json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(ParseError, match=r"line 3: missing required key\(s\) \['replicate'\]"):
        read_responses(p)
    p.write_text(good + "\n{not json\n", encoding="utf-8")
    with pytest.raises(ParseError, match="line 2: not valid JSON"):
        read_responses(p)
    ok_without_text = {k: v for k, v in RECORDS[1].items() if k != "response_text"}
    p.write_text(json.dumps(ok_without_text) + "\n", encoding="utf-8")
    with pytest.raises(ParseError, match=r"line 1: missing required key\(s\) \['response_text'\]"):
        read_responses(p)
    # a failed attempt may lack the text
    p.write_text(json.dumps({k: v for k, v in RECORDS[0].items() if k != "response_text"}) + "\n")
    assert len(read_responses(p)) == 1


def test_cli_prints_summary_and_writes_table(tmp_path):
    src = tmp_path / "responses.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS), encoding="utf-8")
    out = tmp_path / "ranks.csv"
    diag = tmp_path / "diag.jsonl"
    res = subprocess.run([sys.executable, "-m", "pyvalues.parse", str(src), "--out", str(out),
                          "--policy", "mean_unused", "--diagnostics", str(diag)],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "7 response(s)" in res.stdout and "incomplete_policy=mean_unused" in res.stdout
    lines = res.stdout.splitlines()
    header = lines[1].split()
    assert header == ["model", "n", "complete", "repaired", "incomplete", "unparseable", "refused", "no_response"]
    assert lines[2].split() == ["A", "3", "2", "0", "1", "0", "0", "0"]
    table = pd.read_csv(out)
    assert len(table) == 100
    assert len(diag.read_text(encoding="utf-8").splitlines()) == 7
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"model": "A"}\n')
    res = subprocess.run([sys.executable, "-m", "pyvalues.parse", str(bad)], capture_output=True,
                         text=True, cwd=ROOT, timeout=120)
    assert res.returncode == 2 and "line 1" in res.stderr


def test_followup_names_missing_terms_in_the_prompt_language():
    p = parse_ranking(numbered([x for x in N if x not in ("Harmony", "Logic")]), "en")
    en = followup_prompt(p, "en")
    assert en.startswith("Your ranking is missing these words: Logic(逻辑性), Harmony(和谐性).")
    zh = followup_prompt(p, "zh")
    assert zh.startswith("你的排序缺少以下词语：Logic(逻辑性)、Harmony(和谐性)。")
    dup = parse_ranking(numbered(N[:24] + ["Accuracy"]), "en")
    assert "These words appear more than once: Accuracy(准确性)." in followup_prompt(dup, "en")
    assert followup_prompt(parse_ranking(numbered(N), "en"), "en") is None
    assert followup_prompt(parse_ranking("As an AI, I don't have personal values.", "en"), "en") is None
    assert "could not read a ranking" in followup_prompt(parse_ranking("hello", "en"), "en")
