"""The paper's reported values beside ours: rounding intervals, agreement flags and the count
the CLI prints; and the CLI's checks that fail before any computing.

Expected intervals are computed by hand from the printed digits (a value printed with d
decimals stands for v +- 0.5 * 10**-d; 'p < .001' for (-inf, .001]).
"""
from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pyvalues.results.summary import _agreement_lines
from pyvalues.crosscheck import reported_agreement, reported_beside

ROOT = Path(__file__).resolve().parents[1]


def fake_results():
    dims = ["Practical", "Epistemic", "Social", "Protective", "Personal"]
    dimension_tests = pd.DataFrame({
        "dimension": dims,
        # Practical: r_rb .2424 prints as .242; Personal: p .403 where the paper prints .398
        "p_mwu": [0.3821, 0.62, 0.76, 0.71, 0.403],
        "r_rb": [24 / 99, 0.0, 0.0, 0.0, -0.232],
    })
    mixed = pd.DataFrame({"effect": ["country", "dimension", "country:dimension"],
                          "F": [float("nan"), 28.58, 0.45], "p": [float("nan"), 1e-10, 0.77],
                          "note": ["F is 0/0 under complete rankings", "", ""]})
    return {"dimension_tests": dimension_tests, "mixed_anova": mixed}


def test_intervals_and_flags_beside_each_reported_value():
    out = reported_beside(fake_results())
    dt = out["dimension_tests"].set_index("dimension")
    # Practical r_rb printed .242 -> [0.2415, 0.2425]; ours 24/99 = 0.24242...
    assert dt.loc["Practical", "r_rb_reported"] == "0.242"
    assert dt.loc["Practical", "r_rb_reported_low"] == pytest.approx(0.2415)
    assert dt.loc["Practical", "r_rb_reported_high"] == pytest.approx(0.2425)
    assert bool(dt.loc["Practical", "r_rb_agrees"]) is True
    # Personal p printed .398 -> [0.3975, 0.3985]; ours .403 is outside
    assert dt.loc["Personal", "p_mwu_reported"] == "0.398"
    assert bool(dt.loc["Personal", "p_mwu_agrees"]) is False
    # a row's own printed value wins over the claim about every row ("all p > .05")
    assert dt.loc["Epistemic", "p_mwu_reported"] == "> 0.05"
    assert dt.loc["Epistemic", "p_mwu_reported_low"] == 0.05 and math.isinf(dt.loc["Epistemic", "p_mwu_reported_high"])
    mx = out["mixed_anova"].set_index("effect")
    # 'p < .001' -> (-inf, 0.001]; ours 1e-10 agrees
    assert mx.loc["dimension", "p_reported"] == "< 0.001"
    assert math.isinf(mx.loc["dimension", "p_reported_low"]) and mx.loc["dimension", "p_reported_high"] == 0.001
    assert bool(mx.loc["dimension", "p_agrees"]) is True
    # F(4, 72) = 0.44 printed -> [0.435, 0.445]; ours 0.45 is outside
    assert bool(mx.loc["country:dimension", "F_agrees"]) is False
    # ours NA (0/0): neither agrees nor disagrees
    assert pd.isna(mx.loc["country", "F_agrees"])


def test_agreement_table_and_the_count_the_summary_prints():
    ag = reported_agreement(fake_results()).set_index("claim_id")
    assert bool(ag.loc["practical_mwu_r_rb", "agrees"]) is True
    assert bool(ag.loc["personal_mwu_p", "agrees"]) is False
    assert pd.isna(ag.loc["mixed_country_F", "agrees"])
    assert "0/0" in ag.loc["mixed_country_F", "note"]
    judged = ag[ag["agrees"].notna()]
    k = int(judged["agrees"].astype(bool).sum())
    # by hand: the two false ones above are among the judged rows
    assert len(judged) - k >= 2
    lines = _agreement_lines(reported_agreement(fake_results()))
    assert f"{k} of {len(judged)} reproduced" in lines[1]
    assert any("dimension_tests[dimension=Personal].p_mwu: paper 0.398, ours 0.403" in ln for ln in lines)


def _cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "pyvalues.analysis", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


@pytest.mark.parametrize("case", ["file", "under_file", "k", "nboot", "groups", "k_too_large"])
def test_cli_fails_before_any_computing(tmp_path, case):
    a_file = tmp_path / "a_file.txt"
    a_file.write_text("x")
    out = tmp_path / "out"
    args, expect = {
        "file": (["--out", str(a_file)], "is a file, not a folder"),
        "under_file": (["--out", str(a_file / "sub")], "is a file, so no folder can be made under it"),
        "k": (["--out", str(out), "--k", "1"], "--k 1: the number of clusters must be at least 2"),
        "nboot": (["--out", str(out), "--nboot", "0"], "--nboot 0"),
        "groups": (["--out", str(out), "--groups", "CN", "JP"], "JP not in the table's countries (CN, US)"),
        "k_too_large": (["--out", str(out), "--k", "20"], "the table has 20 models, so at most 19 clusters"),
    }[case]
    proc = _cli(*args)
    assert proc.returncode == 2
    assert expect in proc.stderr
    assert "Traceback" not in proc.stderr
    # one line per problem, and nothing computed or written
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (out / "term_tests.csv").exists()


def test_texts_state_the_measured_share_of_the_reconstruction():
    """README, the R data documentation and the provenance label give the share the fit
    table measures (not 'consistent with'), so they cannot drift from the data."""
    from pyvalues import datasets

    k, n = datasets.reconstruction_share()
    fit = pd.read_csv(ROOT / "data-raw" / "paper2026_reconstruction_fit.csv", dtype=str, keep_default_na=False)
    feasible = fit[(fit["feasible"] == "yes") & (fit["within_rounding"] != "")]
    assert (k, n) == ((feasible["within_rounding"] == "yes").sum(), len(feasible))
    share = f"{k} of the {n}"
    assert share in (ROOT / "README.md").read_text(encoding="utf-8")
    assert share in (ROOT / "R" / "data.R").read_text(encoding="utf-8")
    assert f"{k} of {n} ({100 * k / n:.1f}%)" in datasets.RECONSTRUCTION_PROVENANCE
    assert "consistent with" not in datasets.RECONSTRUCTION_PROVENANCE
