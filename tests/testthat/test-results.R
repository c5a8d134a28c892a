# The pv_results object of pv_analyse(): printing as afex's nice() does, and table access.

test_that("pv_nice writes an ANOVA row as afex::nice() does (same F, df, p, pes)", {
  data(obk.long, package = "afex")
  a <- suppressMessages(suppressWarnings(afex::aov_ez("id", "value", obk.long, within = "phase",
                                                        anova_table = list(correction = "none", es = "pes"))))
  at <- a$anova_table
  tab <- data.frame(effect = "phase", df1 = at$`num Df`, df2 = at$`den Df`, F = at$F,
                    p = at$`Pr(>F)`, pes = at$pes)
  line <- pv_nice(tab)
  ni <- afex::nice(a)          # afex's own formatting of the same ANOVA
  f_afex <- trimws(sub("[*+ ]+$", "", ni$F))
  expect_true(grepl(sprintf("F(%s, %s) = %s,", ni$df[1] |> sub(pattern = ", .*", replacement = ""),
                            sub(".*, ", "", ni$df[1]), f_afex), line, fixed = TRUE))
  expect_true(grepl(sprintf("\u03b7\u00b2p = %s", trimws(ni$pes)), line, fixed = TRUE))
})

test_that("pv_nice: hand-formatted rows, bounds and a not-estimable effect", {
  tab <- data.frame(effect = c("dimension", "country", "x"), df1 = c(4, 1, 4), df2 = c(76, 18, 72),
                    F = c(12.3349, NA, 0.4412), p = c(8.85e-8, NA, 0.7768), pes = c(0.3936, NA, 0.0239),
                    note = c("", "F is 0/0", ""))
  out <- pv_nice(tab)
  expect_identical(out[1], "dimension: F(4, 76) = 12.33, p < .001, \u03b7\u00b2p = .394")
  expect_identical(out[2], "country: F(1, 18) = NA (F is 0/0)")
  expect_identical(out[3], "x: F(4, 72) = 0.44, p = .777, \u03b7\u00b2p = .024")
})

test_that("pv_analyse returns a pv_results object that prints compactly and gives its tables", {
  tab <- make_rank_table(n_cn = 3, n_us = 3, reps = 2, seed = 5)
  res <- pv_analyse(tab, nboot = 20, ci_nboot = 50)
  expect_s3_class(res, "pv_results")
  out <- capture.output(print(res))
  expect_lt(length(out), 60)
  an <- res$dispersion_anova
  expect_true(any(grepl(sprintf("F(%d, %d) = %.2f", an$df1, an$df2, an$F), out, fixed = TRUE)))
  expect_identical(as.data.frame(res, table = "term_tests"), res[["term_tests"]])
  expect_error(as.data.frame(res, table = "nope"), "no table 'nope'")
  expect_identical(capture.output(summary(res)), out)
  # 3 vs 3 models: significance is read from the permutation q (as the Python summary does),
  # counted here directly from the table
  tt <- res$term_tests
  expect_true(any(grepl(sprintf("by the studentized permutation p (recommended: a group has 3 models, fewer than 10): %d of %d terms q_perm < .05",
                                sum(tt$q_perm < 0.05, na.rm = TRUE), nrow(tt)), out, fixed = TRUE)))
})

test_that("the term tests' p is chosen by the Python summary's rule (group size, undefined p)", {
  mk <- function(n1, n2, p) data.frame(n1 = n1, n2 = n2, p = p, q = p, p_perm = 0.5, q_perm = 0.5)
  expect_identical(.pv_term_test_p(mk(11, 9, c(0.01, 0.2)))$q, "q_perm")     # a group of 9 < 10
  expect_identical(.pv_term_test_p(mk(10, 12, c(0.01, 0.2)))$q, "q")         # both >= 10
  expect_identical(.pv_term_test_p(mk(10, 12, c(NA, 0.2)))$q, "q_perm")      # undefined asymptotic p
  expect_match(.pv_term_test_p(mk(10, 12, c(NA, 0.2)))$why, "undefined for 1 terms")
  expect_identical(.pv_term_test_p(data.frame(p = 0.1, q = 0.1))$q, "q")     # no permutation p
})
