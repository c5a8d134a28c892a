"""The level-3 misses: each checked argument recomputed from the claims file, so it can fail.

Independent sources: the joint Top-5 certificate against a hand count; the Personal witness
against R's wilcox.test and t.test; the linear witness against pandas group means of its
rankings (and the permutations checked directly); the correlation witnesses against scipy's
spearmanr and kendalltau.
"""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from pyvalues.crosscheck import default_claims_path, read_claims
from pyvalues.crosscheck import certificates as cert
from pyvalues.crosscheck.design import MODEL_COUNTRY
from pyvalues.crosscheck.misses import (JOINT, NOT_REACHED, PROVED, SEED_PAPER_MISSES, WITNESSED, joint_certificates,
                                        level3_misses, level3_share)
from pyvalues.instrument import TERM_DIMENSION, TERM_NAMES

SHARED = {"Harmony", "Critical thinking", "Helpfulness", "Equity and justice"}


def test_top5_joint_certificate_from_the_claims():
    c = cert.top5_joint_certificate()
    # hand count from the paper's text: 4 terms in both groups' Top-5; Figure 1 names 4 terms in neither
    assert set(c["both"]) == SHARED
    assert set(c["neither_listed"]) == {"Protecting human rights and dignity", "Harm prevention", "Professional ethics",
                                        "Accuracy"}
    assert c["infeasible"] is True and "4 + 4 > 5" in c["argument"]
    jc = joint_certificates().set_index("certificate")
    assert bool(jc.loc["top5_joint", "infeasible"]) and jc.loc["top5_joint", "forced_level3"] == ""


def test_top5_joint_certificate_fails_when_the_claims_agree():
    claims = read_claims(default_claims_path())
    i = claims.index[claims["claim_id"] == "overall_top5"][0]
    claims.loc[i, "reported"] = "Harmony;Critical thinking;Helpfulness;Equity and justice;Accuracy"
    c = cert.top5_joint_certificate(claims)
    assert c["infeasible"] is False  # 4 + 1 <= 5: possible


def test_personal_witness_reproduces_every_personal_number():
    w = cert.personal_scores_witness()
    bad = {k: v for k, v in w["check"].items() if not v[0]}
    assert not bad
    assert len(w["sums"]["CN"]) == 11 and len(w["sums"]["US"]) == 9
    assert 162 <= w["check"]["_tie_sum"][1] <= 192  # the window of tie sums that gives p in [.3975, .3985)


def test_personal_witness_in_r():
    if shutil.which("Rscript") is None:
        pytest.skip("Rscript not available")
    s = cert.PERSONAL_SUMS
    code = (f"x <- c({', '.join(map(str, s['CN']))}) / 15; y <- c({', '.join(map(str, s['US']))}) / 15; "
            "w <- suppressWarnings(wilcox.test(x, y)); tt <- t.test(x, y); "
            "cat(w$statistic, w$p.value, tt$statistic, tt$parameter, tt$p.value, median(x), median(y), mean(c(x, y)))")
    out = subprocess.run(["Rscript", "--vanilla", "-e", code], capture_output=True, text=True, timeout=120, check=True)
    U, p, t, df, pw, mx, my, mall = map(float, out.stdout.split())
    assert U == 61 and round(p, 3) == 0.398 and round(t, 2) == 1.45 and 8.4 <= df <= 8.6 and round(pw, 3) == 0.184
    assert (mx, round(my, 2), round(mall, 2)) == (22.0, 21.8, 21.34)


def test_personal_check_rejects_the_bundled_reconstruction():
    # the bundled reconstruction's Personal rank sums (no 5-fold tie): exact p = .403, not .398
    cn = [317, 318, 319, 329, 330, 330, 331, 332, 337, 338, 343]
    us = [220, 265, 295, 311, 327, 328, 342, 345, 345]
    chk = cert.personal_scores_check(cn, us)
    assert chk["personal_mwu_U"][0] and not chk["personal_mwu_p"][0]
    assert abs(chk["personal_mwu_p"][1] - 0.40296) < 1e-4


@pytest.mark.slow
def test_linear_witness_satisfies_the_linear_claims():
    w = cert.linear_witness()
    assert w["status"] == 0, w["message"]
    ranks = w["ranks"]
    models = list(MODEL_COUNTRY)
    assert ranks.shape == (20, 3, 25)
    assert all(sorted(r) == list(range(1, 26)) for m in ranks for r in m)
    chk = cert.check_witness(ranks)
    assert set(chk) == set(cert.LINEAR_CLAIMS) and all(ok for ok, _ in chk.values()), chk
    # independently: pandas group means of the long table
    long = pd.DataFrame([(models[m], MODEL_COUNTRY[models[m]], r, TERM_NAMES[t], ranks[m, r, t])
                         for m in range(20) for r in range(3) for t in range(25)],
                        columns=["model", "country", "replicate", "term", "rank"])
    mm = long.groupby(["model", "country", "term"], as_index=False)["rank"].mean()
    for g, cid in (("CN", "top5_cn"), ("US", "top5_us")):
        gm = mm[mm["country"] == g].groupby("term")["rank"].mean().sort_values()
        listed = set(read_claims(default_claims_path()).set_index("claim_id").loc[cid, "reported"].split(";"))
        assert set(gm.index[:5]) == listed and gm.iloc[4] < gm.iloc[5]  # strict: no tie at the boundary
    mm["dimension"] = mm["term"].map(TERM_DIMENSION)
    prot = mm[mm["dimension"] == "Protective"]["rank"].mean()
    assert 8.015 <= prot < 8.025


def test_every_miss_is_classified_and_cites_a_check():
    for cid, (cls, arg) in SEED_PAPER_MISSES.items():
        assert cls in (NOT_REACHED, WITNESSED, PROVED, JOINT), cid
        if cls in (WITNESSED, JOINT):
            names = [w.split(")")[0].split(",")[0] for w in arg.split("checked: certificates.")[1:]]
            assert names and all(hasattr(cert, n) for n in names), (cid, names)


def test_share_strict_and_without_proven_misses():
    table = pd.DataFrame({"claim_id": ["a", "b", "c", "d", "e"], "level": 3,
                          "verdict": ["consistent", "consistent", "inconsistent", "inconsistent", "infeasible"],
                          "reported": "", "recomputed": ""})
    args = {"c": (PROVED, "x"), "d": (NOT_REACHED, "y")}
    sh = level3_share(table, args)
    assert (sh["n_feasible"], sh["n_reproduced"], sh["n_proven"]) == (4, 2, 1)
    assert sh["share"] == pytest.approx(2 / 4) and sh["share_proven"] == pytest.approx(2 / 3)
    m = level3_misses(table, args).set_index("claim_id")
    assert m.loc["c", "classification"] == PROVED and m.loc["d", "classification"] == NOT_REACHED


def test_correlation_witnesses_in_r():
    w = cert.correlation_witness()
    assert all(ok for g in w.values() for ok, _ in g.values()), w
    if shutil.which("Rscript") is None:
        pytest.skip("Rscript not available")
    for group, R in (("CN", cert.CORRELATION_CN), ("US", cert.CORRELATION_US)):
        mat = "rbind(" + ", ".join("c(" + ", ".join(map(str, r)) + ")" for r in R) + ")"
        code = (f"M <- {mat}; s <- cor(t(M), method = 'spearman'); k <- cor(t(M), method = 'kendall'); "
                "u <- upper.tri(s); cat(mean(s[u]), sd(s[u]), mean(k[u]))")
        out = subprocess.run(["Rscript", "--vanilla", "-e", code], capture_output=True, text=True, timeout=120, check=True)
        mean_rho, sd_rho, mean_tau = map(float, out.stdout.split())
        printed = {"CN": (0.7180, 0.1179, 0.5590), "US": (0.5291, 0.2706, 0.4063)}[group]
        # half-open rounding intervals of the printed 4-decimal values
        for got, want in zip((mean_rho, sd_rho, mean_tau), printed):
            assert want - 5e-5 <= got < want + 5e-5, (group, got, want)


@pytest.mark.slow
def test_bundled_reconstruction_share_matches_the_readme():
    import re
    from pathlib import Path

    from pyvalues.crosscheck import crosscheck, reconstruction_untargeted
    from pyvalues.crosscheck.__main__ import _results

    results, _ = _results("paper2026_reconstruction")
    table = crosscheck(results=results, statcheck=False, untargeted=reconstruction_untargeted())
    sh = level3_share(table)
    misses = level3_misses(table)
    # every miss has a written argument; the README states the measured shares and counts
    assert set(misses["claim_id"]) <= set(SEED_PAPER_MISSES), set(misses["claim_id"]) - set(SEED_PAPER_MISSES)
    readme = Path(__file__).resolve().parents[1].joinpath("README.md").read_text(encoding="utf-8")
    para = readme[readme.index("**Level 3 on the reconstruction.**"):]
    para = para[:para.index("\n## ")]
    m = re.search(r"reproduces (\d+) of (\d+) feasible level-3 rows \(([\d.]+) %", para)
    assert m and (int(m[1]), int(m[2])) == (sh["n_reproduced"], sh["n_feasible"]), (m and m.groups(), sh)
    assert float(m[3]) == round(100 * sh["share"], 1)
    counts = misses["classification"].value_counts()
    assert f"{len(misses)} misses" in para and f"{counts.get(WITNESSED, 0)} misses are reached by a checked witness" in para
    assert f"{counts.get(NOT_REACHED, 0)} are neither" in para and sh["n_proven"] == counts.get(PROVED, 0) == 0
    assert f"{counts.get(JOINT, 0)} misses are members of a jointly infeasible set" in para
    assert (f"at most {sh['n_reachable']} of the {sh['n_feasible']} feasible rows" in para
            and f"({100 * sh['share_reachable']:.1f} % of that maximum)" in para), sh


def test_term_tests_witness_through_the_r_analysis():
    ranks = cert.term_tests_witness_ranks()
    assert all(sorted(r) == list(range(1, 26)) for m in ranks for r in m)
    assert all(ok for ok, _ in cert.term_tests_check(ranks).values())
    from pyvalues import analysis
    from pyvalues.crosscheck import crosscheck

    models = list(MODEL_COUNTRY)
    table = pd.DataFrame([(models[m], MODEL_COUNTRY[models[m]], "unspecified", r + 1, TERM_NAMES[t], int(ranks[m, r, t]),
                           TERM_DIMENSION[TERM_NAMES[t]]) for m in range(20) for r in range(3) for t in range(25)],
                         columns=["model", "country", "language", "replicate", "term", "rank", "dimension"])
    tt = analysis.term_tests(table, nperm=200)
    assert tt["p"].notna().all() and tt["q"].min() >= 0.05
    l3 = crosscheck(results={"term_tests": tt}, statcheck=False).query("level == 3").set_index("claim_id")
    for cid in cert.TERM_CLAIMS:
        assert l3.loc[cid, "verdict"] == "consistent", (cid, l3.loc[cid, "note"])


# Table A-1's printed W (hand-copied from the paper's appendix) and the five printed dimension means
TABLE_A1_W = [1.000, 0.990, 0.986, 0.978, 0.976, 0.970, 0.961, 0.950, 0.947, 0.932, 0.929, 0.922, 0.919, 0.899,
              0.882, 0.776, 0.772, 0.647, 0.553, 0.489]


def test_dispersion_budget_certificate_by_hand():
    c = cert.dispersion_budget_certificate()
    # hand computation, every printed number at its least favourable rounding end
    w_hi = sum(TABLE_A1_W) + 20 * 0.0005                                   # 17.478 + 0.010
    s_m = 4.975 ** 2 + 4.375 ** 2 + 0.455 ** 2 + 0.545 ** 2 + 8.335 ** 2  # |8.025-13|, |8.625-13|, ...
    a = 18 * 4 * 11 * 9 / 20 / 28.585                                      # (N-2) 4 n1 n2 / N / F_cat
    b = 2 / 40 * (0.445 * 20 / (18 * 99)) ** 0.5                           # |n1-n2|/(2N) sqrt(F_int N/((N-2) n1 n2))
    ss_err = ((a * s_m) ** 0.5 / (1 + b * a ** 0.5)) ** 2
    t_lo = 20 * s_m + ss_err * (1 + 0.435 / 18)
    budget = (1300 * w_hi - 5 * t_lo) / 4
    m = [5.055, 2.525, 2.525, 2.525, 2.525]                                # Protective, Personal, 3 others >= Personal
    mbar = sum(m) / 5
    need = 20 * sum(x * x for x in m) + 19 * 20 * sum((x - mbar) ** 2 for x in m) / 12.335
    assert w_hi == pytest.approx(17.488) and s_m == pytest.approx(113.867525)
    assert c["w_sum_hi"] == pytest.approx(w_hi) and c["s_m"] == pytest.approx(s_m)
    assert c["budget"] == pytest.approx(budget) and c["need"] == pytest.approx(need)
    assert round(budget, 1) == 1063.9 and round(need, 1) == 1178.9 and c["infeasible"] is True
    assert len(c["members"]) == 31 and {"mean_sd_protective", "mean_sd_personal", "mean_sd_smallest"} <= set(c["members"])
    jc = joint_certificates().set_index("certificate")
    assert bool(jc.loc["dispersion_budget", "infeasible"])


@pytest.mark.parametrize("claim_id, value", [("mean_sd_protective", "2.96"),  # the reconstruction's mean SD
                                             ("mean_sd_personal", "1.50")])
def test_dispersion_budget_certificate_fails_when_the_sds_are_smaller(claim_id, value):
    claims = read_claims(default_claims_path())
    claims.loc[claims["claim_id"] == claim_id, "reported"] = value
    c = cert.dispersion_budget_certificate(claims)
    assert c["infeasible"] is False and c["need"] <= c["budget"]


def test_dispersion_budget_certificate_fails_when_w_is_higher():
    claims = read_claims(default_claims_path())
    claims.loc[(claims["test"] == "kendall_w") & (claims["quantity"] == "W"), "reported"] = "1.000"
    c = cert.dispersion_budget_certificate(claims)
    # identical replicates: budget (1300 x 20.01 - 5 x 3695.8) / 4 = 1884.9 > 1178.9
    assert c["infeasible"] is False and c["budget"] == pytest.approx((1300 * 20.01 - 5 * c["t_lo"]) / 4)


def test_dispersion_budget_identity_against_r_on_the_reconstruction():
    """The certificate's identities recomputed on real complete rankings by R: Friedman's chi2 (W), sd(), afex's
    Type III mixed ANOVA. The reconstruction keeps every member but the two mean SDs, so it must stay in budget."""
    if shutil.which("Rscript") is None:
        pytest.skip("Rscript not available")
    from pathlib import Path

    csv = Path(__file__).resolve().parents[1] / "data-raw" / "paper2026_reconstruction.csv"
    code = f"""
    d <- read.csv('{csv}'); tm <- aggregate(rank ~ model + country + term + dimension, d, mean)
    W <- sapply(split(d, d$model), function(x) {{
      m <- tapply(x$rank, list(x$replicate, x$term), sum); unname(friedman.test(m)$statistic) / (3 * 24) }})
    ds <- aggregate(rank ~ model + country + dimension, tm, function(v) c(mean(v), sd(v)))
    score <- ds$rank[, 1]; sdw <- ds$rank[, 2]
    a <- suppressMessages(afex::aov_ez('model', 'score', data.frame(model = ds$model, country = ds$country,
           dimension = ds$dimension, score = score), between = 'country', within = 'dimension',
           anova_table = list(correction = 'none')))
    tab <- a$anova_table
    cat(sum(W), sum(sdw^2), sum((score - 13)^2), tab['dimension', 'F'], tab['country:dimension', 'F'], '\\n')
    """
    out = subprocess.run(["Rscript", "--vanilla", "-e", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    w_sum, sd2, T, f_cat, f_int = map(float, out.stdout.split())
    assert 1300 * w_sum == pytest.approx(4 * sd2 + 5 * T)  # the per-model identity, summed
    # T = N sum m~^2 + SS_int + SS_err with afex's Type III F: the split the certificate bounds
    d = pd.read_csv(csv)
    tm = d.groupby(["model", "country", "term", "dimension"], as_index=False)["rank"].mean()
    sc = tm.groupby(["model", "country", "dimension"], as_index=False)["rank"].mean()
    cell = sc.groupby(["country", "dimension"])["rank"].mean().unstack() - 13
    m_t = sc.groupby("dimension")["rank"].mean() - 13
    delta = cell.loc["CN"] - cell.loc["US"]
    ss_int = (delta ** 2).sum() * 11 * 9 / 20
    ss_err = T - 20 * (m_t ** 2).sum() - ss_int
    mu = m_t - (11 - 9) * delta / 40
    assert 4 * 11 * 9 / 20 * (mu ** 2).sum() / 4 / (ss_err / 72) == pytest.approx(f_cat, rel=1e-6)
    assert ss_int / 4 / (ss_err / 72) == pytest.approx(f_int, rel=1e-6)
    assert sd2 <= cert.dispersion_budget_certificate()["budget"]


def test_share_counts_disjoint_jointly_infeasible_level3_sets():
    table = pd.DataFrame({"claim_id": list("abcdefg"), "level": 3,
                          "verdict": ["consistent", "consistent", "inconsistent", "inconsistent", "consistent",
                                      "inconsistent", "infeasible"], "reported": "", "recomputed": ""})
    certs = pd.DataFrame({"certificate": ["ab_c", "c_d", "d_e", "x_f"], "members": ["a;b;c", "c;d", "d;e", "x;f"],
                          "infeasible": [True, True, True, True]})
    sh = level3_share(table, {}, certs)
    # a;b;c and d;e are disjoint sets of feasible level-3 rows; c;d overlaps a;b;c; x is not a level-3 row
    assert sh["unreachable_sets"] == ["ab_c", "d_e"] and sh["n_reachable"] == 6 - 2
    assert sh["share_reachable"] == pytest.approx(3 / 4) and sh["share"] == pytest.approx(3 / 6)


def test_dispersion_budget_under_the_raw_rank_reading():
    """The proof depends on the SD being of a model's term means. Read as the SD of its 3 x 5 raw ranks
    in a dimension, the identity no longer involves W: sum over dimensions of 14 SD^2 + 15 (score - 13)^2
    is 3 x 1300 per model (recomputed by R's sd() on the reconstruction), so the budget is
    (20 x 3 x 1300 - 15 T) / 14, above the need: no contradiction under that reading, and the
    argument says so."""
    if shutil.which("Rscript") is None:
        pytest.skip("Rscript not available")
    from pathlib import Path

    csv = Path(__file__).resolve().parents[1] / "data-raw" / "paper2026_reconstruction.csv"
    code = f"""
    d <- read.csv('{csv}')
    s <- aggregate(rank ~ model + dimension, d, function(v) c(sd(v), mean(v), length(v)))
    cat(sum(14 * s$rank[, 1]^2 + 15 * (s$rank[, 2] - 13)^2), unique(s$rank[, 3]), length(unique(d$model)), '\\n')
    """
    out = subprocess.run(["Rscript", "--vanilla", "-e", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    total, per_cell, n_models = map(float, out.stdout.split())
    assert per_cell == 15 and total == pytest.approx(n_models * 3 * 1300)  # 3 rankings x 25 (25^2 - 1) / 12
    c = cert.dispersion_budget_certificate()
    assert c["budget_raw_ranks"] == pytest.approx((20 * 3 * 1300 - 15 * c["t_lo"]) / 14)
    assert round(c["budget_raw_ranks"], 1) == 1611.7 and c["need"] < c["budget_raw_ranks"]
    assert "finds no contradiction (1178.9 <= 1611.7)" in c["argument"]
