# R/nonparametric.R: the two-group dimension and term tests.
# Each against the reference R package or base R function called directly on the same data,
# or against a hand computation.

test_that("Hedges' g is identical() to effectsize::hedges_g(pooled_sd = TRUE), bit for bit", {
  # .pv_hedges_g mirrors effectsize's operations instead of loading effectsize: the same
  # double on rank-like, tied, wide-ranged, offset and missing-value samples of many sizes
  skip_if_not_installed("effectsize")  # Suggests: the independent reference
  set.seed(20261201)
  for (i in 1:200) {
    n1 <- sample(2:25, 1)
    n2 <- sample(2:25, 1)
    x <- switch(i %% 5 + 1, stats::rnorm(n1, sd = stats::runif(1, 0.01, 100)), round(stats::runif(n1) * 25, 2),
                sample(1:25, n1, TRUE) / 3, stats::rnorm(n1) + 1e6, c(stats::rnorm(n1), NA))
    y <- switch(i %% 5 + 1, stats::rnorm(n2, 1), round(stats::runif(n2) * 25, 2),
                sample(1:25, n2, TRUE) / 3, stats::rnorm(n2) + 1e6, c(NA, stats::rnorm(n2, 0.5)))
    reference <- suppressWarnings(as.numeric(effectsize::hedges_g(x, y, pooled_sd = TRUE)$Hedges_g))
    expect_identical(.pv_hedges_g(x, y), reference)
  }
})

test_that("dimension tests equal wilcox.test, t.test and effectsize::hedges_g", {
  skip_if_not_installed("effectsize")  # Suggests: the independent reference
  tab <- make_rank_table(seed = 5)
  sc <- plain_scores(tab)$scores
  dt <- pv_dimension_tests(tab)
  for (dm in pv_dimensions()) {
    x <- sc$score[sc$dimension == dm & sc$country == "CN"]
    y <- sc$score[sc$dimension == dm & sc$country == "US"]
    w <- suppressWarnings(wilcox.test(x, y))
    tt <- t.test(x, y)
    row <- dt[dt$dimension == dm, ]
    expect_equal(row$U, unname(w$statistic))
    expect_equal(row$p_mwu, w$p.value, tolerance = 1e-10)
    expect_equal(row$r_rb, 1 - 2 * unname(w$statistic) / (11 * 9), tolerance = 1e-12)
    # one direction: positive = CN (group1) ranks the dimension as more important, so
    # t and g are minus t.test(CN, US) and minus hedges_g(CN, US); U is R's W unchanged
    expect_equal(row$t, -unname(tt$statistic), tolerance = 1e-10)
    expect_equal(row$df, unname(tt$parameter), tolerance = 1e-10)
    expect_equal(row$hedges_g, -effectsize::hedges_g(x, y)$Hedges_g, tolerance = 1e-10)
    expect_equal(c(row$n1, row$n2, row$median1, row$mean2), c(11, 9, median(x), mean(y)))
    expect_equal(row$method, w$method)
  }
  ref <- sapply(pv_dimensions(), function(dm) suppressWarnings(wilcox.test(
    sc$score[sc$dimension == dm & sc$country == "CN"], sc$score[sc$dimension == dm & sc$country == "US"]))$p.value)
  expect_equal(dt$q_mwu, p.adjust(ref, "BH"), tolerance = 1e-10, ignore_attr = TRUE)
})

test_that("term tests: Brunner-Munzel by hand (Brunner & Munzel 2000, eq. 2.3-2.5), hand Cliff's delta", {
  tab <- make_rank_table(seed = 8)
  tm <- plain_scores(tab)$term_means
  tt <- pv_term_tests(tab)
  x <- tm$rank[tm$term == "Accuracy" & tm$country == "CN"]
  y <- tm$rank[tm$term == "Accuracy" & tm$country == "US"]
  row <- tt[tt$term == "Accuracy", ]
  # Cliff's delta, oriented: P(CN < US) - P(CN > US), positive = CN ranks it higher
  expect_equal(row$cliffs_delta, mean(outer(x, y, "<")) - mean(outer(x, y, ">")), tolerance = 1e-12)
  # the statistic written out: pooled and within-sample mid-ranks, placement variances
  n1 <- length(x); n2 <- length(y); N <- n1 + n2
  r <- rank(c(x, y)); r1 <- r[1:n1]; r2 <- r[n1 + 1:n2]
  s1 <- sum((r1 - rank(x) - mean(r1) + (n1 + 1) / 2)^2) / (n1 - 1)
  s2 <- sum((r2 - rank(y) - mean(r2) + (n2 + 1) / 2)^2) / (n2 - 1)
  W <- n1 * n2 * (mean(r2) - mean(r1)) / (N * sqrt(n1 * s1 + n2 * s2))
  f <- (n1 * s1 + n2 * s2)^2 / ((n1 * s1)^2 / (n1 - 1) + (n2 * s2)^2 / (n2 - 1))
  expect_equal(row$statistic, W, tolerance = 1e-12)
  expect_equal(row$df, f, tolerance = 1e-12)
  expect_equal(row$p, 2 * pt(abs(W), f, lower.tail = FALSE), tolerance = 1e-12)
  expect_equal(row$estimate, (mean(r2) - (n2 + 1) / 2) / n1, tolerance = 1e-12)
  expect_equal(tt$q, p.adjust(tt$p, "BH"), tolerance = 1e-12)
  expect_equal(tt$q_perm, p.adjust(tt$p_perm, "BH"), tolerance = 1e-12)
  expect_true(all(tt$n_perm == choose(20, 11)) && all(tt$p_perm_mcse == 0))
})

test_that("term tests: separated 3 vs 3 give p NA (not 0) and the exact permutation p = 2/20", {
  inst <- pv_instrument()
  one <- function(m, country, ranks) data.frame(model = m, country = country, language = "en", replicate = 1,
                                              term = inst$term, rank = ranks)
  tab <- rbind(one("c1", "CN", 1:25), one("c2", "CN", c(2, 1, 3:25)), one("c3", "CN", c(1:23, 25, 24)),
               one("u1", "US", 25:1), one("u2", "US", c(24, 25, 23:1)), one("u3", "US", c(25:3, 1, 2)))
  tt <- pv_term_tests(tab)
  sep <- tt$estimate %in% c(0, 1)
  expect_true(sum(sep) >= 20)
  expect_true(all(is.na(tt$p[sep])) && all(is.na(tt$q[sep])))
  expect_false(any(tt$p == 0, na.rm = TRUE) || any(tt$q == 0, na.rm = TRUE) || any(tt$p_perm == 0))
  expect_match(tt$note[sep], "do not overlap")
  # of the 20 splits of 6 models into 3 + 3 only the observed and its mirror separate completely
  expect_equal(tt$p_perm[sep], rep(2 / 20, sum(sep)))
  # Helpfulness: CN ranks it 1-2, US 24-25: every signed effect positive (CN more important)
  h <- tt[tt$term == "Helpfulness", ]
  expect_true(h$statistic > 0 && h$cliffs_delta == 1 && h$estimate == 1)
})
