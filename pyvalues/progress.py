"""Progress of a run on stderr: a bar per long step on a terminal, one line per step otherwise.

A handler is called as ``handler(step, done, total)``: ``done = 0`` announces a step,
``done = total`` finishes it; R's long steps (the multiscale bootstrap, each analysis of
``pv_analyse``) report through :func:`pyvalues.rbridge.progress_to`, Python's own steps
through :meth:`Progress.step`. ``--quiet`` (or ``progress=False``) shows nothing.
"""
from __future__ import annotations

import contextlib
import sys
import time

__all__ = ["Progress"]


class Progress:
    """Render progress on `stream` (default stderr): redrawn in place on a terminal, one
    line per finished step otherwise."""

    def __init__(self, stream=None, *, tty: bool | None = None, width: int = 30) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(tty if tty is not None else getattr(self.stream, "isatty", lambda: False)())
        self.width = width
        self._started: dict[str, float] = {}
        self._open = False

    def __call__(self, step: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if step not in self._started or done == 0:
            self._started.setdefault(step, now)
        final = done >= total
        elapsed = now - self._started[step]
        if self.tty:
            if total > 1:
                filled = int(self.width * done / total)
                bar = f" [{'=' * filled}{' ' * (self.width - filled)}] {done:,}/{total:,}"
            else:
                bar = " ..." if not final else ""
            tail = f" {elapsed:.1f} s" if final else ""
            self.stream.write(f"\r\x1b[K{step}{bar}{tail}" + ("\n" if final else ""))
            self._open = not final
        elif final:
            count = f" {done:,}/{total:,}" if total > 1 else ""
            self.stream.write(f"{step}:{count} done in {elapsed:.1f} s\n")
        if final:
            self._started.pop(step, None)
        self.stream.flush()

    @contextlib.contextmanager
    def step(self, name: str):
        """``with progress.step("figures"): ...`` -- one step without a count."""
        self(name, 0, 1)
        yield
        self(name, 1, 1)
