"""Parity of the Python twins with R (pv_analyse through the bridge) on seeded rank tables.

    .venv/bin/python benchmarks/twins_parity.py

Prints, per table, the number of parity rows, how many compare the same method, how many
of those disagree, the largest relative and absolute differences (per result table),
and the wall time of python_twins + parity_table. Not an assertion: tests/test_twins_parity.py
holds the 1e-8 requirement.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_twins_parity import TABLES  # noqa: E402  (the seeded generators of the tests)

from pyvalues import analysis  # noqa: E402
from pyvalues.analysis.parity import parity_table  # noqa: E402
from pyvalues.analysis.twins import python_twins  # noqa: E402


def main() -> None:
    for name, make in TABLES.items():
        table = make()
        res = analysis.run(table, nboot=100, ci_nboot=1000, parity=False)
        t = time.perf_counter()
        par = parity_table(dict(res.tables), python_twins(table))
        elapsed = time.perf_counter() - t
        same = par[par["same_method"]]
        floor = same[(same["rel_diff"] > 1e-8) & same["agrees"]]
        print(f"{name}: {len(par)} rows, {len(same)} same-method, {int((~same['agrees']).sum())} disagree; "
              f"max rel_diff {same.loc[~same.index.isin(floor.index), 'rel_diff'].max():.2g} "
              f"(excluding {len(floor)} exact-zero statistics within abs 1e-12: max abs_diff "
              f"{floor['abs_diff'].max() if len(floor) else 0:.2g}); twins + parity {elapsed:.2f} s")
        per = same[~same.index.isin(floor.index)].groupby("table")["rel_diff"].max()
        print("   " + ", ".join(f"{k} {v:.1e}" for k, v in per.items()))
        other = par[~par["same_method"]].groupby("table").size()
        print("   different conventions (rows):", ", ".join(f"{k} {v}" for k, v in other.items()))


if __name__ == "__main__":
    main()
