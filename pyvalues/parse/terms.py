"""Matching the head of a list item to one of the 25 terms.

The lexicon is built from :mod:`pyvalues.instrument` (canonical English names and the
Chinese labels of Appendix A.1) plus the table of known variants below. Methods, in the
order they are tried:

``exact``
    the item's text equals the canonical English name or the Chinese label, ignoring
    case, Unicode width (NFKC) and runs of white space;
``normalised``
    equal after :func:`~pyvalues.parse.normalise.compact_key` (hyphens, '&' for 'and',
    punctuation, ``well-being`` = ``wellbeing``), or a Chinese label with 和/及 for 与;
``variant``
    a listed variant (:data:`VARIANTS`), e.g. ``Human rights and dignity``, ``共情``;
``fuzzy``
    the best :class:`difflib.SequenceMatcher` ratio of the item's head against every label
    is at least :data:`FUZZY_THRESHOLD` and beats the runner-up (a different term) by at
    least :data:`FUZZY_MARGIN`; the score is recorded.

A key that would map to two different terms is an error at import time, so the lexicon
itself can never merge two terms.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from ..instrument import TERMS
from .normalise import compact_key, is_cjk

__all__ = ["VARIANTS", "FUZZY_THRESHOLD", "FUZZY_MARGIN", "HeadMatch", "match_at", "fuzzy_match",
           "LEXICON"]

FUZZY_THRESHOLD = 0.85
FUZZY_MARGIN = 0.04

# Known variants seen in model answers and in the paper's own body text. Each is a
# reading a careful human would make without hesitation; anything looser is left to the
# (recorded) fuzzy matcher or reported as an unknown item.
VARIANTS: dict[str, tuple[str, ...]] = {
    "Helpfulness": ("being helpful", "helpful", "助人"),
    "Professionalism": ("professional", "专业"),
    "Thoroughness": ("thorough", "周全", "全面性"),
    "Efficiency": ("efficient", "高效", "效率性"),
    "Simplicity": ("simple", "简洁", "简单性"),
    "Transparency": ("transparent", "透明", "透明性"),
    "Clarity": ("clear", "清晰", "清晰度"),
    "Accuracy": ("accurate", "准确", "准确度"),
    "Critical thinking": ("critical thought", "批判思维", "批判性思考"),
    "Logic": ("logical", "logicality", "logical reasoning", "逻辑", "逻辑思维"),
    "Empathy": ("empathetic", "empathy and compassion", "共情", "同理心", "同理", "共情与同理心"),
    "Equity and justice": ("equity", "fairness", "justice", "fairness and justice",
                           "justice and equity", "equity and fairness",
                           "公平正义", "公平", "正义", "公正", "公平公正"),
    "Relationship bonds": ("relationship bond", "relationships", "relational bonds",
                           "relationship connection", "relationship connections",
                           "关系连结", "关系纽带", "人际关系"),
    "Respect": ("respectfulness", "尊重他人"),
    "Harmony": ("harmoniousness", "和谐"),
    "Harm prevention": ("preventing harm", "prevention of harm", "harm avoidance",
                        "预防伤害", "防止伤害"),
    "Protecting vulnerable entities": ("protecting the vulnerable", "protecting vulnerable groups",
                                       "protecting vulnerable people",
                                       "protection of vulnerable entities", "vulnerable entities",
                                       "保护弱势群体", "保护弱者"),
    "Security and stability": ("safety and stability", "stability and security", "安全稳定"),
    "Protecting human rights and dignity": ("human rights and dignity", "human rights",
                                            "human dignity",
                                            "protection of human rights and dignity",
                                            "protecting human rights", "人权与尊严", "人权和尊严",
                                            "保护人权"),
    "Professional ethics": ("professional ethic", "work ethics", "职业伦理"),
    "Authenticity": ("authentic", "genuineness", "真实"),
    "Personal growth and wellbeing": ("personal growth", "personal growth and well being",
                                      "wellbeing", "个人成长", "福祉"),
    "Pleasure and enjoyment": ("pleasure", "enjoyment", "快乐", "享受"),
    "Spiritual fulfillment and meaning": ("spiritual fulfilment and meaning",
                                          "spiritual fulfillment", "spiritual fulfilment",
                                          "精神满足"),
    "Emotional expression": ("expressing emotions", "emotional expressiveness", "情感的表达"),
}


@dataclass(frozen=True)
class _Entry:
    term: str
    method: str  # exact / normalised / variant
    script: str  # "en" or "zh"
    label: str


def _script(s: str) -> str:
    return "zh" if any(is_cjk(ch) for ch in s) else "en"


def _build() -> dict[str, _Entry]:
    lex: dict[str, _Entry] = {}

    def add(label: str, term: str, method: str) -> None:
        key = compact_key(label)
        if not key:
            return
        old = lex.get(key)
        if old is not None:
            if old.term != term:
                raise RuntimeError(
                    f"parser lexicon: label {label!r} would map to both {old.term!r} and {term!r}; "
                    f"fix VARIANTS in pyvalues/parse/terms.py"
                )
            return  # keep the stronger method (added first)
        lex[key] = _Entry(term, method, _script(label), label)

    for t in TERMS:
        add(t.name, t.name, "exact")
        add(t.zh, t.name, "exact")
    for t in TERMS:
        # 与 ("and") in a Chinese label is also written 和 or 及
        for alt in ("和", "及"):
            if "与" in t.zh:
                add(t.zh.replace("与", alt), t.name, "normalised")
        for part in t.zh.split("/"):
            if part != t.zh:
                add(part, t.name, "variant")
    for name, variants in VARIANTS.items():
        for v in variants:
            add(v, name, "variant")
    return lex


LEXICON: dict[str, _Entry] = _build()
_MAX_TOKENS = 9
_EXACT_SURFACE = {}
for _t in TERMS:
    _EXACT_SURFACE[" ".join(_t.name.lower().split())] = _t.name
    _EXACT_SURFACE[_t.zh] = _t.name

# one token: a run of ASCII letters/digits, one CJK character, or '&' (read as "and")
_TOKEN = re.compile(r"[a-z0-9]+|[\u3400-\u9fff\uf900-\ufaff]|&")


@dataclass
class HeadMatch:
    term: str
    method: str  # exact / normalised / variant / fuzzy
    score: float
    start: int  # in the normalised text
    end: int
    script: str


def match_at(text: str, start: int, end: int) -> HeadMatch | None:
    """Longest lexicon label starting at the first token in text[start:end].

    Tokens are compared joined without separators, so ``critical-thinking``, ``critical
    thinking`` and ``criticalthinking`` all reach the key of "Critical thinking"; a match
    always ends on a token boundary (no "Logic" inside "Logical").
    """
    toks = []
    for m in _TOKEN.finditer(text, start, end):
        toks.append(m)
        if len(toks) >= _MAX_TOKENS:
            break
    if not toks:
        return None
    best = None
    joined = ""
    for k, m in enumerate(toks):
        tok = m.group()
        joined += "and" if tok == "&" else tok
        e = LEXICON.get(joined)
        if e is not None:
            best = (k, e)
    if best is None:
        return None
    k, e = best
    s, t_end = toks[0].start(), toks[k].end()
    method = e.method
    if method != "variant":
        surface = " ".join(text[s:t_end].split())
        method = "exact" if _EXACT_SURFACE.get(surface) == e.term else "normalised"
    return HeadMatch(e.term, method, 1.0, s, t_end, e.script)


def is_short_variant(text: str, m: HeadMatch) -> bool:
    """A one-word English variant or a two-character Chinese one ("clear", "准确"): such a
    word opens ordinary sentences, so it names a term only when it is the whole head."""
    if m.method != "variant":
        return False
    surface = text[m.start:m.end]
    if m.script == "zh":
        return len(surface) <= 2
    return len(_TOKEN.findall(surface)) <= 1


def first_token_start(text: str, start: int, end: int) -> int | None:
    m = _TOKEN.search(text, start, end)
    return m.start() if m else None


_LABELS = sorted(LEXICON.items())
_fuzzy_cache: dict[str, tuple] = {}


def fuzzy_match(text: str, start: int, end: int) -> tuple[HeadMatch | None, list[tuple[str, float]]]:
    """Best fuzzy match of the head text[start:end]; also the top candidates (for diagnostics).

    The head's tokens (at most :data:`_MAX_TOKENS`, up to a change between Latin and CJK
    script) are joined as in :func:`match_at` and compared with every lexicon key; the
    score of a term is its best ratio. A head that is longer (a sentence) is not matched.
    """
    toks = []
    for m in _TOKEN.finditer(text, start, end):
        toks.append(m)
        if len(toks) > _MAX_TOKENS:
            return None, []  # a sentence, not a label
    if not toks:
        return None, []
    # The whole head must be the (misspelt) label: all its tokens up to a change of script
    # (a bilingual label may follow). "A professional is someone who ..." is not a label.
    cjk = [is_cjk(m.group()[0]) for m in toks]
    run = next((i for i in range(1, len(toks)) if cjk[i] != cjk[0]), len(toks))
    toks = toks[:run]
    prefixes = []
    joined = ""
    for k, m in enumerate(toks):
        tok = m.group()
        joined += "and" if tok == "&" else tok
        prefixes.append((joined, k))
    cache_key = "\x00".join(p for p, _ in prefixes)
    hit = _fuzzy_cache.get(cache_key)
    if hit is None:
        per_term: dict[str, tuple[float, int, str]] = {}
        for p, k in prefixes[-1:]:  # the whole head only
            lp = len(p)
            if lp < 3:
                continue
            sm = difflib.SequenceMatcher(None, "", p, autojunk=False)
            for key, e in _LABELS:
                lk = len(key)
                # ratio <= 2*min/(sum): skip pairs that cannot reach the threshold
                if 2 * min(lp, lk) / (lp + lk) < FUZZY_THRESHOLD - FUZZY_MARGIN:
                    continue
                sm.set_seq1(key)
                if sm.real_quick_ratio() < FUZZY_THRESHOLD - FUZZY_MARGIN:
                    continue
                if sm.quick_ratio() < FUZZY_THRESHOLD - FUZZY_MARGIN:
                    continue
                r = sm.ratio()
                if r > per_term.get(e.term, (0.0,))[0]:
                    per_term[e.term] = (r, k, e.script)
        ranked = sorted(per_term.items(), key=lambda kv: -kv[1][0])
        hit = tuple(ranked[:3])
        if len(_fuzzy_cache) < 20000:
            _fuzzy_cache[cache_key] = hit
    candidates = [(t, round(v[0], 3)) for t, v in hit]
    if not hit:
        return None, []
    term, (score, k, script) = hit[0]
    runner = hit[1][1][0] if len(hit) > 1 else 0.0
    if score >= FUZZY_THRESHOLD and score - runner >= FUZZY_MARGIN and k == len(toks) - 1:
        return HeadMatch(term, "fuzzy", round(score, 3), toks[0].start(), toks[k].end(), script), candidates
    return None, candidates
