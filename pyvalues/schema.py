"""The output contract, declared once: every table an analysis run returns.

Each :class:`Table` says what one row is, its columns (name, type, meaning), the paper's
figure or table it reproduces, when it is present, and which of its statistics the
``parity`` table compares with their Python twins. Everything else reads from here:

* the README's output-contract table (generated between ``<!-- contract:start -->`` and
  ``<!-- contract:end -->``: ``python -m pyvalues.schema --write README.md``; a test fails
  when README and schema differ),
* :data:`pyvalues.analysis.TABLES` (the order a reader meets the tables),
* the report's captions (:data:`pyvalues.report.TABLE_INFO`),
* the parity specs (:func:`parity_specs`),
* the Returns section of each Python analysis function's docstring (:func:`returns_doc`),
* the test that R's ``pv_analyse()`` returns exactly these columns.
* the R help's column lists (``@return`` of each R function: ``man-roxygen/return-*.R``,
  written by ``data-raw/make_r_return_docs.py``; a test checks them and ``man/*.Rd``).

This module imports nothing beyond the standard library (no R, no pandas, no matplotlib).

Column names may hold placeholders for the prompt languages compared (``{lang1}``,
``{lang2}``: ``zh``, ``en`` for the paper's two) or one column per language of the table
(``{lang}``); :func:`column_names` expands them.

``since`` marks a table or column that a change under review adds (its issue, e.g.
``since="issue 10"``) while its R side lives on that issue's branch (none at present);
``renamed_from`` gives a column's name before such a change. :func:`column_names` with
``pending=False`` gives the contract without them (what R returns before that branch is
merged), so the R-columns test can tell "not merged yet" from a wrong column.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Column", "Table", "TABLES", "CONDITIONS", "BESIDE", "table", "names", "column_names",
           "parity_specs", "table_info", "returns_doc", "contract_markdown", "update_readme",
           "MARK_START", "MARK_END"]

DTYPES = ("str", "int", "float", "bool")

# when a conditional table is present (key -> README wording)
CONDITIONS = {
    None: "always",
    "two_models": "≥ 2 models",
    "three_models": "≥ 3 models",
    "two_groups": "two groups compared",
    "two_languages": "two prompt languages",
    "parity": "`parity=True` (default)",
    "paper": "compared with a paper",
}


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    meaning: str
    parity: bool = False              # compared with its Python twin in `parity`
    condition: str | None = None      # a column present only then (key of CONDITIONS)
    since: str | None = None          # added by a change under review (issue)
    renamed_from: str | None = None   # its name before that change

    def __post_init__(self):
        if self.dtype not in DTYPES:
            raise ValueError(f"column {self.name}: dtype {self.dtype!r} not one of {DTYPES}")


@dataclass(frozen=True)
class Table:
    name: str
    row: str                          # what one row is
    title: str                        # heading (report)
    description: str                  # what it holds (report caption, docstring)
    columns: tuple[Column, ...]
    paper: str = ""                   # the paper's figure / table
    note: str = ""                    # short remark in the README row
    condition: str | None = None      # key of CONDITIONS
    source: str = "R"                 # "R": pv_analyse(); "Python": computed by pyvalues in Python
    parity_keys: tuple[str, ...] = () # key columns of the parity comparison
    folded: bool = False              # long table: the report starts it folded
    since: str | None = None

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name} has no column {name!r}")


def C(name, dtype, meaning, **kw) -> Column:  # noqa: N802  (short constructor for the declarations)
    return Column(name, dtype, meaning, **kw)


# -- shared column groups --------------------------------------------------------------
def _anova_columns(within_note: str, parity: bool = True) -> tuple[Column, ...]:
    return tuple(Column(c.name, c.dtype, c.meaning, parity=parity and c.parity) for c in (
        C("effect", "str", "the ANOVA effect"),
        C("df1", "float", "numerator degrees of freedom (uncorrected)", parity=True),
        C("df2", "float", "denominator degrees of freedom (uncorrected)", parity=True),
        C("F", "float", "F statistic; NA where the effect is 0/0 (note says why)", parity=True),
        C("p", "float", "p-value of the uncorrected F", parity=True),
        C("pes", "float", "partial eta squared", parity=True),
        C("gg_eps", "float", f"Greenhouse-Geisser epsilon ({within_note})", parity=True),
        C("p_gg", "float", f"Greenhouse-Geisser corrected p ({within_note})", parity=True),
        C("note", "str", "why a value is NA, or afex's warnings; empty otherwise"),
    ))


_WITHIN = "within-model effects only"
_G12 = (
    C("group1", "str", "the first group compared (a country)"),
    C("group2", "str", "the second group compared"),
)


def _lang_paired(*first: Column) -> tuple[Column, ...]:
    return first + (
        C("n_models", "int", "models with rankings in both languages (the pairs)"),
        C("mean_{lang1}", "float", "mean over the paired models of their mean rank in the first language"),
        C("mean_{lang2}", "float", "the same in the second language"),
        C("median_diff", "float", "median over models of (first - second language); > 0: less important in the "
                                  "first"),
        C("V", "float", "wilcox.test(first, second, paired = TRUE) statistic V"),
        C("p", "float", "p-value of the paired Wilcoxon signed-rank test (R's default variant)"),
        C("q", "float", "Benjamini-Hochberg q"),
        C("r_rb", "float", "matched-pairs rank-biserial correlation (Kerby 2014); > 0: less important in the "
                           "first language"),
        C("method", "str", "the wilcox.test variant used"),
        C("note", "str", "models excluded (one language only) or why a value is NA"),
    )


# -- the tables, in the order a reader meets them --------------------------------------
TABLES: tuple[Table, ...] = (
    Table(
        "term_means", "term", "Term mean ranks",
        "Mean rank of each term over models; order 1 = most important.",
        (
            C("term", "str", "the value term"),
            C("dimension", "str", "its dimension"),
            C("mean_rank", "float", "mean over models of the model's mean rank (lower = more important)",
              parity=True),
            C("sd", "float", "SD over models of the model's mean rank"),
            C("min", "float", "lowest model mean rank"),
            C("max", "float", "highest model mean rank"),
            C("n_models", "int", "number of models"),
            C("order", "int", "position by mean rank (1 = most important)"),
        ),
        paper="Fig. 1", parity_keys=("term",),
    ),
    Table(
        "dimension_means", "dimension", "Dimension mean ranks",
        "Mean over models of the dimension scores and of the within-dimension SD ('Consensus within "
        "categories').",
        (
            C("dimension", "str", "the dimension"),
            C("mean_score", "float", "mean over models of the dimension score (mean rank of its 5 terms)",
              parity=True),
            C("sd_score", "float", "SD over models of the dimension score"),
            C("min_score", "float", "lowest model score"),
            C("max_score", "float", "highest model score"),
            C("mean_sd_within", "float", "mean over models of the SD of the dimension's 5 term means "
                                         "(the paper's 'mean SD')", parity=True),
            C("n_models", "int", "number of models"),
            C("order", "int", "position by mean score (1 = most important)"),
        ),
        paper="Fig. 2", parity_keys=("dimension",),
    ),
    Table(
        "primary_secondary", "model", "Primary and Secondary dimension per model",
        "Each model's most and second most important dimension; tie = TRUE when scores are tied.",
        (
            C("model", "str", "the model"),
            C("country", "str", "its country (group)"),
            C("primary", "str", "dimension with the lowest score"),
            C("primary_score", "float", "its score"),
            C("secondary", "str", "dimension with the second lowest score"),
            C("secondary_score", "float", "its score"),
            C("tie", "bool", "TRUE when the first and second, or second and third, lowest scores are equal"),
        ),
        folded=True,
    ),
    Table(
        "primary_secondary_counts", "dimension", "Primary and Secondary dimensions: counts",
        "How many models have each dimension as Primary and as Secondary.",
        (
            C("dimension", "str", "the dimension"),
            C("primary", "int", "number of models with it as Primary"),
            C("secondary", "int", "number of models with it as Secondary"),
        ),
        paper="Fig. 3",
    ),
    Table(
        "dispersion_anova", "effect", "Within-dimension dispersion: repeated-measures ANOVA",
        "afex, id = model, within = dimension, of the within-dimension SD; uncorrected and Greenhouse-Geisser.",
        _anova_columns(_WITHIN),
        note="afex, Type III, uncorrected F and Greenhouse–Geisser", condition="two_models",
        parity_keys=("effect",),
    ),
    Table(
        "dispersion_posthoc", "pair of dimensions", "Within-dimension dispersion: post hoc",
        "Pairwise paired t tests of the within-dimension SD, Bonferroni.",
        (
            C("group1", "str", "first dimension of the pair"),
            C("group2", "str", "second dimension of the pair"),
            C("n", "int", "number of models (pairs of values)"),
            C("mean_diff", "float", "mean of (group1 - group2) SD", parity=True),
            C("statistic", "float", "paired t", parity=True),
            C("df", "float", "degrees of freedom", parity=True),
            C("p", "float", "p-value (rounded to 3 significant digits, as rstatix)", parity=True),
            C("p_adj", "float", "Bonferroni-adjusted p (rounded as rstatix)", parity=True),
            C("method", "str", "the test"),
        ),
        note="paired t, Bonferroni", condition="two_models", parity_keys=("group1", "group2"),
    ),
    Table(
        "group_top_bottom", "group × end × position", "Top-5 and Bottom-5 terms by group",
        "Each country's five most and five least important terms.",
        (
            C("group", "str", "the country"),
            C("end", "str", "'top' (most important) or 'bottom'"),
            C("position", "int", "1 = the extreme"),
            C("term", "str", "the term"),
            C("dimension", "str", "its dimension"),
            C("mean_rank", "float", "the group's mean rank of the term"),
        ),
        paper="Fig. 4",
    ),
    Table(
        "dimension_tests", "dimension", "Group tests per dimension",
        "Model dimension scores of group1 against group2: Mann-Whitney U (R defaults), Welch t, Hedges' g, "
        "BH q over the 5 dimensions. Signed effects are positive when group1 ranks the dimension as more "
        "important.",
        (C("dimension", "str", "the dimension"),) + _G12 + (
            C("n1", "int", "models in group1"),
            C("n2", "int", "models in group2"),
            C("median1", "float", "median score in group1"),
            C("median2", "float", "median score in group2"),
            C("mean1", "float", "mean score in group1"),
            C("sd1", "float", "SD of the scores in group1"),
            C("mean2", "float", "mean score in group2"),
            C("sd2", "float", "SD of the scores in group2"),
            C("U", "float", "wilcox.test(x = group1, y = group2) statistic W, as R reports it", parity=True),
            C("p_mwu", "float", "Mann-Whitney p (exact without ties and n < 50, else normal approximation)",
              parity=True),
            C("q_mwu", "float", "BH q of p_mwu over the 5 dimensions", parity=True),
            C("r_rb", "float", "rank-biserial correlation; > 0: group1 ranks the dimension as more important",
              parity=True),
            C("t", "float", "Welch's t, minus t.test(x = group1, y = group2); > 0: group1 ranks it as more "
                            "important", parity=True),
            C("df", "float", "Welch's degrees of freedom", parity=True),
            C("p_welch", "float", "Welch p", parity=True),
            C("q_welch", "float", "BH q of p_welch over the 5 dimensions", parity=True),
            C("hedges_g", "float", "Hedges' g (pooled SD, exact small-sample correction), same direction as t",
              parity=True),
            C("method", "str", "the wilcox.test variant used"),
        ),
        note="`1` = `group1`, `2` = `group2`", condition="two_groups", parity_keys=("dimension",),
    ),
    Table(
        "mixed_anova", "effect", "Mixed ANOVA: country x dimension",
        "afex aov_ez, Type III, sum contrasts, of the dimension scores: country between, dimension within "
        "models.",
        _anova_columns(_WITHIN),
        note="effects `country`, `dimension`, `country:dimension`", condition="two_groups",
        parity_keys=("effect",),
    ),
    Table(
        "term_tests", "term", "Group tests per term",
        "Model term means of group1 against group2: Brunner-Munzel, asymptotic p (NA where undefined, see "
        "note) and studentized permutation p_perm (recommended with groups under 10 models), BH q of each over "
        "the 25 terms; Cliff's delta; positive = group1 ranks the term as more important.",
        (
            C("term", "str", "the term"),
            C("dimension", "str", "its dimension"),
            C("group1", "str", "the first group compared"),
            C("group2", "str", "the second group compared"),
            C("n1", "int", "models in group1"),
            C("n2", "int", "models in group2"),
            C("statistic", "float", "Brunner-Munzel statistic; > 0: group1 ranks the term as more important",
              parity=True),
            C("df", "float", "its degrees of freedom", parity=True),
            C("p", "float", "asymptotic Brunner-Munzel p; NA where undefined (note says why)", parity=True),
            C("q", "float", "BH q of p over the terms that have a p", parity=True),
            C("p_perm", "float", "studentized permutation p (Neubert & Brunner 2007)"),
            C("q_perm", "float", "BH q of p_perm over the 25 terms"),
            C("n_perm", "int", "splits used: all (exact) or the Monte Carlo draws"),
            C("p_perm_mcse", "float", "Monte Carlo standard error of p_perm (0 when exact)"),
            C("cliffs_delta", "float", "Cliff's delta = P(group1 < group2) - P(group1 > group2) on ranks; > 0: "
                                       "group1 ranks the term as more important", parity=True),
            C("estimate", "float", "Brunner-Munzel estimate P(group1 < group2) + 0.5 P(group1 = group2); > 0.5: group1 "
                                   "ranks the term as more important", parity=True),
            C("method", "str", "the implementation used"),
            C("note", "str", "why p is NA, empty otherwise"),
        ),
        paper="Fig. A-2", condition="two_groups", parity_keys=("term",),
    ),
    Table(
        "correlations", "group × method", "Pairwise similarity by group",
        "Spearman rho and Kendall tau-b between models: per country and over all pairs, the mean, SD and "
        "95% CIs (bootstrap over models; the naive bootstrap over pairs; t interval).",
        (
            C("group", "str", "a country, or 'all'"),
            C("method", "str", "'spearman' or 'kendall'"),
            C("n_models", "int", "models in the group"),
            C("n_pairs", "int", "pairs of models"),
            C("mean", "float", "mean pairwise coefficient", parity=True),
            C("sd", "float", "SD of the pairwise coefficients", parity=True),
            C("ci_low", "float", "95% CI lower bound (percentile bootstrap over models)", parity=True),
            C("ci_high", "float", "95% CI upper bound", parity=True),
            C("ci_method", "str", "how the CI was computed"),
            C("ci_low_pairs", "float", "naive 95% CI over pairs as if independent: lower", parity=True),
            C("ci_high_pairs", "float", "naive 95% CI over pairs: upper", parity=True),
            C("ci_low_t", "float", "t interval over pairs: lower", parity=True),
            C("ci_high_t", "float", "t interval over pairs: upper", parity=True),
        ),
        paper="Fig. 5", condition="two_models", parity_keys=("group", "method"),
    ),
    Table(
        "cohesion_test", "method", "Is one group more cohesive?",
        "Difference of the two groups' mean within-group correlation, permutation p (country labels "
        "reassigned across models) and model-bootstrap CI.",
        (C("method", "str", "'spearman' or 'kendall'"),) + _G12 + (
            C("n1", "int", "models in group1"),
            C("n2", "int", "models in group2"),
            C("mean1", "float", "mean within-group correlation of group1", parity=True),
            C("mean2", "float", "mean within-group correlation of group2", parity=True),
            C("diff", "float", "mean1 - mean2 (> 0: group1 more cohesive)", parity=True),
            C("ci_low", "float", "95% CI of diff (bootstrap over models within each group): lower",
              parity=True),
            C("ci_high", "float", "upper", parity=True),
            C("p_perm", "float", "two-sided permutation p", parity=True),
            C("n_perm", "int", "splits used: all (exact) or the Monte Carlo draws"),
            C("note", "str", "exact or Monte Carlo"),
        ),
        paper="Fig. 5's claim", condition="two_groups", parity_keys=("method",),
    ),
    Table(
        "correlation_pairs", "pair of models", "Pairwise similarity: every pair",
        "Spearman rho and Kendall tau-b between two models' 25 term means.",
        (
            C("model1", "str", "first model"),
            C("model2", "str", "second model"),
            C("country1", "str", "country of model1"),
            C("country2", "str", "country of model2"),
            C("pair_group", "str", "the country when both share it, else 'between'"),
            C("spearman", "float", "Spearman's rho", parity=True),
            C("kendall", "float", "Kendall's tau-b", parity=True),
        ),
        condition="two_models", parity_keys=("model1", "model2"), folded=True,
    ),
    Table(
        "clusters", "model", "Clusters",
        "pvclust (1 - Pearson r, average linkage), cut into k clusters numbered left to right; order = "
        "dendrogram order.",
        (
            C("model", "str", "the model"),
            C("country", "str", "its country"),
            C("cluster", "int", "cluster number, left to right in the dendrogram", parity=True),
            C("order", "int", "position in the dendrogram"),
        ),
        paper="Fig. 6, 7", condition="three_models", parity_keys=("model",),
    ),
    Table(
        "cluster_edges", "merge of the tree", "Dendrogram merges with AU/BP",
        "hclust merge (negative = model), height, pvclust AU/BP.",
        (
            C("edge", "int", "merge number"),
            C("left", "int", "as hclust$merge: negative = a model's column index, positive = an earlier edge"),
            C("right", "int", "the other side, as left"),
            C("height", "float", "merge height (distance)", parity=True),
            C("au", "float", "approximately unbiased p-value (pvclust)"),
            C("bp", "float", "bootstrap probability (pvclust)"),
            C("se_au", "float", "standard error of au"),
            C("se_bp", "float", "standard error of bp"),
        ),
        paper="Fig. 6", note="as `hclust$merge`", condition="three_models", parity_keys=("edge",),
        folded=True,
    ),
    Table(
        "archetypes", "cluster × position", "Cluster archetypes",
        "Each cluster's five terms with the lowest mean rank.",
        (
            C("cluster", "int", "cluster number"),
            C("n_models", "int", "models in the cluster"),
            C("members", "str", "its models, comma-separated"),
            C("position", "int", "1 = the cluster's most important term"),
            C("term", "str", "the term"),
            C("dimension", "str", "its dimension"),
            C("mean_rank", "float", "the cluster's mean rank of the term"),
        ),
        paper="Fig. 7", condition="three_models", folded=True,
    ),
    Table(
        "concordance", "model", "Within-model concordance",
        "Kendall's W over each model's rankings, Friedman chi-square.",
        (
            C("model", "str", "the model"),
            C("country", "str", "its country"),
            C("n_replicates", "int", "m, the number of the model's rankings"),
            C("W", "float", "Kendall's W = chisq / (m (n - 1)); NA with one ranking", parity=True),
            C("W_{lang}", "float", "Kendall's W among the model's rankings in that language",
              condition="two_languages"),
            C("chisq", "float", "Friedman chi-square", parity=True),
            C("df", "float", "its degrees of freedom (n - 1)", parity=True),
            C("p", "float", "Friedman p", parity=True),
            C("note", "str", "why a value is NA"),
        ),
        paper="Table A-1, Fig. A-1", parity_keys=("model",),
    ),
    Table(
        "language_term_tests", "term", "Prompt language: paired tests per term",
        "Per term, over the models with rankings in both languages: mean rank in each language, "
        "wilcox.test(first, second, paired = TRUE) (R's default variant), BH q over 25 terms, median "
        "difference first − second and matched-pairs rank-biserial r (> 0: less important in the first "
        "language, zh − en for the paper's two).",
        _lang_paired(C("term", "str", "the term"), C("dimension", "str", "its dimension")),
        paper="Fig. L-1", condition="two_languages",
    ),
    Table(
        "language_dimension_tests", "dimension", "Prompt language: paired tests per dimension",
        "As per term, for the dimension scores (rank sum over the 5 terms divided once by 5 × rankings in "
        "the language); BH q over 5 dimensions.",
        _lang_paired(C("dimension", "str", "the dimension")),
        condition="two_languages",
    ),
    Table(
        "language_anova", "effect", "Prompt language: mixed ANOVA country × language × dimension",
        "afex aov_ez, Type III, country between, language and dimension within models; Greenhouse–Geisser "
        "beside the uncorrected F. Effects without dimension are 0/0 with complete rankings (NA, note).",
        _anova_columns(_WITHIN, parity=False),
        note="effects `country, language, dimension, country:language, country:dimension, language:dimension, "
             "country:language:dimension`",
        condition="two_languages",
    ),
    Table(
        "language_consistency", "model", "Prompt language: each model's consistency",
        "Spearman ρ and Kendall τ-b between the model's term means in the two languages; Kendall's W "
        "within each language.",
        (
            C("model", "str", "the model"),
            C("country", "str", "its country"),
            C("spearman", "float", "Spearman's rho between its term means in the two languages"),
            C("kendall", "float", "Kendall's tau-b, likewise"),
            C("W_{lang1}", "float", "Kendall's W among its rankings in the first language"),
            C("W_{lang2}", "float", "the same in the second language"),
            C("n_{lang1}", "int", "its rankings in the first language"),
            C("n_{lang2}", "int", "its rankings in the second language"),
            C("note", "str", "why a value is NA (e.g. one language only)"),
        ),
        paper="Fig. L-2", condition="two_languages",
    ),
    Table(
        "language_consistency_summary", "group × method", "Prompt language: cross-language correlation by "
        "country",
        "Mean over models of the cross-language coefficient, SD, 95% percentile bootstrap CI resampling models.",
        (
            C("group", "str", "a country, or 'all'"),
            C("method", "str", "'spearman' or 'kendall'"),
            C("n_models", "int", "models"),
            C("mean", "float", "mean cross-language coefficient"),
            C("sd", "float", "its SD over models"),
            C("ci_low", "float", "95% CI lower bound (bootstrap over models)"),
            C("ci_high", "float", "95% CI upper bound"),
        ),
        condition="two_languages",
    ),
    Table(
        "model_term_means", "model × term", "Term means per model",
        "Integer rank sum over the model's rankings, divided once.",
        (
            C("model", "str", "the model"),
            C("country", "str", "its country"),
            C("term", "str", "the term"),
            C("dimension", "str", "its dimension"),
            C("n_rankings", "int", "the model's rankings (replicates × languages)"),
            C("rank_sum", "int", "sum of the term's ranks over them"),
            C("mean_rank", "float", "rank_sum / n_rankings"),
        ),
        folded=True,
    ),
    Table(
        "model_dimension_scores", "model × dimension", "Dimension scores per model",
        "Mean rank of the dimension's 5 terms; sd_within = SD of the 5 term means.",
        (
            C("model", "str", "the model"),
            C("country", "str", "its country"),
            C("dimension", "str", "the dimension"),
            C("score", "float", "rank sum over the 5 terms / (5 × rankings)"),
            C("sd_within", "float", "SD of the model's 5 term means (within-dimension dispersion)"),
        ),
        folded=True,
    ),
    Table(
        "groups_compared", "(one row)", "Groups compared",
        "Which two countries the group comparisons use, and by what rule.",
        _G12 + (
            C("n1", "int", "models in group1"),
            C("n2", "int", "models in group2"),
            C("rule", "str", "how the two were chosen (given, or the two with most models)"),
        ),
        condition="two_groups",
    ),
    Table(
        "parity", "statistic", "Parity: R against the Python twins",
        "Each inferential statistic from R beside its Python twin.",
        (
            C("table", "str", "result table"),
            C("row", "str", "the row's key values, ' / '-joined"),
            C("statistic", "str", "the column compared"),
            C("r_value", "float", "R's value"),
            C("python_value", "float", "the Python twin's value"),
            C("abs_diff", "float", "|r - python|"),
            C("rel_diff", "float", "|r - python| / max(|r|, |python|)"),
            C("same_method", "bool", "both sides implement the same method"),
            C("comparable", "bool", "held to the tolerance (false: different conventions or RNGs, note says)"),
            C("agrees", "bool", "rel_diff <= 1e-8 (or abs_diff <= 1e-12 for non-p statistics)"),
            C("note", "str", "why a row is not comparable"),
        ),
        condition="parity", source="Python",
    ),
    Table(
        "paper_agreement", "reported value", "Agreement with the paper",
        "Each value the paper reports beside ours, with its rounding interval and whether ours is inside.",
        (
            C("claim_id", "str", "the claim's id in the claims file"),
            C("table", "str", "result table"),
            C("row", "str", "the row(s) it refers to"),
            C("column", "str", "the column compared"),
            C("statistic", "str", "what the paper reports"),
            C("reported", "str", "the value as printed (with its relation, e.g. '< 0.001')"),
            C("reported_low", "float", "lower end of the interval the printed value stands for"),
            C("reported_high", "float", "upper end"),
            C("value", "float", "our value"),
            C("agrees", "bool", "ours inside [reported_low, reported_high]; NA where ours is NA"),
            C("note", "str", "why it differs or is not judged"),
        ),
        condition="paper", source="Python",
    ),
    Table(
        "skipped", "skipped analysis", "Analyses skipped for this data",
        "Analyses that did not apply to the data's shape (or could not be computed), and why.",
        (
            C("analysis", "str", "the tables not computed"),
            C("reason", "str", "why, in plain words"),
            C("message", "str", "R's own error message (empty for a shape rule)"),
        ),
        note="`message`: R's own error, empty for a shape rule",
    ),
)

# columns beside a column the paper reports (tables with a counterpart in the paper, when compared)
BESIDE: tuple[Column, ...] = (
    C("{col}_reported", "str", "the paper's value as printed, with its relation when not '=' ('< 0.001')"),
    C("{col}_reported_low", "float", "lower end of the interval the printed value stands for (its rounding "
                                     "interval, or -inf for a one-sided bound)"),
    C("{col}_reported_high", "float", "upper end (inf for a one-sided bound)"),
    C("{col}_agrees", "bool", "ours inside the interval (NA where ours is NA)"),
    C("in_paper", "bool", "set-valued tables (top/bottom terms, archetypes, clusters): the row's term or "
                          "model is in the paper's set"),
)

_BY_NAME = {t.name: t for t in TABLES}
if len(_BY_NAME) != len(TABLES):  # pragma: no cover  (a declaration error)
    raise RuntimeError("schema: a table is declared twice")


def table(name: str) -> Table:
    """The declaration of table `name`."""
    try:
        return _BY_NAME[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, _BY_NAME, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"no output table {name!r} in the schema{hint}") from None


def names(*, source: str | None = None) -> list[str]:
    """Table names in the order a reader meets them (optionally only those R or Python makes)."""
    return [t.name for t in TABLES if source is None or t.source == source]


def _expand(name: str, languages) -> list[str]:
    langs = list(languages)
    if "{lang}" in name:
        return [name.format(lang=x) for x in langs]
    if "{lang1}" in name or "{lang2}" in name:
        return [name.format(lang1=langs[0], lang2=langs[1] if len(langs) > 1 else "?")]
    return [name]


def column_names(name: str, *, languages=None, pending: bool = True) -> list[str]:
    """The columns of table `name`, in order.

    `languages`: the prompt-language codes of the table (``None``: one language, so the
    columns present only with two languages are left out; ``("zh", "en")``: those columns
    too, named by the codes). ``pending=False``: as before the changes under review
    (columns they add left out, renamed columns under their old names).
    """
    out = []
    two = languages is not None and len(list(languages)) >= 2
    for c in table(name).columns:
        if c.condition == "two_languages" and not two:
            continue
        if not pending and c.since:
            if c.renamed_from is None:
                continue
            out.append(c.renamed_from)
            continue
        out += _expand(c.name, languages if two else ("zh", "en"))
    return out


def parity_specs() -> list[tuple[str, list[str], list[str]]]:
    """(table, key columns, statistics) of each table that ``parity`` compares."""
    return [(t.name, list(t.parity_keys), [c.name for c in t.columns if c.parity])
            for t in TABLES if t.parity_keys]


def table_info() -> dict[str, tuple[str, str]]:
    """name -> (title, caption) for the report; the caption names the paper's place."""
    out = {}
    for t in TABLES:
        cap = t.description
        if t.paper:
            cap = f"{cap} ({t.paper})"
        out[t.name] = (t.title, cap)
    return out


def folded() -> set[str]:
    """Long tables that the report starts folded."""
    return {t.name for t in TABLES if t.folded}


def _shown(c: Column) -> str:
    return _expand(c.name, ("zh", "en"))[0] if "{lang}" not in c.name else ", ".join(_expand(c.name, ("zh", "en")))


def returns_doc(*table_names: str, indent: str = "    ") -> str:
    """The numpy-style description of `table_names`' columns (for a Returns section)."""
    lines = []
    for n in table_names:
        t = table(n)
        head = f"``{t.name}``: one row per {t.row}"
        if t.paper:
            head += f" ({t.paper})"
        if t.condition:
            head += f"; present only with {CONDITIONS[t.condition]}"
        lines.append(head + ". Columns:")
        lines.append("")
        for c in t.columns:
            extra = f" (only with {CONDITIONS[c.condition]})" if c.condition else ""
            lines.append(f"* ``{_shown(c)}`` ({c.dtype}): {c.meaning}{extra}.")
        lines.append("")
    return "\n".join(indent + x if x else "" for x in lines).rstrip() + "\n"


# -- the README section ------------------------------------------------------------------
MARK_START = "<!-- contract:start (generated from pyvalues/schema.py: python -m pyvalues.schema --write README.md) -->"
MARK_END = "<!-- contract:end -->"


def contract_markdown() -> str:
    """The README's output-contract table, generated from the declarations."""
    out = ["| table | one row per | columns | present |", "|---|---|---|---|"]
    for t in TABLES:
        cols = []
        for c in t.columns:
            s = _shown(c)
            cols.append(f"[{s}]" if c.condition else s)
        cell = f"`{', '.join(cols)}`"
        if t.paper:
            cell += f" ({t.paper})"
        if t.note:
            cell += f" — {t.note}"
        out.append(f"| `{t.name}` | {t.row} | {cell} | {CONDITIONS[t.condition]} |")
    out.append("")
    out.append("Columns in brackets are present only with two prompt languages (named by the codes, here "
               "`zh`, `en`; first language first). Beside each column `<col>` that the paper reports "
               "(tables with a counterpart in the paper, when compared with it):")
    out.append("")
    for c in BESIDE:
        out.append(f"* `{c.name.format(col='<col>')}` ({c.dtype}): {c.meaning}.")
    return "\n".join(out) + "\n"


def update_readme(text: str) -> str:
    """`text` (a README) with the section between the markers regenerated."""
    pat = re.compile(re.escape(MARK_START) + r"\n.*?" + re.escape(MARK_END), re.S)
    if not pat.search(text):
        raise ValueError(f"README has no section between {MARK_START!r} and {MARK_END!r}")
    return pat.sub(lambda m: MARK_START + "\n" + contract_markdown() + MARK_END, text, count=1)


def main(argv=None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m pyvalues.schema",
                                 description="Print the output contract, or regenerate/check it in a README.")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--write", metavar="README", help="regenerate the contract section of this file in place")
    g.add_argument("--check", metavar="README", help="exit 1 when this file's contract section differs")
    a = ap.parse_args(argv)
    if a.write or a.check:
        p = Path(a.write or a.check)
        text = p.read_text(encoding="utf-8")
        new = update_readme(text)
        if a.check:
            if new != text:
                print(f"{p}: the output-contract section differs from pyvalues/schema.py; run "
                      f"python -m pyvalues.schema --write {p}", file=sys.stderr)
                return 1
            print(f"{p}: output-contract section matches the schema")
            return 0
        if new != text:
            p.write_text(new, encoding="utf-8")
            print(f"{p}: output-contract section regenerated")
        else:
            print(f"{p}: already up to date")
        return 0
    sys.stdout.write(contract_markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
