#' Run every analysis of the paper on a rank table
#'
#' Computes each table of the output contract (see the README) in one call. Analyses
#' that do not apply to the table's shape are skipped with the reason in `skipped`:
#' group comparisons need exactly two countries (with at least two models each),
#' concordance needs two or more rankings per model, clustering three or more models,
#' the ANOVAs two or more models.
#'
#' @param rank_table a rank table (see [pv_validate()]).
#' @param groups the two country labels to compare, first one first.
#' @param k,nboot,distance,linkage,seed,parallel,cluster,engine passed to [cluster_models()].
#' @param ci_nboot bootstrap resamples for the correlation CIs.
#' @return a named list of data.frames: `model_term_means`, `model_dimension_scores`,
#'   `term_means`, `dimension_means`, `primary_secondary`, `primary_secondary_counts`,
#'   `dispersion_anova`, `dispersion_posthoc`, `group_top_bottom`, `dimension_tests`,
#'   `mixed_anova`, `term_tests`, `correlation_pairs`, `correlations`, `clusters`,
#'   `cluster_edges`, `archetypes`, `concordance`, `skipped`.
#' @examples
#' \donttest{
#' res <- pv_analyse(paper2026_reconstruction, nboot = 100)
#' res$dispersion_anova
#' }
#' @export
pv_analyse <- function(rank_table, groups = NULL, k = 4, nboot = 1000, distance = "correlation",
                       linkage = "average", seed = 2026, parallel = FALSE, ci_nboot = 10000,
                       cluster = NULL, engine = "pyvalues") {
  d <- pv_validate(rank_table)
  # one cluster for every resampling step of the run (started once, stopped at the end)
  workers <- .pv_cluster(if (is.null(cluster) && !isFALSE(parallel)) {
    if (isTRUE(parallel)) parallel::detectCores() - 1L else parallel
  } else cluster)
  if (workers$own) on.exit(parallel::stopCluster(workers$cl), add = TRUE)
  models <- unique(d$model)
  countries <- sort(unique(d$country))
  per_country <- table(d$country[!duplicated(d$model)])
  n_rank <- tapply(paste(d$language, d$replicate), d$model, function(x) length(unique(x)))
  skipped <- data.frame(analysis = character(), reason = character(), stringsAsFactors = FALSE)
  skip <- function(what, why) skipped[nrow(skipped) + 1, ] <<- list(what, why)

  out <- .pv_step("term and dimension means", list(
    model_term_means = model_term_means(d), model_dimension_scores = model_dimension_scores(d),
    term_means = term_means(d), dimension_means = dimension_means(d),
    primary_secondary = primary_secondary(d),
    primary_secondary_counts = primary_secondary_counts(d),
    group_top_bottom = group_top_bottom(d)))
  if (length(models) >= 2) {
    .pv_step("dispersion ANOVA (afex)", {
      out$dispersion_anova <- dispersion_anova(d)
      out$dispersion_posthoc <- dispersion_posthoc(d)
    })
    .pv_step(sprintf("rank correlations (%s bootstrap resamples)", format(ci_nboot, big.mark = ",")), {
      out$correlation_pairs <- correlation_pairs(d)
      out$correlations <- correlations(d, nboot = ci_nboot, seed = seed)
    })
  } else {
    skip("dispersion_anova, dispersion_posthoc, correlation_pairs, correlations",
         "one model only: these compare models")
  }
  two_groups <- if (is.null(groups)) length(countries) == 2 else all(groups %in% countries)
  if (two_groups && min(per_country[.pv_groups(d$country, groups)]) >= 2) {
    .pv_step("group comparisons (tests, mixed ANOVA)", {
      out$dimension_tests <- dimension_tests(d, groups)
      out$mixed_anova <- mixed_anova(d, groups)
      out$term_tests <- term_tests(d, groups)
    })
  } else {
    skip("dimension_tests, mixed_anova, term_tests", sprintf(
      "group comparisons need two countries with at least two models each; the table has %s",
      paste(sprintf("%s (%d models)", names(per_country), as.integer(per_country)), collapse = ", ")))
  }
  if (length(models) >= 3) {
    cl <- cluster_models(d, k = k, nboot = nboot, distance = distance, linkage = linkage,
                         seed = seed, cluster = workers$cl, engine = engine)
    out[names(cl)] <- cl
  } else {
    skip("clusters, cluster_edges, archetypes", "clustering needs at least 3 models")
  }
  if (all(n_rank >= 2)) {
    out$concordance <- .pv_step("concordance", concordance(d))
  } else {
    skip("concordance", sprintf("Kendall's W needs at least two rankings per model; %s have one",
                                paste(names(n_rank)[n_rank < 2], collapse = ", ")))
  }
  out$skipped <- skipped
  out
}
