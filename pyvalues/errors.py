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
    "ArgumentError",
    "OptionError",
    "PyvaluesWarning",
    "plain",
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


class ArgumentError(PyvaluesError, TypeError):
    """A call with an unknown or misspelt keyword argument (the message names the closest one)
    or an argument of the wrong kind; raised before any computing."""


class OptionError(PyvaluesError, ValueError):
    """An argument with a value the analysis cannot take (out of range, not one of the choices,
    a group that is not in the table); raised before any computing."""


class PyvaluesWarning(UserWarning):
    """Something the user should know that does not stop the analysis."""


def plain(value):
    """`value` as a plain Python value for a message: ``1``, not ``np.int64(1)`` (numpy scalars,
    also inside lists and tuples, become Python's own)."""
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    item = getattr(value, "item", None)
    if item is not None and type(value).__module__ == "numpy":
        return item()
    return value
