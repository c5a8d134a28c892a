# R/correlation.R: rank correlations, their bootstrap and the cohesion test.
# Each against the reference R package or base R function called directly on the same data,
# or against a hand computation.

test_that("correlations equal cor() and the t interval", {
  tab <- make_rank_table(seed = 9)
  tm <- plain_scores(tab)$term_means
  M <- tapply(tm$rank, list(tm$term, tm$model), identity)
  rho <- cor(M, method = "spearman")
  pr <- pv_correlation_pairs(tab)
  expect_equal(pr$spearman[pr$model1 == "cn01" & pr$model2 == "us03"], rho["cn01", "us03"], tolerance = 1e-12)
  tau <- cor(M, method = "kendall")
  expect_equal(pr$kendall[pr$model1 == "cn02" & pr$model2 == "cn05"], tau["cn02", "cn05"], tolerance = 1e-12)
  cn <- rho[grepl("^cn", rownames(rho)), grepl("^cn", colnames(rho))]
  v <- cn[upper.tri(cn)]
  co <- pv_correlations(tab, nboot = 2000)
  row <- co[co$group == "CN" & co$method == "spearman", ]
  expect_equal(row$n_pairs, 55)
  expect_equal(row$mean, mean(v), tolerance = 1e-12)
  expect_equal(row$sd, sd(v), tolerance = 1e-12)
  expect_equal(c(row$ci_low_t, row$ci_high_t), unname(t.test(v)$conf.int[1:2]), tolerance = 1e-12)
  expect_true(row$ci_low < mean(v) && mean(v) < row$ci_high)
  expect_equal(row$n_models, 11)
  # the naive pair bootstrap: a percentile interval of the mean of 55 pairs resampled with
  # replacement; against the same bootstrap written with sample.int (another generator, so
  # equal within Monte Carlo error: 20,000 draws, the 2.5% quantile's SE is about 0.002)
  ij <- which(upper.tri(cn), arr.ind = TRUE)
  v_rows <- cn[ij[order(ij[, 1], ij[, 2]), ]]
  set.seed(2026)
  idx <- matrix(sample.int(55, 55 * 20000, replace = TRUE), nrow = 20000)
  naive <- quantile(rowMeans(matrix(v_rows[idx], nrow = 20000)), c(0.025, 0.975))
  big <- pv_correlations(tab, nboot = 20000)
  row <- big[big$group == "CN" & big$method == "spearman", ]
  expect_lt(max(abs(c(row$ci_low_pairs, row$ci_high_pairs) - naive)), 0.01)
})

test_that("pair bootstrap draws: the bootstrap mean's exact moments, uniform counts, seed-determined", {
  # k values resampled with replacement: the mean of a resample has expectation mean(v)
  # and variance sum((v - mean(v))^2) / k / k (hand formula of the bootstrap distribution)
  set.seed(4)
  v <- round(stats::runif(55, -0.2, 0.9), 3)
  X <- cbind(a = v, b = -v)
  nb <- 40000
  boots <- .pv_pair_boot(X, nb, seed = 7)
  expect_identical(dim(boots), c(as.integer(nb), 2L))
  expect_identical(boots[, "b"], -boots[, "a"])           # the same pairs for both columns
  var_exact <- sum((v - mean(v))^2) / 55 / 55
  expect_lt(abs(mean(boots[, 1]) - mean(v)), 5 * sqrt(var_exact / nb))
  expect_lt(abs(stats::var(boots[, 1]) / var_exact - 1), 5 * sqrt(2 / nb))
  # one-hot columns: k x mean = how often each row was drawn ~ Multinomial(k, 1/k):
  # every draw has k rows in all, and a row is absent with probability (1 - 1/k)^k
  k <- 7
  counts <- round(.pv_pair_boot(diag(k), nb, seed = 8) * k)
  expect_true(all(rowSums(counts) == k))
  p0 <- (1 - 1 / k)^k
  expect_lt(max(abs(colMeans(counts == 0) - p0)), 5 * sqrt(p0 * (1 - p0) / nb))
  expect_lt(max(abs(colMeans(counts) - 1)), 5 * sqrt((1 - 1 / k) / nb))
  # a function of the seed and nboot only: the same twice, other seeds differ, and the
  # first block of a longer run is the shorter run (blocks of 1,000 on their own streams)
  expect_identical(.pv_pair_boot(X, 2500, seed = 7), .pv_pair_boot(X, 2500, seed = 7))
  expect_false(identical(.pv_pair_boot(X, 2500, seed = 7), .pv_pair_boot(X, 2500, seed = 8)))
  expect_identical(.pv_pair_boot(X, 2500, seed = 7)[1:1000, ], .pv_pair_boot(X, 1000, seed = 7))
})

test_that("model bootstrap: a draw's mean over pairs of distinct drawn models, by an explicit loop", {
  tab <- make_rank_table(seed = 9, n_cn = 5, n_us = 4)
  tm <- plain_scores(tab)$term_means
  M <- tapply(tm$rank, list(tm$term, tm$model), identity)
  R <- cor(M[, grepl("^cn", colnames(M))], method = "spearman")
  draws <- .pv_model_boot(list(R), nboot = 7, seed = 11)[, 1]
  # the same draws by hand: L'Ecuyer-CMRG stream of set.seed(11), one block of 7 draws
  old <- RNGkind()[1]
  RNGkind("L'Ecuyer-CMRG"); set.seed(11)
  idx <- matrix(sample.int(5, 5 * 7, replace = TRUE), nrow = 7, byrow = TRUE)
  RNGkind(old)
  by_hand <- apply(idx, 1, function(d) {
    vals <- c()
    for (a in 1:4) for (b in (a + 1):5) if (d[a] != d[b]) vals <- c(vals, R[d[a], d[b]])
    if (length(vals)) mean(vals) else NA
  })
  expect_equal(draws, by_hand, tolerance = 1e-12)
})

test_that("cohesion test: difference of within-group mean correlations and its exact permutation p", {
  tab <- make_rank_table(seed = 15, n_cn = 4, n_us = 3)
  tm <- plain_scores(tab)$term_means
  M <- tapply(tm$rank, list(tm$term, tm$model), identity)
  K <- cor(M, method = "kendall")
  models <- colnames(M)
  within <- function(g) { k <- K[g, g]; mean(k[upper.tri(k)]) }
  cn <- grepl("^cn", models)
  obs <- within(models[cn]) - within(models[!cn])
  splits <- combn(7, 4)
  perm <- apply(splits, 2, function(s) within(models[s]) - within(models[-s]))
  co <- pv_cohesion_test(tab, nboot = 500)
  k <- co[co$method == "kendall", ]
  expect_equal(c(k$mean1, k$mean2, k$diff), c(within(models[cn]), within(models[!cn]), obs), tolerance = 1e-12)
  expect_equal(k$p_perm, mean(abs(perm) >= abs(obs) - 1e-12), tolerance = 1e-15)
  expect_equal(k$n_perm, 35)
  expect_true(k$ci_low <= obs && obs <= k$ci_high)
})

test_that("Kendall's tau-b matrix as one matrix product is identical to cor(method = 'kendall')", {
  set.seed(12)
  for (p in c(2, 9, 60)) {
    M <- matrix(sample(1:6, 25 * p, replace = TRUE), 25, dimnames = list(NULL, paste0("m", seq_len(p))))
    expect_identical(.pv_kendall(M), cor(M, method = "kendall"))            # many ties
    M2 <- round(matrix(stats::rnorm(25 * p), 25), 3)
    expect_identical(.pv_kendall(M2), cor(M2, method = "kendall"))
  }
  M[, 2] <- 3                                                                 # no variation: cor()'s NA
  expect_identical(suppressWarnings(.pv_kendall(M)), suppressWarnings(cor(M, method = "kendall")))
})
