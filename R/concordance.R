#' Kendall's W per model across its rankings (the paper's Table A-1)
#'
#' For each model, its rankings (replicates, and languages when there are several) are
#' the raters and the 25 terms the items: the Friedman test (`stats::friedman.test`,
#' blocks = rankings, groups = terms) gives chi-square on n - 1 df, and
#' W = chi-square / (m (n - 1)) with m rankings and n terms (as
#' `rstatix::friedman_effsize`). A model with a single ranking is reported with NA and a
#' note, not dropped.
#'
#' When the table has rankings in two or more prompt languages, the pooled W (all of a
#' model's rankings as raters) is followed by the W within each language, `W_<code>` (e.g.
#' `W_zh`, `W_en`: zh and en first when present, other codes after them in alphabetical
#' order; NA when the model has fewer than two
#' rankings in that language), so a reader sees how much of a model's inconsistency is
#' language. See also [pv_language_consistency()].
#'
#' @param rank_table a rank table.
#' @examples
#' pv_concordance(paper2026_reconstruction)
#' @template return-pv_concordance
#' @export
pv_concordance <- function(rank_table) {
  d <- pv_validate(rank_table)
  inst <- pv_instrument()
  models <- unique(d$model)
  # each model's rows, found once (a scan of the whole table per model is quadratic in rows)
  rows_of <- split(seq_len(nrow(d)), factor(d$model, levels = models))
  out <- do.call(rbind, lapply(models, function(m) {
    x <- d[rows_of[[m]], ]
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
  langs <- .pv_language_order(d$language)
  if (length(langs) >= 2) {
    within <- vapply(langs, function(l) vapply(seq_len(nrow(out)), function(r) {
      i <- rows_of[[out$model[r]]]
      sub <- i[d$language[i] == l]
      # all of the model's rankings are in this language: the same rankings as the pooled W
      # (the same computation), so the pooled value is taken; 500 Friedman tests fewer at 500 models
      if (length(sub) == length(i)) return(out$W[r])
      .pv_kendall_w(d[sub, ])$W
    }, numeric(1)), numeric(nrow(out)))
    within <- matrix(within, nrow = nrow(out), dimnames = list(NULL, paste0("W_", langs)))
    at <- match("W", names(out))
    out <- cbind(out[, seq_len(at)], as.data.frame(within), out[, -seq_len(at), drop = FALSE])
  }
  out[order(-out$W, out$model), ]
}
