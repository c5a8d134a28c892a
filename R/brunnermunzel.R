# Brunner-Munzel test, its permutation version, and Cliff's delta.
#
# The numbers must be those of the CRAN package 'brunnermunzel' 2.0 (Toshiaki Ara), which the
# project cites. When that package is installed we call it; otherwise our own implementation below
# reproduces it. The implementation follows the package's Fortran sources (bm_test.f,
# bm_permutation_test.f, calc_statistics.f of brunnermunzel 2.0), including their edge cases:
#   * complete separation (estimate exactly 0 or 1): statistic -Inf/Inf, df NaN, CI = [est, est],
#     p = 0 except p = 1 for the alternative pointing the other way;
#   * no clipping of the confidence interval to [0, 1];
#   * "greater" is the *lower* tail of the t distribution and "less" the upper tail (the package's
#     convention: the statistic grows with P(X < Y));
#   * the permutation statistic floors a variance below 1e-6 at 1e-5, and counts a permuted
#     statistic as "at least as extreme" when it is >= the observed one or within 1e-14 of it.
# Several constants in that Fortran code are default-REAL (single precision) literals; we round
# them the same way (.bm_single) so that permutation ties are broken exactly as the package does.

# Largest number of group assignments the package enumerates without `force = TRUE`
# (brunnermunzel.permutation.test: `n_nCr > 40116600L # choose(28, 14)`).
.bm_max_permutations <- 40116600

# Round a double to the nearest IEEE single-precision value, as a Fortran REAL(4) expression does.
.bm_single <- function(value) {
  readBin(writeBin(as.double(value), raw(), size = 4L), "double", size = 4L, n = length(value))
}

.bm_impl <- function() {
  impl <- getOption("pyvalues.bm_impl", "auto")
  if (!is.character(impl) || length(impl) != 1L || !impl %in% c("auto", "internal", "package")) {
    stop("option 'pyvalues.bm_impl' must be one of \"auto\", \"internal\", \"package\"; got ",
         paste(deparse(impl), collapse = " "),
         ". Fix: options(pyvalues.bm_impl = \"auto\").", call. = FALSE)
  }
  has_package <- requireNamespace("brunnermunzel", quietly = TRUE)
  if (impl == "package" && !has_package) {
    stop("option pyvalues.bm_impl = \"package\" but the R package 'brunnermunzel' is not ",
         "installed. Fix: install.packages(\"brunnermunzel\") or ",
         "options(pyvalues.bm_impl = \"auto\").", call. = FALSE)
  }
  if (impl == "internal" || !has_package) "internal" else "package"
}

.bm_method_label <- function(impl, test = "Brunner-Munzel") {
  if (impl == "package") {
    paste0(test, " (brunnermunzel package)")
  } else {
    paste0(test, " (pyvalues implementation of brunnermunzel 2.0)")
  }
}

# Shared input checks: numeric vectors, NA dropped (as brunnermunzel.test does with na.omit),
# at least two observations per group (the package stops on one; zero makes no sense either).
.bm_prepare <- function(x, y) {
  for (arg in c("x", "y")) {
    value <- get(arg)
    if (!is.numeric(value)) {
      stop("'", arg, "' must be a numeric vector, not ", class(value)[1L], ".", call. = FALSE)
    }
  }
  x <- as.double(x[!is.na(x)])
  y <- as.double(y[!is.na(y)])
  if (length(x) < 2L || length(y) < 2L) {
    stop("not enough observations: the Brunner-Munzel test needs at least 2 non-missing values ",
         "in each group; got ", length(x), " in 'x' and ", length(y), " in 'y'.", call. = FALSE)
  }
  list(x = x, y = y)
}

# P(X < Y) + 0.5 * P(X = Y) from mid-ranks, as bm_test.f computes `pst`.
.bm_pst <- function(x, y) {
  nx <- length(x)
  ny <- length(y)
  pooled_rank <- rank(c(x, y))
  my <- sum(pooled_rank[nx + seq_len(ny)]) / ny
  (my - (ny + 1) * 0.5) / nx
}

# Mirrors bm_test.f (subroutines bm_test, calc_stat, calc_pval, calc_confint).
.bm_test_internal <- function(x, y, alternative, alpha) {
  nx <- length(x)
  ny <- length(y)
  rank_x <- rank(x)
  rank_y <- rank(y)
  pooled_rank <- rank(c(x, y))
  pooled_x <- pooled_rank[seq_len(nx)]
  pooled_y <- pooled_rank[nx + seq_len(ny)]
  mx <- sum(pooled_x) / nx
  my <- sum(pooled_y) / ny
  pst <- (my - (ny + 1) * 0.5) / nx

  if (pst == 1 || pst == 0) {
    # Non-overlapping samples: the package returns fixed values instead of 0/0.
    toward_y <- pst == 1
    p <- switch(alternative,
                two.sided = 0,
                greater = if (toward_y) 1 else 0,
                less = if (toward_y) 0 else 1)
    return(list(statistic = if (toward_y) Inf else -Inf, df = NaN, p = p,
                estimate = pst, conf_low = pst, conf_high = pst))
  }

  vx <- sum((pooled_x - rank_x - mx + (nx + 1) * 0.5)^2) / (nx - 1)
  vy <- sum((pooled_y - rank_y - my + (ny + 1) * 0.5)^2) / (ny - 1)
  nvx <- nx * vx
  nvy <- ny * vy
  nv <- nvx + nvy
  statistic <- nx * ny / (nx + ny) * (my - mx) / sqrt(nv)
  df <- nv * nv / (nvx * nvx / (nx - 1) + nvy * nvy / (ny - 1))
  se <- sqrt(vx / (nx * ny * ny) + vy / (nx * nx * ny))

  p <- switch(alternative,
              two.sided = 2 * stats::pt(abs(statistic), df, lower.tail = FALSE),
              greater = stats::pt(statistic, df, lower.tail = TRUE),
              less = stats::pt(statistic, df, lower.tail = FALSE))
  half_width <- stats::qt(alpha * 0.5, abs(df), lower.tail = FALSE) * se
  list(statistic = statistic, df = df, p = p, estimate = pst,
       conf_low = pst - half_width, conf_high = pst + half_width)
}

#' Brunner-Munzel test
#'
#' Tests stochastic equality of two samples with the Brunner-Munzel test (t approximation with
#' Satterthwaite-type degrees of freedom), giving exactly the numbers of
#' `brunnermunzel::brunnermunzel.test()` (package version 2.0). When the `brunnermunzel` package is
#' installed it is called; otherwise a reimplementation of its algorithm is used. Set
#' `options(pyvalues.bm_impl = "internal")` to force the reimplementation, or `"package"` to
#' require the package; the default `"auto"` prefers the package.
#'
#' As in the package, the estimate is \eqn{P(X < Y) + 0.5 P(X = Y)}, the statistic grows when `y`
#' tends to be larger than `x`, `alternative = "greater"` takes the lower tail of the t
#' distribution and `"less"` the upper tail. For samples that do not overlap at all the statistic
#' is `Inf` or `-Inf`, `df` is `NaN` and the confidence interval collapses to the estimate. The
#' confidence interval is not clipped to \[0, 1\]. Missing values are dropped.
#'
#' @param x Numeric vector, the first sample.
#' @param y Numeric vector, the second sample.
#' @param alternative One of `"two.sided"`, `"greater"`, `"less"` (initial letters suffice).
#' @param alpha Significance level of the confidence interval (0.05 gives a 95 percent interval).
#' @param est `"original"` reports \eqn{p = P(X < Y) + 0.5 P(X = Y)} and its interval;
#'   `"difference"` reports \eqn{P(X < Y) - P(X > Y) = 2p - 1} and the interval transformed alike.
#' @return A one-row data.frame with columns `statistic`, `df`, `p`, `estimate`, `conf_low`,
#'   `conf_high` (all numeric) and `method` (character: which implementation produced the row).
#' @examples
#' # Pain scores of Brunner & Munzel (2000), as in the brunnermunzel package's examples.
#' treated <- c(1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 4, 1, 1)
#' control <- c(3, 3, 4, 3, 1, 2, 3, 1, 1, 5, 4)
#' pv_bm_test(treated, control)
#' pv_bm_test(treated, control, alternative = "less", est = "difference")
#' @export
pv_bm_test <- function(x, y, alternative = c("two.sided", "greater", "less"), alpha = 0.05,
                    est = c("original", "difference")) {
  alternative <- match.arg(alternative)
  est <- match.arg(est)
  if (!is.numeric(alpha) || length(alpha) != 1L || is.na(alpha) || alpha <= 0 || alpha >= 1) {
    stop("'alpha' must be a single number strictly between 0 and 1; got ",
         paste(deparse(alpha), collapse = " "), ".", call. = FALSE)
  }
  samples <- .bm_prepare(x, y)
  impl <- .bm_impl()
  if (impl == "package") {
    res <- brunnermunzel::brunnermunzel.test(samples$x, samples$y, alternative = alternative,
                                             alpha = alpha, est = est)
    out <- data.frame(statistic = unname(res$statistic), df = unname(res$parameter),
                      p = unname(res$p.value), estimate = unname(res$estimate),
                      conf_low = unname(res$conf.int[1L]), conf_high = unname(res$conf.int[2L]),
                      method = .bm_method_label(impl), stringsAsFactors = FALSE)
    return(out)
  }
  res <- .bm_test_internal(samples$x, samples$y, alternative, alpha)
  estimate <- res$estimate
  conf <- c(res$conf_low, res$conf_high)
  if (est == "difference") {
    # brunnermunzel.test: ESTIMATE <- pst * 2 - 1; CONF.INT <- ci * 2 - 1
    estimate <- estimate * 2 - 1
    conf <- conf * 2 - 1
  }
  data.frame(statistic = res$statistic, df = res$df, p = res$p, estimate = estimate,
             conf_low = conf[1L], conf_high = conf[2L], method = .bm_method_label(impl),
             stringsAsFactors = FALSE)
}

# All vectors c (rows) with 0 <= c[g] <= sizes[g] and sum(c) <= max_total, each with its
# number of realisations prod(choose(sizes, c)): the group assignments of tied values collapse
# onto these count vectors, since the statistic depends only on how many of each tie group go to x.
.bm_count_vectors <- function(sizes, max_total) {
  counts <- matrix(0, nrow = 1L, ncol = 0L)
  totals <- 0
  weights <- 1
  for (size in sizes) {
    k <- 0:size
    keep_row <- rep(seq_along(totals), times = length(k))
    add <- rep(k, each = length(totals))
    new_totals <- totals[keep_row] + add
    ok <- new_totals <= max_total
    counts <- cbind(counts[keep_row[ok], , drop = FALSE], add[ok])
    weights <- weights[keep_row[ok]] * choose(size, add[ok])
    totals <- new_totals[ok]
  }
  list(counts = counts, totals = totals, weights = weights)
}

# Permutation statistic of calc_statistics.f for many assignments at once. `x_counts` is a matrix
# with one row per assignment and one column per tie group (values in increasing order), holding
# how many members of that tie group are in x. Rows are assignments so that per-assignment
# vectors (means) recycle down the columns and each tie group is a contiguous column.
.bm_perm_statistic <- function(x_counts, sizes, pooled_rank, nx, ny) {
  n_splits <- nrow(x_counts)
  n_groups <- ncol(x_counts)
  y_counts <- matrix(sizes, n_splits, n_groups, byrow = TRUE) - x_counts
  mx <- drop(x_counts %*% pooled_rank) / nx
  my <- drop(y_counts %*% pooled_rank) / ny
  # Mid-rank inside its own group of a member of tie group g: members of that group in smaller
  # tie groups, plus the mid-point of its own tie group.
  below_x <- x_counts
  below_y <- y_counts
  running_x <- numeric(n_splits)
  running_y <- numeric(n_splits)
  for (g in seq_len(n_groups)) {
    below_x[, g] <- running_x
    below_y[, g] <- running_y
    running_x <- running_x + x_counts[, g]
    running_y <- running_y + y_counts[, g]
  }
  rank_by_group <- matrix(pooled_rank, n_splits, n_groups, byrow = TRUE)
  dev_x <- rank_by_group - (below_x + (x_counts + 1) * 0.5) - mx + (nx + 1) * 0.5
  dev_y <- rank_by_group - (below_y + (y_counts + 1) * 0.5) - my + (ny + 1) * 0.5
  sx <- rowSums(x_counts * dev_x^2)
  sy <- rowSums(y_counts * dev_y^2)
  # const(3), const(4) are `nx * 1.0 / (nx - 1)` in default REAL, i.e. single precision.
  v <- .bm_single(nx / (nx - 1)) * sx + .bm_single(ny / (ny - 1)) * sy
  # "to avoid division by zero": `if (v.lt.0.000001) v = 0.00001` (single-precision literals).
  v[v < .bm_single(1e-6)] <- .bm_single(1e-5)
  (my - mx) / sqrt(v)
}

# The compiled counter of .bm_permutation_internal (pv_bm_perm_count), or NULL: then R's
# vectorised code below runs (also with options(pyvalues.native = FALSE); the two give
# identical p-values, tests/testthat/test-brunnermunzel.R).
.bm_native_perm <- function() {
  routines <- .pv_native_routines(.pv_native())
  if (is.null(routines)) NULL else routines$bm_perm_count
}

# Mirrors bm_permutation_test.f: the share of all choose(nx + ny, nx) assignments of the pooled
# values to x whose statistic is at least as extreme as the observed one.
.bm_permutation_internal <- function(x, y, alternative) {
  nx <- length(x)
  ny <- length(y)
  pooled <- c(x, y)
  values <- sort(unique(pooled))
  group <- match(pooled, values)
  sizes <- tabulate(group, length(values))
  pooled_rank <- cumsum(sizes) - (sizes - 1) * 0.5
  observed_counts <- tabulate(group[seq_len(nx)], length(values))
  # The Fortran code compares transformed statistics with
  # ge(a, b) = abs(a - b) < 10E-15 (single precision) .or. a >= b.
  tolerance <- .bm_single(1e-14)
  routine <- .bm_native_perm()
  if (!is.null(routine)) {
    # the same count vectors, statistic and comparison, compiled (inst/csrc/pyvalues_perm.c)
    counted <- .Call(routine, sizes, pooled_rank, observed_counts, nx, ny,
                     c(.bm_single(nx / (nx - 1)), .bm_single(ny / (ny - 1)), .bm_single(1e-6),
                       .bm_single(1e-5), tolerance),
                     match(alternative, c("two.sided", "greater", "less")) - 1L)
    return(list(p = counted[1L] / choose(nx + ny, nx), estimate = .bm_pst(x, y)))
  }
  observed <- .bm_perm_statistic(matrix(observed_counts, nrow = 1L), sizes, pooled_rank, nx, ny)
  transform <- switch(alternative, two.sided = abs, greater = function(s) -s, less = identity)
  reference <- transform(observed)
  n_extreme <- 0

  # Split the tie groups in two halves, enumerate the count vectors of each half, and join the
  # halves whose totals add up to nx, in blocks of bounded size.
  n_groups <- length(sizes)
  log_states <- cumsum(log(sizes + 1))
  split_at <- max(1L, min(n_groups - 1L, which.min(abs(log_states - log_states[n_groups] / 2))))
  if (n_groups == 1L) split_at <- 1L
  head <- .bm_count_vectors(sizes[seq_len(split_at)], nx)
  tail_sizes <- sizes[-seq_len(split_at)]
  tail <- if (length(tail_sizes)) {
    .bm_count_vectors(tail_sizes, nx)
  } else {
    list(counts = matrix(0, nrow = 1L, ncol = 0L), totals = 0, weights = 1)
  }
  # blocks of about 2e5 cells: the ~15 temporaries of .bm_perm_statistic then stay small
  # (larger blocks spend their time allocating and collecting). The count of extreme
  # splits is a sum of whole numbers, so it does not depend on the blocking.
  block_rows <- max(1L, floor(2e5 / n_groups))

  for (head_total in sort(unique(head$totals))) {
    head_idx <- which(head$totals == head_total)
    tail_idx <- which(tail$totals == nx - head_total)
    if (!length(tail_idx)) next
    per_block <- max(1L, floor(block_rows / length(tail_idx)))
    for (start in seq(1L, length(head_idx), by = per_block)) {
      block <- head_idx[start:min(length(head_idx), start + per_block - 1L)]
      head_cols <- rep(block, each = length(tail_idx))
      tail_cols <- rep(tail_idx, times = length(block))
      counts <- cbind(head$counts[head_cols, , drop = FALSE],
                      tail$counts[tail_cols, , drop = FALSE])
      weights <- head$weights[head_cols] * tail$weights[tail_cols]
      permuted <- transform(.bm_perm_statistic(counts, sizes, pooled_rank, nx, ny))
      extreme <- abs(permuted - reference) < tolerance | permuted >= reference
      n_extreme <- n_extreme + sum(weights[extreme])
    }
  }
  list(p = n_extreme / choose(nx + ny, nx), estimate = .bm_pst(x, y))
}

# Monte Carlo version of .bm_permutation_internal (two-sided) for samples whose splits are
# too many to enumerate: `nperm` random splits of the pooled values into groups of the
# observed sizes, the same statistic (.bm_perm_statistic) and the same "at least as
# extreme" rule; p = (1 + extreme draws) / (1 + nperm), which is a valid p-value (the
# observed split counts as one draw). Draws come in blocks from .pv_resample's streams.
.bm_permutation_mc <- function(x, y, nperm, seed) {
  nx <- length(x)
  ny <- length(y)
  pooled <- c(x, y)
  values <- sort(unique(pooled))
  group <- match(pooled, values)
  n_groups <- length(values)
  sizes <- tabulate(group, n_groups)
  pooled_rank <- cumsum(sizes) - (sizes - 1) * 0.5
  observed <- .bm_perm_statistic(matrix(tabulate(group[seq_len(nx)], n_groups), nrow = 1L),
                                 sizes, pooled_rank, nx, ny)
  reference <- abs(observed)
  tolerance <- .bm_single(1e-14)
  n <- nx + ny
  counts <- .pv_resample(nperm, seed, function(block, size) {
    # one row per draw: how many of each tie group the random x-sample takes
    idx <- vapply(seq_len(size), function(i) sample.int(n, nx), integer(nx))
    cell <- (rep(seq_len(size), each = nx) - 1L) * n_groups + group[idx]
    x_counts <- matrix(tabulate(cell, size * n_groups), nrow = size, byrow = TRUE)
    permuted <- abs(.bm_perm_statistic(x_counts, sizes, pooled_rank, nx, ny))
    sum(abs(permuted - reference) < tolerance | permuted >= reference)
  })
  (1 + sum(unlist(counts))) / (1 + nperm)
}

#' Permuted Brunner-Munzel test
#'
#' Exact permutation version of the Brunner-Munzel test (Neubert & Brunner, 2007): the p-value is
#' the share of all `choose(length(x) + length(y), length(x))` ways of splitting the pooled values
#' into groups of the observed sizes whose studentized statistic is at least as extreme as the
#' observed one, exactly as `brunnermunzel::brunnermunzel.permutation.test()` (version 2.0) computes
#' it. The package is called when installed (see [pv_bm_test()] for `options(pyvalues.bm_impl)`);
#' otherwise a reimplementation is used, which enumerates tied values by count, so heavily tied
#' data (ranks, Likert scores) are fast.
#'
#' The package silently falls back to the asymptotic test when there are more than 40116600
#' (`choose(28, 14)`) splits and `force = FALSE`; this function stops with an error instead, so
#' that a result labelled as a permutation p-value always is one. Use [pv_bm_test()] for such samples,
#' or `force = TRUE` to enumerate them all the same.
#'
#' @inheritParams pv_bm_test
#' @param force If `TRUE`, enumerate all splits even beyond the package's limit of 40116600
#'   (as `force = TRUE` in `brunnermunzel.permutation.test()`).
#' @return A one-row data.frame with columns `p` (exact permutation p-value), `estimate`
#'   (as chosen by `est`), `n_permutations` (number of splits enumerated) and `method`.
#' @examples
#' # Hollander & Wolfe (1973), as in the brunnermunzel package's examples: p = 0.158.
#' first_visit <- c(1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30)
#' second_visit <- c(0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29)
#' pv_bm_permutation_test(first_visit, second_visit)
#' @export
pv_bm_permutation_test <- function(x, y, alternative = c("two.sided", "greater", "less"),
                                est = c("original", "difference"), force = FALSE) {
  alternative <- match.arg(alternative)
  est <- match.arg(est)
  samples <- .bm_prepare(x, y)
  nx <- length(samples$x)
  ny <- length(samples$y)
  n_permutations <- choose(nx + ny, nx)
  if (!isTRUE(force) && n_permutations > .bm_max_permutations) {
    stop("permutation Brunner-Munzel test: choose(", nx + ny, ", ", nx, ") = ",
         format(n_permutations, big.mark = ",", scientific = FALSE),
         " splits exceed the limit of 40,116,600 = choose(28, 14) used by ",
         "brunnermunzel.permutation.test (which would silently return the asymptotic test). ",
         "Fix: use pv_bm_test() for samples of this size, or force = TRUE to enumerate anyway ",
         "(slow unless the data have many ties).", call. = FALSE)
  }
  impl <- .bm_impl()
  if (impl == "package") {
    res <- brunnermunzel::brunnermunzel.permutation.test(samples$x, samples$y,
                                                         alternative = alternative, est = est,
                                                         force = isTRUE(force))
    return(data.frame(p = unname(res$p.value), estimate = unname(res$estimate),
                      n_permutations = n_permutations,
                      method = .bm_method_label(impl, "permuted Brunner-Munzel"),
                      stringsAsFactors = FALSE))
  }
  res <- .bm_permutation_internal(samples$x, samples$y, alternative)
  estimate <- if (est == "difference") res$estimate * 2 - 1 else res$estimate
  data.frame(p = res$p, estimate = estimate, n_permutations = n_permutations,
             method = .bm_method_label(impl, "permuted Brunner-Munzel"), stringsAsFactors = FALSE)
}

#' Cliff's delta
#'
#' Cliff's dominance statistic \eqn{\delta = P(X > Y) - P(X < Y)}, estimated over all
#' `length(x) * length(y)` pairs, with `x` first: positive when `x` tends to be larger. It equals
#' \eqn{1 - 2 p} for the Brunner-Munzel estimate \eqn{p = P(X < Y) + 0.5 P(X = Y)} of [pv_bm_test()].
#' Computed from mid-ranks, so it is fast for long vectors. Missing values are dropped.
#'
#' @param x Numeric vector, the first sample.
#' @param y Numeric vector, the second sample.
#' @return A single number in \[-1, 1\].
#' @examples
#' pv_cliffs_delta(c(3, 4, 5), c(1, 2, 3))  # (8 - 0) / 9 = 0.889
#' @export
pv_cliffs_delta <- function(x, y) {
  for (arg in c("x", "y")) {
    value <- get(arg)
    if (!is.numeric(value)) {
      stop("'", arg, "' must be a numeric vector, not ", class(value)[1L], ".", call. = FALSE)
    }
  }
  x <- x[!is.na(x)]
  y <- y[!is.na(y)]
  if (!length(x) || !length(y)) {
    stop("cliffs_delta needs at least one non-missing value in each of 'x' and 'y'; got ",
         length(x), " and ", length(y), ".", call. = FALSE)
  }
  nx <- length(x)
  ny <- length(y)
  # Mann-Whitney: sum of pooled mid-ranks of x minus nx(nx+1)/2 = #(x > y) + 0.5 #(x = y).
  u_x <- sum(rank(c(x, y))[seq_len(nx)]) - nx * (nx + 1) / 2
  2 * u_x / (nx * ny) - 1
}
