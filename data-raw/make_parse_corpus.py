"""Copy the real local-model answers into the parser's test corpus.

    .venv/bin/python data-raw/make_parse_corpus.py [data-raw/local_responses.jsonl]

Writes tests/fixtures/parse_corpus/answers.jsonl: the last successful attempt of each
(model, language, replicate), with an id. The expected outcomes live beside it in
expected.csv and are written by hand after reading each answer (they are not produced by
the parser); this script never touches expected.csv. Regenerating from the same input
gives the same bytes.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pyvalues.parse import read_responses  # noqa: E402


def main() -> None:
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "data-raw" / "local_responses.jsonl"
    out = ROOT / "tests" / "fixtures" / "parse_corpus" / "answers.jsonl"
    last: dict[tuple, dict] = {}
    for rec in read_responses(src):
        if rec["status"] == "ok":
            last[(rec["model"], rec["language"], int(rec["replicate"]))] = rec
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="\n") as fh:
        for (model, language, replicate), rec in sorted(last.items()):
            slug = re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-")
            fh.write(json.dumps({
                "id": f"{slug}-{language}-{replicate}", "model": model, "language": language,
                "replicate": replicate, "finish_reason": rec.get("finish_reason"),
                "response_text": rec["response_text"],
            }, ensure_ascii=False) + "\n")
    print(f"wrote {len(last)} answers to {out}")


if __name__ == "__main__":
    main()
