"""Write inst/extdata/instrument.csv, the R package's copy of pyvalues.instrument.

The instrument is defined once, in pyvalues/instrument.py; this script derives the file
the R side reads (tests check the two agree). Run: python data-raw/make_instrument.py
"""
from pathlib import Path

import pandas as pd

from pyvalues.instrument import DIMENSIONS, PROMPT_INTRO, TERMS

root = Path(__file__).resolve().parents[1]
out = root / "inst" / "extdata"
out.mkdir(parents=True, exist_ok=True)
pd.DataFrame(
    {
        "term": [t.name for t in TERMS],
        "zh": [t.zh for t in TERMS],
        "dimension": [t.dimension for t in TERMS],
        "dimension_order": [DIMENSIONS.index(t.dimension) + 1 for t in TERMS],
        "position": [t.position for t in TERMS],
    }
).to_csv(out / "instrument.csv", index=False, lineterminator="\n")
pd.DataFrame({"language": list(PROMPT_INTRO), "intro": list(PROMPT_INTRO.values())}).to_csv(
    out / "prompts.csv", index=False, lineterminator="\n"
)
print("wrote", out / "instrument.csv", "and", out / "prompts.csv")
