"""Bundled data sets, loadable by name.

=========================  ==================================================================
name                       what it is
=========================  ==================================================================
paper2026_reconstruction   20 models x 3 replicates x 25 terms, **reconstructed from the seed
                           paper's published summary statistics** by data-raw/reconstruct_paper.py;
                           not the authors' raw data (which are unpublished)
language_simulation        **SIMULATED** two-language (zh, en) table of 16 fictitious models with
                           a built-in language effect, drawn by the seeded generator
                           data-raw/make_language_example.py; shows the language analysis
local_models               real responses of two small local models (Gemma 3 270M,
                           SmolLM2-135M) to the Appendix A.1 prompt, parsed (data-raw/)
=========================  ==================================================================

The R package ships the reconstruction as ``data(paper2026_reconstruction)``; Python reads
the same file (``data/paper2026_reconstruction.rda``); likewise ``data(language_simulation)``,
which Python reads from ``data-raw/language_simulation.csv``.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from .errors import PyvaluesError
from .ranktable import read_rank_table

__all__ = ["DATASETS", "DEFAULT_DATASET", "RECONSTRUCTION_PROVENANCE", "SIMULATION_PROVENANCE", "load", "path",
           "reconstruction_share"]

_ROOT = Path(__file__).resolve().parents[1]

FIT_TABLE = _ROOT / "data-raw" / "paper2026_reconstruction_fit.csv"


def reconstruction_share(fit: Path = FIT_TABLE) -> tuple[int, int]:
    """(reproduced, feasible): how many of the paper's jointly feasible reported numbers the
    reconstruction reproduces within rounding, from the search's fit table."""
    with open(fit, encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["feasible"] == "yes" and r["within_rounding"]]
    return sum(r["within_rounding"] == "yes" for r in rows), len(rows)


def _reconstruction_provenance() -> str:
    try:
        k, n = reconstruction_share()
        share = (f"it reproduces {k} of {n} ({100 * k / n:.1f}%) of the paper's jointly feasible reported "
                 "numbers within rounding (data-raw/paper2026_reconstruction_fit.csv lists the misses)")
    except (OSError, KeyError, ZeroDivisionError):
        share = "its fit table (data-raw/paper2026_reconstruction_fit.csv) is missing"
    return ("RECONSTRUCTED data: a rank data set searched to reproduce the summary statistics published in "
            f"Ma, Tong, Wang & Peng (2026); {share}; not the authors' raw data (unpublished)")


RECONSTRUCTION_PROVENANCE = _reconstruction_provenance()

SIMULATION_PROVENANCE = (
    "SIMULATED data: a two-language (zh, en) rank table of 16 fictitious models drawn by "
    "data-raw/make_language_example.py (seed 20261201) with a built-in language effect; "
    "not observed responses of any real model"
)

DATASETS = {
    "paper2026_reconstruction": (_ROOT / "data" / "paper2026_reconstruction.rda", RECONSTRUCTION_PROVENANCE),
    "language_simulation": (_ROOT / "data-raw" / "language_simulation.csv", SIMULATION_PROVENANCE),
    "local_models": (
        _ROOT / "data-raw" / "local_ranktable.csv",
        "real responses of local models Gemma 3 270M and SmolLM2-135M-Instruct (llama.cpp, CPU), "
        "collected with configs/local.toml and parsed by pyvalues.parse",
    ),
}
DEFAULT_DATASET = "paper2026_reconstruction"


def path(name: str) -> Path:
    """Where the bundled data set `name` lives."""
    if name not in DATASETS:
        raise PyvaluesError(f"no bundled data set {name!r}; available: {sorted(DATASETS)}")
    return DATASETS[name][0]


def load(name: str = DEFAULT_DATASET) -> pd.DataFrame:
    """Load a bundled data set as a validated rank table, provenance in ``.attrs``."""
    file = path(name)
    if not file.exists():
        raise PyvaluesError(
            f"bundled data set {name!r} is missing its file {file}; rebuild it with the script in data-raw/."
        )
    table = read_rank_table(file)
    table.attrs["provenance"] = DATASETS[name][1]
    table.attrs["dataset"] = name
    return table
