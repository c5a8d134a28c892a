#' Reconstructed value rankings of the 20 models of Ma, Tong, Wang & Peng (2026)
#'
#' A rank data set of the seed paper's exact design -- the 20 models of its Table A-1
#' (11 CN, 9 US), 3 replicate rankings each, every ranking a complete ranking of the 25
#' value terms (1 = most important) -- **reconstructed from the paper's published summary
#' statistics; it is not the authors' raw data**, which are not published.
#'
#' It was found by a seeded simulated-annealing search (`data-raw/reconstruct_paper.py`)
#' for rankings whose analyses reproduce as many as possible of the numbers reported in the
#' paper and entered in `data-raw/claims/paper2026.csv`, at their printed precision. It
#' reproduces 168 of the 183 jointly feasible reported numbers (91.8%); the other 15 differ
#' (see the fit table below, and `paper_agreement` in the analysis output). Targeted were: Kendall's W per model,
#' the five dimension means, Primary/Secondary counts, within-dimension mean SDs and the
#' dispersion ANOVA, the CN/US medians, means, SDs, U and Welch values, the mixed-ANOVA
#' category and interaction effects, the within-group correlation means and SDs, the
#' Bottom-5 sets, the four archetypes (memberships and value sets) and the Cliff's deltas
#' of Appendix A.3; from its last stage on, the heat map's consensus and disagreement terms
#' (the terms with the smallest and largest SD of the models' mean ranks). Reported numbers that no complete-ranking data set can produce (for
#' example the country main effect of the mixed ANOVA, identically 0 because every model's
#' dimension scores average 13) were excluded from the search. Which claims the data set
#' reproduces, and why the others cannot be, is listed per claim in
#' `data-raw/paper2026_reconstruction_fit.csv`.
#'
#' Any individual ranking in it is one of many that fit the published numbers equally well:
#' use it to exercise and check the analysis, not to learn about the models.
#'
#' @format A data frame with 1500 rows (20 models x 3 replicates x 25 terms) and 7 columns:
#' \describe{
#'   \item{model}{model display name as printed in Table A-1 (e.g. "MinMax", "kimi").}
#'   \item{country}{developer's country group, "CN" or "US" (Table A-1).}
#'   \item{language}{always "unspecified": the paper ran Chinese- and English-language
#'     prompts but does not say which language each of its 3 replicates used.}
#'   \item{replicate}{replicate index 1-3 within the model.}
#'   \item{term}{canonical English name of the value term (Appendix A.1).}
#'   \item{rank}{rank 1-25 within the replicate ranking, 1 = most important.}
#'   \item{dimension}{the term's dimension: Practical, Epistemic, Social, Protective or
#'     Personal.}
#' }
#' The attribute `provenance` repeats that the data are reconstructed, not observed.
#' @source Reconstructed from the summary statistics published in Ma, Y., Tong, S., Wang, B.
#'   and Peng, K. (2026). Divergence or Fusion? CN and US LLMs Value Comparison in An
#'   AI-Oriented Measurement Framework. Trustworthy Agentic AI Workshop, AAAI 2026.
#'   Script: `data-raw/reconstruct_paper.py` (seeded; rerunning it gives the same bytes).
#' @examples
#' head(paper2026_reconstruction)
#' table(paper2026_reconstruction$country) / (3 * 25)
"paper2026_reconstruction"
