"""Real answers of real local models, with the outcome a careful reader gives them.

The expectations (tests/fixtures/parse_corpus/expected.csv) were written by hand after
reading each answer; see the README there.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from pyvalues.instrument import TERM_NAMES
from pyvalues.parse import parse_ranking

HERE = Path(__file__).resolve().parent / "fixtures" / "parse_corpus"


def _load():
    answers = {}
    with (HERE / "answers.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            answers[rec["id"]] = rec
    with (HERE / "expected.csv").open(encoding="utf-8", newline="") as fh:
        expected = list(csv.DictReader(fh))
    return answers, expected


ANSWERS, EXPECTED = _load()


def test_every_answer_has_an_expectation_and_both_languages_and_models_are_there():
    assert sorted(ANSWERS) == sorted(e["id"] for e in EXPECTED)
    assert {a["language"] for a in ANSWERS.values()} == {"zh", "en"}
    assert len({a["model"] for a in ANSWERS.values()}) == 2


@pytest.mark.parametrize("row", EXPECTED, ids=[e["id"] for e in EXPECTED])
def test_real_answer_gets_the_status_a_careful_reader_gives_it(row):
    ans = ANSWERS[row["id"]]
    p = parse_ranking(ans["response_text"], ans["language"])
    assert p.status == row["expected_status"], (row["reading"], p.diagnostics.to_dict())
    want = {}
    for part in filter(None, row["expected_ranks"].split(";")):
        term, rank = part.rsplit("=", 1)
        assert term in TERM_NAMES
        want[term] = int(rank)
    assert p.ranks == want
    dups = [d["term"] for d in p.diagnostics.duplicates]
    assert dups == [t for t in row["expected_duplicates"].split(";") if t]
