"""From the collector's JSONL to parsed responses, the tidy rank table and a status summary."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import ParseError, plain
from ..instrument import N_TERMS, TERM_DIMENSION, TERM_NAMES
from .core import STATUSES, Diagnostics, ParsedRanking, parse_ranking

__all__ = ["REQUIRED_KEYS", "INCOMPLETE_POLICIES", "ParsedResponse", "read_responses",
           "parse_responses", "to_rank_table", "status_summary"]

# Keys every attempt record must carry; a successful attempt (status "ok") also needs
# OK_KEYS. Other fields the collector writes are kept but not needed here.
REQUIRED_KEYS = ("model", "language", "replicate", "status")
OK_KEYS = ("country", "response_text")
INCOMPLETE_POLICIES = ("drop", "mean_unused")
NO_RESPONSE = "no_response"


@dataclass
class ParsedResponse:
    """The parsed final answer of one (model, language, replicate) (see :func:`parse_responses`)."""

    model: str
    country: str
    language: str
    replicate: int
    parsed: ParsedRanking | None  # None: no successful attempt
    line: int | None = None  # 1-based line of the attempt parsed
    attempts: int = 0
    followup: int = 0  # follow-up index of the answer parsed (0: the original request's answer)

    @property
    def status(self) -> str:
        return self.parsed.status if self.parsed is not None else NO_RESPONSE


def read_responses(path) -> list[dict]:
    """Read the collector's JSONL (one JSON object per attempt); blank lines are skipped.

    Raises ParseError naming the file and line for a line that is not a JSON object or
    lacks a required key.
    """
    path = Path(path)
    if not path.exists():
        raise ParseError(f"{path}: no such file; pass the responses JSONL written by pyvalues.collect.")
    records = []
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1:
                raw = raw.lstrip("\ufeff")  # a byte-order mark some editors write
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw)
            except ValueError as exc:
                raise ParseError(f"{path}, line {lineno}: not valid JSON ({exc}); each line must be one JSON object.") from exc
            if not isinstance(rec, dict):
                raise ParseError(f"{path}, line {lineno}: expected a JSON object, got {type(rec).__name__}.")
            _check_record(rec, f"{path}, line {lineno}")
            rec["_line"] = lineno
            records.append(rec)
    return records


def _check_record(rec: dict, where: str) -> None:
    missing = [k for k in REQUIRED_KEYS if k not in rec]
    if rec.get("status") == "ok":
        missing += [k for k in OK_KEYS if k not in rec]
    if missing:
        raise ParseError(
            f"{where}: missing required key(s) {missing}; an attempt record needs {list(REQUIRED_KEYS)}"
            f" and, when status is 'ok', {list(OK_KEYS)}. It has {sorted(rec)}."
        )
    if rec.get("status") == "ok" and not isinstance(rec["response_text"], (str, type(None))):
        raise ParseError(f"{where}: response_text of a successful attempt must be a string, "
                         f"got {type(rec['response_text']).__name__}.")
    try:
        rep = int(rec["replicate"])
    except (TypeError, ValueError):
        rep = None
    if rep is None or rep != rec["replicate"] or rep < 1:
        raise ParseError(f"{where}: replicate must be a whole number >= 1, got {plain(rec['replicate'])!r}.")


def _final_answer(ok: list[dict]) -> dict:
    """The final answer among the successful attempts of one (model, language, replicate).

    The collector's re-ask policy stores follow-ups as attempts of their own, with
    ``followup`` (1, 2, ...) and ``followup_of`` (the original request's ``request_key``).
    A conversation is an original request and its follow-ups; the final answer is that of
    the latest conversation (by where it starts in the file) and, in it, of the highest
    follow-up -- the answer that ended the conversation. Records without these fields (older
    exports) are conversations of one, so the last successful attempt counts, as before.
    """
    start: dict = {}
    for i, rec in enumerate(ok):
        start.setdefault(rec.get("followup_of") or rec.get("request_key") or ("line", i), i)

    def rank(item):
        i, rec = item
        conv = rec.get("followup_of") or rec.get("request_key") or ("line", i)
        return (start[conv], int(rec.get("followup") or 0), i)

    return max(enumerate(ok), key=rank)[1]


def parse_responses(source) -> list[ParsedResponse]:
    """Parse the final answer of each (model, language, replicate): its last successful
    attempt, or with the collector's re-ask policy, the last follow-up's (:func:`_final_answer`).

    ``source``: a path to the collector's JSONL or an iterable of attempt dicts (in the
    order they were made). Groups with no successful attempt are returned with
    ``parsed=None`` (status ``no_response``) so that summaries count them.
    """
    if isinstance(source, (str, Path)):
        records = read_responses(source)
    else:
        records = []
        for i, rec in enumerate(source, start=1):
            if not isinstance(rec, dict):
                raise ParseError(f"record {i}: expected a dict, got {type(rec).__name__}.")
            _check_record(rec, f"record {i}")
            records.append(rec)
    groups: dict[tuple, list[dict]] = {}
    for rec in records:
        groups.setdefault((str(rec["model"]), str(rec["language"]), int(rec["replicate"])), []).append(rec)
    out = []
    for (model, language, replicate), recs in groups.items():
        # "refused": the collector's record of a provider's content-filter / safety refusal
        # (a 4xx content-policy error or a 200 stopped as a refusal) -- a final answer too
        ok = [r for r in recs if r.get("status") in ("ok", "refused")]
        country = next((str(r["country"]) for r in reversed(recs) if r.get("country") is not None), "")
        if not ok:
            out.append(ParsedResponse(model, country, language, replicate, None, None, len(recs)))
            continue
        last = _final_answer(ok)
        lang = language if language in ("zh", "en") else "en"
        if last.get("status") == "refused":
            why = str(last.get("error") or "refused by the provider")
            parsed = ParsedRanking({}, "refused", Diagnostics(refusal=why, notes=[f"provider refusal: {why}"]), lang)
            out.append(ParsedResponse(model, str(last["country"]), language, replicate, parsed,
                                      last.get("_line"), len(recs), int(last.get("followup") or 0)))
            continue
        parsed = parse_ranking(last["response_text"] or "", lang, prompt_order=last.get("prompt_order"))
        if last["response_text"] is None:
            parsed.diagnostics.notes.append("response_text was null (an empty message)")
        if last.get("finish_reason") == "length":
            parsed.diagnostics.notes.append("finish_reason 'length': the answer was cut off at the token limit")
        out.append(ParsedResponse(model, str(last["country"]), language, replicate, parsed,
                                  last.get("_line"), len(recs), int(last.get("followup") or 0)))
    return out


def _get(rec, name):
    return getattr(rec, name) if not isinstance(rec, dict) else rec[name]


def to_rank_table(records, policy: str = "drop", *, provenance: str | None = None) -> pd.DataFrame:
    """The tidy rank table of parsed responses.

    ``records``: :class:`ParsedResponse` objects (or dicts with ``model``, ``country``,
    ``language``, ``replicate`` and ``parsed``). Complete and repaired rankings always
    enter the table. ``policy`` decides incomplete ones: ``"drop"`` (default) leaves them
    out; ``"mean_unused"`` keeps them and gives each missing term the mean of the ranks no
    term used (so those ranks are not whole numbers, and ``rank`` is float). Refused and
    unparseable answers never enter. The policy is recorded in
    ``df.attrs["incomplete_policy"]``; ``parse_status`` travels in its own column.
    """
    if policy not in INCOMPLETE_POLICIES:
        raise ValueError(f"policy must be one of {INCOMPLETE_POLICIES}, got {policy!r}")
    rows = []
    for rec in records:
        parsed = _get(rec, "parsed")
        if parsed is None:
            continue
        status = parsed.status
        if status in ("complete", "repaired"):
            ranks = {t: float(r) for t, r in parsed.ranks.items()}
        elif status == "incomplete" and policy == "mean_unused" and parsed.ranks:
            ranks = {t: float(r) for t, r in parsed.ranks.items()}
            unused = sorted(set(range(1, N_TERMS + 1)) - set(parsed.ranks.values()))
            fill = sum(unused) / len(unused)
            for t in TERM_NAMES:
                ranks.setdefault(t, fill)
        else:
            continue
        for t in TERM_NAMES:
            rows.append({
                "model": str(_get(rec, "model")), "country": str(_get(rec, "country")),
                "language": str(_get(rec, "language")), "replicate": int(_get(rec, "replicate")),
                "term": t, "rank": ranks[t], "dimension": TERM_DIMENSION[t], "parse_status": status,
            })
    cols = ["model", "country", "language", "replicate", "term", "rank", "dimension", "parse_status"]
    df = pd.DataFrame(rows, columns=cols)
    if policy == "drop":
        df["rank"] = df["rank"].astype("int64")
    else:
        df["rank"] = df["rank"].astype("float64")
    df["replicate"] = df["replicate"].astype("int64")
    if len(df):
        from ..ranktable import validate

        df = validate(df)
    df.attrs["incomplete_policy"] = policy
    df.attrs["provenance"] = provenance or f"parsed by pyvalues.parse (incomplete_policy={policy})"
    return df


def status_summary(records, by=("model",)) -> pd.DataFrame:
    """Counts of responses by parse status (and ``no_response``), one row per model.

    Columns: the ``by`` keys, ``n``, then one count column per status in
    :data:`~pyvalues.parse.STATUSES` order and ``no_response``.
    """
    by = list(by)
    rows = []
    for rec in records:
        parsed = _get(rec, "parsed")
        rows.append({**{k: _get(rec, k) for k in by},
                     "status": parsed.status if parsed is not None else NO_RESPONSE})
    statuses = list(STATUSES) + [NO_RESPONSE]
    if not rows:
        return pd.DataFrame(columns=by + ["n"] + statuses)
    long = pd.DataFrame(rows)
    wide = (long.groupby(by + ["status"]).size().unstack("status", fill_value=0)
            .reindex(columns=statuses, fill_value=0))
    wide.columns.name = None
    wide.insert(0, "n", wide.sum(axis=1))
    return wide.reset_index()
