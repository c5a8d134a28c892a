"""The parser's JSONL reader with the collector's follow-ups (re-ask policy).

Each group below is written by hand the way the collector exports it: the original request
(``followup`` 0, its own ``request_key``), then its follow-ups (``followup`` 1, 2, ... and
``followup_of`` = the original's key). The expected final answer of each group is stated
next to it: the last follow-up of the latest conversation.
"""
from __future__ import annotations

import json

from pyvalues.instrument import TERM_NAMES
from pyvalues.parse import parse_responses, to_rank_table

N = list(TERM_NAMES)
REV = N[::-1]
WITHOUT_LOGIC_EMPATHY = [t for t in N if t not in ("Logic", "Empathy")]


def numbered(labels):
    return "\n".join(f"{i + 1}. {x}" for i, x in enumerate(labels))


def rec(replicate, text, key, followup=0, followup_of=None, status="ok", model="A"):
    return {"model": model, "country": "US", "language": "en", "replicate": replicate, "status": status,
            "response_text": text, "request_key": key, "followup": followup, "followup_of": followup_of}


RECORDS = [
    # rep 1: incomplete -> follow-up 1 unparseable -> follow-up 2 complete (reversed): final = follow-up 2
    rec(1, numbered(WITHOUT_LOGIC_EMPATHY), "k1"),
    rec(1, "Sure.", "k1f1", 1, "k1"),
    rec(1, None, "k1f2", 2, "k1", status="http_503"),
    rec(1, numbered(REV), "k1f2", 2, "k1"),
    # rep 2: incomplete (23 terms) -> follow-up 1 lists only the two missing terms: final = follow-up 1
    # (the last answer, not the "best" one: incomplete with 2 ranks, so the drop policy leaves it out)
    rec(2, numbered(WITHOUT_LOGIC_EMPATHY), "k2"),
    rec(2, "24. Logic\n25. Empathy", "k2f1", 1, "k2"),
    # rep 3: an old conversation (original + complete follow-up), then a newer original request
    # (another request key, e.g. after a change of max_tokens) answered completely: final = the newer one
    rec(3, numbered(WITHOUT_LOGIC_EMPATHY), "k3old"),
    rec(3, numbered(REV), "k3oldf1", 1, "k3old"),
    rec(3, numbered(N), "k3new"),
    # rep 4: an older export without the follow-up fields: the last successful attempt counts
    {"model": "A", "country": "US", "language": "en", "replicate": 4, "status": "ok",
     "response_text": numbered(WITHOUT_LOGIC_EMPATHY)},
    {"model": "A", "country": "US", "language": "en", "replicate": 4, "status": "ok",
     "response_text": numbered(REV)},
    # rep 5: a file whose lines are not in the order written (sorted, or exports concatenated):
    # the follow-up comes first; the final answer is still the follow-up's
    rec(5, numbered(REV), "k5f1", 1, "k5"),
    rec(5, numbered(WITHOUT_LOGIC_EMPATHY), "k5"),
]


def test_final_answer_is_the_last_followup_of_the_latest_conversation(tmp_path):
    path = tmp_path / "responses.jsonl"
    # the follow-up of rep 1 is written after rep 2 began (concurrent requests): order in the
    # file interleaves conversations, the choice must not depend on that
    order = [0, 1, 4, 2, 5, 3, 6, 7, 8, 9, 10, 11, 12]
    path.write_text("".join(json.dumps(RECORDS[i]) + "\n" for i in order), encoding="utf-8")
    parsed = {r.replicate: r for r in parse_responses(path)}
    assert {k: (r.status, r.followup, r.attempts) for k, r in parsed.items()} == {
        1: ("complete", 2, 4), 2: ("incomplete", 1, 2), 3: ("complete", 0, 3), 4: ("complete", 0, 2),
        5: ("complete", 1, 2)}
    assert parsed[1].parsed.ranks == {t: 25 - i for i, t in enumerate(N)}  # the reversed list
    assert parsed[2].parsed.ranks == {"Logic": 24, "Empathy": 25}
    assert parsed[3].parsed.ranks == {t: i + 1 for i, t in enumerate(N)}
    assert parsed[4].parsed.ranks == {t: 25 - i for i, t in enumerate(N)}
    assert parsed[5].parsed.ranks == {t: 25 - i for i, t in enumerate(N)} and parsed[5].line == 12
    # the file line of the attempt parsed: rep 1's follow-up 2 (ok) is RECORDS[3], written 6th
    assert parsed[1].line == 6

    table = to_rank_table(parsed.values())
    assert sorted(set(table["replicate"])) == [1, 3, 4, 5]
    r1 = table[table.replicate == 1].set_index("term")["rank"]
    assert r1["Emotional expression"] == 1 and r1["Helpfulness"] == 25
