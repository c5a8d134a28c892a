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
  # the naive pair bootstrap as before: sample.int over the 55 pairs (in the order
  # model1 < model2 by row) after set.seed, one nboot x pairs matrix filled by column
  ij <- which(upper.tri(cn), arr.ind = TRUE)
  v_rows <- cn[ij[order(ij[, 1], ij[, 2]), ]]
  set.seed(2026)
  idx <- matrix(sample.int(55, 55 * 2000, replace = TRUE), nrow = 2000)
  naive <- quantile(rowMeans(matrix(v_rows[idx], nrow = 2000)), c(0.025, 0.975))
  expect_equal(c(row$ci_low_pairs, row$ci_high_pairs), unname(naive), tolerance = 1e-12)
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
