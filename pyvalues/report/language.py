"""The report's section on prompt language (issue 12): what the language tables say, or why the
analysis did not run (a table with one prompt language)."""
from __future__ import annotations

import html

import pandas as pd

from ..analysis.access import tables_of

__all__ = ["LANGUAGE_TABLE_INFO", "language_section_html"]

LANGUAGE_TABLE_INFO: dict[str, tuple[str, str]] = {
    "language_term_tests": ("Prompt language: paired tests per term",
                            "Per term, over the models with rankings in both languages: mean rank in each "
                            "language, wilcox.test(first, second, paired = TRUE) (R's default variant), BH q over "
                            "25 terms, median difference first − second and matched-pairs rank-biserial r "
                            "(> 0: less important in the first language, zh − en for the paper's two) (Fig. L-1)."),
    "language_dimension_tests": ("Prompt language: paired tests per dimension",
                                 "As per term, for the dimension scores (rank sum over the 5 terms divided once "
                                 "by 5 × rankings in the language); BH q over 5 dimensions."),
    "language_anova": ("Prompt language: mixed ANOVA country × language × dimension",
                       "afex aov_ez, Type III, country between, language and dimension within models; "
                       "Greenhouse–Geisser beside the uncorrected F. Effects without dimension are 0/0 with "
                       "complete rankings (NA, note)."),
    "language_consistency": ("Prompt language: each model's consistency",
                             "Spearman ρ and Kendall τ-b between the model's term means in the two languages; "
                             "Kendall's W within each language (Fig. L-2)."),
    "language_consistency_summary": ("Prompt language: cross-language correlation by country",
                                     "Mean over models, SD, 95% percentile bootstrap CI resampling models."),
}


def _skip_reason(tables) -> str:
    sk = tables.get("skipped")
    if isinstance(sk, pd.DataFrame):
        for r in sk.itertuples(index=False):
            if "language_term_tests" in str(r.analysis):
                return str(r.reason)
    return "the results have no language tables (run the analysis on a table with two prompt languages)"


def language_section_html(results) -> str:
    """``<h2 id="language">`` and its content."""
    from ..analysis.language import language_summary_lines

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
