"""``python -m pyvalues.analysis``: an entry point; the command line is
:mod:`pyvalues.pipeline.analysis_cli` (the wiring lives above the stages it joins)."""
from __future__ import annotations

import sys

from ..pipeline.analysis_cli import main

if __name__ == "__main__":
    sys.exit(main())
