"""Property: any permutation of the 25 terms, written in any supported shape, label
language and decoration, parses back to itself with status ``complete``.

The renderers below are written from the list of shapes in issue 5, independently of the
parser's code: they produce text the way a model would, and the expected ranking is the
permutation they were given.
"""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyvalues.instrument import TERMS, TERM_NAMES
from pyvalues.parse import parse_ranking

ZH = {t.name: t.zh for t in TERMS}
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳㉑㉒㉓㉔㉕"
FULLWIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "0123456789.,:;()[]{}|\"-#>"})


def label(name: str, style: str) -> str:
    return {
        "en": name,
        "zh": ZH[name],
        "en(zh)": f"{name}({ZH[name]})",
        "zh en": f"{ZH[name]} {name}",
        "zh(en)": f"{ZH[name]}（{name}）",
    }[style]


def explanation(i: int, language: str) -> str:
    # mentions other terms on purpose: only the head of an item names its term
    if language == "zh":
        return f"：这一点很重要，因为清晰性和逻辑性都依赖于它（第{i}条）。"
    return f": it matters because Clarity and Logic depend on it (point {i})."


NUMBER_MARKERS = {
    "1.": lambda i: f"{i}. ",
    "1)": lambda i: f"{i}) ",
    "1、": lambda i: f"{i}、",
    "（1）": lambda i: f"（{i}）",
    "第1名": lambda i: f"第{i}名：",
    "No. 1": lambda i: f"No. {i} ",
    "#1": lambda i: f"#{i} ",
    "1 -": lambda i: f"{i} - ",
    "circled": lambda i: CIRCLED[i - 1],
}


def wrap(text: str, deco: str) -> str:
    return {"none": text, "bold": f"**{text}**", "italic": f"*{text}*"}[deco]


def render(order, shape, marker, style, deco, explain, language, sep) -> str:
    labels = [wrap(label(n, style), deco) for n in order]
    n = len(order)
    if shape == "numbered":
        lines = [f"{NUMBER_MARKERS[marker](i + 1)}{lab}" + (explanation(i, language) if explain else "")
                 for i, lab in enumerate(labels)]
        return "\n".join(lines)
    if shape == "bulleted":
        bullet = {"1.": "- ", "1)": "* ", "1、": "• "}.get(marker, "- ")
        return "\n".join(f"{bullet}{lab}" + (explanation(i, language) if explain else "")
                         for i, lab in enumerate(labels))
    if shape == "table":
        head = "| 排名 | 价值 | 说明 |" if language == "zh" else "| Rank | Value | Why |"
        rows = [f"| {i + 1} | {lab} | {'important' if not explain else explanation(i, language)[1:]} |"
                for i, lab in enumerate(labels)]
        return "\n".join([head, "|---|---|---|"] + rows)
    if shape == "oneline":
        return sep.join(labels)
    if shape == "json_array":
        return "```json\n" + json.dumps([label(x, style) for x in order], ensure_ascii=False) + "\n```"
    if shape == "json_object":
        return json.dumps({label(x, style): i + 1 for i, x in enumerate(order)}, ensure_ascii=False, indent=2)
    if shape == "json_records":
        return json.dumps([{"rank": i + 1, "value": label(x, style)} for i, x in enumerate(order)],
                          ensure_ascii=False)
    if shape == "term_dash_n":
        return "\n".join(f"{lab} – {i + 1}" for i, lab in enumerate(labels))
    if shape == "reversed":
        say = ("以下按重要性从低到高列出：" if language == "zh"
               else "Listed from least to most important:")
        return say + "\n" + "\n".join(f"- {lab}" for lab in reversed(labels))
    raise AssertionError(shape)


SHAPES = ["numbered", "bulleted", "table", "oneline", "json_array", "json_object", "json_records",
          "term_dash_n", "reversed"]


@st.composite
def answers(draw):
    order = draw(st.permutations(TERM_NAMES))
    language = draw(st.sampled_from(["en", "zh"]))
    shape = draw(st.sampled_from(SHAPES))
    marker = draw(st.sampled_from(list(NUMBER_MARKERS)))
    style = draw(st.sampled_from(["en", "zh", "en(zh)", "zh en", "zh(en)"]))
    deco = draw(st.sampled_from(["none", "bold", "italic"]))
    explain = draw(st.booleans()) and shape in ("numbered", "bulleted", "table")
    sep = draw(st.sampled_from([", ", " > ", " → ", "、", "; ", " -> "]))
    body = render(order, shape, marker, style, deco, explain, language, sep)
    if draw(st.booleans()):
        pre = ("好的，以下是我的排序：" if language == "zh" else "Sure. Here is my ranking:")
        body = pre + "\n\n" + body
    if draw(st.booleans()):
        post = ("希望这个排序对你有帮助。" if language == "zh" else "I hope this ranking is useful.")
        body = body + "\n\n" + post
    if draw(st.booleans()):
        decoy = list(reversed(order))
        body = "<think>\n" + "\n".join(f"{i + 1}. {x}" for i, x in enumerate(decoy)) + "\n</think>\n" + body
    if shape not in ("reversed",) and draw(st.booleans()):
        # a draft first, then the final answer (take the final one)
        draft = draw(st.permutations(TERM_NAMES))
        head = "初稿：" if language == "zh" else "First draft:"
        final = "最终答案：" if language == "zh" else "Final answer:"
        body = head + "\n" + "\n".join(f"{i + 1}. {x}" for i, x in enumerate(draft)) + "\n\n" + final + "\n" + body
    if language == "zh" and draw(st.booleans()):
        body = body.translate(FULLWIDTH)
    return order, language, shape, body


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers())
def test_any_permutation_in_any_shape_parses_back_complete(case):
    order, language, shape, body = case
    parsed = parse_ranking(body, language)
    assert parsed.status == "complete", (shape, parsed.diagnostics.to_dict(), body[:600])
    assert parsed.ranks == {name: i + 1 for i, name in enumerate(order)}, (shape, body[:600])
    assert sorted(parsed.diagnostics.matches) == sorted(TERM_NAMES)
    assert parsed.diagnostics.order_reversed == (shape == "reversed")


@settings(max_examples=100, deadline=None)
@given(st.permutations(TERM_NAMES), st.sampled_from(["en", "zh"]))
def test_matched_spans_point_at_the_term_in_the_original_text(order, language):
    body = "\n".join(f"{i + 1}. {label(x, 'en(zh)')}" for i, x in enumerate(order))
    parsed = parse_ranking(body, language)
    for name in order:
        m = parsed.diagnostics.matches[name]
        a, b = m.span
        assert body[a:b] == name
        assert m.method == "exact"
