"""Level 2: the reported numbers against the design the paper states.

The design rows of the claims file (k = n_cn + n_us models, n terms in D dimensions of size
s, r replicates, complete rankings 1..n) imply: the degrees of freedom each test must have;
that every model's D dimension scores average exactly (n + 1) / 2, so dimension means sum to
D (n + 1) / 2 and any between-model (country) main effect on dimension scores is identically 0;
that group means weighted by n reproduce the pooled mean; that dimension scores lie on the grid
1/(s r) (GRIM, Brown & Heathers 2017), Kendall's W on 2/(m^2 (n^3 - n)/12); and that the text
agrees with the tables (counts, ranges, significance markers).
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd

from pyvalues.crosscheck.claims import Interval, claim_number, reported_interval
from pyvalues.crosscheck.design import MODEL_COUNTRY, Design, canonical_model
from pyvalues.crosscheck.level1 import make_row
from pyvalues.crosscheck.stats import stats  # scipy.stats, imported on first use
from pyvalues.errors import ClaimsError
from pyvalues.instrument import DIMENSIONS, TERM_NAMES

__all__ = ["design_from_claims", "level2_rows", "grid_hits"]


def _iv(c) -> Interval:
    return reported_interval(claim_number(c), c["decimals"], c["relation"])


def design_from_claims(claims: pd.DataFrame) -> Design:
    need = {"design_n_cn": "n_cn", "design_n_us": "n_us", "design_n_terms": "n_terms",
            "design_n_dimensions": "n_dimensions", "design_terms_per_dimension": "terms_per_dimension",
            "design_n_replicates": "n_replicates"}
    ids = claims.set_index("claim_id")
    missing = [k for k in need if k not in ids.index]
    if missing:
        raise ClaimsError(f"the claims file lacks the design row(s) {missing}; every claims file states its design "
                          "(see data-raw/claims/README.md, 'Entering a paper')")
    return Design(**{v: int(float(ids.loc[k, "reported"])) for k, v in need.items()})


def grid_hits(iv: Interval, step: Fraction, limit: int = 5) -> list[Fraction]:
    """Multiples of `step` inside the interval, respecting its open ends (at most `limit` returned)."""
    lo = math.ceil(Fraction(iv.lo).limit_denominator(10**9) / step)
    hi = math.floor(Fraction(iv.hi).limit_denominator(10**9) / step)
    if not iv.lo_closed and lo * step == Fraction(iv.lo).limit_denominator(10**9):
        lo += 1
    if not iv.hi_closed and hi * step == Fraction(iv.hi).limit_denominator(10**9):
        hi -= 1
    return [k * step for k in range(lo, min(hi, lo + limit - 1) + 1)]


def _get(claims, claim_id):
    m = claims[claims["claim_id"] == claim_id]
    return None if m.empty else m.iloc[0]


def _ok(flag: bool) -> str:
    return "consistent" if flag else "inconsistent"


def level2_rows(claims: pd.DataFrame) -> list[dict]:
    d = design_from_claims(claims)
    rows: list[dict] = []
    rows += _design_facts(claims, d)
    rows += _dfs(claims, d)
    rows += _complete_ranking(claims, d)
    rows += _grids(claims, d)
    rows += _concordance_table(claims, d)
    rows += _counts_sets(claims, d)
    rows += _correlations(claims, d)
    rows += _posthoc_bound(claims, d)
    rows += _statements(claims, d)
    return rows


# --- design -------------------------------------------------------------------------------------

def _design_facts(claims, d: Design) -> list[dict]:
    out = []
    c = _get(claims, "design_n_models")
    if c is not None:
        out.append(make_row(c, 2, str(d.n_cn + d.n_us), _ok(int(claim_number(c)) == d.n_models),
                            f"{d.n_cn} CN + {d.n_us} US models = {d.n_models}."))
    c = _get(claims, "design_n_terms")
    if c is not None:
        n = d.n_dimensions * d.terms_per_dimension
        out.append(make_row(c, 2, str(n), _ok(n == d.n_terms),
                            f"{d.n_dimensions} dimensions x {d.terms_per_dimension} terms = {n} terms; the instrument (pyvalues.instrument) has {len(TERM_NAMES)}."))
    return out


def _dfs(claims, d: Design) -> list[dict]:
    out = []
    k, D = d.n_models, d.n_dimensions
    required = {
        ("rm_anova", "dimension"): (D - 1, (D - 1) * (k - 1), f"a one-way repeated-measures ANOVA over {D} dimensions with {k} models"),
        ("mixed_anova", "dimension"): (D - 1, (D - 1) * (k - 2), f"the within-model factor of a mixed ANOVA with {k} models in 2 groups (error: dimension x model-within-country)"),
        ("mixed_anova", "country:dimension"): (D - 1, (D - 1) * (k - 2), "the interaction of a mixed ANOVA (error: dimension x model-within-country)"),
        ("mixed_anova", "country"): (1, k - 2, f"a between-model factor with 2 groups of {d.n_cn} and {d.n_us} models (error: models within country)"),
    }
    for _, c in claims[(claims["quantity"] == "F")].iterrows():
        key = (c["test"], c["subject"])
        if key not in required:
            continue
        r1, r2, what = required[key]
        ok = (c["df1"] == r1) and (c["df2"] == r2)
        note = f"The design requires F({r1}, {r2}) for {what}; printed F({c['df1']:g}, {c['df2']:g})."
        if not ok and key == ("mixed_anova", "country"):
            note += (f" df2 = {c['df2']:g} is the within-model error df, i.e. country was tested against the residual of a model that treats "
                     f"model as a fixed effect (as the text says), in which country is aliased with model; the country test must use the "
                     f"{k - 2} df of models within country.")
        out.append(make_row(c, 2, f"F({r1}, {r2})", _ok(ok), note))
    for _, c in claims[(claims["test"] == "kendall_w") & (claims["quantity"] == "p") & claims["df1"].notna()].iterrows():
        ok = c["df1"] == d.n_terms - 1 and c["n1"] == d.n_replicates and c["n2"] == d.n_terms
        out.append(make_row(c, 2, f"chi2({d.n_terms - 1}), m = {d.n_replicates}", _ok(ok),
                            f"Friedman's test of {d.n_replicates} complete rankings of {d.n_terms} terms has {d.n_terms - 1} df."))
    for _, c in claims[(claims["test"] == "welch_t") & (claims["quantity"] == "df")].iterrows():
        lo, hi = min(d.n_cn, d.n_us) - 1, d.n_cn + d.n_us - 2
        ok = _iv(c).overlaps(Interval(lo, hi))
        out.append(make_row(c, 2, f"[{lo}, {hi}]", _ok(ok),
                            f"A Welch-Satterthwaite df lies between min(n1, n2) - 1 = {lo} and n1 + n2 - 2 = {hi}."))
    for _, c in claims[(claims["test"] == "mann_whitney") & (claims["quantity"] == "U")].iterrows():
        ok = c["n1"] == d.n_cn and c["n2"] == d.n_us and 0 <= claim_number(c) <= d.n_cn * d.n_us
        out.append(make_row(c, 2, f"U in [0, {d.n_cn * d.n_us}]", _ok(ok),
                            f"With {d.n_cn} CN and {d.n_us} US models U lies in [0, {d.n_cn * d.n_us}] on a grid of 1/2; printed U = {c['reported']}."))
    return out


# --- complete rankings ---------------------------------------------------------------------------

def _complete_ranking(claims, d: Design) -> list[dict]:
    out = []
    mid = d.mean_rank
    s = d.terms_per_dimension
    lo_score, hi_score = (s + 1) / 2, d.n_terms - (s - 1) / 2
    dim_means = {c["subject"]: c for _, c in claims[(claims["test"] == "descriptive") & (claims["quantity"] == "mean")].iterrows()
                 if c["subject"] in DIMENSIONS}
    if len(dim_means) == d.n_dimensions:
        total = Interval(0, 0)
        for c in dim_means.values():
            total = total + _iv(c)
        target = d.n_dimensions * mid
        first = dim_means[DIMENSIONS[0]]
        out.append(make_row(first, 2, f"sum in {total}", _ok(total.contains(target)),
                            f"Each model's {d.n_dimensions} dimension scores average (n + 1)/2 = {mid:g} under complete rankings, so the "
                            f"{d.n_dimensions} dimension means must sum to {target:g}; the printed means sum to "
                            f"{sum(claim_number(c) for c in dim_means.values()):.2f}, interval {total}."))
    for _, c in claims[claims["quantity"].isin(["mean", "median_cn", "median_us", "mean_cn", "mean_us"])
                       & (claims["test"].isin(["descriptive", "mann_whitney", "welch_t"]))].iterrows():
        if c["subject"] not in DIMENSIONS:
            continue
        ok = _iv(c).overlaps(Interval(lo_score, hi_score))
        if not ok:
            out.append(make_row(c, 2, f"[{lo_score:g}, {hi_score:g}]", "infeasible",
                                f"A dimension score of {s} terms ranked among 1..{d.n_terms} lies in [{lo_score:g}, {hi_score:g}]."))
    # country main effect on dimension scores
    for _, c in claims[(claims["test"] == "mixed_anova") & (claims["subject"] == "country")].iterrows():
        q = c["quantity"]
        rec = {"F": "0 / 0 (undefined)", "p": "undefined", "pes": "undefined (0/0)"}.get(q, "")
        out.append(make_row(c, 2, rec, "infeasible",
                            f"Under complete rankings every model's mean over its {d.n_dimensions} dimension scores is exactly {mid:g}, so the "
                            "country effect and its between-model error sum of squares are both identically 0 and the country F is "
                            f"0/0: no complete-ranking data set gives {q} = {c['reported']}. A nonzero country F needs incomplete or "
                            "non-rank scores, or a different model than the one described."))
    # group means weighted by n reproduce the pooled mean
    for dim, pooled in dim_means.items():
        mcn = claims[(claims["subject"] == dim) & (claims["quantity"] == "mean_cn")]
        mus = claims[(claims["subject"] == dim) & (claims["quantity"] == "mean_us")]
        if mcn.empty or mus.empty:
            continue
        a, b = _iv(mcn.iloc[0]), _iv(mus.iloc[0])
        w = a.scale(d.n_cn / d.n_models) + b.scale(d.n_us / d.n_models)
        ok = w.overlaps(_iv(pooled))
        out.append(make_row(pooled, 2, f"{w}", _ok(ok),
                            f"({d.n_cn} x CN mean {mcn.iloc[0]['reported']} + {d.n_us} x US mean {mus.iloc[0]['reported']}) / {d.n_models} lies in {w}, "
                            + ("which meets the printed pooled mean." if ok else f"which excludes the printed pooled mean {pooled['reported']}.")))
    out += _mixed_anova_summaries(claims, d, dim_means)
    return out


def _mixed_anova_summaries(claims, d: Design, dim_means) -> list[dict]:
    """Under complete rankings every model's mean score is (n+1)/2, so in the mixed ANOVA
    SS_error(within) = sum_D sum_g (n_g - 1) s_gD^2 and SS_interaction = (n_cn n_us / k) sum_D diff_D^2,
    with diff_D = mean_CN,D - mean_US,D (sum_D diff_D = 0)."""
    fi = _get(claims, "mixed_interaction_F")
    fd = _get(claims, "mixed_category_F")
    if fi is None or fd is None or len(dim_means) != d.n_dimensions:
        return []
    known = []
    for dim in DIMENSIONS:
        q = {c["quantity"]: c for _, c in claims[(claims["subject"] == dim) & (claims["test"].isin(["descriptive", "welch_t"]))].iterrows()}
        if all(k in q for k in ("mean_cn", "mean_us", "sd_cn", "sd_us")):
            known.append((dim, q))
    if not known:
        return []
    k, D, mid = d.n_models, d.n_dimensions, d.mean_rank
    ss_dim = k * sum((claim_number(c) - mid) ** 2 for c in dim_means.values())
    ratio = claim_number(fi) / claim_number(fd)
    ss_int = ratio * ss_dim
    diffs = [claim_number(q["mean_cn"]) - claim_number(q["mean_us"]) for _, q in known]
    w = d.n_cn * d.n_us / k
    ss_int_known = w * sum(x ** 2 for x in diffs)
    rest = D - len(known)
    ss_int_min = ss_int_known + (w * sum(diffs) ** 2 / rest if rest else 0.0)
    df_err = (D - 1) * (k - 2)
    ss_err = df_err * ss_dim / (D - 1) / claim_number(fd)
    ss_err_known = sum((d.n_cn - 1) * claim_number(q["sd_cn"]) ** 2 + (d.n_us - 1) * claim_number(q["sd_us"]) ** 2 for _, q in known)
    names = " and ".join(dim for dim, _ in known)
    ok = ss_int >= 0.9 * ss_int_min and ss_err >= 0.9 * ss_err_known
    implied_sd = math.sqrt(max(ss_err - ss_err_known, 0) / (rest * (k - 2))) if rest else float("nan")
    note = (f"Under complete rankings, SS(country x dimension) = (n_cn n_us / k) sum_D diff_D^2 and the within error SS = sum_D sum_g (n_g - 1) s_gD^2. "
            f"With SS(dimension) ~ {ss_dim:.0f} from the printed dimension means (n-weighted), F = {fd['reported']} implies error SS ~ {ss_err:.0f} "
            f"(>= {ss_err_known:.0f} from the printed {names} SDs) and F = {fi['reported']} implies SS(interaction) ~ {ss_int:.1f} "
            f"(>= {ss_int_min:.1f} from the printed {names} group means). "
            + ("Both bounds hold; " if ok else "A bound fails; ")
            + f"the other {rest} dimensions would need a pooled within-group SD of about {implied_sd:.1f}.")
    return [make_row(fi, 2, f"SS_int ~ {ss_int:.1f}", _ok(ok), note)]


# --- grids (GRIM) --------------------------------------------------------------------------------

def _grids(claims, d: Design) -> list[dict]:
    out = []
    unit = Fraction(1, d.score_denominator)
    sizes = {"cn": d.n_cn, "us": d.n_us}
    for _, c in claims.iterrows():
        q, subj = c["quantity"], c["subject"]
        if subj not in DIMENSIONS or c["test"] not in ("descriptive", "mann_whitney", "welch_t"):
            continue
        if q == "mean":
            step, what = unit / d.n_models, f"a mean of {d.n_models} dimension scores"
        elif q in ("mean_cn", "mean_us"):
            n = sizes[q[-2:]]
            step, what = unit / n, f"a mean of {n} dimension scores"
        elif q in ("median_cn", "median_us"):
            n = sizes[q[-2:]]
            step = unit if n % 2 else unit / 2
            what = f"the median of {n} dimension scores ({'one of them' if n % 2 else 'the mean of two of them'})"
        else:
            continue
        iv = _iv(c)
        hits = grid_hits(iv, step)
        width = iv.hi - iv.lo
        power = "" if step > width else f" (the grid step {float(step):.4f} is finer than the rounding interval, so this check cannot fail here)"
        out.append(make_row(c, 2, ", ".join(f"{float(h):.4f}" for h in hits[:3]) or "none",
                            _ok(bool(hits)) if hits else "infeasible",
                            f"A dimension score is a rank sum over {d.terms_per_dimension} terms x {d.n_replicates} replicates, a multiple of 1/{d.score_denominator}; "
                            f"{what} is a multiple of {step}. " + (f"Values on that grid round to the printed {c['reported']}{power}." if hits
                                                                  else f"No value on that grid rounds to the printed {c['reported']}.")))
    for _, c in claims[(claims["test"] == "cliffs_delta") & (claims["quantity"] == "delta")].iterrows():
        n1, n2 = int(c["n1"]), int(c["n2"])
        step = Fraction(1, n1 * n2)
        hits = grid_hits(_iv(c), step)
        out.append(make_row(c, 2, ", ".join(f"{float(h):.4f}" for h in hits[:4]) or "none", "consistent" if hits else "infeasible",
                            f"Cliff's delta of {n1} x {n2} models is (#CN > US - #CN < US) / {n1 * n2}, a multiple of 1/{n1 * n2}; "
                            + (f"{len(hits)} grid value(s) fall within 'approximately {c['reported']}'." if hits else "none is near the printed value.")
                            + " Negative delta = the term ranked more important (lower rank) by CN models."))
    # Kendall's W with m raters and n items: W = 12 S / (m^2 (n^3 - n)), S even
    m, n = d.n_replicates, d.n_terms
    wstep = Fraction(24, m * m * (n ** 3 - n))
    for _, c in claims[(claims["test"] == "kendall_w") & (claims["quantity"] == "W") & claims["companion"].str.startswith("kendall_w_")].iterrows():
        if "text" in c["companion"]:
            continue
        hits = grid_hits(_iv(c), wstep)
        hits = [h for h in hits if h <= 1]
        out.append(make_row(c, 2, f"{float(hits[0]):.5f}" if hits else "none", "consistent" if hits else "infeasible",
                            f"With m = {m} complete rankings of n = {n} terms, W = 12 S / (m^2 (n^3 - n)) with S an even integer, a multiple of {wstep}; "
                            + ("a grid value rounds to the printed W (the grid is finer than the printed precision, so only W near 1 is constrained)." if hits
                               else "no grid value rounds to the printed W.")))
    return out


# --- Table A-1 and the text about it --------------------------------------------------------------

def _concordance_table(claims, d: Design) -> list[dict]:
    out = []
    kw = claims[claims["companion"].str.startswith("kendall_w_") & ~claims["companion"].str.startswith("kendall_w_text")]
    table = {}
    for comp, g in kw.groupby("companion", sort=False):
        q = {c["quantity"]: c for _, c in g.iterrows()}
        if "W" in q:
            table[q["W"]["subject"]] = q
    if not table:
        return out
    # significance markers
    for model, q in table.items():
        if "sig" in q and "p" in q:
            mark, p = q["sig"]["reported"], claim_number(q["p"])
            expected = "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else "ns"
            ok = mark == expected or (mark == "ns" and p >= 0.05)
            out.append(make_row(q["sig"], 2, expected, _ok(ok),
                                f"With the usual markers (* p < .05, ** p < .01, *** p < .001), p = {q['p']['reported']} earns '{expected}'; printed '{mark}'."
                                + ("" if ok else " The marker overstates the evidence.")))
    # group column vs design
    groups = {m: q["country"]["reported"] for m, q in table.items() if "country" in q}
    if groups:
        first = next(iter(table.values()))["country"]
        bad = [m for m, gname in groups.items() if MODEL_COUNTRY.get(_canon(m)) not in (None, gname)]
        ncn = sum(1 for g in groups.values() if g == "CN")
        nus = sum(1 for g in groups.values() if g == "US")
        ok = not bad and ncn == d.n_cn and nus == d.n_us
        out.append(make_row(first, 2, f"{ncn} CN, {nus} US", _ok(ok),
                            f"Table A-1 lists {len(groups)} models, {ncn} CN and {nus} US; the design states {d.n_cn} CN and {d.n_us} US."
                            + (f" Group differs from the model list for {bad}." if bad else "")))
    # rank column follows W
    ranks = [(int(claim_number(q["rank"])), claim_number(q["W"]), m) for m, q in table.items() if "rank" in q]
    if ranks:
        ranks.sort()
        ok = all(ranks[i][1] >= ranks[i + 1][1] for i in range(len(ranks) - 1))
        out.append(make_row(table[ranks[0][2]]["rank"], 2, "descending W" if ok else "not sorted", _ok(ok),
                            "The Rank column orders the models by decreasing W." if ok else "The Rank column does not follow W."))
    sig = [m for m, q in table.items() if "p" in q and claim_number(q["p"]) < 0.05]
    for cid in ("concordance_sig_count_a", "concordance_sig_count_b"):
        c = _get(claims, cid)
        if c is None:
            continue
        ok = int(claim_number(c)) == len(sig)
        n01 = sum(1 for q in table.values() if "p" in q and claim_number(q["p"]) < 0.01)
        out.append(make_row(c, 2, str(len(sig)), _ok(ok),
                            f"Table A-1 has {len(sig)} of {len(table)} models with p < .05 (all but "
                            f"{', '.join(m for m in table if m not in sig)}); the text says {c['reported']}."
                            + ("" if ok else f" ({n01} models have p < .01.)")))
    ws = {m: claim_number(q["W"]) for m, q in table.items()}
    for cid, fn, name in (("concordance_W_min", min, "smallest"), ("concordance_W_max", max, "largest")):
        c = _get(claims, cid)
        if c is not None:
            v = fn(ws.values())
            out.append(make_row(c, 2, f"{v:.3f}", _ok(_iv(c).contains(v)), f"The {name} W in Table A-1 is {v:.3f}."))
    c = _get(claims, "concordance_us_except_phi4")
    if c is not None:
        others = {m: w for m, w in ws.items() if groups.get(m) == "US" and m != "Microsoft-Phi4"}
        below = {m: w for m, w in others.items() if not w > claim_number(c)}
        out.append(make_row(c, 2, f"min {min(others.values()):.3f}", _ok(not below),
                            "All other US models in Table A-1 have W > .92." if not below else
                            "Table A-1 contradicts this: " + ", ".join(f"{m} has W = {w:.3f}" for m, w in below.items()) + "."))
    c = _get(claims, "concordance_group_means")
    if c is not None:
        mus = np.mean([w for m, w in ws.items() if groups.get(m) == "US"])
        mcn = np.mean([w for m, w in ws.items() if groups.get(m) == "CN"])
        out.append(make_row(c, 2, f"US {mus:.3f}, CN {mcn:.3f}", _ok(mus > mcn), f"Mean W in Table A-1: US {mus:.3f}, CN {mcn:.3f}."))
    for comp in ("kendall_w_text_huawei_xiaoyi", "kendall_w_text_wenxin"):
        g = claims[claims["companion"] == comp]
        for _, c in g.iterrows():
            q = table.get(c["subject"])
            if q is None or c["quantity"] not in q:
                continue
            tv = claim_number(q[c["quantity"]])
            out.append(make_row(c, 2, q[c["quantity"]]["reported"], _ok(_iv(c).contains(tv)),
                                f"Table A-1 prints {c['quantity']} = {q[c['quantity']]['reported']} for {c['subject']}."))
    return out


def _canon(name: str) -> str:
    try:
        return canonical_model(name)
    except KeyError:
        return name


# --- counts and sets -----------------------------------------------------------------------------

def _counts_sets(claims, d: Design) -> list[dict]:
    out = []
    k = d.n_models
    for kind in ("Primary", "Secondary"):
        g = claims[(claims["test"] == "count") & (claims["quantity"] == "count") & claims["subject"].str.endswith("|" + kind)]
        if len(g):
            total = int(sum(claim_number(c) for _, c in g.iterrows()))
            c = g.iloc[0]
            out.append(make_row(c, 2, f"{total} of {k}", _ok(total <= k),
                                f"The printed {kind} counts ({', '.join(r['subject'].split('|')[0] + ' ' + r['reported'] for _, r in g.iterrows())}) "
                                f"sum to {total}, leaving {k - total} of {k} models for the other dimensions."))
    for _, c in claims[claims["quantity"] == "percent"].iterrows():
        subj = c["subject"].split("|")
        dims = subj[0].split("+")
        kind = subj[1]
        counts = [claims[(claims["quantity"] == "count") & (claims["subject"] == f"{dm}|{kind}")] for dm in dims]
        if any(x.empty for x in counts):
            continue
        n = sum(claim_number(x.iloc[0]) for x in counts)
        pct = 100 * n / k
        out.append(make_row(c, 2, f"{pct:g}", _ok(_iv(c).contains(pct)), f"{n:g} of {k} models is {pct:g}%."))
    # archetype memberships: a partition of the models
    mem = claims[(claims["quantity"] == "members") & (claims["relation"] == "=")]
    if len(mem):
        seen: dict[str, str] = {}
        dup, unknown = [], []
        for _, c in mem.iterrows():
            for m in c["reported"].split(";"):
                name = _canon(m)
                if name not in MODEL_COUNTRY:
                    unknown.append(m)
                if name in seen:
                    dup.append(name)
                seen[name] = c["subject"]
        missing = [m for m in MODEL_COUNTRY if m not in seen]
        ok = not dup and not unknown and not missing
        out.append(make_row(mem.iloc[0], 2, f"{len(seen)} models in {len(mem)} clusters", _ok(ok),
                            f"The archetype lists name {len(seen)} distinct models in {len(mem)} clusters"
                            + (f"; twice: {dup}" if dup else "") + (f"; unknown: {unknown}" if unknown else "")
                            + (f"; missing: {missing}" if missing else "; every model exactly once.")))
        for _, c in claims[(claims["quantity"] == "members") & (claims["relation"] == ">=")].iterrows():
            names = [_canon(m) for m in c["reported"].split(";")]
            where = {seen.get(m) for m in names}
            ok = where == {c["subject"]}
            out.append(make_row(c, 2, ", ".join(sorted(str(w) for w in where)), _ok(ok),
                                f"In the archetype lists these models are in {', '.join(sorted(str(w) for w in where))}; the text puts them in {c['subject']}."))
        nc = _get(claims, "n_clusters")
        if nc is not None:
            out.append(make_row(nc, 2, str(len(mem)), _ok(int(claim_number(nc)) == len(mem)), f"{len(mem)} archetypes are described."))
    for _, c in claims[(claims["quantity"] == "terms")].iterrows():
        terms = c["reported"].split(";")
        bad = [t for t in terms if t not in TERM_NAMES]
        ok = not bad and len(terms) == 5 and len(set(terms)) == 5
        if not ok:
            out.append(make_row(c, 2, "", "inconsistent", f"A top/bottom-5 set needs 5 distinct canonical terms; got {terms} (unknown: {bad})."))
    return out


# --- correlations --------------------------------------------------------------------------------

def _correlations(claims, d: Design) -> list[dict]:
    out = []
    for g in ("CN", "US"):
        rho = claims[(claims["test"] == "spearman") & (claims["quantity"] == "rho_mean") & (claims["subject"] == g)]
        tau = claims[(claims["test"] == "kendall_tau") & (claims["quantity"] == "tau_mean") & (claims["subject"] == g)]
        if rho.empty or tau.empty:
            continue
        r, t = rho.iloc[0], tau.iloc[0]
        r_iv, t_iv = _iv(r), _iv(t)
        lo, hi = 3 * t_iv.lo - 2 * r_iv.hi, 3 * t_iv.hi - 2 * r_iv.lo
        ok = lo <= 1 and hi >= -1
        out.append(make_row(t, 2, f"3 tau - 2 rho in [{lo:.3f}, {hi:.3f}]", _ok(ok),
                            "Daniels' inequality -1 <= 3 tau - 2 rho <= 1 holds for every pair of rankings, hence for the means over pairs; "
                            f"the printed means give 3 tau - 2 rho = {3 * claim_number(t) - 2 * claim_number(r):.3f}."))
        n = int(r["n1"])
        P = n * (n - 1) // 2
        sd = claims[(claims["test"] == "spearman") & (claims["quantity"] == "rho_sd") & (claims["subject"] == g)]
        if len(sd):
            mu = claim_number(r)
            bound = math.sqrt((1 - mu) * (1 + mu) * P / (P - 1))
            out.append(make_row(sd.iloc[0], 2, f"<= {bound:.3f}", _ok(claim_number(sd.iloc[0]) <= bound),
                                f"{P} coefficients in [-1, 1] with mean {mu:.4f} have SD at most sqrt((1 - mean)(1 + mean) P/(P - 1)) = {bound:.3f}."))
        size = d.n_cn if g == "CN" else d.n_us
        out.append(make_row(r, 2, f"{size * (size - 1) // 2} pairs", _ok(n == size),
                            f"{g} has {size} models, {size * (size - 1) // 2} pairs; the claims file uses n = {n}."))
    return out


def _posthoc_bound(claims, d: Design) -> list[dict]:
    c = _get(claims, "disp_posthoc_others_ns")
    hi, lo = _get(claims, "mean_sd_protective"), _get(claims, "mean_sd_personal")
    if c is None or hi is None or lo is None:
        return []
    k, D = d.n_models, d.n_dimensions
    m = D * (D - 1) // 2
    tcrit = stats.t.isf(0.05 / m / 2, k - 1)
    diff = claim_number(hi) - claim_number(lo)
    sd_needed = diff * math.sqrt(k) / tcrit
    return [make_row(c, 2, f"SD(diff) >= {sd_needed:.2f}", "consistent",
                     f"Protective (mean SD {hi['reported']}) vs Personal ({lo['reported']}) is among the non-significant pairs, although its mean "
                     f"difference {diff:.2f} exceeds those of the significant Practical/Social vs Epistemic/Personal pairs. With {m} Bonferroni-corrected "
                     f"paired t tests on {k} models that requires |t| < {tcrit:.2f}, i.e. an SD of the per-model differences of at least {sd_needed:.2f}: "
                     "possible, but it means the Protective dispersion varies strongly between models.")]


# --- statements added in issue 11: language design, overall Top/Bottom-5, margins, ranges -------

def _statements(claims, d: Design) -> list[dict]:
    from pyvalues.instrument import LANGUAGES

    out = []
    c = _get(claims, "design_prompt_languages")
    if c is not None:
        n = len(LANGUAGES)
        out.append(make_row(c, 2, str(n), _ok(int(claim_number(c)) == n),
                            f"The instrument (pyvalues.instrument.LANGUAGES) holds the prompt in {n} languages ({', '.join(LANGUAGES)}), "
                            "as Appendix A.1 prints both. The paper does not say which models received which language; "
                            "the analysis pools the replicates of a model whatever the language."))
    out += _overall_sets(claims)
    # "Epistemic (8) and Protective (5) lead by a wide margin" among Secondary choices
    c = _get(claims, "secondary_lead_margin")
    if c is not None:
        sec = claims[(claims["test"] == "count") & (claims["quantity"] == "count") & claims["subject"].str.endswith("|Secondary")]
        counts = {r["subject"].split("|")[0]: int(claim_number(r)) for _, r in sec.iterrows()}
        leader = c["subject"].split("|")[0]
        others = [dm for dm in DIMENSIONS if dm not in counts]
        rest = d.n_models - sum(counts.values())
        if others and leader in counts:
            # the largest of the unprinted dimensions holds at least ceil(rest / len(others))
            least_max = math.ceil(rest / len(others))
            lead = counts[leader] - least_max
            ok = lead >= claim_number(c)
            out.append(make_row(c, 2, f"lead <= {lead}", _ok(ok),
                                f"Printed Secondary counts {counts} leave {rest} of {d.n_models} models to {', '.join(others)}, so one of them "
                                f"has at least {least_max}: {leader} ({counts[leader]}) leads it by at most {lead}. A 'wide margin' read as a lead "
                                f"of at least {c['reported']} (its weakest reading) " + ("holds." if ok else "is contradicted by the paper's own counts.")))
    # "Nineteen of twenty significant (W = 0.489-1.000)": the range of W over the significant models
    c = _get(claims, "concordance_sig_W_range")
    if c is not None:
        kw = claims[claims["companion"].str.startswith("kendall_w_") & ~claims["companion"].str.startswith("kendall_w_text")]
        table = {}
        for comp, g in kw.groupby("companion", sort=False):
            q = {r["quantity"]: r for _, r in g.iterrows()}
            if "W" in q and "p" in q:
                table[q["W"]["subject"]] = (claim_number(q["W"]), claim_number(q["p"]))
        sig = [w for w, p in table.values() if p < 0.05]
        if sig:
            lo = min(sig)
            ok = _iv(c).contains(lo)
            nonsig = sorted(f"{m} (W = {w:.3f}, p = {p:.3f})" for m, (w, p) in table.items() if p >= 0.05)
            out.append(make_row(c, 2, f"{lo:.3f}", _ok(ok),
                                f"Table A-1's {len(sig)} models with p < .05 span W = {lo:.3f}-{max(sig):.3f}; the printed lower end {c['reported']} "
                                + ("agrees." if ok else f"is the W of the non-significant model{'s' if len(nonsig) > 1 else ''} {', '.join(nonsig)}.")))
    # the ordering statements need the unprinted values: say what the paper gives
    for cid in ("mean_sd_largest", "mean_sd_smallest"):
        c = _get(claims, cid)
        if c is not None:
            dim = c["subject"].split("|")[0]
            printed = claims[(claims["quantity"] == "mean_sd")]
            others = [r["subject"] for _, r in printed.iterrows() if r["subject"] != dim]
            out.append(make_row(c, 2, "", "not_checkable",
                                f"The paper prints the mean SD of {', '.join(sorted(set([dim] + others)))} only; whether {dim} has the "
                                f"{'largest' if c['reported'] == 'max' else 'smallest'} of the five needs the other three (level 3 checks it on a data set)."))
    c = _get(claims, "pooled_corr_positive")
    if c is not None:
        bounds = []
        n_within = 0
        for g in ("CN", "US"):
            mu_r = claims[(claims["test"] == "spearman") & (claims["quantity"] == "rho_mean") & (claims["subject"] == g)]
            sd_r = claims[(claims["test"] == "spearman") & (claims["quantity"] == "rho_sd") & (claims["subject"] == g)]
            if mu_r.empty or sd_r.empty:
                continue
            k = d.n_cn if g == "CN" else d.n_us
            P = k * (k - 1) // 2
            mu, sd = claim_number(mu_r.iloc[0]), claim_number(sd_r.iloc[0])
            # a negative coefficient lies more than mu below the mean: k_neg mu^2 < (P - 1) sd^2
            k_neg = math.floor((P - 1) * sd ** 2 / mu ** 2)
            bounds.append(f"{g}: at most {k_neg} of {P} within-group pairs negative")
            n_within += P - k_neg
        total = d.n_models * (d.n_models - 1) // 2
        out.append(make_row(c, 2, f">= {n_within} of {total} positive", "not_checkable",
                            f"From the printed within-group means and SDs ({'; '.join(bounds)}: (number negative) mean^2 < (P - 1) SD^2), at least "
                            f"{n_within} of the {total} pairs are positive; the {d.n_cn * d.n_us} cross-group pairs are not summarised in the paper, "
                            "so 'predominantly positive' cannot be confirmed or refuted from the text (level 3 counts it on a data set)."))
    for cid in ("heatmap_consensus_low", "heatmap_disagreement_high"):
        c = _get(claims, cid)
        if c is not None:
            out.append(make_row(c, 2, "", "not_checkable",
                                "A reading of the heat map with no number printed; level 3 checks it on a data set as the listed terms "
                                "being among the 5 terms with the smallest (consensus) or largest (disagreement) SD of model mean ranks."))
    return out


def _overall_sets(claims) -> list[dict]:
    """The overall Top-5 (Bottom-5) against both groups' sets: a term in both groups' Top-5 has a
    lower mean rank in each group than any term in neither, hence a lower pooled mean (a weighted
    average of the two). So if a term in neither group's Top-5 is in the overall Top-5, every term
    in both groups' Top-5 is too: |both| + |neither listed| <= 5."""
    out = []
    for end in ("top5", "bottom5"):
        c = _get(claims, f"overall_{end}")
        cn = claims[(claims["quantity"] == "terms") & (claims["subject"] == f"CN|{end}")]
        us = claims[(claims["quantity"] == "terms") & (claims["subject"] == f"US|{end}")]
        if c is None or cn.empty or us.empty:
            continue
        overall = set(c["reported"].split(";"))
        a, b = cn.iloc[0], us.iloc[0]
        if a["relation"] != "=" or b["relation"] != "=":
            same = overall == set(a["reported"].split(";")) == set(b["reported"].split(";"))
            out.append(make_row(c, 2, "", "consistent" if same else "not_checkable",
                                "The groups' sets are printed as 'nearly identical' (all but one term), so the pooled set is not determined; "
                                + ("the overall set printed is the same five terms, which is possible." if same else "no proof either way.")))
            continue
        sa, sb = set(a["reported"].split(";")), set(b["reported"].split(";"))
        both, neither = sa & sb, sorted(overall - sa - sb)
        k = len(overall)
        ok = not neither or len(both) + len(neither) <= k and both <= overall
        side = "lowest" if end == "top5" else "highest"
        note = (f"{', '.join(sorted(both))} are in both groups' {end[:-1].title()}-5, so in each group, and hence pooled, their mean ranks are "
                f"{side[:-3]}er than those of any term in neither group's set")
        if neither:
            note += (f"; the overall set lists {len(neither)} such term(s) ({', '.join(neither)}), which requires all {len(both)} shared terms in it "
                     f"too: {len(both)} + {len(neither)} {'<=' if ok else '>'} {k}.")
        else:
            note += "; every term of the overall set is in a group's set, as required."
        out.append(make_row(c, 2, ", ".join(sorted(both)), _ok(ok),
                            note + ("" if ok else " The Figure 1 text and the Figure 4 text cannot both be right for any data set.")))
    return out
