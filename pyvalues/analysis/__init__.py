"""Every analysis of the seed paper, computed by R through rpy2, back as pandas DataFrames.

>>> from pyvalues import analysis, datasets
>>> results = analysis.run(datasets.load())          # doctest: +SKIP
>>> results.dispersion_anova                          # doctest: +SKIP

Each function takes a rank table (:mod:`pyvalues.ranktable`) and returns one DataFrame,
one row per effect, test, term or model; the statistics are the R functions of the same
name in ``R/`` (afex, rstatix, stats, pvclust, brunnermunzel), so an R user gets the same
numbers from ``pyvalues::pv_dispersion_anova(tab)``. The output contract (table names and
columns) is declared in :mod:`pyvalues.schema`; each function's help lists its columns.
"""
from __future__ import annotations

import os
import sys
import time

import pandas as pd

from .. import rbridge
from .. import schema as _schema
from ..formulas import skip_reason
from ..ranktable import validate
from ..results import Results

__all__ = [
    "Results",
    "run",
    "TABLES",
    "model_term_means",
    "model_dimension_scores",
    "term_means",
    "dimension_means",
    "primary_secondary",
    "primary_secondary_counts",
    "dispersion_anova",
    "dispersion_posthoc",
    "group_top_bottom",
    "dimension_tests",
    "mixed_anova",
    "term_tests",
    "correlation_pairs",
    "correlations",
    "cohesion_test",
    "cluster_models",
    "ClusterResult",
    "concordance",
]

# the output contract, in the order a reader meets them (declared in pyvalues.schema)
TABLES = _schema.names()


def _table(table: pd.DataFrame) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame) and table.attrs.get("validated"):
        return table
    out = validate(table)
    out.attrs["validated"] = True
    return out


# the analyses as Python functions with explicit arguments and the columns in their
# docstrings (pyvalues/analysis/api.py)
from .api import (  # noqa: E402
    ClusterResult, cluster_models, concordance, correlation_pairs, correlations, dimension_means,
    dimension_tests, dispersion_anova, dispersion_posthoc, group_top_bottom, mixed_anova,
    model_dimension_scores, model_term_means, primary_secondary, primary_secondary_counts, term_means,
    term_tests, cohesion_test,
)
from .api import checked as _checked  # noqa: E402
from .api import _cluster_spec  # noqa: E402

from .language import (  # noqa: E402  (prompt language as a factor: R/language.R)
    LANGUAGE_TABLES, language_anova, language_consistency, language_consistency_summary,
    language_dimension_tests, language_term_tests, select_language,
)

__all__ += LANGUAGE_TABLES


def _data_summary(table: pd.DataFrame) -> dict:
    per_model = table.drop_duplicates("model")
    return {
        "n_models": int(table["model"].nunique()),
        "models_per_country": {k: int(v) for k, v in per_model["country"].value_counts().sort_index().items()},
        "languages": sorted(table["language"].unique().tolist()),
        "rankings_per_model": sorted(
            set(int(x) for x in table.groupby("model")[["language", "replicate"]].apply(lambda g: len(g.drop_duplicates())))
        ),
        "n_rankings": int(len(table.drop_duplicates(["model", "language", "replicate"]))),
        "n_rows": int(len(table)),
    }


@_checked
def run(
    table: pd.DataFrame | None = None,
    *,
    groups: tuple[str, str] | None = None,
    k: int = 4,
    nboot: int = 1000,
    distance: str = "correlation",
    linkage: str = "average",
    seed: int = 2026,
    ci_nboot: int = 10000,
    parallel: bool | int = False,
    parity: bool = True,
    language: str | None = None,
    nperm: int = 10000,
    cluster: int | str | list[str] | None = None,
    engine: str = "pyvalues",
    progress=None,
    workers=None,
    after_r=None,
) -> Results:
    """Run every analysis of the paper on `table` (default: the bundled reconstruction).

    R's ``pv_analyse()`` computes all tables in one call, each analysis family inside its
    own error boundary (a family that cannot be computed is a row of ``skipped`` with the
    reason and R's message; the others are still computed). With ``parity=True`` the Python
    twins (scipy / statsmodels / pingouin) recompute each inferential statistic and the
    ``parity`` table compares the two. The tables and columns are those of
    :mod:`pyvalues.schema` for any data; comparing with a paper is an explicit step on the
    results: :func:`pyvalues.pipeline.beside_paper` (the CLI takes it on the bundled paper
    reconstruction) adds the paper's reported value beside each statistic that has one and
    the ``paper_agreement`` table. The parity step has its own boundary too. ``language`` (e.g. ``"zh"``)
    analyses the rankings in that prompt language only.

    ``groups``: the two countries compared, first one first; by default the two with the
    most models (ties: alphabetical), in alphabetical order (``groups_compared`` records
    the choice). An unknown name is a ``ValueError`` listing the countries present, raised
    before any computing. ``nperm``: Monte Carlo draws of the permutation tests when exact
    enumeration is too large.

    ``cluster`` runs the multiscale bootstrap on R workers (R's ``parallel`` package): a
    number of local worker processes, or host names (``"host1,host2"`` or a list; one
    PSOCK worker per name, started over passwordless ssh, each with R and the pvclust
    package). Each worker draws its share of the replicates from its own L'Ecuyer-CMRG
    stream seeded by ``seed``, so AU/BP are reproducible for a given number of workers
    and equal ``pvclust::pvclust(parallel = <cluster of that size>, iseed = seed)``;
    ``parallel`` (a number of local workers) is the older spelling. ``engine``:
    ``"pyvalues"`` (default; pvclust's numbers, an order of magnitude sooner) or
    ``"pvclust"`` (pvclust itself). ``progress``: ``None`` shows progress on stderr when it
    is a terminal, ``True`` always, ``False`` never; or a callable ``(step, done, total)``.
    ``workers`` (e.g. a started :class:`pyvalues.figure_workers.FigureWorkers`): the Python
    twins run there while R computes (same numbers). ``after_r``: called with the
    :class:`Results` of R's tables as soon as R returns (the CLI starts drawing the figures).
    """
    from .. import datasets

    timings = {}
    t0 = time.perf_counter()
    if table is None:
        table = datasets.load(datasets.DEFAULT_DATASET)
    if language is not None:
        table = select_language(table, language)
    provenance = table.attrs.get("provenance", "user data")
    dataset = table.attrs.get("dataset")
    table = _table(table)
    if groups is not None:
        from .twins import choose_groups

        choose_groups(table, groups)  # a wrong name fails here, before any computing
    settings = {
        "groups": list(groups) if groups else None,
        "k": k,
        "nboot": nboot,
        "distance": distance,
        "linkage": linkage,
        "seed": seed,
        "ci_nboot": ci_nboot,
        "nperm": nperm,
        "parallel": parallel,
        "language": language,
        "cluster": cluster,
        "engine": engine,
    }
    timings["validate"] = time.perf_counter() - t0
    if engine not in ("pyvalues", "pvclust"):
        raise ValueError(f"engine={engine!r}: use 'pyvalues' (default) or 'pvclust'")
    if progress is None or progress is True:
        from ..progress import Progress

        progress = Progress() if progress or sys.stderr.isatty() else None
    elif progress is False:
        progress = None

    t = time.perf_counter()
    kwargs = dict(k=k, nboot=nboot, distance=distance, linkage=linkage, seed=seed, ci_nboot=ci_nboot,
                  nperm=nperm, engine=engine,
                  # the afex ANOVAs in a second R process beside the rest (same numbers; R/anova.R)
                  overlap=(os.cpu_count() or 1) >= 2)
    if parallel and cluster is None:
        # a number of local R worker processes; TRUE: one per core (R's parallel = TRUE
        # would start detectCores() - 1: one worker on a 2-core machine, no speed-up)
        cluster = int(os.cpu_count() or 1) if parallel is True else int(parallel)
    if cluster is not None:
        kwargs["cluster"] = _cluster_spec(cluster)
    if groups:
        kwargs["groups"] = list(groups)
    if progress is not None and not rbridge.session().started:
        progress("starting R", 0, 1)
        rbridge.session().start()
        progress("starting R", 1, 1)
    if parity:  # the twins need only the table: on `workers` they run while R computes
        from .parity import submit_twins

        twins_job = submit_twins(table, groups=groups, k=k, workers=workers)
    # what the steps after R import, imported while R computes
    rbridge.import_beside_r(["pyvalues.analysis.parity", "pyvalues.results.summary"])
    with rbridge.progress_to(progress):
        r_tables = rbridge.call("pv_analyse", table, **kwargs)
    timings["r"] = time.perf_counter() - t
    r_results = Results({name: r_tables[name] for name in [*TABLES, "skipped"] if name in r_tables},
                        provenance=provenance, settings=settings, data_summary={}, dataset=dataset)
    if after_r is not None:
        after_r(r_results)

    tables = {name: r_tables[name] for name in TABLES if name in r_tables}
    skipped = r_tables["skipped"].copy()

    def family(name: str, compute) -> None:
        """The Python steps' error boundary, as pv_analyse's: a failure is a skipped row."""
        try:
            compute()
        except Exception as e:  # noqa: BLE001 - recorded in `skipped`, the other tables stand
            skipped.loc[len(skipped)] = [name, skip_reason("not_computable"),
                                         f"{type(e).__name__}: {e}"]

    if parity:
        def _parity():
            from .parity import parity_table

            t = time.perf_counter()
            if callable(progress):
                progress("Python twins and parity table", 0, 1)
            tables["parity"] = parity_table(r_tables, twins_job.result())
            if callable(progress):
                progress("Python twins and parity table", 1, 1)
            timings["python_twins_and_parity"] = time.perf_counter() - t

        family("parity", _parity)
    tables["skipped"] = skipped
    if "parse_status" in table.columns:
        # how each ranking that reached the table was parsed (the parser's own summary,
        # which also counts the responses it dropped, travels in attrs when present)
        summary = table.attrs.get("parse_summary")
        tables["parse_statistics"] = (
            pd.DataFrame(summary) if summary is not None else
            table.drop_duplicates(["model", "language", "replicate"])
            .pivot_table(index=["model", "country"], columns="parse_status", values="replicate",
                         aggfunc="count", fill_value=0)
            .reset_index()
        )

    results = Results(
        tables,
        provenance=provenance,
        settings=settings,
        data_summary=_data_summary(table),
        dataset=dataset,
        timings=timings,
    )
    results.timings["total"] = time.perf_counter() - t0
    return results
