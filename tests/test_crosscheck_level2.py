"""Level-2 design checks on constructed claims files (values derived by hand below)."""
from __future__ import annotations

import pandas as pd
import pytest

from pyvalues.crosscheck import crosscheck, default_claims_path, read_claims
from pyvalues.crosscheck.level2 import level2_rows
from pyvalues.errors import ClaimsError


@pytest.fixture(scope="module")
def paper():
    return read_claims(default_claims_path())


def edit(claims: pd.DataFrame, claim_id: str, **values) -> pd.DataFrame:
    out = claims.copy()
    i = out.index[out["claim_id"] == claim_id][0]
    for k, v in values.items():
        out.at[i, k] = v
    return out


def rows_for(claims, claim_id, note_has=""):
    return [r for r in level2_rows(claims) if r["claim_id"] == claim_id and note_has in r["note"]]


def test_claims_file_has_every_inferential_result(paper):
    # the paper prints 3 + 9 F-test numbers, 2 U results, 2 Welch results, 20 Table A-1 rows
    q = paper.groupby(["test", "quantity"]).size()
    assert q[("mixed_anova", "F")] == 3 and q[("rm_anova", "F")] == 1
    assert q[("mann_whitney", "U")] == 2 and q[("welch_t", "t")] == 2
    assert (paper["claim_id"].str.endswith("_W") & paper["companion"].str.startswith("kendall_w_")).sum() == 22  # 20 table + 2 text
    assert q[("spearman", "ci_low")] == 2 and q[("spearman", "ci_high")] == 2


def test_mixed_country_df_and_infeasibility(paper):
    # k = 20 models in 2 groups: the between-model error has k - 2 = 18 df, not 72
    r = rows_for(paper, "mixed_country_F", "requires F(1, 18)")
    assert r and r[0]["verdict"] == "inconsistent"
    r = rows_for(paper, "mixed_country_F", "identically 0")
    assert r and r[0]["verdict"] == "infeasible"
    fixed = edit(paper, "mixed_country_F", df2=18.0)
    assert rows_for(fixed, "mixed_country_F", "requires F(1, 18)")[0]["verdict"] == "consistent"


def test_dimension_means_must_sum_to_65(paper):
    # 8.02 + 8.62 + 13.46 + 13.55 + 21.34 = 64.99, interval [64.965, 65.015] contains 5 * 13
    assert rows_for(paper, "dim_mean_protective", "")[0]["verdict"] == "consistent"
    r = [x for x in level2_rows(paper) if "must sum to 65" in x["note"]]
    assert r[0]["verdict"] == "consistent"
    bad = edit(paper, "dim_mean_personal", reported="22.34")  # sum 65.99
    r = [x for x in level2_rows(bad) if "must sum to 65" in x["note"]]
    assert r[0]["verdict"] == "inconsistent"


def test_weighted_group_means(paper):
    # (11 * 12.95 + 9 * 14.09) / 20 = 13.463 -> meets 13.46
    r = rows_for(paper, "dim_mean_practical", "/ 20 lies in")
    assert r[0]["verdict"] == "consistent"
    bad = edit(paper, "dim_mean_practical", reported="13.36")
    assert rows_for(bad, "dim_mean_practical", "/ 20 lies in")[0]["verdict"] == "inconsistent"


def test_grim_median_grid(paper):
    # a median of 11 scores is a multiple of 1/15: 12.80 = 192/15 yes; 12.83 is neither 12.8 nor 12.8667
    assert rows_for(paper, "practical_mwu_median_cn", "multiple of")[0]["verdict"] == "consistent"
    bad = edit(paper, "practical_mwu_median_cn", reported="12.83")
    assert rows_for(bad, "practical_mwu_median_cn", "multiple of")[0]["verdict"] == "infeasible"


def test_text_against_table(paper):
    assert rows_for(paper, "concordance_sig_count_a")[0]["verdict"] == "inconsistent"  # 18 vs 19 in the table
    assert rows_for(paper, "concordance_sig_count_b")[0]["verdict"] == "consistent"
    assert rows_for(paper, "concordance_us_except_phi4")[0]["verdict"] == "inconsistent"  # Claude-4-opus W = .776
    assert rows_for(paper, "kendall_w_wenxin_sig")[0]["verdict"] == "inconsistent"  # p = .022 marked **
    assert rows_for(edit(paper, "kendall_w_wenxin_sig", reported="*"), "kendall_w_wenxin_sig")[0]["verdict"] == "consistent"


def test_percentages_and_partition(paper):
    assert rows_for(paper, "primary_epi_prot_pct")[0]["verdict"] == "consistent"  # 18/20 = 90%
    assert rows_for(edit(paper, "primary_epi_prot_pct", reported="80"), "primary_epi_prot_pct")[0]["verdict"] == "inconsistent"
    r = [x for x in level2_rows(paper) if "distinct models" in x["note"]]
    assert r[0]["verdict"] == "consistent"
    dup = edit(paper, "archetype_social_ethical_members", reported="Microsoft-Phi4;Mistral-large;Falcon")
    r = [x for x in level2_rows(dup) if "distinct models" in x["note"]]
    assert r[0]["verdict"] == "inconsistent"


def test_daniels_inequality(paper):
    # 3 * .5590 - 2 * .7180 = 0.241 within [-1, 1]; tau = .95 with rho = .40 gives 2.05 > 1
    assert rows_for(paper, "kendall_tau_cn_mean", "Daniels")[0]["verdict"] == "consistent"
    bad = edit(paper, "kendall_tau_cn_mean", reported="0.9500")
    bad = edit(bad, "spearman_cn_mean", reported="0.4000")
    assert rows_for(bad, "kendall_tau_cn_mean", "Daniels")[0]["verdict"] == "inconsistent"


def test_design_rows_are_required(paper):
    with pytest.raises(ClaimsError, match="design row"):
        level2_rows(paper[paper["claim_id"] != "design_n_replicates"])


def test_bad_claims_file_reports_row(tmp_path):
    p = tmp_path / "c.csv"
    df = read_claims(default_claims_path()).head(3).copy()
    df.loc[1, "relation"] = "=="
    df.to_csv(p, index=False)
    with pytest.raises(ClaimsError, match=r"row 3 .*relation"):
        read_claims(p)


def test_crosscheck_table_contract():
    t = crosscheck(statcheck=False)
    assert list(t.columns) == ["claim_id", "level", "location", "statistic", "test_type", "df1", "df2", "value", "p_comparison",
                               "p_reported", "p_recomputed", "one_tailed", "verdict", "note", "reported", "recomputed"]
    assert set(t["verdict"]) <= {"consistent", "inconsistent", "decision_error", "infeasible", "not_checkable"}
    assert set(t["level"]) == {1, 2}
    assert (t["note"].str.len() > 20).all()
