# pv_pvclust() against pvclust::pvclust() itself: the same iseed must give identical
# edges (AU, BP, their SEs, SI, fit), identical edge counts per scale and the same tree,
# serially and on a cluster (pvclust's parallel = cl path).

expect_same_pvclust <- function(ours, ref) {
  expect_identical(ours$edges$au, ref$edges$au)
  expect_identical(ours$edges$bp, ref$edges$bp)
  expect_identical(ours$edges$se.au, ref$edges$se.au)
  expect_identical(ours$edges$se.bp, ref$edges$se.bp)
  expect_identical(ours$edges, ref$edges)
  expect_identical(ours$count, ref$count)
  expect_identical(ours$nboot, ref$nboot)
  expect_identical(ours$r, ref$r)
  expect_identical(ours$hclust$merge, ref$hclust$merge)
}

# term-mean-like columns: 25 rows, models in columns, some exact ties (rounded values)
random_columns <- function(p, seed) {
  set.seed(seed)
  base <- matrix(stats::rnorm(25 * 4), 25, 4)
  M <- sapply(seq_len(p), function(j) round(base[, (j - 1) %% 4 + 1] + stats::rnorm(25, sd = 0.8), 1))
  dimnames(M) <- list(pv_instrument()$term, sprintf("m%03d", seq_len(p)))
  M
}

bundled_matrix <- function() {
  tm <- pv_model_term_means(paper2026_reconstruction)
  models <- unique(tm$model)
  inst <- pv_instrument()
  matrix(tm$mean_rank[order(match(tm$model, models), match(tm$term, inst$term))],
         nrow = length(inst$term), dimnames = list(inst$term, models))
}

test_that("bundled table: pv_pvclust and cluster_models equal pvclust::pvclust exactly", {
  M <- bundled_matrix()
  ref <- pvclust::pvclust(M, nboot = 100, iseed = 2026, quiet = TRUE)
  expect_same_pvclust(pv_pvclust(M, nboot = 100, iseed = 2026, quiet = TRUE), ref)
  cl <- pv_cluster_models(paper2026_reconstruction, nboot = 100, seed = 2026, quiet = TRUE)
  expect_identical(cl$cluster_edges$au, ref$edges$au)
  expect_identical(cl$cluster_edges$bp, ref$edges$bp)
  expect_identical(cl$cluster_edges$se_au, ref$edges$se.au)
  expect_identical(cl$cluster_edges$se_bp, ref$edges$se.bp)
  expect_identical(pv_cluster_models(paper2026_reconstruction, nboot = 100, seed = 2026, engine = "pvclust"), cl)
})

test_that("random tables of 5, 50 and 200 models: identical to pvclust::pvclust", {
  for (p in c(5, 50)) {
    M <- random_columns(p, seed = p)
    expect_same_pvclust(pv_pvclust(M, nboot = 60, iseed = 7, quiet = TRUE),
                        pvclust::pvclust(M, nboot = 60, iseed = 7, quiet = TRUE))
  }
  skip_on_cran()  # pvclust itself takes ~10 s at 200 models
  M <- random_columns(200, seed = 200)
  expect_same_pvclust(pv_pvclust(M, nboot = 12, iseed = 7, quiet = TRUE),
                      pvclust::pvclust(M, nboot = 12, iseed = 7, quiet = TRUE))
})

test_that("other linkages and distances, NAs and constant resamples: identical to pvclust", {
  set.seed(3)
  X <- matrix(sample(1:3, 25 * 12, replace = TRUE), 25, 12)   # many tied distances
  X[, 2] <- X[, 1]
  X[1:23, 5] <- 2     # resamples where this column is constant: cor() is NA, the replicate omitted
  ref <- suppressWarnings(pvclust::pvclust(X, nboot = 40, iseed = 3, quiet = TRUE))
  warned <- character()
  ours <- withCallingHandlers(pv_pvclust(X, nboot = 40, iseed = 3, quiet = TRUE), warning = function(w) {
    warned <<- c(warned, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  expect_true(any(grepl("inappropriate distance matrices are omitted", warned)))
  expect_same_pvclust(ours, ref)
  expect_lt(sum(ours$count[, 1]), 40 * (ncol(X) - 1))          # some replicates were omitted
  for (m in c("single", "complete", "ward.D2", "centroid")) {
    expect_same_pvclust(suppressWarnings(pv_pvclust(X, method.hclust = m, nboot = 30, iseed = 4, quiet = TRUE)),
                        suppressWarnings(pvclust::pvclust(X, method.hclust = m, nboot = 30, iseed = 4, quiet = TRUE)))
  }
  for (d in c("abscor", "euclidean", "uncentered")) {
    expect_same_pvclust(suppressWarnings(pv_pvclust(X, method.dist = d, nboot = 30, iseed = 5, quiet = TRUE)),
                        suppressWarnings(pvclust::pvclust(X, method.dist = d, nboot = 30, iseed = 5, quiet = TRUE)))
  }
  Y <- random_columns(9, seed = 9)
  Y[3, 4] <- NA
  expect_same_pvclust(pv_pvclust(Y, nboot = 30, iseed = 6, quiet = TRUE),
                      pvclust::pvclust(Y, nboot = 30, iseed = 6, quiet = TRUE))
})

test_that("two local PSOCK workers: identical to pvclust(parallel = cl); reproducible", {
  skip_on_cran()
  cl <- parallel::makePSOCKcluster(2)
  on.exit(parallel::stopCluster(cl))
  M <- bundled_matrix()
  ref <- pvclust::pvclust(M, nboot = 101, iseed = 2026, quiet = TRUE, parallel = cl)
  ours <- pv_pvclust(M, nboot = 101, iseed = 2026, quiet = TRUE, cluster = cl)
  expect_same_pvclust(ours, ref)
  expect_identical(pv_pvclust(M, nboot = 101, iseed = 2026, quiet = TRUE, cluster = cl)$edges, ours$edges)
  # pvclust's own parallel = <integer> path starts a PSOCK cluster of that size
  expect_same_pvclust(pv_pvclust(M, nboot = 101, iseed = 2026, quiet = TRUE, cluster = 2L), ref)
  # serial and 2-worker runs use different generators, as pvclust's do
  serial <- pv_pvclust(M, nboot = 101, iseed = 2026, quiet = TRUE)
  expect_false(identical(serial$count, ours$count))
  # .pv_lapply: per-worker L'Ecuyer streams, blocks in order; equal to doing it by hand
  draws <- .pv_lapply(1:5, function(i) stats::runif(2), cluster = cl, seed = 11)
  RNGkind("L'Ecuyer-CMRG")
  set.seed(11)
  s1 <- .Random.seed
  s2 <- parallel::nextRNGStream(s1)
  RNGkind("default")
  by_hand <- list()
  assign(".Random.seed", s1, envir = globalenv()); for (i in 1:3) by_hand[[i]] <- stats::runif(2)
  assign(".Random.seed", s2, envir = globalenv()); for (i in 4:5) by_hand[[i]] <- stats::runif(2)
  RNGkind("default")
  expect_identical(draws, by_hand)
  set.seed(11)
  serial_draws <- as.list(stats::runif(3))
  expect_identical(.pv_lapply(1:3, function(i) stats::runif(1), seed = 11), serial_draws)
})

test_that("bad cluster arguments fail at once with what to do", {
  M <- bundled_matrix()
  expect_error(pv_pvclust(M, nboot = 0), "nboot must be one whole number")
  expect_error(pv_pvclust(M, nboot = 10, cluster = 1.5), "whole number of local workers")
  expect_error(pv_pvclust(M, nboot = 10, cluster = list()), "expected NULL, a number of local workers")
  expect_warning(pv_pvclust(M, nboot = 1, cluster = 1L, quiet = TRUE), NA)   # 1 worker: serial
  # a host without ssh + R is named at once (PSOCK's own set-up would wait for minutes)
  expect_error(.pv_cluster("nosuchhost.invalid"), "cannot run Rscript on host 'nosuchhost.invalid' over ssh")
})

test_that("compiled kernels: cor() distances and hclust() merges bit for bit, ties, NAs and all 8 linkages", {
  routines <- .pv_native_routines(.pv_native())
  skip_if(is.null(routines), "no C compiler: pv_pvclust uses R's own code (tested above)")
  C_hclust <- utils::getFromNamespace("C_hclust", "stats")
  fortran <- function(d, p, m) {
    h <- .Fortran(C_hclust, n = p, len = length(d), method = m, ia = integer(p), ib = integer(p),
                  crit = double(p), members = rep(1, p), nn = integer(p), disnn = double(p), diss = d)
    c(h$ia[-p], h$ib[-p])
  }
  set.seed(21)
  for (rep in 1:60) {
    p <- as.integer(sample(c(3:40, 120), 1))
    n <- sample(c(2:6, 12:35), 1)
    x <- if (rep %% 3 == 0) matrix(sample(1:3, n * p, TRUE), n) else round(matrix(stats::rnorm(n * p), n), 2)
    if (rep %% 5 == 0) x[, 2] <- 1.5                          # a constant column: NA coefficients
    low <- lower.tri(diag(p))
    r <- suppressWarnings(stats::cor(x, use = "pairwise.complete.obs"))
    expect_identical(.Call(routines$cor_dist, x, FALSE), (1 - r)[low])
    expect_identical(.Call(routines$cor_dist, x, TRUE), (1 - abs(r))[low])
    d <- as.vector(stats::dist(t(x)))                         # euclidean: many exact ties
    for (m in 1:8) expect_identical(.Call(routines$hclust, d, m), fortran(d, p, m))
  }
})

test_that("without the compiled kernels (R's own code): still identical to pvclust", {
  old <- options(pyvalues.native = FALSE)
  on.exit(options(old))
  expect_null(.pv_native())
  M <- random_columns(30, seed = 30)
  expect_same_pvclust(pv_pvclust(M, nboot = 20, iseed = 9, quiet = TRUE),
                      pvclust::pvclust(M, nboot = 20, iseed = 9, quiet = TRUE))
})

test_that("a cluster run leaves this process's generator as it was (a later serial run equals pvclust's)", {
  skip_on_cran()
  M <- bundled_matrix()
  had <- exists(".Random.seed", envir = globalenv())
  if (had) old_seed <- get(".Random.seed", envir = globalenv())
  old_kind <- RNGkind()
  on.exit({
    RNGkind(old_kind[1], old_kind[2], old_kind[3])
    if (had) assign(".Random.seed", old_seed, envir = globalenv())
  })
  # a fresh session's state: default generator, no seed yet (what parallel's
  # clusterSetRNGStream turns into L'Ecuyer-CMRG for good)
  RNGkind("default", "default", "default")
  if (exists(".Random.seed", envir = globalenv())) rm(".Random.seed", envir = globalenv())
  cl <- parallel::makePSOCKcluster(2)
  on.exit(parallel::stopCluster(cl), add = TRUE)
  invisible(pv_pvclust(M, nboot = 20, iseed = 5, quiet = TRUE, cluster = cl))
  expect_identical(RNGkind()[1], "Mersenne-Twister")
  invisible(.pv_lapply(1:2, function(i) i, cluster = cl, seed = 3))
  expect_identical(RNGkind()[1], "Mersenne-Twister")
  expect_same_pvclust(pv_pvclust(M, nboot = 20, iseed = 5, quiet = TRUE),
                      pvclust::pvclust(M, nboot = 20, iseed = 5, quiet = TRUE))
})

test_that("blocks of replicates in C (pv_boot_chunk): identical to pvclust at 120 models, abscor, omitted replicates", {
  routines <- .pv_native_routines(.pv_native())
  skip_if(is.null(routines$boot_chunk), "no C compiler: pv_pvclust uses R's own code (tested above)")
  skip_on_cran()
  M <- random_columns(120, seed = 120)
  expect_same_pvclust(pv_pvclust(M, nboot = 10, iseed = 8, quiet = TRUE),
                      pvclust::pvclust(M, nboot = 10, iseed = 8, quiet = TRUE))
  set.seed(4)
  X <- matrix(sample(1:4, 25 * 40, replace = TRUE), 25, 40)
  X[1:22, 7] <- 3                                   # constant in some resamples: omitted
  for (d in c("correlation", "abscor")) {
    expect_same_pvclust(suppressWarnings(pv_pvclust(X, method.dist = d, nboot = 50, iseed = 2, quiet = TRUE)),
                        suppressWarnings(pvclust::pvclust(X, method.dist = d, nboot = 50, iseed = 2, quiet = TRUE)))
  }
  # the kernel alone: counts per original edge and omitted replicates, against the R loop
  # (the same resamples through stats' own C_cor and Fortran hclust)
  spec <- .pv_boot_spec(stats::hclust(stats::as.dist(1 - stats::cor(X)), "average"), "correlation",
                        "pairwise.complete.obs", "average")
  set.seed(9); a <- .pv_boot_counts(X, c(12, 25, 30), 40, spec, function(done) invisible(), routines = routines)
  set.seed(9); b <- .pv_boot_counts(X, c(12, 25, 30), 40, spec, function(done) invisible(), routines = NULL)
  expect_identical(a, b)
  expect_gt(sum(vapply(a, attr, numeric(1), "omitted")), 0)
})
