"""Prompt language as a factor: does a model value differently when asked in Chinese or English?

The statistics are the R functions of ``R/language.R`` (``wilcox.test``, ``afex::aov_ez``,
``cor``, Kendall's W); these are thin wrappers that convert a rank table to R and the result
back. Only models with rankings in both languages enter the paired statistics; a model with
rankings in one language only is excluded and named in the ``note`` column.

Direction: every difference is the first language minus the second, zh − en for the paper's
two languages (the default whenever both are present; otherwise the table's two codes in
alphabetical order). Lower rank = more important, so a positive difference means the term is
ranked *less* important in the first language.

>>> from pyvalues import analysis, datasets
>>> tab = datasets.load("language_simulation")            # SIMULATED two-language table
>>> analysis.language_term_tests(tab).head()               # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .. import rbridge, schema
from ..errors import PyvaluesError
from ..results.summary import language_summary_lines, largest_shifts  # noqa: F401  (re-exported)
from .api import checked

__all__ = [
    "LANGUAGE_TABLES",
    "language_term_tests",
    "language_dimension_tests",
    "language_anova",
    "language_consistency",
    "language_consistency_summary",
    "select_language",
    "languages_of",
    "largest_shifts",
    "language_summary_lines",
]

# the tables pv_analyse() adds for a table with two prompt languages, in reading order
LANGUAGE_TABLES = [
    "language_term_tests",
    "language_dimension_tests",
    "language_anova",
    "language_consistency",
    "language_consistency_summary",
]


def _validated(table: pd.DataFrame) -> pd.DataFrame:
    from . import _table

    return _table(table)


def _languages_arg(languages: Sequence[str] | None):
    if languages is None:
        return None
    languages = [str(x) for x in languages]
    if len(languages) != 2:
        raise PyvaluesError(f"languages must be two language codes, first one first (e.g. ('zh', 'en')); got {languages}")
    return languages


@checked
def language_term_tests(table: pd.DataFrame, *, languages: Sequence[str] | None = None) -> pd.DataFrame:
    """Per term, the paired Wilcoxon signed-rank test of the models' mean rank in one prompt
    language against the other (R: ``pyvalues::pv_language_term_tests()``).

    Parameters
    ----------
    table : DataFrame
        A rank table (:mod:`pyvalues.ranktable`) with rankings in two languages.
    languages : pair of str, optional
        The two language codes, first one first. Default ``("zh", "en")`` when both are
        present, else the table's two codes in alphabetical order.

    Returns
    -------
    DataFrame, one row per term (25), columns:

    ``term``, ``dimension``
        the term and its dimension.
    ``n_models``
        models with rankings in both languages (the pairs).
    ``mean_zh``, ``mean_en``
        (named ``mean_<code>`` by the two codes, first one first) the mean over the paired
        models of the model's mean rank of the term in that language; a model's mean is its
        integer rank sum over its rankings in the language divided once by their number.
    ``median_diff``
        median over models of (first − second); > 0: less important in the first language.
    ``V``, ``p``
        ``wilcox.test(first, second, paired = TRUE)`` with R's default variant: V, the sum
        of the ranks of the positive differences, and the two-sided p.
    ``q``
        Benjamini–Hochberg over the 25 terms.
    ``r_rb``
        matched-pairs rank-biserial correlation (T+ − T−) / (T+ + T−) over the non-zero
        differences, in [−1, 1], same sign as ``median_diff``; NA when every difference is 0.
    ``method``
        the variant R used (exact, or normal approximation with continuity correction).
    ``note``
        models excluded for having one language only; 0/0 cases.

    Examples
    --------
    >>> from pyvalues import analysis, datasets                     # doctest: +SKIP
    >>> analysis.language_term_tests(datasets.load("language_simulation"))  # doctest: +SKIP
    """
    return rbridge.call("pv_language_term_tests", _validated(table), languages=_languages_arg(languages))


@checked
def language_dimension_tests(table: pd.DataFrame, *, languages: Sequence[str] | None = None) -> pd.DataFrame:
    """Per dimension, the paired Wilcoxon signed-rank test of the models' dimension scores in
    one prompt language against the other (R: ``pyvalues::pv_language_dimension_tests()``).

    A model's dimension score in a language is the sum of its ranks on the dimension's five
    terms over its rankings in that language, divided once by 5 × their number.

    Parameters
    ----------
    table : DataFrame
        A rank table with rankings in two languages.
    languages : pair of str, optional
        As in :func:`language_term_tests`.

    Returns
    -------
    DataFrame, one row per dimension (5), as in :func:`language_term_tests`, with ``q``
    Benjamini–Hochberg over the five dimensions (the columns, from :mod:`pyvalues.schema`):

    """
    return rbridge.call("pv_language_dimension_tests", _validated(table), languages=_languages_arg(languages))


language_dimension_tests.__doc__ = (language_dimension_tests.__doc__.rstrip(" ")
                                    + schema.returns_doc("language_dimension_tests"))


@checked
def language_anova(table: pd.DataFrame, *, languages: Sequence[str] | None = None) -> pd.DataFrame:
    """Mixed ANOVA of the dimension scores: country (between) × language × dimension (within)
    (R: ``pyvalues::pv_language_anova()``, ``afex::aov_ez``, Type III, sum contrasts).

    Parameters
    ----------
    table : DataFrame
        A rank table with rankings in two languages; models with one language are excluded
        (named in ``note``).
    languages : pair of str, optional
        As in :func:`language_term_tests`.

    Returns
    -------
    DataFrame, one row per effect, in the order ``country, language, dimension,
    country:language, country:dimension, language:dimension, country:language:dimension``:

    ``effect``, ``df1``, ``df2``, ``F``, ``p``
        afex's uncorrected F test.
    ``pes``
        partial eta squared.
    ``gg_eps``, ``p_gg``
        Greenhouse–Geisser epsilon and corrected p (effects with ``dimension``).
    ``note``
        complete rankings make every model's five scores in each language average 13, so
        the effects without ``dimension`` are 0/0: their F, p, pes are NA and the note says
        so; excluded models; afex's warnings.
    """
    return rbridge.call("pv_language_anova", _validated(table), languages=_languages_arg(languages))


@checked
def language_consistency(table: pd.DataFrame, *, languages: Sequence[str] | None = None) -> pd.DataFrame:
    """Per model, how similar its priorities are across the two prompt languages, and how
    consistent its rankings are within each (R: ``pyvalues::pv_language_consistency()``).

    Parameters
    ----------
    table : DataFrame
        A rank table with rankings in two languages.
    languages : pair of str, optional
        As in :func:`language_term_tests`.

    Returns
    -------
    DataFrame, one row per model, columns:

    ``model``, ``country``
    ``spearman``, ``kendall``
        Spearman's rho and Kendall's tau-b (``stats::cor``) between the model's 25 term
        means in the first language and in the second; NA for a model with one language.
    ``W_zh``, ``W_en``
        (``W_<code>``) Kendall's W among the model's rankings within that language (Friedman
        chi-square / (m (n − 1))); NA with fewer than two rankings in it.
    ``n_zh``, ``n_en``
        (``n_<code>``) the number of the model's rankings in that language.
    ``note``
        why a value is missing.
    """
    return rbridge.call("pv_language_consistency", _validated(table), languages=_languages_arg(languages))


@checked
def language_consistency_summary(table: pd.DataFrame, *, languages: Sequence[str] | None = None,
                                 nboot: int = 10000, seed: int = 2026) -> pd.DataFrame:
    """Per country (and ``all``), the mean cross-language rank correlation of the models, with
    a bootstrap CI over models (R: ``pyvalues::pv_language_consistency_summary()``).

    Parameters
    ----------
    table : DataFrame
        A rank table with rankings in two languages.
    languages : pair of str, optional
        As in :func:`language_term_tests`.
    nboot : int
        bootstrap resamples of the models (the independent unit).
    seed : int
        seed of the bootstrap.

    Returns
    -------
    DataFrame, one row per group and method, columns ``group`` (a country or ``all``),
    ``method`` (``spearman``, ``kendall``), ``n_models`` (models with both languages),
    ``mean``, ``sd``, ``ci_low``, ``ci_high`` (95 % percentile bootstrap of the mean).
    """
    return rbridge.call("pv_language_consistency_summary", _validated(table), languages=_languages_arg(languages),
                        nboot=int(nboot), seed=int(seed))


def languages_of(table: pd.DataFrame) -> list[str]:
    """The table's prompt-language codes, zh and en first when present, then the others sorted."""
    present = sorted(set(map(str, table["language"].unique())))
    return [x for x in ("zh", "en") if x in present] + [x for x in present if x not in ("zh", "en")]


def select_language(table: pd.DataFrame, language: str) -> pd.DataFrame:
    """The rankings of `table` in one prompt language, provenance kept and the choice stated.

    Raises :class:`~pyvalues.errors.PyvaluesError` naming the languages present when the
    table has no ranking in `language`."""
    present = languages_of(table)
    if language not in present:
        raise PyvaluesError(
            f"prompt language {language!r}: the table has no rankings in it; its languages are "
            f"{', '.join(present)} (choose one of them, e.g. --prompt-language {present[0]})"
        )
    out = table[table["language"].astype(str) == language].reset_index(drop=True)
    out.attrs = dict(table.attrs)
    out.attrs.pop("validated", None)
    prov = table.attrs.get("provenance", "user data")
    out.attrs["provenance"] = f"{prov} [only the rankings with prompt language {language!r}]"
    return out
