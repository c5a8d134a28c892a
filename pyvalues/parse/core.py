"""parse_ranking: one free-text answer -> a ranking, a status and what was done."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..errors import ParseError
from ..instrument import LANGUAGES, N_TERMS, PROMPT_INTRO, TERM_NAMES, TERMS
from .normalise import compact_key, normalise
from .shapes import Block, Item, extract_items, split_blocks

__all__ = ["ParsedRanking", "Diagnostics", "TermMatch", "parse_ranking", "STATUSES",
           "REFUSAL_PHRASES", "REVERSE_PHRASES"]

STATUSES = ("complete", "repaired", "incomplete", "unparseable", "refused")

# Lower-case phrases (matched in the NFKC, lower-cased answer outside reasoning blocks).
REFUSAL_PHRASES = (
    "as an ai", "as a language model", "as an artificial intelligence", "as a large language model",
    "i don't have personal", "i do not have personal", "i don't have my own", "i do not have my own",
    "i don't have values", "i do not have values", "i don't have preferences",
    "i do not have preferences", "i don't have feelings", "i cannot rank", "i can't rank",
    "i am unable to rank", "i'm unable to rank", "i won't rank", "i will not rank",
    "i'm not able to rank", "i am not able to rank", "i cannot provide a ranking",
    "i can't provide a ranking", "i'm sorry, but i can", "i apologize, but i can",
    "作为一个人工智能", "作为人工智能", "作为一个ai", "作为ai", "作为一个语言模型", "作为语言模型",
    "作为一个大语言模型", "作为大语言模型", "我没有个人", "我没有自己的", "我并没有个人", "我不具备个人",
    "我无法对", "我无法给", "我不能对", "我无法进行排序", "我不能进行排序", "抱歉，我无法", "抱歉,我无法",
)
# A list written from least to most important, when the text says so.
REVERSE_PHRASES = (
    "least to most important", "least important to most important", "least important first",
    "from least important", "ascending order of importance", "in reverse order",
    "reverse order of importance", "from the least important", "starting with the least important",
    "lowest to highest importance", "least to most",
    "从低到高", "由低到高", "从最不重要到最重要", "从不重要到重要", "由不重要到重要", "从最不重要的开始",
    "按重要性从低到高", "重要性由低到高", "倒序",
)
_REFUSED_MAX_TERMS = 12  # a refusal phrase with fewer ranked terms than half the list
# the first clause of each prompt instruction, normalised as the answer is
# (its opening words only: small models repeat the prompt with small changes)
_INTROS = tuple(normalise(PROMPT_INTRO[lang]).text[:n] for lang, n in (("zh", 12), ("en", 45)))
_SLASH_PARTS = {t.name: {compact_key(p) for p in t.zh.split("/")} for t in TERMS if "/" in t.zh}
_KIND_PRIORITY = {"numbered": 6, "table": 5, "json": 5, "inline": 4, "bullet": 3, "plain": 1,
                  "statement": 0}


@dataclass
class TermMatch:
    """How one term was found: the span of the original text, the method and its score."""

    span: tuple[int, int]
    text: str
    method: str  # exact / normalised / variant / fuzzy
    score: float


@dataclass
class Diagnostics:
    """What the parser saw and did. Spans index the text passed to :func:`parse_ranking`."""

    missing: list[str] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)  # {"term", "spans", "ranks"}
    unknown_items: list[dict] = field(default_factory=list)  # {"text", "span", "number", "candidates"}
    ties: list[dict] = field(default_factory=list)  # {"rank", "terms"}
    order_reversed: bool = False
    matches: dict[str, TermMatch] = field(default_factory=dict)
    numbering: str = "none"  # explicit / positional / mixed / none
    repairs: list[str] = field(default_factory=list)
    refusal: str | None = None
    shape: str | None = None  # kind of the list chosen (numbered, bullet, table, ...)
    n_items: int = 0  # items in the chosen list
    n_lists: int = 0  # candidate lists found in the answer
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["matches"] = {t: {**asdict(m), "span": list(m.span)} for t, m in self.matches.items()}
        return d


@dataclass
class ParsedRanking:
    """The result of parsing one answer.

    ``status`` is one of:

    ``complete``
        one list in the answer names each of the 25 terms exactly once, every item is
        matched by an ``exact``, ``normalised`` or ``variant`` label, and the ranks are read
        as written: the explicit numbers form 1..25, or (unnumbered list) the positions, or
        — when the answer says it lists from least to most important — the reversed
        positions. Nothing was changed.
    ``repaired``
        all 25 terms are ranked exactly once, but only after a repair recorded in
        ``diagnostics.repairs``: an item matched by fuzzy matching; numbering that was not
        1..25 (a skipped or repeated number, numbering from 0, some items unnumbered) replaced
        by the order of the items; items that are not terms (``unknown_items``) dropped and the
        ranks closed up; or one term written as two adjacent items (``共情`` then ``同理心``)
        merged. The relative order of the 25 terms is never guessed.
    ``incomplete``
        some terms were ranked but not all 25 exactly once: terms missing, a term at two
        positions (``duplicates``; ``ranks`` keeps its first, most important position), two
        terms given one rank in one item (``ties``), or a bilingual label whose halves
        disagree. ``ranks`` holds the ranks as written, for the terms found.
    ``refused``
        the answer declines (a phrase of :data:`REFUSAL_PHRASES`, e.g. "As an AI, I don't have
        personal values") and ranks at most 12 terms.
    ``unparseable``
        no list item could be matched to any term, or the answer only repeats the prompt
        (its instruction and its unnumbered list in the prompt's order; note ``prompt_echo``).

    A ranking identical to the prompt's order is otherwise kept, with a note saying so.
    """

    ranks: dict[str, int]
    status: str
    diagnostics: Diagnostics
    language: str

    @property
    def usable(self) -> bool:
        """True for a full ranking (complete or repaired)."""
        return self.status in ("complete", "repaired")

    def to_dict(self) -> dict:
        return {"ranks": dict(self.ranks), "status": self.status, "language": self.language,
                "diagnostics": self.diagnostics.to_dict()}

    def __repr__(self) -> str:
        d = self.diagnostics
        extra = []
        if d.missing:
            extra.append(f"missing={d.missing[:3]}{'...' if len(d.missing) > 3 else ''}")
        if d.repairs:
            extra.append(f"repairs={len(d.repairs)}")
        return (f"ParsedRanking(status={self.status!r}, ranked={len(self.ranks)}/{N_TERMS}, "
                f"shape={d.shape!r}{', ' if extra else ''}{', '.join(extra)})")


def _find_phrase(text: str, phrases) -> str | None:
    for p in phrases:
        if p in text:
            return p
    return None


def _prompt_order(prompt_order) -> list[str]:
    if isinstance(prompt_order, (list, tuple)) and sorted(map(str, prompt_order)) == sorted(TERM_NAMES):
        return [str(x) for x in prompt_order]
    return list(TERM_NAMES)


def _choose_block(blocks: list[Block], prompt_order, diag: Diagnostics) -> Block | None:
    cands = [b for b in blocks if b.terms]
    if not cands:
        return None
    order = _prompt_order(prompt_order)
    kept = []
    for i, b in enumerate(cands):
        seq = []
        for it in b.items:
            if it.term is not None and it.term not in seq:
                seq.append(it.term)
        is_echo = (
            all(it.number is None for it in b.items)
            and len(seq) >= 20
            and seq == [t for t in order if t in set(seq)]
            and any(c.items[0].start > b.items[-1].start for c in cands[i + 1:])
        )
        if is_echo:
            diag.notes.append("prompt_echo_skipped: a list in the prompt's own order, followed by another list")
        else:
            kept.append(b)
    if not kept:
        kept = cands
    best_n = max(len(b.terms) for b in kept)
    top = [b for b in kept if len(b.terms) == best_n]
    chosen = max(top, key=lambda b: b.items[-1].start)
    lo, hi = chosen.items[0].start, chosen.items[-1].start
    for b in top:  # lists that interleave (explanation lines of a numbered list): take the list
        if b is not chosen and b.items[0].start <= hi and b.items[-1].start >= lo:
            if _KIND_PRIORITY.get(b.items[0].kind, 0) > _KIND_PRIORITY.get(chosen.items[0].kind, 0):
                chosen = b
    if len([b for b in cands if len(b.terms) >= 2]) > 1:
        diag.notes.append(
            f"{len(cands)} lists found; took the last with the most terms ({best_n})"
        )
    return chosen


def parse_ranking(text, language: str, *, prompt_order=None) -> ParsedRanking:
    """Parse one answer to the ranking prompt.

    Parameters
    ----------
    text : the assistant's message (``str``; ``bytes`` are decoded as UTF-8 with
        replacement characters).
    language : the prompt's language, ``"zh"`` or ``"en"`` (answers in either language or
        both are read either way; the language is recorded and used for follow-ups).
    prompt_order : the order in which the prompt listed the terms, if not the printed one;
        used only to recognise an answer that merely repeats the prompt's list.

    Never raises on any text; raises :class:`~pyvalues.errors.ParseError` only when
    ``text`` is not text at all or ``language`` is unknown. See :class:`ParsedRanking` for
    the meaning of each status.
    """
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", errors="replace")
    if text is None or not isinstance(text, str):
        raise ParseError(
            f"parse_ranking: expected the answer as str, got {type(text).__name__}; "
            f"pass the assistant message text (response_text)."
        )
    if language not in LANGUAGES:
        raise ParseError(f"parse_ranking: unknown language {language!r}; use one of {list(LANGUAGES)}.")
    diag = Diagnostics()
    nt = normalise(text)
    norm = nt.text
    diag.refusal = _find_phrase(norm, REFUSAL_PHRASES)
    items, notes, line_kinds = extract_items(norm)
    diag.notes.extend(notes)
    blocks = split_blocks(items, line_kinds)
    diag.n_lists = sum(1 for b in blocks if b.terms)
    block = _choose_block(blocks, prompt_order, diag)
    if block is None:
        diag.missing = list(TERM_NAMES)
        if blocks:  # say what the list that names no term held
            biggest = max(blocks, key=lambda b: len(b.items))
            diag.shape = biggest.items[0].kind
            diag.n_items = len(biggest.items)
            for it in biggest.items[:50]:
                diag.unknown_items.append(_unknown_item(nt, it))
        status = "refused" if diag.refusal else "unparseable"
        return ParsedRanking({}, status, diag, language)
    diag.shape = block.items[0].kind
    reverse = _find_phrase(norm, REVERSE_PHRASES) is not None or block.group.endswith(":lt")
    ranks, status = _rank_block(block.items, reverse, nt, diag)
    order = _prompt_order(prompt_order)
    if status in ("complete", "repaired") and [t for t in sorted(ranks, key=ranks.get)] == order:
        positional = diag.numbering == "positional"
        if positional and any(intro in norm for intro in _INTROS):
            # the prompt's instruction and its list, repeated: nothing was ranked
            diag.notes.append("prompt_echo: the answer repeats the prompt (instruction and list) "
                              "without ranking it")
            diag.missing = list(TERM_NAMES)
            return ParsedRanking({}, "unparseable", diag, language)
        diag.notes.append("ranking identical to the order of the prompt's list")
    if diag.refusal and status == "incomplete" and len(ranks) <= _REFUSED_MAX_TERMS:
        status = "refused"
    return ParsedRanking(ranks, status, diag, language)


def _unknown_item(nt, it: Item) -> dict:
    """The diagnostics entry of an item that names no term (or two different ones)."""
    sp, txt = _span_text(nt, it.start, it.end)
    entry = {"text": txt.strip()[:100], "span": list(sp), "number": it.number,
             "candidates": [list(c) for c in it.candidates]}
    if it.conflict is not None:
        entry["conflict"] = "two labels that name different terms"
    return entry


def _span_text(nt, start: int, end: int) -> tuple[tuple[int, int], str]:
    sp = nt.span(start, end)
    return sp, nt.original[sp[0]:sp[1]]


def _rank_block(items: list[Item], reverse: bool, nt, diag: Diagnostics) -> tuple[dict, str]:
    repairs = diag.repairs
    # one term written as two adjacent items (共情 / 同理心): merge, say so
    kept: list[Item] = []
    for it in items:
        prev = kept[-1] if kept else None
        if (prev is not None and it.term is not None and prev.term == it.term
                and not it.ties and not prev.ties and _split_label(nt, prev, it)):
            sp, txt = _span_text(nt, it.start, it.end)
            repairs.append(f"merged adjacent items naming one term {it.term!r}: {txt[:60]!r}")
            continue
        kept.append(it)
    items = kept
    n = len(items)
    diag.n_items = n
    numbers = [it.number for it in items]
    if all(x is not None for x in numbers):
        numbering = "explicit"
    elif all(x is None for x in numbers):
        numbering = "positional"
    else:
        numbering = "mixed"
    diag.numbering = numbering
    if reverse and (numbering != "explicit" or numbers == list(range(1, n + 1))):
        diag.order_reversed = True
    slot = []
    for i, it in enumerate(items):
        if numbering == "explicit" and not diag.order_reversed:
            slot.append(it.number)
        else:
            slot.append(n - i if diag.order_reversed else i + 1)

    first: dict[str, tuple[int, int]] = {}  # term -> (rank as written, item index)
    seen_spans: dict[str, list] = {}
    by_slot: dict[int, list[str]] = {}
    fuzzy = []
    for i, it in enumerate(items):
        if it.match is None:
            diag.unknown_items.append(_unknown_item(nt, it))
            continue
        for hm in [it.match, *it.ties]:
            sp, txt = _span_text(nt, hm.start, hm.end)
            seen_spans.setdefault(hm.term, []).append((list(sp), slot[i]))
            if hm.term in first:
                continue
            first[hm.term] = (slot[i], i)
            by_slot.setdefault(slot[i], []).append(hm.term)
            diag.matches[hm.term] = TermMatch(sp, txt, hm.method, hm.score)
            if hm.method == "fuzzy":
                fuzzy.append(f"{txt!r} -> {hm.term!r} (score {hm.score})")
        if it.ties:
            diag.ties.append({"rank": slot[i], "terms": [it.match.term] + [t.term for t in it.ties]})
    for term, occ in seen_spans.items():
        if len(occ) > 1:
            diag.duplicates.append({"term": term, "spans": [o[0] for o in occ], "ranks": [o[1] for o in occ]})
    for v, terms in sorted((k, v) for k, v in by_slot.items() if len(v) > 1):
        if not any(t["rank"] == v and set(t["terms"]) == set(terms) for t in diag.ties):
            diag.ties.append({"rank": v, "terms": terms, "separate_items": True})
    diag.missing = [t for t in TERM_NAMES if t not in first]
    tie_items = any(it.ties for it in items)
    if fuzzy:
        repairs.extend(f"fuzzy match {f}" for f in fuzzy)

    full = not diag.missing and not diag.duplicates and not tie_items and not any(
        u.get("conflict") for u in diag.unknown_items)
    if full:
        written = [first[t][0] for t in TERM_NAMES]
        if sorted(written) == list(range(1, N_TERMS + 1)):
            ranks = {t: first[t][0] for t in TERM_NAMES}
        else:
            order = sorted(TERM_NAMES, key=lambda t: (first[t][0], first[t][1]))
            ranks = {t: i + 1 for i, t in enumerate(order)}
            what = ("numbers " + _compress([first[t][0] for t in order])) if numbering == "explicit" \
                else "positions " + _compress([first[t][0] for t in order])
            repairs.append(f"renumbered 1..{N_TERMS} in the order written ({what})")
        if diag.unknown_items:
            repairs.append(f"dropped {len(diag.unknown_items)} item(s) that name no term")
        if numbering == "mixed":
            repairs.append("some items had no number; ranks follow the order of the items")
        status = "repaired" if repairs else "complete"
        return ranks, status

    ranks = {}
    out_of_range = []
    for t in TERM_NAMES:
        if t in first:
            v = first[t][0]
            if 1 <= v <= N_TERMS:
                ranks[t] = v
            else:
                out_of_range.append(t)
    if out_of_range:
        diag.notes.append(f"rank outside 1..{N_TERMS} not kept for {out_of_range}")
    return ranks, ("incomplete" if ranks or first else "unparseable")


def _split_label(nt, a: Item, b: Item) -> bool:
    """True when two adjacent items are the two halves of one slash label (共情 / 同理心)."""
    parts = _SLASH_PARTS.get(a.term)
    if not parts:
        return False
    sa = compact_key(nt.text[a.match.start:a.match.end])
    sb = compact_key(nt.text[b.match.start:b.match.end])
    return {sa, sb} == parts


def _compress(values) -> str:
    vals = [str(v) for v in values]
    s = ",".join(vals)
    return s if len(s) < 120 else s[:117] + "..."
