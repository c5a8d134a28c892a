#' The instrument: 25 value terms in 5 dimensions
#'
#' The terms, their Chinese labels and dimensions exactly as in Appendix A.1 of
#' Ma, Tong, Wang & Peng (2026). The single definition lives in the Python module
#' `pyvalues.instrument`; `data-raw/make_instrument.py` writes the copy this reads.
#'
#' @return `pv_instrument()`: a data.frame with columns `term`, `zh`, `dimension`,
#'   `dimension_order`, `position`. `pv_dimensions()`: the five dimension names in the
#'   paper's order.
#' @examples
#' head(pv_instrument())
#' pv_dimensions()
#' @export
pv_instrument <- function() {
  path <- system.file("extdata", "instrument.csv", package = "pyvalues")
  if (!nzchar(path)) path <- .pv_source_file("inst", "extdata", "instrument.csv")
  utils::read.csv(path, stringsAsFactors = FALSE, encoding = "UTF-8")
}

#' @rdname pv_instrument
#' @export
pv_dimensions <- function() {
  c("Practical", "Epistemic", "Social", "Protective", "Personal")
}

# When the R files are sourced from a source checkout (the Python bridge does this), the
# package is not installed and system.file() finds nothing; fall back to the checkout.
.pv_source_file <- function(...) {
  root <- getOption("pyvalues.source_root", default = NA_character_)
  if (is.na(root)) stop("pyvalues: cannot locate the instrument file; install the R package (R CMD INSTALL .)")
  file.path(root, ...)
}
