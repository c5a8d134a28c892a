"""Parse free-text answers to the ranking prompt (English and Chinese) into rankings.

:func:`parse_ranking` reads one answer and returns a :class:`ParsedRanking` (ranks, a
status and diagnostics that say what was matched and how); :func:`parse_responses` reads
the collector's JSONL; :func:`to_rank_table` turns parsed responses into the tidy rank
table; :func:`status_summary` counts statuses per model; :func:`followup_prompt` writes the
re-ask message the collector may send for an incomplete answer.

Run ``python -m pyvalues.parse RESPONSES.jsonl`` to re-parse stored responses.
"""
from __future__ import annotations

from .core import (REFUSAL_PHRASES, REVERSE_PHRASES, STATUSES, Diagnostics, ParsedRanking,
                   TermMatch, parse_ranking)
from .followup import followup_for_answer, followup_prompt
from .table import (INCOMPLETE_POLICIES, ParsedResponse, parse_responses, read_responses,
                    status_summary, to_rank_table)
from .terms import FUZZY_THRESHOLD, VARIANTS

__all__ = [
    "parse_ranking",
    "ParsedRanking",
    "Diagnostics",
    "TermMatch",
    "STATUSES",
    "REFUSAL_PHRASES",
    "REVERSE_PHRASES",
    "VARIANTS",
    "FUZZY_THRESHOLD",
    "followup_prompt",
    "followup_for_answer",
    "read_responses",
    "parse_responses",
    "ParsedResponse",
    "to_rank_table",
    "status_summary",
    "INCOMPLETE_POLICIES",
]
