"""Simulate a two-language rank table (zh and en prompts) to exercise the language analysis.

    python data-raw/make_language_example.py [--seed 20261201] [--no-rda]

The bundled paper reconstruction has no language information (the paper reports pooled
statistics only), so the language analysis of pyvalues (issue 12: language_term_tests,
language_dimension_tests, language_anova, language_consistency) needs a table with both
languages to show itself. This script SIMULATES one. It is not data about any real model:
the model names are ``CN-sim-01`` ... ``US-sim-08``.

The generating model (every number below is a parameter of this script):

* Each model ranks the 25 terms by sorting a latent score, lowest = rank 1 (most important):
  ``score = base[term] + country_dev[country, term] + model_dev[model, term]
  + shift[language, country, term] + noise``.
* ``base``: the terms' positions in BASE_ORDER (1..25), a plausible common order.
* ``country_dev``: normal, SD 1.5 per country and term (a country's shared style).
* ``model_dev``: normal, SD 3.0 per model and term (each model's own priorities).
* ``noise``: normal, SD 2.0 per ranking and term (replicate-to-replicate variation).
* ``shift`` (the language effect, added to the zh rankings only; negative = more important
  in zh): the Social dimension -2.0 and the Personal dimension +1.5 for every model;
  Harmony -3.0 and Emotional expression +2.5 for every model (term effects); and a country x
  language interaction: in zh, CN models rank the Protective dimension 2.0 more important
  and US models rank the Epistemic dimension 1.5 less important.
* Design: 8 CN and 8 US models, 3 replicates per language, except CN-sim-08 (3 zh, 1 en:
  unbalanced languages) and US-sim-08 (en only: excluded from the paired tests, with a note).

Outputs (the same bytes for the same seed):
  data-raw/language_simulation.csv   tidy rank table: model, country, language, replicate,
                                     term, rank
  data/language_simulation.rda       the same table for the R package (via Rscript,
                                     save(compress = "xz")), with attr "provenance"

The data set is SIMULATED, NOT OBSERVED: use it to see what the language analysis prints.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _rda import write_rda  # noqa: E402  (data-raw/_rda.py: this folder is the script's own on sys.path)

from pyvalues.datasets import SIMULATION_PROVENANCE  # noqa: E402
from pyvalues.instrument import DIMENSIONS, TERMS  # noqa: E402

DEFAULT_SEED = 20261201

# a plausible common order (position 1 = most important); only its positions are used
BASE_ORDER = [
    "Accuracy", "Helpfulness", "Harm prevention", "Transparency", "Clarity",
    "Protecting human rights and dignity", "Respect", "Professional ethics", "Logic",
    "Critical thinking", "Security and stability", "Equity and justice", "Thoroughness",
    "Protecting vulnerable entities", "Professionalism", "Empathy", "Efficiency", "Authenticity",
    "Simplicity", "Harmony", "Personal growth and wellbeing", "Relationship bonds",
    "Emotional expression", "Spiritual fulfillment and meaning", "Pleasure and enjoyment",
]

SD_COUNTRY, SD_MODEL, SD_NOISE = 1.5, 3.0, 2.0
# language effect on the zh rankings (negative = more important in zh)
DIMENSION_SHIFT_ZH = {"Social": -2.0, "Personal": +1.5}
TERM_SHIFT_ZH = {"Harmony": -3.0, "Emotional expression": +2.5}
# country x language: extra zh shifts per country and dimension
INTERACTION_ZH = {("CN", "Protective"): -2.0, ("US", "Epistemic"): +1.5}

N_PER_COUNTRY = 8
REPLICATES = 3
# (model, language) -> number of replicates, where it differs from REPLICATES
EXCEPTIONS = {("CN-sim-08", "en"): 1, ("US-sim-08", "zh"): 0}


def simulate(seed: int = DEFAULT_SEED) -> list[tuple]:
    rng = np.random.default_rng(seed)
    terms = [t.name for t in TERMS]
    dims = [t.dimension for t in TERMS]
    assert sorted(BASE_ORDER) == sorted(terms) and set(DIMENSION_SHIFT_ZH) <= set(DIMENSIONS)
    base = np.array([BASE_ORDER.index(t) + 1.0 for t in terms])
    rows = []
    for country in ("CN", "US"):
        country_dev = rng.normal(0.0, SD_COUNTRY, len(terms))
        shift = np.array([DIMENSION_SHIFT_ZH.get(d, 0.0) + TERM_SHIFT_ZH.get(t, 0.0)
                          + INTERACTION_ZH.get((country, d), 0.0) for t, d in zip(terms, dims)])
        for i in range(1, N_PER_COUNTRY + 1):
            model = f"{country}-sim-{i:02d}"
            model_dev = rng.normal(0.0, SD_MODEL, len(terms))
            for language in ("zh", "en"):
                for replicate in range(1, EXCEPTIONS.get((model, language), REPLICATES) + 1):
                    score = base + country_dev + model_dev + rng.normal(0.0, SD_NOISE, len(terms))
                    if language == "zh":
                        score = score + shift
                    # continuous scores: no ties; stable sort keeps the result defined anyway
                    ranks = np.empty(len(terms), dtype=int)
                    ranks[np.argsort(score, kind="stable")] = np.arange(1, len(terms) + 1)
                    rows += [(model, country, language, replicate, t, int(r)) for t, r in zip(terms, ranks)]
    return rows


def write_csv(rows, path: Path) -> None:
    lines = ["model,country,language,replicate,term,rank"]
    lines += [f"{m},{c},{lang},{rep},{t},{r}" for m, c, lang, rep, t, r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--out-csv", type=Path, default=ROOT / "data-raw/language_simulation.csv")
    ap.add_argument("--out-rda", type=Path, default=ROOT / "data/language_simulation.rda")
    ap.add_argument("--no-rda", action="store_true", help="do not write the .rda")
    args = ap.parse_args(argv)
    rows = simulate(args.seed)
    write_csv(rows, args.out_csv)
    print(f"wrote {args.out_csv}: {len(rows)} rows")
    if not args.no_rda:
        provenance = SIMULATION_PROVENANCE.replace(f"seed {DEFAULT_SEED}", f"seed {args.seed}")
        write_rda(args.out_csv, args.out_rda, "language_simulation", provenance)
        print(f"wrote {args.out_rda}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
