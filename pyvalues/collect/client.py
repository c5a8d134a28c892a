"""One request, with retries: send, classify, record every attempt, back off, try again.

Classification follows inspect_ai's per-provider practice:

===============================  ===========  =====================================
outcome                          status       retried?
===============================  ===========  =====================================
200 with a documented body       ``ok``       --
200 with any other body          malformed    yes (a proxy or server glitch)
connect/read/total timeout       timeout      yes
refused, reset, cut mid-body     connection   yes
429, 408, 409, 425               http_NNN     yes, waiting at least ``Retry-After``
5xx (incl. Anthropic's 529)      http_NNN     yes
400, 401, 403, 404, other 4xx    http_NNN     no: the model stops, reported once
===============================  ===========  =====================================

Backoff is exponential with jitter (tenacity ``wait_exponential + wait_random``) and never
shorter than the server's ``Retry-After``.
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

from .providers import MalformedResponse, PreparedRequest, error_message, read_reply

__all__ = ["RetryableAttempt", "FatalAttempt", "ModelStopped", "send_with_retries", "classify_http",
           "parse_retry_after", "RETRYABLE_4XX"]

RETRYABLE_4XX = frozenset({408, 409, 425, 429})
MAX_RETRY_AFTER_S = 900.0
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


class ModelStopped(Exception):
    """The model was stopped (by another request's fatal error) before this attempt began."""


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


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, min(float(value), MAX_RETRY_AFTER_S))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, min((when - datetime.now(timezone.utc)).total_seconds(), MAX_RETRY_AFTER_S))


def classify_http(code: int) -> tuple[str, bool]:
    """(status, retryable) for a non-200 HTTP status."""
    return f"http_{code}", code >= 500 or code in RETRYABLE_4XX


_local = threading.local()


def _session() -> requests.Session:
    s = getattr(_local, "session", None)
    if s is None:
        s = _local.session = requests.Session()
    return s


def _redact(text: str | None, secret: str | None) -> str | None:
    if text is None or not secret:
        return text
    return text.replace(secret, "[redacted]")


def attempt_once(kind: str, req: PreparedRequest, api_key: str | None, timeout_s: float) -> AttemptOutcome:
    """Make one HTTP attempt and classify it; never raises for HTTP/network faults."""
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
            raw = b"".join(chunks).decode("utf-8", errors="replace")
            if http_status == 200:
                try:
                    reply = read_reply(kind, raw)
                except MalformedResponse as exc:
                    status, err = "malformed", f"HTTP 200 with a malformed body: {exc}"
            else:
                status, _ = classify_http(http_status)
                err = f"HTTP {http_status}: {error_message(raw)}"
                retry_after = parse_retry_after(resp.headers.get("Retry-After"))
    except requests.Timeout as exc:
        status, err = "timeout", f"timeout after {timeout_s:g} s ({type(exc).__name__})"
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError) as exc:
        status, err = "connection", f"connection failed: {type(exc).__name__}: {_short(exc)}"
    latency = time.perf_counter() - t0
    return AttemptOutcome(status, http_status, _redact(raw, api_key), _redact(err, api_key), latency,
                          started_at, now_iso(), retry_after, reply)


def _short(exc, limit=200):
    msg = " ".join(str(exc).split())
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


def send_with_retries(kind, req, api_key, *, timeout_s, max_attempts, backoff_initial_s, backoff_max_s,
                      record, first_attempt_no=1, stop_event: threading.Event | None = None,
                      on_retry=None, sleep=time.sleep):
    """Send `req` until it succeeds, fails for good, or `max_attempts` are used.

    `record(outcome, attempt_no)` is called for every attempt, before any retry decision.
    Returns the successful AttemptOutcome; raises FatalAttempt, ModelStopped, or the last
    RetryableAttempt when attempts run out.
    """
    def interruptible_sleep(seconds):
        if stop_event is None:
            return sleep(seconds)
        if stop_event.wait(seconds):
            raise ModelStopped()

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
            out = attempt_once(kind, req, api_key, timeout_s)
            record(out, attempt_no)
            if out.status == "ok":
                return out
            if out.status in ("timeout", "connection", "malformed"):
                raise RetryableAttempt(out.status, out.error)
            _, retryable = classify_http(out.http_status)
            if retryable:
                raise RetryableAttempt(out.status, out.error, out.retry_after)
            raise FatalAttempt(out.status, out.http_status, out.error)
