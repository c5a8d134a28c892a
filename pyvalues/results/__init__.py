"""The results of a run, below everything that reads them (analysis, figures, report, crosscheck).

:class:`Results` gathers the tables of one analysis run; :mod:`pyvalues.results.access` reads
them from a Results object or a plain mapping name -> DataFrame (e.g. tables read back from a
results folder); :mod:`pyvalues.results.summary` is the short summary the CLI prints. No
matplotlib and no statistics here: :mod:`pyvalues.analysis` makes a Results, the figures,
the report and the crosscheck read one.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from .. import rbridge
from .access import SMALL_GROUP, parity_counts, provenance_of, tables_of, term_test_p

__all__ = ["Results", "tables_of", "provenance_of", "term_test_p", "parity_counts", "SMALL_GROUP"]


class Results(Mapping):
    """The tables of one analysis run, by name (also as attributes).

    ``provenance`` says where the data came from; ``skipped`` lists analyses that did
    not apply to the data and why; ``settings`` the options of the run.
    """

    def __init__(self, tables: dict[str, pd.DataFrame], *, provenance: str, settings: dict,
                 data_summary: dict, dataset: str | None = None, timings: dict | None = None):
        self.tables = tables
        self.provenance = provenance
        self.settings = settings
        self.data_summary = data_summary
        self.dataset = dataset
        self.timings = timings or {}

    # Mapping interface
    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def __iter__(self):
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(
            f"no result table {name!r}; this run has {sorted(tables)}"
            + (f" (skipped: {', '.join(tables['skipped']['analysis'])})" if "skipped" in tables and len(tables["skipped"]) else "")
        )

    @property
    def skipped(self) -> pd.DataFrame:
        return self.tables.get("skipped", pd.DataFrame(columns=["analysis", "reason", "message"]))

    @property
    def is_reconstruction(self) -> bool:
        return self.dataset == "paper2026_reconstruction"

    def __repr__(self) -> str:
        return self.summary()

    def summary(self) -> str:
        """A short, readable summary of the run (what the CLI prints)."""
        from .summary import format_summary

        return format_summary(self)

    def to_dir(self, out: str | Path) -> list[Path]:
        """Write each table as ``<out>/<name>.csv``, all of them in ``<out>/results.rds``,
        and the run's provenance and settings in ``<out>/manifest.json``."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, df in self.tables.items():
            p = out / f"{name}.csv"
            df.to_csv(p, index=False, lineterminator="\n")
            written.append(p)
        rds = out / "results.rds"
        rbridge.session().save_rds(self.tables, rds)
        written.append(rds)
        manifest = out / "manifest.json"
        manifest.write_text(
            json.dumps(
                {
                    "provenance": self.provenance,
                    "dataset": self.dataset,
                    "data": self.data_summary,
                    "settings": self.settings,
                    "r_code": rbridge.session().source,
                    "tables": list(self.tables),
                    "timings_s": self.timings,
                },
                indent=2,
                ensure_ascii=False,
                default=str,
            )
            + "\n",
            encoding="utf-8",
        )
        written.append(manifest)
        return written
