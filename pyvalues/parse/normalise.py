"""Text normalisation for the parser, keeping a map back to the original text.

Every later step works on a *normalised* copy of the answer: Unicode NFKC (so full-width
digits and punctuation such as ``１．``, ``（１）``, ``：`` and ``，`` become their ASCII forms),
lower case, circled numbers ``①`` as ``(1)``, and reasoning blocks (``<think>…</think>``)
blanked. Blanking replaces characters by spaces instead of deleting them, and every
normalised character remembers the index of the original character it came from, so a
match in the normalised text is reported as a span of the text the caller passed in.

Everything here is a single pass over the text (no regular expression with nested
quantifiers), so the cost is linear in the length of the answer.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

__all__ = ["BLANK", "NormalisedText", "normalise", "compact_key", "cn_number", "is_cjk"]

# Circled numbers (U+2460..2473 = 1..20, U+3251..325F = 21..35): NFKC would turn "①" into
# a bare "1" glued to the next word; as "(1)" they read as the numbering they are.
_CIRCLED = {chr(0x2460 + i): f"({i + 1})" for i in range(20)}
_CIRCLED.update({chr(0x3251 + i): f"({i + 21})" for i in range(15)})
_CIRCLED.update({chr(0x2776 + i): f"({i + 1})" for i in range(10)})  # dingbat negatives

_REASONING_TAGS = ("think", "thinking", "reasoning")
# Filler for blanked reasoning: white space to str.strip()/split(), but not an indent.
BLANK = "\x1f"

_char_cache: dict[str, str] = {}


def _norm_char(c: str) -> str:
    out = _char_cache.get(c)
    if out is None:
        if c == "\t":
            out = " "
        elif c == "\r":
            out = "\n"
        elif c.isascii() and ord(c) < 32 and c != "\n":
            out = " "
        elif c in _CIRCLED:
            out = _CIRCLED[c]
        else:
            out = unicodedata.normalize("NFKC", c).lower()
            if out == "\r":
                out = "\n"
            elif out in ("\u2028", "\u2029", "\x85", "\x0b", "\x0c"):
                out = "\n"
            elif out == "\t":
                out = " "
            elif unicodedata.category(out[0]) in ("Cc", "Cf", "Cs", "Co", "Cn") and out != "\n":
                out = " " * len(out)  # control / private-use / unassigned bytes: neutral spaces
        _char_cache[c] = out
    return out


@dataclass
class NormalisedText:
    """The normalised text and, for each of its characters, the original index."""

    original: str
    text: str
    pos_map: list[int] | None  # None: identity (ASCII input)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) of the normalised slice [start, end)."""
        if self.pos_map is None:
            return (start, end)
        if end <= start:
            o = self.pos_map[start] if start < len(self.pos_map) else len(self.original)
            return (o, o)
        return (self.pos_map[start], self.pos_map[end - 1] + 1)


def normalise(text: str) -> NormalisedText:
    """NFKC + lower case + reasoning blocks blanked, with the position map."""
    # Fast path: a translation table for the distinct characters of the text; when every
    # character maps to exactly one character (full-width forms, case, controls) the
    # normalised text is as long as the original and the position map is the identity.
    table = {}
    one_to_one = True
    for c in set(text):
        if c.isascii() and c not in "\r\t" and (ord(c) >= 32 or c == "\n"):
            if "A" <= c <= "Z":
                table[ord(c)] = c.lower()
            continue
        n = _norm_char(c)
        if n != c:
            table[ord(c)] = n
            if len(n) != 1:
                one_to_one = False
    if one_to_one:
        norm = text.translate(table) if table else text
        pos_map = None
    else:
        parts: list[str] = []
        pos_map = []
        for i, c in enumerate(text):
            n = table.get(ord(c), c)
            if len(n) == 1:
                pos_map.append(i)
            else:
                pos_map.extend([i] * len(n))
            parts.append(n)
        norm = "".join(parts)
    norm = _blank_reasoning(norm)
    return NormalisedText(text, norm, pos_map)


def _blank_ranges(s: str, ranges: list[tuple[int, int]]) -> str:
    if not ranges:
        return s
    out, prev = [], 0
    for a, b in ranges:
        out.append(s[prev:a])
        out.append("".join("\n" if ch == "\n" else BLANK for ch in s[a:b]))
        prev = b
    out.append(s[prev:])
    return "".join(out)


def _blank_reasoning(norm: str) -> str:
    """Blank <think>…</think> (and <thinking>, <reasoning>) blocks.

    An unclosed opening tag blanks to the end (the answer never left its reasoning); a
    closing tag with no opening tag blanks everything before it (some servers strip the
    opening tag from the message text). One left-to-right pass per tag name.
    """
    if "<" not in norm:
        return norm
    for tag in _REASONING_TAGS:
        open_t, close_t = f"<{tag}>", f"</{tag}>"
        if open_t not in norm and close_t not in norm:
            continue
        ranges: list[tuple[int, int]] = []
        pos = 0
        n = len(norm)
        o = c = -2  # next opening / closing tag at or after pos (-1: none left)
        while pos < n:
            if o != -1 and o < pos:
                o = norm.find(open_t, pos)
            if c != -1 and c < pos:
                c = norm.find(close_t, pos)
            if o == -1 and c == -1:
                break
            if c != -1 and (o == -1 or c < o):
                end = c + len(close_t)  # closing tag with no opening tag before it
                ranges.append((pos if ranges else 0, end))
                pos = end
                continue
            if c != -1 and c < o + len(open_t):
                c = norm.find(close_t, o + len(open_t))
            end = n if c == -1 else c + len(close_t)
            ranges.append((o, end))
            pos = end
        norm = _blank_ranges(norm, ranges)
    return norm


def is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2FA1F


def compact_key(s: str) -> str:
    """Matching key of a label: NFKC, lower case, '&' as 'and', only letters/digits/CJK kept.

    ``"Critical-thinking"``, ``"critical thinking"`` and ``"CRITICAL  THINKING"`` share a key;
    so do ``"Equity & justice"`` and ``"Equity and justice"``.
    """
    s = unicodedata.normalize("NFKC", s).lower().replace("&", " and ")
    return "".join(ch for ch in s if ch.isalnum())


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}


def cn_number(s: str) -> int | None:
    """Value of a Chinese numeral up to 99 (``"二十五"`` -> 25), or None."""
    if not s:
        return None
    if s.isdigit():
        return int(s)
    if "十" in s:
        head, _, tail = s.partition("十")
        if "十" in tail:
            return None
        tens = 1 if head == "" else _CN_DIGITS.get(head)
        ones = 0 if tail == "" else _CN_DIGITS.get(tail)
        if tens is None or ones is None or len(head) > 1 or len(tail) > 1:
            return None
        return tens * 10 + ones
    if len(s) == 1 and s in _CN_DIGITS:
        return _CN_DIGITS[s]
    return None
