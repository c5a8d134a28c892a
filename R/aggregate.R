#' Check a tidy rank table
#'
#' A rank table has one row per (model, country, language, replicate, term) with `rank`
#' in 1..25 (1 = most important). This checks what every analysis relies on and stops
#' with a message naming the offending rows; it adds the `dimension` column.
#'
#' @param rank_table a data.frame with columns `model`, `country`, `language`,
#'   `replicate`, `term`, `rank`.
#' @return the table with character columns, integer `replicate`, and `dimension`.
#' @examples
#' head(pv_validate(paper2026_reconstruction))
#' @export
pv_validate <- function(rank_table) {
  # a table this function returned is not checked again (every analysis validates its
  # input, and pv_analyse passes one validated table to all of them)
  if (isTRUE(attr(rank_table, "pv_validated"))) return(rank_table)
  need <- c("model", "country", "language", "replicate", "term", "rank")
  miss <- setdiff(need, names(rank_table))
  if (length(miss)) {
    stop("rank table: missing column(s) ", paste(miss, collapse = ", "),
         "; a rank table needs ", paste(need, collapse = ", "), call. = FALSE)
  }
  d <- as.data.frame(rank_table, stringsAsFactors = FALSE)
  for (v in c("model", "country", "language", "term")) d[[v]] <- as.character(d[[v]])
  inst <- pv_instrument()
  bad <- which(!d$term %in% inst$term)
  if (length(bad)) {
    stop("rank table: unknown term(s) ", paste(unique(d$term[bad]), collapse = ", "),
         " in row(s) ", paste(utils::head(bad, 8), collapse = ", "),
         "; use the canonical names of pv_instrument()$term", call. = FALSE)
  }
  if (any(is.na(d$rank)) || any(d$rank < 1 | d$rank > nrow(inst))) {
    bad <- which(is.na(d$rank) | d$rank < 1 | d$rank > nrow(inst))
    stop("rank table: rank outside 1..", nrow(inst), " in row(s) ",
         paste(utils::head(bad, 8), collapse = ", "), call. = FALSE)
  }
  d$replicate <- as.integer(d$replicate)
  key <- paste(d$model, d$language, d$replicate, d$term, sep = "\r")
  if (anyDuplicated(key)) {
    stop("rank table: duplicated (model, language, replicate, term) in row(s) ",
         paste(utils::head(which(duplicated(key)), 8), collapse = ", "), call. = FALSE)
  }
  n_country <- tapply(d$country, d$model, function(x) length(unique(x)))
  if (any(n_country > 1)) {
    stop("rank table: model(s) with more than one country: ",
         paste(names(n_country)[n_country > 1], collapse = ", "), call. = FALSE)
  }
  ranking <- paste(d$model, d$language, d$replicate, sep = "\r")
  ok <- tapply(seq_len(nrow(d)), ranking, function(i) {
    length(i) == nrow(inst) && setequal(d$term[i], inst$term) &&
      isTRUE(all.equal(sort(d$rank[i]), seq_len(nrow(inst))))
  })
  if (!all(ok)) {
    stop("rank table: ", sum(!ok), " ranking(s) are not a permutation of 1..", nrow(inst),
         " over the terms: ", paste(gsub("\r", "/", utils::head(names(ok)[!ok], 5)), collapse = "; "),
         call. = FALSE)
  }
  d$dimension <- inst$dimension[match(d$term, inst$term)]
  attr(d, "pv_validated") <- TRUE
  d
}

# Rank sums per model and term, and the number of rankings per model. Term means are
# rank_sum / n_rankings: one division, so mathematically equal means are equal doubles
# (ties decide U, Brunner-Munzel and the rank correlations).
.pv_rank_sums <- function(d) {
  inst <- pv_instrument()
  models <- unique(d$model)
  ranking <- paste(d$model, d$language, d$replicate, sep = "\r")
  n_rankings <- tapply(ranking, d$model, function(x) length(unique(x)))[models]
  sums <- tapply(d$rank, list(factor(d$model, levels = models), factor(d$term, levels = inst$term)), sum)
  country <- d$country[match(models, d$model)]
  list(sums = sums, n = as.numeric(n_rankings), models = models, country = country, inst = inst)
}

#' Per-model term means and dimension scores
#'
#' For each model, the mean rank of each term over its rankings (replicates and
#' languages), computed as the integer rank sum divided once; a dimension score is the
#' mean rank of its five terms (the rank sum over the five terms divided once by
#' 5 x rankings); the within-dimension dispersion is the SD of those five term means
#' (the paper's "Consensus within categories").
#'
#' @param rank_table a rank table (see [pv_validate()]).
#' @examples
#' head(pv_model_term_means(paper2026_reconstruction))
#' head(pv_model_dimension_scores(paper2026_reconstruction))
#' @template return-pv_model_term_means
#' @export
pv_model_term_means <- function(rank_table) {
  s <- .pv_rank_sums(pv_validate(rank_table))
  out <- expand.grid(term = s$inst$term, model = s$models, stringsAsFactors = FALSE)[, c("model", "term")]
  i <- match(out$model, s$models)
  j <- match(out$term, s$inst$term)
  out$country <- s$country[i]
  out$dimension <- s$inst$dimension[j]
  out$n_rankings <- s$n[i]
  out$rank_sum <- s$sums[cbind(i, j)]
  out$mean_rank <- out$rank_sum / out$n_rankings
  out[, c("model", "country", "term", "dimension", "n_rankings", "rank_sum", "mean_rank")]
}

#' @rdname pv_model_term_means
#' @template return-pv_model_dimension_scores
#' @export
pv_model_dimension_scores <- function(rank_table) {
  tm <- pv_model_term_means(rank_table)
  dims <- pv_dimensions()
  models <- unique(tm$model)
  out <- expand.grid(dimension = dims, model = models, stringsAsFactors = FALSE)[, c("model", "dimension")]
  key <- paste(tm$model, tm$dimension, sep = "\r")
  rs <- tapply(tm$rank_sum, key, sum)
  nn <- tapply(tm$n_rankings, key, sum)
  sds <- tapply(tm$mean_rank, key, stats::sd)
  k <- paste(out$model, out$dimension, sep = "\r")
  out$country <- tm$country[match(out$model, tm$model)]
  out$score <- as.numeric(rs[k] / nn[k])
  out$sd_within <- as.numeric(sds[k])
  out[, c("model", "country", "dimension", "score", "sd_within")]
}

# Mean over models of a per-model quantity: when every model has the same number of
# rankings, the pooled rank sum divided once (equal to the mean of model means, without
# rounding noise); otherwise the mean of the model means.
.pv_pool <- function(rank_sum, n_rankings, mean_rank) {
  if (length(unique(n_rankings)) == 1L) sum(rank_sum) / (n_rankings[1] * length(rank_sum)) else mean(mean_rank)
}

#' Term mean ranks over models (the paper's Figure 1)
#'
#' @param rank_table a rank table.
#' @examples
#' pv_term_means(paper2026_reconstruction)
#' @template return-pv_term_means
#' @export
pv_term_means <- function(rank_table) {
  tm <- pv_model_term_means(rank_table)
  inst <- pv_instrument()
  rows <- lapply(inst$term, function(t) {
    x <- tm[tm$term == t, ]
    data.frame(term = t, dimension = x$dimension[1],
               mean_rank = .pv_pool(x$rank_sum, x$n_rankings, x$mean_rank),
               sd = stats::sd(x$mean_rank), min = min(x$mean_rank), max = max(x$mean_rank),
               n_models = nrow(x), stringsAsFactors = FALSE)
  })
  out <- do.call(rbind, rows)
  out$order <- rank(out$mean_rank, ties.method = "min")
  out[order(out$mean_rank, match(out$term, inst$term)), ]
}

#' Dimension mean ranks and within-dimension dispersion (the paper's Figure 2)
#'
#' @param rank_table a rank table.
#' @examples
#' pv_dimension_means(paper2026_reconstruction)
#' @template return-pv_dimension_means
#' @export
pv_dimension_means <- function(rank_table) {
  ds <- pv_model_dimension_scores(rank_table)
  tm <- pv_model_term_means(rank_table)
  out <- do.call(rbind, lapply(pv_dimensions(), function(dm) {
    x <- ds[ds$dimension == dm, ]
    y <- tm[tm$dimension == dm, ]
    per_model_sum <- tapply(y$rank_sum, y$model, sum)
    per_model_n <- tapply(y$n_rankings, y$model, sum)
    data.frame(dimension = dm,
               mean_score = .pv_pool(per_model_sum, per_model_n, x$score),
               sd_score = stats::sd(x$score), min_score = min(x$score), max_score = max(x$score),
               mean_sd_within = mean(x$sd_within), n_models = nrow(x), stringsAsFactors = FALSE)
  }))
  out$order <- rank(out$mean_score, ties.method = "min")
  out
}

#' Each model's Primary and Secondary dimension (the paper's Figure 3)
#'
#' The Primary dimension is the one with the lowest score (most important), the
#' Secondary the second lowest. Ties are flagged, not broken silently: `tie` is TRUE when
#' the second and third lowest scores are equal (or the first and second).
#'
#' @param rank_table a rank table.
#' @examples
#' pv_primary_secondary_counts(paper2026_reconstruction)
#' @template return-pv_primary_secondary
#' @export
pv_primary_secondary <- function(rank_table) {
  ds <- pv_model_dimension_scores(rank_table)
  dims <- pv_dimensions()
  do.call(rbind, lapply(unique(ds$model), function(m) {
    x <- ds[ds$model == m, ]
    o <- order(x$score, match(x$dimension, dims))
    s <- x$score[o]
    data.frame(model = m, country = x$country[1],
               primary = x$dimension[o[1]], primary_score = s[1],
               secondary = x$dimension[o[2]], secondary_score = s[2],
               tie = s[1] == s[2] || s[2] == s[3], stringsAsFactors = FALSE)
  }))
}

#' @rdname pv_primary_secondary
#' @template return-pv_primary_secondary_counts
#' @export
pv_primary_secondary_counts <- function(rank_table) {
  ps <- pv_primary_secondary(rank_table)
  dims <- pv_dimensions()
  data.frame(dimension = dims,
             primary = as.integer(table(factor(ps$primary, levels = dims))),
             secondary = as.integer(table(factor(ps$secondary, levels = dims))),
             stringsAsFactors = FALSE)
}

#' Top-5 and Bottom-5 terms per group (the paper's Figure 4)
#'
#' @param rank_table a rank table.
#' @param n how many terms at each end.
#' @examples
#' pv_group_top_bottom(paper2026_reconstruction)
#' @template return-pv_group_top_bottom
#' @export
pv_group_top_bottom <- function(rank_table, n = 5) {
  tm <- pv_model_term_means(rank_table)
  inst <- pv_instrument()
  do.call(rbind, lapply(sort(unique(tm$country)), function(g) {
    x <- tm[tm$country == g, ]
    means <- vapply(inst$term, function(t) {
      y <- x[x$term == t, ]
      .pv_pool(y$rank_sum, y$n_rankings, y$mean_rank)
    }, numeric(1))
    o <- order(means, seq_along(means))
    top <- o[seq_len(n)]
    bottom <- rev(o)[seq_len(n)]
    data.frame(group = g, end = rep(c("top", "bottom"), each = n), position = rep(seq_len(n), 2),
               term = inst$term[c(top, bottom)], dimension = inst$dimension[c(top, bottom)],
               mean_rank = unname(means[c(top, bottom)]), stringsAsFactors = FALSE)
  }))
}
