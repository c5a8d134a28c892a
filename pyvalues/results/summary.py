"""The short readable summary the CLI prints (and ``repr(Results)`` shows)."""
from __future__ import annotations

import math

import pandas as pd

from .access import parity_counts, term_test_p


def _p(p) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "p = NA"
    if p < 0.001:
        return "p < .001"
    return f"p = {p:.3f}".replace("0.", ".", 1)


def _n(x: float, d: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "NA"
    return f"{x:.{d}f}"


def _count(n, noun: str) -> str:
    n = int(n)
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _agreement_lines(ag) -> list[str]:
    """'k of n reported values reproduced' and each one that differs (or cannot be judged)."""
    if ag is None or not len(ag):
        return []
    agrees = ag["agrees"]
    judged = ag[agrees.notna()]
    k = int(judged["agrees"].astype(bool).sum())
    lines = ["", f"The paper's reported values beside ours: {k} of {len(judged)} reproduced "
             f"(ours within the printed value's rounding interval or bound)"
             + (f"; {len(ag) - len(judged)} not judged (our value is NA)" if len(judged) < len(ag) else "")]
    differ = ag[agrees.isna() | ~agrees.fillna(True).astype(bool)]
    if len(differ):
        lines.append(f"  Differ or not judged ({len(differ)}):")
        for (table, column, reported), g in differ.groupby(["table", "column", "reported"], sort=False):
            if len(g) > 3:  # one printed value repeated over many rows (e.g. Table A-1's p = .001)
                vals = pd.to_numeric(g["value"], errors="coerce")
                rows = ", ".join(r.split("=", 1)[-1] for r in g["row"])
                lines.append(f"    {table}.{column}: paper {reported} in {len(g)} rows, ours {vals.min():.4g} to "
                             f"{vals.max():.4g} ({rows})")
                continue
            for r in g.itertuples():
                if pd.isna(r.reported_low):  # a set of terms or models: say what differs
                    lines.append(f"    {table}[{r.row}].{column}: {r.note}")
                    continue
                lines.append(f"    {table}[{r.row}].{column}: paper {reported}, ours {r.value}"
                             + (f" ({r.note})" if r.note else ""))
    return lines


def format_summary(results) -> str:
    t = results.tables
    ds = results.data_summary
    lines = ["pyvalues analysis", "=" * 17]
    lines.append(f"Data: {results.provenance}")
    cc = ", ".join(f"{k} {v}" for k, v in ds["models_per_country"].items())
    lines.append(
        f"  {ds['n_models']} models ({cc}); languages: {', '.join(ds['languages'])}; "
        f"rankings per model: {', '.join(map(str, ds['rankings_per_model']))}; {ds['n_rows']} rows"
    )
    lines.append("Ranks: 1 = most important; lower mean rank = higher priority.")

    if "dimension_means" in t:
        dm = t["dimension_means"].sort_values("mean_score")
        lines.append("")
        lines.append("Dimension mean ranks: " + " | ".join(f"{r.dimension} {r.mean_score:.2f}" for r in dm.itertuples()))
        lines.append(
            "Mean within-dimension SD: " + " | ".join(f"{r.dimension} {r.mean_sd_within:.2f}" for r in dm.itertuples())
        )
    if "term_means" in t:
        tm = t["term_means"].sort_values("mean_rank")
        lines.append("Top 5 terms: " + "; ".join(f"{r.term} {r.mean_rank:.2f}" for r in tm.head(5).itertuples()))
        lines.append("Bottom 5 terms: " + "; ".join(f"{r.term} {r.mean_rank:.2f}" for r in tm.tail(5).iloc[::-1].itertuples()))
    if "primary_secondary_counts" in t:
        pc = t["primary_secondary_counts"]
        lines.append(
            "Primary / Secondary dimension counts: "
            + ", ".join(f"{r.dimension} {r.primary}/{r.secondary}" for r in pc.itertuples())
        )
    if "dispersion_anova" in t:
        r = t["dispersion_anova"].iloc[0]
        lines.append(
            f"Dispersion rm-ANOVA (afex): F({r.df1:g}, {r.df2:g}) = {_n(r.F)}, {_p(r.p)}, pes = {_n(r.pes, 3)}; "
            f"Greenhouse-Geisser eps = {_n(r.gg_eps, 3)}, {_p(r.p_gg)}"
        )
    if "dispersion_posthoc" in t:
        ph = t["dispersion_posthoc"]
        sig = ph[ph["p_adj"] < 0.05]
        lines.append(
            f"  Bonferroni post hoc: {len(sig)} of {len(ph)} pairs p_adj < .05"
            + (": " + "; ".join(f"{r.group1}-{r.group2}" for r in sig.itertuples()) if len(sig) else "")
        )
    if "groups_compared" in t and len(t["groups_compared"]):
        gc = t["groups_compared"].iloc[0]
        lines.append("")
        lines.append(f"Groups compared: {gc.group1} ({gc.n1} models) first, {gc.group2} ({gc.n2} models); "
                     f"chosen as {gc.rule}.")
        lines.append(f"Signed effects (r_rb, t, g, Brunner-Munzel statistic, Cliff's delta): positive = "
                     f"{gc.group1} ranks it as more important (lower ranks).")
    if "dimension_tests" in t:
        dt = t["dimension_tests"]
        g1, g2 = dt["group1"].iloc[0], dt["group2"].iloc[0]
        lines.append("")
        lines.append(f"{g1} vs {g2} per dimension (Mann-Whitney U primary, Welch t sensitivity):")
        for r in dt.itertuples():
            lines.append(
                f"  {r.dimension:<10} medians {r.median1:.2f} / {r.median2:.2f}; U = {r.U:g}, {_p(r.p_mwu)}, "
                f"q = {_n(r.q_mwu, 3)}, r_rb = {_n(r.r_rb, 3)}; t({_n(r.df, 1)}) = {_n(r.t)}, {_p(r.p_welch)}, "
                f"g = {_n(r.hedges_g, 3)}"
            )
    if "mixed_anova" in t:
        lines.append("Mixed ANOVA (afex, Type III), country x dimension:")
        for r in t["mixed_anova"].itertuples():
            if isinstance(r.F, float) and math.isnan(r.F):
                lines.append(f"  {r.effect:<18} F({r.df1:g}, {r.df2:g}) {r.note}")
            else:
                lines.append(f"  {r.effect:<18} F({r.df1:g}, {r.df2:g}) = {_n(r.F)}, {_p(r.p)}, pes = {_n(r.pes, 3)}")
    if "term_tests" in t:
        tt = t["term_tests"]
        p_col, q_col, why = term_test_p(tt)
        big = tt.reindex(tt["cliffs_delta"].abs().sort_values(ascending=False).index).head(3)
        lines.append(
            f"Brunner-Munzel per term, by the {why}: {int((tt[q_col] < 0.05).sum())} of {len(tt)} terms "
            f"{q_col} < .05 (BH over the terms), {int((tt[p_col] < 0.05).sum())} {p_col} < .05 uncorrected; "
            "largest |Cliff's delta|: "
            + "; ".join(f"{r.term} {r.cliffs_delta:+.2f} ({_p(getattr(r, p_col)).replace('p', p_col, 1)})"
                        for r in big.itertuples())
        )
        undefined = int(tt["p"].isna().sum())
        other = "q" if q_col == "q_perm" else "q_perm"
        lines.append(
            f"  (the other p: {_count((tt[other] < 0.05).sum(), 'term')} {other} < .05"
            + (f"; asymptotic p undefined for {undefined} terms: the groups do not overlap or do not vary"
               if undefined else "") + ")"
        )
        if q_col == "q_perm":
            lines.append("  With fewer than 10 models in a group the permutation p (p_perm, q_perm) is the "
                         "recommended one; the asymptotic p is the paper's specification.")
    if "correlations" in t:
        c = t["correlations"]
        has_pairs = "ci_low_pairs" in c.columns
        lines.append("Pairwise rank correlations (mean [95% CI by resampling models]"
                     + (" / [naive CI by resampling pairs]" if has_pairs else "") + ", SD):")
        for r in c.itertuples():
            naive = f" / [{_n(r.ci_low_pairs, 4)}, {_n(r.ci_high_pairs, 4)}]" if has_pairs else ""
            lines.append(
                f"  {r.group:<4} {r.method:<9} {r.n_pairs:>4} pairs  {_n(r.mean, 4)} [{_n(r.ci_low, 4)}, "
                f"{_n(r.ci_high, 4)}]{naive}, SD {_n(r.sd, 4)}"
            )
    if "cohesion_test" in t:
        for r in t["cohesion_test"].itertuples():
            lines.append(
                f"  Cohesion {r.group1} - {r.group2} ({r.method}): mean {_n(r.mean1, 4)} - {_n(r.mean2, 4)} = "
                f"{_n(r.diff, 4)} [{_n(r.ci_low, 4)}, {_n(r.ci_high, 4)}], permutation {_p(r.p_perm)} "
                f"({'exact over all' if str(r.note).startswith('exact') else 'Monte Carlo,'} {int(r.n_perm)} splits)"
            )
    if "clusters" in t and "archetypes" in t:
        cl = t["clusters"]
        ar = t["archetypes"]
        lines.append(f"Clusters (pvclust, k = {cl['cluster'].nunique()}):")
        for ci, g in cl.groupby("cluster"):
            terms = ar[ar["cluster"] == ci].sort_values("position")["term"].tolist()
            lines.append(f"  {ci}: {', '.join(g['model'])}  -- top terms: {'; '.join(terms)}")
    if "concordance" in t:
        co = t["concordance"]
        lines.append(
            f"Kendall's W per model: {int((co['p'] < 0.05).sum())} of {len(co)} with Friedman p < .05; "
            f"W from {co['W'].min():.3f} to {co['W'].max():.3f}"
        )
    if "parity" in t and len(t["parity"]):
        pt = t["parity"]
        n = parity_counts(pt)
        comparable = pt[pt["comparable"].astype(bool)] if "comparable" in pt else pt
        # statistics that are 0 in exact arithmetic agree by the absolute floor (parity.ABS_TOL),
        # their relative difference says nothing
        relevant = comparable[comparable["abs_diff"] > 1e-12]
        worst = relevant["rel_diff"].max() if len(relevant) else 0.0
        lines.append(
            f"Parity R vs Python: {n['rows']} statistics, {n['comparable']} comparable "
            f"({n['rows'] - n['comparable']} not: other method or random generator, see note); "
            f"{n['agree']} agree to 1e-8, {n['disagree']} disagree (max rel. diff {worst:.1e})"
        )
    lines += language_summary_lines(t)
    lines += _agreement_lines(t.get("paper_agreement"))
    if len(results.skipped):
        lines.append("Skipped:")
        for r in results.skipped.itertuples():
            msg = getattr(r, "message", "")
            msg = "" if msg is None or (isinstance(msg, float) and math.isnan(msg)) else str(msg)
            lines.append(f"  {r.analysis}: {r.reason}" + (f" [R: {msg}]" if msg else ""))
    return "\n".join(lines)


# -- prompt language (R/language.R's tables) ---------------------------------------------


def largest_shifts(term_tests: pd.DataFrame, n: int | None = None) -> pd.DataFrame:
    """`language_term_tests` with ``shift`` = mean in the first language − mean in the second
    (the mean of the paired differences), ordered by its size, largest first."""
    means = [c for c in term_tests.columns if c.startswith("mean_")][:2]
    out = term_tests.assign(shift=term_tests[means[0]] - term_tests[means[1]])
    out = out.reindex(out["shift"].abs().sort_values(ascending=False, kind="stable").index)
    return out if n is None else out.head(n)


def language_summary_lines(tables) -> list[str]:
    """Lines of the run summary for the language analysis (empty when it did not run)."""
    if "language_term_tests" not in tables:
        return []
    tt = tables["language_term_tests"]
    means = [c for c in tt.columns if c.startswith("mean_")]
    a, b = (c[5:] for c in means[:2])
    lines = ["", f"Prompt language ({a} - {b}; lower rank = more important; paired Wilcoxon over models "
                 f"with both languages, n = {int(tt['n_models'].iloc[0])}):"]
    big = largest_shifts(tt, 3)
    lines.append(f"  largest shifts (mean {a} - mean {b}): " + "; ".join(
        f"{r['term']} {r[means[0]]:.2f} vs {r[means[1]]:.2f} = {r['shift']:+.2f} (median diff {r['median_diff']:+.2f}, "
        f"V = {r['V']:g}, {_p(r['p'])}, q = {r['q']:.3f}, r_rb = {r['r_rb']:+.2f})" for _, r in big.iterrows()))
    lines.append(f"  terms with q < .05: {int((tt['q'] < 0.05).sum())} of {len(tt)}")
    if "language_dimension_tests" in tables:
        dt = tables["language_dimension_tests"]
        lines.append("  dimensions: " + "; ".join(
            f"{r['dimension']} {r['median_diff']:+.2f} ({_p(r['p'])}, q = {r['q']:.3f})" for _, r in dt.iterrows()))
    if "language_anova" in tables:
        for _, r in tables["language_anova"].iterrows():
            if "dimension" in str(r["effect"]) and "language" in str(r["effect"]):
                lines.append(f"  ANOVA {r['effect']}: F({r['df1']:g}, {r['df2']:g}) = {r['F']:.2f}, {_p(r['p'])}, "
                             f"pes = {r['pes']:.3f}; GG eps = {r['gg_eps']:.3f}, {_p(r['p_gg'])}")
    if "language_consistency_summary" in tables:
        cs = tables["language_consistency_summary"]
        cs = cs[cs["method"] == "spearman"]
        lines.append("  cross-language Spearman rho per model, mean [95% bootstrap CI over models]: " + "; ".join(
            f"{r['group']} {r['mean']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}] (n = {int(r['n_models'])})"
            for _, r in cs.iterrows()))
    note = str(tt["note"].iloc[0]) if "note" in tt.columns else ""
    if "excluded" in note:
        lines.append("  " + note[note.index("excluded"):].split(";")[0])
    return lines
