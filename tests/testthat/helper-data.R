# A seeded random rank table: n_cn + n_us models, `reps` rankings each, each ranking a
# noisy copy of the model's own base order (so replicates agree, as real models' do).
make_rank_table <- function(n_cn = 11, n_us = 9, reps = 3, seed = 1, noise = 4, language = "en") {
  set.seed(seed)
  inst <- pv_instrument()
  one <- function(name, country) {
    base <- sample(25)
    do.call(rbind, lapply(seq_len(reps), function(r) {
      data.frame(model = name, country = country, language = language, replicate = r,
                 term = inst$term, rank = rank(base + stats::rnorm(25, sd = noise), ties.method = "first"),
                 stringsAsFactors = FALSE)
    }))
  }
  do.call(rbind, c(lapply(seq_len(n_cn), function(i) one(sprintf("cn%02d", i), "CN")),
                   lapply(seq_len(n_us), function(i) one(sprintf("us%02d", i), "US"))))
}

# Model x dimension scores and SDs computed the plain way, independently of the package:
# each an average of the raw integer ranks (sum / count: one division, as the paper's
# "mean rank of its five constituent terms"), SDs over the five term means.
plain_scores <- function(tab) {
  inst <- pv_instrument()
  avg <- function(x) sum(x) / length(x)
  tab$dimension <- inst$dimension[match(tab$term, inst$term)]
  tm <- stats::aggregate(rank ~ model + country + term + dimension, data = tab, FUN = avg)
  sc <- stats::aggregate(rank ~ model + country + dimension, data = tab, FUN = avg)
  sdw <- stats::aggregate(rank ~ model + country + dimension, data = tm, FUN = stats::sd)
  names(sc)[4] <- "score"
  sc$sd_within <- sdw$rank[match(paste(sc$model, sc$dimension), paste(sdw$model, sdw$dimension))]
  list(term_means = tm, scores = sc)
}
