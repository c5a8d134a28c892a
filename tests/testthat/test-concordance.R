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

test_that("W per language equals friedman.test on that language's rankings (models in one and in two languages)", {
  tab <- make_rank_table(n_cn = 4, n_us = 3, seed = 14, reps = 4)
  tab$language <- ifelse(tab$country == "CN", "zh", "en")
  tab$language[tab$model == "cn02" & tab$replicate >= 3] <- "en"   # two rankings in each language
  co <- pv_concordance(tab)
  w_of <- function(x) {
    if (length(unique(x$replicate)) < 2) return(NA_real_)
    ft <- friedman.test(rank ~ term | replicate, data = x)
    unname(ft$statistic) / (length(unique(x$replicate)) * 24)
  }
  for (m in unique(tab$model)) for (l in c("zh", "en")) {
    expect_equal(co[co$model == m, paste0("W_", l)], w_of(tab[tab$model == m & tab$language == l, ]),
                 tolerance = 1e-12, info = paste(m, l))
  }
  # a model whose rankings are all in one language: its W there is its pooled W, exactly
  one <- co$model != "cn02"
  expect_identical(ifelse(grepl("^cn", co$model[one]), co$W_zh[one], co$W_en[one]), co$W[one])
})
