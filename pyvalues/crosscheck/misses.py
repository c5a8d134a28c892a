"""Level 3 on the bundled reconstruction: the reproduced share and each remaining miss classified.

A level-3 row is *feasible* when it is neither `infeasible` (proved impossible at level 1 or 2
for any complete-ranking data set) nor `not_checkable` (no counterpart, or never targeted by
the reconstruction's search, like the four bootstrap CI bounds). A feasible row the
reconstruction does not reproduce (`inconsistent`) is a *miss*; each miss is classified here as
`proved infeasible` (alone, or as the forced member of a set of claims that cannot all hold;
the share without them is reported beside the strict one), `not reached by the search; a
checked witness reaches it with its companion claims` (a data set, or the part of one the
claim depends on, that reproduces it together with the printed numbers it is tied to), or
`not reached by the search, not proven infeasible` (with what levels 1 and 2 do say), or
`jointly infeasible with level-3 rows` (a member of a set of feasible level-3 rows proved unable
to hold together: every complete-ranking data set misses at least one row of the set, though no
single row of it is forced). Each such set that shares no row with another lowers the number of
feasible rows any data set can reproduce by one (`n_reachable` in :func:`level3_share`). The
arguments for the seed paper are in `SEED_PAPER_MISSES`; the computations they cite are in
pyvalues.crosscheck.certificates and recomputed from the claims file by the tests. A miss
without an entry is `not reached by the search, not proven infeasible`. Nothing here
regenerates the reconstruction.
"""
from __future__ import annotations

import pandas as pd

__all__ = ["level3_share", "level3_misses", "joint_certificates", "SEED_PAPER_MISSES", "NOT_REACHED", "WITNESSED",
           "PROVED", "JOINT"]

NOT_REACHED = "not reached by the search, not proven infeasible"
WITNESSED = "not reached by the search; a checked witness reaches it with its companion claims (not infeasible)"
PROVED = "proved infeasible"
JOINT = ("jointly infeasible with level-3 rows: every complete-ranking data set misses at least one row of its "
         "certificate (no single row forced)")

# claim id -> (classification, argument); measured values are those of the bundled reconstruction.
# "(checked: f)" names the function of pyvalues.crosscheck.certificates that recomputes the argument
# from the claims file (tests/test_crosscheck_misses.py runs each one).
_LINEAR = ("A witness (checked: certificates.linear_witness, a mixed-integer programme over each model's rank-count "
           "matrix, decomposed into 3 permutations per model) gives complete rankings that satisfy at once both groups' "
           "Top-5 and Bottom-5 sets, the four archetype value sets with their printed memberships, the five dimension "
           "means and the groups' Practical and Personal means, each set with strict separation (no tie-breaking "
           "needed). So no argument linear in the term means proves it infeasible; what the search cannot reconcile is "
           "non-linear: the hierarchical clustering must return the printed memberships, with Table A-1's Kendall's W "
           "per model and the groups' correlations.")
SEED_PAPER_MISSES: dict[str, tuple[str, str]] = {
    "mean_sd_protective": (JOINT,
        "The reconstruction gives 2.96. Not reachable together with the 29 other rows of a checked certificate "
        "(checked: certificates.dispersion_budget_certificate), all of which the reconstruction reproduces but "
        "mean_sd_personal: for complete rankings each model's squared deviations of its 25 term means from 13 sum to "
        "1300 W, split by dimension into 4 SD^2 + 5 (score - 13)^2; Table A-1's 20 W (sum <= 17.488), the five dimension "
        "means and the mixed ANOVA's F(4, 72) = 28.58 and 0.44 (which fix the spread of the dimension scores) leave the "
        "100 within-dimension SDs a budget sum SD^2 <= 1063.9, while mean SDs of 5.06 (Protective) and 2.53 (Personal, "
        "the smallest) with the dispersion F(4, 76) = 12.33 need sum SD^2 >= 1178.9. So at least one of the 31 rows "
        "fails in every complete-ranking data set; the reconstruction keeps Table A-1, the means and both ANOVAs and "
        "misses the two mean SDs (sum SD^2 = 1018). Levels 1 and 2 alone exclude neither. The proof holds for pyvalues' "
        "reading of the paper's 'SD of term ranks' (the SD of a model's 5 term means); read as the SD of a model's 15 "
        "raw ranks in a dimension (its 3 rankings pooled), the budget is 1611.7 whatever W is and this argument finds no "
        "contradiction -- a hint that the paper may have pooled the raw ranks (the reconstruction is fitted to the "
        "term-mean reading)."),
    "mean_sd_personal": (JOINT,
        "The reconstruction gives 1.89. As mean_sd_protective: the same certificate (checked: "
        "certificates.dispersion_budget_certificate). Alone it is reachable (an SD of 5 term means near a score of 21.3 "
        "ranges from 0 to about 3.5); with Protective at 5.06 it exceeds the SD budget that Table A-1's W and the mixed "
        "ANOVA leave."),
    "disp_posthoc_social_epistemic": (NOT_REACHED,
        "The reconstruction's Bonferroni p is .021. Level 2 finds nothing against p <= .0014 (the printed F(4, 76) = 12.33 "
        "is large enough for it), nor does the SD budget of mean_sd_protective (checked: "
        "certificates.dispersion_budget_certificate) once the two mean SDs are dropped; the search traded it against "
        "the other dispersion targets. Not proven either way."),
    "top5_cn": (WITNESSED,
        "Jointly with Figure 1's overall Top-5 (claim overall_top5) it is impossible (checked: "
        "certificates.top5_joint_certificate): Critical thinking, Equity and justice, Harmony and Helpfulness are in both "
        "groups' Top-5, so pooled they precede the 4 terms of the overall Top-5 that are in neither, and 4 + 4 > 5. At most "
        "two of the three hold; no level-3 row is forced out, as overall_top5 (level 2, inconsistent) can be the false one. "
        + _LINEAR),
    "top5_us": (WITNESSED, "As top5_cn: the same joint certificate with overall_top5 (checked: "
                           "certificates.top5_joint_certificate), and the same witness (checked: certificates.linear_witness)."),
    "personal_mwu_p": (WITNESSED,
        "The reconstruction's p is .403 (tie sum 12). A witness (checked: certificates.personal_scores_witness) gives 20 "
        "Personal rank sums (integers in [45, 345], each reachable by complete rankings) that reproduce all 14 printed "
        "Personal numbers at once -- medians 22.00/21.80, U = 61, p = .398 (tie sum 162: a 5-fold tie at 22.0, pairs), "
        "r_rb = -.232, the Welch means, SDs, t, df, p and g, and the overall Personal mean 21.34 -- as R's wilcox.test and "
        "t.test compute them."),
    "spearman_cn_mean": (WITNESSED,
        "The reconstruction gives .639. Level 2 (Daniels' inequality with tau = .5590, the SD bound) is satisfied, and a "
        "witness (checked: certificates.correlation_witness) gives 11 rankings whose 55 pairwise correlations have mean "
        "rho .7180, SD .1179 and mean tau-b .5590 at once. The witness has identical replicates (W = 1 per model), so it "
        "shows the three CN correlation claims jointly reachable, not jointly with Table A-1's W or the archetypes, which "
        "pull CN models apart in the search."),
    "spearman_cn_sd": (WITNESSED, "The reconstruction gives .206. As spearman_cn_mean: the same witness (checked: "
                                  "certificates.correlation_witness) gives SD .1179 with the mean and tau-b."),
    "kendall_tau_cn_mean": (WITNESSED, "The reconstruction gives .532. As spearman_cn_mean: the same witness (checked: "
                                       "certificates.correlation_witness) gives tau-b .5590 with rho's mean and SD."),
    "spearman_us_sd": (WITNESSED, "The reconstruction gives .231 (its mean .5291 and tau-b .4063 are reproduced). A witness "
                                  "(checked: certificates.correlation_witness) gives 9 rankings with mean rho .5291, SD .2706 "
                                  "and mean tau-b .4063 at once (identical replicates: not jointly with Table A-1's W)."),
    "archetype_social_ethical_terms": (WITNESSED, _LINEAR),
    "archetype_balanced_general_terms": (WITNESSED, "The reconstruction has Critical thinking for Helpfulness. " + _LINEAR),
    "archetype_warm_caring_terms": (WITNESSED, _LINEAR),
    "mean_sd_largest": (NOT_REACHED,
        "The reconstruction's largest mean within-dimension SD is Practical's (3.94; Protective 2.96). Levels 1 and 2 cannot "
        "check it (only the Protective and Personal mean SDs are printed). Protective as the largest needs no particular "
        "size, so the SD budget of mean_sd_protective (checked: certificates.dispersion_budget_certificate) does not "
        "exclude it on its own; not proven either way."),
    "heatmap_disagreement_high": (NOT_REACHED,
        "Read as Accuracy, Critical thinking and Professional ethics being among the 5 terms with the largest SD of the "
        "models' mean ranks; the reconstruction has Professional ethics among them, not Accuracy or Critical thinking. A "
        "reading of the heat map with no number printed: levels 1 and 2 say nothing about it. The search targets it "
        "since stage 4 of data-raw/reconstruct_paper.py (the SD of each term's mean rank over models and its rank, "
        "checked against R's sd() in tests/test_reconstruction.py); the polish runs that reached it lost 2 or 3 other "
        "claims (Kendall's tau for US, 'all term q >= .05', an archetype value set, the US mean rho), so none was kept. "
        "Not proven either way."),
}


def joint_certificates(claims=None) -> pd.DataFrame:
    """Sets of claims proved unable to hold together, recomputed from the claims file: one row per
    set with its members, `infeasible`, the level-3 rows it forces out (a level-3 row is forced out
    only when every other member is a claim the paper must keep; none is today) and the argument.
    A set whose members are all feasible level-3 rows forces out no particular row but at least
    one of them (see :func:`level3_share`)."""
    from pyvalues.crosscheck.certificates import dispersion_budget_certificate, top5_joint_certificate

    rows = []
    cert = top5_joint_certificate(claims)
    if cert is not None:
        rows.append({"certificate": "top5_joint", "members": ";".join(cert["members"]), "infeasible": cert["infeasible"],
                     "forced_level3": "", "argument": cert["argument"]
                     + " overall_top5 has no level-3 row and can be the false member, so top5_cn and top5_us stay feasible."})
    cert = dispersion_budget_certificate(claims)
    if cert is not None:
        rows.append({"certificate": "dispersion_budget", "members": ";".join(cert["members"]),
                     "infeasible": cert["infeasible"], "forced_level3": "", "argument": cert["argument"]})
    return pd.DataFrame(rows, columns=["certificate", "members", "infeasible", "forced_level3", "argument"])


def _disjoint_level3_sets(certificates: pd.DataFrame, feasible_ids: set) -> list[str]:
    """Infeasible certificates whose members are all feasible level-3 rows, pairwise disjoint
    (taken in order, a certificate sharing a row with one already taken is skipped)."""
    taken, used = [], set()
    for _, r in certificates.iterrows():
        members = set(str(r["members"]).split(";"))
        if bool(r["infeasible"]) and members <= feasible_ids and not members & used:
            taken.append(r["certificate"])
            used |= members
    return taken


def level3_share(table: pd.DataFrame, arguments: dict | None = None, certificates: pd.DataFrame | None = None) -> dict:
    """Feasible level-3 rows (consistent + inconsistent) and the share reproduced.

    `share` is strict: reproduced / all feasible rows. `share_proven` removes from the
    denominator the misses proved infeasible here (classification PROVED: alone, or as the
    forced member of a jointly infeasible set, see :func:`joint_certificates`); `n_proven` counts them.
    `n_reachable` is the most feasible rows any complete-ranking data set can reproduce as far as
    proved: each jointly infeasible set of feasible level-3 rows (`certificates`, default the seed
    paper's :func:`joint_certificates` when `arguments` is the default too) that shares no row with
    another costs one row (`n_unreachable`, the sets in `unreachable_sets`); `share_reachable` is
    reproduced / n_reachable."""
    if certificates is None:
        certificates = joint_certificates() if arguments is None else pd.DataFrame(columns=["certificate", "members",
                                                                                              "infeasible"])
    arguments = SEED_PAPER_MISSES if arguments is None else arguments
    l3 = table[table["level"] == 3]
    feasible = l3[l3["verdict"].isin(["consistent", "inconsistent"])]
    n = len(feasible)
    k = int((feasible["verdict"] == "consistent").sum())
    missed = feasible.loc[feasible["verdict"] == "inconsistent", "claim_id"]
    proven_ids = {c for c in missed if arguments.get(c, (NOT_REACHED, ""))[0] == PROVED}
    proven = len(proven_ids)
    sets = _disjoint_level3_sets(certificates, set(feasible["claim_id"]) - proven_ids)
    reachable = n - proven - len(sets)
    return {"n_level3": len(l3), "n_infeasible": int((l3["verdict"] == "infeasible").sum()),
            "n_not_checkable": int((l3["verdict"] == "not_checkable").sum()), "n_feasible": n, "n_reproduced": k,
            "share": k / n if n else float("nan"), "n_proven": proven,
            "share_proven": k / (n - proven) if n > proven else float("nan"),
            "n_unreachable": len(sets), "unreachable_sets": sets, "n_reachable": reachable,
            "share_reachable": k / reachable if reachable else float("nan")}


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
