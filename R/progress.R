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
      label <- formatC(substr(step, 1, 60), width = -60)
      if (total <= 1) {
        cat("\r", label, if (final) sprintf(" done in %.1f s\n", now - start) else " ...",
            sep = "", file = stderr())
      } else {
        width <- 30
        filled <- floor(width * done / total)
        cat(sprintf("\r%s [%s%s] %d/%d%s", label, strrep("=", filled), strrep(" ", width - filled), done,
                    total, if (final) sprintf(" %.1f s\n", now - start) else ""), file = stderr())
      }
    } else if (final) {
      cat(sprintf("%s: %sdone in %.1f s\n", step, if (total > 1) sprintf("%d/%d ", done, total) else "",
                  now - start), file = stderr())
    }
    invisible()
  }
  emit(0)
  emit
}

# evaluate `expr` as one step of progress (announced, then finished)
.pv_step <- function(step, expr) {
  tick <- .pv_progress(step, 1)
  value <- expr
  tick(1)
  value
}
