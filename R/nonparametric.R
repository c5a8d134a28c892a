#' Group comparison per dimension: Mann-Whitney U and Welch's t
#'
#' For each dimension, the model dimension scores of the first group (CN) against the
#' second (US): `stats::wilcox.test(x = CN, y = US)` with R's defaults (exact p when
#' there are no ties and both samples are below 50, otherwise the normal approximation
#' with continuity correction; `method` names which), U as R's W statistic,
#' rank-biserial r = 1 - 2U / (n_cn n_us); Welch's `stats::t.test(x = CN, y = US)` with
#' Hedges' g (pooled SD, exact small-sample correction, as `effectsize::hedges_g`);
#' Benjamini-Hochberg q across the five dimensions for each test.
#'
#' @param rank_table a rank table.
#' @param groups the two country labels, first one first (see [mixed_anova()]).
#' @return `dimension, group1, group2, n_cn, n_us, median_cn, median_us, mean_cn, sd_cn,
#'   mean_us, sd_us, U, p_mwu, q_mwu, r_rb, t, df, p_welch, q_welch, hedges_g, method`
#'   (`_cn` columns belong to `group1`, `_us` to `group2`).
#' @examples
#' dimension_tests(paper2026_reconstruction)
#' @export
dimension_tests <- function(rank_table, groups = NULL) {
  ds <- model_dimension_scores(rank_table)
  groups <- .pv_groups(ds$country, groups)
  out <- do.call(rbind, lapply(pv_dimensions(), function(dm) {
    x <- ds$score[ds$dimension == dm & ds$country == groups[1]]
    y <- ds$score[ds$dimension == dm & ds$country == groups[2]]
    # R's default variant; the ties warning is expected (the method column names the
    # normal approximation it falls back to), so it is not passed on
    w <- withCallingHandlers(stats::wilcox.test(x, y), warning = function(w) {
      if (grepl("cannot compute exact p-value with ties", conditionMessage(w))) invokeRestart("muffleWarning")
    })
    tt <- stats::t.test(x, y, var.equal = FALSE)
    data.frame(dimension = dm, group1 = groups[1], group2 = groups[2],
               n_cn = length(x), n_us = length(y),
               median_cn = stats::median(x), median_us = stats::median(y),
               mean_cn = mean(x), sd_cn = stats::sd(x), mean_us = mean(y), sd_us = stats::sd(y),
               U = unname(w$statistic), p_mwu = w$p.value,
               r_rb = 1 - 2 * unname(w$statistic) / (length(x) * length(y)),
               t = unname(tt$statistic), df = unname(tt$parameter), p_welch = tt$p.value,
               hedges_g = .pv_hedges_g(x, y), method = w$method, stringsAsFactors = FALSE)
  }))
  out$q_mwu <- stats::p.adjust(out$p_mwu, method = "BH")
  out$q_welch <- stats::p.adjust(out$p_welch, method = "BH")
  out[, c("dimension", "group1", "group2", "n_cn", "n_us", "median_cn", "median_us", "mean_cn",
          "sd_cn", "mean_us", "sd_us", "U", "p_mwu", "q_mwu", "r_rb", "t", "df", "p_welch",
          "q_welch", "hedges_g", "method")]
}

# Hedges' g with the pooled SD and the exact correction J = Gamma(df/2) /
# (sqrt(df/2) Gamma((df-1)/2)), as effectsize::hedges_g (>= 0.8) computes it.
.pv_hedges_g <- function(x, y) {
  if (requireNamespace("effectsize", quietly = TRUE)) {
    return(as.numeric(effectsize::hedges_g(x, y, pooled_sd = TRUE)$Hedges_g))
  }
  nx <- length(x); ny <- length(y); df <- nx + ny - 2
  sp <- sqrt(((nx - 1) * stats::var(x) + (ny - 1) * stats::var(y)) / df)
  (mean(x) - mean(y)) / sp * exp(lgamma(df / 2) - log(sqrt(df / 2)) - lgamma((df - 1) / 2))
}

#' Group comparison per term: Brunner-Munzel and Cliff's delta
#'
#' The paper's Appendix A.3: for each of the 25 terms, the models' term means of the
#' first group (CN) against the second (US) with the Brunner-Munzel test ([bm_test()]:
#' `brunnermunzel::brunnermunzel.test` when installed, else pyvalues's implementation of
#' it), Benjamini-Hochberg q across the terms, and Cliff's delta = P(CN > US) -
#' P(CN < US); a negative delta means the first group ranks the term as more important.
#'
#' @param rank_table a rank table.
#' @param groups the two country labels, first one first.
#' @return `term, dimension, statistic, df, p, q, cliffs_delta, estimate, method`.
#' @examples
#' head(term_tests(paper2026_reconstruction))
#' @export
term_tests <- function(rank_table, groups = NULL) {
  tm <- model_term_means(rank_table)
  groups <- .pv_groups(tm$country, groups)
  inst <- pv_instrument()
  out <- do.call(rbind, lapply(inst$term, function(t) {
    x <- tm$mean_rank[tm$term == t & tm$country == groups[1]]
    y <- tm$mean_rank[tm$term == t & tm$country == groups[2]]
    b <- bm_test(x, y)
    data.frame(term = t, dimension = inst$dimension[inst$term == t],
               statistic = b$statistic, df = b$df, p = b$p,
               cliffs_delta = cliffs_delta(x, y), estimate = b$estimate, method = b$method,
               stringsAsFactors = FALSE)
  }))
  out$q <- stats::p.adjust(out$p, method = "BH")
  out[, c("term", "dimension", "statistic", "df", "p", "q", "cliffs_delta", "estimate", "method")]
}
