# The resampling steps computed the fast way (matrix algebra on precomputed matrices, tied
# values enumerated by count, blocks on R workers) against straightforward reference
# implementations written here: an explicit loop over every split with the Brunner-Munzel
# formula, a loop bootstrap over resampled models or pairs with cor() recomputed.

# The studentized permutation statistic of brunnermunzel 2.0 (calc_statistics.f) for one
# split, member by member: pooled and within-group mid-ranks, single-precision constants
# and the variance floor of the Fortran code.
bm_split_statistic <- function(x, y) {
  single <- function(v) readBin(writeBin(as.double(v), raw(), size = 4L), "double", size = 4L)
  nx <- length(x); ny <- length(y)
  r <- rank(c(x, y)); rx <- r[seq_len(nx)]; ry <- r[nx + seq_len(ny)]
  mx <- mean(rx); my <- mean(ry)
  sx <- sum((rx - rank(x) - mx + (nx + 1) / 2)^2)
  sy <- sum((ry - rank(y) - my + (ny + 1) / 2)^2)
  v <- single(nx / (nx - 1)) * sx + single(ny / (ny - 1)) * sy
  if (v < single(1e-6)) v <- single(1e-5)
  (my - mx) / sqrt(v)
}

bm_perm_p_by_loop <- function(x, y) {
  pooled <- c(x, y); nx <- length(x)
  splits <- utils::combn(length(pooled), nx)
  obs <- abs(bm_split_statistic(x, y))
  stat <- apply(splits, 2, function(s) abs(bm_split_statistic(pooled[s], pooled[-s])))
  tol <- readBin(writeBin(1e-14, raw(), size = 4L), "double", size = 4L)
  mean(abs(stat - obs) < tol | stat >= obs)
}

test_that("term_tests' exact p_perm equals a loop over every split with the BM formula (5 vs 4 and 6 vs 6 models)", {
  for (shape in list(c(5, 4, 21), c(6, 6, 22))) {
    tab <- make_rank_table(n_cn = shape[1], n_us = shape[2], seed = shape[3])
    tt <- pv_term_tests(tab)
    tm <- plain_scores(tab)$term_means
    by_loop <- vapply(tt$term, function(t) {
      x <- tm$rank[tm$term == t & tm$country == "CN"]
      y <- tm$rank[tm$term == t & tm$country == "US"]
      bm_perm_p_by_loop(x, y)
    }, numeric(1))
    expect_equal(tt$n_perm, rep(choose(sum(shape[1:2]), shape[1]), 25))
    # p is a count over splits divided by their number: equal up to the last bit
    expect_equal(tt$p_perm, unname(by_loop), tolerance = 1e-15)
  }
})

test_that(".pv_boot_means (language consistency's pair bootstrap) over several blocks equals one loop of sample.int draws per block", {
  tab <- make_rank_table(n_cn = 11, n_us = 4, seed = 31)
  tm <- plain_scores(tab)$term_means
  M <- tapply(tm$rank, list(tm$term, tm$model), identity)
  cn <- M[, grepl("^cn", colnames(M))]
  rho <- cor(cn, method = "spearman"); tau <- cor(cn, method = "kendall")
  ij <- which(upper.tri(rho), arr.ind = TRUE)
  ij <- ij[order(ij[, 1], ij[, 2]), ]
  X <- cbind(spearman = rho[ij], kendall = tau[ij])     # 55 pairs
  nboot <- 40000                                         # blocks of floor(1e6 / 40000) = 25 pairs
  set.seed(2026)
  sums <- matrix(0, nboot, 2)
  done <- 0
  while (done < 55) {
    m <- min(25, 55 - done)
    idx <- matrix(sample.int(55, m * nboot, replace = TRUE), nrow = nboot)
    for (j in 1:2) sums[, j] <- sums[, j] + apply(idx, 1, function(i) sum(X[i, j]))
    done <- done + m
  }
  by_loop <- sums / 55
  fast <- .pv_boot_means(X, nboot, 2026)
  expect_equal(unname(fast), by_loop, tolerance = 1e-13)
})

test_that("model-bootstrap CI of correlations equals a loop bootstrap recomputing cor() on the drawn models", {
  tab <- make_rank_table(n_cn = 6, n_us = 5, seed = 33)
  tm <- plain_scores(tab)$term_means
  M <- tapply(tm$rank, list(tm$term, tm$model), identity)
  us <- M[, grepl("^us", colnames(M))]
  nboot <- 2500                                          # three blocks: 1000, 1000, 500
  old <- RNGkind()
  RNGkind("L'Ecuyer-CMRG"); set.seed(2026)
  stream <- .Random.seed
  means <- c()
  for (size in c(1000, 1000, 500)) {
    assign(".Random.seed", stream, envir = globalenv())
    idx <- matrix(sample.int(5, size * 5, replace = TRUE), nrow = size, byrow = TRUE)
    means <- c(means, apply(idx, 1, function(d) {
      vals <- c()
      for (a in 1:4) for (b in (a + 1):5) if (d[a] != d[b]) {
        vals <- c(vals, cor(us[, d[a]], us[, d[b]], method = "spearman"))
      }
      if (length(vals)) mean(vals) else NA
    }))
    stream <- parallel::nextRNGStream(stream)
  }
  RNGkind(old[1], old[2], old[3])
  co <- pv_correlations(tab, nboot = nboot)
  row <- co[co$group == "US" & co$method == "spearman", ]
  expect_equal(c(row$ci_low, row$ci_high), unname(quantile(means, c(0.025, 0.975), na.rm = TRUE)),
               tolerance = 1e-12)
  expect_match(row$ci_method, sprintf("%d draws with one distinct model dropped", sum(is.na(means))))
})

test_that("two PSOCK workers: the same numbers twice, and the same as serial (term_tests MC, correlations, cohesion_test)", {
  skip_on_cran()
  tab <- make_rank_table(n_cn = 12, n_us = 10, seed = 35)   # choose(22, 12) splits: Monte Carlo
  cl <- parallel::makePSOCKcluster(2)
  on.exit(parallel::stopCluster(cl), add = TRUE)
  run <- function(cluster) list(
    term_tests = pv_term_tests(tab, nperm = 2500, cluster = cluster),
    correlations = pv_correlations(tab, nboot = 2500, cluster = cluster),
    cohesion_test = pv_cohesion_test(tab, nboot = 2500, nperm = 2500, cluster = cluster))
  first <- run(cl)
  second <- run(cl)
  serial <- run(NULL)
  expect_identical(first, second)
  expect_identical(first, serial)
  expect_true(all(grepl("Monte Carlo", first$cohesion_test$note)))
  expect_true(all(first$term_tests$n_perm == 2500))
  # the workers' RNG draws really happened there: a worker's stream moved
  expect_true(all(unlist(parallel::clusterEvalQ(cl, exists(".Random.seed", envir = globalenv())))))
})

test_that("compiled sums over pairs (pv_pair_sums) equal R's rowSums((W %*% R0) * W) bit for bit", {
  routines <- .pv_native_routines(.pv_native())
  skip_if(is.null(routines$pair_sums), "no C compiler: R's own expression is used (tested above)")
  set.seed(41)
  for (n in c(2, 3, 9, 60, 240)) {
    R <- stats::cor(matrix(round(stats::rnorm(25 * n), 1), 25), method = "spearman")
    K <- stats::cor(matrix(sample(1:5, 25 * n, TRUE), 25), method = "kendall")
    dimnames(R) <- list(paste0("m", 1:n), paste0("m", 1:n))
    R0s <- lapply(list(R, K), function(x) { diag(x) <- 0; x })
    C <- .pv_draw_counts(150, n)                                   # bootstrap counts (integers)
    Z <- t(vapply(1:150, function(b) { z <- numeric(n); z[sample.int(n, max(1, n %/% 3))] <- 1; z }, numeric(n)))
    for (W in list(C, Z, 1 - Z)) {
      by_r <- vapply(R0s, function(R0) rowSums((W %*% R0) * W), numeric(nrow(W)))
      expect_identical(.Call(routines$pair_sums, W, lapply(R0s, `+`, 0)), unname(by_r))
      expect_identical(.pv_pair_sums(W, R0s, .pv_native()), unname(by_r))
    }
  }
  # the model bootstrap's draws: .pv_mean_pairs (R's expression) on the same counts
  R <- stats::cor(matrix(stats::rnorm(25 * 30), 25))
  old <- RNGkind()
  RNGkind("L'Ecuyer-CMRG"); set.seed(5)
  C <- .pv_draw_counts(700, 30)
  RNGkind(old[1], old[2], old[3])
  expect_identical(.pv_model_boot(list(R), 700, 5)[, 1], .pv_mean_pairs(C, R))
  # and R's own code when the compiled code is switched off
  withr_native <- options(pyvalues.native = FALSE)
  on.exit(options(withr_native))
  expect_identical(.pv_model_boot(list(R), 700, 5)[, 1], .pv_mean_pairs(C, R))
})

test_that("cohesion_test's Monte Carlo p and correlations' CIs: the same numbers with R's own code (no compiled code)", {
  tab <- make_rank_table(n_cn = 12, n_us = 11, seed = 43)     # choose(23, 12) splits: Monte Carlo
  fast <- list(pv_cohesion_test(tab, nboot = 1500, nperm = 1500), pv_correlations(tab, nboot = 1500))
  old <- options(pyvalues.native = FALSE)
  on.exit(options(old))
  plain <- list(pv_cohesion_test(tab, nboot = 1500, nperm = 1500),
                suppressWarnings(pv_correlations(tab, nboot = 1500)))
  expect_true(all(grepl("Monte Carlo", fast[[1]]$note)))
  expect_identical(fast[[1]], plain[[1]])
  # the pair bootstrap has no R version (NA without compiled code); every other column agrees
  keep <- setdiff(names(fast[[2]]), c("ci_low_pairs", "ci_high_pairs"))
  expect_identical(fast[[2]][keep], plain[[2]][keep])
})
