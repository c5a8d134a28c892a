# R/clustering.R: clustering into archetypes (pvclust).
# Each against the reference R package or base R function called directly on the same data,
# or against a hand computation.

test_that("clustering equals pvclust called directly", {
  tab <- make_rank_table(seed = 10, n_cn = 5, n_us = 4)
  tm <- plain_scores(tab)$term_means
  inst <- pv_instrument()
  M <- tapply(tm$rank, list(factor(tm$term, levels = inst$term), tm$model), identity)
  pv <- pvclust::pvclust(M, nboot = 100, iseed = 1, quiet = TRUE)
  cl <- pv_cluster_models(tab, k = 3, nboot = 100, seed = 1)
  expect_equal(cl$cluster_edges$au, pv$edges$au, tolerance = 1e-12)
  expect_equal(cl$cluster_edges$height, pv$hclust$height, tolerance = 1e-12)
  ref <- cutree(pv$hclust, k = 3)
  ours <- setNames(cl$clusters$cluster, cl$clusters$model)[names(ref)]
  expect_equal(as.vector(table(ref, ours) > 0) |> sum(), 3)   # the same partition, up to labels
})
