"""The bridge to R: one R session per process, conversion per call.

* R starts on first use and is reused (rpy2 embeds one R per process anyway; this module
  loads pyvalues's R code into it once).
* Conversion is local to each call (``localconverter(default_converter +
  pandas2ri.converter)``), never a global ``pandas2ri.activate()``.
* R's console output is captured into a buffer (:func:`console`) and Python logging
  (logger ``pyvalues.R``), not printed on the user's terminal; it is attached to the
  :class:`~pyvalues.errors.RError` raised when an R call fails.
* A missing R, rpy2 or R package raises :class:`~pyvalues.errors.RSetupError` naming what
  to install. Packages are checked for presence at start-up, not loaded: afex (about 2 CPU
  seconds to load) is loaded by the first ANOVA that needs it.
* Progress: R's long steps write marker lines (R/progress.R, ``options(pyvalues.progress =
  "marker")``); while :func:`progress_to` has set a handler, they are passed to it instead
  of the console buffer.

The R code is pyvalues's own R package (``R/`` in the repository). In a source checkout
its files are sourced from ``R/`` (so Python and R code always match); elsewhere the
installed R package ``pyvalues`` is used (``R CMD INSTALL .``).
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import threading
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from .errors import RError, RSetupError

__all__ = ["session", "call", "console", "progress_to", "import_beside_r", "REQUIRED_R_PACKAGES"]

_PROGRESS_MARK = "\x1fpyvalues-progress\t"

log = logging.getLogger("pyvalues.R")

# R package -> Debian package that provides it
REQUIRED_R_PACKAGES = {
    "afex": "r-cran-afex",
    "pvclust": "r-cran-pvclust",
}

_SOURCE_ROOT = Path(__file__).resolve().parents[1]


class _Session:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._buffer = io.StringIO()
        self._env = None
        self._ro = None
        self.source = ""
        self._progress = None      # callable(step, done, total) or None
        self._pending = ""         # an incomplete console line that may be a progress marker

    # -- start-up ---------------------------------------------------------------------
    def _start(self) -> None:
        # rpy2 puts R's library path first in LD_LIBRARY_PATH for this process; a child
        # process would inherit it and could load Debian's libpython instead of its own
        # (seen: the llama.cpp server's Python failing on _ssl). R is loaded by then, so
        # the variable is put back as it was once R has started.
        saved_ld_path = os.environ.get("LD_LIBRARY_PATH")
        try:
            with _r_situation():
                import rpy2.rinterface_lib.callbacks as callbacks
                import rpy2.robjects as ro
        except Exception as exc:  # ImportError, or R's shared library not found/loadable
            raise RSetupError(
                "pyvalues needs R and rpy2 for its statistics, and they could not be loaded "
                f"({type(exc).__name__}: {exc}). On Debian: apt-get install r-base-core r-base-dev "
                "r-cran-afex r-cran-rstatix r-cran-pvclust r-cran-effectsize, then "
                "pip install 'rpy2==3.5.17' for R < 4.5 (or 'rpy2>=3.6' for R >= 4.5); "
                "./setup.sh does all of this."
            ) from exc

        def capture(text: str) -> None:
            if self._pending or _PROGRESS_MARK in text or text.startswith(_PROGRESS_MARK[:1]):
                text = self._take_progress(self._pending + text)
            if text:
                self._buffer.write(text)
                log.debug("%s", text.rstrip("\n"))

        callbacks.consolewrite_print = capture
        callbacks.consolewrite_warnerror = capture
        self._ro = ro
        if saved_ld_path is None:
            os.environ.pop("LD_LIBRARY_PATH", None)
        else:
            os.environ["LD_LIBRARY_PATH"] = saved_ld_path

        # installed, not loaded: a namespace is loaded by the first function that uses it
        missing = [
            p for p in REQUIRED_R_PACKAGES
            if not ro.r(f'nzchar(system.file(package = "{p}"))')[0]
        ]
        if missing:
            debs = " ".join(REQUIRED_R_PACKAGES[p] for p in missing)
            raise RSetupError(
                f"R package(s) {', '.join(missing)} not installed; on Debian: apt-get install {debs} "
                f"(or in R: install.packages(c({', '.join(repr(p) for p in missing)})))."
            )

        if (_SOURCE_ROOT / "R" / "analysis.R").exists() and (_SOURCE_ROOT / "DESCRIPTION").exists():
            # a source checkout: source R/ into one environment, like devtools::load_all
            root = _SOURCE_ROOT.as_posix()
            ro.r(f'options(pyvalues.source_root = "{root}")')
            # PYVALUES_R_BYTECODE_CACHE=0: source R/ as before (R's JIT compiles on first calls)
            use_cache = os.environ.get("PYVALUES_R_BYTECODE_CACHE", "1") != "0"
            env = ro.r(_source_checkout_code(root, _r_sources_key(_SOURCE_ROOT / "R") if use_cache else ""))
            self.source = f"R sources in {root}/R"
        else:
            if not ro.r('isTRUE(requireNamespace("pyvalues", quietly = TRUE))')[0]:
                raise RSetupError(
                    "the R package 'pyvalues' is not installed; run R CMD INSTALL . in the "
                    "pyvalues repository (./setup.sh does it)."
                )
            env = ro.r('asNamespace("pyvalues")')
            self.source = "installed R package pyvalues"
        self._env = env
        self._set_progress_option()

    # -- progress ---------------------------------------------------------------------
    def _take_progress(self, text: str) -> str:
        """Pass complete marker lines in `text` to the progress handler; return the rest."""
        lines = text.split("\n")
        tail = lines.pop()
        self._pending = tail if _PROGRESS_MARK.startswith(tail[: len(_PROGRESS_MARK)]) and tail else ""
        rest = [] if self._pending else [tail]
        kept = []
        for line in lines:
            if line.startswith(_PROGRESS_MARK):
                step, done, total = (line[len(_PROGRESS_MARK):].split("\t") + ["0", "0"])[:3]
                if self._progress is not None:
                    try:
                        self._progress(step, int(float(done)), int(float(total)))
                    except Exception:  # a display problem never stops an analysis
                        log.debug("progress handler failed", exc_info=True)
            else:
                kept.append(line + "\n")
        return "".join(kept + rest)

    def _set_progress_option(self) -> None:
        if self._ro is not None and self._env is not None:
            value = '"marker"' if self._progress else "FALSE"
            self._ro.r(f"options(pyvalues.progress = {value})")

    def set_progress(self, handler) -> None:
        """Send R's progress to `handler(step, done, total)`; ``None``: no progress."""
        with self._lock:
            self._progress = handler
            self._set_progress_option()

    @property
    def started(self) -> bool:
        return self._env is not None

    def start(self) -> None:
        """Start R and load pyvalues's R code now (otherwise the first call does)."""
        self._ensure()

    def _ensure(self):
        with self._lock:
            if self._env is None:
                self._start()
        return self._ro

    # -- calls ------------------------------------------------------------------------
    def call(self, fname: str, *args, **kwargs):
        """Call pyvalues's R function `fname`; DataFrames in, DataFrames (or dicts) out."""
        return self._invoke(
            f"R function {fname}()",
            lambda ro: self._env.find(fname) if hasattr(self._env, "find") else self._env[fname],
            args, kwargs,
        )

    def call_code(self, code: str, *args, **kwargs):
        """Call the R function that `code` evaluates to (for R code that is not pyvalues's
        own, e.g. another package's checker), converting as :meth:`call` does."""
        return self._invoke("R code", lambda ro: ro.r(code), args, kwargs)

    def _invoke(self, label: str, lookup, args, kwargs):
        ro = self._ensure()
        from rpy2.rinterface_lib.embedded import RRuntimeError
        from rpy2.robjects import default_converter, pandas2ri
        from rpy2.robjects.conversion import localconverter

        with self._lock:
            start = self._buffer.tell()
            try:
                with localconverter(default_converter + pandas2ri.converter):
                    fn = lookup(ro)
                    r_args = [_to_r(a) for a in args]
                    r_kwargs = {k: _to_r(v) for k, v in kwargs.items()}
                    return _from_r(fn(*r_args, **r_kwargs))
            except RRuntimeError as exc:
                r_msg = str(exc).strip()
                console_text = self._buffer.getvalue()[start:]
                raise RError(f"{label} failed: {r_msg}", r_message=r_msg, console=console_text) from None

    def eval(self, code: str):
        ro = self._ensure()
        from rpy2.robjects import default_converter, pandas2ri
        from rpy2.robjects.conversion import localconverter

        with self._lock, localconverter(default_converter + pandas2ri.converter):
            return _from_r(ro.r(code))

    def save_rds(self, tables: dict[str, pd.DataFrame], path: Path) -> None:
        """Save a named list of data.frames as one .rds file."""
        ro = self._ensure()
        from rpy2.robjects import default_converter, pandas2ri
        from rpy2.robjects.conversion import localconverter

        with self._lock, localconverter(default_converter + pandas2ri.converter):
            rlist = ro.ListVector({k: _to_r(v) for k, v in tables.items()})
            ro.r["saveRDS"](rlist, str(path))

    def console(self) -> str:
        return self._buffer.getvalue()


@contextmanager
def _r_situation():
    """What rpy2 asks R when it is imported, from a cache: R's home folder (``R RHOME``)
    and the library path R's start-up script sets (``Rscript -e 'cat(Sys.getenv(
    "LD_LIBRARY_PATH"))'``) are two R processes, about 0.3 s before R itself starts. Their
    answers are kept in a file keyed by everything they depend on (``$R_HOME/bin/R`` or the
    ``R`` found on PATH and its modification time, R's ``etc/ldpaths``, the environment
    variables that script reads), so an R upgrade or another environment asks R again. Not
    cached, or anything unexpected: rpy2 asks R as it always does."""
    import json
    import shutil

    home_set = os.environ.get("R_HOME")  # then rpy2 asks R only for the library path
    r_exe = os.path.join(home_set, "bin", "R") if home_set else shutil.which("R")
    if r_exe is None or not os.path.exists(r_exe):  # no R to key the cache on: leave rpy2 alone
        yield
        return
    try:
        import rpy2.situation as situation
    except Exception:  # noqa: BLE001 - the import below reports it
        yield
        return
    env_keys = ("PATH", "LD_LIBRARY_PATH", "JAVA_HOME", "R_LD_LIBRARY_PATH", "R_JAVA_LD_LIBRARY_PATH", "R_HOME")
    real = os.path.realpath(r_exe)
    stamp = [real, os.stat(real).st_mtime_ns, *(os.environ.get(k, "") for k in env_keys)]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pyvalues" / "r_situation.json"
    key = hashlib.sha256(json.dumps(stamp).encode()).hexdigest()[:16]
    known = None
    try:
        known = json.loads(cache.read_text()).get(key)
        ldpaths = Path(known["r_home"]) / "etc" / "ldpaths"
        if known.get("ldpaths_mtime") != (ldpaths.stat().st_mtime_ns if ldpaths.exists() else None):
            known = None
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        known = None
    asked = {}
    if known is None:
        asked_home = situation.get_r_home
        asked_ld = situation.r_ld_library_path_from_subprocess
        def get_r_home():
            asked["r_home"] = asked_home()
            return asked["r_home"]
        def ld_path(r_home):
            asked["ld"] = asked_ld(r_home)
            return asked["ld"]
    else:
        def get_r_home():
            return known["r_home"]
        def ld_path(r_home):
            return known["ld"] if r_home == known["r_home"] else situation_ld(r_home)
    situation_home, situation_ld = situation.get_r_home, situation.r_ld_library_path_from_subprocess
    situation.get_r_home, situation.r_ld_library_path_from_subprocess = get_r_home, ld_path
    try:
        yield
    finally:
        situation.get_r_home, situation.r_ld_library_path_from_subprocess = situation_home, situation_ld
    if home_set:
        asked.setdefault("r_home", home_set)
    if known is None and asked.get("r_home") and "ld" in asked:
        try:
            ldpaths = Path(asked["r_home"]) / "etc" / "ldpaths"
            entry = {"r_home": asked["r_home"], "ld": asked["ld"],
                     "ldpaths_mtime": ldpaths.stat().st_mtime_ns if ldpaths.exists() else None}
            try:
                entries = json.loads(cache.read_text())
            except (OSError, ValueError):
                entries = {}
            entries = {**(entries if isinstance(entries, dict) else {}), key: entry}
            cache.parent.mkdir(parents=True, exist_ok=True)
            part = cache.with_name(f".{cache.name}.{os.getpid()}")
            part.write_text(json.dumps(entries))
            os.replace(part, cache)
        except OSError:
            pass


def _r_sources_key(folder: Path) -> str:
    """A digest of the R sources (names and bytes): the key of their compiled copy."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.R")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _source_checkout_code(root: str, key: str) -> str:
    """R code that returns the environment of a source checkout's R/ functions.

    R's JIT compiles each sourced function to byte code on its first calls (about half a
    CPU second of a default run, and again in each R worker the functions are shipped to).
    So the functions are compiled once, all of them (``compiler::cmpfun``, what the JIT
    and ``R CMD INSTALL`` do), and the environment is kept in R's user cache folder under
    a digest of the sources and R's version: a later session reads it back instead of
    sourcing, and an edited file changes the digest. The same byte code as the JIT's, so
    the same numbers. Whatever fails there (no cache folder, a damaged file) falls back
    to sourcing; so does an empty `key` (no cache)."""
    return f"""local({{
      files <- sort(list.files("{root}/R", pattern = "[.]R$", full.names = TRUE))
      cache <- if (!nzchar("{key}")) "" else
        tryCatch(file.path(tools::R_user_dir("pyvalues", "cache"),
                           paste0("rcode-{key}-", getRversion(), ".rds")), error = function(e) "")
      env <- if (nzchar(cache) && file.exists(cache)) tryCatch(readRDS(cache), error = function(e) NULL)
      if (!is.environment(env) || !exists("pv_analyse", envir = env, inherits = FALSE)) {{
        env <- new.env(parent = globalenv())
        for (f in files) sys.source(f, envir = env, keep.source = FALSE, toplevel.env = env)
        if (nzchar(cache)) {{
          for (nm in ls(env, all.names = TRUE)) {{
            fn <- get(nm, envir = env)
            if (is.function(fn) && !is.primitive(fn))
              assign(nm, suppressWarnings(suppressMessages(compiler::cmpfun(fn))), envir = env)
          }}
          try(silent = TRUE, {{
            dir.create(dirname(cache), recursive = TRUE, showWarnings = FALSE)
            part <- tempfile("rcode", tmpdir = dirname(cache))
            saveRDS(env, part)
            if (!file.rename(part, cache)) unlink(part)
          }})
        }}
      }}
      env
    }})"""


def _to_r(value):
    if isinstance(value, pd.DataFrame):
        from rpy2.robjects import pandas2ri

        df = value.copy()
        for col in df.columns:
            if isinstance(df[col].dtype, pd.StringDtype) or df[col].dtype == object:
                df[col] = df[col].astype(object)
        return pandas2ri.py2rpy(df.reset_index(drop=True))
    if isinstance(value, (list, tuple)):
        from rpy2.robjects import StrVector, FloatVector

        if all(isinstance(v, str) for v in value):
            return StrVector(list(value))
        return FloatVector(list(value))
    if value is None:
        from rpy2.rinterface import NULL

        return NULL
    return value


def _from_r(value):
    from rpy2.robjects import ListVector

    if isinstance(value, pd.DataFrame):
        value = value.reset_index(drop=True)
        return value
    if isinstance(value, ListVector) or type(value).__name__ in ("ListVector", "NamedList"):
        names = list(value.names) if value.names is not None else [str(i) for i in range(len(value))]
        return {n: _from_r(v) for n, v in zip(names, value)}
    return value


_SESSION = _Session()


def import_beside_r(modules) -> threading.Thread:
    """Import `modules` (names) in a background thread, to be ready when R's results are.

    rpy2 releases Python's global interpreter lock while R evaluates, so a module imported
    during a long R call loads on another core instead of after the call (scipy alone is a
    CPU second). An import that fails here is left to fail where the module is used."""
    import importlib

    def work() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - raised again by the import that needs it
                log.debug("background import of %s failed", name, exc_info=True)

    thread = threading.Thread(target=work, name="pyvalues-imports", daemon=True)
    thread.start()
    return thread


def session() -> _Session:
    """The process's R session (started on first use)."""
    return _SESSION


def call(fname: str, *args, **kwargs):
    """Call pyvalues's R function `fname` (see :meth:`_Session.call`)."""
    return _SESSION.call(fname, *args, **kwargs)


def console() -> str:
    """Everything R printed in this process so far."""
    return _SESSION.console()


class progress_to:
    """``with progress_to(handler): ...`` -- R's progress goes to `handler(step, done,
    total)` inside the block (``None``: no progress), and back to what it was after."""

    def __init__(self, handler) -> None:
        self.handler = handler

    def __enter__(self):
        self.saved = _SESSION._progress
        _SESSION.set_progress(self.handler)
        return self

    def __exit__(self, *exc) -> None:
        _SESSION.set_progress(self.saved)
