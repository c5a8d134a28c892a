"""Python twins of the R statistics (issue 2, point 7).

:func:`python_twins` recomputes, from the validated tidy rank table, every inferential
statistic that the R side (``R/*.R``, ``pv_analyse()``) computes, with scipy /
statsmodels / pingouin / numpy, in the same table and column names as R. The
:mod:`pyvalues.analysis.parity` module lines the two up.

Conventions mirrored from the R side (each R function is named where it is mirrored):

* term means and dimension scores are integer rank sums divided once
  (``model_term_means``, ``model_dimension_scores``), so that mathematically equal
  scores are equal doubles — ties decide U, Brunner–Munzel and the rank correlations;
* ``wilcox.test(x = CN, y = US)`` defaults: exact p when there are no ties and both
  samples have fewer than 50 values, otherwise the normal approximation with continuity
  correction; U is R's W, the U of the first sample;
* Hedges' g with the pooled SD and the exact correction
  J = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2)) (``effectsize::hedges_g``);
* the mixed ANOVA is a Type III twin with sum contrasts (afex's ``aov_ez``), built here
  from orthonormal within-subject contrasts; pingouin's ``mixed_anova`` is reported
  beside it (``mixed_anova_pingouin``) because it does not give Type III sums of squares
  for the within-subject main effect when the groups are unequal;
* Brunner–Munzel with the t distribution (``scipy.stats.brunnermunzel``), CN first;
  Cliff's delta = P(CN > US) - P(CN < US);
* Kendall's W = chisq / (m (n - 1)) from the Friedman test, blocks = rankings;
* clustering: average linkage on 1 - Pearson r (pvclust's defaults), cut into k
  clusters; pvclust's AU/BP have no Python twin (NaN here).
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from scipy.cluster import hierarchy
from scipy.spatial.distance import pdist
from scipy.special import gammaln

from ..instrument import DIMENSIONS, TERM_DIMENSION, TERM_NAMES
from ..ranktable import RANKING_KEY, term_rank_sums, validate

__all__ = ["python_twins", "MWU_EXACT", "MWU_ASYMPTOTIC"]

# R's wilcox.test method labels, so the `method` column reads the same on both sides.
MWU_EXACT = "Wilcoxon rank sum exact test"
MWU_ASYMPTOTIC = "Wilcoxon rank sum test with continuity correction"

PINGOUIN_MIXED_NOTE = (
    "pingouin.mixed_anova: sums of squares for the within-subject main effect are computed "
    "around the weighted grand mean (Type II-like), not afex's Type III with sum contrasts; "
    "with unequal group sizes its dimension F differs from afex's (the interaction and the "
    "country effect of a balanced design agree)"
)


# --------------------------------------------------------------------------- aggregation


def _groups(countries, groups=None) -> list[str]:
    """The two groups compared, first one first (R's ``.pv_groups``)."""
    present = sorted(set(countries))
    if groups is None:
        groups = ["CN", "US"] if {"CN", "US"} <= set(present) else present
    groups = list(groups)
    if len(groups) != 2 or not set(groups) <= set(present):
        raise ValueError(f"group comparisons need exactly two countries in the table; it has {present}")
    return groups


def _model_term_means(d: pd.DataFrame) -> pd.DataFrame:
    sums, n = term_rank_sums(d)
    country = d.drop_duplicates("model").set_index("model")["country"]
    out = sums.stack().rename("rank_sum").reset_index()
    out.columns = ["model", "term", "rank_sum"]
    out["country"] = out["model"].map(country)
    out["dimension"] = out["term"].map(TERM_DIMENSION)
    out["n_rankings"] = out["model"].map(n).astype(float)
    out["mean_rank"] = out["rank_sum"] / out["n_rankings"]
    return out[["model", "country", "term", "dimension", "n_rankings", "rank_sum", "mean_rank"]]


def _model_dimension_scores(tm: pd.DataFrame) -> pd.DataFrame:
    g = tm.groupby(["model", "dimension"], sort=False)
    out = pd.DataFrame({
        "rank_sum": g["rank_sum"].sum(),
        "n": g["n_rankings"].sum(),
        "sd_within": g["mean_rank"].std(ddof=1),
    }).reset_index()
    out["score"] = out["rank_sum"] / out["n"]  # one division: (sum over 5 terms) / (5 * rankings)
    out["country"] = out["model"].map(tm.drop_duplicates("model").set_index("model")["country"])
    out["dimension"] = pd.Categorical(out["dimension"], categories=list(DIMENSIONS))
    models = list(dict.fromkeys(tm["model"]))
    out["_m"] = out["model"].map({m: i for i, m in enumerate(models)})
    out = out.sort_values(["_m", "dimension"]).reset_index(drop=True)
    out["dimension"] = out["dimension"].astype(str)
    return out[["model", "country", "dimension", "score", "sd_within"]]


def _pool(rank_sum, n_rankings, mean_rank) -> float:
    """R's ``.pv_pool``: pooled rank sum divided once when every model has the same n."""
    n_rankings = np.asarray(n_rankings, float)
    if np.unique(n_rankings).size == 1:
        return float(np.sum(rank_sum) / (n_rankings[0] * len(rank_sum)))
    return float(np.mean(mean_rank))


def _term_means(tm: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for t in TERM_NAMES:
        x = tm[tm["term"] == t]
        rows.append(dict(term=t, dimension=TERM_DIMENSION[t],
                         mean_rank=_pool(x["rank_sum"], x["n_rankings"], x["mean_rank"]),
                         sd=x["mean_rank"].std(ddof=1), min=x["mean_rank"].min(),
                         max=x["mean_rank"].max(), n_models=len(x)))
    out = pd.DataFrame(rows)
    out["order"] = out["mean_rank"].rank(method="min").astype(int)
    return out.sort_values("mean_rank", kind="stable").reset_index(drop=True)


def _dimension_means(tm: pd.DataFrame, ds: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for dm in DIMENSIONS:
        x = ds[ds["dimension"] == dm]
        y = tm[tm["dimension"] == dm].groupby("model", sort=False)[["rank_sum", "n_rankings"]].sum()
        rows.append(dict(dimension=dm, mean_score=_pool(y["rank_sum"], y["n_rankings"], x["score"]),
                         sd_score=x["score"].std(ddof=1), min_score=x["score"].min(),
                         max_score=x["score"].max(), mean_sd_within=x["sd_within"].mean(),
                         n_models=len(x)))
    out = pd.DataFrame(rows)
    out["order"] = out["mean_score"].rank(method="min").astype(int)
    return out


def _primary_secondary(ds: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for m, x in ds.groupby("model", sort=False):
        x = x.assign(_o=x["dimension"].map({d: i for i, d in enumerate(DIMENSIONS)}))
        x = x.sort_values(["score", "_o"])
        s = x["score"].to_numpy()
        rows.append(dict(model=m, country=x["country"].iloc[0], primary=x["dimension"].iloc[0],
                         primary_score=s[0], secondary=x["dimension"].iloc[1], secondary_score=s[1],
                         tie=bool(s[0] == s[1] or s[1] == s[2])))
    return pd.DataFrame(rows)


def _primary_secondary_counts(ps: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "dimension": list(DIMENSIONS),
        "primary": [int((ps["primary"] == d).sum()) for d in DIMENSIONS],
        "secondary": [int((ps["secondary"] == d).sum()) for d in DIMENSIONS],
    })


# --------------------------------------------------------------------------- ANOVAs


def _dispersion_anova(ds: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    import pingouin as pg

    long = ds.assign(dimension=pd.Categorical(ds["dimension"], categories=list(DIMENSIONS)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        aov = pg.rm_anova(long, dv="sd_within", within="dimension", subject="model",
                          correction=True, detailed=True, effsize="np2")
    eff = aov.iloc[0]
    anova = pd.DataFrame([dict(
        effect="dimension", df1=float(aov["DF"].iloc[0]), df2=float(aov["DF"].iloc[1]),
        F=float(eff["F"]), p=float(eff["p_unc"]), pes=float(eff["np2"]),
        gg_eps=float(eff["eps"]), p_gg=float(eff["p_GG_corr"]),
        note="pingouin.rm_anova (one-way: Type II = Type III)")])

    # Bonferroni-corrected paired t tests (rstatix::pairwise_t_test, paired = TRUE)
    wide = ds.pivot(index="model", columns="dimension", values="sd_within")[list(DIMENSIONS)]
    rows = []
    for i, g1 in enumerate(DIMENSIONS):
        for g2 in DIMENSIONS[i + 1:]:
            diff = wide[g1] - wide[g2]
            res = stats.ttest_rel(wide[g1], wide[g2])
            rows.append(dict(group1=g1, group2=g2, n=len(diff), mean_diff=float(diff.mean()),
                             statistic=float(res.statistic), df=float(len(diff) - 1),
                             p=float(res.pvalue)))
    post = pd.DataFrame(rows)
    post["p_adj"] = np.minimum(1.0, post["p"] * len(post))
    post["method"] = "paired t test, Bonferroni"
    return anova, post


def _orthonormal_contrasts(k: int) -> np.ndarray:
    """k x (k-1) orthonormal contrasts, each orthogonal to the constant vector."""
    basis = np.column_stack([np.ones(k), np.eye(k)[:, : k - 1]])
    q, _ = np.linalg.qr(basis)
    return q[:, 1:]


def _type3_mixed_anova(ds: pd.DataFrame, groups: list[str]) -> pd.DataFrame:
    """Type III mixed ANOVA (afex::aov_ez with sum contrasts), multivariate-model form.

    Each model's 5 dimension scores y_i are transformed to the normalised mean
    z_i = y_i . 1/sqrt(5) and 4 orthonormal within contrasts w_i = y_i C. Each is
    regressed on an intercept and the sum-coded country (+1 first group, -1 second).
    Type III SS of a coefficient b_j is b_j^2 / [(X'X)^-1]_jj (summed over the 4 within
    contrasts for within effects); error SS is the residual SS (summed likewise). This is
    what car::Anova(type = 3) computes for afex from the multivariate linear model, so
    it holds with unequal groups.
    """
    wide = ds.pivot(index="model", columns="dimension", values="score")[list(DIMENSIONS)]
    country = ds.drop_duplicates("model").set_index("model")["country"].reindex(wide.index)
    keep = country.isin(groups).to_numpy()
    Y = wide.to_numpy(float)[keep]
    c = np.where(country.to_numpy()[keep] == groups[0], 1.0, -1.0)
    n, k = Y.shape
    X = np.column_stack([np.ones(n), c])
    XtX_inv = np.linalg.inv(X.T @ X)
    df_err = n - X.shape[1]

    def fit(Z):
        B = XtX_inv @ X.T @ Z
        E = Z - X @ B
        return B, E

    # between-subject stratum: normalised subject mean
    z = (Y @ (np.ones(k) / np.sqrt(k)))[:, None]
    Bz, Ez = fit(z)
    ss_country = float(Bz[1, 0] ** 2 / XtX_inv[1, 1])
    sse_between = float(np.sum(Ez ** 2))

    # within-subject stratum
    C = _orthonormal_contrasts(k)
    W = Y @ C
    Bw, Ew = fit(W)
    ss_dim = float(np.sum(Bw[0] ** 2) / XtX_inv[0, 0])
    ss_int = float(np.sum(Bw[1] ** 2) / XtX_inv[1, 1])
    sspe = Ew.T @ Ew
    sse_within = float(np.trace(sspe))
    lam = np.linalg.eigvalsh(sspe)
    lam = lam[lam > 0]
    p_w = k - 1
    gg_eps = float((lam.sum() / p_w) ** 2 / (np.sum(lam ** 2) / p_w)) if lam.size else np.nan

    rows = []
    subject_means = Y.mean(axis=1)
    degenerate = np.ptp(subject_means) <= 1e-9 * np.max(np.abs(subject_means))
    if degenerate:
        rows.append(dict(effect="country", df1=1.0, df2=float(df_err), F=np.nan, p=np.nan, pes=np.nan,
                         gg_eps=np.nan, p_gg=np.nan,
                         note=(f"not estimable: every model's dimension scores average "
                               f"{subject_means.mean():.6g} (complete rankings), so between-model "
                               f"variance is zero and F is 0/0")))
    else:
        F = ss_country / (sse_between / df_err)
        rows.append(dict(effect="country", df1=1.0, df2=float(df_err), F=F,
                         p=float(stats.f.sf(F, 1, df_err)), pes=ss_country / (ss_country + sse_between),
                         gg_eps=np.nan, p_gg=np.nan, note=""))
    df2 = float(p_w * df_err)
    for effect, ss in (("dimension", ss_dim), ("country:dimension", ss_int)):
        F = (ss / p_w) / (sse_within / df2)
        rows.append(dict(effect=effect, df1=float(p_w), df2=df2, F=F, p=float(stats.f.sf(F, p_w, df2)),
                         pes=ss / (ss + sse_within), gg_eps=gg_eps,
                         p_gg=float(stats.f.sf(F, p_w * gg_eps, df2 * gg_eps)), note=""))
    out = pd.DataFrame(rows)
    out["note"] = out["note"].where(out["note"] != "",
                                    "Type III twin: OLS on orthonormal within contrasts, sum-coded country")
    return out


def _pingouin_mixed_anova(ds: pd.DataFrame, groups: list[str]) -> pd.DataFrame:
    import pingouin as pg

    x = ds[ds["country"].isin(groups)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        aov = pg.mixed_anova(x, dv="score", within="dimension", subject="model", between="country",
                             correction=True, effsize="np2")
    name = {"country": "country", "dimension": "dimension", "Interaction": "country:dimension"}
    out = pd.DataFrame({
        "effect": aov["Source"].map(name), "df1": aov["DF1"].astype(float), "df2": aov["DF2"].astype(float),
        "F": aov["F"].astype(float), "p": aov["p_unc"].astype(float), "pes": aov["np2"].astype(float),
        "gg_eps": aov["eps"].astype(float), "p_gg": aov["p_GG_corr"].astype(float),
    })
    out["note"] = PINGOUIN_MIXED_NOTE
    return out


# --------------------------------------------------------------------------- group tests


def _bh(p) -> np.ndarray:
    """Benjamini–Hochberg q over the non-missing p (as R's p.adjust drops NA)."""
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p, float)
    q = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        q[ok] = multipletests(p[ok], method="fdr_bh")[1]
    return q


def _hedges_g(x, y) -> float:
    nx, ny = len(x), len(y)
    df = nx + ny - 2
    sp = np.sqrt(((nx - 1) * np.var(x, ddof=1) + (ny - 1) * np.var(y, ddof=1)) / df)
    j = np.exp(gammaln(df / 2) - np.log(np.sqrt(df / 2)) - gammaln((df - 1) / 2))
    return float((np.mean(x) - np.mean(y)) / sp * j)


def _mwu(x, y) -> tuple[float, float, str]:
    """scipy's Mann–Whitney U, choosing the variant R's wilcox.test uses by default."""
    pooled = np.concatenate([x, y])
    ties = np.unique(pooled).size != pooled.size
    if len(x) < 50 and len(y) < 50 and not ties:
        res = stats.mannwhitneyu(x, y, alternative="two-sided", method="exact")
        return float(res.statistic), float(res.pvalue), MWU_EXACT
    res = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic", use_continuity=True)
    return float(res.statistic), float(res.pvalue), MWU_ASYMPTOTIC


def _dimension_tests(ds: pd.DataFrame, groups: list[str]) -> pd.DataFrame:
    rows = []
    for dm in DIMENSIONS:
        x = ds.loc[(ds["dimension"] == dm) & (ds["country"] == groups[0]), "score"].to_numpy(float)
        y = ds.loc[(ds["dimension"] == dm) & (ds["country"] == groups[1]), "score"].to_numpy(float)
        u, p_mwu, method = _mwu(x, y)
        tt = stats.ttest_ind(x, y, equal_var=False)
        rows.append(dict(
            dimension=dm, group1=groups[0], group2=groups[1], n_cn=len(x), n_us=len(y),
            median_cn=float(np.median(x)), median_us=float(np.median(y)),
            mean_cn=float(np.mean(x)), sd_cn=float(np.std(x, ddof=1)),
            mean_us=float(np.mean(y)), sd_us=float(np.std(y, ddof=1)),
            U=u, p_mwu=p_mwu, r_rb=1 - 2 * u / (len(x) * len(y)),
            t=float(tt.statistic), df=float(tt.df), p_welch=float(tt.pvalue),
            hedges_g=_hedges_g(x, y), method=method))
    out = pd.DataFrame(rows)
    out["q_mwu"] = _bh(out["p_mwu"])
    out["q_welch"] = _bh(out["p_welch"])
    return out[["dimension", "group1", "group2", "n_cn", "n_us", "median_cn", "median_us", "mean_cn",
                "sd_cn", "mean_us", "sd_us", "U", "p_mwu", "q_mwu", "r_rb", "t", "df", "p_welch",
                "q_welch", "hedges_g", "method"]]


def _bm_df_estimate(x, y) -> tuple[float, float]:
    """Brunner & Munzel (2000) Satterthwaite df and estimate P(X < Y) + 0.5 P(X = Y).

    scipy.stats.brunnermunzel returns the statistic and p but not df; this is the same
    formula scipy uses internally, written out.
    """
    nx, ny = len(x), len(y)
    rc = stats.rankdata(np.concatenate([x, y]))
    rcx, rcy = rc[:nx], rc[nx:]
    rx, ry = stats.rankdata(x), stats.rankdata(y)
    mx, my = rcx.mean(), rcy.mean()
    sx = np.sum((rcx - rx - mx + (nx + 1) / 2) ** 2) / (nx - 1)
    sy = np.sum((rcy - ry - my + (ny + 1) / 2) ** 2) / (ny - 1)
    num = (nx * sx + ny * sy) ** 2
    den = (nx * sx) ** 2 / (nx - 1) + (ny * sy) ** 2 / (ny - 1)
    df = num / den if den > 0 else np.nan
    return float(df), float((my - (ny + 1) / 2) / nx)


def _term_tests(tm: pd.DataFrame, groups: list[str]) -> pd.DataFrame:
    rows = []
    for t in TERM_NAMES:
        x = tm.loc[(tm["term"] == t) & (tm["country"] == groups[0]), "mean_rank"].to_numpy(float)
        y = tm.loc[(tm["term"] == t) & (tm["country"] == groups[1]), "mean_rank"].to_numpy(float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # 0/0 df for non-overlapping samples, noted below
            res = stats.brunnermunzel(x, y, alternative="two-sided", distribution="t")
        df, estimate = _bm_df_estimate(x, y)
        note = ""
        if estimate in (0.0, 1.0):
            note = ("samples do not overlap: scipy returns p = NaN (df 0/0); brunnermunzel 2.0 "
                    "reports statistic +-Inf, df NaN, p = 0")
        rows.append(dict(term=t, dimension=TERM_DIMENSION[t], statistic=float(res.statistic), df=df,
                         p=float(res.pvalue), cliffs_delta=float(np.mean(np.sign(x[:, None] - y[None, :]))),
                         estimate=estimate, method="Brunner-Munzel (scipy.stats.brunnermunzel, t)",
                         note=note))
    out = pd.DataFrame(rows)
    out["q"] = _bh(out["p"])
    return out[["term", "dimension", "statistic", "df", "p", "q", "cliffs_delta", "estimate", "method", "note"]]


# --------------------------------------------------------------------------- correlations


def _term_matrix(tm: pd.DataFrame) -> pd.DataFrame:
    """25 terms x models matrix of term means (the columns are the models)."""
    models = list(dict.fromkeys(tm["model"]))
    return tm.pivot(index="term", columns="model", values="mean_rank").reindex(
        index=list(TERM_NAMES), columns=models)


def _kendall_tau_b_matrix(X: np.ndarray) -> np.ndarray:
    """Kendall's tau-b between all columns of X (R's cor(method = "kendall"), scipy's
    kendalltau(variant="b")): (concordant - discordant) / sqrt((n0 - ties_x)(n0 - ties_y))
    over the item pairs, for every pair of columns in one matrix product."""
    i, j = np.triu_indices(X.shape[0], k=1)
    S = np.sign(X[i] - X[j])                       # item pairs x columns: +1, -1, 0 (tie)
    untied = (S != 0).sum(axis=0).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (S.T @ S) / np.sqrt(np.outer(untied, untied))


def _correlation_pairs(tm: pd.DataFrame) -> pd.DataFrame:
    M = _term_matrix(tm)
    models = np.array(M.columns, dtype=object)
    country = tm.drop_duplicates("model").set_index("model")["country"]
    X = M.to_numpy(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a constant column gives NaN, as R's cor
        rho_all = np.atleast_2d(stats.spearmanr(X, axis=0).statistic)  # columns = models
    if rho_all.shape[0] == 1:
        rho_all = np.full((2, 2), float(rho_all[0, 0]))
    tau_all = _kendall_tau_b_matrix(X)
    i, j = np.triu_indices(len(models), k=1)        # (0,1), (0,2), ..., as R's pairs
    c = country.reindex(models).to_numpy(dtype=object)
    return pd.DataFrame({"model1": models[i], "model2": models[j], "country1": c[i], "country2": c[j],
                         "pair_group": np.where(c[i] == c[j], c[i], "between"),
                         "spearman": rho_all[i, j].astype(float), "kendall": tau_all[i, j].astype(float)})


def _correlations(pairs: pd.DataFrame, nboot: int = 10000, seed: int = 2026) -> pd.DataFrame:
    groups = sorted(set(pairs["country1"]) | set(pairs["country2"])) + ["all"]
    rows = []
    for g in groups:
        sel = np.ones(len(pairs), bool) if g == "all" else (pairs["pair_group"] == g).to_numpy()
        for method in ("spearman", "kendall"):
            x = pairs.loc[sel, method].to_numpy(float)
            k = len(x)
            ci = ci_t = (np.nan, np.nan)
            if k >= 2:
                # numpy's generator, not R's: this interval is not meant to match R's digits
                rng = np.random.default_rng(seed)
                # resamples drawn a block of rows at a time (the same draws as one
                # (nboot, k) call) so that memory stays bounded with many pairs
                boot = np.empty(nboot)
                step = max(1, 2_000_000 // k)
                for b0 in range(0, nboot, step):
                    b1 = min(nboot, b0 + step)
                    boot[b0:b1] = x[rng.integers(0, k, size=(b1 - b0, k))].mean(axis=1)
                ci = tuple(np.quantile(boot, [0.025, 0.975]))
                half = stats.t.ppf(0.975, k - 1) * np.std(x, ddof=1) / np.sqrt(k)
                ci_t = (x.mean() - half, x.mean() + half)
            rows.append(dict(group=g, method=method, n_pairs=k, mean=float(x.mean()) if k else np.nan,
                             sd=float(np.std(x, ddof=1)) if k >= 2 else np.nan,
                             ci_low=float(ci[0]), ci_high=float(ci[1]),
                             ci_low_t=float(ci_t[0]), ci_high_t=float(ci_t[1])))
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- clustering


def _clusters(tm: pd.DataFrame, k: int = 4) -> dict[str, pd.DataFrame]:
    M = _term_matrix(tm)
    models = list(M.columns)
    country = tm.drop_duplicates("model").set_index("model")["country"]
    k = min(k, len(models))
    # pvclust's method.dist = "correlation" is 1 - Pearson r between the columns
    Z = hierarchy.linkage(pdist(M.to_numpy().T, metric="correlation"), method="average")
    raw = hierarchy.cut_tree(Z, n_clusters=k).ravel()
    leaves = hierarchy.leaves_list(Z)
    first = list(dict.fromkeys(raw[leaves]))  # number clusters in dendrogram order, as the R side
    cluster = np.array([first.index(r) + 1 for r in raw])
    order = np.empty(len(models), int)
    order[leaves] = np.arange(1, len(models) + 1)
    clusters = pd.DataFrame({"model": models, "country": [country[m] for m in models],
                             "cluster": cluster, "order": order}).sort_values("order").reset_index(drop=True)
    n = len(models)

    def r_index(i):  # scipy: < n leaf (0-based), >= n merge; R's hclust$merge: -leaf, +merge (1-based)
        i = int(i)
        return -(i + 1) if i < n else i - n + 1

    edges = pd.DataFrame({
        "edge": np.arange(1, n), "left": [r_index(i) for i in Z[:, 0]],
        "right": [r_index(i) for i in Z[:, 1]], "height": Z[:, 2],
        "au": np.nan, "bp": np.nan, "se_au": np.nan, "se_bp": np.nan})
    rows = []
    sums = tm.pivot(index="model", columns="term", values="rank_sum").reindex(index=models, columns=list(TERM_NAMES))
    n_rankings = tm.drop_duplicates("model").set_index("model")["n_rankings"].reindex(models).to_numpy()
    for ci in sorted(set(cluster)):
        sel = cluster == ci
        mem = [m for m, s in zip(models, sel) if s]
        s_ci, n_ci = sums.to_numpy(float)[sel], n_rankings[sel]
        means = np.array([_pool(s_ci[:, j], n_ci, s_ci[:, j] / n_ci) for j in range(len(TERM_NAMES))])
        for pos, j in enumerate(np.argsort(means, kind="stable")[:5], start=1):
            rows.append(dict(cluster=ci, n_models=len(mem), members="; ".join(mem), position=pos,
                             term=TERM_NAMES[j], dimension=TERM_DIMENSION[TERM_NAMES[j]],
                             mean_rank=float(means[j])))
    return {"clusters": clusters, "cluster_edges": edges, "archetypes": pd.DataFrame(rows)}


# --------------------------------------------------------------------------- concordance


def _concordance(d: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for m, x in d.groupby("model", sort=False):
        y = x.pivot(index=["language", "replicate"], columns="term", values="rank").reindex(
            columns=list(TERM_NAMES)).to_numpy(float)
        k, n_items = y.shape
        if k < 2:
            rows.append(dict(model=m, country=x["country"].iloc[0], n_replicates=k, W=np.nan, chisq=np.nan,
                             df=np.nan, p=np.nan, note="one ranking only: concordance needs at least two"))
            continue
        res = stats.friedmanchisquare(*y.T)  # groups = terms, blocks = rankings
        rows.append(dict(model=m, country=x["country"].iloc[0], n_replicates=k,
                         W=float(res.statistic) / (k * (n_items - 1)), chisq=float(res.statistic),
                         df=float(n_items - 1), p=float(res.pvalue), note=""))
    out = pd.DataFrame(rows)
    return out.sort_values(["W", "model"], ascending=[False, True], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- entry point


def python_twins(rank_table: pd.DataFrame, groups=None, k: int = 4, seed: int = 2026,
                 ci_nboot: int = 10000) -> dict[str, pd.DataFrame]:
    """Every statistic of ``pv_analyse()`` recomputed in Python, in R's table and column names.

    Parameters mirror ``pv_analyse``: ``groups`` (the two countries, first one first),
    ``k`` (clusters), ``seed`` and ``ci_nboot`` (the correlation bootstrap, which uses
    numpy's generator and so does not reproduce R's interval). The same analyses are
    skipped for the same reasons (listed in ``skipped``). The extra table
    ``mixed_anova_pingouin`` holds pingouin's mixed ANOVA beside the Type III twin.
    """
    d = validate(rank_table)
    tm = _model_term_means(d)
    ds = _model_dimension_scores(tm)
    models = list(dict.fromkeys(d["model"]))
    per_country = d.drop_duplicates("model")["country"].value_counts()
    n_rank = d.drop_duplicates(RANKING_KEY).groupby("model").size()
    ps = _primary_secondary(ds)
    out: dict[str, pd.DataFrame] = {
        "model_term_means": tm, "model_dimension_scores": ds, "term_means": _term_means(tm),
        "dimension_means": _dimension_means(tm, ds), "primary_secondary": ps,
        "primary_secondary_counts": _primary_secondary_counts(ps),
    }
    skipped = []
    if len(models) >= 2:
        out["dispersion_anova"], out["dispersion_posthoc"] = _dispersion_anova(ds)
        out["correlation_pairs"] = _correlation_pairs(tm)
        out["correlations"] = _correlations(out["correlation_pairs"], nboot=ci_nboot, seed=seed)
    else:
        skipped.append(("dispersion_anova, dispersion_posthoc, correlation_pairs, correlations",
                        "one model only: these compare models"))
    countries = sorted(per_country.index)
    two = len(countries) == 2 if groups is None else set(groups) <= set(countries)
    if two:
        g = _groups(d["country"], groups)
        two = min(per_country[g]) >= 2
    if two:
        out["dimension_tests"] = _dimension_tests(ds, g)
        out["mixed_anova"] = _type3_mixed_anova(ds, g)
        out["mixed_anova_pingouin"] = _pingouin_mixed_anova(ds, g)
        out["term_tests"] = _term_tests(tm, g)
    else:
        skipped.append(("dimension_tests, mixed_anova, term_tests",
                        "group comparisons need two countries with at least two models each; the table has "
                        + ", ".join(f"{c} ({per_country[c]} models)" for c in countries)))
    if len(models) >= 3:
        out.update(_clusters(tm, k=k))
    else:
        skipped.append(("clusters, cluster_edges, archetypes", "clustering needs at least 3 models"))
    if (n_rank >= 2).all():
        out["concordance"] = _concordance(d)
    else:
        skipped.append(("concordance", "Kendall's W needs at least two rankings per model; "
                        + ", ".join(n_rank.index[n_rank < 2]) + " have one"))
    out["skipped"] = pd.DataFrame(skipped, columns=["analysis", "reason"])
    return out
