"""Python twins of the R statistics (issue 2, point 7).

:func:`python_twins` recomputes, from the validated tidy rank table, every inferential
statistic that the R side (``R/*.R``, ``pv_analyse()``) computes, with scipy /
statsmodels / pingouin / numpy, in the same table and column names as R. The
:mod:`pyvalues.analysis.parity` module lines the two up.

Conventions mirrored from the R side (each R function is named where it is mirrored):

* term means and dimension scores are integer rank sums divided once
  (``model_term_means``, ``model_dimension_scores``), so that mathematically equal
  scores are equal doubles — ties decide U, Brunner–Munzel and the rank correlations;
* ``wilcox.test(x = group1, y = group2)`` defaults: exact p when there are no ties and both
  samples have fewer than 50 values, otherwise the normal approximation with continuity
  correction; U is R's W, the U of the first sample;
* Hedges' g with the pooled SD and the exact correction
  J = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2)) (``effectsize::hedges_g``);
* the mixed ANOVA is a Type III twin with sum contrasts (afex's ``aov_ez``), built here
  from orthonormal within-subject contrasts; pingouin's ``mixed_anova`` is reported
  beside it (``mixed_anova_pingouin``) because it does not give Type III sums of squares
  for the within-subject main effect when the groups are unequal;
* Brunner–Munzel with the t distribution (``scipy.stats.brunnermunzel``), group1 first;
  p is NaN where the statistic is undefined (no overlap, zero variance), as R's term_tests;
  Cliff's delta = P(group1 < group2) - P(group1 > group2);
* one direction for signed two-group effects (R's convention): ``r_rb``, ``t``,
  ``hedges_g``, the Brunner–Munzel statistic and ``cliffs_delta`` are positive when the
  first group ranks it as more important (lower ranks), so ``t`` and ``hedges_g`` are
  the negated scipy / textbook values of (group1 - group2);
* correlation intervals: model bootstrap (pairs of a model with its own copy left out),
  the naive pair bootstrap and the t interval; ``cohesion_test`` with an exact
  permutation p over all splits up to ``MAX_EXACT_SPLITS``;
* Kendall's W = chisq / (m (n - 1)) from the Friedman test, blocks = rankings;
* clustering: average linkage on 1 - Pearson r (pvclust's defaults), cut into k
  clusters; pvclust's AU/BP have no Python twin (NaN here).
"""
from __future__ import annotations

import warnings
from itertools import islice as itertools_islice

import numpy as np
import pandas as pd
from scipy import stats
from scipy.cluster import hierarchy
from scipy.spatial.distance import pdist
from ..formulas import bh_adjust, hedges_j, skip_reason
from ..instrument import DIMENSIONS, TERM_DIMENSION, TERM_NAMES
from ..ranktable import RANKING_KEY, term_rank_sums, validate

__all__ = ["python_twins", "choose_groups", "MWU_EXACT", "MWU_ASYMPTOTIC", "MAX_EXACT_SPLITS"]

# R's .pv_max_exact_splits: choose(20, 10)
MAX_EXACT_SPLITS = 184756

# R's wilcox.test method labels, so the `method` column reads the same on both sides.
MWU_EXACT = "Wilcoxon rank sum exact test"
MWU_ASYMPTOTIC = "Wilcoxon rank sum test with continuity correction"

from .parity import PINGOUIN_MIXED_NOTE  # noqa: E402  (defined with the parity table, which reads it)


# --------------------------------------------------------------------------- aggregation


def choose_groups(table: pd.DataFrame, groups=None) -> tuple[list[str] | None, str]:
    """The two groups compared, first one first, or ``(None, reason)`` (R's ``.pv_choose_groups``).

    Default: the two countries with the most models (ties: alphabetical), put in
    alphabetical order (CN before US). Given ``groups`` must be two different countries of
    the table; otherwise a ``ValueError`` that lists the countries present.
    """
    per_country = table.drop_duplicates("model")["country"].value_counts()
    present = sorted(per_country.index)
    listing = ", ".join(f"{c} ({per_country[c]} model{'' if per_country[c] == 1 else 's'})" for c in present)
    if groups is not None:
        groups = [str(g) for g in groups]
        if len(groups) != 2 or groups[0] == groups[1]:
            raise ValueError(f"groups must be two different country labels, first one first; got {groups}. "
                             f"Countries present: {listing}")
        unknown = [g for g in groups if g not in per_country.index]
        if unknown:
            raise ValueError(f"groups: {', '.join(repr(g) for g in unknown)} "
                             f"{'is not a country' if len(unknown) == 1 else 'are not countries'} of the rank "
                             f"table; countries present: {listing}. Fix: pass two of these as groups, or omit groups.")
    else:
        if len(present) < 2:
            return None, skip_reason("one_country", listing=listing)
        top = sorted(present, key=lambda c: (-per_country[c], c))[:2]
        groups = sorted(top)
    n = [int(per_country[g]) for g in groups]
    if min(n) < 2:
        return None, skip_reason("small_group", g1=groups[0], n1=n[0], g2=groups[1], n2=n[1])
    return groups, ""


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
    p = np.asarray(p, float)
    q = np.full_like(p, np.nan)
    bh_adjust(p, q)
    return q


def _hedges_g(x, y) -> float:
    nx, ny = len(x), len(y)
    df = nx + ny - 2
    sp = np.sqrt(((nx - 1) * np.var(x, ddof=1) + (ny - 1) * np.var(y, ddof=1)) / df)
    j = hedges_j(df)
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
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.simplefilter("ignore")  # constant groups: NaN / inf, as t.test stops (R skips)
            tt = stats.ttest_ind(x, y, equal_var=False)
            g = -_hedges_g(x, y)
        rows.append(dict(
            dimension=dm, group1=groups[0], group2=groups[1], n1=len(x), n2=len(y),
            median1=float(np.median(x)), median2=float(np.median(y)),
            mean1=float(np.mean(x)), sd1=float(np.std(x, ddof=1)),
            mean2=float(np.mean(y)), sd2=float(np.std(y, ddof=1)),
            U=u, p_mwu=p_mwu, r_rb=1 - 2 * u / (len(x) * len(y)),
            # negated: positive = group1 has the lower (more important) ranks
            t=-float(tt.statistic), df=float(tt.df), p_welch=float(tt.pvalue),
            hedges_g=g, method=method))
    out = pd.DataFrame(rows)
    out["q_mwu"] = _bh(out["p_mwu"])
    out["q_welch"] = _bh(out["p_welch"])
    return out[["dimension", "group1", "group2", "n1", "n2", "median1", "median2", "mean1",
                "sd1", "mean2", "sd2", "U", "p_mwu", "q_mwu", "r_rb", "t", "df", "p_welch",
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
        p = float(res.pvalue)
        note = ""
        if not (np.isfinite(res.statistic) and np.isfinite(df)):
            p = np.nan  # as R's term_tests: no p where the asymptotic statistic is undefined
            note = ("groups do not overlap or have zero variance: the asymptotic statistic is undefined, "
                    "so p is NaN")
        rows.append(dict(term=t, dimension=TERM_DIMENSION[t], group1=groups[0], group2=groups[1],
                         n1=len(x), n2=len(y), statistic=float(res.statistic), df=df, p=p,
                         # P(group1 < group2) - P(group1 > group2): positive = group1 ranks it higher
                         cliffs_delta=float(np.mean(np.sign(y[None, :] - x[:, None]))),
                         estimate=estimate, method="Brunner-Munzel (scipy.stats.brunnermunzel, t)",
                         note=note))
    out = pd.DataFrame(rows)
    out["q"] = _bh(out["p"])
    return out[["term", "dimension", "group1", "group2", "n1", "n2", "statistic", "df", "p", "q",
                "cliffs_delta", "estimate", "method", "note"]]


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


def _cor_matrices(tm: pd.DataFrame) -> tuple[list, np.ndarray, dict[str, np.ndarray]]:
    """Models, their countries, and the Spearman / Kendall matrices between them."""
    M = _term_matrix(tm)
    X = M.to_numpy(float)
    ranks = np.apply_along_axis(stats.rankdata, 0, X)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.corrcoef(ranks, rowvar=False)
    country = tm.drop_duplicates("model").set_index("model")["country"]
    models = list(M.columns)
    return models, country.reindex(models).to_numpy(dtype=object), {
        "spearman": np.atleast_2d(rho), "kendall": _kendall_tau_b_matrix(X)}


def _mean_pairs(C: np.ndarray, R: np.ndarray) -> np.ndarray:
    """R's ``.pv_mean_pairs``: mean coefficient over pairs of distinct drawn models, per row
    of counts C (pairs of a model with its own copy left out); NaN without a pair."""
    R0 = R.copy()
    np.fill_diagonal(R0, 0.0)
    num = np.einsum("bi,ij,bj->b", C, R0, C)
    den = C.sum(axis=1) ** 2 - (C ** 2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def _model_boot(Rs: list[np.ndarray], nboot: int, rng: np.random.Generator, block: int = 1000) -> np.ndarray:
    """Model-bootstrap draws of the mean pairwise coefficient, one column per matrix (numpy's
    generator: the same method as R's, not R's digits). Blocks of draws bound the memory."""
    n = Rs[0].shape[0]
    out = np.empty((nboot, len(Rs)))
    for b0 in range(0, nboot, block):
        size = min(block, nboot - b0)
        idx = rng.integers(0, n, size=(size, n))
        C = np.zeros((size, n))
        np.add.at(C, (np.repeat(np.arange(size), n), idx.ravel()), 1.0)
        for j, R in enumerate(Rs):
            out[b0:b0 + size, j] = _mean_pairs(C, R)
    return out


def _correlations(tm: pd.DataFrame, pairs: pd.DataFrame, nboot: int = 10000, seed: int = 2026) -> pd.DataFrame:
    models, country, mats = _cor_matrices(tm)
    groups = sorted(set(pairs["country1"]) | set(pairs["country2"])) + ["all"]
    rows = []
    for g in groups:
        sel = np.ones(len(pairs), bool) if g == "all" else (pairs["pair_group"] == g).to_numpy()
        members = np.arange(len(models)) if g == "all" else np.flatnonzero(country == g)
        boots = None
        if len(members) >= 2:
            boots = _model_boot([mats[m][np.ix_(members, members)] for m in ("spearman", "kendall")],
                                nboot, np.random.default_rng(seed))
        for j, method in enumerate(("spearman", "kendall")):
            x = pairs.loc[sel, method].to_numpy(float)
            k = len(x)
            ci = ci_pairs = ci_t = (np.nan, np.nan)
            ci_method = "model bootstrap: needs at least 2 models"
            if k >= 2:
                rng = np.random.default_rng(seed)
                # naive pair bootstrap, drawn a block of rows at a time (the same draws as
                # one (nboot, k) call) so that memory stays bounded with many pairs
                boot = np.empty(nboot)
                step = max(1, 2_000_000 // k)
                for b0 in range(0, nboot, step):
                    b1 = min(nboot, b0 + step)
                    boot[b0:b1] = x[rng.integers(0, k, size=(b1 - b0, k))].mean(axis=1)
                ci_pairs = tuple(np.quantile(boot, [0.025, 0.975]))
                half = stats.t.ppf(0.975, k - 1) * np.std(x, ddof=1) / np.sqrt(k)
                ci_t = (x.mean() - half, x.mean() + half)
            if boots is not None:
                b = boots[:, j]
                ok = ~np.isnan(b)
                ci = tuple(np.quantile(b[ok], [0.025, 0.975]))
                ci_method = (f"percentile bootstrap over models ({nboot} draws, numpy seed {seed}; pairs of a "
                             f"model with its own copy left out; {int((~ok).sum())} draws with one distinct "
                             "model dropped)")
            rows.append(dict(group=g, method=method, n_models=len(members), n_pairs=k,
                             mean=float(x.mean()) if k else np.nan,
                             sd=float(np.std(x, ddof=1)) if k >= 2 else np.nan,
                             ci_low=float(ci[0]), ci_high=float(ci[1]), ci_method=ci_method,
                             ci_low_pairs=float(ci_pairs[0]), ci_high_pairs=float(ci_pairs[1]),
                             ci_low_t=float(ci_t[0]), ci_high_t=float(ci_t[1])))
    return pd.DataFrame(rows)


def _cohesion_test(tm: pd.DataFrame, groups: list[str], nboot: int = 10000, seed: int = 2026) -> pd.DataFrame:
    """R's ``cohesion_test``: difference of the groups' mean within-group correlation, exact
    permutation p over all splits (up to MAX_EXACT_SPLITS; beyond, NaN here: R's Monte Carlo
    draws are not reproduced) and a model-bootstrap interval (numpy's generator)."""
    from itertools import combinations
    from math import comb

    models, country, mats = _cor_matrices(tm)
    i1, i2 = np.flatnonzero(country == groups[0]), np.flatnonzero(country == groups[1])
    if min(len(i1), len(i2)) < 2:
        raise ValueError("cohesion_test needs at least two models in each group")
    both = np.concatenate([i1, i2])
    n, n1 = len(both), len(i1)
    Rs = [mats[m][np.ix_(both, both)] for m in ("spearman", "kendall")]

    def within(Z, R):
        R0 = R.copy()
        np.fill_diagonal(R0, 0.0)
        k = Z.sum(axis=1)
        return np.einsum("bi,ij,bj->b", Z, R0, Z) / (k * (k - 1))

    z_obs = np.r_[np.ones(n1), np.zeros(n - n1)][None, :]
    obs = [float((within(z_obs, R) - within(1 - z_obs, R))[0]) for R in Rs]
    n_splits = comb(n, n1)
    p_perm = [np.nan, np.nan]
    if n_splits <= MAX_EXACT_SPLITS:
        extreme = np.zeros(2)
        combos = combinations(range(n), n1)
        while True:
            chunk = list(itertools_islice(combos, 20000))
            if not chunk:
                break
            Z = np.zeros((len(chunk), n))
            Z[np.repeat(np.arange(len(chunk)), n1), np.asarray(chunk).ravel()] = 1.0
            for j, R in enumerate(Rs):
                extreme[j] += np.sum(np.abs(within(Z, R) - within(1 - Z, R)) >= abs(obs[j]) - 1e-12)
        p_perm = list(extreme / n_splits)
    rng1, rng2 = np.random.default_rng(seed), np.random.default_rng(seed + 2)
    b1 = _model_boot([R[:n1, :n1] for R in Rs], nboot, rng1)
    b2 = _model_boot([R[n1:, n1:] for R in Rs], nboot, rng2)
    rows = []
    for j, method in enumerate(("spearman", "kendall")):
        d = b1[:, j] - b2[:, j]
        ci = np.nanquantile(d, [0.025, 0.975])
        rows.append(dict(method=method, group1=groups[0], group2=groups[1], n1=n1, n2=n - n1,
                         mean1=float(within(z_obs, Rs[j])[0]), mean2=float(within(1 - z_obs, Rs[j])[0]),
                         diff=obs[j], ci_low=float(ci[0]), ci_high=float(ci[1]), p_perm=float(p_perm[j]),
                         n_perm=float(n_splits) if n_splits <= MAX_EXACT_SPLITS else np.nan,
                         note="Python twin: exact permutation p; bootstrap with numpy's generator"))
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

    Parameters mirror ``pv_analyse``: ``groups`` (the two countries, first one first; by
    default the two with the most models, in alphabetical order), ``k`` (clusters),
    ``seed`` and ``ci_nboot`` (the correlation bootstraps, which use numpy's generator and
    so do not reproduce R's intervals). As in R each analysis family runs in its own error
    boundary: one that does not apply, or fails on this data, is a row of ``skipped``
    (``analysis, reason, message``) and the others still run. The extra table
    ``mixed_anova_pingouin`` holds pingouin's mixed ANOVA beside the Type III twin.
    """
    d = validate(rank_table)
    models = list(dict.fromkeys(d["model"]))
    g, group_reason = choose_groups(d, groups)
    out: dict[str, pd.DataFrame] = {}
    skipped: list[tuple[str, str, str]] = []

    class _NotApplicable(Exception):
        pass

    def need_models(n, what):
        if len(models) < n:
            raise _NotApplicable(skip_reason("too_few_models", what=what, n=n, n_models=len(models)))

    def need_groups():
        if g is None:
            raise _NotApplicable(group_reason)
        return g

    def family(name, compute):
        try:
            res = compute()
        except _NotApplicable as e:
            skipped.append((name, str(e), ""))
            return
        except Exception as e:  # noqa: BLE001 - the boundary: record and go on, as R's pv_analyse
            skipped.append((name, skip_reason("not_computable"), f"{type(e).__name__}: {e}"))
            return
        if isinstance(res, dict):
            out.update(res)
        else:
            out[name] = res

    family("model_term_means", lambda: _model_term_means(d))
    tm = out["model_term_means"]
    family("model_dimension_scores", lambda: _model_dimension_scores(tm))
    ds = out["model_dimension_scores"]
    family("term_means", lambda: _term_means(tm))
    family("dimension_means", lambda: _dimension_means(tm, ds))
    family("primary_secondary", lambda: _primary_secondary(ds))
    family("primary_secondary_counts", lambda: _primary_secondary_counts(out["primary_secondary"]))

    def dispersion():
        need_models(2, "the dispersion ANOVA")
        anova, post = _dispersion_anova(ds)
        return {"dispersion_anova": anova, "dispersion_posthoc": post}

    family("dispersion_anova, dispersion_posthoc", dispersion)

    def correlations():
        need_models(2, "pairwise correlations")
        pairs = _correlation_pairs(tm)
        return {"correlation_pairs": pairs, "correlations": _correlations(tm, pairs, nboot=ci_nboot, seed=seed)}

    family("correlation_pairs, correlations", correlations)
    family("dimension_tests", lambda: _dimension_tests(ds, need_groups()))
    family("mixed_anova", lambda: _type3_mixed_anova(ds, need_groups()))
    family("mixed_anova_pingouin", lambda: _pingouin_mixed_anova(ds, need_groups()))
    family("term_tests", lambda: _term_tests(tm, need_groups()))
    family("cohesion_test", lambda: _cohesion_test(tm, need_groups(), nboot=ci_nboot, seed=seed))

    def clusters():
        need_models(3, "clustering")
        return _clusters(tm, k=k)

    family("clusters, cluster_edges, archetypes", clusters)
    family("concordance", lambda: _concordance(d))
    out["skipped"] = pd.DataFrame(skipped, columns=["analysis", "reason", "message"])
    return out
