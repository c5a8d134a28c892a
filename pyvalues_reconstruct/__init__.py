"""Reconstruct a rank data set from a paper's published summary statistics (level 3).

Not part of the pyvalues analysis: a separate tool, installed with the `reconstruct` extra
(`pip install -e '.[reconstruct]'`, which brings numba), used by
`data-raw/reconstruct_paper.py` to build the bundled `paper2026_reconstruction`.

The authors' raw rankings are not published. The search looks for a data set of the study's
shape -- read from the claims file's design rows (`study_from_claims`): k models in two
country groups, each ranking n terms (d dimensions of n / d terms) completely, m times --
whose analyses reproduce the numbers in the claims file at their printed precision, and
reports per claim the reconstruction's value, whether it is within rounding, and whether the
claim is feasible at all together with the others (with the reason when it is not).

>>> import pyvalues_reconstruct as rc
>>> targets = rc.load_targets("data-raw/claims/paper2026.csv")   # doctest: +SKIP
>>> P, penalty, trace = rc.search(targets, seed=2026, n_iter=200_000)   # doctest: +SKIP
>>> rc.ranks_to_table(P, targets.study)   # doctest: +SKIP

Modules: `layout` (the study, the statistics vector's layout), `targets` (claims -> targets,
feasibility), `search` (the two annealing stages), `fit` (rank tables, evaluator, fit
table), `kernels` (numba; imported on first use). The result is labelled everywhere as
reconstructed from published summary statistics, not the authors' raw data.
"""
from __future__ import annotations

from .fit import LANGUAGE, PROVENANCE, evaluate_ranks, fit_table, ranks_from_table, ranks_to_table, summary
from .layout import Layout, Study, load_kernels, make_layout, paper_study, stat_names, study_from_claims
from .search import (DIM_WEIGHT, N_ITER_DIMS, _chain, construct_start, construct_start_dims, search)
from .targets import Target, Targets, infeasible_top5, load_targets

__all__ = [
    "PROVENANCE",
    "LANGUAGE",
    "Layout",
    "Study",
    "Target",
    "Targets",
    "make_layout",
    "paper_study",
    "study_from_claims",
    "stat_names",
    "load_targets",
    "infeasible_top5",
    "evaluate_ranks",
    "ranks_from_table",
    "ranks_to_table",
    "construct_start",
    "construct_start_dims",
    "search",
    "fit_table",
    "summary",
    "load_kernels",
    "N_ITER_DIMS",
    "DIM_WEIGHT",
]
