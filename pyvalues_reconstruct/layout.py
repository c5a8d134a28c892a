"""The shape of a study and the layout of the statistics vector, computed from its sizes.

A `Study` is what the reconstruction needs to know about a paper's design: its models (with
their country group, CN or US), its terms in dimension order, the number of replicates and
of clusters. `study_from_claims` reads it from a claims file's design rows (`design_n_cn`,
`design_n_us`, `design_n_terms`, `design_n_dimensions`, `design_terms_per_dimension`,
`design_n_replicates`; data-raw/claims/README.md) and its per-model `design`/`country` rows.

`Layout` is the flat statistics vector every numba kernel fills: a named tuple of ints (sizes
and the offset of each block), passed to the kernels as one argument. For the seed paper
(20 models, 25 terms in 5 dimensions, 3 replicates) it has 353 slots.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from pyvalues.crosscheck.claims import read_claims
from pyvalues.crosscheck.design import MODEL_COUNTRY, MODEL_NAMES, canonical_model
from pyvalues.crosscheck.level2 import design_from_claims
from pyvalues.errors import ClaimsError
from pyvalues.instrument import DIMENSIONS, TERM_DIMENSION, TERM_NAMES

__all__ = ["GRP_FIELDS", "SET_SIZE", "Layout", "make_layout", "Study", "study_from_claims", "paper_study",
           "stat_names", "stat_index", "load_kernels", "PAPER_CLAIMS"]

PAPER_CLAIMS = Path(__file__).resolve().parents[1] / "data-raw" / "claims" / "paper2026.csv"

# the printed term sets (group Top-5 / Bottom-5, archetype value sets) have 5 terms
SET_SIZE = 5

# the per-dimension two-group quantities (CN first), in their order within a block
GRP_FIELDS = ("median_cn", "median_us", "mean_cn", "sd_cn", "mean_us", "sd_us", "U",
              "p_mwu", "q_mwu", "r_rb", "t", "df", "p_welch", "hedges_g")


class Layout(NamedTuple):
    """Sizes of a design and offsets (O_*) of the blocks of the statistics vector."""

    NM: int  # models
    N_CN: int
    N_US: int
    NR: int  # replicates
    NT: int  # terms
    ND: int  # dimensions; term t is in dimension t // TPD
    TPD: int  # terms per dimension
    NK: int  # clusters (cutree k)
    NPAIRS: int  # dimension pairs of the post-hoc tests
    NG: int  # quantities per dimension in the group block
    O_W: int  # Kendall's W per model (NM)
    O_FP: int  # Friedman p per model (NM)
    O_DIMMEAN: int  # mean over models of d[j, D] (ND)
    O_PRIM: int  # count of models with D as Primary (ND)
    O_SEC: int  # ... as Secondary (ND)
    O_DSD: int  # mean over models of s[j, D] (ND)
    O_DISP: int  # dispersion rm-ANOVA: F, p, pes (3)
    O_POST: int  # Bonferroni-adjusted paired t p per pair (a, b), a < b in dimension order (NPAIRS)
    O_GRP: int  # per dimension NG quantities, see GRP_FIELDS (ND * NG)
    O_MIX: int  # mixed ANOVA: F, p, pes for dimension, country:dimension, country (9)
    O_COR: int  # rho mean, sd for CN, US, all; then tau-b mean, sd for CN, US, all (12)
    O_DELTA: int  # Cliff's delta per term (NT)
    O_BMP: int  # Brunner-Munzel p per term (NT)
    O_BMQ: int  # BH q of the NT Brunner-Munzel p (NT)
    O_NSIG: int  # number of models with Friedman p < .05 (1)
    O_BMSTAT: int  # Brunner-Munzel statistic per term (NT)
    O_BMDF: int  # Brunner-Munzel df per term (NT)
    O_DISP_GG: int  # dispersion ANOVA: GG epsilon, GG p (2)
    O_DGAP: int  # smallest gap between a model's 2nd and 3rd lowest dimension sums, and 1st/2nd (1)
    O_PDIFF: int  # mean paired difference s[a] - s[b] per post-hoc pair (NPAIRS)
    O_TSD: int  # SD over models of each term's mean rank (the heat map's disagreement) (NT)
    O_TSDR: int  # rank of that SD among the terms, 1 = largest (NT)
    NSTAT: int  # length of the vector

    @property
    def mean_rank_sum(self) -> float:
        """Mean of a term's rank sum over the replicates: NR (NT + 1) / 2 (39 for the paper)."""
        return self.NR * (self.NT + 1) / 2.0

    @property
    def w_denominator(self) -> float:
        """Kendall's W = (sum_t R_t^2 - NT mean_rank_sum^2) / this: NR^2 (NT^3 - NT) / 12."""
        return self.NR * self.NR * (self.NT ** 3 - self.NT) / 12.0

    def kendall_w(self, R) -> float:
        """W of one model from its term rank sums R (length NT)."""
        return ((np.asarray(R).astype(float) ** 2).sum() - self.NT * self.mean_rank_sum ** 2) / self.w_denominator

    def pairs(self) -> list[tuple[int, int]]:
        """The dimension pairs (a, b), a < b, in the order of the post-hoc block."""
        return [(a, b) for a in range(self.ND) for b in range(a + 1, self.ND)]


def make_layout(n_cn: int, n_us: int, n_replicates: int, n_dimensions: int, terms_per_dimension: int,
                n_clusters: int = 4) -> Layout:
    """The layout of a design: block sizes in the order of `Layout`'s O_* fields."""
    nm = n_cn + n_us
    nd = n_dimensions
    nt = nd * terms_per_dimension
    npairs = nd * (nd - 1) // 2
    ng = len(GRP_FIELDS)
    blocks = [("O_W", nm), ("O_FP", nm), ("O_DIMMEAN", nd), ("O_PRIM", nd), ("O_SEC", nd), ("O_DSD", nd),
              ("O_DISP", 3), ("O_POST", npairs), ("O_GRP", nd * ng), ("O_MIX", 9), ("O_COR", 12),
              ("O_DELTA", nt), ("O_BMP", nt), ("O_BMQ", nt), ("O_NSIG", 1), ("O_BMSTAT", nt),
              ("O_BMDF", nt), ("O_DISP_GG", 2), ("O_DGAP", 1), ("O_PDIFF", npairs), ("O_TSD", nt), ("O_TSDR", nt)]
    off = {}
    at = 0
    for name, size in blocks:
        off[name] = at
        at += size
    return Layout(NM=nm, N_CN=n_cn, N_US=n_us, NR=n_replicates, NT=nt, ND=nd, TPD=terms_per_dimension,
                  NK=n_clusters, NPAIRS=npairs, NG=ng, NSTAT=at, **off)


@dataclass(frozen=True)
class Study:
    """The design a reconstruction has the shape of: models in order with their group, terms in
    dimension order (term t in dimension t // terms_per_dimension), replicates, clusters."""

    models: tuple[str, ...]
    countries: tuple[str, ...]  # "CN" or "US", one per model
    terms: tuple[str, ...]
    dimensions: tuple[str, ...]
    n_replicates: int
    n_clusters: int = 4

    def __post_init__(self):
        if len(self.countries) != len(self.models) or set(self.countries) - {"CN", "US"}:
            raise ValueError("Study: one country, CN or US, per model")
        if len(self.terms) % len(self.dimensions):
            raise ValueError(f"Study: {len(self.terms)} terms do not split evenly into "
                             f"{len(self.dimensions)} dimensions")

    @functools.cached_property
    def layout(self) -> Layout:
        return make_layout(self.countries.count("CN"), self.countries.count("US"), self.n_replicates,
                           len(self.dimensions), len(self.terms) // len(self.dimensions), self.n_clusters)

    @functools.cached_property
    def is_cn(self) -> np.ndarray:
        return np.array([c == "CN" for c in self.countries], dtype=np.bool_)

    @functools.cached_property
    def wcdf(self) -> np.ndarray:
        """P(U <= u), u = 0..n_cn n_us, of the exact Mann-Whitney null distribution."""
        return wilcox_cdf(int(self.is_cn.sum()), int((~self.is_cn).sum()))

    @property
    def country(self) -> dict[str, str]:
        return dict(zip(self.models, self.countries))

    def dimension_of(self, term: str) -> str:
        return self.dimensions[self.terms.index(term) // self.layout.TPD]

    def model(self, name: str) -> str:
        """The study's spelling of a model name (the paper's aliases are understood)."""
        name = name.strip()
        if name in self.models:
            return name
        try:
            canon = canonical_model(name)
        except KeyError:
            canon = None
        if canon in self.models:
            return canon
        raise KeyError(f"unknown model name {name!r}; the study's models are {list(self.models)}")


def wilcox_cdf(n1: int, n2: int) -> np.ndarray:
    """P(U <= u), u = 0..n1*n2, of the Mann-Whitney U null distribution (R's pwilcox)."""
    # number of subsets of size n1 of {1..n1+n2} with a given rank sum, by dynamic programming
    N = n1 + n2
    maxu = n1 * n2
    ways = np.zeros((n1 + 1, maxu + 1), dtype=object)
    ways[0, 0] = 1
    for i in range(1, N + 1):
        # adding element i: U contribution relative to position
        for k in range(min(i, n1), 0, -1):
            shift = i - k  # number of y's below when the k-th x is the i-th smallest
            if shift > n2:
                continue
            ways[k, shift:] = ways[k, shift:] + ways[k - 1, : maxu + 1 - shift]
    counts = np.array([int(x) for x in ways[n1]], dtype=float)
    return np.cumsum(counts) / counts.sum()


def load_kernels():
    """The numba kernels (`pyvalues_reconstruct.kernels`), imported on first use, so that the
    targets and layout can be read without numba."""
    try:
        from . import kernels as mod
    except ImportError as e:
        if "numba" not in str(e):
            raise
        raise ImportError(
            "the reconstruction's search and evaluator need numba, which pyvalues installs only with "
            "the 'reconstruct' extra: pip install -e '.[reconstruct]' (from the repository's top)"
        ) from e
    return mod


def study_from_claims(claims_path=PAPER_CLAIMS) -> Study:
    """The study described by a claims file's design rows.

    Sizes come from the design rows every claims file holds. The models, in order, are the
    rows with test `design` and quantity `country` (subject = model, reported = CN or US);
    without them the paper's 20 models are used, which requires the paper's group sizes.
    The terms and dimensions are those of `pyvalues.instrument` when the sizes are the
    instrument's; otherwise they are named `term 1..` and `dimension 1..`. The number of
    clusters is the `count`/`clusters` row when present, else the number of distinct clusters
    of the `membership` rows, else 4.
    """
    claims = read_claims(claims_path)
    d = design_from_claims(claims)
    where = f"claims file {claims_path}"
    if d.n_terms != d.n_dimensions * d.terms_per_dimension:
        raise ClaimsError(f"{where}: design_n_terms = {d.n_terms} is not design_n_dimensions x "
                          f"design_terms_per_dimension = {d.n_dimensions} x {d.terms_per_dimension}")
    rows = claims[(claims["test"] == "design") & (claims["quantity"] == "country")]
    if len(rows):
        models, countries = [], []
        for _, r in rows.iterrows():
            name = r["subject"]
            try:
                name = canonical_model(name)
            except KeyError:
                pass
            if name not in models:
                models.append(name)
                countries.append(r["reported"])
    else:
        models, countries = list(MODEL_NAMES), [MODEL_COUNTRY[m] for m in MODEL_NAMES]
    n_cn, n_us = countries.count("CN"), countries.count("US")
    if (n_cn, n_us) != (d.n_cn, d.n_us) or len(countries) != n_cn + n_us:
        src = "its design/country rows" if len(rows) else "the paper's Table A-1 (no design/country rows)"
        raise ClaimsError(f"{where}: design_n_cn = {d.n_cn}, design_n_us = {d.n_us}, but {src} give "
                          f"{n_cn} CN and {n_us} US models (and {len(countries) - n_cn - n_us} others); "
                          "add one row per model with test 'design', quantity 'country'")
    if (d.n_terms, d.n_dimensions) == (len(TERM_NAMES), len(DIMENSIONS)):
        dims = tuple(DIMENSIONS)
        terms = tuple(t for D in dims for t in TERM_NAMES if TERM_DIMENSION[t] == D)
    else:
        dims = tuple(f"dimension {i + 1}" for i in range(d.n_dimensions))
        terms = tuple(f"term {i + 1}" for i in range(d.n_terms))
    k = claims[(claims["test"] == "count") & (claims["subject"] == "clusters")]
    if len(k):
        n_clusters = int(float(k.iloc[0]["reported"]))
    else:
        member = claims[claims["test"] == "membership"]["subject"]
        n_clusters = member.nunique() if len(member) else 4
    return Study(tuple(models), tuple(countries), terms, dims, d.n_replicates, n_clusters)


@functools.lru_cache(maxsize=1)
def paper_study() -> Study:
    """The seed paper's study, from data-raw/claims/paper2026.csv."""
    return study_from_claims(PAPER_CLAIMS)


@functools.lru_cache(maxsize=8)
def stat_index(study: Study) -> dict[str, int]:
    """Slot of each named statistic."""
    return {n: i for i, n in enumerate(stat_names(study))}


def stat_names(study: Study | None = None) -> list[str]:
    """Name of every slot of the statistics vector (`kind|subject|quantity`)."""
    study = study or paper_study()
    L = study.layout
    names = [""] * L.NSTAT
    for j, m in enumerate(study.models):
        names[L.O_W + j] = f"W|{m}"
        names[L.O_FP + j] = f"friedman_p|{m}"
    for D, dim in enumerate(study.dimensions):
        names[L.O_DIMMEAN + D] = f"dim_mean|{dim}"
        names[L.O_PRIM + D] = f"n_primary|{dim}"
        names[L.O_SEC + D] = f"n_secondary|{dim}"
        names[L.O_DSD + D] = f"mean_sd|{dim}"
        for f, fld in enumerate(GRP_FIELDS):
            names[L.O_GRP + L.NG * D + f] = f"grp|{dim}|{fld}"
    names[L.O_DISP : L.O_DISP + 3] = ["disp|F", "disp|p", "disp|pes"]
    names[L.O_DISP_GG : L.O_DISP_GG + 2] = ["disp|gg_eps", "disp|p_gg"]
    for k, (a, b) in enumerate(L.pairs()):
        names[L.O_POST + k] = f"posthoc|{study.dimensions[a]}|{study.dimensions[b]}"
        names[L.O_PDIFF + k] = f"pdiff|{study.dimensions[a]}|{study.dimensions[b]}"
    for e, eff in enumerate(("dimension", "country:dimension", "country")):
        for f, q in enumerate(("F", "p", "pes")):
            names[L.O_MIX + 3 * e + f] = f"mixed|{eff}|{q}"
    for w, meth in enumerate(("spearman", "kendall")):
        for g, grp in enumerate(("CN", "US", "all")):
            names[L.O_COR + 6 * w + 2 * g] = f"cor|{meth}|{grp}|mean"
            names[L.O_COR + 6 * w + 2 * g + 1] = f"cor|{meth}|{grp}|sd"
    for t, term in enumerate(study.terms):
        names[L.O_DELTA + t] = f"delta|{term}"
        names[L.O_BMP + t] = f"bm_p|{term}"
        names[L.O_BMQ + t] = f"bm_q|{term}"
        names[L.O_BMSTAT + t] = f"bm_stat|{term}"
        names[L.O_BMDF + t] = f"bm_df|{term}"
        names[L.O_TSD + t] = f"term_sd|{term}"
        names[L.O_TSDR + t] = f"term_sd_rank|{term}"
    names[L.O_NSIG] = "n_sig_W"
    names[L.O_DGAP] = "primary_gap15"
    assert all(names), [i for i, n in enumerate(names) if not n]
    return names
