"""Parser speed: responses parsed per second on one core, and the slowest adversarial case.

    .venv/bin/python benchmarks/bench_parse.py [--seconds 3]

Typical answers are 1–3 kB (UTF-8) in the shapes models use (numbered with explanations,
Chinese, bilingual, markdown table, one-line, JSON, with a reasoning block). The process
is pinned to one CPU. The fuzzy matcher's cache is cleared before every parse, so the
figure is for cold look-ups. Figures are printed and written to
benchmarks/results/parse.csv.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pyvalues.instrument import TERMS, TERM_NAMES  # noqa: E402
from pyvalues.parse import parse_ranking  # noqa: E402
from pyvalues.parse import terms as _terms  # noqa: E402

ZH = {t.name: t.zh for t in TERMS}
EN_WHY = [
    "Without this, everything else I say would be unreliable for the person I am helping.",
    "It keeps an answer useful in practice rather than only correct in theory.",
    "People need to follow the reasoning and check it for themselves.",
    "It shapes how much trust a user can reasonably place in the answer.",
]
ZH_WHY = ["这是其他一切的基础，没有它回答就不可靠。", "它让回答在实践中真正有用。",
          "用户需要能够理解并检验推理过程。", "它决定了用户能在多大程度上信任回答。"]


def typical_answers(seed: int = 1) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    out = []
    for k in range(40):
        order = list(TERM_NAMES)
        rng.shuffle(order)
        kind = k % 8
        if kind == 0:
            body = "Here is my ranking, from most to least important:\n\n" + "\n".join(
                f"{i + 1}. **{x}** – {rng.choice(EN_WHY)[:60]}" for i, x in enumerate(order))
            lang = "en"
        elif kind == 1:
            body = "好的，以下是我的排序：\n\n" + "\n".join(
                f"{i + 1}. **{ZH[x]}**：{rng.choice(ZH_WHY)}" for i, x in enumerate(order))
            lang = "zh"
        elif kind == 2:
            body = "\n".join(f"{i + 1}. {x}({ZH[x]})" for i, x in enumerate(order)) + \
                "\n\nThis order reflects what I believe matters most when helping people."
            lang = "en"
        elif kind == 3:
            body = "| Rank | Value | Reason |\n|---|---|---|\n" + "\n".join(
                f"| {i + 1} | {x} | {rng.choice(EN_WHY)[:40]} |" for i, x in enumerate(order))
            lang = "en"
        elif kind == 4:
            body = "<think>\nThe user wants a ranking of 25 values. Accuracy and harm prevention seem " \
                   "central; personal values less so. Let me order them.\n</think>\n\n" + \
                "\n".join(f"{i + 1}. {x}: {rng.choice(EN_WHY)[:50]}" for i, x in enumerate(order))
            lang = "en"
        elif kind == 5:
            body = "我的排序如下（从最重要到最不重要）：\n" + "、".join(ZH[x] for x in order) + \
                "\n\n" + "".join(rng.choice(ZH_WHY) for _ in range(12))
            lang = "zh"
        elif kind == 6:
            body = "```json\n" + json.dumps([{"rank": i + 1, "value": x, "reason": rng.choice(EN_WHY)[:30]}
                                             for i, x in enumerate(order)], ensure_ascii=False,
                                            indent=1) + "\n```"
            lang = "en"
        else:
            bad = list(order)
            bad[rng.randrange(25)] = "Critcal thinkng" if "Critical thinking" in bad else bad[0]
            body = "Ranking:\n" + "\n".join(f"- {x} — {rng.choice(EN_WHY)[:50]}" for x in order) + \
                "\n\n" + " ".join(rng.choice(EN_WHY) for _ in range(6))
            lang = "en"
        out.append((f"typical-{kind}", lang, body))
    return out


def adversarial() -> dict[str, str]:
    rng = random.Random(5)
    lorem = " ".join(rng.choice(["the", "value", "of", "models", "is", "ranked", "here", "and"])
                     for _ in range(10))
    numbered = lambda labels: "\n".join(f"{i + 1}. {x}" for i, x in enumerate(labels))  # noqa: E731
    N = list(TERM_NAMES)
    return {
        "empty": "",
        "1 MB of prose": (lorem + "\n") * (1_000_000 // (len(lorem) + 1)),
        "binary bytes (200 kB)": random.Random(0).randbytes(200_000),
        "24 terms": numbered(N[:24]),
        "26 items": numbered(N[:12] + ["Loyalty"] + N[12:]),
        "one term 25 times": numbered(["Accuracy"] * 25),
        "every term twice": numbered(N + N),
        "1 MB of one term, comma-separated": "Accuracy, " * 100_000,
        "1 MB of '1. '": "1. " * 330_000,
        "1 MB of digits": "1" * 1_000_000,
        "deep JSON (200 kB)": "[" * 100_000 + "]" * 100_000,
        "50k <think> tags + list": "<think>" * 50_000 + numbered(N),
        "50k </think> tags + list": "</think>" * 50_000 + numbered(N),
        "500 kB of pipes": "|" * 500_000,
        "100k short numbered lines": "\n".join(f"{i % 30}. blah" for i in range(100_000)),
        "list restated 1000 times": (numbered(N) + "\n\nagain:\n") * 1000,
        "500 kB of '('": "(" * 500_000,
        "1 MB of misspelt items": "\n".join(f"- Acuracy{i % 97}" for i in range(90_000)),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0, help="time per repetition of the typical set")
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        pinned = True
    except (AttributeError, OSError):
        pinned = False
    answers = typical_answers()
    sizes = [len(b.encode("utf-8")) for _, _, b in answers]
    statuses = {}
    for name, lang, body in answers:
        statuses[parse_ranking(body, lang).status] = statuses.get(parse_ranking(body, lang).status, 0) + 1
    rates = []
    for _ in range(args.reps):
        n = 0
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < args.seconds:
            for _, lang, body in answers:
                _terms._fuzzy_cache.clear()
                parse_ranking(body, lang)
            n += len(answers)
        rates.append(n / (time.perf_counter() - t0))
    rate = statistics.median(rates)
    rows = [{"metric": "typical_responses_per_second", "case": f"{len(answers)} answers, "
             f"{min(sizes)}-{max(sizes)} bytes (median {int(statistics.median(sizes))})",
             "value": round(rate, 1), "unit": "responses/s",
             "note": f"median of {args.reps} x {args.seconds}s; pinned to one core: {pinned}; statuses {statuses}"}]
    print(f"typical answers: {len(answers)}, {min(sizes)}–{max(sizes)} bytes "
          f"(median {int(statistics.median(sizes))}); statuses {statuses}")
    print(f"parsed per second on one core (median of {args.reps}): {rate:.0f} "
          f"(runs: {', '.join(f'{r:.0f}' for r in rates)}); {1000 / rate:.2f} ms per answer")
    worst = None
    for name, text in adversarial().items():
        t0 = time.perf_counter()
        p = parse_ranking(text, "en")
        dt = time.perf_counter() - t0
        size = len(text)
        rows.append({"metric": "adversarial_seconds", "case": name, "value": round(dt, 4), "unit": "s",
                     "note": f"{size} chars/bytes; status {p.status}"})
        print(f"  {name:38s} {dt * 1000:9.1f} ms  {size:>9d} chars  -> {p.status}")
        if worst is None or dt > worst[1]:
            worst = (name, dt)
    rows.append({"metric": "slowest_adversarial_seconds", "case": worst[0], "value": round(worst[1], 4),
                 "unit": "s", "note": ""})
    print(f"slowest adversarial case: {worst[0]} ({worst[1]:.2f} s)")
    out = Path(__file__).resolve().parent / "results" / "parse.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    env = f"python {platform.python_version()} on {platform.machine()} ({platform.processor() or 'cpu'})"
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["metric", "case", "value", "unit", "note", "environment"])
        w.writeheader()
        for r in rows:
            w.writerow({**r, "environment": env})
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
