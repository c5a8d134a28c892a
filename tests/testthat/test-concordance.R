# R/concordance.R: Kendall's W per model.
# Each against the reference R package or base R function called directly on the same data,
# or against a hand computation.

test_that("concordance equals friedman.test and rstatix::friedman_effsize", {
  skip_if_not_installed("rstatix")  # Suggests: the independent reference
  tab <- make_rank_table(seed = 12, reps = 3)
  co <- pv_concordance(tab)
  x <- tab[tab$model == "us02", ]
  ft <- friedman.test(rank ~ term | replicate, data = x)
  es <- rstatix::friedman_effsize(x, rank ~ term | replicate)
  row <- co[co$model == "us02", ]
  expect_equal(row$chisq, unname(ft$statistic), tolerance = 1e-12)
  expect_equal(row$p, ft$p.value, tolerance = 1e-12)
  expect_equal(row$W, unname(es$effsize), tolerance = 1e-10)
  expect_equal(row$df, 24)
  # identical replicates: W = 1, chi-square = m (n - 1) = 72
  same <- tab[tab$model == "cn01" & tab$replicate == 1, ]
  same3 <- rbind(transform(same, replicate = 1), transform(same, replicate = 2), transform(same, replicate = 3))
  expect_equal(pv_concordance(same3)$W, 1)
  expect_equal(pv_concordance(same3)$chisq, 72)
})
