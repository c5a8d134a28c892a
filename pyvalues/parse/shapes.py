"""Finding the list items of an answer, whatever shape the list takes.

An *item* is one entry of a list the model wrote: a numbered or bulleted line, a line
that is just a term (``Accuracy(准确性)``, ``Accuracy – 1``), a row of a markdown table,
one piece of a one-line list (``A > B > C``, ``A、B、C``, ``1. A 2. B``) or one element of
a JSON array/object. Each item carries the number written with it (if any), the term its
head matched (if any) and where it came from. Items are grouped into *blocks* (one list
each) by :func:`split_blocks`; the parser then chooses the block that is the answer.

All regular expressions here have bounded quantifiers or are anchored and scan forward
once, so time is linear in the length of the answer; in addition the number of items and
fuzzy look-ups per answer is capped (:data:`MAX_ITEMS`, :data:`MAX_FUZZY`).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from .normalise import cn_number
from .terms import HeadMatch, first_token_start, fuzzy_match, is_short_variant, match_at

__all__ = ["Item", "extract_items", "split_blocks", "MAX_ITEMS", "MAX_FUZZY"]

MAX_ITEMS = 3000
MAX_FUZZY = 400
_MAX_PIECES = 300  # pieces of one one-line list considered
_HEAD_WINDOW = 120  # characters of an item read when looking for its term

_MARKUP = str.maketrans({"*": " ", "_": " ", "`": " ", "~": " "})
_TAG = re.compile(r"</?[a-z][a-z0-9_-]{0,20}\s{0,3}/?>")

_BULLET = re.compile(r"(?:[-*+•·●○▪◦■□►▶✓✔➤➢→]|\\-)[ \t]{1,8}(?=\S)")

_NUMBERING = re.compile(
    r"""(?:
      (?:no\.?|\#|第)[ ]{0,3}
          (?P<a>\d{1,3}|[一二三四五六七八九十两]{1,3})[ ]{0,3}(?:名|位|(?:st|nd|rd|th)(?![a-z]))?[ ]{0,3}[.:)、\-–—。,]?
    | (?:rank(?:ed)?|排名|名次)[ ]{0,3}(?P<f>\d{1,3})[ ]{0,3}[.:)、\-–—。,]
    | \([ ]{0,3}(?P<b>\d{1,3})[ ]{0,3}\)[ ]{0,3}[.:、]?
    | \[[ ]{0,3}(?P<c>\d{1,3})[ ]{0,3}\]
    | (?P<d>\d{1,3})(?:(?:st|nd|rd|th)(?![a-z]))?[ ]{0,3}(?:[.)、:。](?!\d)|[ ][-–—][ ]|[-–—](?=[ ]))
    | (?P<e>[一二三四五六七八九十]{1,3})[ ]{0,3}[、.:]
    )""",
    re.X,
)

# a numbering marker inside a line ("1. A 2. B 3. C"), preceded by a space or separator
_INLINE_NUM = re.compile(
    r"(?:(?<=[\s,;、。:])|^)(?:\((?P<b>\d{1,2})\)|(?P<d>\d{1,2})[.)、:](?!\d)|第(?P<a>\d{1,2})名?[:、]?)"
)

_TRAILING_NUM = re.compile(
    r"[\s\-–—:=,(\[]{0,6}(?:rank(?:ed)?|no\.?|\#|第)?[ ]{0,2}(\d{1,3})[ ]{0,2}(?:名|位)?[\s.)\]。]{0,4}$"
)
_CELL_NUM = re.compile(r"\s{0,4}(?:\#|no\.?|rank|第)?\s{0,2}(\d{1,3})\s{0,2}(?:名|位|(?:st|nd|rd|th)(?![a-z]))?\s{0,2}[.)]?\s{0,4}$")
_TABLE_SEP = re.compile(r"[\s:|\-]{0,400}$")

_INLINE_SEPS = (">", "→", "⟶", "»", "》", ",", "、", ";", "|", "<")
_HEAD_DELIMS = set(":([,;|=。，、>\"")
_TIE_WORDS = {"and", "和", "与", "及", "or", "&"}
_TIE_PUNCT = {",", "、", "&", "/", "=", "+", ";"}
_PIECE_LEADERS = ("and ", "or ", "then ", "以及", "和", "然后", "最后")


@dataclass
class Item:
    kind: str  # numbered / bullet / plain / table / inline / json
    group: str  # list identity used to form blocks
    line: int  # line index in the normalised text
    start: int  # normalised span of the item's content
    end: int
    number: int | None = None
    match: HeadMatch | None = None
    ties: list[HeadMatch] = field(default_factory=list)
    bilingual: HeadMatch | None = None
    conflict: HeadMatch | None = None
    candidates: list = field(default_factory=list)

    @property
    def term(self) -> str | None:
        return self.match.term if self.match is not None else None


def _number(m: re.Match) -> int | None:
    for g in ("a", "b", "c", "d", "e", "f"):
        v = m.groupdict().get(g)
        if v:
            return cn_number(v)
    return None


_HEAD_END = re.compile(r"[:(\[,;|=。，、>\"–—]|\.(?= |$)|(?<= )-")


def _head_end(s: str, a: int, b: int) -> int:
    """End of an item's head: the first delimiter after its start (within a window)."""
    lim = min(b, a + _HEAD_WINDOW)
    m = _HEAD_END.search(s, a, lim)
    if m is None:
        return lim
    if m.start() == a and s[a] == "-":  # a leading dash is not a delimiter
        m2 = _HEAD_END.search(s, a + 1, lim)
        return m2.start() if m2 else lim
    return m.start()


class _Ctx:
    """Per-answer counters (caps) and the text being read."""

    def __init__(self) -> None:
        self.fuzzy_left = MAX_FUZZY
        self.notes: list[str] = []


def analyse(s: str, a: int, b: int, mode: str, ctx: _Ctx, allow_fuzzy: bool) -> dict | None:
    """Match the head of s[a:b] and read what follows it.

    mode ``item`` (numbered/bulleted line): anything may follow the term;
    ``line`` (a plain line): the term must be followed by nothing, a delimiter or a number;
    ``piece`` (one-line list, table cell, JSON string): only punctuation, a parenthesis or a
    number may follow. Returns None when the text is not an item in that mode.
    """
    head_end = _head_end(s, a, b)
    m = match_at(s, a, head_end)
    candidates: list = []
    if m is None:
        if not allow_fuzzy or ctx.fuzzy_left <= 0:
            if allow_fuzzy and ctx.fuzzy_left <= 0 and "fuzzy_cap" not in ctx.notes:
                ctx.notes.append("fuzzy_cap")
            return {"match": None, "candidates": []}
        ctx.fuzzy_left -= 1
        m, candidates = fuzzy_match(s, a, head_end)
        if m is None:
            return {"match": None, "candidates": candidates}
    out = {"match": m, "candidates": candidates, "bilingual": None, "conflict": None, "ties": [],
           "number": None}
    if is_short_variant(s, m):
        t = first_token_start(s, m.end, head_end)
        if t is not None:
            m_other = match_at(s, t, head_end)
            if m_other is None or m_other.script == m.script:
                return {"match": None, "candidates": []} if mode == "item" else None
    pos = m.end
    # a second label right after the first: the other language (bilingual) or a tie
    for _ in range(25):
        t = first_token_start(s, pos, min(b, pos + 40))
        if t is None:
            break
        gap = s[pos:t].strip()
        connector = None
        t2 = t
        if gap in _TIE_PUNCT or gap in ("&", "+"):
            connector = gap
        elif gap == "" or all(ch in "()/-–—:|[]" for ch in gap):
            connector = gap or " "
        else:
            break
        # a connecting word ("and", "和")?
        word_end = t
        while word_end < b and word_end - t < 4 and (s[word_end].isalpha() and s[word_end].isascii()):
            word_end += 1
        word = "&" if s[t] == "&" else (s[t:word_end] if s[t].isascii() else s[t])
        m2 = match_at(s, t2, _head_end(s, t2, b))
        if m2 is None and word in _TIE_WORDS and connector in (" ", ""):
            connector = word
            t3 = first_token_start(s, t + len(word), min(b, t + len(word) + 10))
            if t3 is None:
                break
            m2 = match_at(s, t3, _head_end(s, t3, b))
        if m2 is None:
            break
        if m2.script != m.script:
            if m2.term == m.term and out["bilingual"] is None:
                out["bilingual"] = m2
            elif m2.term != m.term:
                out["conflict"] = m2
            pos = m2.end
            if pos < b and s[pos] == ")":
                pos += 1
            continue
        if m2.term != m.term and (connector in _TIE_PUNCT or connector in _TIE_WORDS):
            out["ties"].append(m2)
            pos = m2.end
            continue
        break
    rest = s[pos:b]
    if len(rest) <= 40:
        tm = _TRAILING_NUM.match(rest)
        if tm and rest.strip():
            out["number"] = int(tm.group(1))
            return out
    if mode == "item":
        return out
    r = rest.strip()
    if mode == "line":
        if r == "" or r[0] in ":-–—(/[=|,;.。，：)" or first_token_start(rest, 0, len(rest)) is None:
            return out
        return None
    # piece
    if r == "" or r[0] == "(" or first_token_start(rest, 0, len(rest)) is None:
        return out
    return None


def _make(kind, group, line, a, b, number, res) -> Item:
    it = Item(kind, group, line, a, b, number)
    if res is not None:
        it.match = res["match"]
        it.candidates = res.get("candidates", [])
        if res.get("number") is not None and number is None:
            it.number = res["number"]
        it.ties = res.get("ties", [])
        it.bilingual = res.get("bilingual")
        it.conflict = res.get("conflict")
        if it.conflict is not None:
            it.match = None  # two labels that disagree: not mapped, reported
    return it


def _strip_piece(s: str, a: int, b: int) -> int:
    while a < b and s[a] in " \t'\"[{(":
        a += 1
    for lead in _PIECE_LEADERS:
        if s.startswith(lead, a) and match_at(s, a, min(b, a + 30)) is None:
            return a + len(lead)
    return a


def _inline_numbered(s, a, b, line_no, ctx) -> list[Item] | None:
    marks = []
    for m in _INLINE_NUM.finditer(s, a, b):
        marks.append(m)
        if len(marks) > _MAX_PIECES:
            break
    if len(marks) < 3:
        return None
    nums = [_number(m) for m in marks]
    run = 1
    for i in range(1, len(nums)):
        if nums[i] is not None and nums[i - 1] is not None and abs(nums[i] - nums[i - 1]) == 1:
            run += 1
    if run < 3:
        return None
    items = []
    for i, m in enumerate(marks):
        pa = m.end()
        pb = marks[i + 1].start() if i + 1 < len(marks) else b
        pa = _strip_piece(s, pa, pb)
        res = analyse(s, pa, pb, "item", ctx, True)
        items.append(_make("inline", f"inline:{line_no}", line_no, pa, pb, nums[i], res))
    return items


def _inline_separated(s, a, b, line_no, ctx) -> list[Item] | None:
    best = None
    seg = s[a:b]
    for sep in _INLINE_SEPS:
        if seg.count(sep) < 2:
            continue
        pieces = []
        pos = a
        while len(pieces) < _MAX_PIECES:
            j = s.find(sep, pos, b)
            if j == -1:
                pieces.append((pos, b))
                break
            pieces.append((pos, j))
            pos = j + len(sep)
        if len(pieces) < 3:
            continue
        results = []
        hits = 0
        for i, (pa, pb) in enumerate(pieces):
            if i == 0:
                c = s.rfind(":", pa, pb)  # "My ranking: A, B, C"
                if c != -1:
                    pa = c + 1
            pa = _strip_piece(s, pa, pb)
            res = analyse(s, pa, pb, "piece", ctx, False)
            if res is not None and res["match"] is not None:
                hits += 1
            results.append((pa, pb, res))
        if hits >= 3 and hits * 2 >= len(pieces) and (best is None or hits > best[0]):
            best = (hits, sep, results)
    if best is None:
        return None
    _, sep, results = best
    items = []
    for pa, pb, res in results:
        if (res is None or res["match"] is None) and s[pa:pb].strip(" .。!"):
            res = analyse(s, pa, pb, "piece", ctx, True)
            if res is None:
                res = {"match": None, "candidates": []}
        elif res is None:
            continue  # an empty piece (trailing separator)
        items.append(_make("inline", f"inline:{line_no}" + (":lt" if sep == "<" else ""),
                           line_no, pa, pb, None, res))
    return items


def _table_row(s, a, b, line_no, ctx) -> Item | None:
    if _TABLE_SEP.match(s, a, b) and "-" in s[a:b]:
        return None
    cells = []
    pos = a
    while pos < b and len(cells) < 30:
        j = s.find("|", pos, b)
        if j == -1:
            cells.append((pos, b))
            break
        cells.append((pos, j))
        pos = j + 1
    number = None
    res = None
    fuzzy_tried = False
    first_text = None
    for ca, cb in cells:
        if not s[ca:cb].strip():
            continue
        if number is None and cb - ca < 30:
            nm = _CELL_NUM.match(s, ca, cb)
            if nm:
                number = int(nm.group(1))
                continue
        if res is None:
            ca2 = _strip_piece(s, ca, cb)
            r = analyse(s, ca2, cb, "piece", ctx, not fuzzy_tried)
            fuzzy_tried = True
            if first_text is None:
                first_text = (ca2, cb, r)
            if r is not None and r["match"] is not None:
                res = r
                first_text = (ca2, cb, r)
    if res is None and number is None:
        return None  # a header row
    if first_text is None:
        return None
    ca, cb, _ = first_text
    return _make("table", "table", line_no, ca, cb, number, res or {"match": None, "candidates": []})


def _json_blocks(s: str, ctx: _Ctx) -> tuple[list[Item], list[tuple[int, int]]]:
    """Items of JSON arrays/objects in the answer, and the regions they occupy."""
    if "[" not in s and "{" not in s:
        return [], []
    regions = []
    pos = 0
    while len(regions) < 10:
        f = s.find("```", pos)
        if f == -1:
            break
        nl = s.find("\n", f)
        g = s.find("```", nl + 1 if nl != -1 else f + 3)
        if nl == -1 or g == -1:
            break
        regions.append((nl + 1, g))
        pos = g + 3
    starts = [i for i in (s.find("["), s.find("{")) if i != -1]
    if starts:
        a = min(starts)
        b = max(s.rfind("]"), s.rfind("}")) + 1
        if b > a:
            regions.append((a, b))
    items: list[Item] = []
    used = []
    for k, (a, b) in enumerate(regions):
        if b - a > 300_000 or any(a < ub and b > ua for ua, ub in used):
            continue
        chunk = s[a:b].strip()
        if not chunk or chunk[0] not in "[{":
            continue
        try:
            obj = json.loads(chunk)
        except (ValueError, RecursionError):
            continue
        pairs = _json_pairs(obj, 0)
        if not pairs:
            continue
        line_no = s.count("\n", 0, a)
        block_items = []
        cursor = a
        for number, text in pairs[:_MAX_PIECES]:
            if not isinstance(text, str):
                text = str(text)
            j = s.find(text, cursor, b) if text else -1
            if j == -1:
                buf, off = text, None
            else:
                buf, off = s, j
                cursor = j + len(text)
            ba, bb = (0, len(text)) if off is None else (off, off + len(text))
            nm = _NUMBERING.match(buf, _strip_piece(buf, ba, bb), bb)
            if nm and number is None:
                number = _number(nm)
                ba = nm.end()
            ba = _strip_piece(buf, ba, bb)
            res = analyse(buf, ba, bb, "piece", ctx, True) or {"match": None, "candidates": []}
            if off is None and res["match"] is not None:
                # the string is not verbatim in the text (escapes): span = the JSON value region
                res["match"] = HeadMatch(res["match"].term, res["match"].method, res["match"].score,
                                         a, b, res["match"].script)
                ba, bb = a, b
            block_items.append(_make("json", f"json:{k}", line_no, ba, bb, number, res))
        if any(it.match is not None for it in block_items):
            items.extend(block_items)
            used.append((a, b))
    return items, used


_RANK_KEYS = ("rank", "ranking", "排名", "名次", "order", "position", "priority", "no", "number",
              "序号", "排序", "index")
_NAME_KEYS = ("value", "term", "word", "name", "item", "label", "词语", "价值", "价值观", "词",
              "value_en", "english", "en", "zh", "chinese")


def _as_int(v) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and v.strip().isdigit() and len(v.strip()) <= 3:
        return int(v.strip())
    return None


def _json_pairs(obj, depth: int) -> list[tuple[int | None, str]]:
    if depth > 4:
        return []
    if isinstance(obj, dict):
        items = list(obj.items())
        if items and all(_as_int(v) is not None for _, v in items):
            return [(_as_int(v), k) for k, v in items]
        if items and all(_as_int(k) is not None and isinstance(v, str) for k, v in items):
            return [(_as_int(k), v) for k, v in items]
        for _, v in items:
            if isinstance(v, (list, dict)):
                r = _json_pairs(v, depth + 1)
                if r:
                    return r
        return []
    if isinstance(obj, list):
        out = []
        for el in obj:
            if isinstance(el, str):
                out.append((None, el))
            elif isinstance(el, dict):
                num = next((_as_int(el[k]) for k in _RANK_KEYS if k in el and _as_int(el[k]) is not None), None)
                name = next((el[k] for k in _NAME_KEYS if isinstance(el.get(k), str)), None)
                if name is None:
                    name = next((v for v in el.values() if isinstance(v, str)), "")
                out.append((num, name))
            elif isinstance(el, list) and len(el) == 2:
                a, b = el
                if _as_int(a) is not None and isinstance(b, str):
                    out.append((_as_int(a), b))
                elif _as_int(b) is not None and isinstance(a, str):
                    out.append((_as_int(b), a))
        return out
    return []


def extract_items(s: str) -> tuple[list[Item], list[str], dict]:
    """All candidate items of the normalised answer s, in text order.

    Returns (items, notes, line_kinds) where line_kinds maps a line index to the group of
    the items found on it ("" for a non-blank line with no item).
    """
    ctx = _Ctx()
    items, json_regions = _json_blocks(s, ctx)
    if json_regions:
        chars = list(s)
        for a, b in json_regions:
            for i in range(a, b):
                if chars[i] != "\n":
                    chars[i] = " "
        s = "".join(chars)
    line_kinds: dict[int, str] = {}
    ls = 0
    line_no = -1
    n = len(s)
    while ls <= n and len(items) < MAX_ITEMS:
        le = s.find("\n", ls)
        if le == -1:
            le = n
        line_no += 1
        line = s[ls:le]
        new = _read_line(line, ls, line_no, ctx) if line.strip() else None
        if new is None:
            if line.strip():
                line_kinds[line_no] = ""
        else:
            for it in new:
                it.start += ls
                it.end += ls
                for hm in [it.match, it.bilingual, it.conflict, *it.ties]:
                    if hm is not None:
                        hm.start += ls
                        hm.end += ls
            items.extend(new)
            line_kinds[line_no] = new[0].group if new else ""
        ls = le + 1
    if len(items) >= MAX_ITEMS:
        ctx.notes.append(f"item_cap: stopped after {MAX_ITEMS} items at character {ls}")
    st = _statement(s, ctx)
    if st is not None:
        items.append(st)
    items.sort(key=lambda it: it.start)
    return items, ctx.notes, line_kinds


# "The most important to me is X." / "最重要的是X": an answer that names only its first
# choice in a sentence; read as a one-item list (rank 1), never in place of a real list.
_STATEMENT = re.compile(
    r"(?:the )?most important(?: value| word| one| thing)?(?: (?:to|for) me)?(?: is| would be|:)[ ]{0,3}"
    r"|最重要的(?:词语|价值观|价值|词|一个)?(?:是|为)[:]?[ ]{0,3}"
)


def _statement(s: str, ctx: _Ctx) -> Item | None:
    m = _STATEMENT.search(s)
    if m is None:
        return None
    a = _strip_piece(s, m.end(), len(s))
    le = s.find("\n", a)
    le = len(s) if le == -1 else le
    res = analyse(s, a, le, "line", ctx, False)
    if res is None or res["match"] is None:
        return None
    line_no = s.count("\n", 0, a)
    return _make("statement", "statement", line_no, a, le, 1, res)


def _read_line(line: str, offset: int, line_no: int, ctx: _Ctx) -> list[Item] | None:
    """Items on one line (positions relative to the line), or None."""
    s = line.translate(_MARKUP)
    if "<" in s and ">" in s:
        s = _TAG.sub(lambda m: " " * len(m.group()), s)
    b = len(s)
    p = 0
    blanked = 0
    while p < b and s[p] in " \x1f":
        blanked += s[p] == "\x1f"
        p += 1
    indent = 0 if blanked else p
    while p < b and s[p] == ">" and (p + 1 >= b or s[p + 1] == " "):  # block quote
        p += 1
        while p < b and s[p] == " ":
            p += 1
    if p >= b:
        return None
    bucket = "top" if indent < 2 else "nested"
    if s[p] == "|" and s.count("|", p) >= 2:
        it = _table_row(s, p + 1, s.rstrip().rstrip("|").__len__(), line_no, ctx)
        return [it] if it else None
    bullet = None
    if line[p] in "-*+•·●○▪◦■□►▶✓✔➤➢→\\":  # bullets are read before markup blanking
        bm = _BULLET.match(line, p)
        if bm:
            bullet = bm
            p = bm.end()
    while p < b and s[p] == " ":
        p += 1
    if p < b and s[p] == "#":
        q = p
        while q < b and s[q] == "#":
            q += 1
        if q < b and s[q] == " ":
            p = q + 1
            while p < b and s[p] == " ":
                p += 1
    if p >= b:
        return None
    inl = _inline_numbered(s, p, b, line_no, ctx)
    if inl is not None:
        return inl
    nm = _NUMBERING.match(s, p)
    if nm is not None and nm.end() > p:
        number = _number(nm)
        # the next number(s) of the list may follow on the same line ("4. A 5. B")
        cuts = [(nm.end(), number)]
        if number is not None:
            want = number + 1
            for seen, mk in enumerate(_INLINE_NUM.finditer(s, nm.end(), b)):
                if seen > 4 * _MAX_PIECES:
                    break
                if _number(mk) == want:
                    cuts.append((mk.start(), None))
                    cuts.append((mk.end(), want))
                    want += 1
                    if want - number > _MAX_PIECES:
                        break
        out = []
        starts = cuts[0::2] if len(cuts) > 1 else cuts
        bounds = [c[0] for c in cuts[1::2]] + [b]
        for (a0, num), end in zip(starts, bounds):
            a = _strip_piece(s, a0, end)
            res = analyse(s, a, end, "item", ctx, True)
            out.append(_make("numbered", f"numbered:{bucket}", line_no, a, end, num, res))
        return out
    if bullet is not None:
        a = _strip_piece(s, p, b)
        res = analyse(s, a, b, "item", ctx, True)
        return [_make("bullet", f"bullet:{bucket}", line_no, a, b, None, res)]
    inl = _inline_separated(s, p, b, line_no, ctx)
    if inl is not None:
        return inl
    a = _strip_piece(s, p, b)
    res = analyse(s, a, b, "line", ctx, False)
    if res is None or res["match"] is None:
        return None
    return [_make("plain", "plain", line_no, a, b, None, res)]


class Block:
    """One list: items of one group, in order, and the set of terms they name."""

    def __init__(self, group: str, items: list[Item]):
        self.group = group
        self.items: list[Item] = []
        self.terms: set[str] = set()
        for it in items:
            self.append(it)

    def append(self, it: Item) -> None:
        self.items.append(it)
        if it.match is not None:
            self.terms.add(it.match.term)
            self.terms.update(t.term for t in it.ties)


def split_blocks(items: list[Item], line_kinds: dict[int, str]) -> list[Block]:
    """Group items into lists: by group, a new list where the numbering restarts, where a
    table ends, or where a term comes again after a line that is not part of the list."""
    by_group: dict[str, list[Item]] = {}
    for it in items:
        by_group.setdefault(it.group, []).append(it)
    blocks: list[Block] = []
    for group, its in by_group.items():
        cur: Block | None = None
        first_num = direction = None
        for it in its:
            new = cur is None
            if not new:
                prev = cur.items[-1]
                if group == "table":
                    new = any(line_kinds.get(k, "") != "table" for k in range(prev.line + 1, it.line))
                elif it.number is not None and prev.number is not None and first_num is not None:
                    if direction is None:
                        new = it.number == first_num
                    elif direction > 0:
                        new = it.number <= prev.number and it.number <= first_num + 1
                    else:
                        new = it.number >= prev.number and it.number >= first_num - 1
                elif it.term is not None and it.term in cur.terms:
                    new = any(
                        line_kinds.get(k, "") != group and k in line_kinds
                        for k in range(prev.line + 1, it.line)
                    )
            if new:
                cur = Block(group, [it])
                blocks.append(cur)
                first_num = it.number
                direction = None
            else:
                if direction is None and it.number is not None and first_num is not None and it.number != first_num:
                    direction = 1 if it.number > first_num else -1
                cur.append(it)
    blocks.sort(key=lambda bl: bl.items[0].start)
    return blocks
