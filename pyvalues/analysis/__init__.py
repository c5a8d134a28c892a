"""Every analysis of the seed paper, computed by R through rpy2, back as pandas DataFrames.

>>> from pyvalues import analysis, datasets
>>> results = analysis.run(datasets.load())          # doctest: +SKIP
>>> results.dispersion_anova                          # doctest: +SKIP

Each function takes a rank table (:mod:`pyvalues.ranktable`) and returns one DataFrame,
one row per effect, test, term or model; the statistics are the R functions of the same
name in ``R/`` (afex, rstatix, stats, pvclust, brunnermunzel), so an R user gets the same
numbers from ``pyvalues::dispersion_anova(tab)``. The output contract (table names and
columns) is documented in the README.
"""
from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from .. import rbridge
from ..ranktable import validate

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
    "cluster_models",
    "concordance",
]

# the output contract, in the order a reader meets them
TABLES = [
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
    "correlations",
    "correlation_pairs",
    "clusters",
    "cluster_edges",
    "archetypes",
    "concordance",
    "model_term_means",
    "model_dimension_scores",
    "parity",
    "skipped",
]


def _table(table: pd.DataFrame) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame) and table.attrs.get("validated"):
        return table
    out = validate(table)
    out.attrs["validated"] = True
    return out


def _r_function(name: str, doc: str):
    def fn(table: pd.DataFrame, **kwargs) -> pd.DataFrame:
        return rbridge.call(name, _table(table), **kwargs)

    fn.__name__ = name
    fn.__doc__ = f"{doc}\n\nComputed by the R function ``pyvalues::{name}()``; see its help page."
    return fn


model_term_means = _r_function("model_term_means", "Per model: each term's mean rank over its rankings.")
model_dimension_scores = _r_function(
    "model_dimension_scores", "Per model and dimension: score (mean rank of its 5 terms) and within-dimension SD."
)
term_means = _r_function("term_means", "Term mean ranks over models (Fig. 1).")
dimension_means = _r_function("dimension_means", "Dimension mean ranks and mean within-dimension SD (Fig. 2).")
primary_secondary = _r_function("primary_secondary", "Each model's Primary and Secondary dimension (Fig. 3).")
primary_secondary_counts = _r_function("primary_secondary_counts", "Counts of Primary and Secondary dimensions.")
dispersion_anova = _r_function(
    "dispersion_anova", "Repeated-measures ANOVA (afex) of within-dimension SD across the 5 dimensions."
)
dispersion_posthoc = _r_function("dispersion_posthoc", "Bonferroni-corrected pairwise paired t tests of dispersion.")
group_top_bottom = _r_function("group_top_bottom", "Top-5 and Bottom-5 terms per group (Fig. 4).")
dimension_tests = _r_function(
    "dimension_tests", "Per dimension: Mann-Whitney U (primary) and Welch t (sensitivity), CN first, BH q."
)
mixed_anova = _r_function("mixed_anova", "Mixed ANOVA (afex, Type III): country (between) x dimension (within).")
term_tests = _r_function("term_tests", "Per term: Brunner-Munzel test, BH q, Cliff's delta (CN first).")
correlation_pairs = _r_function("correlation_pairs", "Pairwise Spearman rho and Kendall tau-b between models.")
correlations = _r_function("correlations", "Per group: mean, SD, 95% CI of pairwise rank correlations (Fig. 5).")
cluster_models = _r_function(
    "cluster_models", "pvclust clustering into k archetypes: dict of clusters, cluster_edges, archetypes."
)
concordance = _r_function("concordance", "Per model: Kendall's W and Friedman chi-square across rankings (Table A-1).")


class Results(Mapping):
    """The tables of one analysis run, by name (also as attributes).

    ``provenance`` says where the data came from; ``skipped`` lists analyses that did
    not apply to the data and why; ``settings`` the options of the run.
    """

    def __init__(self, tables: dict[str, pd.DataFrame], *, provenance: str, settings: dict,
                 data_summary: dict, dataset: str | None = None, timings: dict | None = None):
        self.tables = tables
        self.provenance = provenance
        self.settings = settings
        self.data_summary = data_summary
        self.dataset = dataset
        self.timings = timings or {}

    # Mapping interface
    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def __iter__(self):
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(
            f"no result table {name!r}; this run has {sorted(tables)}"
            + (f" (skipped: {', '.join(tables['skipped']['analysis'])})" if "skipped" in tables and len(tables["skipped"]) else "")
        )

    @property
    def skipped(self) -> pd.DataFrame:
        return self.tables.get("skipped", pd.DataFrame(columns=["analysis", "reason"]))

    @property
    def is_reconstruction(self) -> bool:
        return self.dataset == "paper2026_reconstruction"

    def __repr__(self) -> str:
        return self.summary()

    def summary(self) -> str:
        """A short, readable summary of the run (what the CLI prints)."""
        from .summary import format_summary

        return format_summary(self)

    def to_dir(self, out: str | Path) -> list[Path]:
        """Write each table as ``<out>/<name>.csv``, all of them in ``<out>/results.rds``,
        and the run's provenance and settings in ``<out>/manifest.json``."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, df in self.tables.items():
            p = out / f"{name}.csv"
            df.to_csv(p, index=False, lineterminator="\n")
            written.append(p)
        rds = out / "results.rds"
        rbridge.session().save_rds(self.tables, rds)
        written.append(rds)
        manifest = out / "manifest.json"
        manifest.write_text(
            json.dumps(
                {
                    "provenance": self.provenance,
                    "dataset": self.dataset,
                    "data": self.data_summary,
                    "settings": self.settings,
                    "r_code": rbridge.session().source,
                    "tables": list(self.tables),
                    "timings_s": self.timings,
                },
                indent=2,
                ensure_ascii=False,
                default=str,
            )
            + "\n",
            encoding="utf-8",
        )
        written.append(manifest)
        return written


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
    reported: bool | None = None,
    cluster: int | str | list[str] | None = None,
    engine: str = "pyvalues",
    progress=None,
) -> Results:
    """Run every analysis of the paper on `table` (default: the bundled reconstruction).

    R's ``pv_analyse()`` computes all tables in one call; with ``parity=True`` the Python
    twins (scipy / statsmodels / pingouin) recompute each inferential statistic and the
    ``parity`` table compares the two. ``reported`` (default: when the data is the paper
    reconstruction) adds the paper's reported value beside each statistic that has one.

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
    """
    from .. import datasets

    timings = {}
    t0 = time.perf_counter()
    if table is None:
        table = datasets.load(datasets.DEFAULT_DATASET)
    provenance = table.attrs.get("provenance", "user data")
    dataset = table.attrs.get("dataset")
    table = _table(table)
    settings = {
        "groups": list(groups) if groups else None,
        "k": k,
        "nboot": nboot,
        "distance": distance,
        "linkage": linkage,
        "seed": seed,
        "ci_nboot": ci_nboot,
        "parallel": parallel,
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
                  engine=engine)
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
    with rbridge.progress_to(progress):
        r_tables = rbridge.call("pv_analyse", table, **kwargs)
    timings["r"] = time.perf_counter() - t

    tables = {name: r_tables[name] for name in TABLES if name in r_tables}
    if parity:
        from .parity import parity_table
        from .twins import python_twins

        t = time.perf_counter()
        if progress is not None:
            progress("Python twins and parity table", 0, 1)
        tables["parity"] = parity_table(r_tables, python_twins(table, groups=groups, k=k))
        if progress is not None:
            progress("Python twins and parity table", 1, 1)
        timings["python_twins_and_parity"] = time.perf_counter() - t
    tables["skipped"] = r_tables["skipped"]
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
    if reported is None:
        reported = results.is_reconstruction
    if reported:
        from ..crosscheck import reported_beside

        results.tables.update(reported_beside(results))
    results.timings["total"] = time.perf_counter() - t0
    return results
