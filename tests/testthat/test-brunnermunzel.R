# Brunner-Munzel test, its permutation version and Cliff's delta (R/brunnermunzel.R).
# Independent sources: outputs of the CRAN package brunnermunzel 2.0 (fixtures/, see README.md),
# worked examples printed in that package's documentation and vignette, its own unit-test values,
# and hand computations written out below.

read_bm_cases <- function() {
  cases <- utils::read.csv(test_path("fixtures", "brunnermunzel_cases.csv"),
                           stringsAsFactors = FALSE)
  cases$x <- lapply(cases$x, function(s) scan(text = s, quiet = TRUE))
  cases$y <- lapply(cases$y, function(s) scan(text = s, quiet = TRUE))
  cases
}

# Largest absolute difference; equal non-finite values (Inf, NA/NaN) count as 0, a finite value
# against a non-finite one as Inf.
max_abs_diff <- function(got, expected) {
  both_missing <- is.na(got) & is.na(expected)
  same_inf <- !is.na(got) & !is.na(expected) & is.infinite(expected) & got == expected
  diff <- abs(got - expected)
  diff[both_missing | same_inf] <- 0
  diff[is.na(diff)] <- Inf
  max(diff)
}

test_that("bm_test reproduces brunnermunzel.test 2.0 on every reference row to 1e-10", {
  old <- options(pyvalues.bm_impl = "internal")
  on.exit(options(old), add = TRUE)
  cases <- read_bm_cases()
  expect_gte(nrow(cases), 45L)
  expect_setequal(unique(cases$alternative), c("two.sided", "greater", "less"))
  columns <- c(statistic = "statistic", df = "df", p = "p_value", estimate = "estimate",
               conf_low = "conf_low", conf_high = "conf_high")
  for (i in seq_len(nrow(cases))) {
    got <- pv_bm_test(cases$x[[i]], cases$y[[i]], alternative = cases$alternative[i])
    expect_equal(nrow(got), 1L)
    expect_match(got$method, "pyvalues implementation of brunnermunzel 2.0", fixed = TRUE)
    for (column in names(columns)) {
      diff <- max_abs_diff(got[[column]], cases[[columns[[column]]]][i])
      expect_true(diff <= 1e-10,
                  label = sprintf("%s/%s %s: |diff| = %g", cases$case[i],
                                  cases$alternative[i], column, diff))
    }
  }
})

test_that("complete separation gives the package's fixed values", {
  old <- options(pyvalues.bm_impl = "internal")
  on.exit(options(old), add = TRUE)
  x <- 1:5
  y <- 6:11
  two_sided <- pv_bm_test(x, y)
  expect_identical(two_sided$statistic, Inf)
  expect_true(is.nan(two_sided$df))
  expect_identical(c(two_sided$p, two_sided$estimate, two_sided$conf_low, two_sided$conf_high),
                   c(0, 1, 1, 1))
  expect_identical(pv_bm_test(x, y, alternative = "greater")$p, 1)
  expect_identical(pv_bm_test(x, y, alternative = "less")$p, 0)
  # Mirror image: x entirely above y (bm_test.f, branch pst == 0).
  reversed <- pv_bm_test(y, x)
  expect_identical(c(reversed$statistic, reversed$estimate, reversed$conf_low), c(-Inf, 0, 0))
  expect_identical(pv_bm_test(y, x, alternative = "less")$p, 1)
  expect_identical(pv_bm_test(y, x, alternative = "greater")$p, 0)
})

test_that("bm_permutation_test reproduces brunnermunzel.permutation.test 2.0 to 1e-10", {
  old <- options(pyvalues.bm_impl = "internal")
  on.exit(options(old), add = TRUE)
  cases <- read_bm_cases()
  with_p <- which(!is.na(cases$p_permutation))
  expect_gte(length(with_p), 20L)
  for (i in with_p) {
    got <- pv_bm_permutation_test(cases$x[[i]], cases$y[[i]], alternative = cases$alternative[i])
    diff <- abs(got$p - cases$p_permutation[i])
    expect_true(diff <= 1e-10, label = sprintf("%s/%s permutation p: |diff| = %g",
                                               cases$case[i], cases$alternative[i], diff))
    expect_true(abs(got$estimate - cases$estimate[i]) <= 1e-10)
    expect_equal(got$n_permutations,
                 choose(length(cases$x[[i]]) + length(cases$y[[i]]), length(cases$x[[i]])))
  }
})

test_that("published examples of the brunnermunzel package are reproduced", {
  old <- options(pyvalues.bm_impl = "internal")
  on.exit(options(old), add = TRUE)
  # Hollander & Wolfe (1973), 29f., printed in ?brunnermunzel.test and the vignette.
  x <- c(1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30)
  y <- c(0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29)
  res <- pv_bm_test(x, y)
  expect_equal(c(res$statistic, res$df, res$p), c(-1.4673, 15.147, 0.1628), tolerance = 1e-4)
  expect_equal(c(res$conf_low, res$conf_high, res$estimate),
               c(-0.02962941, 0.59753064, 0.2839506), tolerance = 1e-7)
  difference <- pv_bm_test(x, y, est = "difference")
  expect_equal(c(difference$conf_low, difference$conf_high, difference$estimate),
               c(-1.0592588, 0.1950613, -0.4320988), tolerance = 1e-7)
  expect_equal(pv_bm_permutation_test(x, y)$p, 0.158, tolerance = 1e-3)
  expect_equal(pv_bm_permutation_test(x, y, est = "difference")$estimate, -0.4320988,
               tolerance = 1e-7)
  # Pain scores (Brunner & Munzel 2000); permuted p-value printed as 0.008038.
  treated <- c(1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 4, 1, 1)
  control <- c(3, 3, 4, 3, 1, 2, 3, 1, 1, 5, 4)
  expect_lt(abs(pv_bm_permutation_test(treated, control)$p - 0.008038), 5e-7)
  # 2 x 3 table example of ?brunnermunzel.test: statistic 1.5511, df 16.961, p 0.1393.
  g1 <- rep(1:3, c(4, 4, 2))
  g2 <- rep(1:3, c(1, 5, 4))
  table_res <- pv_bm_test(g1, g2)
  expect_equal(c(table_res$statistic, table_res$df, table_res$p), c(1.5511, 16.961, 0.1393),
               tolerance = 1e-4)
  expect_equal(c(table_res$conf_low, table_res$conf_high), c(0.4351213, 0.9248787),
               tolerance = 1e-7)
})

test_that("the permutation limit and the force flag follow the package", {
  old <- options(pyvalues.bm_impl = "internal")
  on.exit(options(old), add = TRUE)
  # choose(30, 15) = 155117520 > 40116600 = choose(28, 14): the package would fall back to the
  # asymptotic test; we refuse and say why.
  expect_error(pv_bm_permutation_test(1:15, 3:17), "40,116,600")
  # The vignette runs it with force = TRUE and prints p-value = 0.2341.
  forced <- pv_bm_permutation_test(1:15, 3:17, force = TRUE)
  expect_lt(abs(forced$p - 0.2341), 5e-5)
  expect_equal(forced$n_permutations, choose(30, 15))
})

test_that("the permutation statistic matches the package's own unit-test values", {
  # brunnermunzel tests/testthat/test_f_subroutine.R, "calc_statistics": statistic of the
  # observed split (first nx values form x), to 1e-6.
  observed_statistic <- function(dat, nx) {
    values <- sort(unique(dat))
    group <- match(dat, values)
    sizes <- tabulate(group, length(values))
    counts <- matrix(tabulate(group[seq_len(nx)], length(values)), nrow = 1L)
    .bm_perm_statistic(counts, sizes, cumsum(sizes) - (sizes - 1) / 2, nx, length(dat) - nx)
  }
  expect_equal(observed_statistic(c(1:5, 1:5), 5), 0, tolerance = 1e-6)
  expect_equal(observed_statistic(c(1:5, 2:6), 5), 0.3975535, tolerance = 1e-6)
  expect_equal(observed_statistic(c(1:5, 3:7), 5), 0.9335359, tolerance = 1e-6)
  expect_equal(observed_statistic(c(1:10, 4:13), 10), 0.4667542, tolerance = 1e-6)
  pain <- c(1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 4, 1, 1, 3, 3, 4, 3, 1, 2, 3, 1, 1, 5, 4)
  expect_equal(observed_statistic(pain, 14), 0.5093291, tolerance = 1e-6)
})

test_that("tied data: permutation p equals a brute-force enumeration written out here", {
  old <- options(pyvalues.bm_impl = "internal")
  on.exit(options(old), add = TRUE)
  x <- c(1, 2, 2, 3, 5)
  y <- c(2, 3, 3, 4, 4, 6)
  pooled <- c(x, y)
  nx <- length(x)
  ny <- length(y)
  # Neubert & Brunner (2007) studentized statistic for one split, element by element with rank().
  split_statistic <- function(in_x) {
    a <- pooled[in_x]
    b <- pooled[-in_x]
    r <- rank(c(a, b))
    ra <- r[seq_len(nx)]
    rb <- r[nx + seq_len(ny)]
    va <- sum((ra - rank(a) - mean(ra) + (nx + 1) / 2)^2) * nx / (nx - 1)
    vb <- sum((rb - rank(b) - mean(rb) + (ny + 1) / 2)^2) * ny / (ny - 1)
    (mean(rb) - mean(ra)) / sqrt(va + vb)
  }
  splits <- utils::combn(nx + ny, nx)
  statistics <- apply(splits, 2L, split_statistic)
  observed <- split_statistic(seq_len(nx))
  near <- function(a, b) a >= b | abs(a - b) < 1e-12
  expected <- c(two.sided = mean(near(abs(statistics), abs(observed))),
                greater = mean(near(-statistics, -observed)),
                less = mean(near(statistics, observed)))
  for (alternative in names(expected)) {
    expect_equal(pv_bm_permutation_test(x, y, alternative = alternative)$p,
                 unname(expected[alternative]), tolerance = 1e-12)
  }
})

test_that("est = 'difference' is 2p - 1 for the estimate and the interval", {
  old <- options(pyvalues.bm_impl = "internal")
  on.exit(options(old), add = TRUE)
  cases <- read_bm_cases()
  i <- which(cases$case == "bm2000_pain" & cases$alternative == "two.sided")
  res <- pv_bm_test(cases$x[[i]], cases$y[[i]], est = "difference")
  expect_lt(max_abs_diff(c(res$estimate, res$conf_low, res$conf_high),
                         2 * c(cases$estimate[i], cases$conf_low[i], cases$conf_high[i]) - 1),
            1e-10)
  expect_lt(abs(res$p - cases$p_value[i]), 1e-10)
})

test_that("input problems stop with a message that says what to do", {
  old <- options(pyvalues.bm_impl = "internal")
  on.exit(options(old), add = TRUE)
  expect_error(pv_bm_test(1, c(1, 2, 3)), "not enough observations")
  expect_error(pv_bm_test(c(1, NA), c(1, 2, 3)), "1 in 'x'")
  expect_error(pv_bm_test(c("a", "b"), c(1, 2)), "numeric")
  expect_error(pv_bm_test(1:3, 4:6, alpha = 2), "alpha")
  expect_error(pv_bm_permutation_test(1, 1:3), "not enough observations")
  # Missing values are dropped, as brunnermunzel.test does with na.omit().
  expect_equal(pv_bm_test(c(1, 2, NA, 4), c(3, 5, 6)), pv_bm_test(c(1, 2, 4), c(3, 5, 6)))
  options(pyvalues.bm_impl = "fortran")
  expect_error(pv_bm_test(1:3, 4:6), "pyvalues.bm_impl")
})

test_that("the package is used when installed and agrees with the internal implementation", {
  skip_if_not_installed("brunnermunzel")
  cases <- read_bm_cases()
  old <- options(pyvalues.bm_impl = "auto")
  on.exit(options(old), add = TRUE)
  for (i in seq_len(nrow(cases))) {
    via_package <- pv_bm_test(cases$x[[i]], cases$y[[i]], alternative = cases$alternative[i])
    expect_match(via_package$method, "brunnermunzel package", fixed = TRUE)
    options(pyvalues.bm_impl = "internal")
    internal <- pv_bm_test(cases$x[[i]], cases$y[[i]], alternative = cases$alternative[i])
    options(pyvalues.bm_impl = "auto")
    for (column in c("statistic", "df", "p", "estimate", "conf_low", "conf_high")) {
      expect_lt(max_abs_diff(via_package[[column]], internal[[column]]), 1e-10)
    }
  }
})

test_that("cliffs_delta matches a pair-by-pair hand count", {
  # x = (1, 2, 3, 3), y = (2, 3, 4); the 12 pairs (x, y):
  #   x = 1: 1<2, 1<3, 1<4           -> 0 greater, 3 less
  #   x = 2: 2=2, 2<3, 2<4           -> 0 greater, 2 less
  #   x = 3: 3>2, 3=3, 3<4 (twice)   -> 2 greater, 2 less
  # delta = (2 - 7) / 12 = -5/12
  expect_equal(pv_cliffs_delta(c(1, 2, 3, 3), c(2, 3, 4)), -5 / 12, tolerance = 1e-15)
  expect_equal(pv_cliffs_delta(c(2, 3, 4), c(1, 2, 3, 3)), 5 / 12, tolerance = 1e-15)
  expect_identical(pv_cliffs_delta(c(5, 6), c(1, 2, 3)), 1)
  expect_identical(pv_cliffs_delta(c(1, 1), c(1, 1, 1)), 0)
  expect_equal(pv_cliffs_delta(c(1, NA, 2, 3, 3), c(2, 3, 4)), -5 / 12, tolerance = 1e-15)
  # Relation to the Brunner-Munzel estimate p = P(X<Y) + P(X=Y)/2 of the reference file.
  cases <- read_bm_cases()
  i <- which(cases$case == "bm2000_pain")[1]
  expect_lt(abs(pv_cliffs_delta(cases$x[[i]], cases$y[[i]]) - (1 - 2 * cases$estimate[i])), 1e-12)
  expect_error(pv_cliffs_delta(numeric(0), 1), "at least one")
})

test_that("Monte Carlo permutation p is within 4 standard errors of the exact p", {
  set.seed(3)
  x <- round(runif(12, 1, 25), 1); y <- round(runif(10, 3, 25), 1)
  exact <- pv_bm_permutation_test(x, y)$p
  mc <- .bm_permutation_mc(x, y, nperm = 4000, seed = 1)
  expect_lt(abs(mc - exact), 4 * sqrt(exact * (1 - exact) / 4000) + 1 / 4001)
  expect_identical(mc, .bm_permutation_mc(x, y, nperm = 4000, seed = 1))   # seeded
})

test_that("the compiled permutation counter gives identical() results to the R code path", {
  # inst/csrc/pyvalues_perm.c (built into the one shared object with every inst/csrc/*.c)
  # against .bm_permutation_internal's vectorised R code (options(pyvalues.native = FALSE)):
  # the same p to the last bit, on the reference cases, on the bundled data's 25 term
  # comparisons (choose(20, 9) = 167960 splits each) and on random samples with and without
  # ties, separated and all-tied samples, for every alternative.
  old <- options(pyvalues.bm_impl = "internal")
  on.exit(options(old), add = TRUE)
  skip_if(is.null(.bm_native_perm()), "no C compiler: the compiled counter is not built")
  both <- function(x, y, alternative) {
    options(pyvalues.native = TRUE)
    on.exit(options(pyvalues.native = TRUE))
    native <- pv_bm_permutation_test(x, y, alternative = alternative)
    options(pyvalues.native = FALSE)
    list(native = native, r = pv_bm_permutation_test(x, y, alternative = alternative))
  }
  cases <- read_bm_cases()
  cases <- cases[!is.na(cases$p_permutation), ]
  expect_gt(nrow(cases), 0)
  for (i in seq_len(nrow(cases))) {
    got <- both(cases$x[[i]], cases$y[[i]], cases$alternative[i])
    expect_identical(got$native, got$r, label = paste(cases$case[i], cases$alternative[i]))
  }
  set.seed(20261201)
  samples <- list(
    list(stats::rnorm(9), stats::rnorm(11)),
    list(sample(1:5, 8, TRUE), sample(1:5, 9, TRUE)),
    list(round(stats::rnorm(7), 1), round(stats::rnorm(10) + 0.5, 1)),
    list(1:6, 7:12),                                    # separated: the variance floor
    list(rep(2, 5), rep(2, 4)),                         # one tie group
    list(c(1, 1, 2), c(2, 3, 3, 3)))
  for (s in samples) for (alternative in c("two.sided", "greater", "less")) {
    got <- both(s[[1]], s[[2]], alternative)
    expect_identical(got$native, got$r)
  }
  tab <- make_rank_table()
  tm <- pv_model_term_means(tab)
  for (term in unique(tm$term)[1:5]) {
    got <- both(tm$mean_rank[tm$term == term & tm$country == "CN"],
                tm$mean_rank[tm$term == term & tm$country == "US"], "two.sided")
    expect_identical(got$native, got$r, label = term)
  }
})
