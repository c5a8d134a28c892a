"""Reconstruct a rank data set consistent with the seed paper's reported numbers (level 3).

    python data-raw/reconstruct_paper.py [--seed 2026] [--iterations N] [--claims PATH]

The authors' raw rankings (Ma, Tong, Wang & Peng 2026) are not published. This script
searches, by seeded simulated annealing, for rankings of the paper's exact shape -- the 20
models of Table A-1 with their countries, 3 replicates each, complete rankings of the 25
terms, all read from the claims file's design rows -- whose analyses reproduce the reported
numbers of the claims file at their printed precision. After the annealing chains, a seeded polish stage anneals
the kept rankings again with the weights of the claims still missed raised (POLISH_* below) and
keeps the result only when it reproduces more claims; a second polish (stage 4, POLISH2_*; only with --heatmap-polish, as it is not kept with these
settings) does the same with the heat map's two claims, which stages 1-3 leave out of their objective. Claims that no complete-ranking data set can produce (or that the data alone do
not determine) are excluded from the objective, with the reason.

Outputs (the same bytes for the same seed and iterations):
  data-raw/paper2026_reconstruction.csv      tidy rank table (model, country, language,
                                             replicate, term, rank, dimension);
                                             language = "unspecified": the paper ran Chinese
                                             and English prompts but does not say which
                                             language each of its 3 replicates used
  data-raw/paper2026_reconstruction_fit.csv  per claim: reported, reconstruction, within
                                             rounding, feasible, reason
  data/paper2026_reconstruction.rda          the same table for the R package (via Rscript,
                                             save(compress = "xz"))

The data set is RECONSTRUCTED FROM PUBLISHED SUMMARY STATISTICS, NOT THE AUTHORS' RAW DATA.

Needs the reconstruction tool, an extra of pyvalues: pip install -e '.[reconstruct]' (numba).
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _rda import write_rda  # noqa: E402  (data-raw/_rda.py: this folder is the script's own on sys.path)

try:
    import pyvalues_reconstruct as rc  # noqa: E402
    rc.load_kernels()  # numba, checked before the long run
except ImportError as e:
    sys.exit(f"error: {e}")

DEFAULT_SEED = 2026
DEFAULT_ITERATIONS = 4_000_000
DEFAULT_CHAINS = 2
# Stage 3 (polish): a second annealing from the kept chain's rankings, seeded, with the weights of
# the claims stage 2 leaves unreproduced (and the US correlations it would trade for them) raised;
# kept only when it reproduces more claims within rounding.
POLISH_SEED = 7
POLISH_ITERATIONS = 3_000_000
POLISH_T = (0.3, 0.001)
POLISH_BOOST = (3.0, 6.0)  # numeric targets, set targets
POLISH_CLAIMS = ("mean_sd_protective", "mean_sd_personal", "disp_posthoc_social_epistemic", "top5_cn", "top5_us",
                 "archetype_social_ethical_terms", "archetype_balanced_general_terms", "archetype_warm_caring_terms",
                 "personal_mwu_p", "spearman_cn_mean", "spearman_cn_sd", "kendall_tau_cn_mean", "spearman_us_sd",
                 "term_tests_all_q", "spearman_us_mean", "kendall_tau_us_mean")
# Stage 4 (heat map): the two heat-map claims (the terms with the smallest and largest SD of the
# models' mean ranks) became targets after stages 1-3 were tuned; those stages run without them,
# so they give the same rankings as before, and a polish from there with the heat-map targets
# boosted adds them -- kept only when it reproduces more claims within rounding, the heat-map rows
# included. With these settings it reaches the disagreement claim but loses Kendall's tau (US) and
# "all term q >= .05" (167 < 168), so it is not kept; settings tried (seeds 2, 5, 7, 21, 33; start
# temperature 0.05-0.3; 1.5-3 M steps; heat-map weight 1-4; the stage-3 claims boosted or not)
# gained nothing or reached it at the cost of 2-3 other claims.
HEATMAP_CLAIMS = ("heatmap_consensus_low", "heatmap_disagreement_high")
POLISH2_SEED = 21
POLISH2_ITERATIONS = 2_000_000
POLISH2_T = (0.3, 0.001)
POLISH2_BOOST = (3.0, 6.0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--iterations", type=int, default=DEFAULT_ITERATIONS,
                    help="annealing steps per chain (default %(default)s)")
    ap.add_argument("--chains", type=int, default=DEFAULT_CHAINS,
                    help="independent chains run in parallel, best kept (default %(default)s)")
    ap.add_argument("--polish-iterations", type=int, default=POLISH_ITERATIONS,
                    help="stage-3 annealing steps from the kept chain (0: none; default %(default)s)")
    ap.add_argument("--heatmap-polish", action="store_true",
                    help="also run stage 4 (the heat-map polish); off by default: with its settings it is not "
                         "kept (167 < 168 claims), so it changes nothing and costs 100-300 s")
    ap.add_argument("--claims", type=Path, default=ROOT / "data-raw/claims/paper2026.csv")
    ap.add_argument("--out-csv", type=Path, default=ROOT / "data-raw/paper2026_reconstruction.csv")
    ap.add_argument("--out-fit", type=Path, default=ROOT / "data-raw/paper2026_reconstruction_fit.csv")
    ap.add_argument("--out-rda", type=Path, default=ROOT / "data/paper2026_reconstruction.rda")
    ap.add_argument("--no-rda", action="store_true", help="do not write the .rda")
    args = ap.parse_args(argv)

    t_start = time.perf_counter()
    targets = rc.load_targets(args.claims)
    n_obj = sum(t.feasible and t.kind in ("num", "set", "partition") for t in targets)
    n_late = sum(t.feasible and t.claim_id in HEATMAP_CLAIMS for t in targets)
    print(f"claims: {len(targets)} rows from {args.claims.name}; {n_obj} in the objective ({n_late} from stage 4 on), "
          f"{sum(not t.feasible for t in targets)} infeasible or not determined by the data")
    t_search = time.perf_counter()
    early = rc.Targets(targets.study, [dataclasses.replace(t, feasible=False) if t.claim_id in HEATMAP_CLAIMS else t
                                       for t in targets])  # stages 1-3: without the heat-map targets
    P, penalty, _ = rc.search(early, seed=args.seed, n_iter=args.iterations, chains=args.chains)
    if args.polish_iterations > 0:
        from pyvalues_reconstruct.search import polish

        for stage, tg, seed, n_iter, temps, boosts, boosted in (
                (3, early, POLISH_SEED, args.polish_iterations, POLISH_T, POLISH_BOOST, POLISH_CLAIMS),
                (4, targets, POLISH2_SEED, POLISH2_ITERATIONS, POLISH2_T, POLISH2_BOOST, HEATMAP_CLAIMS))[
                :2 if args.heatmap_polish else 1]:
            P2, pen2 = polish(tg, P, seed, n_iter, *temps, *boosts, boosted)
            n1 = rc.summary(rc.fit_table(tg, P))["n_feasible_matched"]
            n2 = rc.summary(rc.fit_table(tg, P2))["n_feasible_matched"]
            print(f"  stage {stage} polish (seed {seed}, {n_iter} iterations): {n1} -> {n2} feasible claims "
                  f"within rounding{'' if n2 > n1 else '; not kept'}", flush=True)
            if n2 > n1:
                P, penalty = P2, pen2
    search_s = time.perf_counter() - t_search

    table = rc.ranks_to_table(P, targets.study)
    args.out_csv.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out_csv, index=False, lineterminator="\n")
    fit = rc.fit_table(targets, P)
    fit.to_csv(args.out_fit, index=False, lineterminator="\n")
    if not args.no_rda:
        write_rda(args.out_csv, args.out_rda, "paper2026_reconstruction", rc.PROVENANCE)

    s = rc.summary(fit)
    total_s = time.perf_counter() - t_start
    print(f"final penalty {penalty:.4f} (of the polish objective when the polish was kept)")
    print(f"reproduced within rounding: {s['n_feasible_matched']}/{s['n_feasible_checked']} "
          f"jointly feasible reported numbers ({100 * s['frac_feasible']:.1f}%); "
          f"excluding the design rows: {s['n_core_matched']}/{s['n_core']} "
          f"({100 * s['frac_core']:.1f}%)")
    missed = fit[(fit.feasible == "yes") & (fit.within_rounding == "no")]
    for r in missed.itertuples():
        print(f"  missed: {r.claim_id}: reported {r.reported} ({r.relation}), reconstruction {r.reconstruction}")
    print(f"search {search_s:.1f} s, total runtime {total_s:.1f} s (seed {args.seed}, "
          f"{args.chains} chains x {args.iterations} iterations, polish {args.polish_iterations})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
