"""The reconstruction as data: rank tables, the evaluator, and the per-claim fit table."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .layout import SET_SIZE, Study, load_kernels as _kernels, paper_study, stat_index
from .targets import Target, Targets, _excepted_model, _interval, _sig_marker

__all__ = ["PROVENANCE", "LANGUAGE", "ranks_to_table", "ranks_from_table", "evaluate_ranks", "fit_table",
           "summary"]

PROVENANCE = (
    "reconstructed from the published summary statistics of Ma, Tong, Wang & Peng (2026) by "
    "data-raw/reconstruct_paper.py; NOT the authors' raw data"
)
# The paper ran Chinese- and English-language prompts but does not say which language each of
# its 3 replicates per model used, so the reconstruction cannot say either.
LANGUAGE = "unspecified"


def _checked(P: np.ndarray, study: Study) -> np.ndarray:
    L = study.layout
    P = np.asarray(P)
    if P.shape != (L.NM, L.NR, L.NT):
        raise ValueError(f"rankings of shape {P.shape} do not fit the study's design: {L.NM} models x "
                         f"{L.NR} replicates x {L.NT} terms; pass the study the rankings were made for")
    return P


def ranks_to_table(P: np.ndarray, study: Study | None = None) -> pd.DataFrame:
    """Tidy rank table (model, country, language, replicate, term, rank, dimension)."""
    study = study or paper_study()
    P = _checked(P, study)
    rows = []
    for j, m in enumerate(study.models):
        for r in range(study.layout.NR):
            for t, term in enumerate(study.terms):
                rows.append((m, study.countries[j], LANGUAGE, r + 1, term, int(P[j, r, t]),
                             study.dimension_of(term)))
    df = pd.DataFrame(rows, columns=["model", "country", "language", "replicate", "term",
                                     "rank", "dimension"])
    df.attrs["provenance"] = PROVENANCE
    return df


def ranks_from_table(table: pd.DataFrame, study: Study | None = None) -> np.ndarray:
    """P[j, r, t] from a tidy rank table of the study's shape (models in the study's order)."""
    study = study or paper_study()
    L = study.layout
    P = np.zeros((L.NM, L.NR, L.NT), dtype=np.int64)
    mi = {m: j for j, m in enumerate(study.models)}
    ti = {t: i for i, t in enumerate(study.terms)}
    reps = {}
    for row in table.itertuples(index=False):
        j = mi[study.model(row.model)]
        key = (j, row.language, row.replicate)
        r = reps.setdefault(j, {}).setdefault(key, len(reps.get(j, {})))
        P[j, r, ti[row.term]] = int(row.rank)
    for j in range(L.NM):
        for r in range(L.NR):
            if sorted(P[j, r]) != list(range(1, L.NT + 1)):
                raise ValueError(f"model {study.models[j]} replicate {r + 1} is not a complete ranking")
    return P


def evaluate_ranks(P: np.ndarray, study: Study | None = None) -> dict:
    """Every statistic of the evaluator, by name, plus clusters, group and archetype sets."""
    study = study or paper_study()
    L = study.layout
    names = study.terms
    P = _checked(P, study)
    st, labels, R, rho, tau, pear = _kernels().stats_of(L, np.ascontiguousarray(P, dtype=np.int64),
                                                        study.is_cn, study.wcdf)
    out = {n: float(st[i]) for n, i in stat_index(study).items()}
    out["cluster_labels"] = {m: int(labels[j]) for j, m in enumerate(study.models)}
    f_nr = float(L.NR)
    M = R / f_nr
    out["term_means"] = M
    for grp, mask in (("CN", study.is_cn), ("US", ~study.is_cn), ("all", np.ones(L.NM, bool))):
        gm = R[mask].sum(axis=0) / (f_nr * mask.sum())
        order = np.argsort(gm, kind="mergesort")
        out[f"top5|{grp}"] = [names[t] for t in order[:SET_SIZE]]
        out[f"bottom5|{grp}"] = [names[t] for t in order[::-1][:SET_SIZE]]
        out[f"group_means|{grp}"] = gm
    clusters = {}
    for c in sorted(set(labels.tolist())):
        members = [study.models[j] for j in range(L.NM) if labels[j] == c]
        cm = R[labels == c].sum(axis=0) / (f_nr * len(members))
        order = np.argsort(cm, kind="mergesort")
        clusters[c] = {"members": members, "terms": [names[t] for t in order[:SET_SIZE]]}
    out["clusters"] = clusters
    out["rho"] = rho
    out["tau"] = tau
    return out


def _fmt(x):
    if isinstance(x, (list, tuple)):
        return ";".join(map(str, x))
    if isinstance(x, float):
        return f"{x:.6g}"
    return str(x)


def fit_table(targets: Targets, P: np.ndarray) -> pd.DataFrame:
    """One row per claim: reported, the reconstruction's value, within rounding, feasibility."""
    study = targets.study
    ev = evaluate_ranks(P, study)
    rows = []
    clusters = ev["clusters"]
    # map each partition target to the actual cluster holding its first member
    for t in targets:
        value, ok = None, None
        if t.kind == "num" or (t.kind == "untargeted"):
            vals, oks = [], []
            for stat, lo, hi, li, hi_i in t.subs:
                v = ev[stat]
                inside = (v > lo or (li and v == lo)) and (v < hi or (hi_i and v == hi))
                vals.append(v)
                oks.append(bool(inside))
            if t.quantity == "term_list":
                # the heat map's end: the SET_SIZE terms with the largest (or smallest) SD, in order
                by_rank = sorted(study.terms, key=lambda x: ev[f"term_sd_rank|{x}"])
                value = ";".join(by_rank[:SET_SIZE] if t.subject.endswith("|disagreement")
                                 else by_rank[::-1][:SET_SIZE])
            elif t.subs and (len(t.subs) == 1 or t.subs[1][0].startswith("pdiff|")):
                value = vals[0]
            elif t.subs:
                # a bound over several statistics: show the extreme one
                value = min(vals) if t.relation in (">", ">=") else max(vals)
            ok = all(oks) if oks else None
            if t.kind == "untargeted":
                value = _untargeted_value(t, ev, study)
                ok = None if value is None else _within(t, value)
        elif t.kind == "set":
            kind, who, terms, allow = t.set_spec
            if kind <= 1:
                actual = ev[f"{'top5' if kind == 0 else 'bottom5'}|{'CN' if who == 0 else 'US'}"]
            else:
                tgt_members = next((x.members for x in targets if x.kind == "partition"
                                    and int(x.subject.split()[1]) - 1 == who), [])
                # the reconstruction's cluster sharing most members with the paper's (as
                # pyvalues.crosscheck.level3 matches them), and its archetype
                tm = set(tgt_members)
                best = max(sorted(clusters), key=lambda c: (len(set(clusters[c]["members"]) & tm),
                                                            -len(set(clusters[c]["members"]) ^ tm)))
                actual = clusters[best]["terms"]
            value = actual
            ok = len(set(terms) - set(actual)) <= allow
        elif t.kind in ("partition",) or (t.kind == "derived" and t.members):
            holder = next(c for c in clusters.values() if t.members[0] in c["members"])
            value = holder["members"]
            ok = set(t.members) == set(value) if t.relation == "=" else set(t.members) <= set(value)
        elif t.kind == "design":
            value, ok = _design_value(t, P, ev, study)
        elif t.kind == "derived":
            value, ok = _derived_value(t, ev, study)
        rows.append({
            "claim_id": t.claim_id,
            "test": t.test,
            "quantity": t.quantity,
            "subject": t.subject,
            "statistic": t.statistic,
            "reported": t.reported,
            "relation": t.relation,
            "reconstruction": _fmt(value) if value is not None else "",
            "within_rounding": "" if ok is None else ("yes" if ok else "no"),
            "feasible": "yes" if t.feasible else "no",
            "targeted": "yes" if (t.feasible and t.kind in ("num", "set", "partition")) else "no",
            "kind": t.kind,
            "reason": t.reason,
            "source": t.source,
        })
    return pd.DataFrame(rows)


def _within(t: Target, v: float) -> bool:
    lo, hi, li, hi_i = _interval(float(t.reported), t.relation, t.decimals)
    return bool((v > lo or (li and v == lo)) and (v < hi or (hi_i and v == hi)))


def _untargeted_value(t: Target, ev: dict, study: Study):
    if t.quantity in ("ci_low", "ci_high"):
        grp = t.subject
        mask = study.is_cn if grp == "CN" else ~study.is_cn
        idx = np.where(mask)[0]
        vals = np.array([ev["rho"][a, b] for i, a in enumerate(idx) for b in idx[i + 1:]])
        rng = np.random.default_rng(2026)
        boot = rng.choice(vals, size=(2000, len(vals)), replace=True).mean(axis=1)
        lo, hi = np.quantile(boot, [0.025, 0.975])
        return float(lo if t.quantity == "ci_low" else hi)
    return None


def _design_value(t: Target, P: np.ndarray, ev: dict, study: Study):
    """A design fact as the reconstruction has it (counted from P and its clusters)."""
    n_cn = int(study.is_cn.sum())
    facts = {"models": P.shape[0], "CN": n_cn, "US": P.shape[0] - n_cn, "terms": P.shape[2],
             "dimensions": study.layout.ND, "terms per dimension": study.layout.TPD,
             "replicates": P.shape[1], "clusters": len(ev["clusters"])}
    if t.quantity == "country":
        v = study.country.get(t.subject)
        return v, v == t.reported
    v = facts.get(t.subject)
    return v, (v is not None and float(v) == float(t.reported))


def _derived_value(t: Target, ev: dict, study: Study):
    MODEL_NAMES, MODEL_COUNTRY = study.models, study.country
    W = {m: ev[f"W|{m}"] for m in MODEL_NAMES}
    if t.test == "count" and t.quantity == "percent":
        dims = t.subject.split("|")[0].split("+")
        which = t.subject.split("|")[1].lower()
        v = 100.0 * sum(ev[f"n_{which}|{d}"] for d in dims) / study.layout.NM
        return v, _within(t, v)
    if t.test == "kendall_w" and t.quantity == "rank":
        order = sorted(MODEL_NAMES, key=lambda m: -W[m])
        v = order.index(t.subject) + 1
        return v, v == int(float(t.reported))
    if t.test == "kendall_w" and t.quantity == "sig":
        p = ev[f"friedman_p|{t.subject}"]
        v = _sig_marker(p)
        return v, t.reported in v.split("|")
    if t.test == "count" and t.subject == "models with p < .05":
        v = int(ev["n_sig_W"])
        return v, v == int(float(t.reported))
    if t.test == "kendall_w" and t.quantity == "W_min":
        v = min(W.values())
        return v, _within(t, v)
    if t.test == "kendall_w" and t.quantity == "W_max":
        v = max(W.values())
        return v, _within(t, v)
    if t.test == "kendall_w" and t.quantity == "W_mean":
        us = np.mean([W[m] for m in MODEL_NAMES if MODEL_COUNTRY[m] == "US"])
        cn = np.mean([W[m] for m in MODEL_NAMES if MODEL_COUNTRY[m] == "CN"])
        return f"US {us:.4f} vs CN {cn:.4f}", bool(us > cn)
    if t.test == "kendall_w" and t.subject in MODEL_COUNTRY:
        v = W[t.subject] if t.quantity == "W" else ev[f"friedman_p|{t.subject}"]
        return v, _within(t, v)
    if t.test == "kendall_w" and t.subject.startswith("US except"):
        excepted = _excepted_model(t.subject, study)
        v = min(W[m] for m in MODEL_NAMES if MODEL_COUNTRY[m] == "US" and m != excepted)
        return v, _within(t, v)
    return None, None


def summary(fit: pd.DataFrame) -> dict:
    """Fractions reproduced within rounding (feasible claims, with and without design rows)."""
    feas = fit[(fit.feasible == "yes") & (fit.within_rounding != "")]
    core = feas[feas.kind != "design"]
    return {
        "n_claims": len(fit),
        "n_infeasible": int((fit.feasible == "no").sum()),
        "n_feasible_checked": len(feas),
        "n_feasible_matched": int((feas.within_rounding == "yes").sum()),
        "frac_feasible": float((feas.within_rounding == "yes").mean()),
        "n_core": len(core),
        "n_core_matched": int((core.within_rounding == "yes").sum()),
        "frac_core": float((core.within_rounding == "yes").mean()),
    }