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

# pv_analyse(overlap = TRUE): the afex families in a second R process (one local PSOCK
# worker from the parallel package), started before the other families and collected
# after them, so that loading afex and its imports (lme4, car, emmeans: about 2 CPU s)
# happens beside the rest of the analysis. The worker runs pv_analyse(.only = families)
# on the same validated table and groups argument: the same functions, the same numbers.
# A worker that cannot be started or fails gives NULL; pv_analyse then computes the
# families itself.
.pv_side_families <- c("dispersion_anova", "mixed_anova")

.pv_side_start <- function(d, groups) {
  cl <- tryCatch(parallel::makePSOCKcluster(1L), error = function(e) NULL)
  if (is.null(cl)) return(NULL)
  # pyvalues's functions travel by value (.pv_portable, R/parallel.R): the worker runs
  # this process's code, whatever is installed there
  job <- .pv_portable(function(d, groups, families) {
    res <- pv_analyse(d, groups = groups, .only = families)
    list(out = unclass(res)[intersect(families, names(res))], skipped = res$skipped)
  }, grep("^[.]__|^[.]packageName$", ls(environment(.pv_portable), all.names = TRUE), value = TRUE, invert = TRUE))
  # parallel's own non-blocking send (what clusterCall does before it waits for the value)
  send <- get("sendCall", envir = asNamespace("parallel"))
  ok <- tryCatch({
    send(cl[[1L]], job, list(d, groups, .pv_side_families))
    TRUE
  }, error = function(e) FALSE)
  if (!ok) {
    parallel::stopCluster(cl)
    return(NULL)
  }
  list(cl = cl, families = .pv_side_families)
}

.pv_side_collect <- function(side) {
  recv <- get("recvResult", envir = asNamespace("parallel"))
  res <- tryCatch(recv(side$cl[[1L]]), error = function(e) NULL)
  if (inherits(res, "try-error") || !is.list(res) || !is.data.frame(res$skipped)) return(NULL)
  res
}

.pv_side_stop <- function(side) {
  try(parallel::stopCluster(side$cl), silent = TRUE)
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
