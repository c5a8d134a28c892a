# Speed of the internal exact permuted Brunner-Munzel test (R/brunnermunzel.R).
# Run from the repository root: Rscript benchmarks/bm_permutation_speed.R
# Untied data are the worst case (every split is its own count vector); ties collapse splits.
source("R/brunnermunzel.R")
options(pyvalues.bm_impl = "internal")
set.seed(20240601)
cases <- list(
  "untied 10 + 10 (184,756 splits)" = list(rnorm(10), rnorm(10)),
  "untied 12 + 12 (2,704,156 splits)" = list(rnorm(12), rnorm(12)),
  "pain scores 14 + 11, tied (4,457,400 splits)" =
    list(c(1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 4, 1, 1), c(3, 3, 4, 3, 1, 2, 3, 1, 1, 5, 4)),
  "ranks 1..25, 14 + 14, tied (40,116,600 splits)" =
    list(sample(1:25, 14, replace = TRUE), sample(1:25, 14, replace = TRUE)),
  "untied 14 + 14 (40,116,600 splits, the package's limit)" = list(rnorm(14), rnorm(14))
)
for (name in names(cases)) {
  elapsed <- system.time(res <- pv_bm_permutation_test(cases[[name]][[1]], cases[[name]][[2]]))
  cat(sprintf("%-58s %7.2f s  p = %.6f\n", name, elapsed[["elapsed"]], res$p))
}
