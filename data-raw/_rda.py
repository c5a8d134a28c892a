"""Write a bundled rank table for the R package: read the CSV in R, keep its provenance, save
it as data.frame `name` (xz, format version 2). Shared by the data-raw build scripts."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def write_rda(csv_path: Path, rda_path: Path, name: str, provenance: str) -> None:
    """Save `csv_path` as data.frame `name` in `rda_path` (integer replicate and rank)."""
    if shutil.which("Rscript") is None:
        print(f"Rscript not found: {rda_path} not written (install R: apt-get install r-base-core)",
              file=sys.stderr)
        return
    code = f"""
    x <- utils::read.csv({str(csv_path)!r}, stringsAsFactors = FALSE, encoding = "UTF-8")
    x$replicate <- as.integer(x$replicate)
    x$rank <- as.integer(x$rank)
    attr(x, "provenance") <- {provenance!r}
    {name} <- x
    save({name}, file = {str(rda_path)!r}, compress = "xz", version = 2)
    """
    rda_path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["Rscript", "--vanilla", "-e", code], check=True)
