"""Level 3 on the bundled reconstruction: the reproduced share and each remaining miss classified.

A level-3 row is *feasible* when it is neither `infeasible` (proved impossible at level 1 or 2
for any complete-ranking data set) nor `not_checkable` (no counterpart, or never targeted by
the reconstruction's search, like the four bootstrap CI bounds). A feasible row the
reconstruction does not reproduce (`inconsistent`) is a *miss*; each miss is classified here as
either `proved infeasible` (with the argument) or `not reached by the search, not proven
infeasible` (with what levels 1 and 2 do say). The arguments for the seed paper are written out
in `SEED_PAPER_MISSES`; a miss without an entry is `not reached by the search, not proven
infeasible`. Nothing here regenerates the reconstruction.
"""
from __future__ import annotations

import pandas as pd

__all__ = ["level3_share", "level3_misses", "SEED_PAPER_MISSES"]

NOT_REACHED = "not reached by the search, not proven infeasible"

# claim id -> (classification, argument); measured values are those of the bundled reconstruction
SEED_PAPER_MISSES: dict[str, tuple[str, str]] = {
    "mean_sd_protective": (NOT_REACHED,
        "The reconstruction gives 2.89. A model's SD of its five Protective term means ranges from 0 (equal means over the "
        "3 replicates) to about 10 (terms at the two ends of the ranking), so 5.06 is not excluded by any level-1/2 bound; "
        "no LP certificate exists in this form, as an SD is not linear in the rankings."),
    "mean_sd_personal": (NOT_REACHED,
        "The reconstruction gives 1.88. With Personal scores near 21.3, five term means in [1, 25] still allow an SD from 0 "
        "to about 5, so 2.53 is not excluded at level 1 or 2."),
    "disp_posthoc_social_epistemic": (NOT_REACHED,
        "The reconstruction's Bonferroni p is .041. Level 2 finds nothing against p <= .0014 (the printed F(4, 76) = 12.33 "
        "is large enough for it); the search traded it against the other dispersion targets."),
    "top5_cn": (NOT_REACHED,
        "Alone not proven infeasible (the fit table: an LP relaxation over the permutahedron satisfies both groups' Top-5 "
        "sets with the archetypes and dimension means). Jointly with Figure 1's statement (claim overall_top5) it is "
        "impossible: level 2 proves the two groups' Top-5 sets and the overall Top-5 cannot all hold."),
    "top5_us": (NOT_REACHED,
        "As top5_cn: not proven infeasible alone, impossible jointly with the overall Top-5 of Figure 1 (level-2 row "
        "overall_top5)."),
    "personal_mwu_p": (NOT_REACHED,
        "The reconstruction's p is .403 (no ties). Level 1: with U = 61 (11 vs 9) the printed p = .398 needs tie groups "
        "among the 20 Personal scores with sum(t^3 - t) >= 162 (one group of 6 equal scores), far below the 4104 the design "
        "allows at U = 61; scores on the 1/15 grid near 22 make such ties plausible."),
    "spearman_cn_mean": (NOT_REACHED,
        "The reconstruction gives .624. Level 2 (Daniels' inequality with tau = .5590, the SD bound) is satisfied; the "
        "archetype memberships and value sets pull CN models apart in the search."),
    "spearman_cn_sd": (NOT_REACHED, "The reconstruction gives .213; the level-2 SD bound (<= .70 for a mean of .718 over 55 "
                                    "pairs) is satisfied."),
    "kendall_tau_cn_mean": (NOT_REACHED, "The reconstruction gives .519; Daniels' inequality with rho = .718 is satisfied."),
    "spearman_us_sd": (NOT_REACHED, "The reconstruction gives .231; the level-2 SD bound is satisfied."),
    "archetype_social_ethical_terms": (NOT_REACHED,
        "The fit table's LP relaxation satisfies the archetype value sets with the memberships, group Top-5 sets and "
        "dimension means; the search did not find complete rankings that do."),
    "archetype_balanced_general_terms": (NOT_REACHED, "As archetype_social_ethical_terms (the reconstruction has Logic "
                                                      "for Helpfulness)."),
    "archetype_warm_caring_terms": (NOT_REACHED, "As archetype_social_ethical_terms."),
    "term_tests_all_q": (NOT_REACHED,
        "One term's BH q is .003 in the reconstruction. All q >= .05 holds for data without group differences, so it is "
        "feasible on its own; jointly with the two uncorrected p < .05 (Cliff's delta ~ .55) it needs the smallest p >= "
        ".05/25 = .002 and no run of small p's, which the search did not reach."),
}


def level3_share(table: pd.DataFrame) -> dict:
    """Feasible level-3 rows (consistent + inconsistent) and the share reproduced."""
    l3 = table[table["level"] == 3]
    feasible = l3[l3["verdict"].isin(["consistent", "inconsistent"])]
    n = len(feasible)
    k = int((feasible["verdict"] == "consistent").sum())
    return {"n_level3": len(l3), "n_infeasible": int((l3["verdict"] == "infeasible").sum()),
            "n_not_checkable": int((l3["verdict"] == "not_checkable").sum()), "n_feasible": n, "n_reproduced": k,
            "share": k / n if n else float("nan")}


def level3_misses(table: pd.DataFrame, arguments: dict | None = None) -> pd.DataFrame:
    """One row per feasible level-3 row not reproduced: claim_id, printed, reconstruction,
    classification, argument."""
    arguments = SEED_PAPER_MISSES if arguments is None else arguments
    l3 = table[(table["level"] == 3) & (table["verdict"] == "inconsistent")]
    rows = []
    for _, r in l3.iterrows():
        cls, arg = arguments.get(r["claim_id"], (NOT_REACHED, ""))
        rows.append({"claim_id": r["claim_id"], "printed": r["reported"], "reconstruction": r["recomputed"],
                     "classification": cls, "argument": arg})
    return pd.DataFrame(rows, columns=["claim_id", "printed", "reconstruction", "classification", "argument"])
