# The language analysis against R called directly (wilcox.test, afex::aov_ez, cor, the
# textbook W formula) on the same data, the per-language means computed the plain way.

# Two-language table: every model ranked in zh and en (`reps` each, a zh shift on a few
# terms), plus the awkward cases: cn01 has 3 zh and 1 en ranking (unbalanced languages),
# us_en_only has rankings in en only.
make_two_language_table <- function(seed = 21, n_cn = 6, n_us = 6, reps = 2) {
  set.seed(seed)
  inst <- pv_instrument()
  shift <- ifelse(inst$dimension == "Social", -4, ifelse(inst$dimension == "Personal", 3, 0))
  one <- function(name, country, n_zh, n_en) {
    base <- sample(25) + if (country == "US") 2 * (inst$dimension == "Epistemic") else 0
    rk <- function(lang, r) {
      s <- base + stats::rnorm(25, sd = 4) + if (lang == "zh") shift else 0
      data.frame(model = name, country = country, language = lang, replicate = r, term = inst$term,
                 rank = rank(s, ties.method = "first"), stringsAsFactors = FALSE)
    }
    do.call(rbind, c(lapply(seq_len(n_zh), function(r) rk("zh", r)), lapply(seq_len(n_en), function(r) rk("en", r))))
  }
  rbind(one("cn01", "CN", 3, 1),
        do.call(rbind, lapply(2:n_cn, function(i) one(sprintf("cn%02d", i), "CN", reps, reps))),
        do.call(rbind, lapply(seq_len(n_us), function(i) one(sprintf("us%02d", i), "US", reps, reps))),
        one("us_en_only", "US", 0, 3))
}

# per model, language and term: the plain mean of the ranks (aggregate, sum / count)
plain_language_means <- function(tab) {
  avg <- function(x) sum(x) / length(x)
  stats::aggregate(rank ~ model + country + language + term, data = tab, FUN = avg)
}

plain_language_scores <- function(tab) {
  inst <- pv_instrument()
  avg <- function(x) sum(x) / length(x)
  tab$dimension <- inst$dimension[match(tab$term, inst$term)]
  stats::aggregate(rank ~ model + country + language + dimension, data = tab, FUN = avg)
}

paired_models <- function(tab) {
  n <- table(tab$model, tab$language)
  rownames(n)[n[, "zh"] > 0 & n[, "en"] > 0]
}

test_that("the test table has the awkward shapes it is meant to have", {
  tab <- make_two_language_table()
  per <- tapply(paste(tab$language, tab$replicate), list(tab$model, tab$language), function(x) length(unique(x)))
  expect_equal(unname(per["cn01", c("zh", "en")]), c(3, 1))
  expect_true(is.na(per["us_en_only", "zh"]))
})

test_that("language_term_tests equals wilcox.test(zh, en, paired = TRUE) per term", {
  tab <- make_two_language_table()
  ref <- plain_language_means(tab)
  models <- sort(paired_models(tab))
  ours <- pv_language_term_tests(tab)
  expect_named(ours, c("term", "dimension", "n_models", "mean_zh", "mean_en", "median_diff", "V", "p", "q",
                       "r_rb", "method", "note"))
  for (t in pv_instrument()$term) {
    zh <- ref$rank[ref$term == t & ref$language == "zh"][match(models, ref$model[ref$term == t & ref$language == "zh"])]
    en <- ref$rank[ref$term == t & ref$language == "en"][match(models, ref$model[ref$term == t & ref$language == "en"])]
    w <- suppressWarnings(wilcox.test(zh, en, paired = TRUE))
    row <- ours[ours$term == t, ]
    expect_equal(row$n_models, length(models))
    expect_equal(row$V, unname(w$statistic), tolerance = 1e-12)
    expect_equal(row$p, w$p.value, tolerance = 1e-12)
    expect_identical(row$method, w$method)
    expect_equal(row$mean_zh, mean(zh), tolerance = 1e-12)
    expect_equal(row$mean_en, mean(en), tolerance = 1e-12)
    expect_equal(row$median_diff, median(zh - en), tolerance = 1e-12)
    # matched-pairs rank-biserial from V (Kerby 2014): 4V / (n'(n'+1)) - 1, n' non-zero diffs
    nz <- sum(zh != en)
    expect_equal(row$r_rb, 4 * unname(w$statistic) / (nz * (nz + 1)) - 1, tolerance = 1e-12)
  }
  expect_equal(ours$q, p.adjust(ours$p, "BH"))
  expect_true(all(grepl("us_en_only (en only)", ours$note, fixed = TRUE)))
  # the unbalanced model's zh mean is its 3 rankings' rank sum / 3, its en mean its one ranking
  cn01 <- tab[tab$model == "cn01" & tab$term == "Harmony", ]
  expect_equal(sum(cn01$rank[cn01$language == "zh"]) / 3,
               ref$rank[ref$model == "cn01" & ref$term == "Harmony" & ref$language == "zh"])
})

test_that("language_term_tests: all-zero differences give NA p and r_rb with a note", {
  tab <- make_two_language_table(seed = 5)
  # copy each model's first zh ranking to en: every term's differences are zero for
  # models with one ranking per language
  inst <- pv_instrument()
  one <- function(m) {
    z <- tab[tab$model == m & tab$language == "zh" & tab$replicate == 1, ]
    rbind(z, transform(z, language = "en"))
  }
  same <- do.call(rbind, lapply(c("cn02", "cn03", "us01"), one))
  ours <- pv_language_term_tests(same)
  expect_true(all(is.na(ours$p)))
  expect_true(all(is.na(ours$r_rb)))
  expect_true(all(ours$V == 0))
  expect_true(all(grepl("every difference is zero", ours$note)))
  w <- suppressWarnings(wilcox.test(c(1, 2, 3), c(1, 2, 3), paired = TRUE))
  expect_true(is.na(w$p.value))
})

test_that("language_dimension_tests equals wilcox.test on plainly computed dimension scores", {
  tab <- make_two_language_table(seed = 8)
  sc <- plain_language_scores(tab)
  models <- sort(paired_models(tab))
  ours <- pv_language_dimension_tests(tab)
  expect_named(ours, c("dimension", "n_models", "mean_zh", "mean_en", "median_diff", "V", "p", "q", "r_rb",
                       "method", "note"))
  for (dm in pv_dimensions()) {
    get <- function(l) {
      x <- sc[sc$dimension == dm & sc$language == l, ]
      x$rank[match(models, x$model)]
    }
    zh <- get("zh"); en <- get("en")
    w <- suppressWarnings(wilcox.test(zh, en, paired = TRUE))
    row <- ours[ours$dimension == dm, ]
    expect_equal(row$V, unname(w$statistic))
    expect_equal(row$p, w$p.value, tolerance = 1e-12)
    expect_identical(row$method, w$method)
    expect_equal(row$median_diff, median(zh - en), tolerance = 1e-12)
  }
  expect_equal(ours$q, p.adjust(ours$p, "BH"))
  # the score is the rank sum over 5 terms divided once by 5 x rankings: an exact double
  x <- tab[tab$model == "cn01" & tab$language == "zh", ]
  x <- x[x$term %in% pv_instrument()$term[pv_instrument()$dimension == "Social"], ]
  s <- .pv_language_sums(pv_validate(tab))
  j <- s$inst$dimension == "Social"
  expect_identical(sum(s$sums$zh["cn01", j]) / (5 * 3), sum(x$rank) / 15)
})

test_that("language_anova equals afex::aov_ez country x language x dimension, 0/0 effects NA", {
  tab <- make_two_language_table(seed = 13)
  sc <- plain_language_scores(tab)
  sc <- sc[sc$model %in% paired_models(tab), ]
  names(sc)[names(sc) == "rank"] <- "score"
  fit <- suppressWarnings(suppressMessages(afex::aov_ez(
    "model", "score", sc, between = "country", within = c("language", "dimension"),
    type = 3, anova_table = list(es = "pes", correction = "none"))))
  gg <- suppressWarnings(suppressMessages(afex::aov_ez(
    "model", "score", sc, between = "country", within = c("language", "dimension"),
    type = 3, anova_table = list(correction = "GG"))))
  ours <- pv_language_anova(tab)
  expect_identical(ours$effect, c("country", "language", "dimension", "country:language", "country:dimension",
                                  "language:dimension", "country:language:dimension"))
  for (e in c("dimension", "country:dimension", "language:dimension", "country:language:dimension")) {
    row <- ours[ours$effect == e, ]
    expect_equal(row$F, fit$anova_table[e, "F"], tolerance = 1e-10)
    expect_equal(row$p, fit$anova_table[e, "Pr(>F)"], tolerance = 1e-10)
    expect_equal(row$pes, fit$anova_table[e, "pes"], tolerance = 1e-10)
    expect_equal(c(row$df1, row$df2), c(fit$anova_table[e, "num Df"], fit$anova_table[e, "den Df"]))
    expect_equal(row$p_gg, gg$anova_table[e, "Pr(>F)"], tolerance = 1e-10)
    expect_equal(row$gg_eps * 4, gg$anova_table[e, "num Df"], tolerance = 1e-10)
  }
  # complete rankings: every model x language average of the 5 scores is 13
  cell <- tapply(sc$score, paste(sc$model, sc$language), mean)
  expect_true(all(abs(cell - 13) < 1e-12))
  for (e in c("country", "language", "country:language")) {
    row <- ours[ours$effect == e, ]
    expect_true(is.na(row$F) && is.na(row$p) && is.na(row$pes))
    expect_match(row$note, "0/0")
  }
  expect_true(all(grepl("us_en_only", ours$note)))
  expect_equal(ours$df2[ours$effect == "dimension"], 4 * (length(paired_models(tab)) - 2))
})

test_that("language_consistency equals cor() and the textbook W formula per language", {
  tab <- make_two_language_table(seed = 17)
  ref <- plain_language_means(tab)
  inst <- pv_instrument()
  ours <- pv_language_consistency(tab)
  expect_named(ours, c("model", "country", "spearman", "kendall", "W_zh", "W_en", "n_zh", "n_en", "note"))
  # W = 12 S / (m^2 (n^3 - n)), S the sum of squared deviations of the term rank sums
  w_formula <- function(x) {
    m <- length(unique(x$replicate)); n <- 25
    if (m < 2) return(NA_real_)
    R <- tapply(x$rank, x$term, sum)
    12 * sum((R - mean(R))^2) / (m^2 * (n^3 - n))
  }
  for (m in unique(tab$model)) {
    row <- ours[ours$model == m, ]
    expect_equal(row$W_zh, w_formula(tab[tab$model == m & tab$language == "zh", ]), tolerance = 1e-12)
    expect_equal(row$W_en, w_formula(tab[tab$model == m & tab$language == "en", ]), tolerance = 1e-12)
    expect_equal(row$n_zh, length(unique(tab$replicate[tab$model == m & tab$language == "zh"])))
    if (m == "us_en_only") {
      expect_true(is.na(row$spearman) && is.na(row$kendall))
      expect_match(row$note, "no rankings in zh")
      next
    }
    zh <- ref[ref$model == m & ref$language == "zh", ]
    en <- ref[ref$model == m & ref$language == "en", ]
    a <- zh$rank[match(inst$term, zh$term)]
    b <- en$rank[match(inst$term, en$term)]
    expect_equal(row$spearman, cor(a, b, method = "spearman"), tolerance = 1e-12)
    expect_equal(row$kendall, cor(a, b, method = "kendall"), tolerance = 1e-12)
  }
  expect_true(is.na(ours$W_en[ours$model == "cn01"]))  # one en ranking: W needs two
  # concordance: pooled W plus the within-language W beside it, same values
  co <- pv_concordance(tab)
  expect_identical(names(co)[4:6], c("W", "W_zh", "W_en"))
  expect_equal(co$W_zh[match(ours$model, co$model)], ours$W_zh)
})

test_that("language_consistency_summary: mean rho per country, bootstrap over models", {
  tab <- make_two_language_table(seed = 17)
  lc <- pv_language_consistency(tab)
  lc <- lc[!is.na(lc$spearman), ]
  sm <- pv_language_consistency_summary(tab, nboot = 2000, seed = 7)
  cn <- sm[sm$group == "CN" & sm$method == "spearman", ]
  x <- lc$spearman[lc$country == "CN"]
  expect_equal(cn$mean, mean(x))
  expect_equal(cn$n_models, length(x))
  expect_equal(cn$sd, sd(x))
  # the percentile bootstrap of the mean over models, drawn as sample.int(k, k * nboot)
  set.seed(7)
  idx <- matrix(sample.int(length(x), length(x) * 2000, replace = TRUE), nrow = 2000)
  boots <- rowMeans(matrix(x[idx], nrow = 2000))
  expect_equal(c(cn$ci_low, cn$ci_high), unname(quantile(boots, c(0.025, 0.975))), tolerance = 1e-12)
  expect_equal(sm$n_models[sm$group == "all"][1], nrow(lc))
})

test_that("pv_analyse adds the language tables for two languages and skips them for one", {
  tab <- make_two_language_table(seed = 3)
  res <- pv_analyse(tab, nboot = 10, ci_nboot = 200)
  for (n in c("language_term_tests", "language_dimension_tests", "language_anova", "language_consistency",
              "language_consistency_summary")) expect_true(n %in% names(res), info = n)
  one <- pv_analyse(make_rank_table(n_cn = 3, n_us = 3, seed = 4), nboot = 10, ci_nboot = 200)
  expect_false("language_term_tests" %in% names(one))
  expect_true(any(grepl("language_term_tests", one$skipped$analysis)))
  expect_match(one$skipped$reason[grepl("language_term_tests", one$skipped$analysis)], "one prompt language only")
  expect_error(pv_language_term_tests(tab, languages = c("zh", "fr")), "two different codes present")
})

test_that("a third language: zh and en compared by default, other models named in the note", {
  tab <- make_two_language_table(seed = 23)
  fr <- tab[tab$model == "us01" & tab$language == "en", ]
  fr$model <- "fr_only"
  fr$language <- "fr"
  tab3 <- rbind(tab, fr)
  ours <- pv_language_term_tests(tab3)
  expect_equal(ours$p, pv_language_term_tests(tab)$p)
  expect_match(ours$note[1], "fr_only (fr only)", fixed = TRUE)
  expect_match(ours$note[1], "us_en_only (en only)", fixed = TRUE)
  expect_identical(names(pv_concordance(tab3))[4:7], c("W", "W_zh", "W_en", "W_fr"))
  # two languages without zh: alphabetical order, columns named by the codes
  two <- tab3[tab3$language != "zh", ]
  two$language[two$model == "fr_only"] <- "fr"
  two <- rbind(two, transform(two[two$model == "us02" & two$language == "en", ], language = "fr"))
  et <- pv_language_term_tests(two)
  expect_true(all(c("mean_en", "mean_fr") %in% names(et)))
  expect_equal(et$n_models, rep(1, 25))
  x <- tab3[tab3$language %in% c("zh", "en", "fr"), ]
  x$language[x$language == "zh"] <- "de"
  expect_error(pv_language_term_tests(x), "choose two")
})
