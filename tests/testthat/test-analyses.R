# Each analysis against the reference R package or base R function called directly on
# the same data, or against a hand computation.

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

test_that("dimension tests equal wilcox.test, t.test and effectsize::hedges_g", {
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

test_that("Monte Carlo permutation p is within 4 standard errors of the exact p", {
  set.seed(3)
  x <- round(runif(12, 1, 25), 1); y <- round(runif(10, 3, 25), 1)
  exact <- pv_bm_permutation_test(x, y)$p
  mc <- .bm_permutation_mc(x, y, nperm = 4000, seed = 1)
  expect_lt(abs(mc - exact), 4 * sqrt(exact * (1 - exact) / 4000) + 1 / 4001)
  expect_identical(mc, .bm_permutation_mc(x, y, nperm = 4000, seed = 1))   # seeded
})

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

test_that("concordance equals friedman.test and rstatix::friedman_effsize", {
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
