"""The short readable summary the CLI prints (and ``repr(Results)`` shows)."""
from __future__ import annotations

import math

import pandas as pd


def _p(p: float) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "p = NA"
    if p < 0.001:
        return "p < .001"
    return f"p = {p:.3f}".replace("0.", ".", 1)


def _n(x: float, d: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "NA"
    return f"{x:.{d}f}"


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
    if "dimension_tests" in t:
        dt = t["dimension_tests"]
        g1, g2 = dt["group1"].iloc[0], dt["group2"].iloc[0]
        lines.append("")
        lines.append(f"{g1} vs {g2} per dimension (Mann-Whitney U primary, Welch t sensitivity):")
        for r in dt.itertuples():
            lines.append(
                f"  {r.dimension:<10} medians {r.median_cn:.2f} / {r.median_us:.2f}; U = {r.U:g}, {_p(r.p_mwu)}, "
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
        big = tt.reindex(tt["cliffs_delta"].abs().sort_values(ascending=False).index).head(3)
        lines.append(
            f"Brunner-Munzel per term: {int((tt['q'] < 0.05).sum())} of {len(tt)} terms q < .05, "
            f"{int((tt['p'] < 0.05).sum())} p < .05 uncorrected; largest |Cliff's delta|: "
            + "; ".join(f"{r.term} {r.cliffs_delta:+.2f} ({_p(r.p)})" for r in big.itertuples())
        )
    if "correlations" in t:
        c = t["correlations"]
        lines.append("Pairwise rank correlations (mean [95% bootstrap CI], SD):")
        for r in c.itertuples():
            lines.append(
                f"  {r.group:<4} {r.method:<9} {r.n_pairs:>4} pairs  {_n(r.mean, 4)} [{_n(r.ci_low, 4)}, {_n(r.ci_high, 4)}], SD {_n(r.sd, 4)}"
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
        same = pt[pt["same_method"].astype(bool)]
        worst = same["rel_diff"].max() if len(same) else float("nan")
        lines.append(
            f"Parity R vs Python: {len(pt)} statistics, {len(same)} by the same method, "
            f"{int(same['agrees'].astype(bool).sum())} agree to 1e-8 (max rel. diff {worst:.1e})"
        )
    from .language import language_summary_lines

    lines += language_summary_lines(t)
    lines += _agreement_lines(t.get("paper_agreement"))
    if len(results.skipped):
        lines.append("Skipped:")
        for r in results.skipped.itertuples():
            lines.append(f"  {r.analysis}: {r.reason}")
    return "\n".join(lines)
