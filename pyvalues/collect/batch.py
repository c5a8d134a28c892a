"""Batch mode: a run's requests through OpenAI's Batch API and Anthropic's Message Batches.

``[run] mode = "batch"`` (or ``mode = "batch"`` in one ``[providers.NAME]`` table) sends the
pending requests of those providers as batches, one batch per model, instead of one chat
call each: the providers process them asynchronously, at about half the price, under their
own rate limits.

* OpenAI (``kind = "openai"``): the requests as a JSONL file (one line per request:
  ``custom_id``, ``method`` POST, ``url`` /v1/chat/completions, ``body``) uploaded to
  ``POST /files`` with purpose ``batch``; ``POST /batches`` (endpoint /v1/chat/completions,
  completion window 24h, metadata ``pyvalues_batch_ref``); ``GET /batches/{id}`` until the
  status is completed, expired, cancelled or failed; then the output and error files from
  ``GET /files/{id}/content``.
* Anthropic (``kind = "anthropic"``): ``POST /v1/messages/batches`` with
  ``requests = [{custom_id, params}]``; ``GET /v1/messages/batches/{id}`` until
  ``processing_status`` is ``ended``; then the JSONL at ``results_url`` (``result.type``
  succeeded, errored, canceled or expired).

**Crash safety.** The custom id of a request is its store key. Before anything is sent, the
batch's client-side reference (``batch_ref``) and every request's custom id are committed
to the store (tables ``batches`` and ``batch_items``, next to the append-only ``attempts``);
then each step is committed before the next one starts::

    intent -> (OpenAI: upload, record file id: uploaded) -> creating -> create, record batch id: submitted
           -> poll -> results stored as attempts -> ended

A partial unique index makes it impossible for one request to be in two live batches. A
rerun (after a crash, SIGKILL or Ctrl-C at any step) resumes each unfinished batch from its
last committed step: ``intent``/``uploaded`` batches were never created and are created now;
a ``creating`` batch may or may not exist on the provider's side (the process died between
sending the create call and recording the answer), so it is looked up first -- for OpenAI
by the ``pyvalues_batch_ref`` metadata (or the input file id) in ``GET /batches``; for
Anthropic, whose batches carry no metadata, by ``GET /v1/messages/batches``: a batch created
after the intent was written with exactly as many requests. It is adopted when found and
created only when not; an adopted Anthropic batch is checked against its results (custom
ids are store keys, so another client's batch cannot match). ``submitted`` batches are
polled, never resubmitted. An upload interrupted before its file id was recorded is uploaded
again (the first file holds no batch; it is left in the account's file storage). Results
are read in full again by a run that stopped while storing them: each answer is one row
under the store's unique index and a stored failure is recognised, so nothing is stored
twice; the items' outcomes are committed with the batch's end, in one transaction.

*Residual risk* (stated, not hidden): if the provider's list does not yet show a batch that
was created in the instant before a crash (list endpoints are not promised to be
read-after-write consistent), the lookup misses it and the requests are submitted a second
time. The store still holds one answer per request (its unique index refuses a second
successful attempt; the second answer is dropped and counted), but the provider bills both.

**Outcomes.** A request answered inside a batch is stored as a successful attempt in the
same row format as a synchronous answer -- the reply is read by the same provider class
(:meth:`pyvalues.collect.providers.Provider.read_reply`) and written by :meth:`Store.insert`
-- with ``request.batch`` = {ref, id, custom_id} added and ``latency_s`` empty (the provider
processes a batch asynchronously; there is no per-request latency). Parsing and analysis do
not change. A refusal is classified by the same :meth:`Provider.refusal` as a synchronous
answer -- an OpenAI answer with finish_reason ``content_filter`` or a 400 content-policy
error in the batch's error file; an Anthropic answer with stop_reason ``refusal`` or an
``errored`` result whose ``invalid_request_error`` is the content-filtering one -- and stored
as ``refused``: final, counted, not sent again. A request that errored, expired or was
cancelled inside a batch, or whose batch failed, is stored as a failed attempt
(``http_NNN``, ``batch_errored``, ``batch_expired``, ``batch_canceled``, ``batch_failed``)
and is pending again: the next run puts it in a new batch. Follow-ups of the re-ask policy
are sent synchronously after the batch answers land.

A run waits for its batches up to ``[run] batch_wait_s`` (default 25 h: the providers' 24 h
window), checking every ``batch_poll_s`` seconds (default 60); a batch still running then is
left to the next run of the same command, which polls it.
"""
from __future__ import annotations

import json
import sqlite3
import time
import uuid
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import requests

from .client import _redact
from .config import MODES  # noqa: F401 -- re-exported: "sync", "batch"
from .providers import MalformedResponse, error_message, prepare, provider_for

__all__ = ["MODES", "run_batches", "BatchLedger", "OPENAI_BATCH_ENDPOINT"]

OPENAI_BATCH_ENDPOINT = "/v1/chat/completions"
# the providers' documented per-batch request limits
MAX_ITEMS = {"openai": 50_000, "anthropic": 100_000}
# how far back a lookup after a crash searches: the provider's clock may differ from ours
LOOKUP_SKEW = timedelta(minutes=10)
LIVE_STATES = ("intent", "uploaded", "creating", "submitted")

_DDL = """
CREATE TABLE IF NOT EXISTS batches (
    batch_ref TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    kind TEXT NOT NULL,
    model TEXT NOT NULL,
    base_url TEXT NOT NULL,
    state TEXT NOT NULL,
    n_items INTEGER NOT NULL,
    file_id TEXT,
    batch_id TEXT,
    remote_status TEXT,
    created_at TEXT NOT NULL,
    submitted_at TEXT,
    ended_at TEXT,
    run_id TEXT,
    note TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS batches_batch_id ON batches (batch_id) WHERE batch_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS batch_items (
    batch_ref TEXT NOT NULL REFERENCES batches (batch_ref),
    custom_id TEXT NOT NULL,
    request_key TEXT NOT NULL,
    state TEXT NOT NULL,
    outcome TEXT,
    template BLOB NOT NULL,
    PRIMARY KEY (batch_ref, custom_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS one_live_batch_item ON batch_items (request_key) WHERE state = 'live';
"""


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def redact(text, api_key, redactor=None):
    """`text` without `api_key` (whole and in pieces) and, with the run's
    :class:`~pyvalues.collect.client.Redactor`, without any other key the run holds."""
    text = _redact(text, api_key)
    return redactor(text) if redactor is not None else text


# Anthropic's error types inside an ``errored`` batch result, as the HTTP status the same
# error has on the synchronous Messages API (so the provider class's refusal check applies)
_ANTHROPIC_ERROR_STATUS = {"invalid_request_error": 400, "authentication_error": 401, "permission_error": 403,
                           "not_found_error": 404, "request_too_large": 413, "rate_limit_error": 429,
                           "api_error": 500, "overloaded_error": 529}


def _parse_time(value) -> datetime | None:
    """An RFC 3339 string (Anthropic) or Unix seconds (OpenAI) as an aware datetime."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


# --------------------------------------------------------------------------- the ledger


def _pack(template: dict) -> bytes:
    # the row template holds the request body (the prompt): zlib halves it, and smaller rows
    # share SQLite pages instead of taking one each
    return zlib.compress(json.dumps(template, ensure_ascii=False).encode("utf-8"), 6)


def _unpack(blob: bytes) -> dict:
    return json.loads(zlib.decompress(blob).decode("utf-8"))


class BatchLedger:
    """The ``batches`` and ``batch_items`` tables in the store's SQLite file.

    A connection of its own (WAL, ``synchronous=FULL``, like :class:`Store`): every state
    change is on disk before the next network call.
    """

    def __init__(self, path, create: bool = True):
        self.path = Path(path)
        self._conn = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        if create:
            self._conn.executescript(_DDL)

    @staticmethod
    def exists(path) -> bool:
        con = sqlite3.connect(str(path), timeout=60)
        try:
            return con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'batch_items'"
                               ).fetchone() is not None
        finally:
            con.close()

    def close(self):
        self._conn.close()

    def write_intent(self, ref, provider, kind, model, base_url, items, run_id):
        """One transaction: the batch (state ``intent``) and its items (``live``)."""
        now = _utc_now()
        with self._tx():
            self._conn.execute(
                "INSERT INTO batches (batch_ref, provider, kind, model, base_url, state, n_items, created_at, run_id)"
                " VALUES (?, ?, ?, ?, ?, 'intent', ?, ?, ?)",
                (ref, provider, kind, model, base_url, len(items), now, run_id))
            self._conn.executemany(
                "INSERT INTO batch_items (batch_ref, custom_id, request_key, state, template) "
                "VALUES (?, ?, ?, 'live', ?)",
                [(ref, cid, key, _pack(tpl)) for cid, key, tpl in items])

    def _tx(self):
        conn = self._conn

        class _Tx:
            def __enter__(self_):
                conn.execute("BEGIN IMMEDIATE")

            def __exit__(self_, exc_type, *exc):
                conn.execute("ROLLBACK" if exc_type else "COMMIT")

        return _Tx()

    def set(self, ref, **fields):
        cols = ", ".join(f"{k} = ?" for k in fields)
        self._conn.execute(f"UPDATE batches SET {cols} WHERE batch_ref = ?", (*fields.values(), ref))

    def batch(self, ref) -> dict:
        cur = self._conn.execute("SELECT * FROM batches WHERE batch_ref = ?", (ref,))
        names = [d[0] for d in cur.description]
        return dict(zip(names, cur.fetchone()))

    def unfinished(self) -> list[dict]:
        cur = self._conn.execute(f"SELECT * FROM batches WHERE state IN ({','.join('?' * len(LIVE_STATES))}) "
                                 f"ORDER BY created_at", LIVE_STATES)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur]

    def batch_ids(self) -> set[str]:
        return {r[0] for r in self._conn.execute("SELECT batch_id FROM batches WHERE batch_id IS NOT NULL")}

    def live_keys(self) -> set[str]:
        return {r[0] for r in self._conn.execute("SELECT request_key FROM batch_items WHERE state = 'live'")}

    def items(self, ref, state: str | None = None) -> dict[str, dict]:
        """custom_id -> {request_key, state, template} of one batch."""
        sql = "SELECT custom_id, request_key, state, template FROM batch_items WHERE batch_ref = ?"
        params = (ref,)
        if state is not None:
            sql += " AND state = ?"
            params = (ref, state)
        return {cid: {"request_key": key, "state": st, "template": _unpack(tpl)}
                for cid, key, st, tpl in self._conn.execute(sql, params)}

    def finish(self, ref, closes, remote_status):
        """One transaction: the items' outcomes [(custom_id, state, outcome)] and the batch ``ended``."""
        with self._tx():
            self._conn.executemany(
                "UPDATE batch_items SET state = ?, outcome = ? WHERE batch_ref = ? AND custom_id = ?",
                [(st, oc, ref, cid) for cid, st, oc in closes])
            self._conn.execute(
                "UPDATE batches SET state = 'ended', remote_status = ?, ended_at = ? WHERE batch_ref = ?",
                (remote_status, _utc_now(), ref))

    def abandon(self, ref, note, outcome):
        """One transaction: a batch the provider did not take, and its items ``failed``."""
        with self._tx():
            self._conn.execute("UPDATE batches SET state = 'abandoned', note = ? WHERE batch_ref = ?", (note, ref))
            self._conn.execute("UPDATE batch_items SET state = 'failed', outcome = ? WHERE batch_ref = ? "
                               "AND state = 'live'", (outcome, ref))

    def counts(self) -> dict:
        """{(batch state, item state): n} -- for tests and reports."""
        return {(b, i): n for b, i, n in self._conn.execute(
            "SELECT b.state, i.state, COUNT(*) FROM batch_items i JOIN batches b USING (batch_ref) "
            "GROUP BY b.state, i.state")}


# --------------------------------------------------------------------------- HTTP


class BatchCallFailed(Exception):
    """A batch API call that failed for good. `fatal`: it cannot succeed on retry (4xx)."""

    def __init__(self, message, http_status=None, fatal=False):
        super().__init__(message)
        self.http_status = http_status
        self.fatal = fatal


class _Api:
    """The control calls of a batch API (upload, create, list, poll, download), with retries
    for the transient faults of the synchronous client (timeouts, dropped connections,
    429/408/409/425, 5xx), backing off exponentially and at least ``Retry-After``."""

    def __init__(self, req_template, api_key, config, sleep, redactor=None):
        self.key = api_key
        self.redactor = redactor
        self.headers = dict(req_template.extra_headers)
        if api_key:
            self.headers[req_template.key_header] = f"{req_template.key_prefix}{api_key}"
        self.timeout_s = config.timeout_s
        self.max_attempts = config.max_attempts
        self.backoff_initial_s = config.backoff_initial_s
        self.backoff_max_s = config.backoff_max_s
        self.sleep = sleep
        self.session = requests.Session()

    def call(self, method, url, *, retry=True, **kw) -> requests.Response:
        from .client import RETRYABLE_4XX, parse_retry_after

        attempts = self.max_attempts if retry else 1
        last = None
        for n in range(1, attempts + 1):
            wait = None
            try:
                resp = self.session.request(method, url, headers=self.headers,
                                            timeout=(min(self.timeout_s, 30.0), self.timeout_s), **kw)
            except (requests.ConnectionError, requests.Timeout,
                    requests.exceptions.ChunkedEncodingError) as exc:
                last = BatchCallFailed(f"{method} {url}: {type(exc).__name__}: "
                                       f"{redact(' '.join(str(exc).split()), self.key, self.redactor)[:200]}")
            else:
                if resp.status_code < 300:
                    return resp
                msg = error_message(redact(resp.text, self.key, self.redactor) or "")
                last = BatchCallFailed(f"{method} {url}: HTTP {resp.status_code}: {msg}", resp.status_code,
                                       fatal=resp.status_code < 500 and resp.status_code not in RETRYABLE_4XX)
                if last.fatal:
                    raise last
                wait = parse_retry_after(resp.headers.get("Retry-After"))
            if n < attempts:
                delay = min(self.backoff_initial_s * 2 ** (n - 1), self.backoff_max_s)
                self.sleep(max(delay, wait or 0.0))
        raise last

    def json(self, method, url, **kw) -> dict:
        resp = self.call(method, url, **kw)
        try:
            data = resp.json()
        except ValueError as exc:
            raise BatchCallFailed(f"{method} {url}: HTTP {resp.status_code} with a body that is not JSON") from exc
        if not isinstance(data, dict):
            raise BatchCallFailed(f"{method} {url}: the body is not a JSON object")
        return data


# --------------------------------------------------------------------------- providers


def _jsonl(text: str):
    for line in text.splitlines():
        line = line.strip()
        if line:
            yield json.loads(line)


class _OpenAIBatches:
    kind = "openai"

    def __init__(self, api: _Api, base_url: str):
        self.api = api
        self.base = base_url.rstrip("/")

    def upload(self, ref, lines) -> str:
        payload = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines).encode("utf-8")
        data = self.api.json("POST", f"{self.base}/files", data={"purpose": "batch"},
                             files={"file": (f"pyvalues-{ref}.jsonl", payload, "application/jsonl")})
        if not data.get("id"):
            raise BatchCallFailed(f"POST {self.base}/files: no file id in the answer")
        return data["id"]

    @staticmethod
    def line(custom_id, body):
        return {"custom_id": custom_id, "method": "POST", "url": OPENAI_BATCH_ENDPOINT, "body": body}

    def create(self, ref, file_id, lines) -> dict:
        return self.api.json("POST", f"{self.base}/batches", retry=False, json={
            "input_file_id": file_id, "endpoint": OPENAI_BATCH_ENDPOINT, "completion_window": "24h",
            "metadata": {"pyvalues_batch_ref": ref}})

    def find(self, ref, file_id, since: datetime, n_items) -> list[dict]:
        """Batches whose metadata carries `ref` (or whose input file is `file_id`), newest first."""
        found, after = [], None
        for _ in range(100):  # pages of 100: bounded
            params = {"limit": 100, **({"after": after} if after else {})}
            page = self.api.json("GET", f"{self.base}/batches", params=params)
            data = page.get("data") or []
            for b in data:
                meta = b.get("metadata") or {}
                if meta.get("pyvalues_batch_ref") == ref or (file_id and b.get("input_file_id") == file_id):
                    found.append(b)
            oldest = _parse_time(data[-1].get("created_at")) if data else None
            if not page.get("has_more") or not data or (oldest and oldest < since - LOOKUP_SKEW):
                break
            after = data[-1].get("id")
        return found

    def poll(self, batch_id) -> dict:
        return self.api.json("GET", f"{self.base}/batches/{batch_id}")

    @staticmethod
    def ended(b) -> bool:
        return b.get("status") in ("completed", "expired", "cancelled", "failed")

    @staticmethod
    def describe(b) -> str:
        c = b.get("request_counts") or {}
        return (f"{b.get('status')}, {c.get('completed', 0)} completed / {c.get('failed', 0)} failed "
                f"of {c.get('total', '?')}")

    def results(self, b):
        """(custom_id, outcome) for every line of the output and error files."""
        for fid in (b.get("output_file_id"), b.get("error_file_id")):
            if not fid:
                continue
            text = self.api.call("GET", f"{self.base}/files/{fid}/content").content.decode("utf-8", "replace")
            for rec in _jsonl(text):
                cid = rec.get("custom_id")
                resp = rec.get("response") or None
                err = rec.get("error") or None
                if resp and resp.get("status_code") == 200 and isinstance(resp.get("body"), (dict, str)):
                    body = resp["body"]
                    yield cid, ("ok", 200, body if isinstance(body, str) else json.dumps(body, ensure_ascii=False))
                elif resp and resp.get("status_code"):
                    body = resp.get("body")
                    raw = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
                    yield cid, (f"http_{resp['status_code']}", resp["status_code"], raw)
                else:
                    code = (err or {}).get("code") or "error"
                    status = "batch_expired" if code == "batch_expired" else (
                        "batch_canceled" if code in ("batch_cancelled", "batch_canceled") else "batch_errored")
                    yield cid, (status, None, json.dumps(err, ensure_ascii=False))

    @staticmethod
    def batch_errors(b) -> str:
        errs = ((b.get("errors") or {}).get("data")) or []
        return "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errs
                         if isinstance(e, dict)) or "no reason given"


class _AnthropicBatches:
    kind = "anthropic"

    def __init__(self, api: _Api, base_url: str):
        self.api = api
        base = base_url.rstrip("/")
        self.base = (base if base.endswith("/v1") else f"{base}/v1") + "/messages/batches"

    @staticmethod
    def line(custom_id, body):
        return {"custom_id": custom_id, "params": body}

    def upload(self, ref, lines):  # no separate upload step
        return None

    def create(self, ref, file_id, lines) -> dict:
        return self.api.json("POST", self.base, retry=False, json={"requests": list(lines)})

    def find(self, ref, file_id, since: datetime, n_items) -> list[dict]:
        """Batches created after `since` (less the clock skew) with exactly `n_items` requests.
        Message Batches carry no metadata: an adopted batch is verified by its results."""
        found, after = [], None
        for _ in range(100):
            params = {"limit": 100, **({"after_id": after} if after else {})}
            page = self.api.json("GET", self.base, params=params)
            data = page.get("data") or []
            for b in data:
                created = _parse_time(b.get("created_at"))
                total = sum(int(v) for v in (b.get("request_counts") or {}).values() if isinstance(v, int))
                if created is not None and created >= since - LOOKUP_SKEW and total == n_items:
                    found.append(b)
            oldest = _parse_time(data[-1].get("created_at")) if data else None
            if not page.get("has_more") or not data or (oldest and oldest < since - LOOKUP_SKEW):
                break
            after = page.get("last_id") or data[-1].get("id")
        found.sort(key=lambda b: _parse_time(b.get("created_at")) or datetime.min.replace(tzinfo=timezone.utc))
        return found

    def poll(self, batch_id) -> dict:
        return self.api.json("GET", f"{self.base}/{batch_id}")

    @staticmethod
    def ended(b) -> bool:
        return b.get("processing_status") == "ended"

    @staticmethod
    def describe(b) -> str:
        c = b.get("request_counts") or {}
        return (f"{b.get('processing_status')}, " + ", ".join(f"{c.get(k, 0)} {k}" for k in
                ("processing", "succeeded", "errored", "canceled", "expired")))

    def results(self, b):
        url = b.get("results_url") or ""
        origin = urlsplit(self.base)
        if (urlsplit(url).scheme, urlsplit(url).netloc) != (origin.scheme, origin.netloc):
            # the key goes only to the configured host
            url = f"{self.base}/{b['id']}/results"
        text = self.api.call("GET", url).content.decode("utf-8", "replace")
        for rec in _jsonl(text):
            cid = rec.get("custom_id")
            result = rec.get("result") or {}
            rtype = result.get("type")
            if rtype == "succeeded":
                yield cid, ("ok", 200, json.dumps(result.get("message"), ensure_ascii=False))
            elif rtype in ("errored", "canceled", "expired"):
                yield cid, ({"errored": "batch_errored", "canceled": "batch_canceled",
                             "expired": "batch_expired"}[rtype], None, json.dumps(result, ensure_ascii=False))
            else:
                yield cid, ("batch_errored", None, json.dumps(rec, ensure_ascii=False))

    @staticmethod
    def batch_errors(b) -> str:
        return "the batch ended without a result for this request"


_CLIENTS = {"openai": _OpenAIBatches, "anthropic": _AnthropicBatches}


def _step(name, fn, *args):
    """Call `fn`, marking a failure with the step it came from (upload, create)."""
    try:
        return fn(*args)
    except BatchCallFailed as exc:
        exc.step = name
        raise


# --------------------------------------------------------------------------- the run


@dataclass
class BatchOutcome:
    """What run_batches did, per request key (for the runner's tallies)."""

    handled: set  # keys taken out of the synchronous path
    answered: set  # a final answer stored in this run: ``ok`` (and, listed in `refused` too, ``refused``)
    failed: set
    waiting: set  # still in a live batch at the end of the run
    refused: set = field(default_factory=set)  # the provider refused (content filter / safety): final


def _template(job, kind, base_url, req) -> dict:
    """Everything of a store row that does not come from the answer (see the runner's record())."""
    m = job.model
    return {"request_key": job.key, "model": m.name, "country": m.country, "language": job.language,
            "replicate": job.replicate, "provider": m.provider, "model_id": m.model_id, "base_url": base_url,
            "prompt_hash": job.prompt_hash, "term_order": list(job.term_order),
            "request": {"url": req.url, "body": req.body, "provider_kind": kind}}


def _row(tpl, batch, custom_id, attempt, status, http_status, raw_body, error, reply, run_id, api_key,
         redactor=None) -> dict:
    request = dict(tpl["request"], batch={"ref": batch["batch_ref"], "id": batch["batch_id"],
                                          "custom_id": custom_id})
    return {
        **{k: tpl[k] for k in ("request_key", "model", "country", "language", "replicate", "provider",
                               "model_id", "base_url", "prompt_hash", "term_order")},
        "attempt": attempt, "status": status, "http_status": http_status, "error": redact(error, api_key, redactor),
        "response_text": reply.text if reply is not None else None,
        "reasoning_text": reply.reasoning_text if reply is not None else None,
        "finish_reason": reply.finish_reason if reply is not None else None,
        "raw_body": redact(raw_body, api_key, redactor), "latency_s": None,
        "usage": reply.usage if reply is not None else None, "request": request,
        "started_at": batch.get("submitted_at") or batch["created_at"], "finished_at": _utc_now(),
        "run_id": run_id, "followup": 0, "followup_of": None,
    }


def run_batches(config, store, pending, *, keys, overrides, run_id, tallies, stop_events, stop_model, message,
                sleep=time.sleep, redactor=None) -> BatchOutcome:
    """Send `pending` jobs of batch-mode providers as batches, resume the store's unfinished
    batches, wait for them, and store their results. Called by the runner
    (:meth:`pyvalues.collect.runner.CollectRun.run`) before the synchronous workers start;
    counts what it did in the runner's `tallies` (ok, refused, failed, not sent, attempts by
    status, tokens) and returns which keys it took (see module docs). `redactor`: the run's
    :class:`~pyvalues.collect.client.Redactor` (every key of the run), applied to every
    text from the network besides the batch's own key."""
    by_key = {j.key: j for j in pending}
    batch_mode = {j.key for j in pending if config.providers[j.model.provider].mode == "batch"}
    out = BatchOutcome(set(), set(), set(), set())
    if not batch_mode and not BatchLedger.exists(store.path):
        return out
    ledger = BatchLedger(store.path)
    try:
        live = ledger.live_keys()
        # a request in a live batch is never sent again, whatever the provider's mode is now
        out.handled = (batch_mode | live) & set(by_key)
        runner = _Runner(config, store, ledger, keys, overrides, run_id, stop_events, stop_model, message, sleep,
                         redactor)
        fresh = [j for j in pending if j.key in batch_mode and j.key not in live]
        runner.resume_unsubmitted()  # first: a lookup must not mistake a new batch for a lost one
        runner.submit_new(fresh)
        runner.wait()
        for k in out.handled:
            if k in runner.answered:
                out.answered.add(k)
                if k in runner.refused:
                    out.refused.add(k)
            elif k in runner.failed:
                out.failed.add(k)
        out.waiting = (ledger.live_keys() & out.handled) - out.answered
        for k in out.handled:
            t = tallies[by_key[k].model.name]
            t.ok += k in out.answered and k not in out.refused
            t.refused += k in out.refused
            t.failed += k in out.failed
            t.skipped += k not in out.answered and k not in out.failed
        for name, statuses in runner.attempts.items():
            if name in tallies:
                tallies[name].attempts.update(statuses)
                tallies[name].prompt_tokens += runner.tokens[name][0]
                tallies[name].completion_tokens += runner.tokens[name][1]
    finally:
        ledger.close()
    return out


class _Runner:
    def __init__(self, config, store, ledger, keys, overrides, run_id, stop_events, stop_model, message, sleep,
                 redactor=None):
        self.config, self.store, self.ledger = config, store, ledger
        self.keys, self.overrides, self.run_id = keys, overrides, run_id
        self.stop_events, self.stop_model, self.message, self.sleep = stop_events, stop_model, message, sleep
        self.redactor = redactor
        self.answered, self.failed = set(), set()
        self.refused = set()  # answered with a refusal (a subset of `answered`)
        self.attempts = defaultdict(Counter)  # model -> attempt statuses stored in this run
        self.tokens = defaultdict(lambda: [0, 0])
        self.models = {m.name: m for m in config.models}
        self._attempts = None

    # ----- helpers
    def _client(self, b):
        prov = self.config.providers.get(b["provider"])
        m = self.models.get(b["model"])
        if prov is None or m is None:
            return None, None
        req = prepare(b["kind"], b["base_url"], m.model_id, "", {}, prov.anthropic_version)
        key = self.keys.get(m.name)
        return _CLIENTS[b["kind"]](_Api(req, key, self.config, self.sleep, self.redactor), b["base_url"]), key

    def _lines(self, b, client):
        """The request lines of a batch, from the bodies recorded with its intent."""
        return [client.line(cid, item["template"]["request"]["body"])
                for cid, item in self.ledger.items(b["batch_ref"], "live").items()]

    def _find(self, client, b) -> list[dict]:
        """The provider's batches that may be `b`, less those the store already knows."""
        known = self.ledger.batch_ids()
        return [x for x in client.find(b["batch_ref"], b["file_id"], _parse_time(b["created_at"]), b["n_items"])
                if x.get("id") not in known]

    def _where(self, b):
        return f"batch {b['batch_ref']} ({b['n_items']} requests of model {b['model']!r}" + \
               (f", {b['batch_id']}" if b.get("batch_id") else "") + ")"

    # ----- new batches
    def submit_new(self, jobs):
        groups = {}
        for job in jobs:
            m = job.model
            if self.stop_events[m.name].is_set():
                continue
            groups.setdefault(m.name, []).append(job)
        for name, mjobs in groups.items():
            m = mjobs[0].model
            prov = self.config.providers[m.provider]
            base_url = self.overrides.get(m.provider, m.base_url)
            limit = MAX_ITEMS[prov.kind]
            for start in range(0, len(mjobs), limit):
                chunk = mjobs[start:start + limit]
                items = []
                for job in chunk:
                    req = prepare(prov.kind, base_url, m.model_id, job.prompt, job.params, prov.anthropic_version)
                    items.append((job.key, job.key, _template(job, prov.kind, base_url, req)))
                ref = "pvb_" + uuid.uuid4().hex[:20]
                try:
                    self.ledger.write_intent(ref, m.provider, prov.kind, name, base_url, items, self.run_id)
                except sqlite3.IntegrityError:
                    # the partial unique index: another process put some of them in a live batch
                    self.message(f"model {name!r}: {len(items)} requests not batched -- another run on this "
                                 f"store has some of them in a live batch; rerun when it has finished.")
                    continue
                self.message(f"batch {ref}: {len(items)} requests of model {name!r} recorded; submitting "
                             f"to {prov.kind} at {base_url}")
                self._advance(self.ledger.batch(ref))

    # ----- the state machine
    def _advance(self, b):
        """Bring batch `b` from its stored state to ``submitted`` (or give up for this run)."""
        client, _ = self._client(b)
        if client is None:
            self.message(f"{self._where(b)}: provider or model no longer in the config; left as it is.")
            return
        if self.stop_events.get(b["model"]) is not None and self.stop_events[b["model"]].is_set():
            return
        ref = b["batch_ref"]
        try:
            if b["state"] == "creating":
                found = self._find(client, b)
                if found:
                    chosen = found[0]
                    self.ledger.set(ref, state="submitted", batch_id=chosen["id"], submitted_at=b["created_at"],
                                    remote_status=chosen.get("status") or chosen.get("processing_status"),
                                    note=f"adopted after a restart by lookup ({len(found)} candidate(s))")
                    self.message(f"{self._where(self.ledger.batch(ref))}: found on the provider after a restart; "
                                 f"polling it, not resubmitting.")
                    return
                self.ledger.set(ref, state="uploaded" if b["kind"] == "openai" else "intent")
                b = self.ledger.batch(ref)
            lines = None
            if b["state"] == "intent" and b["kind"] == "openai":
                lines = self._lines(b, client)
                file_id = _step("upload", client.upload, ref, lines)
                self.ledger.set(ref, state="uploaded", file_id=file_id)
                b = self.ledger.batch(ref)
            if b["state"] in ("intent", "uploaded"):
                if lines is None and b["kind"] == "anthropic":
                    lines = self._lines(b, client)
                self.ledger.set(ref, state="creating")
                try:
                    created = _step("create", client.create, ref, b["file_id"], lines)
                except BatchCallFailed as exc:
                    if exc.fatal:
                        raise
                    # the create call may have reached the provider: look before trying again
                    found = self._find(client, b)
                    if not found:
                        created = _step("create", client.create, ref, b["file_id"], lines)
                    else:
                        created = found[0]
                if not created.get("id"):
                    raise BatchCallFailed("the create call answered without a batch id")
                self.ledger.set(ref, state="submitted", batch_id=created["id"], submitted_at=_utc_now(),
                                remote_status=created.get("status") or created.get("processing_status"))
                self.message(f"{self._where(self.ledger.batch(ref))}: submitted.")
        except BatchCallFailed as exc:
            b = self.ledger.batch(ref)
            if exc.fatal and getattr(exc, "step", None) in ("upload", "create"):
                # a 4xx answer to the upload or create call itself: the provider did not take
                # the batch (a 4xx from a lookup proves nothing: the batch is kept as it is)
                self.ledger.abandon(ref, str(exc), f"http_{exc.http_status}")
                self.failed.update(i["request_key"] for i in self.ledger.items(ref).values())
                self.stop_model(b["model"], f"model {b['model']!r}: {exc} -- the batch was not accepted; "
                                            f"check the key, model_id and base_url; the requests stay pending.")
            else:
                self.message(f"{self._where(b)}: {exc}; left in state {b['state']!r}: rerun the same command "
                             f"to resume (a created batch is looked up, not resubmitted).")

    def resume_unsubmitted(self):
        for b in self.ledger.unfinished():
            if b["state"] != "submitted":
                self._advance(b)

    def wait(self):
        try:
            self._wait()
        except KeyboardInterrupt:
            left = [b for b in self.ledger.unfinished() if b["state"] == "submitted"]
            self.message(f"interrupted while waiting for {len(left)} batch(es); they go on running at the "
                         f"provider: rerun the same command to collect them (they are polled, not resubmitted).")
            raise

    def _wait(self):
        deadline = time.monotonic() + self.config.batch_wait_s
        last_said: dict[str, tuple] = {}
        given_up: set[str] = set()  # batches whose poll met an error that cannot succeed on retry
        while True:
            waiting = [b for b in self.ledger.unfinished()
                       if b["state"] == "submitted" and b["batch_ref"] not in given_up]
            if not waiting:
                return
            for b in waiting:
                client, key = self._client(b)
                if client is None:
                    continue
                try:
                    remote = client.poll(b["batch_id"])
                except BatchCallFailed as exc:
                    if exc.fatal:
                        given_up.add(b["batch_ref"])
                        self.message(f"{self._where(b)}: polling failed ({exc}); not polled again in this run. "
                                     f"The batch is kept: fix the key or base_url and rerun to collect it.")
                    else:
                        self.message(f"{self._where(b)}: polling failed ({exc}); will try again.")
                    continue
                status = remote.get("status") or remote.get("processing_status")
                if status != b["remote_status"]:
                    self.ledger.set(b["batch_ref"], remote_status=status)
                said = last_said.get(b["batch_ref"])
                now = time.monotonic()
                if said is None or said[0] != status or now - said[1] >= 300:
                    self.message(f"{self._where(b)}: {client.describe(remote)}.")
                    last_said[b["batch_ref"]] = (status, now)
                if client.ended(remote):
                    try:
                        self._store_results(b, client, key, remote)
                    except BatchCallFailed as exc:
                        given_up.add(b["batch_ref"])
                        self.message(f"{self._where(b)}: ended, but its results could not be read ({exc}); "
                                     f"rerun to read them.")
            if time.monotonic() >= deadline:
                left = [b for b in self.ledger.unfinished()
                        if b["state"] == "submitted" and b["batch_ref"] not in given_up]
                for b in left:
                    self.message(f"{self._where(b)}: still running after batch_wait_s = "
                                 f"{self.config.batch_wait_s:g} s; rerun the same command later to collect it "
                                 f"(it is polled, not resubmitted).")
                return
            remaining = deadline - time.monotonic()
            self.sleep(max(0.0, min(self.config.batch_poll_s, remaining)))

    def _next_attempt(self, key):
        if self._attempts is None:
            self._attempts = self.store.attempt_counts()
        n = self._attempts.get(key, 0) + 1
        self._attempts[key] = n
        return n

    def _classify(self, b, provider, status, http_status, raw, api_key):
        """(status, reply, error) of one result, the way the synchronous client classifies an
        answer: a 200 whose stop reason is a refusal, or an error that is the provider's
        content-policy error, is ``refused`` (final, like a synchronous refusal)."""
        reply, error = None, None
        if status == "ok":
            try:
                reply = provider.read_reply(raw)
            except MalformedResponse as exc:
                return "malformed", None, f"batch result with a malformed body: {exc}"
            why = provider.refusal(200, raw, reply)
            if why:
                return "refused", reply, f"refused: {why}"
            return "ok", reply, None
        body, code = raw, http_status
        if b["kind"] == "anthropic" and status == "batch_errored":
            # {"type": "errored", "error": {"type": "error", "error": {"type": ..., "message": ...}}}
            try:
                err = json.loads(raw or "").get("error")
                inner = err.get("error") if isinstance(err, dict) else None
                if isinstance(inner, dict):
                    body, code = json.dumps(err, ensure_ascii=False), _ANTHROPIC_ERROR_STATUS.get(inner.get("type"))
            except (ValueError, AttributeError):
                pass
        text = error_message(redact(body, api_key, self.redactor) or "")
        why = provider.refusal(code, body) if code is not None else None
        if why:
            return "refused", None, f"refused: {why}: {text}"
        return status, None, f"{status} in {b['batch_id']}: {text}"

    def _store_results(self, b, client, api_key, remote):
        ref = b["batch_ref"]
        items = self.ledger.items(ref, "live")
        kind = b["kind"]
        prov = self.config.providers.get(b["provider"])
        provider = provider_for(kind, prov.anthropic_version if prov is not None else "2023-06-01")
        seen = set()
        adopted = (b.get("note") or "").startswith("adopted")
        dropped = 0
        # item outcomes are committed with the batch's end, in one transaction: if the run stops
        # before that, the next one reads the results again and stores nothing twice (each
        # answer is one row under the store's unique index; a stored error is recognised)
        closes = []
        for cid, (status, http_status, raw) in client.results(remote):
            item = items.get(cid)
            if item is None:  # not ours, or stored already by a run that stopped before closing the batch
                continue
            seen.add(cid)
            tpl = item["template"]
            key = item["request_key"]
            status, reply, error = self._classify(b, provider, status, http_status, raw, api_key)
            final = status in ("ok", "refused")  # FINAL_STATUSES of the store
            if status != "ok" and self._already_stored(key, ref):
                if final:
                    closes.append((cid, "answered", status))
                    self.answered.add(key)
                    self.refused.add(key)
                else:
                    closes.append((cid, "failed", status))
                    self.failed.add(key)
                continue
            row = _row(tpl, b, cid, self._next_attempt(key), status, http_status, raw, error, reply,
                       self.run_id, api_key, self.redactor)
            inserted = self.store.insert(row)
            if inserted:
                self.attempts[tpl["model"]][status] += 1
                if reply is not None and reply.usage:
                    self.tokens[tpl["model"]][0] += int(reply.usage.get("prompt_tokens") or 0)
                    self.tokens[tpl["model"]][1] += int(reply.usage.get("completion_tokens") or 0)
            if final:
                if not inserted and self._final_row(key) is None:
                    raise RuntimeError(f"the store refused the answer of {cid}")
                dropped += not inserted and not self._stored_from(key, ref)
                closes.append((cid, "answered", status))
                self.answered.add(key)
                if status == "refused":
                    self.refused.add(key)
                    self.message(f"refused: model {tpl['model']!r}, {tpl['language']}, replicate "
                                 f"{tpl['replicate']} in {b['batch_id']}: {error.removeprefix('refused: ')} (stored as "
                                 f"refused, final; not sent again)")
            else:
                closes.append((cid, "failed", status))
                self.failed.add(key)
        # requests without a result line: the batch failed, expired or was cancelled before them
        missing = [cid for cid in items if cid not in seen]
        rstatus = remote.get("status") or remote.get("processing_status")
        if adopted and not seen and missing:
            note = "the batch adopted by lookup after a restart held none of these requests"
            status = "batch_failed"
        else:
            note = f"no result for this request; the batch ended as {rstatus!r}: {client.batch_errors(remote)}"
            status = {"expired": "batch_expired", "cancelled": "batch_canceled"}.get(rstatus, "batch_failed")
        for cid in missing:
            item = items[cid]
            key = item["request_key"]
            if not self._already_stored(key, ref):
                self.attempts[item["template"]["model"]][status] += 1
                self.store.insert(_row(item["template"], b, cid, self._next_attempt(key), status, None, None,
                                       f"{status} in {b['batch_id']}: {note}", None, self.run_id, api_key))
            closes.append((cid, "failed", status))
            self.failed.add(key)
        self.ledger.finish(ref, closes, rstatus)
        n_ok = sum(1 for c in seen if c in items and items[c]["request_key"] in self.answered)
        n_refused = sum(1 for c in seen if c in items and items[c]["request_key"] in self.refused)
        self.message(f"{self._where(b)}: ended (status {rstatus}); {n_ok} answers stored"
                     + (f" ({n_refused} refused)" if n_refused else "") + ", "
                     f"{len(items) - n_ok} requests pending again for the next run"
                     + (f"; {dropped} answers already stored by another batch were dropped" if dropped else "")
                     + ".")

    def _already_stored(self, key, ref) -> bool:
        """An attempt from batch `ref` is in the store already (a run that stopped while storing results)."""
        return any((r["request"] or {}).get("batch", {}).get("ref") == ref
                   for r in self.store.rows("WHERE request_key = ?", (key,)))

    def _final_row(self, key) -> dict | None:
        """The request's final attempt (``ok`` or ``refused``), or None."""
        rows = self.store.rows("WHERE request_key = ? AND status IN ('ok', 'refused')", (key,))
        return rows[0] if rows else None

    def _stored_from(self, key, ref) -> bool:
        row = self._final_row(key)
        return row is not None and (row["request"] or {}).get("batch", {}).get("ref") == ref
