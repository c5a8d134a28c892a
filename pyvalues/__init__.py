"""pyvalues: measure and compare the value priorities of large language models.

The data travels one way: instrument -> collect -> parse -> rank table -> statistics (R)
-> results -> figures / report; crosscheck reads a paper's reported claims beside them.
"""
from __future__ import annotations

__version__ = "0.1.0"

from .errors import PyvaluesError  # noqa: F401
