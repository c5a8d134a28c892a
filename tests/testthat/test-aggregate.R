# R/aggregate.R: rank-table validation, term means, dimension scores.
# Each against the reference R package or base R function called directly on the same data,
# or against a hand computation.

test_that("term means and dimension scores: hand computation on a two-ranking model", {
  inst <- pv_instrument()
  r1 <- seq_len(25)
  r2 <- c(2, 1, 3:25)
  tab <- data.frame(model = "m", country = "CN", language = "en", replicate = rep(1:2, each = 25),
                    term = rep(inst$term, 2), rank = c(r1, r2))
  tm <- pv_model_term_means(tab)
  expect_equal(tm$mean_rank[tm$term == "Helpfulness"], 1.5)       # (1 + 2) / 2
  expect_equal(tm$mean_rank[tm$term == "Professionalism"], 1.5)    # (2 + 1) / 2
  ds <- pv_model_dimension_scores(tab)
  # Practical = first five terms: ranks 1..5 in both rankings -> mean 3, SD of (1.5,1.5,3,4,5)
  expect_equal(ds$score[ds$dimension == "Practical"], 3)
  expect_equal(ds$sd_within[ds$dimension == "Practical"], sd(c(1.5, 1.5, 3, 4, 5)))
  expect_equal(ds$score[ds$dimension == "Personal"], mean(21:25))
  # complete rankings: the five dimension scores average (1 + 25) / 2
  expect_equal(mean(ds$score), 13)
})

test_that("equal scores are equal doubles (rank sums divided once)", {
  tab <- make_rank_table(seed = 11)
  ds <- pv_model_dimension_scores(tab)
  num <- stats::aggregate(rank ~ model + dimension, data = pv_validate(tab), FUN = sum)
  key <- paste(ds$model, ds$dimension)
  expect_identical(ds$score, num$rank[match(key, paste(num$model, num$dimension))] / 15)
})

test_that("dimension scores agree with a plain aggregate() computation", {
  tab <- make_rank_table(seed = 2)
  ref <- plain_scores(tab)$scores
  ds <- pv_model_dimension_scores(tab)
  i <- match(paste(ds$model, ds$dimension), paste(ref$model, ref$dimension))
  expect_equal(ds$score, ref$score[i], tolerance = 1e-12)
  expect_equal(ds$sd_within, ref$sd_within[i], tolerance = 1e-12)
})

test_that("pv_validate names the problem", {
  tab <- make_rank_table(n_cn = 2, n_us = 2, reps = 1, seed = 14)
  bad <- tab; bad$term[3] <- "Acuracy"
  expect_error(pv_validate(bad), "unknown term")
  bad <- tab; bad$rank[1] <- 26
  expect_error(pv_validate(bad), "outside 1..25")
  bad <- tab; bad$rank[2] <- bad$rank[1]
  expect_error(pv_validate(bad), "not a permutation")
  bad <- tab; bad$country[1] <- "US"
  expect_error(pv_validate(bad), "more than one country")
})
