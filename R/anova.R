# Tidy one afex fit into the output contract: one row per effect with
# effect, df1, df2, F, p, pes, gg_eps, p_gg, note. afex's Type III tests with sum
# contrasts (aov_ez sets contr.sum for between factors); the uncorrected F is what the
# paper reports, the Greenhouse-Geisser columns come from car's univariate summary.
.pv_tidy_afex <- function(fit, note = "") {
  at <- fit$anova_table
  out <- data.frame(effect = rownames(at), df1 = at[["num Df"]], df2 = at[["den Df"]],
                    F = at[["F"]], p = at[["Pr(>F)"]], pes = at[["pes"]],
                    gg_eps = NA_real_, p_gg = NA_real_, note = note, stringsAsFactors = FALSE)
  adj <- suppressWarnings(summary(fit)$pval.adjustments)
  if (!is.null(adj) && length(adj)) {
    i <- match(rownames(adj), out$effect)
    out$gg_eps[i] <- adj[, "GG eps"]
    out$p_gg[i] <- adj[, "Pr(>F[GG])"]
  }
  rownames(out) <- NULL
  out
}

.pv_afex <- function(...) {
  # afex is in Imports (and rbridge checks for it before the first call from Python);
  # afex:: loads it on first use, so a run without ANOVAs never loads it
  warns <- character()
  fit <- withCallingHandlers(
    suppressMessages(afex::aov_ez(..., type = 3, anova_table = list(es = "pes", correction = "none"))),
    warning = function(w) {
      warns <<- c(warns, conditionMessage(w))
      invokeRestart("muffleWarning")
    })
  list(fit = fit, warnings = unique(warns))
}

#' Repeated-measures ANOVA of within-dimension dispersion
#'
#' The paper's "Consensus within categories": for each model and dimension the SD of
#' the five term means ([pv_model_dimension_scores()]`$sd_within`), compared across the five
#' dimensions with afex's one-way repeated-measures ANOVA (Type III). The paper reports
#' the uncorrected F(4, 76); the Greenhouse-Geisser epsilon and p are given beside it.
#'
#' @param rank_table a rank table.
#' @examples
#' pv_dispersion_anova(paper2026_reconstruction)
#' @template return-pv_dispersion_anova
#' @export
pv_dispersion_anova <- function(rank_table) {
  ds <- pv_model_dimension_scores(rank_table)
  ds$dimension <- factor(ds$dimension, levels = pv_dimensions())
  r <- .pv_afex(id = "model", dv = "sd_within", data = ds, within = "dimension")
  .pv_tidy_afex(r$fit, note = paste(r$warnings, collapse = "; "))
}

#' @rdname pv_dispersion_anova
#' @template return-pv_dispersion_posthoc
#' @export
pv_dispersion_posthoc <- function(rank_table) {
  ds <- pv_model_dimension_scores(rank_table)
  dims <- pv_dimensions()
  # paired t tests as stats::pairwise.t.test(paired = TRUE) computes them (and
  # rstatix::pairwise_t_test wraps), kept unrounded, with t and df beside p
  pairs <- utils::combn(dims, 2)
  out <- do.call(rbind, lapply(seq_len(ncol(pairs)), function(i) {
    a <- ds[ds$dimension == pairs[1, i], ]
    b <- ds[ds$dimension == pairs[2, i], ]
    b <- b[match(a$model, b$model), ]
    tt <- stats::t.test(a$sd_within, b$sd_within, paired = TRUE)
    data.frame(group1 = pairs[1, i], group2 = pairs[2, i], n = nrow(a),
               mean_diff = unname(tt$estimate), statistic = unname(tt$statistic),
               df = unname(tt$parameter), p = tt$p.value, stringsAsFactors = FALSE)
  }))
  out$p_adj <- stats::p.adjust(out$p, method = "bonferroni")
  out$method <- "paired t test, Bonferroni"
  out
}

#' Two-factor mixed ANOVA: country (between) x dimension (within)
#'
#' afex::aov_ez on the model dimension scores, Type III sums of squares with sum
#' contrasts, as the paper's "two-factor mixed ANOVA". With complete rankings every
#' model's five dimension scores average exactly (1 + 25) / 2 = 13, so the between-model
#' variance is zero and the country main effect is not estimable (0/0); its F and p are
#' then NA with a note saying so, and the within-model effects are unaffected.
#'
#' @param rank_table a rank table.
#' @param groups the two country labels, first one first (default: the two countries
#'   with the most models, in alphabetical order; see [pv_analyse()]).
#' @examples
#' pv_mixed_anova(paper2026_reconstruction)
#' @template return-pv_mixed_anova
#' @export
pv_mixed_anova <- function(rank_table, groups = NULL) {
  ds <- pv_model_dimension_scores(rank_table)
  groups <- .pv_groups(ds, groups)
  ds <- ds[ds$country %in% groups, ]
  ds$country <- factor(ds$country, levels = groups)
  ds$dimension <- factor(ds$dimension, levels = pv_dimensions())
  r <- .pv_afex(id = "model", dv = "score", data = ds, between = "country", within = "dimension")
  out <- .pv_tidy_afex(r$fit, note = "")
  subject_means <- tapply(ds$score, ds$model, mean)
  degenerate <- diff(range(subject_means)) <= 1e-9 * max(abs(subject_means))
  if (degenerate) {
    out <- .pv_not_estimable(out, out$effect == "country", sprintf(paste0(
      "not estimable: every model's dimension scores average %.6g (complete rankings), ",
      "so between-model variance is zero and F is 0/0"), mean(subject_means)))
  }
  if (length(r$warnings)) {
    out$note <- ifelse(nzchar(out$note), paste(out$note, paste(r$warnings, collapse = "; "), sep = "; "),
                       paste(r$warnings, collapse = "; "))
  }
  out
}

# The two groups compared, first one first (rule: see .pv_choose_groups in analysis.R);
# `x` has columns model and country. Stops with the reason when no two groups qualify.
.pv_groups <- function(x, groups = NULL) {
  chosen <- .pv_choose_groups(x, groups)
  if (is.null(chosen$groups)) stop(chosen$reason, call. = FALSE)
  chosen$groups
}

# Effects that complete rankings make 0/0 (the rows `i` of an ANOVA table): F, p and pes
# are NA and `note` says why.
.pv_not_estimable <- function(out, i, note) {
  out$F[i] <- NA_real_
  out$p[i] <- NA_real_
  out$pes[i] <- NA_real_
  out$note[i] <- note
  out
}
