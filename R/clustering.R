#' Hierarchical clustering of models into value archetypes (the paper's Figures 6, 7)
#'
#' pvclust's multiscale bootstrap on the 25 x models matrix of term means (models are
#' the columns it clusters), with pvclust's defaults for distance (`"correlation"`, 1 -
#' Pearson r) and linkage (`"average"`) unless chosen otherwise; AU (approximately
#' unbiased) and BP (bootstrap probability) p-values per edge from `nboot` multiscale
#' bootstrap resamples. The default engine, [pv_pvclust()], gives the numbers of
#' `pvclust::pvclust(..., iseed = seed)` exactly (the same resamples, trees and fit), an
#' order of magnitude sooner; `engine = "pvclust"` runs pvclust itself. The tree is cut into `k` clusters (`stats::cutree`), numbered in the
#' dendrogram's left-to-right order; each cluster's archetype is the `n_terms` terms
#' with the lowest mean of its members' term means.
#'
#' @param rank_table a rank table.
#' @param k number of clusters.
#' @param nboot bootstrap replications per scale (pvclust's default 1000).
#' @param distance,linkage passed to pvclust as `method.dist`, `method.hclust`.
#' @param seed seed of pvclust's bootstrap (`iseed`).
#' @param parallel pvclust's argument, kept for compatibility: `TRUE` (`detectCores() -
#'   1` local workers), a number of local workers or a cluster; `cluster` is the general
#'   form.
#' @param cluster where the bootstrap runs: `NULL` (this R process), a number of local
#'   PSOCK workers, host names (`c("host1", "host2")` or `"host1,host2"`: one PSOCK worker
#'   per name, over ssh) or a cluster made with the parallel package (forked, PSOCK,
#'   MPI...). As with pvclust's `parallel = cl`, each worker draws its share of the
#'   replicates from its own L'Ecuyer-CMRG stream (`parallel::clusterSetRNGStream(cl,
#'   seed)`), so AU/BP depend on the seed and the number of workers, and equal pvclust's
#'   with the same cluster size.
#' @param engine `"pyvalues"` ([pv_pvclust()], the default) or `"pvclust"`
#'   (`pvclust::pvclust`); both give identical edges.
#' @param quiet `TRUE` shows no progress of the bootstrap (see `options(pyvalues.progress)`).
#' @param n_terms terms per archetype.
#' @param .started internal: a bootstrap already sent to the workers (what [pv_analyse()] passes).
#' @examples
#' \donttest{
#' cl <- pv_cluster_models(paper2026_reconstruction, nboot = 100)
#' cl$clusters
#' }
#' @template return-pv_cluster_models
#' @export
pv_cluster_models <- function(rank_table, k = 4, nboot = 1000, distance = "correlation",
                           linkage = "average", seed = 2026, parallel = FALSE, n_terms = 5,
                           cluster = NULL, engine = c("pyvalues", "pvclust"), quiet = FALSE,
                           .started = NULL) {
  engine <- match.arg(engine)
  tm <- pv_model_term_means(rank_table)
  models <- unique(tm$model)
  inst <- pv_instrument()
  if (length(models) < 3) stop("clustering needs at least 3 models; the table has ", length(models), call. = FALSE)
  k <- min(k, length(models))
  M <- matrix(tm$mean_rank[order(match(tm$model, models), match(tm$term, inst$term))],
              nrow = length(inst$term), dimnames = list(inst$term, models))
  if (is.null(cluster) && !isFALSE(parallel)) {
    cluster <- if (isTRUE(parallel)) parallel::detectCores() - 1L else parallel
  }
  workers <- .pv_cluster(cluster)
  if (workers$own) on.exit(parallel::stopCluster(workers$cl), add = TRUE)
  pv <- if (!is.null(.started)) {
    .started$finish()   # the bootstrap that .pv_cluster_models_start() sent to the workers
  } else if (engine == "pyvalues") {
    pv_pvclust(M, method.hclust = linkage, method.dist = distance, nboot = nboot, iseed = seed,
               quiet = quiet, cluster = workers$cl)
  } else {
    pvclust::pvclust(M, method.hclust = linkage, method.dist = distance, nboot = nboot, iseed = seed,
                     quiet = TRUE, parallel = if (is.null(workers$cl)) FALSE else workers$cl)
  }
  hc <- pv$hclust
  raw <- stats::cutree(hc, k = k)
  # number clusters by their first appearance in the dendrogram's left-to-right order
  first <- unique(raw[hc$order])
  cluster <- match(raw, first)
  country <- tm$country[match(models, tm$model)]
  clusters <- data.frame(model = models, country = country, cluster = cluster,
                         order = match(seq_along(models), hc$order), stringsAsFactors = FALSE)
  clusters <- clusters[order(clusters$order), ]
  edges <- data.frame(edge = seq_len(nrow(hc$merge)), left = hc$merge[, 1], right = hc$merge[, 2],
                      height = hc$height, au = pv$edges$au, bp = pv$edges$bp,
                      se_au = pv$edges$se.au, se_bp = pv$edges$se.bp)
  arche <- do.call(rbind, lapply(sort(unique(cluster)), function(ci) {
    mem <- models[cluster == ci]
    x <- tm[tm$model %in% mem, ]
    means <- vapply(inst$term, function(t) {
      y <- x[x$term == t, ]
      .pv_pool(y$rank_sum, y$n_rankings, y$mean_rank)
    }, numeric(1))
    o <- order(means, seq_along(means))[seq_len(n_terms)]
    data.frame(cluster = ci, n_models = length(mem), members = paste(mem, collapse = "; "),
               position = seq_len(n_terms), term = inst$term[o], dimension = inst$dimension[o],
               mean_rank = unname(means[o]), stringsAsFactors = FALSE)
  }))
  list(clusters = clusters, cluster_edges = edges, archetypes = arche)
}

# pv_cluster_models' multiscale bootstrap sent to the workers of cluster `cl` now (see
# .pv_pvclust_start), so that the caller computes other tables meanwhile; pass the result
# as `.started` to pv_cluster_models() with the same arguments to collect it. The same
# matrix, arguments and streams as pv_cluster_models(cluster = cl) uses: the same numbers.
.pv_cluster_models_start <- function(rank_table, nboot, distance, linkage, seed, cl, quiet = FALSE) {
  if (!is.numeric(nboot) || length(nboot) != 1 || is.na(nboot) || nboot < 1 || nboot != round(nboot)) {
    stop("nboot must be one whole number >= 1; got ", deparse(nboot), call. = FALSE)
  }
  tm <- pv_model_term_means(rank_table)
  models <- unique(tm$model)
  inst <- pv_instrument()
  if (length(models) < 3) stop("clustering needs at least 3 models; the table has ", length(models), call. = FALSE)
  M <- matrix(tm$mean_rank[order(match(tm$model, models), match(tm$term, inst$term))],
              nrow = length(inst$term), dimnames = list(inst$term, models))
  .pv_pvclust_start(M, method.hclust = linkage, method.dist = distance, use.cor = "pairwise.complete.obs",
                    nboot = nboot, r = seq(0.5, 1.4, by = 0.1), iseed = seed, quiet = quiet, cl = cl)
}
