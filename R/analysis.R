#' Run every analysis of the paper on a rank table
#'
#' Computes each table of the output contract (see the README) in one call. Each
#' analysis family runs inside its own error boundary: a family that does not apply to
#' the table's shape, or that cannot be computed on this data (R stops, e.g. "data are
#' essentially constant"), becomes a row of `skipped` with a plain-words `reason` and R's
#' own `message`; every other table is still computed. Shape rules: the ANOVAs and
#' correlations need two or more models, the group comparisons (`dimension_tests`,
#' `mixed_anova`, `term_tests`, `cohesion_test`) two groups with at least two models
#' each, clustering three or more models. `concordance` has one row per model (NA with a
#' note for a model with a single ranking).
#'
#' Which two countries are compared: `groups` when given (an unknown name is an error,
#' raised before any computing, that lists the countries present); otherwise the two
#' countries with the most models, ties broken alphabetically, and the two put in
#' alphabetical order (so CN before US). The choice is recorded in `groups_compared`.
#'
#' Direction of every signed two-group effect (`dimension_tests`: `r_rb`, `t`,
#' `hedges_g`; `term_tests`: `statistic`, `estimate` - 0.5, `cliffs_delta`;
#' `cohesion_test`: `diff`): positive = the first group (`group1`) ranks it as more
#' important, i.e. gives it lower ranks (for `cohesion_test`: group1 is more cohesive).
#'
#' @param rank_table a rank table (see [pv_validate()]).
#' @param groups the two country labels to compare, first one first.
#' @param k,nboot,distance,linkage,seed,parallel,cluster,engine passed to [pv_cluster_models()];
#'   `cluster` (or `parallel`) also runs the other resampling steps' workers.
#' @param ci_nboot bootstrap resamples for the correlation CIs and `cohesion_test`.
#' @param nperm Monte Carlo draws of the permutation tests when exact enumeration is too
#'   large (more than `choose(20, 10)` = 184756 splits; see [pv_term_tests()]).
#' @param overlap `TRUE`: the afex ANOVAs (`dispersion_anova`, `mixed_anova`; loading afex
#'   and its imports takes about 2 CPU seconds) run in a second R process (one local PSOCK
#'   worker) while this one computes the other tables. The same functions on the same data:
#'   the same numbers, tables and `skipped` rows, in the same order, as `FALSE` (the default).
#'   Worth it with two or more cores; pyvalues's Python `run()` asks for it there. Ignored
#'   when afex is already loaded in this session (nothing to gain). Should
#'   the worker fail to start or to return, they are computed in this process after all.
#' @param .only internal: compute only these families (what the side worker is asked).
#' @return a `pv_results` object (see [pv_results]): a named list of data.frames that prints
#'   as a compact summary: `model_term_means`, `model_dimension_scores`,
#'   `term_means`, `dimension_means`, `primary_secondary`, `primary_secondary_counts`,
#'   `dispersion_anova`, `dispersion_posthoc`, `group_top_bottom`, `dimension_tests`,
#'   `mixed_anova`, `term_tests`, `correlation_pairs`, `correlations`, `cohesion_test`,
#'   `clusters`, `cluster_edges`, `archetypes`, `concordance`, `groups_compared`
#'   (`group1, group2, n1, n2, rule`), for a table with two prompt languages
#'   `language_term_tests`, `language_dimension_tests`, `language_anova`,
#'   `language_consistency`, `language_consistency_summary`; and `skipped`
#'   (`analysis, reason, message`).
#' @examples
#' \donttest{
#' res <- pv_analyse(paper2026_reconstruction, nboot = 100)
#' res$dispersion_anova
#' }
#' @export
pv_analyse <- function(rank_table, groups = NULL, k = 4, nboot = 1000, distance = "correlation",
                       linkage = "average", seed = 2026, parallel = FALSE, ci_nboot = 10000,
                       nperm = 10000, cluster = NULL, engine = "pyvalues", overlap = FALSE,
                       .only = NULL) {
  d <- pv_validate(rank_table)
  # checked before any computing: unknown names stop here with the countries present
  chosen <- .pv_choose_groups(d, groups)
  # the afex families on a side worker, started first (R/anova.R)
  # (not when afex is loaded here already: a second run in one session gains nothing)
  side <- if (isTRUE(overlap) && is.null(.only) && !isNamespaceLoaded("afex")) .pv_side_start(d, groups) else NULL
  if (!is.null(side)) on.exit(.pv_side_stop(side), add = TRUE)
  # one cluster for every resampling step of the run (started once, stopped at the end)
  workers <- .pv_cluster(if (is.null(cluster) && !isFALSE(parallel)) {
    if (isTRUE(parallel)) parallel::detectCores() - 1L else parallel
  } else cluster)
  if (workers$own) on.exit(parallel::stopCluster(workers$cl), add = TRUE)
  models <- unique(d$model)
  # With a cluster, the multiscale bootstrap (by far the longest step) is sent to its
  # workers first, and this process computes the other tables meanwhile: their resampling
  # runs here (each block of draws on its own seeded stream, so the numbers are those the
  # workers would give), and the clustering tables are collected last, put in their place.
  # The same tables as computing them in order, sooner on a machine with spare cores.
  clustering <- "clusters, cluster_edges, archetypes"
  boot <- NULL
  if (!is.null(workers$cl) && length(workers$cl) >= 2 && identical(engine, "pyvalues") &&
      (is.null(.only) || clustering %in% .only) && length(models) >= 3 &&
      is.numeric(nboot) && length(nboot) == 1 && !is.na(nboot) && nboot >= length(workers$cl)) {
    boot <- tryCatch(.pv_cluster_models_start(d, nboot = nboot, distance = distance, linkage = linkage,
                                              seed = seed, cl = workers$cl),
                     error = function(e) NULL)
    # an exit before the tables are collected (an error, an interrupt): a caller's cluster
    # is left usable, its workers' answers read first (a cluster started here is stopped)
    if (!is.null(boot) && !workers$own) on.exit(boot$drain(), add = TRUE, after = FALSE)
  }
  # where the other resampling steps run: on the workers unless they are busy with the bootstrap
  resample_cl <- if (is.null(boot)) workers$cl else NULL
  out <- list()
  skipped <- data.frame(analysis = character(), reason = character(), message = character(),
                        stringsAsFactors = FALSE)
  # One analysis family inside its own error boundary: its table(s) go into `out`; a
  # family that does not apply (.pv_not_applicable) or that R cannot compute on this
  # data becomes a row of `skipped` with the reason in plain words and R's message.
  # A family computed by the side worker keeps its place: a slot in `skipped`'s order,
  # filled with the worker's table or skipped row once this process is done with the rest.
  pending <- character()
  ticks <- list()
  deferred <- list()
  # defer = TRUE: the family keeps its place (a slot among the tables and in `skipped`)
  # and is computed after the others (the bootstrap sent to the workers)
  family <- function(name, expr, defer = FALSE) {
    if (!is.null(.only) && !name %in% .only) return(invisible(NULL))
    if (defer) {
      out[[paste0(".deferred:", name)]] <<- TRUE
      skipped[nrow(skipped) + 1L, ] <<- list(name, NA_character_, NA_character_)
      deferred[[name]] <<- function() expr
      return(invisible(NULL))
    }
    if (!is.null(side) && name %in% side$families) {
      pending[length(pending) + 1L] <<- name
      ticks[[name]] <<- .pv_progress(.pv_step_label(name), 1)  # announced now, finished when collected
      out[[paste0(".pending:", name)]] <<- TRUE  # its place among the tables
      skipped[nrow(skipped) + 1L, ] <<- list(name, NA_character_, NA_character_)
      return(invisible(NULL))
    }
    res <- tryCatch(.pv_step(.pv_step_label(name), expr), error = function(e) {
      not_applicable <- inherits(e, "pv_not_applicable")
      skipped[nrow(skipped) + 1L, ] <<- list(name, if (not_applicable) conditionMessage(e) else .pv_plain_reason(e),
                                             if (not_applicable) "" else conditionMessage(e))
      NULL
    })
    if (is.data.frame(res)) out[[name]] <<- res else if (is.list(res)) out[names(res)] <<- res
    invisible(NULL)
  }
  need_models <- function(n, what) {
    if (length(models) < n) .pv_not_applicable(sprintf(.pv_skip$too_few_models, what, n, length(models)))
  }
  need_groups <- function() {
    if (is.null(chosen$groups)) .pv_not_applicable(chosen$reason)
    chosen$groups
  }

  family("model_term_means", pv_model_term_means(d))
  family("model_dimension_scores", pv_model_dimension_scores(d))
  family("term_means", pv_term_means(d))
  family("dimension_means", pv_dimension_means(d))
  family("primary_secondary", pv_primary_secondary(d))
  family("primary_secondary_counts", pv_primary_secondary_counts(d))
  family("group_top_bottom", pv_group_top_bottom(d))
  family("dispersion_anova", {need_models(2, "the dispersion ANOVA"); pv_dispersion_anova(d)})
  family("dispersion_posthoc", {need_models(2, "the dispersion post hoc tests"); pv_dispersion_posthoc(d)})
  family("correlation_pairs", {need_models(2, "pairwise correlations"); pv_correlation_pairs(d)})
  family("correlations", {need_models(2, "pairwise correlations"); pv_correlations(d, nboot = ci_nboot, seed = seed, cluster = resample_cl)})
  family("dimension_tests", pv_dimension_tests(d, need_groups()))
  family("mixed_anova", pv_mixed_anova(d, need_groups()))
  family("term_tests", pv_term_tests(d, need_groups(), nperm = nperm, seed = seed, cluster = resample_cl))
  family("cohesion_test", pv_cohesion_test(d, need_groups(), nboot = ci_nboot, nperm = nperm, seed = seed,
                                                 cluster = resample_cl))
  family(clustering, {
    need_models(3, "clustering")
    pv_cluster_models(d, k = k, nboot = nboot, distance = distance, linkage = linkage, seed = seed,
                   cluster = workers$cl, engine = engine, .started = boot)
  }, defer = !is.null(boot))
  family("concordance", pv_concordance(d))
  out$groups_compared <- chosen$table
  family("language_term_tests, language_dimension_tests, language_anova, language_consistency", {
    lang <- .pv_language_tables(d, seed = seed, nboot = ci_nboot)  # R/language.R
    if (length(lang$skipped)) .pv_not_applicable(lang$skipped[2])
    lang$tables
  })
  for (name in names(deferred)) {
    slot <- which(skipped$analysis == name & is.na(skipped$reason))[1L]
    res <- tryCatch(.pv_step(.pv_step_label(name), deferred[[name]]()), error = function(e) e)
    tables <- list()
    if (inherits(res, "error")) {
      not_applicable <- inherits(res, "pv_not_applicable")
      skipped[slot, ] <- list(name, if (not_applicable) conditionMessage(res) else .pv_plain_reason(res),
                              if (not_applicable) "" else conditionMessage(res))
    } else {
      skipped <- skipped[-slot, , drop = FALSE]
      if (is.data.frame(res)) tables[[name]] <- res else if (is.list(res)) tables <- res
    }
    at <- match(paste0(".deferred:", name), names(out))
    out <- c(out[seq_len(at - 1L)], tables, out[-seq_len(at)])
    rownames(skipped) <- NULL
  }
  if (length(pending)) {
    done <- .pv_side_collect(side)
    if (is.null(done)) {  # the worker failed: compute them here, as without overlap
      local <- pv_analyse(d, groups = groups, .only = pending)
      done <- list(out = local, skipped = local$skipped)
    }
    merged <- list()
    for (slot_name in names(out)) {
      if (!startsWith(slot_name, ".pending:")) {
        merged[[slot_name]] <- out[[slot_name]]
        next
      }
      name <- sub("^[.]pending:", "", slot_name)
      ticks[[name]](1)
      slot <- which(skipped$analysis == name & is.na(skipped$reason))[1L]
      if (name %in% names(done$out)) {
        merged[[name]] <- done$out[[name]]
        skipped <- skipped[-slot, , drop = FALSE]
      } else {
        skipped[slot, ] <- done$skipped[done$skipped$analysis == name, , drop = FALSE][1L, ]
      }
    }
    out <- merged
    rownames(skipped) <- NULL
  }
  out$skipped <- skipped
  structure(out, class = c("pv_results", "list"), provenance = attr(rank_table, "provenance"))
}

# What the progress line calls a family (`skipped` keeps the table names).
.pv_step_label <- function(name) {
  labels <- c(dispersion_anova = "dispersion ANOVA (afex)", dispersion_posthoc = "dispersion post hoc (paired t)",
              dimension_tests = "dimension tests (Mann-Whitney U, Welch)", mixed_anova = "mixed ANOVA (afex)",
              term_tests = "term tests (Brunner-Munzel, permutation p)",
              correlations = "correlations (model bootstrap)",
              cohesion_test = "cohesion test (bootstrap, permutation p)", concordance = "concordance (Kendall's W)")
  if (name %in% names(labels)) labels[[name]] else name
}

# Signal that an analysis does not apply to the table's shape (caught by pv_analyse's
# family boundary; called directly it is an ordinary error with this message).
.pv_not_applicable <- function(reason) {
  stop(structure(class = c("pv_not_applicable", "error", "condition"),
                 list(message = reason, call = NULL)))
}

# R's error message -> what it means for the user, in plain words.
.pv_plain_reason <- function(e) {
  msg <- conditionMessage(e)
  known <- list(
    c("essentially constant", "the values do not vary within a group (every model in it gives the same value), so the test's standard error is zero"),
    c("GG eps|NAs are not allowed in subscripted", "the ANOVA's error term is zero (the models do not vary around the effects: identical values), so F and its Greenhouse-Geisser correction are undefined"),
    c("residual sum of squares is 0|Residual SS is 0|perfect fit", "the ANOVA's error term is zero (no variation left after the model), so F is undefined"),
    c("not enough observations", "a group has too few values for this test"),
    c("NA/NaN/Inf", "the statistic is undefined on this data (a zero or missing variance)"))
  for (k in known) if (grepl(k[1], msg)) return(k[2])
  .pv_skip$not_computable
}

# The skip rules' words, written once on the R side (pyvalues/formulas.py SKIP holds the
# same sentences for the Python twins; tests/test_layers.py checks that they agree).
.pv_skip <- list(
  too_few_models = "%s: at least %d models are needed; the table has %d",
  not_computable = "could not be computed on this data (see message)",
  one_country = "group comparisons need two countries; the table has %s",
  small_group = "group comparisons need at least two models in each group; %s has %d, %s has %d"
)

# The two groups compared, first one first, with the rule that chose them.
# Default: the two countries with the most models (ties: alphabetical), in alphabetical
# order. Given `groups` must name two distinct countries present in the table.
.pv_choose_groups <- function(d, groups = NULL) {
  per_model <- d[!duplicated(d$model), ]
  per_country <- table(per_model$country)
  present <- names(per_country)
  listing <- paste(sprintf("%s (%d model%s)", present, as.integer(per_country),
                           ifelse(per_country == 1, "", "s")), collapse = ", ")
  if (!is.null(groups)) {
    groups <- as.character(groups)
    if (length(groups) != 2L || anyDuplicated(groups) || anyNA(groups)) {
      stop("groups must be two different country labels, first one first; got ",
           paste(deparse(groups), collapse = " "), ". Countries present: ", listing, call. = FALSE)
    }
    unknown <- setdiff(groups, present)
    if (length(unknown)) {
      stop("groups: ", paste(sprintf("'%s'", unknown), collapse = ", "),
           if (length(unknown) == 1L) " is not a country" else " are not countries",
           " of the rank table; countries present: ", listing,
           ". Fix: pass two of these as groups, or omit groups.", call. = FALSE)
    }
    rule <- "given"
  } else {
    if (length(present) < 2L) {
      return(list(groups = NULL, table = data.frame(group1 = character(), group2 = character(),
                                                    n1 = integer(), n2 = integer(), rule = character()),
                  reason = sprintf(.pv_skip$one_country, listing)))
    }
    o <- order(-as.integer(per_country), present)
    groups <- sort(present[o[1:2]])
    rule <- if (length(present) == 2L) "the two countries of the table, alphabetical order" else
      sprintf(paste0("the two countries with the most models of %d (ties: alphabetical), in alphabetical ",
                     "order; not compared: %s"), length(present),
              paste(setdiff(present, groups), collapse = ", "))
  }
  n <- as.integer(per_country[groups])
  tab <- data.frame(group1 = groups[1], group2 = groups[2], n1 = n[1], n2 = n[2], rule = rule,
                    stringsAsFactors = FALSE)
  if (min(n) < 2L) {
    return(list(groups = NULL, table = tab, reason = sprintf(.pv_skip$small_group, groups[1], n[1],
                                                             groups[2], n[2])))
  }
  list(groups = groups, table = tab, reason = "")
}

# Resampling in blocks of draws: `block_fun(block, size)` computes `size` draws from its
# own L'Ecuyer-CMRG stream (the stream of block b is parallel::nextRNGStream applied b - 1
# times to the stream that set.seed(seed) gives). The result therefore depends only on the
# seed and the block, not on which process runs which block - what a cluster started with
# parallel::clusterSetRNGStream would need - and memory is bounded by one block. The
# caller's random-number generator (kind and state) is restored afterwards.
# With `cluster` (a cluster from parallel, or what .pv_cluster accepts), the blocks run on
# its workers in contiguous chunks, each block from its own stream as above, so the result is
# identical to the serial one for any number of workers. `helpers` names the package's
# functions block_fun calls; they and block_fun travel by value (.pv_portable), so workers
# need no pyvalues installed.
.pv_resample <- function(n, seed, block_fun, block_size = 1000L, cluster = NULL, helpers = character()) {
  spec <- .pv_cluster(cluster)
  tasks <- .pv_block_tasks(n, seed, block_size)
  if (!is.null(spec$cl)) {
    if (spec$own) on.exit(parallel::stopCluster(spec$cl), add = TRUE)
    return(.pv_resample_cluster(spec$cl, tasks, block_fun, helpers))
  }
  restore <- .pv_rng_guard()
  on.exit(restore(), add = TRUE)
  RNGkind("L'Ecuyer-CMRG")
  lapply(tasks, function(task) {
    assign(".Random.seed", task$stream, envir = globalenv())
    block_fun(task$b, task$size)
  })
}

# The caller's random-number state (kind and seed), and a function that puts it back.
.pv_rng_guard <- function() {
  genv <- globalenv()
  had_seed <- exists(".Random.seed", envir = genv, inherits = FALSE)
  old_seed <- if (had_seed) get(".Random.seed", envir = genv)
  old_kind <- RNGkind()
  function() {
    RNGkind(old_kind[1], old_kind[2], old_kind[3])
    if (had_seed) assign(".Random.seed", old_seed, envir = genv) else
      if (exists(".Random.seed", envir = genv, inherits = FALSE)) rm(".Random.seed", envir = genv)
  }
}

# .pv_resample's blocks: their numbers, sizes and L'Ecuyer streams (the stream of `seed`,
# then each next stream), computed without touching the caller's random-number state.
.pv_block_tasks <- function(n, seed, block_size) {
  restore <- .pv_rng_guard()
  on.exit(restore())
  RNGkind("L'Ecuyer-CMRG")
  set.seed(seed)
  stream <- get(".Random.seed", envir = globalenv())
  starts <- seq(1L, n, by = block_size)
  tasks <- vector("list", length(starts))
  for (b in seq_along(starts)) {
    tasks[[b]] <- list(b = b, size = min(block_size, n - starts[b] + 1L), stream = stream)
    stream <- parallel::nextRNGStream(stream)
  }
  tasks
}

# Largest number of splits of n1 + n2 units into groups of n1 and n2 that the permutation
# tests (term_tests' p_perm, cohesion_test) enumerate exactly: choose(20, 10), so every
# split of up to 20 models (the paper's 11 + 9 = 167960) is exact; beyond it, Monte Carlo.
.pv_max_exact_splits <- choose(20, 10)

# .pv_resample's blocks (with the streams the serial loop uses) run on the workers of `cl`
# (contiguous chunks, one per worker, in order).
.pv_resample_cluster <- function(cl, tasks, block_fun, helpers) {
  fun <- .pv_portable(block_fun, helpers)
  node <- function(tasks, block_fun) {
    kind <- RNGkind()
    on.exit(RNGkind(kind[1], kind[2], kind[3]))
    RNGkind("L'Ecuyer-CMRG")
    lapply(tasks, function(task) {
      assign(".Random.seed", task$stream, envir = globalenv())
      block_fun(task$b, task$size)
    })
  }
  environment(node) <- globalenv()
  chunks <- split(tasks, rep(seq_along(cl), times = .pv_split_count(length(tasks), length(cl))))
  out <- parallel::clusterApply(cl, unname(chunks), node, block_fun = fun)
  do.call(c, unname(out))
}

# A copy of `fun` that can be sent to a worker without pyvalues: its environment's
# variables and the named package functions (`helpers`) are copied into a fresh
# environment under the global one, and every function among them is rebound to it.
.pv_portable <- function(fun, helpers = character()) {
  env <- new.env(parent = globalenv())
  src <- environment(fun)
  if (!is.null(src) && !identical(src, globalenv())) {
    for (nm in ls(src, all.names = TRUE)) {
      value <- get(nm, envir = src)
      holds_cluster <- inherits(value, "cluster") ||
        (is.list(value) && any(vapply(value, inherits, logical(1), "cluster")))
      if (!holds_cluster) assign(nm, value, envir = env)   # connections stay here
    }
  }
  for (h in helpers) assign(h, get(h, envir = environment(.pv_portable)), envir = env)
  for (nm in ls(env, all.names = TRUE)) {
    f <- get(nm, envir = env)
    home <- if (is.function(f) && !is.primitive(f)) environment(f)
    if (!is.null(home) && (identical(home, src) || identical(home, environment(.pv_portable)))) {
      environment(f) <- env
      assign(nm, f, envir = env)
    }
  }
  environment(fun) <- env
  fun
}
