"""Reproduce the Results section of Ma, Tong, Wang & Peng (2026) with pyvalues's public API.

    .venv/bin/python analysis/reproduce_paper.py [--data RANKS.csv] [--out out/paper]

Read it top to bottom: each block is one paragraph of the paper's Results, the analysis
that paragraph reports, and our value beside the paper's.

By default it runs on the bundled `paper2026_reconstruction`: a data set RECONSTRUCTED from
the paper's published summary statistics (the authors' raw rankings are unpublished), so
agreement with the paper here shows that the reported numbers are jointly attainable and
that pyvalues computes them as the paper describes -- not that the authors' data say so.
Pass --data to run the same on your own rank table (e.g. one collected with
`python -m pyvalues.collect`).
"""
from __future__ import annotations

import argparse

import pandas as pd

from pyvalues import analysis, crosscheck, datasets
from pyvalues.ranktable import read_rank_table

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 30)
pd.set_option("display.max_colwidth", 60)


def section(title: str, text: str) -> None:
    print(f"\n## {title}\n{text}")


def show(df: pd.DataFrame, cols: list[str]) -> None:
    reported = [c for c in df.columns if c.endswith("_reported") or c == "in_paper"]
    print(df[[c for c in cols if c in df.columns] + reported].to_string(index=False, float_format=lambda x: f"{x:.4g}"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--data", help="a rank table file; default: the bundled reconstruction")
    ap.add_argument("--out", default="out/paper", help="where to write the tables")
    args = ap.parse_args()

    table = read_rank_table(args.data) if args.data else datasets.load("paper2026_reconstruction")
    print(f"Data: {table.attrs['provenance']}")

    # One call runs every analysis in R (afex, stats, pvclust, Brunner-Munzel) and checks
    # each statistic against its Python twin (the `parity` table).
    res = analysis.run(table)
    res.to_dir(args.out)

    section("Commonality at the single-term level (Figure 1)",
            "Mean rank of each term over the 20 models; lower = more important.")
    show(res.term_means, ["order", "term", "dimension", "mean_rank", "sd"])

    section("Composite ranking of the five dimensions (Figure 2)",
            "A dimension's score is the mean rank of its five terms; the paper reports the mean over models.")
    show(res.dimension_means, ["dimension", "mean_score", "sd_score", "mean_sd_within"])

    section("Primary and Secondary dimensions (Figure 3)",
            "How often each dimension is a model's most and second-most important.")
    show(res.primary_secondary_counts, ["dimension", "primary", "secondary"])

    section("Consensus within categories: rm-ANOVA of within-dimension SD",
            "The paper reports the uncorrected F(4, 76); Greenhouse-Geisser beside it.")
    show(res.dispersion_anova, ["effect", "df1", "df2", "F", "p", "pes", "gg_eps", "p_gg"])
    show(res.dispersion_posthoc, ["group1", "group2", "mean_diff", "statistic", "p", "p_adj"])

    section("CN-US: Top-5 and Bottom-5 terms by group (Figure 4)", "")
    show(res.group_top_bottom, ["group", "end", "position", "term", "mean_rank"])

    section("CN-US at the category level: Mann-Whitney U (primary) and Welch's t (sensitivity)",
            "CN is group1 (columns 1), US group2; r_rb = 1 - 2U/(n1 n2); q = BH over the five dimensions. "
            "r_rb, t and g are positive when CN ranks the dimension as more important (the paper prints t and g "
            "as CN - US, the opposite sign).")
    show(res.dimension_tests, ["dimension", "median1", "median2", "U", "p_mwu", "q_mwu", "r_rb",
                               "mean1", "sd1", "mean2", "sd2", "t", "df", "p_welch", "hedges_g"])

    section("Two-factor mixed ANOVA, country x category (afex, Type III)",
            "With complete rankings the country effect is 0/0: see its note and the cross-check.")
    show(res.mixed_anova, ["effect", "df1", "df2", "F", "p", "pes", "note"])

    section("Within-group consistency (Figure 5)", "Pairwise Spearman rho and Kendall tau-b between models.")
    show(res.correlations, ["group", "method", "n_pairs", "mean", "sd", "ci_low", "ci_high", "ci_low_pairs",
                            "ci_high_pairs"])
    print("ci_low/ci_high resample models (the independent unit); ci_*_pairs resample pairs (naive, too narrow).")
    show(res.cohesion_test, ["method", "group1", "group2", "mean1", "mean2", "diff", "ci_low", "ci_high", "p_perm",
                             "n_perm"])

    section("Value archetypes (Figures 6, 7)", "pvclust, correlation distance, average linkage, cut at k = 4.")
    show(res.archetypes, ["cluster", "members", "position", "term", "mean_rank"])

    section("Appendix A.2: Kendall's W per model (Table A-1, Figure A-1)", "")
    show(res.concordance, ["model", "country", "W", "chisq", "df", "p"])

    section("Appendix A.3: Brunner-Munzel per term, BH-FDR, Cliff's delta (Figure A-2)",
            "p: asymptotic (the paper's specification; NA where undefined); p_perm: studentized permutation "
            "(recommended with 9 US models). Cliff's delta > 0: CN ranks the term as more important.")
    show(res.term_tests.sort_values("p_perm"), ["term", "statistic", "df", "p", "q", "p_perm", "q_perm",
                                                "cliffs_delta"])

    section("Parity: every inferential statistic, R against its Python twin", "")
    from pyvalues.analysis.parity import parity_counts

    n = parity_counts(res.parity)
    same = res.parity[res.parity["comparable"].astype(bool)]
    print(f"{n['comparable']} of {n['rows']} statistics comparable on both sides; {n['agree']} agree to 1e-8 "
          f"relative, {n['disagree']} do not; max rel. diff {same['rel_diff'].max():.1e}")

    section("What the paper's own numbers allow (python -m pyvalues.crosscheck)", "")
    checks = crosscheck.crosscheck(results=res if res.is_reconstruction else None)
    print(checks.groupby(["level", "verdict"]).size().unstack(fill_value=0).to_string())
    flagged = checks[checks["verdict"].isin(["inconsistent", "decision_error", "infeasible"])]
    # the paper's own numbers first (levels 1, 2); a long run of one kind shown once
    for level in (2, 1):
        rows = flagged[flagged["level"] == level]
        for note, group in rows.groupby(rows["note"].str.replace(r"[\d.]+", "#", regex=True), sort=False):
            r = group.iloc[0]
            more = f" (and {len(group) - 1} more like it)" if len(group) > 1 else ""
            print(f"- level {level} [{r.verdict}] {r.location}: {r.statistic} -- {r.note}{more}")
    print(f"\nTables written to {args.out}/ ; data: {res.provenance}")


if __name__ == "__main__":
    main()
