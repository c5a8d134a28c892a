"""Each analysis of the paper as a Python function, in pingouin's manner.

Every function takes a rank table (:mod:`pyvalues.ranktable`) and explicit keyword
arguments, and returns one DataFrame (``cluster_models``: a :class:`ClusterResult` of
three). Its docstring lists the returned columns with their meaning, generated from the
output contract (:mod:`pyvalues.schema`), so ``help(analysis.dimension_tests)`` tells the
whole table.

Arguments are checked in Python before R is started or called: an unknown or misspelt
keyword is a :class:`~pyvalues.errors.ArgumentError` (a ``TypeError``) that suggests the
closest name (``nbot=10`` -> "did you mean 'nboot'?"; R's partial matching can no longer
take ``group=`` for ``groups=``), a value of the wrong kind or range an
:class:`~pyvalues.errors.OptionError` (a ``ValueError``), and the table is validated. The
statistics are the R functions of the same name in ``R/``.
"""
from __future__ import annotations

import difflib
import functools
import inspect
import numbers
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import rbridge, schema
from ..errors import ArgumentError, OptionError, plain

__all__ = [
    "model_term_means", "model_dimension_scores", "term_means", "dimension_means", "primary_secondary",
    "primary_secondary_counts", "dispersion_anova", "dispersion_posthoc", "group_top_bottom",
    "dimension_tests", "mixed_anova", "term_tests", "correlation_pairs", "correlations", "cohesion_test",
    "cluster_models",
    "concordance", "ClusterResult", "checked",
]

# pvclust's method.dist and hclust's method (what R accepts)
DISTANCES = ("correlation", "uncentered", "abscor", "euclidean", "maximum", "manhattan", "canberra", "binary",
             "minkowski")
LINKAGES = ("average", "ward.D", "ward.D2", "single", "complete", "mcquitty", "median", "centroid")


# -- argument checks (before R) ------------------------------------------------------------
def _check_keywords(fname: str, sig: inspect.Signature, args: tuple, kwargs: dict) -> None:
    params = [p for p in sig.parameters]
    for key in kwargs:
        if key not in sig.parameters:
            close = difflib.get_close_matches(key, params, n=1, cutoff=0.6)
            hint = (f"; did you mean {close[0]!r}?" if close
                    else f"; its arguments are {', '.join(params)}")
            raise ArgumentError(f"{fname}() got an unexpected keyword argument {key!r}{hint}")
    try:
        sig.bind(*args, **kwargs)
    except TypeError as exc:
        raise ArgumentError(f"{fname}(): {exc}; call it as {fname}{sig}") from None


def checked(fn):
    """`fn` with its keyword arguments checked first: an unknown or misspelt one raises
    :class:`~pyvalues.errors.ArgumentError` naming the closest (``help()`` still shows `fn`'s
    signature and docstring)."""
    sig = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        _check_keywords(fn.__name__, sig, args, kwargs)
        return fn(*args, **kwargs)

    return wrapper


def _whole(name: str, value, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise OptionError(f"{name} must be a whole number, got {plain(value)!r} ({type(value).__name__})")
    v = int(value)
    if v < minimum or (maximum is not None and v > maximum):
        rng = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise OptionError(f"{name} must be {rng}, got {v}")
    return v


def _choice(name: str, value, choices: Sequence[str]) -> str:
    if value not in choices:
        close = difflib.get_close_matches(str(value), choices, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise OptionError(f"{name} must be one of {', '.join(map(repr, choices))}, got {plain(value)!r}{hint}")
    return value


def _cluster_spec(cluster):
    """`cluster` as R's ``.pv_cluster()`` reads it: a number of local workers or host names."""
    if isinstance(cluster, bool) or cluster is None:
        raise ValueError("cluster: give a number of local R workers or host names, e.g. 2 or 'host1,host2'")
    if isinstance(cluster, int):
        if cluster < 1:
            raise ValueError(f"cluster={cluster}: the number of local R workers must be at least 1")
        return cluster
    if isinstance(cluster, str):
        hosts = [h.strip() for h in cluster.split(",") if h.strip()]
    else:
        hosts = [str(h).strip() for h in cluster]
    if not hosts:
        raise ValueError(f"cluster={cluster!r}: no host names")
    if len(hosts) == 1 and hosts[0].isdigit():
        return _cluster_spec(int(hosts[0]))
    return hosts


def _parallel(value):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    return _whole("parallel", value, 1)


def _groups(groups, table: pd.DataFrame):
    if groups is None:
        return None
    if isinstance(groups, str) or not isinstance(groups, Sequence) or len(groups) != 2 \
            or not all(isinstance(g, str) for g in groups):
        raise OptionError(f"groups must be two country labels, first one first, e.g. ('CN', 'US'); got "
                          f"{plain(groups)!r}")
    if groups[0] == groups[1]:
        raise OptionError(f"groups must be two different countries, got {tuple(groups)!r}")
    present = sorted(str(c) for c in table["country"].unique())
    missing = [g for g in groups if g not in present]
    if missing:
        raise OptionError(f"groups: {', '.join(map(repr, missing))} not a country of the table; it has "
                          f"{', '.join(present)}")
    return list(groups)


def _validated(table) -> pd.DataFrame:
    from . import _table

    return _table(table)


# -- the docstrings --------------------------------------------------------------------------
def _returns(tables: tuple[str, ...], kind: str) -> str:
    if kind == "ClusterResult":
        head = ("ClusterResult\n    Three DataFrames as attributes (also ``result['clusters']``, ...; "
                "``dict(result)``):\n\n")
    else:
        head = "pandas.DataFrame\n"
    return "Returns\n-------\n" + head + schema.returns_doc(*tables)


def _analysis(*tables: str, example: str, returns: str = "pandas.DataFrame"):
    """Make `fn` an analysis: keyword checks before the call, Returns and Examples from the schema."""
    def deco(fn):
        name = fn.__name__
        wrapper = checked(fn)
        params = _TABLE_PARAM + ("\n" + _PARAMS[name] if name in _PARAMS else "")
        wrapper.__doc__ = (_SUMMARY[name] + "\n\n" + _R_NOTE.format(name=name) + "\n\nParameters\n----------\n"
                           + params + "\n\n" + _returns(tables, returns) + "\nExamples\n--------\n"
                           + textwrap.dedent(example).strip("\n") + "\n")
        return wrapper

    return deco


_TABLE_PARAM = """\
table : pandas.DataFrame
    A rank table (one row per model, language, replicate and term; see
    :func:`pyvalues.ranktable.validate`)."""
_GROUPS_PARAM = """\
groups : tuple of two str, optional
    The two country labels compared, first one first (``group1``). Default: the table's
    two countries."""
_EX = """\
>>> from pyvalues import analysis, datasets
>>> tab = datasets.load()              # the bundled reconstruction of the paper's 20 models
"""


# one-line summaries and parameters of the docstrings (the Returns section comes from the schema)
_SUMMARY = {
    "model_term_means": "Each model's mean rank of each term over its rankings (integer rank sum divided once).",
    "model_dimension_scores": "Each model's dimension scores and within-dimension SD.",
    "term_means": "Term mean ranks over models (the paper's Fig. 1).",
    "dimension_means": "Dimension mean ranks and mean within-dimension SD (Fig. 2).",
    "primary_secondary": "Each model's Primary and Secondary dimension (Fig. 3).",
    "primary_secondary_counts": "How many models have each dimension as Primary and as Secondary (Fig. 3).",
    "dispersion_anova": "Repeated-measures ANOVA (afex) of the within-dimension SD across the 5 dimensions.",
    "dispersion_posthoc": "Pairwise paired t tests of the within-dimension SD, Bonferroni-corrected.",
    "group_top_bottom": "Each country's Top-n and Bottom-n terms (Fig. 4).",
    "dimension_tests": "Group comparison per dimension: Mann-Whitney U (primary) and Welch's t (sensitivity).",
    "mixed_anova": "Mixed ANOVA (afex, Type III): country between x dimension within models.",
    "term_tests": "Group comparison per term: Brunner-Munzel test, BH q, Cliff's delta (Appendix A.3).",
    "correlation_pairs": "Spearman's rho and Kendall's tau-b between every pair of models.",
    "correlations": "Per country and overall: mean, SD and 95% CIs of the pairwise correlations (Fig. 5).",
    "cohesion_test": "Is one group more cohesive? Difference of the groups' mean within-group correlation.",
    "cluster_models": "pvclust clustering of models into k value archetypes (Figs. 6, 7).",
    "concordance": "Kendall's W and Friedman chi-square over each model's rankings (Table A-1).",
}
_PARAMS = {
    "group_top_bottom": "n : int, default 5\n    Terms at each end (1-25).",
    "dimension_tests": _GROUPS_PARAM,
    "mixed_anova": _GROUPS_PARAM,
    "term_tests": _GROUPS_PARAM + (
        "\nnperm : int, default 10000\n    Monte Carlo draws of the permutation test when exact enumeration "
        "(all\n    splits, up to choose(20, 10)) is too large.\nseed : int, default 2026\n    Seed of those draws."),
    "cohesion_test": _GROUPS_PARAM + (
        "\nnboot : int, default 10000\n    Bootstrap resamples (models within each group) of the CI.\n"
        "nperm : int, default 10000\n    Monte Carlo draws of the permutation p when exact enumeration is too "
        "large.\nseed : int, default 2026\n    Seed of the resampling."),
    "correlations": ("nboot : int, default 10000\n    Bootstrap resamples of the CIs.\n"
                     "seed : int, default 2026\n    Seed of the bootstrap (R's set.seed)."),
    "cluster_models": (
        "k : int, default 4\n    Number of clusters (at most the number of models).\n"
        "nboot : int, default 1000\n    pvclust's bootstrap replications per scale.\n"
        f"distance : str, default 'correlation'\n    pvclust's method.dist: {', '.join(DISTANCES)}.\n"
        f"linkage : str, default 'average'\n    hclust's method: {', '.join(LINKAGES)}.\n"
        "seed : int, default 2026\n    Seed of pvclust's bootstrap (iseed).\n"
        "parallel : bool or int, default False\n    pvclust's parallel: an int starts that many R workers.\n"
        "n_terms : int, default 5\n    Terms per archetype (1-25).\n"
        "cluster : int, str or list of str, optional\n    R workers for the bootstrap: a number of local workers, "
        "or host names\n    ('host1,host2'); overrides `parallel`.\n"
        "engine : str, default 'pyvalues'\n    'pyvalues' (pv_pvclust, pvclust's algorithm and numbers) or "
        "'pvclust'."),
}
_R_NOTE = ("Computed by the R function ``pyvalues::pv_{name}()`` (the same numbers in R).\n"
           "Arguments are checked before R is called: an unknown keyword raises ArgumentError\n"
           "(a TypeError) naming the closest one, a bad value OptionError (a ValueError).")



def _call(r_name: str, table: pd.DataFrame, **kwargs) -> pd.DataFrame:
    return rbridge.call(r_name, table, **{k: v for k, v in kwargs.items() if v is not None})


# -- the analyses ----------------------------------------------------------------------------
@_analysis("model_term_means", example=_EX + """\
>>> analysis.model_term_means(tab).shape                  # 20 models x 25 terms
(500, 7)
""")
def model_term_means(table: pd.DataFrame) -> pd.DataFrame:
    return _call("pv_model_term_means", _validated(table))


@_analysis("model_dimension_scores",
           example=_EX + """\
>>> analysis.model_dimension_scores(tab).shape            # 20 models x 5 dimensions
(100, 5)
""")
def model_dimension_scores(table: pd.DataFrame) -> pd.DataFrame:
    return _call("pv_model_dimension_scores", _validated(table))


@_analysis("term_means", example=_EX + """\
>>> tm = analysis.term_means(tab).sort_values("order")
>>> tm[["term", "dimension", "mean_rank", "order"]].head(3).round(3)
                                  term   dimension  mean_rank  order
0                  Professional ethics  Protective      7.150      1
1                      Harm prevention  Protective      7.183      2
2  Protecting human rights and dignity  Protective      7.233      3
""")
def term_means(table: pd.DataFrame) -> pd.DataFrame:
    return _call("pv_term_means", _validated(table))


@_analysis("dimension_means", example=_EX + """\
>>> analysis.dimension_means(tab)[["dimension", "mean_score", "mean_sd_within", "order"]].round(3)
    dimension  mean_score  mean_sd_within  order
0   Practical      13.460           3.944      3
1   Epistemic       8.623           2.169      2
2      Social      13.553           3.436      4
3  Protective       8.023           2.962      1
4    Personal      21.340           1.890      5
""")
def dimension_means(table: pd.DataFrame) -> pd.DataFrame:
    return _call("pv_dimension_means", _validated(table))


@_analysis("primary_secondary", example=_EX + """\
>>> ps = analysis.primary_secondary(tab)
>>> int(ps["primary"].eq("Epistemic").sum()), int(ps["primary"].eq("Protective").sum())
(9, 9)
""")
def primary_secondary(table: pd.DataFrame) -> pd.DataFrame:
    return _call("pv_primary_secondary", _validated(table))


@_analysis("primary_secondary_counts",
           example=_EX + """\
>>> analysis.primary_secondary_counts(tab)
    dimension  primary  secondary
0   Practical        1          2
1   Epistemic        9          8
2      Social        1          5
3  Protective        9          5
4    Personal        0          0
""")
def primary_secondary_counts(table: pd.DataFrame) -> pd.DataFrame:
    return _call("pv_primary_secondary_counts", _validated(table))


@_analysis("dispersion_anova", example=_EX + """\
>>> analysis.dispersion_anova(tab)[["effect", "df1", "df2", "F", "pes"]].round(4)
      effect  df1   df2        F     pes
0  dimension  4.0  76.0  12.3278  0.3935
""")
def dispersion_anova(table: pd.DataFrame) -> pd.DataFrame:
    return _call("pv_dispersion_anova", _validated(table))


@_analysis("dispersion_posthoc", example=_EX + """\
>>> analysis.dispersion_posthoc(tab).shape                # 10 pairs of dimensions
(10, 9)
""")
def dispersion_posthoc(table: pd.DataFrame) -> pd.DataFrame:
    return _call("pv_dispersion_posthoc", _validated(table))


@_analysis("group_top_bottom", example=_EX + """\
>>> analysis.group_top_bottom(tab, n=3)[["group", "end", "position", "term"]].head(3)
  group  end  position               term
0    CN  top         1              Logic
1    CN  top         2  Critical thinking
2    CN  top         3            Clarity
""")
def group_top_bottom(table: pd.DataFrame, *, n: int = 5) -> pd.DataFrame:
    n = _whole("n", n, 1, 25)
    return _call("pv_group_top_bottom", _validated(table), n=n)


@_analysis("dimension_tests", example=_EX + """\
>>> res = analysis.dimension_tests(tab, groups=("CN", "US"))
>>> res[["dimension", "group1", "group2", "U", "p_mwu"]].round(4)
    dimension group1 group2     U   p_mwu
0   Practical     CN     US  37.5  0.3821
1   Epistemic     CN     US  42.5  0.6210
2      Social     CN     US  45.0  0.7611
3  Protective     CN     US  55.0  0.7103
4    Personal     CN     US  61.0  0.4030
>>> analysis.dimension_tests(tab, group=("CN", "US"))
Traceback (most recent call last):
pyvalues.errors.ArgumentError: dimension_tests() got an unexpected keyword argument 'group'; did you mean 'groups'?
""")
def dimension_tests(table: pd.DataFrame, *, groups: tuple[str, str] | None = None) -> pd.DataFrame:
    table = _validated(table)
    return _call("pv_dimension_tests", table, groups=_groups(groups, table))


@_analysis("mixed_anova", example=_EX + """\
>>> analysis.mixed_anova(tab)[["effect", "df1", "df2", "F"]].round(4)
              effect  df1   df2        F
0            country  1.0  18.0      NaN
1          dimension  4.0  72.0  28.5788
2  country:dimension  4.0  72.0   0.4433
""")
def mixed_anova(table: pd.DataFrame, *, groups: tuple[str, str] | None = None) -> pd.DataFrame:
    table = _validated(table)
    return _call("pv_mixed_anova", table, groups=_groups(groups, table))


@_analysis("term_tests", example=_EX + """\
>>> tt = analysis.term_tests(tab).sort_values("p")
>>> tt[["term", "p", "q"]].head(3).round(4)
               term       p       q
14          Harmony  0.0166  0.3074
10          Empathy  0.0403  0.3074
1   Professionalism  0.0441  0.3074
""")
def term_tests(table: pd.DataFrame, *, groups: tuple[str, str] | None = None, nperm: int = 10000,
               seed: int = 2026) -> pd.DataFrame:
    nperm = _whole("nperm", nperm, 1)
    seed = _whole("seed", seed, -(2**31) + 1, 2**31 - 1)
    table = _validated(table)
    return _call("pv_term_tests", table, groups=_groups(groups, table), nperm=nperm, seed=seed)


@_analysis("correlation_pairs", example=_EX + """\
>>> analysis.correlation_pairs(tab).shape                 # 20 * 19 / 2 pairs
(190, 7)
""")
def correlation_pairs(table: pd.DataFrame) -> pd.DataFrame:
    return _call("pv_correlation_pairs", _validated(table))


@_analysis("correlations", example=_EX + """\
>>> cor = analysis.correlations(tab, nboot=2000, seed=1)
>>> cor[["group", "method", "n_pairs", "mean"]].round(3)
  group    method  n_pairs   mean
0    CN  spearman       55  0.639
1    CN   kendall       55  0.532
2    US  spearman       36  0.529
3    US   kendall       36  0.406
4   all  spearman      190  0.566
5   all   kendall      190  0.445
""")
def correlations(table: pd.DataFrame, *, nboot: int = 10000, seed: int = 2026) -> pd.DataFrame:
    nboot = _whole("nboot", nboot, 1)
    seed = _whole("seed", seed, -(2**31) + 1, 2**31 - 1)
    return _call("pv_correlations", _validated(table), nboot=nboot, seed=seed)


@_analysis("cohesion_test", example=_EX + """\
>>> ct = analysis.cohesion_test(tab, nboot=2000)
>>> ct[["method", "group1", "group2", "n1", "n2", "n_perm"]]
     method group1 group2  n1  n2    n_perm
0  spearman     CN     US  11   9  167960.0
1   kendall     CN     US  11   9  167960.0
""")
def cohesion_test(table: pd.DataFrame, *, groups: tuple[str, str] | None = None, nboot: int = 10000,
                  nperm: int = 10000, seed: int = 2026) -> pd.DataFrame:
    nboot = _whole("nboot", nboot, 1)
    nperm = _whole("nperm", nperm, 1)
    seed = _whole("seed", seed, -(2**31) + 1, 2**31 - 1)
    table = _validated(table)
    return _call("pv_cohesion_test", table, groups=_groups(groups, table), nboot=nboot, nperm=nperm, seed=seed)


_CLUSTER_TABLES = ("clusters", "cluster_edges", "archetypes")


@dataclass(frozen=True, eq=False, repr=False)
class ClusterResult(Mapping):
    """The clustering of models (:func:`cluster_models`): three DataFrames.

    Read them as attributes (``result.clusters``) or, as the dict this used to be, by name
    (``result["clusters"]``, ``dict(result)``, ``for name in result``).
    """

    clusters: pd.DataFrame
    cluster_edges: pd.DataFrame
    archetypes: pd.DataFrame

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in _CLUSTER_TABLES:
            raise KeyError(f"no table {name!r} in a ClusterResult; it has {', '.join(_CLUSTER_TABLES)}")
        return getattr(self, name)

    def __iter__(self):
        return iter(_CLUSTER_TABLES)

    def __len__(self) -> int:
        return len(_CLUSTER_TABLES)

    def __repr__(self) -> str:
        c = self.clusters
        lines = [f"ClusterResult: {len(c)} models in {c['cluster'].nunique()} clusters "
                 "(tables: clusters, cluster_edges, archetypes)"]
        for k, g in c.groupby("cluster", sort=True):
            lines.append(f"  cluster {plain(k)}: {', '.join(map(str, g['model']))}")
        return "\n".join(lines)


ClusterResult.__doc__ += "\n" + textwrap.indent(schema.returns_doc(*_CLUSTER_TABLES, indent=""), "    ")


@_analysis(*_CLUSTER_TABLES, returns="ClusterResult", example=_EX + """\
>>> cl = analysis.cluster_models(tab, k=4, nboot=100)
>>> cl
ClusterResult: 20 models in 4 clusters (tables: clusters, cluster_edges, archetypes)
  cluster 1: Grok-4, Claude-4-opus, Huawei Xiaoyi, Kunlun Wanwei, Tongyi Qwen
  cluster 2: Wenxin, MinMax, Falcon, Zhipu
  cluster 3: Microsoft-Phi4, Mistral-large
  cluster 4: Gemini 2.5 Pro, Llama-3.1, GPT-4.1, Gemma 3, Tencent Hunyuan, kimi, DeepSeek-R1-0528, DeepSeek-V3-0324, Doubao
>>> cl["archetypes"].query("cluster == 1")[["position", "term", "mean_rank"]].round(3)
   position               term  mean_rank
1         1              Logic      4.667
2         2  Critical thinking      5.333
3         3           Accuracy      6.600
4         4            Clarity      7.067
5         5        Helpfulness      7.133
""")
def cluster_models(table: pd.DataFrame, *, k: int = 4, nboot: int = 1000, distance: str = "correlation",
                   linkage: str = "average", seed: int = 2026, parallel: bool | int = False,
                   n_terms: int = 5, cluster: int | str | list[str] | None = None,
                   engine: str = "pyvalues") -> ClusterResult:
    k = _whole("k", k, 1)
    nboot = _whole("nboot", nboot, 1)
    distance = _choice("distance", distance, DISTANCES)
    linkage = _choice("linkage", linkage, LINKAGES)
    seed = _whole("seed", seed, -(2**31) + 1, 2**31 - 1)
    parallel = _parallel(parallel)
    n_terms = _whole("n_terms", n_terms, 1, 25)
    engine = _choice("engine", engine, ("pyvalues", "pvclust"))
    extra = {} if cluster is None else {"cluster": _cluster_spec(cluster)}
    out = _call("pv_cluster_models", _validated(table), k=k, nboot=nboot, distance=distance, linkage=linkage,
                seed=seed, parallel=parallel, n_terms=n_terms, engine=engine, **extra)
    return ClusterResult(**{name: out[name] for name in _CLUSTER_TABLES})


@_analysis("concordance", example=_EX + """\
>>> analysis.concordance(tab)[["model", "country", "n_replicates", "W"]].head(3).round(3)
            model country  n_replicates      W
0          Falcon      US             3  1.000
1         Gemma 3      US             3  0.990
2  Gemini 2.5 Pro      US             3  0.986
""")
def concordance(table: pd.DataFrame) -> pd.DataFrame:
    return _call("pv_concordance", _validated(table))
