"""The report's section on prompt language (issue 12): what the language tables say, or why the
analysis did not run (a table with one prompt language)."""
from __future__ import annotations

import html

import pandas as pd

from .. import schema
from ..results import tables_of

__all__ = ["LANGUAGE_TABLE_INFO", "language_section_html"]

# the language tables' (title, caption), from the output contract
LANGUAGE_TABLE_INFO: dict[str, tuple[str, str]] = {
    n: info for n, info in schema.table_info().items() if n.startswith("language_")}


def _skip_reason(tables) -> str:
    sk = tables.get("skipped")
    if isinstance(sk, pd.DataFrame):
        for r in sk.itertuples(index=False):
            if "language_term_tests" in str(r.analysis):
                return str(r.reason)
    return "the results have no language tables (run the analysis on a table with two prompt languages)"


def language_section_html(results) -> str:
    """``<h2 id="language">`` and its content."""
    from ..results.summary import language_summary_lines

    tables = tables_of(results)
    head = '<h2 id="language">Prompt language</h2>'
    if "language_term_tests" not in tables:
        return (head + '<p class="meta">Not analysed for this data: '
                f'{html.escape(_skip_reason(tables))}.</p>')
    lines = [x.strip() for x in language_summary_lines(tables) if x.strip()]
    intro, items = lines[0], lines[1:]
    links = " ".join(f'<a href="#t-{n}"><code>{n}</code></a>' for n in LANGUAGE_TABLE_INFO if n in tables)
    return (head + f'<p class="desc">{html.escape(intro)}</p><ul>'
            + "".join(f"<li>{html.escape(x)}</li>" for x in items)
            + f'</ul><p class="meta">Tables: {links}; figures L-1 and L-2 below.</p>')
