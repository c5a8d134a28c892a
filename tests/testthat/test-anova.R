# R/anova.R: the dispersion and mixed ANOVAs (afex) and the post hoc tests.
# Each against the reference R package or base R function called directly on the same data,
# or against a hand computation.

test_that("dispersion ANOVA equals afex::aov_ez and car's GG correction", {
  tab <- make_rank_table(seed = 3)
  sc <- plain_scores(tab)$scores
  fit <- suppressMessages(afex::aov_ez("model", "sd_within", sc, within = "dimension",
                                       anova_table = list(es = "pes", correction = "none")))
  ours <- pv_dispersion_anova(tab)
  expect_equal(ours$F, fit$anova_table$F, tolerance = 1e-10)
  expect_equal(ours$p, fit$anova_table$`Pr(>F)`, tolerance = 1e-10)
  expect_equal(ours$pes, fit$anova_table$pes, tolerance = 1e-10)
  expect_equal(c(ours$df1, ours$df2), c(4, 76))
  gg <- suppressMessages(afex::aov_ez("model", "sd_within", sc, within = "dimension",
                                      anova_table = list(correction = "GG")))
  expect_equal(ours$p_gg, gg$anova_table$`Pr(>F)`, tolerance = 1e-10)
  expect_equal(ours$gg_eps * 4, gg$anova_table$`num Df`, tolerance = 1e-10)
})

test_that("Bonferroni post hoc equals pairwise.t.test and rstatix::pairwise_t_test", {
  skip_if_not_installed("rstatix")  # Suggests: the independent reference
  tab <- make_rank_table(seed = 4)
  sc <- plain_scores(tab)$scores
  sc <- sc[order(sc$dimension, sc$model), ]
  ph <- pv_dispersion_posthoc(tab)
  ref <- pairwise.t.test(sc$sd_within, sc$dimension, paired = TRUE, p.adjust.method = "bonferroni")$p.value
  row <- ph[ph$group1 == "Practical" & ph$group2 == "Personal", ]
  expect_equal(row$p_adj, ref["Practical", "Personal"], tolerance = 1e-10)
  x <- sc$sd_within[sc$dimension == "Practical"]
  y <- sc$sd_within[sc$dimension == "Personal"]
  expect_equal(row$statistic, unname(t.test(x, y, paired = TRUE)$statistic), tolerance = 1e-10)
  rs <- rstatix::pairwise_t_test(sc, sd_within ~ dimension, paired = TRUE, p.adjust.method = "bonferroni")
  rs_row <- rs[rs$group1 == "Personal" & rs$group2 == "Practical" | rs$group1 == "Practical" & rs$group2 == "Personal", ]
  expect_equal(abs(row$statistic), abs(unname(rs_row$statistic)), tolerance = 1e-10)
  expect_equal(nrow(ph), 10)
})

test_that("mixed ANOVA: within effects equal afex; the country effect is flagged not estimable", {
  tab <- make_rank_table(seed = 6)
  sc <- plain_scores(tab)$scores
  fit <- suppressMessages(afex::aov_ez("model", "score", sc, between = "country", within = "dimension",
                                       type = 3, anova_table = list(es = "pes", correction = "none")))
  ours <- pv_mixed_anova(tab)
  at <- fit$anova_table
  for (eff in c("dimension", "country:dimension")) {
    expect_equal(ours$F[ours$effect == eff], at[eff, "F"], tolerance = 1e-8)
    expect_equal(ours$pes[ours$effect == eff], at[eff, "pes"], tolerance = 1e-8)
  }
  expect_true(is.na(ours$F[ours$effect == "country"]))
  expect_match(ours$note[ours$effect == "country"], "not estimable")
  expect_equal(ours$df2[ours$effect == "country"], 18)
})

test_that("mixed ANOVA: groups given in the other order give the same F (afex direct, US first)", {
  tab <- make_rank_table(seed = 7)
  sc <- plain_scores(tab)$scores
  sc$country <- factor(sc$country, levels = c("US", "CN"))
  fit <- suppressMessages(afex::aov_ez("model", "score", sc, between = "country", within = "dimension",
                                       type = 3, anova_table = list(es = "pes", correction = "none")))
  ours <- pv_mixed_anova(tab, groups = c("US", "CN"))
  expect_equal(ours$F[ours$effect == "country:dimension"], fit$anova_table["country:dimension", "F"],
               tolerance = 1e-8)
  expect_equal(ours$pes[ours$effect == "dimension"], fit$anova_table["dimension", "pes"], tolerance = 1e-8)
})
