# Resampling on R's `parallel` clusters, reproducible for a given number of workers.
#
# The contract (used by the multiscale bootstrap in pvboot.R; meant for every resampling
# step of the package):
#
# * `.pv_cluster(cluster)` turns what a user passes into a cluster: `NULL`/`FALSE`/`1`
#   (serial), an integer n >= 2 (n local PSOCK workers), a character vector of host names
#   (one PSOCK worker per entry, started over ssh; `"localhost"` for local ones), a
#   comma-separated string of them (`"host1,host2"`, what `--cluster` passes), or a
#   cluster made by the caller (`parallel::makeCluster()`, `makeForkCluster()`...), which
#   is used as is and not stopped. Returns `list(cl, own)`; stop `cl` when `own` is TRUE.
# * `.pv_split_count(n, workers)` splits n resamples into per-worker counts the way
#   pvclust does (the first n %% workers workers get one more).
# * `.pv_lapply(X, FUN, ..., cluster = NULL, seed = NULL)` is `lapply(X, FUN, ...)`:
#   serially in this process after `set.seed(seed)` (when `seed` is not NULL), or on the
#   cluster after `parallel::clusterSetRNGStream(cl, seed)` (one L'Ecuyer-CMRG stream per
#   worker), X split into length(cl) contiguous blocks in order, worker i taking block i.
#   The result is in X's order. So a result depends on the seed and on the number of
#   workers (the block boundaries), not on the hosts or on timing; serial and parallel
#   results differ (different generators), as pvclust's do.
#   FUN runs on the workers: it must carry what it needs (a closure whose environment is
#   not a package namespace, or functions of packages installed on every worker).
#   With `X = .pv_split_count(nboot, length(cl))` and FUN drawing its share of
#   resamples, this is pvclust's own scheme (pvclust:::pvclust.parallel).

.pv_cluster <- function(cluster) {
  if (is.null(cluster) || isFALSE(cluster)) return(list(cl = NULL, own = FALSE))
  if (inherits(cluster, "cluster")) return(list(cl = cluster, own = FALSE))
  if (is.numeric(cluster) && length(cluster) == 1 && !is.na(cluster)) {
    n <- as.integer(cluster)
    if (n != cluster || n < 1) {
      stop("cluster = ", cluster, ": give a whole number of local workers (>= 1), host names or a cluster",
           call. = FALSE)
    }
    if (n == 1L) return(list(cl = NULL, own = FALSE))
    return(list(cl = parallel::makePSOCKcluster(n), own = TRUE))
  }
  if (is.character(cluster)) {
    hosts <- trimws(unlist(strsplit(cluster, ",", fixed = TRUE)))
    hosts <- hosts[nzchar(hosts)]
    if (!length(hosts)) stop("cluster: no host names in '", paste(cluster, collapse = ","), "'", call. = FALSE)
    if (length(hosts) == 1 && grepl("^[0-9]+$", hosts)) return(.pv_cluster(as.integer(hosts)))
    # a host that cannot run Rscript over ssh is named at once, before PSOCK's own
    # set-up waits minutes for a worker that never connects
    for (h in setdiff(unique(hosts), c("localhost", "127.0.0.1"))) {
      status <- suppressWarnings(system2("ssh", c("-o", "BatchMode=yes", "-o", "ConnectTimeout=10", h,
                                                  "Rscript", "--version"), stdout = FALSE, stderr = FALSE))
      if (!identical(as.integer(status), 0L)) {
        stop("cluster: cannot run Rscript on host '", h, "' over ssh (`ssh -o BatchMode=yes ", h,
             " Rscript --version` failed with status ", status, "); each host needs passwordless ssh from ",
             "this machine and R on its PATH (README: 'Progress, R workers and several machines')", call. = FALSE)
      }
    }
    cl <- tryCatch(parallel::makePSOCKcluster(hosts), error = function(e) stop(
      "could not start R workers on ", paste(hosts, collapse = ", "), ": ", conditionMessage(e),
      " (each host needs passwordless ssh from this machine and Rscript on its PATH, and must reach this ",
      "machine's port 11000-11999; README: 'Progress, R workers and several machines')", call. = FALSE))
    return(list(cl = cl, own = TRUE))
  }
  stop("cluster: expected NULL, a number of local workers, host names or a cluster from the parallel ",
       "package; got an object of class ", class(cluster)[1], call. = FALSE)
}

.pv_split_count <- function(n, workers) {
  counts <- rep(n %/% workers, times = workers)
  rem <- n %% workers
  if (rem > 0) counts[seq_len(rem)] <- counts[seq_len(rem)] + 1
  counts
}

.pv_lapply <- function(X, FUN, ..., cluster = NULL, seed = NULL) {
  spec <- .pv_cluster(cluster)
  cl <- spec$cl
  if (spec$own) on.exit(parallel::stopCluster(cl), add = TRUE)
  if (is.null(cl)) {
    if (!is.null(seed)) set.seed(seed)
    return(lapply(X, FUN, ...))
  }
  restore <- .pv_rng_guard()            # clusterSetRNGStream may leave L'Ecuyer-CMRG set here
  on.exit(restore(), add = TRUE)
  parallel::clusterSetRNGStream(cl, iseed = seed)
  # contiguous blocks, one per worker, so worker i always draws for the same elements
  blocks <- split(seq_along(X), rep(seq_along(cl), times = .pv_split_count(length(X), length(cl))))
  worker <- function(x, FUN, ...) lapply(x, FUN, ...)
  environment(worker) <- globalenv()
  out <- parallel::clusterApply(cl, lapply(blocks, function(i) X[i]), worker, FUN, ...)
  res <- do.call(c, unname(out))
  names(res) <- names(X)
  res
}
