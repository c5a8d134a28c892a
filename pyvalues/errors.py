"""Exceptions and warnings of pyvalues.

One base exception, a few meaningful subclasses. A message says what is wrong, where
(file, row, model, term) and what to do about it.
"""
from __future__ import annotations

__all__ = [
    "PyvaluesError",
    "RankTableError",
    "RSetupError",
    "RError",
    "CollectError",
    "ParseError",
    "ClaimsError",
    "PyvaluesWarning",
]


class PyvaluesError(Exception):
    """Base class of every error pyvalues raises on purpose."""


class RankTableError(PyvaluesError, ValueError):
    """A rank table that fails validation (unknown term, bad rank, duplicate row, ...)."""


class RSetupError(PyvaluesError, RuntimeError):
    """R, rpy2 or an R package is missing; the message names what to install."""


class RError(PyvaluesError, RuntimeError):
    """An R function failed; carries R's own message and the captured console output."""

    def __init__(self, message: str, r_message: str = "", console: str = ""):
        super().__init__(message)
        self.r_message = r_message
        self.console = console


class CollectError(PyvaluesError):
    """A collection run cannot proceed (bad config, non-retryable API error, ...)."""


class ParseError(PyvaluesError, ValueError):
    """Input to the parser that is not text of a response at all (e.g. wrong type)."""


class ClaimsError(PyvaluesError, ValueError):
    """A claims file that does not follow the documented format."""


class PyvaluesWarning(UserWarning):
    """Something the user should know that does not stop the analysis."""
