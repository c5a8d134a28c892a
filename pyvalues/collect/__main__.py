"""``python -m pyvalues.collect``: an entry point; the command line is
:mod:`pyvalues.pipeline.collect_cli` (collect, export, parse: the wiring lives above the stages it joins)."""
from __future__ import annotations

from ..pipeline.collect_cli import main

if __name__ == "__main__":
    raise SystemExit(main())
