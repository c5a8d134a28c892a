"""Per-provider limits: concurrent requests, requests per minute, tokens per minute.

A sliding 60-second window (the way vendors count): a request may start when fewer than
``requests_per_minute`` requests started in the last 60 s and the tokens charged in that
window plus this request's estimate stay within ``tokens_per_minute``. The estimate is
replaced by the real usage once the response is in.
"""
from __future__ import annotations

import threading
import time
from collections import deque

__all__ = ["ProviderLimiter"]

WINDOW_S = 60.0


class _Ticket:
    __slots__ = ("t", "tokens")

    def __init__(self, t, tokens):
        self.t = t
        self.tokens = tokens


class ProviderLimiter:
    def __init__(self, concurrency: int, requests_per_minute=None, tokens_per_minute=None,
                 clock=time.monotonic):
        self.concurrency = concurrency
        self.rpm = requests_per_minute
        self.tpm = tokens_per_minute
        self._slots = threading.BoundedSemaphore(concurrency)
        self._cond = threading.Condition()
        self._window: deque[_Ticket] = deque()
        self._clock = clock

    def _wait_s(self, now, tokens) -> float:
        while self._window and now - self._window[0].t >= WINDOW_S:
            self._window.popleft()
        waits = [0.0]
        if self.rpm is not None and len(self._window) >= self.rpm:
            k = len(self._window) - int(self.rpm)  # the k-th oldest must leave the window
            waits.append(self._window[k].t + WINDOW_S - now)
        if self.tpm is not None and self._window:
            used = sum(t.tokens for t in self._window)
            if used + tokens > self.tpm:
                # wait until enough of the oldest entries expire (or the window is empty)
                freed = 0
                for t in self._window:
                    freed += t.tokens
                    if used - freed + tokens <= self.tpm:
                        break
                waits.append(t.t + WINDOW_S - now)
        return max(waits)

    def _why(self) -> str:
        if self.rpm is not None and len(self._window) >= self.rpm:
            return f"requests_per_minute = {self.rpm:g} of the provider"
        return f"tokens_per_minute = {self.tpm:g} of the provider"

    def acquire(self, est_tokens: int = 0, stop: threading.Event | None = None, on_wait=None) -> _Ticket | None:
        """Block until a request may start; returns a ticket (None if `stop` was set).

        `on_wait(seconds, why)` is called once when the window makes the request wait, and
        `on_wait(None, None)` when the wait is over."""
        self._slots.acquire()
        announced = False
        try:
            with self._cond:
                while True:
                    if stop is not None and stop.is_set():
                        self._slots.release()
                        return None
                    now = self._clock()
                    wait = self._wait_s(now, est_tokens)
                    if wait <= 0:
                        ticket = _Ticket(now, est_tokens)
                        self._window.append(ticket)
                        return ticket
                    if on_wait is not None and not announced:
                        announced = True
                        on_wait(wait, self._why())
                    self._cond.wait(timeout=min(wait, 1.0))
        finally:
            if announced:
                on_wait(None, None)

    def release(self, ticket: _Ticket, used_tokens: int | None = None) -> None:
        with self._cond:
            if used_tokens is not None:
                ticket.tokens = used_tokens
            self._cond.notify_all()
        self._slots.release()
