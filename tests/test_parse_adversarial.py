"""Adversarial answers: each gets a status and diagnostics, never an exception or a hang.

A generous alarm (60 s per answer) guards against a hang; speed itself is measured in
benchmarks/bench_parse.py, not here.
"""
from __future__ import annotations

import random
import signal
from contextlib import contextmanager

import pytest

from pyvalues.instrument import TERM_NAMES
from pyvalues.parse import STATUSES, parse_ranking

N = list(TERM_NAMES)


@contextmanager
def no_hang(seconds=60):
    def boom(*_):
        raise TimeoutError(f"parse_ranking did not return within {seconds} s")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def numbered(labels):
    return "\n".join(f"{i + 1}. {x}" for i, x in enumerate(labels))


rng = random.Random(5)
LOREM = " ".join(rng.choice(["the", "value", "of", "models", "is", "ranked", "here", "and"]) for _ in range(10))

CASES = {
    # name: (text, expected status) -- expectations by hand, see comments
    "empty": ("", "unparseable"),
    "whitespace": (" \n\t \n", "unparseable"),
    "1 MB of prose": ((LOREM + "\n") * (1_000_000 // (len(LOREM) + 1)), "unparseable"),
    "binary bytes": (random.Random(0).randbytes(200_000), None),
    "nul and control characters": ("\x00\x01\x02" * 50_000, "unparseable"),
    "24 terms": (numbered(N[:24]), "incomplete"),
    # 25 terms plus one item that is no term: the 25 keep their written order
    "26 items": (numbered(N[:12] + ["Loyalty"] + N[12:]), "repaired"),
    "one term 25 times": (numbered(["Accuracy"] * 25), "incomplete"),
    "every term twice in one list": (numbered(N + N), "incomplete"),
    "1 MB of one term": ("Accuracy, " * 100_000, "incomplete"),
    "1 MB of numbering": ("1. " * 330_000, "unparseable"),
    "1 MB one line of digits": ("1" * 1_000_000, "unparseable"),
    "deep json": ("[" * 100_000 + "]" * 100_000, "unparseable"),
    "many think tags": ("<think>" * 50_000 + numbered(N), "unparseable"),
    "many closing think tags": ("</think>" * 50_000 + numbered(N), "complete"),
    "table pipes": ("|" * 500_000, "unparseable"),
    "many short numbered lines": ("\n".join(f"{i % 30}. blah" for i in range(100_000)), "unparseable"),
    "terms repeated in 1000 lists": ((numbered(N) + "\n\nagain:\n") * 1000, "complete"),
    "long whitespace runs": ("Accuracy" + " " * 500_000 + "- 1", "incomplete"),
    "parentheses": ("(" * 500_000, "unparseable"),
    "chinese ordinals": ("第" * 500_000, "unparseable"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_adversarial_input_gets_a_status_and_diagnostics(name):
    text, expected = CASES[name]
    with no_hang():
        p = parse_ranking(text, "en")
    assert p.status in STATUSES
    d = p.diagnostics.to_dict()
    assert set(d["missing"]) <= set(N)
    assert all(1 <= r <= 25 for r in p.ranks.values())
    if expected is not None:
        assert p.status == expected, (name, {k: d[k] for k in ("missing", "notes", "repairs")})


def test_counts_in_the_diagnostics_of_adversarial_lists():
    p = parse_ranking(numbered(["Accuracy"] * 25), "en")
    assert p.ranks == {"Accuracy": 1}
    assert p.diagnostics.duplicates[0]["ranks"] == list(range(1, 26))
    assert len(p.diagnostics.missing) == 24
    q = parse_ranking(numbered(N + N), "en")
    assert len(q.diagnostics.duplicates) == 25 and q.diagnostics.missing == []
    # each term at its first position, its second 25 places later
    assert q.ranks == {t: i + 1 for i, t in enumerate(N)}
    assert all(d["ranks"] == [i + 1, i + 26] for i, d in enumerate(q.diagnostics.duplicates))
