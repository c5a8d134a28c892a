# Progress of long steps (bootstrap replicates, analysis steps).
#
# option(pyvalues.progress =)
#   FALSE / NULL  nothing (the default outside an interactive session, and with --quiet)
#   TRUE          a text bar on stderr when it is a terminal, else one line per step
#   "marker"      machine-readable lines on R's console, which pyvalues.rbridge turns into
#                 a bar (terminal) or one line per step (otherwise) on Python's stderr:
#                 "\037pyvalues-progress\t<step>\t<done>\t<total>\n"
# A step is announced with done = 0, updated as it goes, and finished with done = total.

.pv_progress_mode <- function() {
  mode <- getOption("pyvalues.progress", interactive())
  if (is.null(mode) || isFALSE(mode)) return("none")
  if (identical(mode, "marker")) return("marker")
  if (isTRUE(mode)) return(if (isatty(stderr())) "bar" else "lines")
  "none"
}

.pv_progress <- function(step, total) {
  mode <- .pv_progress_mode()
  start <- proc.time()[["elapsed"]]
  last <- -Inf
  emit <- function(done) {
    if (mode == "none") return(invisible())
    now <- proc.time()[["elapsed"]]
    final <- done >= total
    # at most ~10 updates a second, and always the first and the last
    if (!final && done > 0 && now - last < 0.1) return(invisible())
    last <<- now
    if (mode == "marker") {
      cat("\037pyvalues-progress\t", step, "\t", done, "\t", total, "\n", sep = "")
    } else if (mode == "bar") {
      width <- 30
      filled <- if (total > 0) floor(width * done / total) else width
      cat(sprintf("\r%-40s [%s%s] %d/%d%s", substr(step, 1, 40), strrep("=", filled),
                  strrep(" ", width - filled), done, total,
                  if (final) sprintf(" %.1f s\n", now - start) else ""), file = stderr())
    } else if (final) {
      cat(sprintf("%s: %d/%d done in %.1f s\n", step, done, total, now - start), file = stderr())
    }
    invisible()
  }
  emit(0)
  emit
}
