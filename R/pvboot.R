#' pvclust's multiscale bootstrap, the same numbers sooner
#'
#' The algorithm and the random numbers of `pvclust::pvclust()` (version 2.2): for each
#' relative sample size `r`, `nboot` times, `sample(1:n, size, replace = TRUE)` rows of
#' `data`, the same distance between its columns and the same `hclust`; then each edge of
#' the original tree is counted in the trees where it appears, and pvclust's own code
#' (`pvclust:::pvclust.merge`, `msfit`) fits AU, BP and their standard errors. The result
#' is a `pvclust` object, identical to `pvclust::pvclust(..., iseed = iseed)` (and with a
#' cluster, to `pvclust(..., parallel = cl, iseed = iseed)` on the same number of workers).
#'
#' What is faster: pvclust turns every bootstrap tree into 0/1 strings of its clusters'
#' members (`hc2split`, most of its time) and tabulates them. Here each cluster is
#' compared with the original tree through the dendrogram order of the original tree: an
#' original cluster is a run of consecutive positions `lo..hi` in that order, so a
#' bootstrap cluster is an original one exactly when its members' positions have
#' `hi - lo + 1 == size` and `(lo, hi)` is an original cluster's pair (an exact integer
#' key, no hashing). Bookkeeping runs vectorised over replicates. Per replicate, the
#' correlation and the clustering call the same compiled code as `stats::cor()` and
#' `stats::hclust()` without their R-level argument checks; the first replicate of every
#' run is computed both ways and compared, and any difference switches the run to the
#' public functions.
#'
#' @param data a numeric matrix; its columns are clustered, its rows resampled.
#' @param method.hclust,method.dist,use.cor,nboot,r,iseed as in `pvclust::pvclust()`.
#' @param quiet `FALSE` shows progress (see `options(pyvalues.progress)`).
#' @param cluster `NULL` (serial), a number of local workers, host names, or a cluster
#'   from the parallel package (see [pv_cluster_models()]); like pvclust's `parallel = cl`,
#'   each worker draws its share of the replicates from its own L'Ecuyer-CMRG stream set
#'   by `parallel::clusterSetRNGStream(cl, iseed)`.
#' @return an object of class `pvclust` (see `pvclust::pvclust`).
#' @examples
#' \donttest{
#' x <- matrix(rnorm(25 * 8), 25, 8)
#' pv <- pv_pvclust(x, nboot = 100, iseed = 1)
#' pv$edges
#' }
#' @export
pv_pvclust <- function(data, method.hclust = "average", method.dist = "correlation",
                       use.cor = "pairwise.complete.obs", nboot = 1000, r = seq(0.5, 1.4, by = 0.1),
                       iseed = NULL, quiet = FALSE, cluster = NULL) {
  if (!is.numeric(nboot) || length(nboot) != 1 || is.na(nboot) || nboot < 1 || nboot != round(nboot)) {
    stop("nboot must be one whole number >= 1; got ", deparse(nboot), call. = FALSE)
  }
  data <- as.matrix(data)
  if (ncol(data) < 3) stop("pv_pvclust: data needs at least 3 columns to cluster", call. = FALSE)
  spec_cl <- .pv_cluster(cluster)
  if (spec_cl$own) on.exit(parallel::stopCluster(spec_cl$cl), add = TRUE)
  .pv_pvclust_start(data, method.hclust = method.hclust, method.dist = method.dist, use.cor = use.cor,
                    nboot = nboot, r = r, iseed = iseed, quiet = quiet, cl = spec_cl$cl)$finish()
}

# pv_pvclust in two halves, so that a caller can do other work while a cluster's workers
# run the replicates (pv_analyse does): the set-up, and on a cluster the replicates sent
# to its workers (one call per worker, as pvclust's parLapply makes them, without waiting
# for the answers); then `$finish()` collects them (waiting if needed) and returns the
# pvclust object. Until finish() has run, the cluster's workers are busy: nothing else may
# be sent to them. Serially (`cl` NULL) the replicates run here, at once. `$drain()` reads
# outstanding answers and discards them (for an exit before finish()).
.pv_pvclust_start <- function(data, method.hclust, method.dist, use.cor, nboot, r, iseed, quiet, cl) {
  data <- as.matrix(data)
  if (ncol(data) < 3) stop("pv_pvclust: data needs at least 3 columns to cluster", call. = FALSE)
  # pvclust's own set-up: the original tree and the scales (floor(n * r) / n, unique)
  # pvclust's internals are called, not copied, so the numbers stay pvclust's
  pvclust_fn <- function(name) utils::getFromNamespace(name, "pvclust")
  pars <- pvclust_fn("pvclust.common.settings")(data = data, method.dist = method.dist, use.cor = use.cor,
                                                method.hclust = method.hclust, r = r)
  n <- nrow(data)
  # boot.hclust recomputes each scale's size from r and keeps size / n
  sizes <- vapply(pars$r, function(ri) round(n * ri, digits = 0), numeric(1))
  if (any(sizes == 0)) stop("invalid scale parameter(r)", call. = FALSE)
  hc <- pars$data.hclust
  spec <- .pv_boot_spec(hc, method.dist, use.cor, pars$method.hclust)

  if (!is.null(cl) && (length(cl) < 2 || length(cl) > nboot)) {
    # what pvclust:::check.parallel does: too small a cluster runs serially
    warning(if (length(cl) < 2) "Cluster size is too small (or NULL)" else "nboot is too small for cluster size",
            ". non-parallel version is executed", call. = FALSE)
    cl <- NULL
  }
  step <- sprintf("multiscale bootstrap (%d models, %d scales x %s)", ncol(data), length(sizes),
                  format(nboot, big.mark = ","))
  merge <- function(counts, nboots) {
    mboot <- lapply(seq_along(sizes), function(j) {
      if (attr(counts[[j]], "omitted") > 0) {
        warning(paste("inappropriate distance matrices are omitted in computation: r = ", sizes[j] / n),
                call. = FALSE)
      }
      structure(list(edges.cnt = as.vector(counts[[j]]), method.dist = method.dist, use.cor = use.cor,
                     method.hclust = pars$method.hclust, nboot = nboots[[j]], size = sizes[j],
                     r = sizes[j] / n, store = list()), class = "boot.hclust")
    })
    pvclust_fn("pvclust.merge")(data = data, object.hclust = hc, mboot = mboot)
  }
  if (is.null(cl)) {
    if (!is.null(iseed)) set.seed(seed = iseed)
    tick <- if (quiet) function(done) invisible() else .pv_progress(step, nboot * length(sizes))
    counts <- .pv_boot_counts(data, sizes, nboot, spec, tick, routines = .pv_native_routines(.pv_native()))
    result <- merge(counts, rep(list(nboot), length(sizes)))
    return(list(finish = function() result, drain = function() invisible()))
  }
  # pvclust:::pvclust.parallel: streams per worker, nboot split as evenly as possible,
  # each worker running every scale on its share. clusterSetRNGStream leaves this
  # process's generator switched to L'Ecuyer-CMRG when no seed existed yet, so a later
  # serial run with the same iseed would draw other numbers than pvclust's: the caller's
  # generator is put back.
  if (!is.null(iseed)) {
    restore <- .pv_rng_guard()
    parallel::clusterSetRNGStream(cl = cl, iseed = iseed)
    restore()
  }
  nbl <- as.list(rep(nboot %/% length(cl), times = length(cl)))
  if ((rem <- nboot %% length(cl)) > 0) nbl[1:rem] <- lapply(nbl[1:rem], "+", 1)
  tick <- if (quiet) function(done) invisible() else
    .pv_progress(sprintf("%s on %d workers", step, length(cl)), 1)
  # shipped by value (environment: the global one), so workers need no pyvalues
  worker <- .pv_boot_counts
  environment(worker) <- globalenv()
  native <- .pv_native()
  routines <- .pv_portable(function() .pv_native_routines(native), c(".pv_native_routines", ".pv_native_build"))
  node <- function(nb, data, sizes, spec, worker, routines) {
    worker(data, sizes, nb, spec, function(done) invisible(), routines = routines())
  }
  environment(node) <- globalenv()
  # what parallel::parLapply(cl, nbl, node, ...) does (worker i gets nbl[[i]]), in two
  # halves: parallel's own sendCall() now, recvResult() in finish()
  send_call <- utils::getFromNamespace("sendCall", "parallel")
  recv_result <- utils::getFromNamespace("recvResult", "parallel")
  for (i in seq_along(cl)) {
    send_call(cl[[i]], node, list(nbl[[i]], data = data, sizes = sizes, spec = spec, worker = worker,
                                  routines = routines))
  }
  parts <- NULL
  receive <- function() {
    if (is.null(parts)) parts <<- lapply(seq_along(cl), function(i) recv_result(cl[[i]]))
    parts
  }
  finish <- function() {
    parts <- receive()
    failed <- vapply(parts, inherits, logical(1), "try-error")
    if (any(failed)) {   # parallel's checkForRemoteErrors()
      first <- as.character(parts[[which(failed)[1]]])
      if (sum(failed) == 1) stop("one node produced an error: ", first, call. = FALSE)
      stop(sum(failed), " nodes produced errors; first error: ", first, call. = FALSE)
    }
    tick(1)
    counts <- parts[[1]]
    nboots <- rep(nbl[1], length(sizes))
    for (i in seq_along(parts)[-1]) {
      for (j in seq_along(sizes)) {
        counts[[j]] <- counts[[j]] + parts[[i]][[j]]
        nboots[[j]] <- nboots[[j]] + nbl[[i]]
      }
    }
    merge(counts, nboots)
  }
  list(finish = finish, drain = function() invisible(tryCatch(receive(), error = function(e) NULL)))
}

# What a worker needs to count edges: plain data only (it is shipped to PSOCK workers).
.pv_boot_spec <- function(hc, method.dist, use.cor, method.hclust) {
  p <- length(hc$order)
  pos <- match(seq_len(p), hc$order)           # each column's place in the dendrogram order
  # each original merge's members are the positions lo..hi (hclust's order is a
  # depth-first walk of the tree, so every cluster is a run of consecutive positions)
  lo <- hi <- size <- numeric(p - 1)
  for (i in seq_len(p - 1)) {
    ends <- vapply(hc$merge[i, ], function(m) if (m < 0) c(pos[-m], pos[-m], 1) else c(lo[m], hi[m], size[m]),
                   numeric(3))
    lo[i] <- min(ends[1, ]); hi[i] <- max(ends[2, ]); size[i] <- sum(ends[3, ])
  }
  if (any(hi - lo + 1 != size)) stop("internal error: hclust's order is not contiguous", call. = FALSE)
  methods <- c("ward.D", "single", "complete", "average", "mcquitty", "median", "centroid", "ward.D2")
  list(p = p, pos = pos, keys = lo * (p + 1) + hi,
       fast_cor = is.character(method.dist) && !is.na(pmatch(method.dist, "correlation")),
       fast_abscor = is.character(method.dist) && !is.na(pmatch(method.dist, "abscor")),
       na_method = pmatch(use.cor, c("all.obs", "complete.obs", "pairwise.complete.obs", "everything",
                                     "na.or.complete")),
       method.dist = method.dist, use.cor = use.cor, method.hclust = method.hclust,
       i_meth = pmatch(method.hclust, methods))
}

# Edge counts per scale for `nboot` replicates, drawing from the current RNG stream in
# pvclust's order (scale by scale, replicate by replicate). Self-contained: it runs on
# workers too. Returns a list (one per scale) of integer counts in the original tree's
# merge order, with attribute "omitted" (replicates whose distances were not finite).
.pv_boot_counts <- function(data, sizes, nboot, spec, tick, routines = NULL) {
  n <- nrow(data)
  p <- spec$p
  low <- which(lower.tri(matrix(0, p, p)))    # as.dist's element order
  C_cor <- utils::getFromNamespace("C_cor", "stats")
  C_hclust <- utils::getFromNamespace("C_hclust", "stats")
  fast <- (spec$fast_cor || spec$fast_abscor) && !is.na(spec$na_method) && !is.na(spec$i_meth)
  abscor <- spec$fast_abscor
  na_method <- spec$na_method
  i_meth <- spec$i_meth
  # the compiled distance (src/pyvalues.c) reproduces cor()'s pairwise code for data
  # without NAs; other cases, or no compiled code, use stats' own C routine
  cor_dist <- if (!is.null(routines) && identical(na_method, 3L) && !anyNA(data)) routines$cor_dist
  # and hclust's Fortran translated line by line (the same merges, ties included)
  tree <- routines$hclust
  # and a whole block of replicates in one call (pyvalues_s500.c: the same kernels and
  # bookkeeping without the R loop), once the first replicate has been checked
  block <- if (!is.null(cor_dist) && !is.null(tree)) routines$boot_chunk
  len <- as.integer(p * (p - 1) / 2)
  ones <- rep(1, p)
  p <- as.integer(p)
  distance <- function(x, fast) {
    if (fast && !is.null(cor_dist)) {
      .Call(cor_dist, x, abscor)
    } else if (fast) {
      cc <- .Call(C_cor, x, NULL, spec$na_method, FALSE)
      if (abscor) 1 - abs(cc[low]) else 1 - cc[low]
    } else if (is.function(spec$method.dist)) {
      as.vector(spec$method.dist(x))
    } else {
      as.vector(utils::getFromNamespace("dist.pvclust", "pvclust")(x, method = spec$method.dist, use.cor = spec$use.cor))
    }
  }
  merges <- function(d, fast) {
    if (fast && !is.null(tree)) {
      .Call(tree, d, i_meth)
    } else if (fast) {
      h <- .Fortran(C_hclust, n = p, len = len, method = i_meth, ia = integer(p),
                    ib = integer(p), crit = double(p), members = ones, nn = integer(p),
                    disnn = double(p), diss = d)
      c(h$ia[-p], h$ib[-p])
    } else {
      # the public function; its merge matrix read back as pairs of smallest members
      m <- stats::hclust(structure(d, Size = p, class = "dist"), method = spec$method.hclust)$merge
      first <- integer(p - 1)
      ids <- matrix(0L, p - 1, 2)
      for (i in seq_len(p - 1)) {
        ids[i, ] <- ifelse(m[i, ] < 0, -m[i, ], first[pmax(m[i, ], 1L)])
        first[i] <- min(ids[i, ])
      }
      c(ids[, 1], ids[, 2])
    }
  }
  # a replicate's merges as (smaller, larger) cluster ids, whichever side hclust put them
  pairs <- function(ab) c(pmin(ab[seq_len(p - 1)], ab[p - 1 + seq_len(p - 1)]),
                          pmax(ab[seq_len(p - 1)], ab[p - 1 + seq_len(p - 1)]))
  checked <- !fast
  done <- 0
  # replicates per block of bookkeeping: bounded memory (a few v x p matrices) and a
  # progress update every second or so at any size
  chunk <- max(1, min(nboot, 1.6e7 %/% (p * p)))
  out <- vector("list", length(sizes))
  for (j in seq_along(sizes)) {
    counts <- integer(p - 1)
    omitted <- 0L
    left <- nboot
    while (left > 0) {
      b_n <- min(chunk, left)
      idx <- matrix(sample(1:n, sizes[j] * b_n, replace = TRUE), nrow = sizes[j])
      if (fast && checked && !is.null(block)) {
        got <- .Call(block, data, idx, spec$pos, spec$keys, abscor, i_meth)
        counts <- counts + got[seq_len(p - 1)]
        omitted <- omitted + got[p]
        left <- left - b_n
        done <- done + b_n
        tick(done)
        next
      }
      ab <- matrix(0L, b_n, 2 * (p - 1))
      ok <- logical(b_n)
      withCallingHandlers({
        if (fast && checked) {
          # the hot loop: the compiled code of cor() and hclust(), nothing else
          for (b in seq_len(b_n)) {
            d <- if (!is.null(cor_dist)) .Call(cor_dist, data[idx[, b], , drop = FALSE], abscor) else {
              cc <- .Call(C_cor, data[idx[, b], , drop = FALSE], NULL, na_method, FALSE)
              if (abscor) 1 - abs(cc[low]) else 1 - cc[low]
            }
            if (all(is.finite(d))) {
              ab[b, ] <- if (!is.null(tree)) .Call(tree, d, i_meth) else {
                h <- .Fortran(C_hclust, n = p, len = len, method = i_meth, ia = integer(p),
                              ib = integer(p), crit = double(p), members = ones, nn = integer(p),
                              disnn = double(p), diss = d)
                c(h$ia[-p], h$ib[-p])
              }
              ok[b] <- TRUE
            }
          }
        } else {
          for (b in seq_len(b_n)) {
            x <- data[idx[, b], , drop = FALSE]
            d <- distance(x, fast)
            if (all(is.finite(d))) {
              ab[b, ] <- merges(d, fast)
              ok[b] <- TRUE
            }
            if (!checked) {
              # the first replicate, both ways: the compiled code must give what the
              # public functions give, else the whole run uses the public functions
              d0 <- as.vector(if (abscor) 1 - abs(stats::cor(x, use = spec$use.cor))
                              else 1 - stats::cor(x, use = spec$use.cor))[low]
              same <- identical(d0, d)
              if (same && ok[b]) same <- identical(pairs(merges(d0, FALSE)), pairs(ab[b, ]))
              if (!same) {
                fast <- FALSE
                d <- distance(x, fast)
                ok[b] <- all(is.finite(d))
                if (ok[b]) ab[b, ] <- merges(d, fast)
              }
              checked <- TRUE
              if (fast && b < b_n) {
                # the rest of the block on the fast path
                for (bb in (b + 1):b_n) {
                  d <- distance(data[idx[, bb], , drop = FALSE], TRUE)
                  if (all(is.finite(d))) {
                    ab[bb, ] <- merges(d, TRUE)
                    ok[bb] <- TRUE
                  }
                }
                break
              }
            }
          }
        }
      }, warning = function(w) {
        # cor()'s "the standard deviation is zero": pvclust suppresses it too (the
        # replicate is dropped below and reported once per scale)
        invokeRestart("muffleWarning")
      })
      omitted <- omitted + sum(!ok)
      v <- sum(ok)
      if (v > 0) {
        ab <- ab[ok, , drop = FALSE]
        ia <- pmin(ab[, seq_len(p - 1), drop = FALSE], ab[, p - 1 + seq_len(p - 1), drop = FALSE])
        ib <- pmax(ab[, seq_len(p - 1), drop = FALSE], ab[, p - 1 + seq_len(p - 1), drop = FALSE])
        # per replicate and cluster id (its smallest member, which hclust keeps for the
        # merged cluster): lowest and highest position in the original order, and size
        lo <- matrix(spec$pos, v, p, byrow = TRUE)
        hi <- lo
        sz <- matrix(1L, v, p)
        rows <- seq_len(v)
        hit <- matrix(NA_integer_, v, p - 1)
        for (k in seq_len(p - 1)) {
          a <- (ia[, k] - 1L) * v + rows
          z <- (ib[, k] - 1L) * v + rows
          l <- pmin(lo[a], lo[z]); h <- pmax(hi[a], hi[z]); s <- sz[a] + sz[z]
          lo[a] <- l; hi[a] <- h; sz[a] <- s
          key <- l * (p + 1) + h
          key[h - l + 1 != s] <- NA
          hit[, k] <- match(key, spec$keys)
        }
        counts <- counts + tabulate(hit[!is.na(hit)], nbins = p - 1)
      }
      left <- left - b_n
      done <- done + b_n
      tick(done)
    }
    out[[j]] <- structure(counts, omitted = omitted)
  }
  out
}

# The compiled kernels (every inst/csrc/*.c: pyvalues_native.c and the files beside it,
# e.g. pyvalues_perm.c, pyvalues_s500.c), built once with `R CMD SHLIB` into one shared object in a cache
# folder named by the sources' MD5 (tools::R_user_dir("pyvalues", "cache")), from the
# installed package's csrc/ or, in a source checkout (R/ sourced by pyvalues.rbridge),
# from inst/csrc/. Returns list(path, source): what a worker needs to load (or, on
# another host, build) the same code; `source` is a list of each file's lines named by
# the file. NULL when it cannot be built (no C compiler: r-base-dev on Debian), and
# callers then use R's own code.
.pv_native <- function() {
  if (isFALSE(getOption("pyvalues.native", TRUE))) return(NULL)   # R's own code only (tests, benchmarks)
  dir <- system.file("csrc", package = "pyvalues")
  root <- getOption("pyvalues.source_root")
  if (!is.null(root) && file.exists(file.path(root, "inst", "csrc", "pyvalues_native.c"))) {
    dir <- file.path(root, "inst", "csrc")
  }
  if (!nzchar(dir) || !file.exists(file.path(dir, "pyvalues_native.c"))) return(NULL)
  files <- sort(list.files(dir, pattern = "[.]c$"), method = "radix")   # the same order in any locale
  # built (or found) once per session and set of sources: the sources' paths, sizes and
  # modification times key the memo, so an edited source is rebuilt
  info <- file.info(file.path(dir, files), extra_cols = FALSE)
  stamp <- paste(file.path(dir, files), info$size, as.numeric(info$mtime), collapse = "\n")
  hit <- .pv_native_memo[[stamp]]
  if (!is.null(hit) && file.exists(hit$path)) return(hit)
  built <- .pv_native_build(stats::setNames(lapply(file.path(dir, files), readLines), files))
  if (!is.null(built)) assign(stamp, built, envir = .pv_native_memo)
  built
}
.pv_native_memo <- new.env(parent = emptyenv())

# Build `source` (a list of C files' lines, named by file) into one cached shared library;
# list(path, source) or NULL.
.pv_native_build <- function(source) {
  if (!is.list(source)) source <- list(pyvalues_native.c = source)   # one file's lines (older callers)
  work <- tempfile("pvnative")
  dir.create(work, recursive = TRUE)
  on.exit(unlink(work, recursive = TRUE), add = TRUE)
  files <- file.path(work, names(source))
  for (i in seq_along(source)) writeLines(source[[i]], files[i])
  # one key for all the sources: their names and MD5s
  listing <- file.path(work, "sources.md5")
  writeLines(paste(names(source), unname(tools::md5sum(files))), listing)
  key <- substr(unname(tools::md5sum(listing)), 1, 12)
  dir <- tryCatch(tools::R_user_dir("pyvalues", "cache"), error = function(e) tempdir())
  path <- file.path(dir, paste0("native-", key, "-", R.version$platform, "-", getRversion()),
                    paste0("pyvalues_native", .Platform$dynlib.ext))
  if (!file.exists(path)) {
    built <- file.path(work, basename(path))
    status <- suppressWarnings(system2(file.path(R.home("bin"), "R"), c("CMD", "SHLIB", "-o",
      shQuote(built), shQuote(files)), stdout = FALSE, stderr = FALSE))
    if (!identical(as.integer(status), 0L) || !file.exists(built)) return(NULL)
    dir.create(dirname(path), recursive = TRUE, showWarnings = FALSE)
    if (!suppressWarnings(file.rename(built, path)) && !file.exists(path)) {
      # cache folder not writable: keep the build in a temporary folder of this session
      path <- file.path(tempfile("pvnative"), basename(path))
      dir.create(dirname(path), recursive = TRUE)
      if (!file.copy(built, path)) return(NULL)
    }
  }
  list(path = normalizePath(path), source = source)
}

# The native routines of `native` (from .pv_native()) in this process, loading the
# library (or building it from its source, on a worker of another host) if needed; NULL
# when that is impossible. Self-contained, so it runs on workers.
.pv_native_routines <- function(native) {
  if (is.null(native)) return(NULL)
  dlls <- getLoadedDLLs()
  dll <- NULL
  for (d in dlls) if (identical(d[["path"]], native$path)) dll <- d
  if (is.null(dll)) {
    path <- native$path
    if (!file.exists(path) && length(native$source)) {
      built <- .pv_native_build(native$source)
      if (is.null(built)) return(NULL)
      path <- built$path
      for (d in dlls) if (identical(d[["path"]], path)) dll <- d
    }
    if (is.null(dll)) dll <- tryCatch(dyn.load(path), error = function(e) NULL)
    if (is.null(dll)) return(NULL)
  }
  routines <- tryCatch(list(cor_dist = getNativeSymbolInfo("pv_cor_dist", dll),
                            hclust = getNativeSymbolInfo("pv_hclust", dll),
                            boot_means = getNativeSymbolInfo("pv_boot_means", dll),
                            bm_perm_count = getNativeSymbolInfo("pv_bm_perm_count", dll)), error = function(e) NULL)
  if (is.null(routines)) return(NULL)
  # pyvalues_s500.c's loops: optional (their callers fall back to the kernels above)
  for (nm in c("boot_chunk", "pair_sums")) {
    routines[[nm]] <- tryCatch(getNativeSymbolInfo(paste0("pv_", nm), dll), error = function(e) NULL)
  }
  routines
}
