"""One request, with retries: send, classify, record every attempt, back off, try again.

Classification follows inspect_ai's per-provider practice (the decisions are the provider
class's: :meth:`pyvalues.collect.providers.Provider.should_retry` and ``refusal``):

===============================  ===========  =====================================
outcome                          status       retried?
===============================  ===========  =====================================
200 with a documented body       ``ok``       --
200, stop reason a refusal       ``refused``  no: an outcome, stored; the model goes on
4xx content-policy error         ``refused``  no: an outcome, stored; the model goes on
200 with any other body          malformed    yes (a proxy or server glitch)
connect/read/total timeout       timeout      yes
refused, reset, cut mid-body     connection   yes
429, 408, 409, 425               http_NNN     yes, waiting at least ``Retry-After``
5xx (incl. Anthropic's 529)      http_NNN     yes
400, 401, 403, 404, other 4xx    http_NNN     no: the model stops, reported once
a request that cannot be made    client       no: the model stops, reported once
===============================  ===========  =====================================

Backoff is exponential with jitter (tenacity ``wait_exponential + wait_random``), capped at
``backoff_max_s``, and never shorter than the server's ``Retry-After`` -- up to
``max_retry_after_s``: a server that asks for a longer wait ends the request for this run
(status as received, a clear reason; the next run sends it again).

Secrets: every text that came back from the network (bodies, exception messages) passes
through :class:`Redactor` before anything else touches it -- before parsing an error message,
truncating, formatting, storing or printing. The redactor removes each configured key and
every run of 8 or more characters that is a piece of one, so a key cut by a server or by a
length limit is not recognisable either.
"""
from __future__ import annotations

import email.utils
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import requests
from tenacity import (RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt,
                      wait_exponential, wait_random)

from .providers import RETRYABLE_4XX, MalformedResponse, PreparedRequest, Provider, error_message, provider_for

__all__ = ["RetryableAttempt", "FatalAttempt", "ModelStopped", "WaitTooLong", "send_with_retries",
           "classify_http", "parse_retry_after", "RETRYABLE_4XX", "Redactor", "MIN_SECRET_PIECE"]

# Retry-After values above this are clipped when parsed (a day); the run's own cap,
# [run] max_retry_after_s, decides whether such a wait is accepted at all.
MAX_RETRY_AFTER_S = 86400.0
# the shortest run of a secret's characters that the redactor removes
MIN_SECRET_PIECE = 8
_CHUNK = 64 * 1024


class RetryableAttempt(Exception):
    def __init__(self, status: str, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class FatalAttempt(Exception):
    """An error that cannot succeed on retry (bad key, bad request, unknown model)."""

    def __init__(self, status: str, http_status: int | None, message: str):
        super().__init__(message)
        self.status = status
        self.http_status = http_status


class WaitTooLong(Exception):
    """The server asked (Retry-After) for a longer wait than ``max_retry_after_s`` allows."""

    def __init__(self, status: str, message: str, retry_after: float, cap: float):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.cap = cap


class ModelStopped(Exception):
    """The model was stopped (by another request's fatal error, or Ctrl-C) before this attempt began."""


@dataclass
class AttemptOutcome:
    status: str
    http_status: int | None
    raw_body: str | None
    error: str | None
    latency_s: float
    started_at: str
    finished_at: str
    retry_after: float | None = None
    reply: object = None


class Redactor:
    """Removes secrets from text: each secret whole, and every run of at least
    :data:`MIN_SECRET_PIECE` characters that is a piece of one (a key cut by a server's
    echo or by a length limit), replaced by ``[redacted]``.

    Called on every text that came from the network before anything else reads it.
    """

    MARK = "[redacted]"

    def __init__(self, secrets=()):
        self._secrets: list[str] = []
        self._pieces: set[str] = set()
        self._blocks: set[str] = set()  # the secrets' substrings of MIN_SECRET_PIECE // 2 characters
        self._lock = threading.Lock()
        for s in secrets:
            self.add(s)

    def add(self, secret: str | None) -> None:
        if not secret:
            return
        secret = str(secret)
        with self._lock:
            if secret in self._secrets:
                return
            self._secrets.append(secret)
            self._secrets.sort(key=len, reverse=True)
            n = MIN_SECRET_PIECE
            if len(secret) >= n:
                self._pieces.update(secret[i:i + n] for i in range(len(secret) - n + 1))
                self._blocks.update(secret[i:i + n // 2] for i in range(len(secret) - n // 2 + 1))

    def __bool__(self):
        return bool(self._secrets)

    def __call__(self, text):
        if text is None or not self._secrets:
            return text
        text = str(text)
        for secret in self._secrets:
            text = text.replace(secret, self.MARK)
        pieces, n = self._pieces, MIN_SECRET_PIECE
        if not pieces or len(text) < n:
            return text
        # Every n-character window contains a whole block of n/2 characters aligned at a multiple
        # of n/2: find the aligned blocks that occur in a secret first (a cheap scan with stride
        # n/2), then test only the n-windows around them.
        h, quarters = n // 2, self._blocks
        starts = set()
        for b in range(0, len(text) - h + 1, h):
            if text[b:b + h] in quarters:
                starts.update(range(max(0, b - h), min(b, len(text) - n) + 1))
        covered_to = -1
        spans = []
        for i in sorted(starts):
            if text[i:i + n] in pieces:
                if spans and i <= covered_to:
                    spans[-1][1] = i + n
                else:
                    spans.append([i, i + n])
                covered_to = i + n
        if not spans:
            return text
        out, last = [], 0
        for a, b in spans:
            out.append(text[last:a])
            out.append(self.MARK)
            last = b
        out.append(text[last:])
        return "".join(out)


def _redact(text: str | None, secret: str | None) -> str | None:
    """`text` without `secret` (whole, and every piece of 8 or more characters); the
    function form of :class:`Redactor` for one secret."""
    return Redactor([secret])(text) if secret else text


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        seconds = None
    if seconds is not None:
        return max(0.0, min(seconds, MAX_RETRY_AFTER_S)) if seconds == seconds else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, min((when - datetime.now(timezone.utc)).total_seconds(), MAX_RETRY_AFTER_S))


def classify_http(code: int, provider: Provider | None = None) -> tuple[str, bool]:
    """(status, retryable) for a non-200 HTTP status."""
    retry = provider.should_retry(code) if provider is not None else (code >= 500 or code in RETRYABLE_4XX)
    return f"http_{code}", retry


_local = threading.local()


def _session() -> requests.Session:
    s = getattr(_local, "session", None)
    if s is None:
        s = _local.session = requests.Session()
    return s


def _as_provider(provider) -> Provider:
    return provider if isinstance(provider, Provider) else provider_for(provider)


def attempt_once(provider, req: PreparedRequest, api_key: str | None, timeout_s: float,
                 redactor: Redactor | None = None) -> AttemptOutcome:
    """Make one HTTP attempt and classify it; never raises for HTTP/network faults.

    `provider`: a :class:`~pyvalues.collect.providers.Provider` or its kind ("openai").
    Everything returned has passed through the redactor (the key is always in it).
    """
    provider = _as_provider(provider)
    redact = Redactor([api_key]) if redactor is None else redactor
    if api_key:
        redact.add(api_key)
    headers = {"Content-Type": "application/json", **dict(req.extra_headers)}
    if api_key:
        headers[req.key_header] = f"{req.key_prefix}{api_key}"
    started_at = now_iso()
    t0 = time.perf_counter()
    deadline = t0 + timeout_s
    status, http_status, raw, err, retry_after, reply = "ok", None, None, None, None, None
    try:
        with _session().post(req.url, json=req.body, headers=headers, timeout=(min(timeout_s, 30.0), timeout_s),
                             stream=True) as resp:
            http_status = resp.status_code
            chunks = []
            # requests' read timeout bounds each socket read; the deadline bounds the whole
            # body, so a server that trickles bytes cannot hold a worker forever.
            for chunk in resp.iter_content(_CHUNK):
                chunks.append(chunk)
                if time.perf_counter() > deadline:
                    raise requests.Timeout(f"body not complete after {timeout_s:g} s")
            # redact first: everything below (parsing, error message, truncation) sees the redacted body
            raw = redact(b"".join(chunks).decode("utf-8", errors="replace"))
            if http_status == 200:
                try:
                    reply = provider.read_reply(raw)
                except MalformedResponse as exc:
                    status, err = "malformed", f"HTTP 200 with a malformed body: {redact(str(exc))}"
                else:
                    why = provider.refusal(200, raw, reply)
                    if why:
                        status, err = "refused", f"refused: {why}"
            else:
                why = provider.refusal(http_status, raw)
                if why:
                    status, err = "refused", f"refused: {why}: {error_message(raw)}"
                else:
                    status, _ = classify_http(http_status, provider)
                    err = f"HTTP {http_status}: {error_message(raw)}"
                retry_after = parse_retry_after(resp.headers.get("Retry-After"))
    except requests.Timeout as exc:
        status, err = "timeout", f"timeout after {timeout_s:g} s ({type(exc).__name__})"
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError) as exc:
        status, err = "connection", f"connection failed: {type(exc).__name__}: {_short(redact(str(exc)))}"
    except Exception as exc:  # noqa: BLE001 -- a request that cannot be made (bad URL, header); recorded, fatal
        status, err = "client", f"request could not be sent: {type(exc).__name__}: {_short(redact(str(exc)))}"
    latency = time.perf_counter() - t0
    return AttemptOutcome(status, http_status, raw, err, latency, started_at, now_iso(), retry_after, reply)


def _short(text, limit=200):
    msg = " ".join(str(text).split())
    return msg[:limit]


def make_wait(initial: float, maximum: float):
    # initial * 2**(n-1), capped, plus uniform jitter in [0, initial] (AWS's "equal jitter")
    base = wait_exponential(multiplier=initial, max=maximum) + wait_random(0, initial)

    def wait(state: RetryCallState) -> float:
        delay = min(base(state), maximum)
        exc = state.outcome.exception() if state.outcome else None
        ra = getattr(exc, "retry_after", None)
        return max(delay, ra) if ra is not None else delay

    return wait


def send_with_retries(provider, req, api_key, *, timeout_s, max_attempts, backoff_initial_s, backoff_max_s,
                      record, first_attempt_no=1, stop_event: threading.Event | None = None,
                      on_retry=None, sleep=time.sleep, max_retry_after_s: float = 300.0,
                      redactor: Redactor | None = None, on_wait=None):
    """Send `req` until it succeeds, is refused, fails for good, or `max_attempts` are used.

    `provider`: a Provider or its kind. `record(outcome, attempt_no)` is called for every
    attempt, before any retry decision. `on_wait(seconds, reason)` is called before each
    wait between attempts and `on_wait(None, None)` after it. Returns the final
    AttemptOutcome (status ``ok`` or ``refused``); raises FatalAttempt, ModelStopped,
    WaitTooLong (Retry-After above `max_retry_after_s`), or the last RetryableAttempt when
    attempts run out.
    """
    provider = _as_provider(provider)
    last = {"exc": None}

    def interruptible_sleep(seconds):
        exc = last["exc"]
        if on_wait is not None:
            on_wait(seconds, str(exc) if exc is not None else "")
        try:
            if stop_event is None:
                return sleep(seconds)
            if stop_event.wait(seconds):
                raise ModelStopped()
        finally:
            if on_wait is not None:
                on_wait(None, None)

    retrying = Retrying(
        retry=retry_if_exception_type(RetryableAttempt),
        stop=stop_after_attempt(max_attempts),
        wait=make_wait(backoff_initial_s, backoff_max_s),
        sleep=interruptible_sleep,
        reraise=True,
        before_sleep=(lambda state: on_retry(state)) if on_retry else None,
    )
    for attempt in retrying:
        with attempt:
            if stop_event is not None and stop_event.is_set():
                raise ModelStopped()
            attempt_no = first_attempt_no + attempt.retry_state.attempt_number - 1
            out = attempt_once(provider, req, api_key, timeout_s, redactor)
            record(out, attempt_no)
            if out.status in ("ok", "refused"):
                return out
            if out.status in ("timeout", "connection", "malformed"):
                last["exc"] = RetryableAttempt(out.status, out.error)
                raise last["exc"]
            if out.status == "client":
                raise FatalAttempt(out.status, None, out.error)
            _, retryable = classify_http(out.http_status, provider)
            if retryable:
                if out.retry_after is not None and out.retry_after > max_retry_after_s:
                    raise WaitTooLong(out.status, out.error, out.retry_after, max_retry_after_s)
                last["exc"] = RetryableAttempt(out.status, out.error, out.retry_after)
                raise last["exc"]
            raise FatalAttempt(out.status, out.http_status, out.error)
