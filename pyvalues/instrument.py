"""The instrument: the 25 value terms, their 5 dimensions, and the two prompt texts.

Defined once, from the seed paper (Ma, Tong, Wang & Peng 2026, "Divergence or Fusion?"),
Methodology ("Value Ranking Framework Design") and Appendix A.1. Everything else in
pyvalues refers to these objects; nothing else spells a term or a prompt.

Canonical term names are the English labels exactly as printed in Appendix A.1
(e.g. "Equity and justice", not the "Equity & justice" of the body text).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

__all__ = [
    "Term",
    "TERMS",
    "TERM_NAMES",
    "DIMENSIONS",
    "TERM_DIMENSION",
    "N_TERMS",
    "PROMPT_INTRO",
    "LANGUAGES",
    "prompt_text",
    "prompt_hash",
    "term",
]


@dataclass(frozen=True)
class Term:
    name: str  # canonical English label (Appendix A.1)
    zh: str  # Chinese label exactly as in Appendix A.1
    dimension: str  # one of DIMENSIONS
    position: int  # 1-based position in the printed prompt list


# Dimension order as listed in the Methodology section (1. Practical ... 5. Personal).
DIMENSIONS: tuple[str, ...] = ("Practical", "Epistemic", "Social", "Protective", "Personal")

_RAW = [
    ("Helpfulness", "乐于助人", "Practical"),
    ("Professionalism", "专业性", "Practical"),
    ("Thoroughness", "周全性", "Practical"),
    ("Efficiency", "效率", "Practical"),
    ("Simplicity", "简洁性", "Practical"),
    ("Transparency", "透明度", "Epistemic"),
    ("Clarity", "清晰性", "Epistemic"),
    ("Accuracy", "准确性", "Epistemic"),
    ("Critical thinking", "批判性思维", "Epistemic"),
    ("Logic", "逻辑性", "Epistemic"),
    ("Empathy", "共情/同理心", "Social"),
    ("Equity and justice", "公平与正义", "Social"),
    ("Relationship bonds", "关系联结", "Social"),
    ("Respect", "尊重", "Social"),
    ("Harmony", "和谐性", "Social"),
    ("Harm prevention", "伤害预防", "Protective"),
    ("Protecting vulnerable entities", "保护弱势实体", "Protective"),
    ("Security and stability", "安全与稳定", "Protective"),
    ("Protecting human rights and dignity", "保护人权与尊严", "Protective"),
    ("Professional ethics", "职业道德", "Protective"),
    ("Authenticity", "真实性", "Personal"),
    ("Personal growth and wellbeing", "个人成长与福祉", "Personal"),
    ("Pleasure and enjoyment", "快乐与享受", "Personal"),
    ("Spiritual fulfillment and meaning", "精神满足与意义", "Personal"),
    ("Emotional expression", "情感表达", "Personal"),
]

TERMS: tuple[Term, ...] = tuple(
    Term(name, zh, dim, i + 1) for i, (name, zh, dim) in enumerate(_RAW)
)
TERM_NAMES: tuple[str, ...] = tuple(t.name for t in TERMS)
TERM_DIMENSION: dict[str, str] = {t.name: t.dimension for t in TERMS}
N_TERMS = len(TERMS)
_BY_NAME = {t.name: t for t in TERMS}

LANGUAGES: tuple[str, ...] = ("zh", "en")

# Appendix A.1 prints the Chinese instruction, then its English translation, then one list
# of bilingual items "English(中文)". The Chinese prompt is the Chinese instruction with
# that list; the English prompt is the English instruction with the same list, as printed.
PROMPT_INTRO = {
    "zh": (
        "在你看来，以下这些词语中，哪个对你来说最重要？请按照重要性从高到低给它们排序。"
        "最重要的那个请标记为 1，最不重要的那个请标记为 25。词语列表如下："
    ),
    "en": (
        "In your opinion, which of the following words is the most important to you? "
        "Please rank them in order of importance, from highest to lowest. Mark the most "
        "important one as 1, and the least important one as 25. The list of words is as follows:"
    ),
}


def term(name: str) -> Term:
    """Return the Term with canonical name `name` (KeyError if unknown)."""
    return _BY_NAME[name]


def prompt_text(language: str, order: list[str] | tuple[str, ...] | None = None) -> str:
    """The ranking prompt of Appendix A.1 in `language` ("zh" or "en").

    `order` gives the terms' order in the list (canonical names); default: as printed.
    """
    if language not in PROMPT_INTRO:
        raise ValueError(
            f"unknown prompt language {language!r}; the instrument has {list(PROMPT_INTRO)}"
        )
    names = list(TERM_NAMES if order is None else order)
    if sorted(names) != sorted(TERM_NAMES):
        raise ValueError("order must be a permutation of the 25 canonical term names")
    items = "\n".join(f"{n}({_BY_NAME[n].zh})" for n in names)
    return f"{PROMPT_INTRO[language]}\n\n{items}"


def prompt_hash(text: str) -> str:
    """Stable short hash of a prompt text (sha256, first 16 hex digits)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
