#' Prompt language as a factor: paired tests per term and per dimension
#'
#' The study asks every model in two languages (the paper: Chinese and English, Appendix
#' A.1). These tables compare, within each model, its rankings in one language with its
#' rankings in the other. Only models with rankings in both languages enter the paired
#' statistics; a model with rankings in one language only is excluded and named in `note`.
#'
#' A model's mean rank of a term in a language is its integer rank sum over its rankings in
#' that language divided once by their number; its dimension score in a language is the rank
#' sum over the dimension's five terms divided once by 5 x that number (a mean of means
#' would break ties between equal scores in the last bit and move V and p). Unequal numbers
#' of rankings per language (3 zh and 1 en) are allowed: each language's mean uses its own.
#'
#' Direction: every difference is the first language minus the second, `languages[1] -
#' languages[2]`; by default zh - en when both are present (the paper's two), otherwise the
#' two codes in alphabetical order. A positive `median_diff` or `r_rb` means the term (or
#' dimension) gets a larger rank, i.e. is *less* important, in the first language.
#'
#' `pv_language_term_tests()`: per term, `stats::wilcox.test(x = first, y = second, paired =
#' TRUE)` with R's default variant (exact p without ties or zero differences and n < 50,
#' else the normal approximation with continuity correction; `method` names it), V = R's
#' statistic (sum of the ranks of the positive differences), Benjamini-Hochberg q over the
#' 25 terms, `median_diff` = median over models of (first - second), and the matched-pairs
#' rank-biserial correlation `r_rb = (T+ - T-) / (T+ + T-)` over the non-zero differences
#' (Kerby 2014; equals `4 V / (n'(n' + 1)) - 1` with n' non-zero differences). When every
#' difference is zero, p and r_rb are 0/0: NA, and `note` says so.
#' `pv_language_dimension_tests()`: the same for the five dimension scores, BH over 5.
#'
#' @param rank_table a rank table (see [pv_validate()]).
#' @param languages the two language codes compared, first one first (default: `zh`, `en`
#'   when both are present, else the table's two codes in alphabetical order).
#' @examples
#' tab <- language_simulation
#' head(pv_language_term_tests(tab))
#' pv_language_dimension_tests(tab)
#' @template return-pv_language_term_tests
#' @export
pv_language_term_tests <- function(rank_table, languages = NULL) {
  s <- .pv_language_sums(pv_validate(rank_table), languages)
  inst <- s$inst
  items <- lapply(seq_along(inst$term), function(j) {
    list(a = s$sums[[1]][s$paired, j], b = s$sums[[2]][s$paired, j])
  })
  out <- .pv_paired_language_rows(items, s, divisor = 1)
  out <- cbind(data.frame(term = inst$term, dimension = inst$dimension, stringsAsFactors = FALSE), out)
  out
}

#' @rdname pv_language_term_tests
#' @template return-pv_language_dimension_tests
#' @export
pv_language_dimension_tests <- function(rank_table, languages = NULL) {
  s <- .pv_language_sums(pv_validate(rank_table), languages)
  dims <- pv_dimensions()
  items <- lapply(dims, function(dm) {
    j <- s$inst$dimension == dm
    list(a = rowSums(s$sums[[1]][s$paired, j, drop = FALSE]),
         b = rowSums(s$sums[[2]][s$paired, j, drop = FALSE]))
  })
  out <- .pv_paired_language_rows(items, s, divisor = 5)
  cbind(data.frame(dimension = dims, stringsAsFactors = FALSE), out)
}

#' Prompt language as a factor: mixed ANOVA country x language x dimension
#'
#' afex Type III mixed ANOVA (`afex::aov_ez`, sum contrasts) of the models' dimension scores
#' per language (see [pv_language_term_tests()] for how a score is computed), with `country`
#' between models and `language` x `dimension` within models, over the models with rankings
#' in both languages (the others are named in `note`). The uncorrected F is given with the
#' Greenhouse-Geisser epsilon and p beside it, as in [pv_mixed_anova()]. With one country the
#' between factor is dropped and the effects with `country` are absent.
#'
#' Complete rankings make every model's five dimension scores in each language average
#' exactly (1 + 25) / 2 = 13, so the effects without `dimension` (`country`, `language`,
#' `country:language`) have zero effect and zero error variance: F is 0/0. Their `F`, `p`
#' and `pes` are NA and `note` says why, as for the country effect of [pv_mixed_anova()].
#'
#' @inheritParams pv_language_term_tests
#' @examples
#' tab <- language_simulation
#' pv_language_anova(tab)
#' @template return-pv_language_anova
#' @export
pv_language_anova <- function(rank_table, languages = NULL) {
  d <- pv_validate(rank_table)
  s <- .pv_language_sums(d, languages)
  if (length(s$paired) < 2) {
    stop("language_anova needs at least two models with rankings in both languages (",
         paste(s$languages, collapse = ", "), "); the table has ", length(s$paired), call. = FALSE)
  }
  dims <- pv_dimensions()
  long <- do.call(rbind, lapply(1:2, function(k) {
    do.call(rbind, lapply(dims, function(dm) {
      j <- s$inst$dimension == dm
      data.frame(model = s$models[s$paired], country = s$country[s$paired], language = s$languages[k],
                 dimension = dm,
                 score = rowSums(s$sums[[k]][s$paired, j, drop = FALSE]) / (5 * s$n[s$paired, k]),
                 stringsAsFactors = FALSE)
    }))
  }))
  long$language <- factor(long$language, levels = s$languages)
  long$dimension <- factor(long$dimension, levels = dims)
  countries <- sort(unique(long$country))
  between <- if (length(countries) >= 2) "country" else NULL
  long$country <- factor(long$country, levels = countries)
  r <- .pv_afex(id = "model", dv = "score", data = long, between = between,
                within = c("language", "dimension"))
  out <- .pv_tidy_afex(r$fit, note = "")
  wanted <- c("country", "language", "dimension", "country:language", "country:dimension",
              "language:dimension", "country:language:dimension")
  out <- out[order(match(out$effect, wanted)), ]
  # 0/0 effects: every model-by-language average of the five scores is one constant
  cell_means <- tapply(long$score, paste(long$model, long$language), mean)
  if (diff(range(cell_means)) <= 1e-9 * max(abs(cell_means))) {
    out <- .pv_not_estimable(out, !grepl("dimension", out$effect), sprintf(paste0(
      "not estimable: every model's dimension scores average %.6g in each language (complete ",
      "rankings), so effect and error variance are zero and F is 0/0"), mean(cell_means)))
  }
  extra <- c(if (length(s$excluded)) s$excluded_note, r$warnings)
  if (length(extra)) {
    extra <- paste(extra, collapse = "; ")
    out$note <- ifelse(nzchar(out$note), paste(out$note, extra, sep = "; "), extra)
  }
  rownames(out) <- NULL
  out
}

#' Prompt language as a factor: each model's consistency across languages
#'
#' `pv_language_consistency()`: per model, Spearman's rho and Kendall's tau-b (`stats::cor`)
#' between its 25 term means in the first language and in the second, and Kendall's W
#' among its rankings within each language separately (Friedman chi-square / (m (n - 1)),
#' as [pv_concordance()]; NA when the model has fewer than two rankings in that language). A
#' model with rankings in one language only has NA correlations and a `note`.
#' `pv_language_consistency_summary()`: per country (and `all`), the mean, SD and a 95%
#' percentile bootstrap CI of the models' cross-language coefficients, resampling models
#' (the independent unit; `nboot` resamples, seeded).
#'
#' @inheritParams pv_language_term_tests
#' @param nboot bootstrap resamples for the CI.
#' @param seed seed of the bootstrap.
#' @examples
#' tab <- language_simulation
#' pv_language_consistency(tab)
#' pv_language_consistency_summary(tab, nboot = 1000)
#' @template return-pv_language_consistency
#' @export
pv_language_consistency <- function(rank_table, languages = NULL) {
  d <- pv_validate(rank_table)
  s <- .pv_language_sums(d, languages)
  L <- s$languages
  rows <- lapply(seq_along(s$models), function(i) {
    m <- s$models[i]
    both <- all(s$n[i, ] > 0)
    rho <- tau <- NA_real_
    note <- ""
    if (both) {
      a <- s$sums[[1]][i, ] / s$n[i, 1]
      b <- s$sums[[2]][i, ] / s$n[i, 2]
      rho <- stats::cor(a, b, method = "spearman")
      tau <- stats::cor(a, b, method = "kendall")
    } else {
      note <- sprintf("no rankings in %s: no cross-language correlation", paste(L[s$n[i, ] == 0], collapse = " or "))
    }
    w <- vapply(L, function(l) .pv_kendall_w(d[d$model == m & d$language == l, ])$W, numeric(1))
    out <- data.frame(model = m, country = s$country[i], spearman = rho, kendall = tau,
                      stringsAsFactors = FALSE)
    out[paste0("W_", L)] <- as.list(unname(w))
    out[paste0("n_", L)] <- as.list(as.integer(s$n[i, ]))
    out$note <- note
    out
  })
  out <- do.call(rbind, rows)
  rownames(out) <- NULL
  out
}

#' @rdname pv_language_consistency
#' @template return-pv_language_consistency_summary
#' @export
pv_language_consistency_summary <- function(rank_table, languages = NULL, nboot = 10000, seed = 2026) {
  lc <- pv_language_consistency(rank_table, languages)
  lc <- lc[!is.na(lc$spearman), ]
  rows <- list()
  for (g in c(sort(unique(lc$country)), "all")) {
    sel <- if (g == "all") rep(TRUE, nrow(lc)) else lc$country == g
    X <- cbind(spearman = lc$spearman[sel], kendall = lc$kendall[sel])
    k <- nrow(X)
    boots <- if (k >= 2) .pv_boot_means(X, nboot, seed) else NULL
    for (method in c("spearman", "kendall")) {
      ci <- if (k >= 2) unname(stats::quantile(boots[, method], c(0.025, 0.975))) else c(NA_real_, NA_real_)
      rows[[length(rows) + 1]] <- data.frame(
        group = g, method = method, n_models = k, mean = if (k) mean(X[, method]) else NA_real_,
        sd = if (k >= 2) stats::sd(X[, method]) else NA_real_, ci_low = ci[1], ci_high = ci[2],
        stringsAsFactors = FALSE)
    }
  }
  do.call(rbind, rows)
}

# The table's language codes, zh and en first when present (the contract's order), the
# others after them in alphabetical order.
.pv_language_order <- function(language) {
  present <- sort(unique(as.character(language)))
  c(intersect(c("zh", "en"), present), setdiff(present, c("zh", "en")))
}

# The two languages compared, first one first: zh before en when both are present (the
# contract's zh - en), else the table's two codes in alphabetical order.
.pv_languages <- function(language, languages = NULL) {
  present <- sort(unique(as.character(language)))
  if (is.null(languages)) {
    if (all(c("zh", "en") %in% present)) {
      languages <- c("zh", "en")
    } else if (length(present) == 2) {
      languages <- present
    } else {
      stop("the language analysis compares two prompt languages; the table has ", length(present),
           " (", paste(present, collapse = ", "), "): choose two with languages = c(\"..\", \"..\")",
           call. = FALSE)
    }
  }
  languages <- as.character(languages)
  if (length(languages) != 2 || languages[1] == languages[2] || !all(languages %in% present)) {
    stop("languages must be two different codes present in the table's language column (",
         paste(present, collapse = ", "), "); got ", paste(languages, collapse = ", "), call. = FALSE)
  }
  languages
}

# Per language: integer rank sums (models x terms; 0 rows for a model without rankings in
# that language) and the number of rankings per model and language; which models have
# rankings in both (paired) and which are excluded, with a note naming them.
.pv_language_sums <- function(d, languages = NULL) {
  L <- .pv_languages(d$language, languages)
  inst <- pv_instrument()
  models <- unique(d$model)
  country <- d$country[match(models, d$model)]
  n <- matrix(0L, length(models), 2, dimnames = list(models, L))
  sums <- lapply(L, function(l) {
    x <- d[d$language == l, ]
    n[, l] <<- vapply(models, function(m) length(unique(x$replicate[x$model == m])), integer(1))
    s <- tapply(x$rank, list(factor(x$model, levels = models), factor(x$term, levels = inst$term)), sum)
    s[is.na(s)] <- 0L
    s
  })
  names(sums) <- L
  paired <- which(n[, 1] > 0 & n[, 2] > 0)
  excluded <- which(!(n[, 1] > 0 & n[, 2] > 0))
  has <- vapply(models[excluded], function(m) {
    l <- .pv_language_order(d$language[d$model == m])
    if (length(l) == 1) paste(l, "only") else paste0(paste(l, collapse = ", "), "; not ", paste(L, collapse = " and "))
  }, character(1))
  note <- if (length(excluded)) {
    sprintf("excluded from the paired statistics (rankings in one language only): %s",
            paste(sprintf("%s (%s)", models[excluded], has), collapse = ", "))
  } else ""
  list(languages = L, inst = inst, models = models, country = country, n = n, sums = sums,
       paired = paired, excluded = models[excluded], excluded_note = note)
}

# One row per item (term or dimension): the paired Wilcoxon test of first - second over
# the paired models. `items` holds each item's integer rank sums per paired model in the
# two languages; a model's mean is sum / (divisor x its number of rankings), one division.
.pv_paired_language_rows <- function(items, s, divisor) {
  L <- s$languages
  na <- divisor * s$n[s$paired, 1]
  nb <- divisor * s$n[s$paired, 2]
  out <- do.call(rbind, lapply(items, function(it) {
    x <- it$a / na
    y <- it$b / nb
    w <- .pv_signed_rank(x, y)
    data.frame(n_models = length(x), mean_a = .pv_pool(it$a, na, x), mean_b = .pv_pool(it$b, nb, y),
                      median_diff = if (length(x)) stats::median(x - y) else NA_real_,
                      V = w$V, p = w$p, r_rb = w$r_rb, method = w$method, note = w$note,
                      stringsAsFactors = FALSE)
  }))
  rownames(out) <- NULL
  out$q <- stats::p.adjust(out$p, method = "BH")
  names(out)[names(out) == "mean_a"] <- paste0("mean_", L[1])
  names(out)[names(out) == "mean_b"] <- paste0("mean_", L[2])
  if (nzchar(s$excluded_note)) {
    out$note <- ifelse(nzchar(out$note), paste(out$note, s$excluded_note, sep = "; "), s$excluded_note)
  }
  out[, c("n_models", paste0("mean_", L), "median_diff", "V", "p", "q", "r_rb", "method", "note")]
}

# wilcox.test(x, y, paired = TRUE) with R's default variant; its warnings about ties and
# zero differences are expected (the method column names the normal approximation it then
# uses), so they are not passed on. The matched-pairs rank-biserial correlation is
# (T+ - T-) / (T+ + T-) over the non-zero differences, ranked as wilcox.test ranks them.
.pv_signed_rank <- function(x, y) {
  diffs <- x - y
  nz <- diffs[diffs != 0]
  if (length(x) < 1) {
    return(list(V = NA_real_, p = NA_real_, r_rb = NA_real_, method = "", note = "no paired models"))
  }
  w <- withCallingHandlers(stats::wilcox.test(x, y, paired = TRUE), warning = function(w) {
    if (grepl("cannot compute exact p-value with (ties|zeroes)", conditionMessage(w))) invokeRestart("muffleWarning")
  })
  note <- ""
  r_rb <- NA_real_
  if (length(nz)) {
    r <- rank(abs(nz))
    r_rb <- (sum(r[nz > 0]) - sum(r[nz < 0])) / sum(r)
  } else {
    note <- "every difference is zero: p and r_rb are 0/0 (NA)"
  }
  list(V = unname(w$statistic), p = if (is.nan(w$p.value)) NA_real_ else w$p.value, r_rb = r_rb,
       method = w$method, note = note)
}

# Kendall's W among the rankings of `x` (rows of one model, any languages): Friedman
# chi-square / (m (n - 1)) with the rankings as blocks and the terms as groups, as
# pv_concordance(); NA when there are fewer than two rankings.
.pv_kendall_w <- function(x) {
  if (!nrow(x)) return(list(W = NA_real_, m = 0L))
  inst <- pv_instrument()
  ranking <- paste(x$language, x$replicate, sep = "/")
  y <- tapply(x$rank, list(ranking, factor(x$term, levels = inst$term)), identity)
  m <- nrow(y)
  if (m < 2) return(list(W = NA_real_, m = m))
  storage.mode(y) <- "double"
  ft <- stats::friedman.test(y)
  list(W = unname(ft$statistic) / (m * (ncol(y) - 1)), m = m)
}

# All language tables of pv_analyse() for a table with two languages, or the reason they
# are skipped: list(tables = <named list>, skipped = c(analysis, reason) or NULL).
.pv_language_tables <- function(d, seed = 2026, nboot = 10000) {
  names_all <- c("language_term_tests", "language_dimension_tests", "language_anova",
                 "language_consistency", "language_consistency_summary")
  skip <- function(why) list(tables = list(), skipped = c(paste(names_all, collapse = ", "), why))
  present <- sort(unique(d$language))
  if (length(present) < 2) {
    return(skip(sprintf("the table has rankings in one prompt language only (%s); the language analysis compares two",
                        present)))
  }
  if (length(present) > 2 && !all(c("zh", "en") %in% present)) {
    return(skip(sprintf("the table has %d prompt languages (%s); call the language_* functions with two chosen",
                        length(present), paste(present, collapse = ", "))))
  }
  s <- .pv_language_sums(d)
  if (length(s$paired) < 2) {
    return(skip(sprintf("the paired language analysis needs at least two models with rankings in both %s and %s; the table has %d",
                        s$languages[1], s$languages[2], length(s$paired))))
  }
  tables <- list(language_term_tests = pv_language_term_tests(d, s$languages),
                 language_dimension_tests = pv_language_dimension_tests(d, s$languages))
  an <- tryCatch(pv_language_anova(d, s$languages), error = function(e) e)
  skipped <- NULL
  if (inherits(an, "error")) {
    skipped <- c("language_anova", paste("afex could not fit the model:", conditionMessage(an)))
  } else {
    tables$language_anova <- an
  }
  tables$language_consistency <- pv_language_consistency(d, s$languages)
  tables$language_consistency_summary <- pv_language_consistency_summary(d, s$languages, nboot = nboot, seed = seed)
  list(tables = tables, skipped = skipped)
}

#' A SIMULATED two-language rank table (zh and en prompts)
#'
#' **Simulated, not observed**: 16 fictitious models (`CN-sim-01` ... `CN-sim-08`,
#' `US-sim-01` ... `US-sim-08`) ranking the 25 value terms in Chinese (`zh`) and English
#' (`en`) prompts, drawn by the seeded generator `data-raw/make_language_example.py` with a
#' built-in language effect (in zh: the Social dimension and Harmony more important, the
#' Personal dimension and Emotional expression less important) and a country x language
#' interaction (in zh, CN models rank Protective more important, US models Epistemic less
#' important). Three rankings per model and language, except `CN-sim-08` (3 zh, 1 en:
#' unbalanced languages) and `US-sim-08` (en only: excluded from the paired language
#' statistics, with a note). It exists so that the language analysis
#' ([pv_language_term_tests()], [pv_language_anova()], [pv_language_consistency()]) has data to
#' show itself on; it says nothing about any real model.
#'
#' @format A data frame with 2275 rows (91 rankings x 25 terms) and 6 columns: `model`,
#'   `country` ("CN", "US"), `language` ("zh", "en"), `replicate`, `term` (canonical English
#'   name), `rank` (1 = most important). The attribute `provenance` says it is simulated.
#' @source `data-raw/make_language_example.py` (seed 20261201; rerunning it gives the same
#'   bytes), also as `data-raw/language_simulation.csv`.
#' @examples
#' table(language_simulation$model, language_simulation$language) / 25
"language_simulation"
