#' Pairwise similarity of models' value priorities (the paper's Figure 5)
#'
#' Spearman's rho and Kendall's tau-b (`stats::cor`, which gives tau-b when there are
#' ties) between every pair of models' 25 term means.
#'
#' `pv_correlations()` summarises, per group (each country, and `all`) and method, the
#' pairwise coefficients among the group's models: number of pairs, mean, SD and three
#' 95% intervals of the mean:
#'
#' * `ci_low, ci_high` (the default, `ci_method` says so): percentile bootstrap over
#'   MODELS, the independent unit. Each of `nboot` draws resamples the group's models with
#'   replacement and recomputes the mean over all pairs of drawn models; a pair of a model
#'   with its own copy (a model drawn twice) is left out, since its coefficient is 1 by
#'   construction, while pairs of two copies of one model with a third model count once
#'   per copy. A draw with a single distinct model has no pair and is dropped (the number
#'   dropped is in `ci_method`; with 3 or more models it is negligible).
#' * `ci_low_pairs, ci_high_pairs`: the naive percentile bootstrap over PAIRS as if they
#'   were independent (the previous default; pairs share models, so it is too narrow):
#'   each of `nboot` draws resamples the group's pairs with replacement (the same pairs
#'   for both methods) and takes their mean. Compiled, a few nanoseconds per drawn pair,
#'   so it stays seconds at 500 models (124,750 pairs) and bounded in memory at 2,000.
#' * `ci_low_t, ci_high_t`: the t interval over pairs (equally naive).
#'
#' Draws come from seeded blocks of L'Ecuyer-CMRG streams (see [pv_cohesion_test()]; the pair
#' bootstrap's blocks seed a xoshiro256** generator from theirs), so the intervals depend
#' only on `seed` and `nboot`.
#'
#' @param rank_table a rank table.
#' @param nboot bootstrap resamples for the CIs.
#' @param seed seed of the bootstraps.
#' @param cluster `NULL` (serial), a number of local workers, host names or a cluster from
#'   the `parallel` package (see [pv_analyse()]): the bootstrap draws run on its workers. Each
#'   block of draws has its own random stream, so the result is identical to the serial one.
#' @examples
#' pv_correlations(paper2026_reconstruction, nboot = 2000)
#' @template return-pv_correlation_pairs
#' @export
pv_correlation_pairs <- function(rank_table) .pv_pairs_of(.pv_cor_matrices(rank_table))

# The pairs table of .pv_cor_matrices' result (so pv_correlations computes the matrices once).
.pv_pairs_of <- function(cm) {
  models <- cm$models
  country <- cm$country
  ij <- which(upper.tri(cm$spearman), arr.ind = TRUE)
  ij <- ij[order(ij[, 1], ij[, 2]), , drop = FALSE]
  data.frame(model1 = models[ij[, 1]], model2 = models[ij[, 2]],
             country1 = country[ij[, 1]], country2 = country[ij[, 2]],
             pair_group = ifelse(country[ij[, 1]] == country[ij[, 2]], country[ij[, 1]], "between"),
             spearman = cm$spearman[ij], kendall = cm$kendall[ij], stringsAsFactors = FALSE)
}

# Spearman and Kendall matrices between models (columns of the 25 x models term means).
.pv_cor_matrices <- function(rank_table) {
  tm <- pv_model_term_means(rank_table)
  models <- unique(tm$model)
  inst <- pv_instrument()
  M <- matrix(tm$mean_rank[order(match(tm$model, models), match(tm$term, inst$term))],
              nrow = length(inst$term), dimnames = list(inst$term, models))
  list(models = models, country = tm$country[match(models, tm$model)],
       spearman = stats::cor(M, method = "spearman"), kendall = .pv_kendall(M))
}

# cor(M, method = "kendall"), identical, as one matrix product. R's C code (cov.c) sums
# sign(x_k - x_l) * sign(y_k - y_l) over all ordered pairs of rows k, l for each pair of
# columns -- O(rows^2) per pair of columns, 15 s at 2,000 models -- and divides by the
# product of the square roots of the columns' own sums. Those sums are small integers,
# exact in doubles in any order, so they are here crossprod() of the rows-pairs x columns
# sign matrix, times 2 (both orders of each pair), followed by R's same division and cap.
# Columns with NAs or without variation (NA coefficients, a warning) go to cor() itself.
.pv_kendall <- function(M) {
  n <- nrow(M)
  if (anyNA(M) || n < 2) return(stats::cor(M, method = "kendall"))
  ij <- which(upper.tri(diag(n)), arr.ind = TRUE)
  S <- sign(M[ij[, 1], , drop = FALSE] - M[ij[, 2], , drop = FALSE])
  C <- 2 * crossprod(S)
  s <- sqrt(diag(C))
  if (any(s == 0)) return(stats::cor(M, method = "kendall"))
  r <- C / outer(s, s)
  r[r > 1] <- 1
  diag(r) <- 1
  dimnames(r) <- if (!is.null(colnames(M))) list(colnames(M), colnames(M))
  r
}

#' @rdname pv_correlation_pairs
#' @template return-pv_correlations
#' @export
pv_correlations <- function(rank_table, nboot = 10000, seed = 2026, cluster = NULL) {
  cm <- .pv_cor_matrices(rank_table)
  pairs <- .pv_pairs_of(cm)
  groups <- c(sort(unique(cm$country)), "all")
  spec <- .pv_cluster(cluster)
  if (spec$own) on.exit(parallel::stopCluster(spec$cl), add = TRUE)
  Xs <- lapply(groups, function(g) {
    sel <- if (g == "all") rep(TRUE, nrow(pairs)) else pairs$pair_group == g
    cbind(spearman = pairs$spearman[sel], kendall = pairs$kendall[sel])
  })
  # the pair bootstrap: both methods resampled with the same pairs, in blocks of draws on
  # their own streams (so workers give the serial result)
  native <- .pv_native()
  if (is.null(native)) {
    warning("ci_low_pairs, ci_high_pairs are NA: the pair bootstrap needs pyvalues's compiled code, which ",
            "could not be built here (install a C compiler for R; Debian: apt-get install r-base-dev)",
            call. = FALSE)
  }
  boots_pairs_all <- lapply(Xs, function(X) {
    if (nrow(X) >= 2 && !is.null(native)) .pv_pair_boot(X, nboot, seed, spec$cl, native)
  })
  rows <- list()
  for (gi in seq_along(groups)) {
    g <- groups[gi]
    members <- if (g == "all") seq_along(cm$models) else which(cm$country == g)
    X <- Xs[[gi]]
    k <- nrow(X)
    boots_pairs <- boots_pairs_all[[gi]]
    boots_models <- if (length(members) >= 2) {
      .pv_model_boot(list(cm$spearman[members, members, drop = FALSE],
                          cm$kendall[members, members, drop = FALSE]), nboot, seed, cluster = spec$cl)
    }
    for (m in 1:2) {
      method <- c("spearman", "kendall")[m]
      x <- X[, method]
      ci <- ci_pairs <- ci_t <- c(NA_real_, NA_real_)
      ci_method <- "model bootstrap: needs at least 2 models"
      if (k >= 2) {
        if (!is.null(boots_pairs)) ci_pairs <- unname(stats::quantile(boots_pairs[, method], c(0.025, 0.975)))
        ci_t <- mean(x) + c(-1, 1) * stats::qt(0.975, k - 1) * stats::sd(x) / sqrt(k)
      }
      if (!is.null(boots_models)) {
        b <- boots_models[, m]
        ok <- !is.na(b)
        ci <- unname(stats::quantile(b[ok], c(0.025, 0.975)))
        ci_method <- sprintf(paste0("percentile bootstrap over models (%d draws, seed %s; pairs of a model ",
                                    "with its own copy left out; %d draws with one distinct model dropped)"),
                             nboot, format(seed), sum(!ok))
      }
      rows[[length(rows) + 1]] <- data.frame(
        group = g, method = method, n_models = length(members), n_pairs = k,
        mean = if (k) mean(x) else NA_real_, sd = if (k >= 2) stats::sd(x) else NA_real_,
        ci_low = ci[1], ci_high = ci[2], ci_method = ci_method,
        ci_low_pairs = ci_pairs[1], ci_high_pairs = ci_pairs[2],
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
# (Arithmetic as rowSums(matrix(X[idx, j], nrow = nboot)) accumulated block by block, done
# with .rowSums on the gathered column, which is the same C routine without the copies.)
.pv_boot_means <- function(X, nboot, seed) {
  k <- nrow(X)
  set.seed(seed)
  cols <- max(1L, floor(1e6 / nboot))
  xs <- lapply(seq_len(ncol(X)), function(j) X[, j])
  acc <- rep(list(numeric(nboot)), ncol(X))
  for (first in seq(1L, k, by = cols)) {
    m <- min(cols, k - first + 1L)
    idx <- sample.int(k, m * nboot, replace = TRUE)
    for (j in seq_along(xs)) acc[[j]] <- acc[[j]] + .rowSums(xs[[j]][idx], nboot, m)
  }
  out <- matrix(unlist(acc, use.names = FALSE), nboot, ncol(X), dimnames = list(NULL, colnames(X)))
  out / k
}

# Bootstrap means of each column of X (pairs in rows): nboot resamples of its k rows with
# replacement, the same rows for every column; an nboot x ncol(X) matrix. Compiled
# (pv_boot_means in inst/csrc/pyvalues_native.c): k uniform row indices per resample from
# xoshiro256** with Lemire's unbiased bounded integers, the generator of each block of
# 1,000 resamples seeded from that block's L'Ecuyer-CMRG stream (.pv_resample), so the
# result depends only on `seed` and nboot, serially or on any number of workers. About 5 ns
# per drawn pair and memory of one block of means: 124,750 pairs x 10,000 resamples at
# 500 models take seconds (R's sample.int took a minute; .pv_boot_means is the R version
# of the same bootstrap, on one Mersenne-Twister stream).
.pv_pair_boot <- function(X, nboot, seed, cluster = NULL, native = .pv_native()) {
  X <- X + 0                     # a plain double matrix
  blocks <- .pv_resample(nboot, seed, function(block, size) {
    routines <- .pv_native_routines(native)
    if (is.null(routines)) {
      stop("the pair bootstrap needs pyvalues's compiled code, which could not be built here: ",
           "install a C compiler for R (Debian: apt-get install r-base-dev)", call. = FALSE)
    }
    .Call(routines$boot_means, X, as.integer(size), as.integer(floor(stats::runif(4) * 2^31)))
  }, cluster = cluster, helpers = c(".pv_native_routines", ".pv_native_build"))
  out <- do.call(rbind, blocks)
  colnames(out) <- colnames(X)
  out
}

# Mean pairwise coefficient among resampled models, for a block of draws given as counts:
# C[b, u] = how often model u is drawn in draw b. The pairs of drawn models are all
# (copy of u, copy of v) with u != v, so the mean is c'R0c / c'J0c with R0 the
# correlation matrix and J0 the all-ones matrix, both with a zero diagonal (pairs of a
# model with its own copy left out). NA when a draw has one distinct model (no pair).
.pv_mean_pairs <- function(C, R) {
  R0 <- R
  diag(R0) <- 0
  num <- rowSums((C %*% R0) * C)
  den <- rowSums(C)^2 - rowSums(C^2)
  ifelse(den > 0, num / den, NA_real_)
}

# Model-bootstrap draws of the mean pairwise coefficient: for each matrix in `Rs` (same
# models), `nboot` resamples of the models with replacement (the same draws for every
# matrix); one column per matrix. Memory: one block of 1000 x n_models counts.
# .pv_mean_pairs' arithmetic, with the sums over pairs from .pv_pair_sums (compiled).
.pv_model_boot <- function(Rs, nboot, seed, cluster = NULL, native = .pv_native()) {
  n <- nrow(Rs[[1]])
  R0s <- lapply(Rs, function(R) {
    diag(R) <- 0
    R
  })
  blocks <- .pv_resample(nboot, seed, function(block, size) {
    C <- .pv_draw_counts(size, n)
    num <- .pv_pair_sums(C, R0s, native)
    den <- rowSums(C)^2 - rowSums(C^2)
    vapply(seq_along(R0s), function(m) ifelse(den > 0, num[, m] / den, NA_real_), numeric(size))
  }, cluster = cluster, helpers = c(".pv_draw_counts", ".pv_pair_sums", ".pv_native_routines", ".pv_native_build"))
  do.call(rbind, lapply(blocks, matrix, ncol = length(Rs)))
}

# rowSums((W %*% R0) * W) for each matrix R0 of the list `R0s` (n x n, zero diagonal) and
# the B x n weights W (bootstrap counts, or 0/1 flags of a split): a B x length(R0s)
# matrix. Compiled (pv_pair_sums in inst/csrc/pyvalues_s500.c: the same arithmetic
# element by element, skipping the terms of zero weight, several times faster at hundreds
# of models) when the compiled code is there and the matrices finite, and only after it
# gives R's own numbers, bit for bit, on the first rows of W (a BLAS other than R's
# reference BLAS sums in another order; then, and with options(pyvalues.native = FALSE),
# R's expression is used throughout).
.pv_pair_sums <- function(W, R0s, native = NULL) {
  by_r <- function(W) matrix(vapply(R0s, function(R0) rowSums((W %*% R0) * W), numeric(nrow(W))),
                             nrow = nrow(W))
  routines <- if (!is.null(native) && nrow(W) > 0 && all(vapply(R0s, function(R0) all(is.finite(R0)), logical(1)))) {
    .pv_native_routines(native)
  }
  if (is.null(routines$pair_sums)) return(by_r(W))
  R0s <- lapply(R0s, function(R0) R0 + 0)   # plain doubles
  out <- .Call(routines$pair_sums, W, R0s)
  rows <- seq_len(min(8L, nrow(W)))
  if (!identical(out[rows, , drop = FALSE], by_r(W[rows, , drop = FALSE]))) return(by_r(W))
  out
}

# `size` draws of n units with replacement, as a size x n matrix of counts.
.pv_draw_counts <- function(size, n) {
  idx <- sample.int(n, size * n, replace = TRUE)
  cell <- (rep(seq_len(size), each = n) - 1L) * n + idx
  matrix(tabulate(cell, size * n), nrow = size, byrow = TRUE)
}

#' Is one group more cohesive than the other? (the paper's Figure 5 claim)
#'
#' For each method (Spearman, Kendall), the difference `diff = mean1 - mean2` of the two
#' groups' mean within-group pairwise correlation ([pv_correlations()]), positive when the
#' first group is more cohesive, with
#'
#' * `p_perm`: two-sided permutation p from reassigning the country labels across the
#'   n1 + n2 models of the two groups (group sizes kept): the share of splits whose
#'   |diff| is at least the observed |diff| (within 1e-12). Exact over all
#'   `choose(n1 + n2, n1)` splits when that is at most `choose(20, 10)` (the paper's
#'   11 + 9 models: 167960), `n_perm` = that number; otherwise `nperm` seeded Monte Carlo
#'   splits with p = (1 + extreme) / (1 + nperm), and the note gives its Monte Carlo SE.
#' * `ci_low, ci_high`: percentile interval of the difference from a model bootstrap
#'   within each group (as in [pv_correlations()]: pairs of a model with its own copy left
#'   out), `nboot` draws.
#'
#' @param rank_table a rank table.
#' @param groups the two country labels, first one first (see [pv_analyse()]).
#' @param nboot bootstrap draws for the interval.
#' @param nperm Monte Carlo splits when exact enumeration is too large.
#' @param seed seed of the bootstrap and the Monte Carlo splits.
#' @param cluster `NULL` (serial), a number of local workers, host names or a cluster from
#'   the `parallel` package (see [pv_analyse()]): the bootstrap and Monte Carlo splits run on its workers. Each
#'   block of draws has its own random stream, so the result is identical to the serial one.
#' @examples
#' \donttest{
#' pv_cohesion_test(paper2026_reconstruction, nboot = 2000)
#' }
#' @template return-pv_cohesion_test
#' @export
pv_cohesion_test <- function(rank_table, groups = NULL, nboot = 10000, nperm = 10000, seed = 2026,
                             cluster = NULL) {
  cm <- .pv_cor_matrices(rank_table)
  groups <- .pv_groups(data.frame(model = cm$models, country = cm$country), groups)
  i1 <- which(cm$country == groups[1])
  i2 <- which(cm$country == groups[2])
  if (min(length(i1), length(i2)) < 2L) {
    stop("cohesion_test needs at least two models in each group; ", groups[1], " has ", length(i1),
         ", ", groups[2], " has ", length(i2), call. = FALSE)
  }
  both <- c(i1, i2)
  n1 <- length(i1)
  n <- length(both)
  spec <- .pv_cluster(cluster)
  if (spec$own) on.exit(parallel::stopCluster(spec$cl), add = TRUE)
  methods <- c("spearman", "kendall")
  Rs <- lapply(methods, function(m) cm[[m]][both, both])
  # within-group mean for the models flagged in each row of Z (0/1), vectorised over rows
  within_mean <- function(Z, R) {
    R0 <- R
    diag(R0) <- 0
    k <- rowSums(Z)
    rowSums((Z %*% R0) * Z) / (k * (k - 1))
  }
  split_diff <- function(Z, R) within_mean(Z, R) - within_mean(1 - Z, R)
  z_obs <- matrix(c(rep(1, n1), rep(0, n - n1)), nrow = 1L)
  observed <- vapply(Rs, function(R) split_diff(z_obs, R), numeric(1))
  n_splits <- choose(n, n1)
  tol <- 1e-12
  if (n_splits <= .pv_max_exact_splits) {
    combos <- utils::combn(n, n1)
    extreme <- numeric(length(Rs))
    for (first in seq(1L, ncol(combos), by = 20000L)) {
      cols <- first:min(ncol(combos), first + 19999L)
      Z <- matrix(0, length(cols), n)
      Z[cbind(rep(seq_along(cols), each = n1), as.vector(combos[, cols]))] <- 1
      extreme <- extreme + vapply(seq_along(Rs), function(m) {
        d <- abs(split_diff(Z, Rs[[m]]))
        sum(d >= abs(observed[m]) - tol)
      }, numeric(1))
    }
    p_perm <- extreme / n_splits
    n_perm <- n_splits
    perm_note <- sprintf("exact permutation p over all %s splits of the %d models", format(n_splits), n)
  } else {
    # split_diff(Z, R) for each draw, its sums over pairs from .pv_pair_sums (compiled)
    native <- .pv_native()
    R0s <- lapply(Rs, function(R) {
      diag(R) <- 0
      R
    })
    blocks <- .pv_resample(nperm, seed + 1L, function(block, size) {
      Z <- t(vapply(seq_len(size), function(b) {
        z <- numeric(n)
        z[sample.int(n, n1)] <- 1
        z
      }, numeric(n)))
      k1 <- rowSums(Z)
      k2 <- rowSums(1 - Z)
      s1 <- .pv_pair_sums(Z, R0s, native)
      s2 <- .pv_pair_sums(1 - Z, R0s, native)
      vapply(seq_along(Rs), function(m) {
        d <- s1[, m] / (k1 * (k1 - 1)) - s2[, m] / (k2 * (k2 - 1))
        sum(abs(d) >= abs(observed[m]) - tol)
      }, numeric(1))
    }, cluster = spec$cl, helpers = c(".pv_pair_sums", ".pv_native_routines", ".pv_native_build"))
    extreme <- Reduce(`+`, blocks)
    p_perm <- (1 + extreme) / (1 + nperm)
    n_perm <- nperm
    perm_note <- sprintf("Monte Carlo permutation p from %d random splits (seed %s), p = (1 + extreme) / (1 + draws)",
                         nperm, format(seed + 1L))
  }
  # bootstrap of the difference: models resampled within each group, the same draws for
  # both methods
  b1 <- .pv_model_boot(lapply(Rs, function(R) R[seq_len(n1), seq_len(n1)]), nboot, seed,
                       cluster = spec$cl)
  b2 <- .pv_model_boot(lapply(Rs, function(R) R[n1 + seq_len(n - n1), n1 + seq_len(n - n1)]), nboot, seed + 2L,
                       cluster = spec$cl)
  out <- do.call(rbind, lapply(seq_along(methods), function(m) {
    d <- b1[, m] - b2[, m]
    ci <- unname(stats::quantile(d, c(0.025, 0.975), na.rm = TRUE))
    note <- perm_note
    if (n_perm == nperm && n_splits > .pv_max_exact_splits) {
      note <- sprintf("%s, Monte Carlo SE %.2g", note, sqrt(p_perm[m] * (1 - p_perm[m]) / nperm))
    }
    note <- sprintf("%s; CI: percentile bootstrap over models within each group (%d draws, %d without a pair dropped)",
                    note, nboot, sum(is.na(d)))
    data.frame(method = methods[m], group1 = groups[1], group2 = groups[2], n1 = n1, n2 = n - n1,
               mean1 = within_mean(z_obs, Rs[[m]]), mean2 = within_mean(1 - z_obs, Rs[[m]]),
               diff = observed[m], ci_low = ci[1], ci_high = ci[2], p_perm = p_perm[m],
               n_perm = n_perm, note = note, stringsAsFactors = FALSE)
  }))
  out
}
