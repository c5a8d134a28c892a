#' Pairwise similarity of models' value priorities (the paper's Figure 5)
#'
#' Spearman's rho and Kendall's tau-b (`stats::cor`, which gives tau-b when there are
#' ties) between every pair of models' 25 term means.
#'
#' @param rank_table a rank table.
#' @return `correlation_pairs()`: `model1, model2, country1, country2, pair_group,
#'   spearman, kendall` (pair_group: the country when both models share it, else
#'   `between`). `correlations()`: per group (each country, and `all`) and method, the
#'   number of pairs, mean, SD and 95% CI of the pairwise coefficients: percentile
#'   bootstrap over pairs (`ci_low`, `ci_high`; `nboot` resamples, seeded) and the
#'   t interval (`ci_low_t`, `ci_high_t`).
#' @param nboot bootstrap resamples for the CI.
#' @param seed seed of the bootstrap.
#' @examples
#' correlations(paper2026_reconstruction)
#' @export
correlation_pairs <- function(rank_table) {
  tm <- model_term_means(rank_table)
  models <- unique(tm$model)
  inst <- pv_instrument()
  M <- matrix(tm$mean_rank[order(match(tm$model, models), match(tm$term, inst$term))],
              nrow = length(inst$term), dimnames = list(inst$term, models))
  rho <- stats::cor(M, method = "spearman")
  tau <- stats::cor(M, method = "kendall")
  country <- tm$country[match(models, tm$model)]
  ij <- which(upper.tri(rho), arr.ind = TRUE)
  ij <- ij[order(ij[, 1], ij[, 2]), , drop = FALSE]
  data.frame(model1 = models[ij[, 1]], model2 = models[ij[, 2]],
             country1 = country[ij[, 1]], country2 = country[ij[, 2]],
             pair_group = ifelse(country[ij[, 1]] == country[ij[, 2]], country[ij[, 1]], "between"),
             spearman = rho[ij], kendall = tau[ij], stringsAsFactors = FALSE)
}

#' @rdname correlation_pairs
#' @export
correlations <- function(rank_table, nboot = 10000, seed = 2026) {
  pairs <- correlation_pairs(rank_table)
  groups <- c(sort(unique(c(pairs$country1, pairs$country2))), "all")
  rows <- list()
  for (g in groups) {
    sel <- if (g == "all") rep(TRUE, nrow(pairs)) else pairs$pair_group == g
    X <- cbind(spearman = pairs$spearman[sel], kendall = pairs$kendall[sel])
    k <- nrow(X)
    # both methods are resampled with the same pairs (one seed), so draw them once
    boots <- if (k >= 2) .pv_boot_means(X, nboot, seed) else NULL
    for (method in c("spearman", "kendall")) {
      x <- X[, method]
      ci <- c(NA_real_, NA_real_); ci_t <- c(NA_real_, NA_real_)
      if (k >= 2) {
        ci <- unname(stats::quantile(boots[, method], c(0.025, 0.975)))
        ci_t <- mean(x) + c(-1, 1) * stats::qt(0.975, k - 1) * stats::sd(x) / sqrt(k)
      }
      rows[[length(rows) + 1]] <- data.frame(
        group = g, method = method, n_pairs = k, mean = if (k) mean(x) else NA_real_,
        sd = if (k >= 2) stats::sd(x) else NA_real_, ci_low = ci[1], ci_high = ci[2],
        ci_low_t = ci_t[1], ci_high_t = ci_t[2], stringsAsFactors = FALSE)
    }
  }
  do.call(rbind, rows)
}

# Bootstrap means of each column of X: nboot resamples of its rows with replacement, the
# same rows for every column. The draws come in the order of one
# sample.int(k, k * nboot, replace = TRUE) call filling an nboot x k matrix column by
# column, but are made a block of columns at a time, so that memory stays about 16 MB
# however many pairs there are (one call would hold nboot x k values: 25 GB at 500 models).
.pv_boot_means <- function(X, nboot, seed) {
  k <- nrow(X)
  set.seed(seed)
  cols <- max(1L, floor(1e6 / nboot))
  out <- matrix(0, nboot, ncol(X), dimnames = list(NULL, colnames(X)))
  for (first in seq(1L, k, by = cols)) {
    m <- min(cols, k - first + 1L)
    idx <- sample.int(k, m * nboot, replace = TRUE)
    for (j in seq_len(ncol(X))) out[, j] <- out[, j] + rowSums(matrix(X[idx, j], nrow = nboot))
  }
  out / k
}
