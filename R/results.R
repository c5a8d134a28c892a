#' The results of [pv_analyse()]: printing, summaries and table access
#'
#' [pv_analyse()] returns an object of class `pv_results`: a named list of data.frames (one
#' per table of the output contract; `names(res)` lists them), so `res$term_tests`,
#' `res[["dispersion_anova"]]` and `as.data.frame(res, table = "concordance")` give the raw
#' tables. `print(res)` shows a compact, formatted view, test results written as afex's
#' `nice()` writes them (`F(4, 76) = 12.33, p < .001, eta2p = .394`); `summary(res)` returns
#' the same lines as an object that prints them.
#'
#' @param x,object a `pv_results` object.
#' @param table the name of one result table.
#' @param row.names,optional ignored (for the generic).
#' @param ... ignored.
#' @return `format()`: a character vector of lines; `summary()`: an object of class
#'   `summary.pv_results` (those lines); `as.data.frame()`: the named table.
#' @examples
#' \donttest{
#' res <- pv_analyse(paper2026_reconstruction, nboot = 100, ci_nboot = 200)
#' res                                   # the compact view
#' as.data.frame(res, table = "dispersion_anova")
#' }
#' @name pv_results
NULL

.pv_p <- function(p) {
  if (length(p) == 0 || is.na(p)) return("p = NA")
  if (p < 0.001) return("p < .001")
  paste("p =", sub("^0\\.", ".", sprintf("%.3f", p)))
}

.pv_num <- function(x, digits = 2, bounded = FALSE) {
  # APA: no leading zero for statistics that cannot exceed 1 (p, eta2, r, epsilon)
  if (length(x) == 0 || is.na(x)) return("NA")
  s <- formatC(x, format = "f", digits = digits)
  if (bounded) sub("^(-?)0\\.", "\\1.", s) else s
}

.pv_df <- function(x) {
  if (is.na(x)) return("NA")
  if (abs(x - round(x)) < 1e-9) format(round(x)) else formatC(x, format = "f", digits = 2)
}

#' Format ANOVA rows as afex's nice() does
#'
#' @param tab an ANOVA table of [pv_analyse()] (`dispersion_anova`, `mixed_anova`): columns
#'   `effect, df1, df2, F, p, pes` (and `gg_eps, p_gg`, `note`).
#' @return a character vector, one `effect: F(df1, df2) = F, p, eta2p` line per effect (a
#'   not-estimable effect shows its note).
#' @examples
#' pv_nice(data.frame(effect = "dimension", df1 = 4, df2 = 76, F = 12.33, p = 1e-7, pes = 0.394))
#' @export
pv_nice <- function(tab) {
  eta <- "\u03b7\u00b2p"
  vapply(seq_len(nrow(tab)), function(i) {
    r <- tab[i, , drop = FALSE]
    head <- sprintf("%s: F(%s, %s)", r$effect, .pv_df(r$df1), .pv_df(r$df2))
    if (is.na(r$F)) {
      note <- if (!is.null(r$note) && !is.na(r$note) && nzchar(r$note)) r$note else "not estimable"
      return(sprintf("%s = NA (%s)", head, note))
    }
    s <- sprintf("%s = %s, %s, %s = %s", head, .pv_num(r$F), .pv_p(r$p), eta, .pv_num(r$pes, digits = 3, bounded = TRUE))
    if (!is.null(r$gg_eps) && !is.na(r$gg_eps) && r$gg_eps < 1) {
      s <- sprintf("%s; Greenhouse-Geisser \u03b5 = %s, %s", s, .pv_num(r$gg_eps, bounded = TRUE), .pv_p(r$p_gg))
    }
    s
  }, character(1))
}

#' @rdname pv_results
#' @export
format.pv_results <- function(x, ...) {
  lines <- "pyvalues analysis"
  prov <- attr(x, "provenance")
  if (!is.null(prov)) lines <- c(lines, paste("Data:", prov))
  if (!is.null(x$model_dimension_scores)) {
    m <- x$model_dimension_scores[!duplicated(x$model_dimension_scores$model), ]
    cc <- table(m$country)
    lines <- c(lines, sprintf("  %d models (%s)", nrow(m),
                              paste(names(cc), as.integer(cc), collapse = ", ")))
  }
  if (!is.null(x$dimension_means)) {
    dm <- x$dimension_means[order(x$dimension_means$mean_score), ]
    lines <- c(lines, paste0("Dimension mean ranks (1 = most important): ",
                             paste(dm$dimension, .pv_vec(dm$mean_score), collapse = " | ")))
  }
  if (!is.null(x$dispersion_anova)) {
    lines <- c(lines, "Within-dimension dispersion, repeated-measures ANOVA (afex, Type III):",
               paste0("  ", pv_nice(x$dispersion_anova)))
  }
  if (!is.null(x$mixed_anova)) {
    lines <- c(lines, "Mixed ANOVA of dimension scores (afex, Type III):",
               paste0("  ", pv_nice(x$mixed_anova)))
  }
  if (!is.null(x$dimension_tests)) {
    dt <- x$dimension_tests
    lines <- c(lines, sprintf("%s vs %s per dimension (Mann-Whitney U; Welch t):", dt$group1[1], dt$group2[1]),
               sprintf("  %-10s U = %s, %s, r_rb = %s; t(%s) = %s, %s", dt$dimension, format(dt$U),
                       vapply(dt$p_mwu, .pv_p, ""), .pv_vec(dt$r_rb, bounded = TRUE), .pv_vec(dt$df, 1), .pv_vec(dt$t),
                       vapply(dt$p_welch, .pv_p, "")))
  }
  if (!is.null(x$term_tests)) {
    tt <- x$term_tests
    use <- .pv_term_test_p(tt)
    lines <- c(lines, sprintf("Brunner-Munzel per term, by the %s: %d of %d terms %s < .05 (BH over the terms)",
                              use$why, sum(tt[[use$q]] < 0.05, na.rm = TRUE), nrow(tt), use$q))
  }
  if (!is.null(x$correlations)) {
    co <- x$correlations
    lines <- c(lines, "Mean pairwise rank correlation [95% CI]:",
               sprintf("  %-4s %-9s %s [%s, %s]", co$group, co$method, .pv_vec(co$mean, 3, TRUE),
                       .pv_vec(co$ci_low, 3, TRUE), .pv_vec(co$ci_high, 3, TRUE)))
  }
  if (!is.null(x$clusters)) {
    cl <- x$clusters
    lines <- c(lines, sprintf("Clusters (pvclust, k = %d):", length(unique(cl$cluster))),
               sprintf("  %s: %s", names(split(cl$model, cl$cluster)),
                       vapply(split(cl$model, cl$cluster), paste, "", collapse = ", ")))
  }
  if (!is.null(x$concordance)) {
    w <- x$concordance
    lines <- c(lines, sprintf("Kendall's W per model: %d of %d Friedman p < .05; W from %s to %s",
                              sum(w$p < 0.05, na.rm = TRUE), nrow(w), .pv_num(min(w$W, na.rm = TRUE), 3, TRUE),
                              .pv_num(max(w$W, na.rm = TRUE), 3, TRUE)))
  }
  if (!is.null(x$skipped) && nrow(x$skipped)) {
    lines <- c(lines, "Skipped:", sprintf("  %s: %s", x$skipped$analysis, x$skipped$reason))
  }
  c(lines, sprintf("Tables (res$<name>): %s", paste(names(x), collapse = ", ")))
}

.pv_vec <- function(x, digits = 2, bounded = FALSE) vapply(x, .pv_num, "", digits = digits, bounded = bounded)

#' @rdname pv_results
#' @export
print.pv_results <- function(x, ...) {
  cat(format(x), sep = "\n")
  invisible(x)
}

#' @rdname pv_results
#' @export
summary.pv_results <- function(object, ...) {
  structure(list(lines = format(object)), class = "summary.pv_results")
}

#' @rdname pv_results
#' @export
print.summary.pv_results <- function(x, ...) {
  cat(x$lines, sep = "\n")
  invisible(x)
}

#' @rdname pv_results
#' @export
as.data.frame.pv_results <- function(x, row.names = NULL, optional = FALSE, ..., table) {
  if (missing(table)) {
    stop("say which table: as.data.frame(res, table = \"", names(x)[1], "\"); the tables are ",
         paste(names(x), collapse = ", "), call. = FALSE)
  }
  if (!table %in% names(x)) {
    stop("no table '", table, "' in these results; they have ", paste(names(x), collapse = ", "),
         call. = FALSE)
  }
  x[[table]]
}

# Which p and q of a term_tests table to read significance from (the rule of the Python
# summary, pyvalues.results.access.term_test_p): the studentized permutation p when a group
# has fewer than 10 models or the asymptotic p is undefined for some term; otherwise the
# asymptotic Brunner-Munzel p (the paper's specification). list(p, q, why).
.pv_term_test_p <- function(tt, small = 10L) {
  if (!"p_perm" %in% names(tt)) return(list(p = "p", q = "q", why = "asymptotic Brunner-Munzel p"))
  n_min <- if (all(c("n1", "n2") %in% names(tt)) && nrow(tt)) min(tt$n1, tt$n2) else NA
  if (!is.na(n_min) && n_min < small) {
    return(list(p = "p_perm", q = "q_perm", why = sprintf(
      "studentized permutation p (recommended: a group has %d models, fewer than %d)", as.integer(n_min), small)))
  }
  if (anyNA(tt$p)) {
    return(list(p = "p_perm", q = "q_perm", why = sprintf(
      "studentized permutation p (recommended: the asymptotic p is undefined for %d terms)", sum(is.na(tt$p)))))
  }
  list(p = "p", q = "q", why = sprintf("asymptotic Brunner-Munzel p (both groups have %d or more models)", small))
}
