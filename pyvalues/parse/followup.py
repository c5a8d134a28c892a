"""The follow-up message the collector may send when an answer is incomplete."""
from __future__ import annotations

from ..instrument import LANGUAGES, N_TERMS, term
from .core import ParsedRanking, parse_ranking

__all__ = ["followup_prompt", "followup_for_answer"]


def _label(name: str) -> str:
    # as the prompt prints each item (Appendix A.1): English(中文), in either language
    return f"{name}({term(name).zh})"


def followup_prompt(parsed: ParsedRanking, language: str) -> str | None:
    """A re-ask naming what was missing, in the prompt's language; None if none is due.

    Due for ``incomplete`` answers (names the missing and the repeated terms) and for
    ``unparseable`` ones (asks for the numbered list). Not due for ``complete`` and
    ``repaired`` answers, nor for ``refused`` ones: a refusal is an outcome to report, not
    to argue with.
    """
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; use one of {list(LANGUAGES)}")
    d = parsed.diagnostics
    if parsed.status == "unparseable":
        if language == "zh":
            return (f"我没能从你的回答中读出排序。请把全部 {N_TERMS} 个词语按重要性从高到低排序，"
                    f"每行一个，格式为“序号. 词语”，最重要的标记为 1，最不重要的标记为 {N_TERMS}。")
        return (f"I could not read a ranking in your answer. Please rank all {N_TERMS} words by "
                f"importance, one per line as \"number. word\", marking the most important as 1 "
                f"and the least important as {N_TERMS}.")
    if parsed.status != "incomplete":
        return None
    missing = list(d.missing)
    repeated = [x["term"] for x in d.duplicates]
    tied = [t for x in d.ties if not x.get("separate_items") for t in x["terms"]]
    sep = "、" if language == "zh" else ", "
    parts = []
    if language == "zh":
        if missing:
            parts.append(f"你的排序缺少以下词语：{sep.join(_label(t) for t in missing)}。")
        if repeated:
            parts.append(f"以下词语出现了不止一次：{sep.join(_label(t) for t in repeated)}。")
        if tied:
            parts.append(f"以下词语被并列排在同一名次：{sep.join(_label(t) for t in tied)}。")
        parts.append(f"请给出全部 {N_TERMS} 个词语的完整排序，每个词语只出现一次，"
                     f"最重要的标记为 1，最不重要的标记为 {N_TERMS}。")
        return "".join(parts)
    if missing:
        parts.append(f"Your ranking is missing these words: {sep.join(_label(t) for t in missing)}.")
    if repeated:
        parts.append(f"These words appear more than once: {sep.join(_label(t) for t in repeated)}.")
    if tied:
        parts.append(f"These words share one rank: {sep.join(_label(t) for t in tied)}.")
    parts.append(f"Please give the complete ranking of all {N_TERMS} words, each exactly once, "
                 f"marking the most important as 1 and the least important as {N_TERMS}.")
    return " ".join(parts)


def followup_for_answer(answer_text: str, language: str, prompt_order: list[str] | None = None) -> str | None:
    """The follow-up turn an answer is due (None: none), read by the parser: what the collector's
    re-ask policy calls (``pyvalues.collect.collect(..., followup=followup_for_answer)``)."""
    return followup_prompt(parse_ranking(answer_text, language, prompt_order=prompt_order), language)
