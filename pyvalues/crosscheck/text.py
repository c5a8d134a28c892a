"""Find the reported tests in a paper's text and check them (a statcheck superset).

>>> from pyvalues.crosscheck import check_text
>>> check_text("The effect was significant, t(28) = 2.20, p = .03.")[["statistic", "verdict"]]  # doctest: +SKIP

Reads plain text, Markdown or LaTeX source (math between `$...$`, `\\chi^2`, `\\eta_p^2`,
`\\leq`, `\\approx`), with unicode minus and relational signs, "p<.05", "ns", df in round or
square brackets, "N = " inside a chi-square's brackets, and results split across lines. Finds
what R's statcheck finds -- t, F, r, chi2, z, Q -- and also Mann-Whitney U (with n1, n2 when
the text states them), Wilcoxon W (rank sum) and V (signed rank), Kruskal-Wallis H, Friedman
chi2_F, Kendall's W with its p (m raters and n items from the text's design statements), a
Brunner-Munzel statistic with its df, the effect sizes printed beside a test (partial eta
squared, d, g, r, r_rb, Cliff's delta), Welch's t with the groups' M +- SD, tab-separated
tables with a W and a p column, and bounds over a set of tests ("all ps > .05", not
checkable). Each found number becomes a claims row; the rows are checked by the same level-1
code as a claims file (pyvalues.crosscheck.level1), so both routes give the same verdict.

Output: one row per checked number, columns `claim_id, level, location, statistic, test_type,
df1, df2, value, p_comparison, p_reported, p_recomputed, one_tailed, verdict, note` (and
`reported, recomputed` as in the claims route). `claim_id` is `T<k>_<quantity>` for the k-th
result found; `location` is the line of the file where the result starts.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pyvalues.crosscheck.claims import CLAIM_COLUMNS, read_claims
from pyvalues.crosscheck.level1 import level1_rows
from pyvalues.crosscheck.pcheck import ONE_TAILED_RE, decimals_of

__all__ = ["check_text", "find_results", "normalise", "TEXT_COLUMNS"]

TEXT_COLUMNS = ["claim_id", "level", "location", "statistic", "test_type", "df1", "df2", "value", "p_comparison",
                "p_reported", "p_recomputed", "one_tailed", "verdict", "note", "reported", "recomputed"]

# --- normalisation ---------------------------------------------------------------------------

_LATEX = [
    (r"\\(?:chi|mathcal\{X\})\s*\^\s*\{?\s*2\s*\}?\s*_\s*\{?\s*F\s*\}?", "χ²_F"),
    (r"\\chi\s*_\s*\{?\s*F\s*\}?\s*\^\s*\{?\s*2\s*\}?", "χ²_F"),
    (r"\\chi\s*\^\s*\{?\s*2\s*\}?", "χ²"),
    (r"\\chi\s*2", "χ²"),
    (r"\\eta\s*\^\s*\{?\s*2\s*\}?\s*_\s*\{?\s*(?:p|\\text\{p\}|\\mathrm\{p\})\s*\}?", "η²p"),
    (r"\\eta\s*_\s*\{?\s*(?:p|\\text\{p\}|\\mathrm\{p\})\s*\}?\s*\^\s*\{?\s*2\s*\}?", "η²p"),
    (r"\\eta\s*\^\s*\{?\s*2\s*\}?", "η²"),
    (r"\\delta", "δ"), (r"\\tau", "τ"), (r"\\rho", "ρ"), (r"\\alpha", "α"),
    (r"\\approx|\\sim", "≈"), (r"\\leq?(?![a-z])|\\leqslant", "≤"), (r"\\geq?(?![a-z])|\\geqslant", "≥"),
    (r"\\pm", "±"), (r"\\times", "×"), (r"\\,|\\;|\\!|\\ ", " "), (r"\\(?:text|mathrm|mathit|textit|emph|mathbf|textbf)\s*\{([^{}]*)\}", r"\1"),
    (r"\\%", "%"), (r"\\textless(?:\{\})?", "<"), (r"\\textgreater(?:\{\})?", ">"),
    (r"([A-Za-z])\s*_\s*\{\s*([A-Za-z]+)\s*\}", r"\1_\2"),
]


def normalise(text: str) -> str:
    """LaTeX math and unicode variants to one plain spelling (line breaks kept)."""
    s = text
    for pat, rep in _LATEX:
        s = re.sub(pat, rep, s)
    s = s.replace("$", " ").replace("{", "").replace("}", "")
    s = s.replace("&lt;", "<").replace("&gt;", ">").replace("&le;", "≤").replace("&ge;", "≥")
    s = re.sub(r"[\u2212\u2012\u2013\u2014\ufe63\uff0d](?=\s?\.?\d)", "-", s)  # unicode minus and dashes before digits
    s = s.replace("≤", "<=").replace("⩽", "<=").replace("≥", ">=").replace("⩾", ">=").replace("＝", "=").replace("﹤", "<").replace("﹥", ">")
    s = s.replace("χ2", "χ²").replace("χ^2", "χ²")
    s = re.sub(r"\b(?:chi2|chi-square|chi-squared|chi square|X2|X\^2)\s*(?=[\(\[])", "χ²", s)
    s = s.replace("\u00a0", " ").replace("\u2009", " ").replace("\u202f", " ")
    s = s.replace("’", "'").replace("‘", "'")
    return s


def _flatten(text: str) -> tuple[str, np.ndarray]:
    """All whitespace runs to one space (results split across lines read as one); line of each char."""
    chars, lines = [], []
    line, prev_space = 1, False
    for ch in text:
        if ch.isspace():
            if not prev_space:
                chars.append(" ")
                lines.append(line)
            prev_space = True
        else:
            chars.append(ch)
            lines.append(line)
            prev_space = False
        if ch == "\n":
            line += 1
    return "".join(chars), np.array(lines)


# --- patterns ----------------------------------------------------------------------------------

NUM = r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d+)?(?![\d.])"
REL = r"(?P<rel><=|>=|=|<|>)"
_DF = r"(?P<apx>[≈~]\s*)?(?P<df>\d+(?:\.\d+)?)"
_HEADS = {
    "F": rf"(?<![A-Za-z])F\s*[\(\[]\s*(?P<df1>\d+(?:\.\d+)?)\s*,\s*(?P<df2>\d+(?:\.\d+)?)\s*[\)\]]\s*{REL}\s*(?P<val>{NUM})",
    "t": rf"(?<![A-Za-z])t\s*[\(\[]\s*{_DF}\s*[\)\]]\s*{REL}\s*(?P<val>{NUM})",
    "r": rf"(?<![A-Za-z])r\s*[\(\[]\s*{_DF}\s*[\)\]]\s*{REL}\s*(?P<val>{NUM})",
    "chi2": rf"(?:χ²|χ)\s*(?P<sub>_?F)?\s*[\(\[]\s*(?P<df>\d+(?:\.\d+)?)\s*(?:,\s*N\s*=\s*(?P<N>[\d,]+)\s*)?[\)\]]\s*{REL}\s*(?P<val>{NUM})",
    "Q": rf"(?<![A-Za-z])Q\s*-?\s*(?:w|b|within|between)?\s*[\(\[]\s*(?P<df>\d+)\s*[\)\]]\s*{REL}\s*(?P<val>{NUM})",
    "H": rf"(?<![A-Za-z])H\s*[\(\[]\s*(?P<df>\d+)\s*[\)\]]\s*{REL}\s*(?P<val>{NUM})",
    "z": rf"(?<![A-Za-z_])[zZ]\s*{REL}\s*(?P<val>{NUM})",
    "U": rf"(?<![A-Za-z_])U\s*{REL}\s*(?P<val>{NUM})",
    "W": rf"(?<![A-Za-z_])W\s*{REL}\s*(?P<val>{NUM})(?P<range>\s*[-–]\s*{NUM})?",
    "delta_alone": rf"Cliff's\s+(?:δ|delta)\s*(?P<rel>≈|=|~)\s*(?P<pm>±|\+-)?\s*(?P<val>{NUM})",
    "V": rf"(?<![A-Za-z_])V\s*{REL}\s*(?P<val>{NUM})",
    "BM": rf"(?:Brunner[-– ]Munzel(?:'s)?(?: test)?(?: statistic)?|\bBM|W_BM|T_BM)\s*(?:[\(\[]\s*{_DF}\s*[\)\]])?\s*{REL}\s*(?P<val>{NUM})",
}
_HEAD_RE = {k: re.compile(v) for k, v in _HEADS.items()}
_P_RE = re.compile(rf"^[\s,;:()]*(?:two-sided\s+|one-sided\s+)?(?:p|P|p-value|p value)\s*(?P<rel><=|>=|=|<|>)\s*(?P<val>\d?\.\d+(?:e-?\d+)?|[01](?![\d.]))|^[\s,;:()]*(?P<ns>n\.?s\.?)(?![a-z])")
_P_ANY = re.compile(r"(?<![A-Za-z_'])(?:p|P)\s*(?P<rel><=|>=|=|<|>)\s*(?P<val>\d?\.\d+(?:e-?\d+)?)")
_ES = [
    ("pes", r"(?:η²p|η²_p|ηp²|η_p²|ηp\^2|eta2_p|partial\s+η²|partial\s+eta2|partial\s+eta\s+squared|η²\s*\(partial\))"),
    ("pes_plain", r"(?:η²|eta2|eta squared)"),
    ("r_rb", r"(?:r_rb|r_\{?rb\}?|rank-biserial\s+r|r\s*rb)"),
    ("delta", r"(?:Cliff's\s+)?(?:δ|delta)"),
    ("g", r"(?:Hedges'?\s+)?g"),
    ("d", r"(?:Cohen's\s+)?d"),
    ("r_es", r"r"),
]
_ES_RE = re.compile(r"^[\s,;:()]*(?P<name>" + "|".join(f"(?P<{k}>{v})" for k, v in _ES)
                    + rf")\s*(?P<rel><=|>=|=|<|>|≈)\s*(?P<pm>±|\+-)?\s*(?P<val>{NUM})(?!\s*[-–]\s*\d)")
_MSD = re.compile(rf"(?P<m>{NUM})\s*±\s*(?P<sd>{NUM})")
_SET_BOUND = re.compile(r"\ball\s+(?P<words>(?:[A-Za-z\-']+\s+){0,6}?)(?P<which>p|q|ps|qs|p's|q's|q_FDR|p_adj|q_BH)\s*(?P<rel><=|>=|<|>)\s*(?P<val>\d?\.\d+)")
_WORD_NUM = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
             "twenty": 20, "twelve": 12, "fifteen": 15}


_LABEL_RE = re.compile(r"^[^.;]{0,40}?\b(?P<label>(?:negligible|small|medium|moderate|large)(?:[- ]to[- ](?:small|medium|moderate|large))?)"
                       r"\s+(?:practical\s+)?(?:effect|difference)")


def _label_row(rid, kind, printed, rel, flat, end, stat_txt, loc):
    m = _LABEL_RE.match(flat[end:end + 90])
    if not m:
        return None
    label = m.group("label").replace(" to ", "-to-").replace("moderate", "medium")
    v = printed.lstrip("±+")
    row = _crow(rid, "label", "effect_label", label, "=", stat_txt, loc)
    row["subject"] = f"{kind}{'~' if rel in ('~', '≈') else '='}{v}"
    row["decimals"] = ""
    return row


@dataclass
class Found:
    kind: str                   # head kind (t, F, r, chi2, z, Q, H, U, W, V, BM, kendall_W, bound)
    start: int
    end: int
    rows: list = field(default_factory=list)   # claims rows (dicts)
    note: str = ""


# --- the design the text states ----------------------------------------------------------------

def _num(s: str) -> float:
    return float(s.replace(",", "")) if s.replace(",", "").replace(".", "").isdigit() else float(_WORD_NUM.get(s.lower(), "nan"))


def _design(flat: str) -> dict:
    """Group sizes, raters and items the text states (first statement found, with where)."""
    d = {}
    m = re.search(r"\bn_?1\s*=\s*(\d+)\s*(?:,|and)\s*n_?2\s*=\s*(\d+)", flat)
    m = m or re.search(r"\((\d+)\s*vs\.?\s*(\d+)\s*(?:models|participants|subjects|patients|children|students)\)", flat)
    m = m or re.search(r"\b(\d+)\s*vs\.?\s*(\d+)\s*(?:models|participants|subjects|patients|children|students)", flat)
    if m:
        d["n1"], d["n2"], d["n_at"] = int(m.group(1)), int(m.group(2)), m.start()
    m = re.search(r"\b(\d+|two|three|four|five|six|seven|eight|nine|ten)\s+(?:replicates|repetitions|replications|runs|raters|judges|rankings|rounds)\b", flat, re.I)
    if m:
        d["m"], d["m_at"] = int(_num(m.group(1))), m.start()
    m = re.search(r"\b(\d+)\s+(?:core\s+)?(?:value\s+)?(?:items|terms|objects|stimuli)\b", flat)
    if m:
        d["n_items"], d["n_items_at"] = int(m.group(1)), m.start()
    return d


# --- scanning ----------------------------------------------------------------------------------

def _crow(rid: str, quantity: str, test: str, printed: str, relation: str, statistic: str, location: str, **kw) -> dict:
    v = printed.replace(",", "") if re.fullmatch(r"[-+]?[\d,]*\.?\d+", printed) else printed
    dec = decimals_of(v)
    row = {"claim_id": f"{rid}_{quantity}", "location": location, "test": test, "quantity": quantity, "subject": "",
           "statistic": statistic, "reported": v.lstrip("+"), "relation": relation, "decimals": str(dec),
           "companion": rid}
    row.update({k: ("" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)) for k, v in kw.items()})
    return row


_SENT_END = re.compile(r"(?<!\bvs)(?<!\be\.g)(?<!\bi\.e)(?<!\bal)(?<!\bFig)(?<!\bcf)\.\s+(?=[A-Z(\[])")


def _sentence_bounds(flat: str, i: int) -> tuple[int, int]:
    a = 0
    for m in _SENT_END.finditer(flat, max(0, i - 600), i):
        a = m.end()
    m = _SENT_END.search(flat, i)
    return a, (m.start() if m else len(flat))


def find_results(text: str) -> tuple[list[Found], str, np.ndarray, dict]:
    """The results found in `text`: (found results, flattened text, line of each character, design)."""
    flat, lines = _flatten(normalise(text))
    design = _design(flat)
    heads = []
    for kind, rx in _HEAD_RE.items():
        for m in rx.finditer(flat):
            heads.append((m.start(), m.end(), kind, m))
    heads.sort(key=lambda h: (h[0], -h[1]))
    kept, last_end = [], -1
    for h in heads:  # overlapping matches: the earliest, longest wins (chi2_F before F etc.)
        if h[0] >= last_end:
            kept.append(h)
            last_end = h[1]
    found: list[Found] = []
    for i, (s, e, kind, m) in enumerate(kept):
        nxt = kept[i + 1][0] if i + 1 < len(kept) else len(flat)
        seg_end = min(nxt, e + 160)
        f = _read_result(kind, m, flat, lines, s, e, seg_end, design, len(found) + 1, kept, i)
        if f is not None:
            found.append(f)
    found += _tables(text, design, len(found), lines)
    found += _set_bounds(flat, lines, len(found))
    found.sort(key=lambda f: f.start)
    return found, flat, lines, design


def _loc(lines, i) -> str:
    return f"line {int(lines[min(i, len(lines) - 1)])}"


def _read_tail(flat: str, e: int, seg_end: int):
    """p and effect sizes following a statistic (up to the next statistic)."""
    tail = flat[e:seg_end]
    p = None
    pos = 0
    mp = _P_RE.match(tail)
    if mp:
        p = ("ns", "0.05", ">") if mp.group("ns") else (mp.group("val"), mp.group("val"), mp.group("rel"))
        pos = mp.end()
    es = []
    while True:
        me = _ES_RE.match(tail[pos:])
        if not me:
            # skip one clause ("(large effect)", "Hedges' g" after a ')')
            mskip = re.match(r"^[^,;.=]{0,25}?(?=[,;(]\s*(?:partial|η|eta|r_rb|r|d|g|Cohen|Hedges|Cliff|δ))", tail[pos:])
            if mskip and mskip.end() > 0:
                pos += mskip.end()
                me = _ES_RE.match(tail[pos:])
            if not me:
                break
        name = next(k for k, _ in _ES if me.group(k))
        es.append((("pes" if name == "pes_plain" else name), me.group("val"), "~" if me.group("rel") == "≈" else me.group("rel"), me.group(0).strip(" ,;(")))
        pos += me.end()
    return p, es, e + pos


def _read_result(kind, m, flat, lines, s, e, seg_end, design, k, kept, i) -> Found | None:
    rid = f"T{k}"
    val, rel = m.group("val"), m.group("rel")
    if not re.search(r"\d", val):
        return None
    p, es, end = _read_tail(flat, e, seg_end)
    a, b = _sentence_bounds(flat, s)
    sentence = flat[a:b]
    statistic = flat[s:end].strip(" ,;(")
    loc = _loc(lines, s)
    one = bool(ONE_TAILED_RE.search(sentence))
    stat_txt = statistic + (" [one-tailed per text]" if one and kind in ("t", "z", "r", "BM") else "")
    f = Found(kind, s, end)
    n1, n2 = design.get("n1"), design.get("n2")
    if kind == "delta_alone":
        f.rows = [_crow(rid, "delta", "cliffs_delta", val, "~" if rel in ("≈", "~") else "=", stat_txt, loc)]
        lab = _label_row(rid, "delta", val, rel, flat, e, stat_txt, loc)
        if lab is not None:
            f.rows.append(lab)
        f.note = "Cliff's delta printed without the U or the counts it comes from."
        return f
    if kind == "W" and m.group("range"):
        f.kind = "bound"
        f.rows = [_crow(rid, "W", "set_bound", val, "=", flat[s:e].strip(), loc)]
        f.note = f"A range of W over several tests ({flat[s:e].strip()}), not one result."
        return f
    if kind == "W":
        try:
            v = float(val)
        except ValueError:
            return None
        kendall = ("Kendall" in flat[max(0, s - 200):s + 40] or "concordance" in flat[max(0, s - 200):s + 40]
                   or (v <= 1 and "." in val))
        if kendall:
            kind = f.kind = "kendall_W"
            if p is None:  # W and its p printed apart ("W = 0.489) ... its Friedman test ... (p = 0.065)")
                nxt = kept[i + 1][0] if i + 1 < len(kept) else len(flat)
                mp = _P_ANY.search(flat, e, min(nxt, e + 260))
                if mp:
                    p = (mp.group("val"), mp.group("val"), mp.group("rel"))
                    statistic = f"{flat[s:e].strip()} ... {flat[mp.start():mp.end()]}"
                    stat_txt = statistic
                    f.note = "W and its p read from the same passage, printed apart."
    rows = []
    if p is not None:
        pv, pr, prel = p
        p_row = _crow(rid, "p", "", pr, ">" if pv == "ns" else prel, stat_txt, loc)
        if pv == "ns":
            p_row["reported"], p_row["decimals"], p_row["relation"] = "0.05", "2", ">"
    else:
        p_row = None
    test = {"F": "rm_anova", "t": "t_test", "r": "correlation", "chi2": "chi2_test", "Q": "q_test", "H": "kruskal_wallis",
            "z": "z_test", "U": "mann_whitney", "V": "wilcoxon_signed_rank", "BM": "brunner_munzel", "W": "mann_whitney",
            "kendall_W": "kendall_w"}[kind]
    gd = m.groupdict()
    df = gd.get("df")
    apx = bool(gd.get("apx"))
    extra = {}
    if kind == "chi2" and (gd.get("sub") or re.search(r"Friedman", flat[max(0, s - 150):s])):
        qty = "chi2_F"
        test = "friedman"
    else:
        qty = {"F": "F", "t": "t", "r": "r", "chi2": "chi2", "Q": "Q", "H": "H", "z": "z", "U": "U", "V": "V", "BM": "BM",
               "W": "U", "kendall_W": "W"}[kind]
    if kind == "F":
        extra = dict(df1=gd["df1"], df2=gd["df2"])
    elif df is not None and not apx and "." not in df:
        extra = dict(df1=df)
    if kind in ("U", "W", "t", "BM") and n1 and n2:
        extra.update(n1=n1, n2=n2)
    if kind == "V":
        mn = re.search(r"\bn\s*=\s*(\d+)", sentence)
        if mn:
            extra.update(n1=mn.group(1))
    if kind == "kendall_W":
        if design.get("m") and design.get("n_items"):
            extra.update(n1=design["m"], n2=design["n_items"], df1=design["n_items"] - 1)
    # Welch's t: the two groups' M +- SD earlier in the same sentence
    msd = list(_MSD.finditer(flat, a, s)) if kind == "t" else []
    if kind == "t" and len(msd) >= 2 and n1 and n2:
        test = "welch_t"
        (m1, m2) = msd[-2], msd[-1]
        for qn, mm, g in (("mean_cn", m1, "m"), ("sd_cn", m1, "sd"), ("mean_us", m2, "m"), ("sd_us", m2, "sd")):
            rows.append(_crow(rid, qn, "descriptive", mm.group(g), "=", stat_txt, loc, n1=n1, n2=n2))
        extra.pop("df1", None)
        f.note = f"Welch's t checked against the M +- SD printed before it (first = group 1, n1 = {n1}, n2 = {n2})."
    rows.append(_crow(rid, qty, test, val, rel, stat_txt, loc, **extra))
    if df is not None and (apx or "." in df) and kind in ("t", "r", "BM"):
        rows.append(_crow(rid, "df", test, df, "~" if apx else "=", stat_txt, loc, **({k: v for k, v in extra.items() if k in ("n1", "n2")})))
    if p_row is not None:
        p_row["test"] = test
        p_row.update({k: str(v) for k, v in extra.items()})
        rows.append(p_row)
    for name, v, r, printed in es:
        if name == "r_es" and kind not in ("t", "BM"):
            continue
        q_es = name
        if kind in ("U", "W") and name == "delta":
            q_es = "r_rb"  # Cliff's delta = -r_rb (magnitude checked)
        row = _crow(rid, q_es, test, v.lstrip("±"), r if r != "~" else "~", stat_txt, loc, **extra)
        if name == "delta" and kind in ("U", "W"):
            row["reported"] = str(-float(row["reported"]))
        rows.append(row)
        if name in ("pes", "delta"):
            lab = _label_row(rid, "eta2_p" if name == "pes" else "delta", v, r, flat, end, stat_txt, loc)
            if lab is not None:
                rows.append(lab)
    f.rows = rows
    return f


def _tables(text: str, design: dict, k0: int, lines: np.ndarray) -> list[Found]:
    """Tab-separated tables with a Kendall's W column and a p column (e.g. Table A-1)."""
    out = []
    norm = normalise(text).split("\n")
    header = None
    for ln, line in enumerate(norm, start=1):
        cells = [c.strip() for c in line.split("\t")]
        if len(cells) < 3:
            header = None if not line.strip() else header
            continue
        low = [c.lower() for c in cells]
        wcol = next((j for j, c in enumerate(low) if re.search(r"kendall|^w$", c)), None)
        pcol = next((j for j, c in enumerate(low) if re.match(r"^p\b", c)), None)
        if wcol is not None and pcol is not None:
            header = (wcol, pcol, len(cells))
            continue
        if header is None or len(cells) != header[2]:
            continue
        wcol, pcol, _ = header
        mw = re.fullmatch(NUM, cells[wcol])
        mp = re.search(r"(<=|>=|=|<|>)?\s*(\d?\.\d+)", cells[pcol])
        if not mw or not mp:
            continue
        k0 += 1
        rid = f"T{k0}"
        stat = " | ".join(cells)
        extra = {}
        if design.get("m") and design.get("n_items"):
            extra = dict(n1=design["m"], n2=design["n_items"], df1=design["n_items"] - 1)
        rows = [_crow(rid, "W", "kendall_w", cells[wcol], "=", stat, f"line {ln} (table)", **extra),
                _crow(rid, "p", "kendall_w", mp.group(2), mp.group(1) or "=", stat, f"line {ln} (table)", **extra)]
        at = int(np.searchsorted(lines, ln))
        out.append(Found("kendall_W", at, at, rows, "Table row: Kendall's W and the Friedman p."))
    return out


def _set_bounds(flat: str, lines, k0: int) -> list[Found]:
    out = []
    for m in _SET_BOUND.finditer(flat):
        k0 += 1
        rid = f"T{k0}"
        which = "q" if m.group("which").startswith("q") else "p"
        rows = [_crow(rid, which, "set_bound", m.group("val"), m.group("rel"), flat[m.start():m.end()], _loc(lines, m.start()))]
        if which == "q" and re.search(r"\bp(?:'s|s)?\b", m.group("words")):  # "all MWU p's and BH-FDR-adjusted q's > .05"
            rows.insert(0, _crow(rid, "p", "set_bound", m.group("val"), m.group("rel"), flat[m.start():m.end()], _loc(lines, m.start())))
        out.append(Found("bound", m.start(), m.end(), rows, ""))
    return out


# --- checking -------------------------------------------------------------------------------

_TEST_TYPE = {"rm_anova": "F", "t_test": "t", "welch_t": "t", "correlation": "r", "chi2_test": "chi2", "q_test": "Q",
              "kruskal_wallis": "H", "friedman": "chi2_F", "z_test": "z", "mann_whitney": "U", "wilcoxon_signed_rank": "V",
              "brunner_munzel": "BM", "kendall_w": "W", "set_bound": "bound", "cliffs_delta": "delta"}
_ES_TYPE = {"label": None, "pes": "eta2_p", "r_rb": "r_rb", "g": "g", "d": "d", "r_es": "r", "delta": "delta"}
_WHY_NOT = {
    "U": "Mann-Whitney U needs the group sizes n1, n2, which the text does not state.",
    "W": "Kendall's W needs the number of rankings m and of items n (the text states no design), or a printed chi-square.",
    "bound": "A bound stated for a set of tests whose statistics are not all printed; nothing to recompute.",
    "delta": "An effect size printed without the test statistic or counts it comes from.",
}


def check_text(text: str, statcheck: bool | None = None) -> pd.DataFrame:
    """Find every reported test in `text` (plain, Markdown or LaTeX) and check it at level 1.

    Parameters
    ----------
    text : str
        The paper's text (a results section is enough). Group sizes, raters and items are read
        from statements such as "n1 = 11, n2 = 9", "(11 vs. 9 models)", "three replicates",
        "25 terms"; without them U and Kendall's W are `not_checkable`.
    statcheck : bool or None
        Add R statcheck's verdict on each result it can read (t, F, r, chi2, z, Q, and Kendall's W
        as its derived Friedman chi-square) to the note, with the reason when it differs from ours.
        None (default): when R and the statcheck package are available; True: required; False: never.

    Returns
    -------
    DataFrame, one row per checked number:
        claim_id      `T<k>_<quantity>`, k numbering the results found (quantity p, F, U, W, r_rb, pes, ...)
        level         1
        location      the line of the file where the result starts ("line 176", "line 371 (table)")
        statistic     the result as printed (normalised spelling)
        test_type     t, F, r, chi2, z, Q, H, chi2_F, U, V, W (Kendall), BM, eta2_p, r_rb, g, d, delta,
                      eta2_p_label / delta_label (a verbal label), bound (a bound over a set of tests)
        df1, df2      degrees of freedom as printed (U, V: the group sizes)
        value         the printed statistic (effect-size rows: the printed effect size)
        p_comparison  the printed relation of p (=, <, <=, >, >=; 'ns' is read as > .05)
        p_reported    the printed p
        p_recomputed  p recomputed at the printed statistic and dfs
        one_tailed    judged one-tailed (the sentence says so and only the one-tailed p fits)
        verdict       consistent, inconsistent, decision_error, not_checkable
        note          how it was checked, with intervals, and statcheck's verdict
        reported, recomputed  as in the claims route

    Examples
    --------
    >>> t = check_text("t(28) = 2.20, p = .03 and F(2, 28) = 4.2, p = .03", statcheck=False)  # doctest: +SKIP
    >>> t[["statistic", "verdict"]]  # doctest: +SKIP
    """
    found, flat, lines, design = find_results(text)
    crows = [r for f in found for r in f.rows]
    out_rows = []
    if crows:
        claims = pd.DataFrame(crows)
        for c in CLAIM_COLUMNS:
            if c not in claims.columns:
                claims[c] = ""
        claims = claims[CLAIM_COLUMNS].fillna("")
        claims = read_claims(claims)
        by_id = {r["claim_id"]: r for r in level1_rows(claims)}
        for f in found:
            for cr in f.rows:
                r = by_id.get(cr["claim_id"])
                tt = _TEST_TYPE.get(cr["test"], cr["test"])
                if r is None:
                    if cr["test"] == "descriptive" or cr["quantity"] == "df":
                        continue
                    qn = cr["quantity"]
                    why = _WHY_NOT.get("bound" if cr["test"] == "set_bound" else ("U" if tt == "U" else "W" if tt == "W" else "delta" if qn == "delta" else ""),
                                       "Printed without what it needs to be recomputed (a df, a p-value or the design).")
                    r = {"claim_id": cr["claim_id"], "level": 1, "location": cr["location"], "statistic": cr["statistic"],
                         "reported": cr["reported"] if cr["relation"] == "=" else f"{cr['relation']} {cr['reported']}",
                         "recomputed": "", "verdict": "not_checkable", "note": why, "test_type": tt if qn in ("p", "q") or tt == "bound" else qn,
                         "value": _flt(cr["reported"])}
                r = dict(r)
                if cr["quantity"] in _ES_TYPE and _ES_TYPE[cr["quantity"]]:
                    r["test_type"], r["value"] = _ES_TYPE[cr["quantity"]], _flt(cr["reported"])
                r.setdefault("test_type", tt)
                if not r.get("test_type"):
                    r["test_type"] = tt
                if f.note:
                    r["note"] = f"{f.note} {r['note']}"
                if r["claim_id"].endswith("_df") or (cr["test"] == "descriptive"):
                    continue
                if (r["verdict"] == "not_checkable" and cr["quantity"] in ("t", "z", "r", "chi2", "chi2_F", "Q", "H", "V", "BM")
                        and any(x["quantity"] == "p" for x in f.rows)):
                    continue  # the statistic is checked through its p row
                out_rows.append(r)
    table = pd.DataFrame(out_rows)
    for c in TEXT_COLUMNS:
        if c not in table.columns:
            table[c] = pd.NA if c not in ("note", "statistic") else ""
    table = table[TEXT_COLUMNS]
    table["one_tailed"] = table["one_tailed"].fillna(False).astype(bool)
    table.attrs["design"] = design
    if statcheck is not False and len(table):
        from pyvalues.crosscheck.statcheck import add_statcheck_to_text
        from pyvalues.errors import PyvaluesError
        try:
            add_statcheck_to_text(table, text)
        except PyvaluesError:
            if statcheck:
                raise
    return table


def _flt(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def _route_key(r) -> tuple | None:
    tt = r["test_type"]
    if not isinstance(tt, str) or tt in ("bound", "", "df"):
        return None
    v = r["value"]
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if str(r["claim_id"]).endswith("_p") and pd.notna(r.get("p_reported")):
        return ("p", tt, round(abs(float(v)), 6), round(float(r["p_reported"]), 6))
    return ("stat", tt, round(float(v), 6))


def _bound_key(r, text_route: bool) -> tuple | None:
    """Bounds over a set of tests ('all ps > .05'): quantity, bound and relation."""
    rep = str(r["reported"])
    m = re.match(r"^(<=|>=|<|>)\s*(\S+)$", rep)
    if not m:
        return None
    qn = str(r["claim_id"]).rsplit("_", 1)[-1] if text_route else {"p_adj": "p"}.get(r["test_type"], r["test_type"])
    if text_route and r["test_type"] != "bound":
        return None
    if qn not in ("p", "q"):
        return None
    return ("bound", qn, round(float(m.group(2)), 6), m.group(1))


def compare_routes(text_table: pd.DataFrame, claims_table: pd.DataFrame) -> pd.DataFrame:
    """The text route and the claims-file route side by side: one row per level-1 result of
    either route (p rows, test statistics and effect sizes), matched on test type, printed value
    and printed p. Columns: kind, test_type, value, p_reported, text_claim_id, text_verdict,
    claims_claim_id, claims_verdict, agree (True/False; NA when only one route read it)."""
    c1 = claims_table[claims_table["level"] == 1]
    pools: dict = {}
    bounds: dict = {}
    for _, r in c1.iterrows():
        b = _bound_key(r, False)
        if b is not None:
            bounds.setdefault(b, []).append(r)
            continue
        k = _route_key(r)
        if k is not None:
            pools.setdefault(k, []).append(r)
    rows = []
    for _, r in text_table.iterrows():
        b = _bound_key(r, True)
        if b is not None:
            # one printed bound covers the claims rows entered from the same printed statement (one per test)
            pool = bounds.get(b, [])
            cs = [c for c in pool if c["statistic"] == pool[0]["statistic"]] if pool else []
            bounds[b] = [c for c in pool if all(c is not x for x in cs)]
            rows.append({"kind": "bound", "test_type": b[1], "value": b[2], "p_reported": pd.NA,
                         "text_claim_id": r["claim_id"], "text_location": r["location"], "text_verdict": r["verdict"],
                         "claims_claim_id": ";".join(c["claim_id"] for c in cs) or None,
                         "claims_verdict": ";".join(sorted({c["verdict"] for c in cs})) or None,
                         "agree": pd.NA if not cs else all(c["verdict"] == r["verdict"] for c in cs)})
            continue
        k = _route_key(r)
        if k is None:
            continue
        match = pools.get(k, [])
        c = match.pop(0) if match else None
        rows.append({"kind": k[0], "test_type": k[1], "value": r["value"], "p_reported": r["p_reported"],
                     "text_claim_id": r["claim_id"], "text_location": r["location"], "text_verdict": r["verdict"],
                     "claims_claim_id": None if c is None else c["claim_id"],
                     "claims_verdict": None if c is None else c["verdict"],
                     "agree": pd.NA if c is None else bool(c["verdict"] == r["verdict"])})
    for k, rest in list(pools.items()) + [((b[0], b[1]), cs) for b, cs in bounds.items()]:
        for c in rest:
            rows.append({"kind": k[0], "test_type": k[1], "value": c["value"], "p_reported": c["p_reported"],
                         "text_claim_id": None, "text_location": None, "text_verdict": None,
                         "claims_claim_id": c["claim_id"], "claims_verdict": c["verdict"], "agree": pd.NA})
    return pd.DataFrame(rows, columns=["kind", "test_type", "value", "p_reported", "text_claim_id", "text_location",
                                       "text_verdict", "claims_claim_id", "claims_verdict", "agree"])
