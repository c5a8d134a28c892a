#' Kendall's W per model across its rankings (the paper's Table A-1)
#'
#' For each model, its rankings (replicates, and languages when there are several) are
#' the raters and the 25 terms the items: the Friedman test (`stats::friedman.test`,
#' blocks = rankings, groups = terms) gives chi-square on n - 1 df, and
#' W = chi-square / (m (n - 1)) with m rankings and n terms (as
#' `rstatix::friedman_effsize`). A model with a single ranking is reported with NA and a
#' note, not dropped.
#'
#' @param rank_table a rank table.
#' @return `model, country, n_replicates, W, chisq, df, p, note` (`n_replicates` = m, the
#'   number of rankings).
#' @examples
#' concordance(paper2026_reconstruction)
#' @export
concordance <- function(rank_table) {
  d <- pv_validate(rank_table)
  inst <- pv_instrument()
  out <- do.call(rbind, lapply(unique(d$model), function(m) {
    x <- d[d$model == m, ]
    x$ranking <- paste(x$language, x$replicate, sep = "/")
    y <- tapply(x$rank, list(x$ranking, factor(x$term, levels = inst$term)), identity)
    k <- nrow(y)
    if (k < 2) {
      return(data.frame(model = m, country = x$country[1], n_replicates = k, W = NA_real_,
                        chisq = NA_real_, df = NA_real_, p = NA_real_,
                        note = "one ranking only: concordance needs at least two", stringsAsFactors = FALSE))
    }
    storage.mode(y) <- "double"
    ft <- stats::friedman.test(y)
    data.frame(model = m, country = x$country[1], n_replicates = k,
               W = unname(ft$statistic) / (k * (ncol(y) - 1)), chisq = unname(ft$statistic),
               df = unname(ft$parameter), p = ft$p.value, note = "", stringsAsFactors = FALSE)
  }))
  out[order(-out$W, out$model), ]
}
