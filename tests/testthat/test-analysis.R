# R/analysis.R: pv_analyse(), its skip rules and group choice.
# Each against the reference R package or base R function called directly on the same data,
# or against a hand computation.

test_that("pv_analyse skips what the shape does not allow, and says why", {
  one_country <- make_rank_table(n_cn = 6, n_us = 0, reps = 1, seed = 13)
  res <- pv_analyse(one_country, nboot = 50, ci_nboot = 200)
  expect_false("dimension_tests" %in% names(res))
  expect_match(paste(res$skipped$reason, collapse = " "), "two countries")
  expect_true("dispersion_anova" %in% names(res))
  # concordance is kept: one row per model, NA with a note
  expect_equal(nrow(res$concordance), 6)
  expect_true(all(is.na(res$concordance$W)))
})

test_that("pv_analyse: a family R cannot compute is a skipped row with R's own message", {
  tab <- make_rank_table(seed = 16)
  for (g in c("CN", "US")) {
    src <- tab[tab$model == if (g == "CN") "cn01" else "us01", ]
    for (m in unique(tab$model[tab$country == g])) tab[tab$model == m, "rank"] <- src$rank
  }
  res <- pv_analyse(tab, nboot = 20, ci_nboot = 200)
  # R's message, from t.test called directly on constant groups
  msg <- tryCatch(t.test(c(1, 1, 1), c(2, 2, 2)), error = conditionMessage)
  expect_equal(res$skipped$message[res$skipped$analysis == "dimension_tests"], msg)
  expect_match(res$skipped$reason[res$skipped$analysis == "dimension_tests"], "do not vary")
  expect_true(all(c("term_tests", "cohesion_test", "correlations", "clusters", "concordance") %in% names(res)))
})

test_that("pv_analyse: three countries compare the two with most models; unknown names fail first", {
  tab <- make_rank_table(seed = 17)
  uk <- transform(make_rank_table(n_cn = 1, n_us = 0, seed = 18), model = "uk01", country = "UK")
  res <- pv_analyse(rbind(tab, uk), nboot = 20, ci_nboot = 200)
  expect_equal(unlist(res$groups_compared[, c("group1", "group2")]), c(group1 = "CN", group2 = "US"))
  expect_match(res$groups_compared$rule, "not compared: UK")
  expect_equal(res$dimension_tests$p_mwu, pv_dimension_tests(tab)$p_mwu)
  expect_error(pv_analyse(tab, groups = c("CN", "JP")),
               "'JP' is not a country of the rank table; countries present: CN \\(11 models\\), US \\(9 models\\)")
})

test_that("pv_analyse(overlap = TRUE): the afex ANOVAs from a second R process, identical to one process", {
  skip_on_cran()
  # overlap is used only while afex is not loaded here (earlier tests loaded it)
  fresh <- function() if (isNamespaceLoaded("afex")) unloadNamespace("afex")
  tab <- make_rank_table(seed = 21)
  one_country <- make_rank_table(n_cn = 6, n_us = 0, reps = 1, seed = 13)
  fresh()
  side <- pv_analyse(tab, nboot = 20, ci_nboot = 200, overlap = TRUE)
  expect_false(isNamespaceLoaded("afex"))  # the ANOVAs were fitted in the other process
  # a family the worker skips keeps its place among the skipped rows (one country: no mixed ANOVA)
  side_one <- pv_analyse(one_country, nboot = 20, ci_nboot = 200, overlap = TRUE)
  expect_false(isNamespaceLoaded("afex"))
  expect_identical(side, pv_analyse(tab, nboot = 20, ci_nboot = 200))
  expect_identical(side_one, pv_analyse(one_country, nboot = 20, ci_nboot = 200))
  expect_true("mixed_anova" %in% side_one$skipped$analysis)
  # and the numbers are afex's, called directly here on the same dimension SDs
  ds <- pv_model_dimension_scores(tab)
  ds$dimension <- factor(ds$dimension, levels = pv_dimensions())
  direct <- suppressMessages(afex::aov_ez(id = "model", dv = "sd_within", data = ds, within = "dimension",
                                          type = 3, anova_table = list(es = "pes", correction = "none")))
  expect_equal(side$dispersion_anova$F, direct$anova_table[["F"]])
})

test_that("pv_analyse(overlap = TRUE): a worker that is gone gives NULL, so the ANOVAs are computed here", {
  skip_on_cran()
  tab <- pv_validate(make_rank_table(seed = 22))
  side <- .pv_side_start(tab, NULL)
  expect_equal(side$families, c("dispersion_anova", "mixed_anova"))
  .pv_side_stop(side)  # the worker ends before its result is read
  expect_null(.pv_side_collect(side))
})

test_that("with two PSOCK workers the bootstrap runs while the other tables are computed: the same tables", {
  skip_on_cran()
  tab <- make_rank_table(n_cn = 12, n_us = 10, seed = 51)
  cl <- parallel::makePSOCKcluster(2)
  on.exit(parallel::stopCluster(cl), add = TRUE)
  res <- pv_analyse(tab, nboot = 60, ci_nboot = 1500, nperm = 1500, cluster = cl)
  # each resampling family as computed alone on the workers, in order
  expect_identical(res$correlations, pv_correlations(tab, nboot = 1500, cluster = cl))
  expect_identical(res$term_tests, pv_term_tests(tab, nperm = 1500, cluster = cl))
  expect_identical(res$cohesion_test, pv_cohesion_test(tab, nboot = 1500, nperm = 1500, cluster = cl))
  tm <- pv_model_term_means(tab)
  models <- unique(tm$model)
  M <- matrix(tm$mean_rank[order(match(tm$model, models), match(tm$term, pv_instrument()$term))], nrow = 25)
  ref <- pvclust::pvclust(M, nboot = 60, iseed = 2026, quiet = TRUE, parallel = cl)
  expect_identical(res$cluster_edges$au, ref$edges$au)
  expect_identical(res$cluster_edges$se_bp, ref$edges$se.bp)
  expect_identical(res[c("clusters", "cluster_edges", "archetypes")],
                   pv_cluster_models(tab, nboot = 60, seed = 2026, cluster = cl, quiet = TRUE))
  # the tables in the order of the contract, the workers usable afterwards
  serial <- pv_analyse(tab, nboot = 60, ci_nboot = 1500, nperm = 1500)
  expect_identical(names(res), names(serial))
  expect_identical(res$skipped, serial$skipped)
  expect_identical(unlist(parallel::clusterEvalQ(cl, 1 + 1)), c(2, 2))
})
