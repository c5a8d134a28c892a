#' Group comparison per dimension: Mann-Whitney U and Welch's t
#'
#' For each dimension, the model dimension scores of the first group (`group1`, CN in the
#' paper) against the second (`group2`): `stats::wilcox.test(x = group1, y = group2)` with
#' R's defaults (exact p when there are no ties and both samples are below 50, otherwise
#' the normal approximation with continuity correction; `method` names which), U as R's W
#' statistic (the U of the first sample, as R reports it), rank-biserial
#' r = 1 - 2U / (n1 n2); Welch's `stats::t.test` with Hedges' g (pooled SD, exact
#' small-sample correction, as `effectsize::hedges_g`); Benjamini-Hochberg q across the
#' five dimensions for each test.
#'
#' Direction: `r_rb`, `t` and `hedges_g` are positive when the first group ranks the
#' dimension as more important (lower ranks). `t` and `hedges_g` are therefore
#' `-t.test(x, y)$statistic` and `-effectsize::hedges_g(x, y)` (mean of group2 minus mean
#' of group1); `df` and the p-values are unchanged; `U` is R's W unchanged.
#'
#' @param rank_table a rank table.
#' @param groups the two country labels, first one first (see [pv_analyse()]).
#' @examples
#' pv_dimension_tests(paper2026_reconstruction)
#' @template return-pv_dimension_tests
#' @export
pv_dimension_tests <- function(rank_table, groups = NULL) {
  ds <- pv_model_dimension_scores(rank_table)
  groups <- .pv_groups(ds, groups)
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
               n1 = length(x), n2 = length(y),
               median1 = stats::median(x), median2 = stats::median(y),
               mean1 = mean(x), sd1 = stats::sd(x), mean2 = mean(y), sd2 = stats::sd(y),
               U = unname(w$statistic), p_mwu = w$p.value,
               r_rb = 1 - 2 * unname(w$statistic) / (length(x) * length(y)),
               # sign flipped: positive = group1 has the lower (more important) ranks
               t = -unname(tt$statistic), df = unname(tt$parameter), p_welch = tt$p.value,
               hedges_g = -.pv_hedges_g(x, y), method = w$method, stringsAsFactors = FALSE)
  }))
  out$q_mwu <- stats::p.adjust(out$p_mwu, method = "BH")
  out$q_welch <- stats::p.adjust(out$p_welch, method = "BH")
  out[, c("dimension", "group1", "group2", "n1", "n2", "median1", "median2", "mean1",
          "sd1", "mean2", "sd2", "U", "p_mwu", "q_mwu", "r_rb", "t", "df", "p_welch",
          "q_welch", "hedges_g", "method")]
}

# Hedges' g with the pooled SD and the exact correction J = Gamma(df/2) /
# (sqrt(df/2) Gamma((df-1)/2)): effectsize::hedges_g(x, y, pooled_sd = TRUE)$Hedges_g
# (effectsize 0.8.x) operation for operation, so the same double: the pooled SD as
# effectsize::sd_pooled -> cov_pooled computes it (stats::cov of the group-centred values,
# times (n - 1) / (n - 2)), d = mean(x) - mean(y), (d - 0) / s, times J. Computed here
# rather than by calling effectsize, whose namespace (with emmeans, parameters, insight,
# bayestestR, datawizard) takes longer to load than the whole test, and whose call also
# finds a noncentral-t interval that is not reported; test-nonparametric.R asserts
# identical() to effectsize::hedges_g.
.pv_hedges_g <- function(x, y) {
  x <- x[!is.na(x)]; y <- y[!is.na(y)]                # effectsize drops missing values too
  n1 <- length(x); n2 <- length(y)
  centred <- c(x - mean(x), y - mean(y))             # .y - stats::ave(.y, G, FUN = mean)
  s <- c(sqrt(stats::cov(matrix(centred, ncol = 1L)) * (n1 + n2 - 1) / (n1 + n2 - 2)))
  d <- mean(x) - mean(y)
  df <- n1 + n2 - 2
  (d - 0) / s * exp(lgamma(df / 2) - log(sqrt(df / 2)) - lgamma((df - 1) / 2))
}

#' Group comparison per term: Brunner-Munzel (asymptotic and permutation) and Cliff's delta
#'
#' The paper's Appendix A.3: for each of the 25 terms, the models' term means of the
#' first group (`group1`) against the second (`group2`).
#'
#' * `statistic, df, p, q`: the asymptotic Brunner-Munzel test (t approximation; the
#'   paper's specification) as `brunnermunzel::brunnermunzel.test` computes it ([pv_bm_test()]),
#'   with Benjamini-Hochberg q across the terms that have a p. Where that statistic is
#'   undefined - the groups do not overlap (estimate 0 or 1: statistic +-Inf, df NaN) or
#'   both variances are zero - `p` and `q` are NA and `note` says why (brunnermunzel 2.0
#'   reports p = 0 there, which no data can justify).
#' * `p_perm, q_perm`: the studentized permutation test of Neubert & Brunner (2007)
#'   (`brunnermunzel::brunnermunzel.permutation.test`, [pv_bm_permutation_test()]), BH q
#'   across all terms. Exact enumeration of all `choose(n1 + n2, n1)` splits when that is
#'   at most `choose(20, 10)` = 184756 (`n_perm` = the number of splits,
#'   `p_perm_mcse` = 0); otherwise `nperm` Monte Carlo splits drawn with `seed`,
#'   p = (1 + extreme draws) / (1 + nperm) and its Monte Carlo standard error
#'   `p_perm_mcse` = sqrt(p (1 - p) / nperm). With groups below 10 models the permutation
#'   p is the recommended one (the t approximation is poor there: 3 vs 3 models can give
#'   no p below 0.1).
#' * `cliffs_delta` = P(group1 < group2) - P(group1 > group2) over all model pairs.
#'
#' Direction: `statistic`, `estimate` - 0.5 (estimate = P(group1 < group2) +
#' 0.5 P(=), as the package) and `cliffs_delta` are positive when the first group ranks
#' the term as more important (lower ranks). `cliffs_delta` is therefore
#' `-pv_cliffs_delta(x, y)` of the exported function (whose `x` larger is positive).
#'
#' @param rank_table a rank table.
#' @param groups the two country labels, first one first.
#' @param nperm Monte Carlo draws when exact enumeration is too large.
#' @param seed seed of the Monte Carlo draws.
#' @param cluster `NULL` (serial), a number of local workers, host names or a cluster from
#'   the `parallel` package (see [pv_analyse()]): the terms' permutation tests run on its workers. Each
#'   term (and each block of its Monte Carlo draws) has its own random stream, so the result is identical to the serial one.
#' @examples
#' head(pv_term_tests(paper2026_reconstruction))
#' @template return-pv_term_tests
#' @export
pv_term_tests <- function(rank_table, groups = NULL, nperm = 10000, seed = 2026, cluster = NULL) {
  tm <- pv_model_term_means(rank_table)
  groups <- .pv_groups(tm, groups)
  inst <- pv_instrument()
  xs <- lapply(inst$term, function(t) tm$mean_rank[tm$term == t & tm$country == groups[1]])
  ys <- lapply(inst$term, function(t) tm$mean_rank[tm$term == t & tm$country == groups[2]])
  # the permutation p of every term (exact, or Monte Carlo from term i's own seed), on the
  # workers of `cluster` when given: the same numbers either way
  perms <- .pv_bm_perm_terms(xs, ys, nperm = nperm, seed = seed, cluster = cluster)
  out <- do.call(rbind, lapply(seq_along(inst$term), function(i) {
    t <- inst$term[i]
    x <- xs[[i]]
    y <- ys[[i]]
    b <- pv_bm_test(x, y)
    note <- ""
    p <- b$p
    if (!is.finite(b$statistic) || !is.finite(b$df)) {
      note <- if (b$estimate %in% c(0, 1)) {
        "groups do not overlap: the asymptotic statistic is +-Inf with df undefined, so p is NA (brunnermunzel 2.0 prints 0); use p_perm"
      } else {
        "zero variance in both groups: the asymptotic statistic is undefined, so p is NA; use p_perm"
      }
      p <- NA_real_
    }
    perm <- perms[[i]]
    data.frame(term = t, dimension = inst$dimension[i], group1 = groups[1], group2 = groups[2],
               n1 = length(x), n2 = length(y), statistic = b$statistic, df = b$df, p = p,
               p_perm = perm$p, n_perm = perm$n, p_perm_mcse = perm$mcse,
               # sign flipped: positive = group1 has the lower (more important) ranks
               cliffs_delta = -pv_cliffs_delta(x, y), estimate = b$estimate, method = b$method,
               note = note, stringsAsFactors = FALSE)
  }))
  out$q <- stats::p.adjust(out$p, method = "BH")      # NA p are left out of the family
  out$q_perm <- stats::p.adjust(out$p_perm, method = "BH")
  out[, c("term", "dimension", "group1", "group2", "n1", "n2", "statistic", "df", "p", "q",
          "p_perm", "q_perm", "n_perm", "p_perm_mcse", "cliffs_delta", "estimate", "method", "note")]
}

# Two-sided studentized permutation p of the Brunner-Munzel test: exact (bm_permutation_test,
# i.e. the package when installed) up to .pv_max_exact_splits splits, else Monte Carlo.
.pv_bm_perm <- function(x, y, nperm, seed) {
  n_splits <- choose(length(x) + length(y), length(x))
  if (n_splits <= .pv_max_exact_splits) {
    return(list(p = pv_bm_permutation_test(x, y)$p, n = n_splits, mcse = 0))
  }
  p <- .bm_permutation_mc(x, y, nperm = nperm, seed = seed)
  list(p = p, n = nperm, mcse = sqrt(p * (1 - p) / nperm))
}

# .pv_bm_perm for term i = 1, 2, ... (seed + i - 1), serially or one term per task on a
# cluster (load-balanced; each term's p depends only on its data and seed).
.pv_bm_perm_terms <- function(xs, ys, nperm, seed, cluster = NULL) {
  spec <- .pv_cluster(cluster)
  if (is.null(spec$cl)) {
    return(lapply(seq_along(xs), function(i) .pv_bm_perm(xs[[i]], ys[[i]], nperm = nperm, seed = seed + i - 1L)))
  }
  if (spec$own) on.exit(parallel::stopCluster(spec$cl), add = TRUE)
  impl <- getOption("pyvalues.bm_impl", "auto")
  task <- function(i) {
    old <- options(pyvalues.bm_impl = impl)
    on.exit(options(old))
    .pv_bm_perm(xs[[i]], ys[[i]], nperm = nperm, seed = seed + i - 1L)
  }
  task <- .pv_portable(task, c(".pv_bm_perm", "pv_bm_permutation_test", ".bm_prepare", ".bm_impl",
                               ".bm_method_label", ".bm_permutation_internal", ".bm_count_vectors",
                               ".bm_perm_statistic", ".bm_single", ".bm_pst", ".bm_max_permutations",
                               ".bm_permutation_mc", ".pv_resample", ".pv_block_tasks", ".pv_rng_guard", ".pv_cluster",
                               ".pv_max_exact_splits", ".bm_native_perm", ".pv_native", ".pv_native_build",
                               ".pv_native_routines", ".pv_native_memo"))
  # terms with the most splits first, so that the slow ones do not end up last
  work <- vapply(seq_along(xs), function(i) min(choose(length(xs[[i]]) + length(ys[[i]]), length(xs[[i]])),
                                                .pv_max_exact_splits + nperm), numeric(1))
  ord <- order(work, decreasing = TRUE)
  out <- parallel::clusterApplyLB(spec$cl, ord, task)
  out[order(ord)]
}
