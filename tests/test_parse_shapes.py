"""Hand-written answers with the outcome a careful reader gives them (issue 5)."""
from __future__ import annotations

import pytest

from pyvalues.errors import ParseError
from pyvalues.instrument import TERMS, TERM_NAMES
from pyvalues.parse import parse_ranking

N = list(TERM_NAMES)  # the printed order (Appendix A.1)
ZH = [t.zh for t in TERMS]


def numbered(labels, start=1):
    return "\n".join(f"{i + start}. {x}" for i, x in enumerate(labels))


def as_ranks(order):
    return {t: i + 1 for i, t in enumerate(order)}


def test_known_variants_are_matched_as_variants_and_the_ranking_is_complete():
    labels = N.copy()
    labels[8] = "Critical-thinking"
    labels[10] = "同理心"
    labels[11] = "Equity & justice"
    labels[18] = "Human rights and dignity"
    p = parse_ranking(numbered(labels), "en")
    assert p.status == "complete"
    assert p.ranks == as_ranks(N)
    m = p.diagnostics.matches
    assert (m["Critical thinking"].method, m["Critical thinking"].text) == ("normalised", "Critical-thinking")
    assert (m["Empathy"].method, m["Empathy"].text) == ("variant", "同理心")
    assert (m["Equity and justice"].method, m["Equity and justice"].text) == ("normalised", "Equity & justice")
    assert m["Protecting human rights and dignity"].method == "variant"
    assert m["Accuracy"].method == "exact"


def test_gongqing_alone_is_empathy():
    labels = ZH.copy()
    labels[10] = "共情"
    p = parse_ranking(numbered(labels), "zh")
    assert p.status == "complete" and p.ranks["Empathy"] == 11
    assert p.diagnostics.matches["Empathy"].method == "variant"


def test_a_misspelling_is_a_recorded_fuzzy_match_and_the_ranking_repaired():
    labels = N.copy()
    labels[8] = "Critcal thinkng"
    p = parse_ranking(numbered(labels), "en")
    assert p.status == "repaired"
    assert p.ranks == as_ranks(N)
    m = p.diagnostics.matches["Critical thinking"]
    assert m.method == "fuzzy" and m.text == "Critcal thinkng"
    # difflib ratio of "critcalthinkng" (14) vs "criticalthinking" (16): 2*14/30
    assert m.score == pytest.approx(round(2 * 14 / 30, 3))
    assert any("fuzzy" in r for r in p.diagnostics.repairs)


def test_an_unrelated_word_is_an_unknown_item_not_a_fuzzy_guess():
    labels = N[:4] + ["Honesty"] + N[4:]  # 26 items, one not a term
    p = parse_ranking(numbered(labels), "en")
    assert [u["text"] for u in p.diagnostics.unknown_items] == ["Honesty"]
    assert p.diagnostics.unknown_items[0]["number"] == 5
    # the 25 terms keep their written order; ranks closed up over the dropped item
    assert p.status == "repaired" and p.ranks == as_ranks(N)


def test_two_items_never_map_silently_to_one_term():
    labels = N.copy()
    labels[3] = "Logic"  # replaces Efficiency
    labels[20] = "Logical"  # replaces Authenticity; a variant of Logic
    p = parse_ranking(numbered(labels), "en")
    assert p.status == "incomplete"
    dup = p.diagnostics.duplicates
    assert [d["term"] for d in dup] == ["Logic"] and dup[0]["ranks"] == [4, 10, 21]
    assert p.diagnostics.missing == ["Efficiency", "Authenticity"]
    assert p.ranks["Logic"] == 4  # first (most important) position kept


def test_twenty_four_terms_is_incomplete_and_names_the_missing_one():
    p = parse_ranking(numbered(N[:24]), "en")
    assert p.status == "incomplete"
    assert p.diagnostics.missing == ["Emotional expression"]
    assert p.ranks == as_ranks(N[:24])


def test_refusals_are_their_own_status():
    en = "As an AI, I don't have personal values or preferences, so I can't rank these words."
    zh = "作为一个人工智能，我没有个人的价值观，因此无法对这些词语进行排序。"
    assert parse_ranking(en, "en").status == "refused"
    assert parse_ranking(zh, "zh").status == "refused"
    # a disclaimer followed by a full ranking is a ranking (the disclaimer is recorded)
    p = parse_ranking("As an AI I don't have personal values, but here is a ranking:\n" + numbered(N), "en")
    assert p.status == "complete" and p.diagnostics.refusal == "as an ai"


def test_repeated_number_is_repaired_by_order_and_reported():
    nums = list(range(1, 11)) + [10] + list(range(11, 25))
    body = "\n".join(f"{n}. {x}" for n, x in zip(nums, N))
    p = parse_ranking(body, "en")
    assert p.status == "repaired" and p.ranks == as_ranks(N)
    assert p.diagnostics.ties == [{"rank": 10, "terms": ["Logic", "Empathy"], "separate_items": True}]


def test_two_terms_in_one_item_is_a_tie_and_incomplete():
    rest = [x for x in N if x not in ("Logic", "Clarity")]
    body = numbered(rest[:2] + ["Logic and Clarity"] + rest[2:])
    p = parse_ranking(body, "en")
    assert p.status == "incomplete"
    assert p.diagnostics.ties == [{"rank": 3, "terms": ["Logic", "Clarity"]}]


def test_numbers_written_from_25_down_are_ranks_as_written():
    body = "\n".join(f"{25 - i}. {x}" for i, x in enumerate(N))
    p = parse_ranking(body, "en")
    assert p.status == "complete" and not p.diagnostics.order_reversed
    assert p.ranks == {x: 25 - i for i, x in enumerate(N)}


def test_list_from_least_to_most_important_when_the_text_says_so():
    body = "From least to most important:\n" + "\n".join(f"- {x}" for x in N)
    p = parse_ranking(body, "en")
    assert p.status == "complete" and p.diagnostics.order_reversed
    assert p.ranks["Helpfulness"] == 25 and p.ranks["Emotional expression"] == 1
    zh = "按重要性从低到高排列：" + "、".join(ZH)
    q = parse_ranking(zh, "zh")
    assert q.status == "complete" and q.ranks["Emotional expression"] == 1


def test_a_short_summary_after_the_full_list_does_not_replace_it():
    body = numbered(N) + "\n\nIn short, my top three:\n1. Helpfulness\n2. Professionalism\n3. Thoroughness"
    p = parse_ranking(body, "en")
    assert p.status == "complete" and p.ranks == as_ranks(N)


def test_a_corrected_list_replaces_the_first():
    final = list(reversed(N))
    body = numbered(N) + "\n\nWait, let me correct that. Final answer:\n" + numbered(final)
    p = parse_ranking(body, "en")
    assert p.status == "complete" and p.ranks == as_ranks(final)


def test_reasoning_only_is_unparseable():
    p = parse_ranking("<think>\n" + numbered(N) + "\n", "en")
    assert p.status == "unparseable" and p.ranks == {}


def test_reasoning_block_is_ignored():
    final = list(reversed(N))
    p = parse_ranking("<think>\n" + numbered(N) + "\n</think>\n\n" + numbered(final), "en")
    assert p.status == "complete" and p.ranks == as_ranks(final)


def test_bilingual_labels_that_disagree_are_not_mapped():
    labels = [f"{n}({z})" for n, z in zip(N, ZH)]
    labels[7] = "Accuracy(逻辑性)"
    p = parse_ranking(numbered(labels), "en")
    assert p.status == "incomplete"
    assert p.diagnostics.missing == ["Accuracy"]
    assert p.diagnostics.unknown_items[0]["text"] == "Accuracy(逻辑性)"


def test_the_two_halves_of_the_empathy_label_as_two_items_are_merged():
    labels = ZH[:10] + ["共情", "同理心"] + ZH[11:]
    p = parse_ranking(numbered(labels), "zh")
    assert p.status == "repaired" and p.ranks == as_ranks(N)
    assert any("merged" in r for r in p.diagnostics.repairs)


def test_shapes_of_the_issue_by_hand():
    order = N[::-1]
    cases = {
        "markdown table, bilingual": "| 排名 | 价值 |\n|---|---|\n" + "\n".join(
            f"| {i + 1} | **{x}({TERMS[N.index(x)].zh})** |" for i, x in enumerate(order)),
        "json object": "{" + ", ".join(f'"{x}": {i + 1}' for i, x in enumerate(order)) + "}",
        "term dash number": "\n".join(f"{x} – {i + 1}" for i, x in enumerate(order)),
        "number dash term": "\n".join(f"{i + 1} - {x}" for i, x in enumerate(order)),
        "arrows": " → ".join(order),
        "comma one-liner with preamble": "My ranking: " + ", ".join(order) + ".",
        "full-width zh": "\n".join(f"（{i + 1}）{TERMS[N.index(x)].zh}" for i, x in enumerate(order))
        .translate(str.maketrans("0123456789", "０１２３４５６７８９")),
        "chinese numerals": "\n".join(
            f"第{'一二三四五六七八九十'[i] if i < 10 else i + 1}名：{TERMS[N.index(x)].zh}"
            for i, x in enumerate(order)),
        "zh then en": "\n".join(f"{i + 1}. {TERMS[N.index(x)].zh} {x}" for i, x in enumerate(order)),
        "one line numbered": " ".join(f"{i + 1}. {x}" for i, x in enumerate(order)),
    }
    for name, body in cases.items():
        p = parse_ranking(body, "zh")
        assert p.status == "complete", (name, p.diagnostics.to_dict())
        assert p.ranks == as_ranks(order), name


def test_spans_index_the_original_text_even_after_width_folding():
    body = "１．准确性\n２．逻辑性"
    p = parse_ranking(body, "zh")
    a, b = p.diagnostics.matches["Accuracy"].span
    assert body[a:b] == "准确性"
    a, b = p.diagnostics.matches["Logic"].span
    assert body[a:b] == "逻辑性"
    assert p.ranks == {"Accuracy": 1, "Logic": 2}


def test_input_that_is_not_text_or_a_bad_language_raises_parse_error():
    with pytest.raises(ParseError, match="expected the answer as str"):
        parse_ranking(None, "en")
    with pytest.raises(ParseError, match="unknown language"):
        parse_ranking("1. Accuracy", "fr")


def test_an_answer_that_only_repeats_the_prompt_is_not_a_ranking():
    from pyvalues.instrument import prompt_text

    for lang in ("en", "zh"):
        p = parse_ranking(prompt_text(lang), lang)
        assert p.status == "unparseable" and p.ranks == {}
        assert any(n.startswith("prompt_echo") for n in p.diagnostics.notes)
    # the prompt repeated, then a partial ranking: the ranking is read, not the echo
    q = parse_ranking(prompt_text("en") + "\n\n1. Accuracy\n2. Logic\n3. Clarity", "en")
    assert q.status == "incomplete" and q.ranks == {"Accuracy": 1, "Logic": 2, "Clarity": 3}
    # a numbered ranking that happens to follow the prompt's order is a ranking, with a note
    r = parse_ranking(numbered(N), "en")
    assert r.status == "complete" and "ranking identical to the order of the prompt's list" in r.diagnostics.notes


def test_a_sentence_is_not_fuzzily_read_as_a_term():
    # "A professional is someone ..." (Gemma 3 270M) is a sentence, not Professionalism
    p = parse_ranking("1. A professional is someone who knows how to work with others.\n2. Accuracy", "en")
    assert p.ranks == {"Accuracy": 2}
    assert p.diagnostics.unknown_items[0]["text"].startswith("A professional is someone")


def test_one_word_variants_name_a_term_only_as_the_whole_head():
    p = parse_ranking("1. Clear communication is key\n2. Clear\n3. 准确地回答\n4. 准确", "zh")
    assert p.ranks == {"Clarity": 2, "Accuracy": 4}
    assert [u["number"] for u in p.diagnostics.unknown_items] == [1, 3]


def test_the_next_number_on_the_same_line_starts_a_new_item():
    p = parse_ranking("1. Logic\n2. Integrity and Corruption 3. Accuracy, Integrity\n4. Clarity", "en")
    assert p.ranks == {"Logic": 1, "Accuracy": 3, "Clarity": 4}


def test_a_stated_first_choice_is_a_one_item_ranking():
    p = parse_ranking("The most important to me is Personal growth and wellbeing. Others matter too.", "en")
    assert p.status == "incomplete" and p.ranks == {"Personal growth and wellbeing": 1}
    q = parse_ranking("我认为最重要的是准确性，因为它是一切的基础。", "zh")
    assert q.ranks == {"Accuracy": 1}
    # a real list wins over the sentence
    r = parse_ranking("The most important is Logic.\n\n" + numbered(N), "en")
    assert r.status == "complete" and r.ranks == as_ranks(N)
