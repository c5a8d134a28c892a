"""Shared fixtures: seeded rank tables and a way to ask R directly (Rscript, no rpy2)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pyvalues.instrument import TERM_NAMES

ROOT = Path(__file__).resolve().parents[1]


def make_rank_table(n_cn=11, n_us=9, reps=3, seed=1, noise=4.0, language="en", countries=("CN", "US")):
    """n_cn + n_us models, `reps` rankings each: noisy copies of a per-model base order."""
    rng = np.random.default_rng(seed)
    rows = []
    models = [(f"cn{i + 1:02d}", countries[0]) for i in range(n_cn)] + [
        (f"us{i + 1:02d}", countries[1]) for i in range(n_us)
    ]
    for name, country in models:
        base = rng.permutation(25)
        for r in range(1, reps + 1):
            order = np.argsort(np.argsort(base + rng.normal(0, noise, 25), kind="stable"), kind="stable") + 1
            for term, rank in zip(TERM_NAMES, order):
                rows.append((name, country, language, r, term, int(rank)))
    return pd.DataFrame(rows, columns=["model", "country", "language", "replicate", "term", "rank"])


@pytest.fixture
def rank_table():
    return make_rank_table()


def rscript(code: str, timeout: int = 300) -> str:
    """Run R code in a fresh Rscript process and return its standard output."""
    if shutil.which("Rscript") is None:
        pytest.skip("Rscript not installed: run `bash setup.sh --dev` (the README's test command)")
    res = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, timeout=timeout)
    if res.returncode != 0:
        raise AssertionError(f"Rscript failed:\n{res.stderr}")
    return res.stdout
