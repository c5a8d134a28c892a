"""Rank-table validation: each bad input gets an error that names the rows and the fix."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_rank_table, rscript
from pyvalues.errors import PyvaluesWarning, RankTableError
from pyvalues.instrument import TERM_DIMENSION, TERM_NAMES
from pyvalues.ranktable import read_rank_table, term_rank_sums, validate, write_rank_table


def small():
    return make_rank_table(n_cn=2, n_us=2, reps=2, seed=3)


def test_valid_table_gets_dimension_and_provenance():
    out = validate(small(), source="x.csv")
    assert (out["dimension"] == out["term"].map(TERM_DIMENSION)).all()
    assert out.attrs["provenance"] == "user data (x.csv)"
    assert len(out) == 4 * 2 * 25


def test_missing_column():
    with pytest.raises(RankTableError, match=r"missing column\(s\) \['country'\]"):
        validate(small().drop(columns="country"))


def test_unknown_term_suggests_the_closest():
    t = small()
    t.loc[7, "term"] = "Critical thinkng"
    with pytest.raises(RankTableError) as e:
        validate(t)
    msg = str(e.value)
    assert "'Critical thinkng' (did you mean 'Critical thinking'?)" in msg and "row 8" in msg


@pytest.mark.parametrize("bad, pattern", [(0, "outside 1..25"), (26, "outside 1..25"), (3.5, "not a whole number"),
                                          ("x", "not a number")])
def test_bad_rank(bad, pattern):
    t = small().astype({"rank": object})
    t.loc[10, "rank"] = bad
    with pytest.raises(RankTableError, match=pattern) as e:
        validate(t)
    assert "row 11" in str(e.value)


def test_duplicate_rows():
    t = small()
    t = pd.concat([t, t.iloc[[5]]], ignore_index=True)
    with pytest.raises(RankTableError, match="more than once") as e:
        validate(t)
    assert "row 6" in str(e.value) and f"row {len(t)}" in str(e.value)


def test_repeated_rank_is_not_a_permutation():
    t = small()
    first = t.index[(t.model == "cn01") & (t.replicate == 2)]
    t.loc[first[1], "rank"] = t.loc[first[0], "rank"]
    with pytest.raises(RankTableError, match=r"not a permutation.*model 'cn01'.*replicate 2.*used more than once"):
        validate(t)


def test_missing_terms_in_a_ranking():
    t = small()
    t = t.drop(t.index[(t.model == "us02") & (t.replicate == 1) & (t.term == "Logic")])
    with pytest.raises(RankTableError, match=r"model 'us02'.*missing term\(s\) \['Logic'\]"):
        validate(t)


def test_drop_policy_warns_how_many_and_which():
    t = small()
    t = t.drop(t.index[(t.model == "us02") & (t.replicate == 1) & (t.term == "Logic")])
    with pytest.warns(PyvaluesWarning, match=r"dropped 1 ranking\(s\) \(24 rows\).*us02"):
        out = validate(t, invalid_rankings="drop")
    assert len(out) == 4 * 2 * 25 - 25


def test_model_with_two_countries_or_none():
    t = small()
    t.loc[t.index[t.model == "cn01"][:3], "country"] = "US"
    with pytest.raises(RankTableError, match=r"exactly one country.*'cn01': \['CN', 'US'\]"):
        validate(t)
    t = small()
    t.loc[4, "country"] = None
    with pytest.raises(RankTableError, match=r"no value in column 'country'.*row 5"):
        validate(t)


def test_wrong_dimension_column():
    t = small()
    t["dimension"] = t["term"].map(TERM_DIMENSION)
    t.loc[0, "dimension"] = "Social"
    with pytest.raises(RankTableError, match="does not belong to their term"):
        validate(t)


@pytest.mark.parametrize("ext", ["csv", "parquet", "rds"])
def test_round_trip_through_files(tmp_path, ext):
    t = validate(small())
    p = write_rank_table(t, tmp_path / f"t.{ext}")
    back = read_rank_table(p)
    pd.testing.assert_frame_equal(
        back[["model", "country", "language", "replicate", "term", "rank"]].reset_index(drop=True),
        t[["model", "country", "language", "replicate", "term", "rank"]].reset_index(drop=True),
        check_dtype=False,
    )


def test_rds_written_by_r_reads_back(tmp_path):
    p = tmp_path / "from_r.rds"
    rscript(
        f"""inst <- read.csv("{__import__('conftest').ROOT}/inst/extdata/instrument.csv")
        d <- data.frame(model = "m1", country = factor("CN"), language = "zh", replicate = 1L,
                        term = factor(inst$term), rank = rev(seq_len(25)))
        saveRDS(d, "{p}")"""
    )
    t = read_rank_table(p)
    assert t.set_index("term").loc["Helpfulness", "rank"] == 25


def test_unreadable_and_unknown_files(tmp_path):
    with pytest.raises(RankTableError, match="no such file"):
        read_rank_table(tmp_path / "nope.csv")
    (tmp_path / "t.xlsx").write_text("x")
    with pytest.raises(RankTableError, match="unknown file type"):
        read_rank_table(tmp_path / "t.xlsx")


@settings(max_examples=40, deadline=None)
@given(st.permutations(list(range(1, 26))), st.integers(0, 24), st.integers(0, 24))
def test_any_permutation_is_valid_and_any_repeat_is_caught(perm, i, j):
    t = pd.DataFrame({"model": "m", "country": "CN", "language": "en", "replicate": 1,
                      "term": list(TERM_NAMES), "rank": perm})
    assert len(validate(t)) == 25
    if i != j:
        t.loc[i, "rank"] = t.loc[j, "rank"]
        with pytest.raises(RankTableError, match="not a permutation"):
            validate(t)


def test_term_rank_sums_by_hand():
    t = validate(small())
    sums, n = term_rank_sums(t)
    raw = t[(t.model == "cn02") & (t.term == "Harmony")]["rank"]
    assert sums.loc["cn02", "Harmony"] == raw.sum() and n["cn02"] == 2
