"""Run a collection: plan every request, skip what is done, send the rest, report.

Each request is (model, language, replicate). Its key hashes everything that defines it, so a
rerun of the same command does only what is missing. Models run side by side; each
provider has its own worker pool, concurrency and rate limits. A model whose request meets
an error that cannot succeed (400/401/403/404, or a missing API key) stops, reported once;
the other models go on. A provider's content-filter / safety refusal is not such an error:
that request is stored as ``refused`` (final, counted) and the model's other requests go on.

A run is a :class:`CollectRun` (one object per invocation: its plan, tallies, store, keys,
limiters and progress; :meth:`CollectRun.run` sends, :meth:`CollectRun.dry_run` only counts);
:func:`collect` is the one-call form. Ctrl-C stops a run cleanly: no new request starts,
waits end at once, requests in flight finish (a second Ctrl-C abandons them), every stored
attempt stays, and :class:`CollectInterrupted` carries the summary and how to resume.

With the re-ask policy on (``[run] reask_incomplete = N``; see :mod:`pyvalues.collect.config`),
each stored answer that parses as incomplete or unparseable gets up to N follow-up turns,
each its own request in the store: key ``followup_key(original key, k)``, ``followup`` = k,
``followup_of`` = the original key. A rerun finds stored follow-ups by their keys and
continues each conversation where it stopped.

Batch mode (``mode = "batch"`` at ``[run]`` or per provider): before the synchronous workers
start, :func:`pyvalues.collect.batch.run_batches` sends those providers' pending requests as
batches, resumes and polls the store's unfinished batches, and stores their results; keys it
handled are not sent synchronously in the same run (follow-ups of the re-ask policy are).
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import CollectError
from ..instrument import TERM_NAMES, prompt_hash, prompt_text
from .client import FatalAttempt, ModelStopped, Redactor, RetryableAttempt, WaitTooLong, send_with_retries
from .config import ModelConfig, RunConfig
from .limits import ProviderLimiter
from .providers import provider_for
from .store import Store, stored_final_keys

__all__ = ["Job", "plan_jobs", "term_order_for", "request_key", "followup_key", "collect", "CollectSummary",
           "CollectRun", "CollectInterrupted", "dry_run", "estimate_tokens", "BATCH_PRICE_FACTOR"]

LOCAL_KEY_URL = "local:bundled-llama-cpp"  # the port changes per run; the key must not
# batch mode's price relative to the configured (synchronous) per-token prices: OpenAI's Batch
# API and Anthropic's Message Batches both bill 50% of the standard rate (their pricing pages)
BATCH_PRICE_FACTOR = 0.5


def term_order_for(term_order: str, shuffle_seed: int, replicate: int) -> list[str]:
    """The order of the 25 terms in the prompt of `replicate`.

    "paper": as printed in Appendix A.1. "shuffled": a permutation drawn from a generator
    seeded with (shuffle_seed, replicate) -- the same for every model and both languages of a
    replicate, so models are compared on identical prompts and position effects can be
    estimated across replicates.
    """
    names = list(TERM_NAMES)
    if term_order == "paper":
        return names
    random.Random(f"pyvalues-term-order:{shuffle_seed}:{replicate}").shuffle(names)
    return names


def request_key(fields: dict) -> str:
    blob = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def followup_key(original_key: str, followup: int) -> str:
    """The store key of the `followup`-th follow-up (1, 2, ...) of a request.

    Derived from the original key and the index only -- not from the answer being followed
    up -- so a rerun finds the follow-ups already answered and sends only the missing ones.
    """
    return request_key({"followup_of": original_key, "followup": int(followup)})


@dataclass(frozen=True)
class Job:
    model: ModelConfig
    language: str
    replicate: int
    term_order: tuple[str, ...]
    prompt: str
    prompt_hash: str
    params: dict
    key: str
    key_base_url: str


def _params_for(model: ModelConfig, replicate: int) -> dict:
    params = dict(model.generation)
    if "seed" in params:
        # one seed per replicate: replicates must be independent draws, yet reproducible
        params["seed"] = params["seed"] + replicate - 1
    return params


def plan_jobs(config: RunConfig) -> list[Job]:
    """Every request of the run, interleaved across models (replicate, language, model)."""
    jobs = []
    for replicate in range(1, config.replicates + 1):
        order = term_order_for(config.term_order, config.shuffle_seed, replicate)
        for language in config.languages:
            prompt = prompt_text(language, order)
            ph = prompt_hash(prompt)
            for model in config.enabled_models:
                prov = config.providers[model.provider]
                if prov.local_server:
                    from .localserver import BUNDLED_CHAT_FORMATS

                    key_url = f"{LOCAL_KEY_URL}/chat-format={BUNDLED_CHAT_FORMATS.get(model.model_id)}"
                else:
                    key_url = model.base_url
                params = _params_for(model, replicate)
                key = request_key({
                    "model": model.name, "provider_kind": prov.kind, "model_id": model.model_id,
                    "base_url": key_url, "language": language, "replicate": replicate,
                    "prompt_hash": ph, "term_order": order, "params": params,
                })
                jobs.append(Job(model, language, replicate, tuple(order), prompt, ph, params, key, key_url))
    return jobs



@dataclass
class ModelTally:
    name: str
    planned: int = 0
    already_done: int = 0
    ok: int = 0
    refused: int = 0  # provider refusals stored in this run (final outcomes, not failures)
    failed: int = 0
    skipped: int = 0
    retried: int = 0
    attempts: Counter = field(default_factory=Counter)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    stop_message: str | None = None
    followups_ok: int = 0  # follow-ups answered in this run (re-ask policy)
    followups_failed: int = 0

    @property
    def finished(self):
        return self.already_done + self.ok + self.refused + self.failed + self.skipped

    @property
    def done(self):
        return self.already_done + self.ok + self.refused


@dataclass
class CollectSummary:
    store_path: Path
    run_id: str
    tallies: dict[str, ModelTally]
    elapsed_s: float
    interrupted: bool = False

    @property
    def complete(self) -> bool:
        return (not self.interrupted
                and all(t.done == t.planned and not t.followups_failed for t in self.tallies.values()))

    def table(self):
        """One row per model: requests, outcomes, attempts by cause, tokens."""
        import pandas as pd

        rows = []
        for t in self.tallies.values():
            failures = {k: v for k, v in sorted(t.attempts.items()) if k not in ("ok", "refused")}
            rows.append({
                "model": t.name, "requests": t.planned, "already_done": t.already_done, "ok": t.ok,
                "refused": t.refused, "failed": t.failed, "not_sent": t.skipped, "retries": t.retried,
                "followups": t.followups_ok, "followups_failed": t.followups_failed,
                "failed_attempts": "; ".join(f"{k} x{v}" for k, v in failures.items()) or "-",
                "prompt_tokens": t.prompt_tokens, "completion_tokens": t.completion_tokens,
                "stopped": t.stop_message or "",
            })
        return pd.DataFrame(rows)

    def __str__(self):
        df = self.table().drop(columns=["stopped"])
        lines = [f"collection summary ({self.elapsed_s:.1f} s, store {self.store_path}"
                 + (", interrupted" if self.interrupted else "") + "):", df.to_string(index=False)]
        for t in self.tallies.values():
            if t.stop_message:
                lines.append(f"  stopped: {t.stop_message}")
        return "\n".join(lines)


class CollectInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped the run; every attempt made so far is stored. ``summary``: what was done."""

    def __init__(self, summary: CollectSummary, message: str):
        super().__init__(message)
        self.summary = summary
        self.message = message


def _clock(t_wall: float) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(t_wall, timezone.utc).strftime("%H:%M:%S UTC")


class Progress:
    """Progress per model and overall (done / refused / failed / retried) and the waits in
    progress (what for, until when), on a stream (stderr); redrawn in place on a terminal,
    printed as lines otherwise."""

    WAIT_MESSAGE_MIN_S = 1.0  # waits at least this long are announced as a line when they begin

    def __init__(self, tallies: dict[str, ModelTally], stream=None, enabled=True, min_interval_s=None):
        self.tallies = tallies
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.min_interval_s = min_interval_s if min_interval_s is not None else (0.2 if self.tty else 10.0)
        self._last = 0.0
        self._drawn = 0
        self._lock = threading.Lock()
        self._width = max([len(n) for n in tallies] + [7])
        self.waits: dict[int, tuple[str, float, str]] = {}  # thread id -> (what, until (wall clock), why)

    @staticmethod
    def _bar(done, total, width=20):
        filled = int(width * done / total) if total else width
        return "#" * filled + "-" * (width - filled)

    def _lines(self):
        lines = []
        tot = Counter()
        for t in self.tallies.values():
            tot["done"] += t.done
            tot["refused"] += t.refused
            tot["failed"] += t.failed
            tot["skipped"] += t.skipped
            tot["retried"] += t.retried
            tot["total"] += t.planned
            lines.append(f"{t.name:<{self._width}} [{self._bar(t.finished, t.planned)}] "
                         f"{t.done}/{t.planned} done ({t.refused} refused), {t.failed} failed, "
                         f"{t.skipped} not sent, {t.retried} retried" + (" (stopped)" if t.stop_message else ""))
        fin = tot["done"] + tot["failed"] + tot["skipped"]
        lines.append(f"{'overall':<{self._width}} [{self._bar(fin, tot['total'])}] {tot['done']}/{tot['total']} done "
                     f"({tot['refused']} refused), {tot['failed']} failed, {tot['skipped']} not sent, "
                     f"{tot['retried']} retried")
        waits = sorted(self.waits.values(), key=lambda w: w[1])
        for what, until, why in waits[:3]:
            lines.append(f"  waiting until {_clock(until)} ({max(0.0, until - time.time()):.0f} s left): "
                         f"{what} -- {why}")
        if len(waits) > 3:
            lines.append(f"  ... and {len(waits) - 3} more requests waiting, the last until {_clock(waits[-1][1])}")
        return lines

    def update(self, force=False):
        if not self.enabled:
            return
        with self._lock:
            now = time.monotonic()
            if not force and now - self._last < self.min_interval_s:
                return
            self._last = now
            lines = self._lines()
            if self.tty:
                if self._drawn:
                    self.stream.write(f"\x1b[{self._drawn}F\x1b[J")
                self.stream.write("".join(f"\x1b[2K{line}\n" for line in lines))
                self._drawn = len(lines)
            else:
                self.stream.write("\n".join(lines) + "\n")
            self.stream.flush()

    def message(self, text):
        if not self.enabled:
            return
        with self._lock:
            self.stream.write(text + "\n")
            self._drawn = 0
            self.stream.flush()

    def wait_started(self, what: str, seconds: float, why: str, next_attempt: str = ""):
        until = time.time() + seconds
        with self._lock:
            self.waits[threading.get_ident()] = (what, until, why)
        if seconds >= self.WAIT_MESSAGE_MIN_S:
            self.message(f"waiting {seconds:.0f} s, until {_clock(until)}: {what} -- {why}"
                         + (f"; {next_attempt}" if next_attempt else ""))
        self.update()

    def wait_ended(self):
        with self._lock:
            self.waits.pop(threading.get_ident(), None)


def estimate_tokens(text: str) -> int:
    """A rough token count: 4 ASCII characters or 1 other character (a CJK character) per token
    (within about a factor of 1.5 of the tokenizers of the major vendors for this prompt)."""
    ascii_chars = sum(1 for c in text if ord(c) < 128)
    return -(-ascii_chars // 4) + (len(text) - ascii_chars)


def _estimate_tokens(job: Job, req=None) -> int:
    # the limiter's charge before the reply's usage is known: the prompt plus the reply budget
    chars = len(job.prompt)
    if req is not None:
        chars = sum(len(str(t.get("content", ""))) for t in req.body.get("messages", [])) or chars
    return chars // 3 + int(job.params.get("max_tokens", 1024))


def _utc_now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _resume_hint(config: RunConfig, store_path: Path) -> str:
    cfg = config.path if config.path is not None else "CONFIG"
    return f"python -m pyvalues.collect {cfg} --store {store_path}"


class CollectRun:
    """One collection run: plan, store, keys, limiters, workers, progress.

    ``CollectRun(config, store_path).run()`` sends every request the store has no final
    attempt for and returns a :class:`CollectSummary`. `base_url_overrides`: provider name ->
    base URL actually used (set for providers whose server is started here).
    `incomplete_policy`: recorded in the manifest (the policy the rank table is built with).
    `followup`: ``followup(answer_text, language, prompt_order) -> str | None``, the follow-up
    turn an answer is due under the re-ask policy (None: it needs none). Collection does not
    read answers itself: the caller passes the parser's (:func:`pyvalues.parse.followup_for_answer`,
    as :func:`pyvalues.pipeline.collect` and the CLI do); needed only with ``reask_incomplete``.
    """

    def __init__(self, config: RunConfig, store_path=None, *, progress: bool = True, stream=None,
                 base_url_overrides: dict[str, str] | None = None, incomplete_policy: str = "drop",
                 followup: Callable[[str, str, list[str]], str | None] | None = None):
        if config.reask_incomplete and followup is None:
            raise CollectError(
                f"[run] reask_incomplete = {config.reask_incomplete}: the re-ask policy needs a follow-up "
                "function that reads an answer; call pyvalues.pipeline.collect (it passes the parser's), or "
                "pass followup=pyvalues.parse.followup_for_answer")
        self.followup = followup
        self.config = config
        self.store_path = Path(store_path or config.store or "collect.sqlite")
        self.stream = stream if stream is not None else sys.stderr
        self.run_id = uuid.uuid4().hex[:12]
        self.incomplete_policy = incomplete_policy
        self.overrides = dict(base_url_overrides or {})
        self.jobs = plan_jobs(config)
        self.reask = config.reask_incomplete
        self.tallies = {m.name: ModelTally(m.name) for m in config.enabled_models}
        for job in self.jobs:
            self.tallies[job.model.name].planned += 1
        self.stop_events = {m.name: threading.Event() for m in config.enabled_models}
        self.progress = Progress(self.tallies, self.stream, enabled=progress)
        self.providers = {name: provider_for(p.kind, p.anthropic_version) for name, p in config.providers.items()}
        self.redactor = Redactor()
        self.limiters = {name: ProviderLimiter(p.concurrency, p.requests_per_minute, p.tokens_per_minute)
                         for name, p in config.providers.items()}
        self.keys: dict[str, str | None] = {}
        self.store: Store | None = None
        self.done: set[str] = set()
        self.counts: dict[str, int] = {}
        self._stop_lock = threading.Lock()
        self._tally_lock = threading.Lock()
        self._t_start = time.monotonic()

    # -- helpers --------------------------------------------------------------------------
    def base_url(self, model: ModelConfig) -> str:
        return self.overrides.get(model.provider, model.base_url)

    def stop_model(self, name: str, message: str) -> bool:
        with self._stop_lock:
            if self.stop_events[name].is_set():
                return False
            self.tallies[name].stop_message = message
            self.stop_events[name].set()
        self.progress.message(f"STOPPED {message}")
        return True

    def _read_keys(self, pending: list[Job]) -> None:
        """API keys: read from the environment once, held only here and in the redactor."""
        for m in self.config.enabled_models:
            if m.api_key_env is None:
                self.keys[m.name] = None
                continue
            # surrounding white space (a key read with $(cat file) ends in a newline) is not part of a key
            value = (os.environ.get(m.api_key_env) or "").strip()
            if value:
                self.redactor.add(value)
            if not value and any(j.model.name == m.name for j in pending):
                self.stop_model(m.name, f"model {m.name!r}: environment variable {m.api_key_env} is not set; "
                                        f"export it with the API key of provider {m.provider!r} and rerun "
                                        f"(completed requests are kept and will be skipped).")
            self.keys[m.name] = value or None

    def _what(self, job: Job, followup: int = 0) -> str:
        return (f"model {job.model.name!r}, {job.language}, replicate {job.replicate}"
                + (f", follow-up {followup}" if followup else ""))

    def _summary(self, interrupted=False) -> CollectSummary:
        return CollectSummary(self.store_path, self.run_id, self.tallies, time.monotonic() - self._t_start,
                              interrupted)

    def _write_manifest(self, run_entry: dict) -> None:
        from .manifest import build_manifest, manifest_path, read_manifest, write_manifest

        mpath = manifest_path(self.store_path)
        write_manifest(mpath, build_manifest(self.config, self.store_path, self.jobs,
                                             incomplete_policy=self.incomplete_policy, run_entry=run_entry,
                                             previous=read_manifest(mpath)))

    # -- one attempt, one request, one conversation ------------------------------------------
    def _record(self, job: Job, req, key: str, followup: int, out, attempt_no: int, used_tokens: list) -> None:
        m = job.model
        tally = self.tallies[m.name]
        reply = out.reply
        usage = reply.usage if reply is not None else None
        if usage:
            used_tokens[0] = usage.get("total_tokens")
        row = {
            "request_key": key, "model": m.name, "country": m.country, "language": job.language,
            "replicate": job.replicate, "provider": m.provider, "model_id": m.model_id,
            "base_url": self.base_url(m), "attempt": attempt_no, "status": out.status,
            "http_status": out.http_status, "error": out.error,
            "response_text": reply.text if reply is not None else None,
            "reasoning_text": reply.reasoning_text if reply is not None else None,
            "finish_reason": reply.finish_reason if reply is not None else None,
            "raw_body": out.raw_body, "latency_s": round(out.latency_s, 6), "usage": usage,
            "prompt_hash": job.prompt_hash, "term_order": list(job.term_order),
            "request": {"url": req.url, "body": req.body,
                        "provider_kind": self.config.providers[m.provider].kind},
            "started_at": out.started_at, "finished_at": out.finished_at, "run_id": self.run_id,
            "followup": followup, "followup_of": job.key if followup else None,
        }
        inserted = self.store.insert(row)
        with self._tally_lock:
            if inserted:
                tally.attempts[out.status] += 1
            if usage:
                tally.prompt_tokens += int(usage.get("prompt_tokens") or 0)
                tally.completion_tokens += int(usage.get("completion_tokens") or 0)

    def send(self, job: Job, req, key: str, followup: int = 0) -> str:
        """Send one request with retries, storing every attempt.
        -> "ok", "refused", "failed" or "skipped"."""
        m = job.model
        cfg = self.config
        tally = self.tallies[m.name]
        stop = self.stop_events[m.name]
        limiter = self.limiters[m.provider]
        used_tokens = [None]
        what = self._what(job, followup)
        attempt_no = [self.counts.get(key, 0)]

        def record(out, n):
            attempt_no[0] = n
            self._record(job, req, key, followup, out, n, used_tokens)

        def on_retry(state):
            with self._tally_lock:
                tally.retried += 1
            self.progress.update()

        def on_wait(seconds, why):
            if seconds is None:
                self.progress.wait_ended()
            else:
                self.progress.wait_started(what, seconds, why,
                                           f"then attempt {attempt_no[0] + 1} (at most {cfg.max_attempts} per run)")

        def on_limit(seconds, why):
            if seconds is None:
                self.progress.wait_ended()
            else:
                self.progress.wait_started(what, seconds, f"rate limit: {why}")

        ticket = limiter.acquire(_estimate_tokens(job, req), stop, on_wait=on_limit)
        if ticket is None:
            return "skipped"
        try:
            out = send_with_retries(
                self.providers[m.provider], req, self.keys.get(m.name), timeout_s=cfg.timeout_s,
                max_attempts=cfg.max_attempts, backoff_initial_s=cfg.backoff_initial_s,
                backoff_max_s=cfg.backoff_max_s, record=record, first_attempt_no=self.counts.get(key, 0) + 1,
                stop_event=stop, on_retry=on_retry, max_retry_after_s=cfg.max_retry_after_s,
                redactor=self.redactor, on_wait=on_wait)
            if out.status == "refused":
                self.progress.message(f"refused: {what}: {out.error} (stored as refused; the model's other "
                                      f"requests go on)")
                return "refused"
            return "ok"
        except FatalAttempt as exc:
            hint = {401: "check the API key in " + (m.api_key_env or "(no key variable configured)"),
                    403: "the key has no access to this model, or the region is blocked",
                    404: "check model_id and base_url", 400: "the request was rejected as invalid; "
                    "check model_id and the [generation] parameters",
                    None: "check base_url and the key's characters"}.get(exc.http_status, "")
            self.stop_model(m.name, f"model {m.name!r} ({m.model_id} at {self.base_url(m)})"
                                    + (f", follow-up {followup} of {job.language} replicate {job.replicate}"
                                       if followup else "")
                                    + f": {exc} -- not retried; "
                                    f"{hint + '; ' if hint else ''}the model's other requests are not sent.")
            return "failed"
        except ModelStopped:
            return "skipped"
        except WaitTooLong as exc:
            self.progress.message(f"not waited for: {what}: the server asked to wait {exc.retry_after:.0f} s "
                                  f"(Retry-After), more than max_retry_after_s = {exc.cap:g}; left for the next "
                                  f"run (rerun later to send it). Last: {exc}")
            return "failed"
        except RetryableAttempt as exc:
            self.progress.message(f"gave up: {what} after {cfg.max_attempts} attempts; last: {exc}. "
                                  f"Rerun to try again.")
            return "failed"
        finally:
            limiter.release(ticket, used_tokens[0])

    def reask_chain(self, job: Job) -> None:
        """Follow up an incomplete or unparseable answer, up to `reask` times (see module docs)."""
        m = job.model
        tally = self.tallies[m.name]
        stop = self.stop_events[m.name]
        provider = self.providers[m.provider]
        last = self.store.ok_row(job.key)
        if last is None:
            return
        for k in range(1, self.reask + 1):
            text = self.followup(last["response_text"] or "", job.language, list(job.term_order))
            if text is None:  # complete, repaired or refused: the conversation ends here
                return
            fkey = followup_key(job.key, k)
            row = self.store.ok_row(fkey)
            if row is None:
                if stop.is_set() or fkey in self.done:  # stopped, or the follow-up was refused
                    return
                if m.api_key_env is not None and not self.keys.get(m.name):
                    self.stop_model(m.name, f"model {m.name!r}: environment variable {m.api_key_env} is not set "
                                            f"and follow-ups are due (reask_incomplete = {self.reask}); export "
                                            f"it and rerun (stored answers are kept).")
                    return
                history = [{"role": "user", "content": job.prompt},
                           {"role": "assistant", "content": last["response_text"] or ""}]
                req = provider.prepare(self.base_url(m), m.model_id, text, job.params, history=history)
                outcome = self.send(job, req, fkey, k)
                with self._tally_lock:
                    if outcome in ("ok", "refused"):
                        tally.followups_ok += 1
                    elif outcome == "failed":
                        tally.followups_failed += 1
                self.progress.update()
                if outcome != "ok":
                    return
                row = self.store.ok_row(fkey)
                if row is None:
                    return
            last = row

    def run_job(self, job: Job) -> None:
        m = job.model
        tally = self.tallies[m.name]
        if job.key not in self.done:
            if self.stop_events[m.name].is_set():
                with self._tally_lock:
                    tally.skipped += 1
                self.progress.update()
                return
            req = self.providers[m.provider].prepare(self.base_url(m), m.model_id, job.prompt, job.params)
            outcome = self.send(job, req, job.key)
            with self._tally_lock:
                if outcome == "ok":
                    tally.ok += 1
                elif outcome == "refused":
                    tally.refused += 1
                elif outcome == "failed":
                    tally.failed += 1
                else:
                    tally.skipped += 1
            self.progress.update()
            if outcome != "ok":
                return
        if self.reask:
            self.reask_chain(job)

    # -- the run ------------------------------------------------------------------------------
    def run(self) -> CollectSummary:
        """Send what is missing; return the summary. Raises CollectInterrupted on Ctrl-C."""
        run_entry = {"run_id": self.run_id, "started_at": _utc_now(), "finished_at": None}
        self._write_manifest(run_entry)
        for m in self.config.models:
            if not m.enabled:
                self.progress.message(f"not collected: model {m.name!r} is disabled in the config"
                                      + (f" ({m.note})" if m.note else "") + ".")
        interrupted = False
        batch_note = ""
        with Store(self.store_path) as store:
            self.store = store
            self.done = store.done_keys()
            self.counts = store.attempt_counts()
            pending = []
            for job in self.jobs:
                if job.key in self.done:
                    self.tallies[job.model.name].already_done += 1
                else:
                    pending.append(job)
            self._read_keys(pending)
            self.progress.update(force=True)
            # batch mode: requests of batch-mode providers, and any request still in a live batch,
            # go through the providers' batch APIs (pyvalues.collect.batch), never also synchronously
            from .batch import run_batches

            handled: set[str] = set()
            try:
                batched = run_batches(self.config, store, pending, keys=self.keys, overrides=self.overrides,
                                      run_id=self.run_id, tallies=self.tallies, stop_events=self.stop_events,
                                      stop_model=self.stop_model, message=self.progress.message,
                                      redactor=self.redactor)
            except KeyboardInterrupt:  # while batches are submitted or waited for: they are resumed
                interrupted = True
                batch_note = ("; batches already submitted go on at the provider and the rerun polls them "
                              "(it does not submit them again)")
            else:
                handled = batched.handled
                self.done |= batched.answered  # ok and refused: final
                pending = [j for j in pending if j.key not in handled]
                self.progress.update(force=True)
            if not interrupted:
                by_provider = defaultdict(list)
                # with the re-ask policy on, answers stored earlier may still be due a follow-up
                for job in (self.jobs if self.reask else pending):
                    if job.key in handled and job.key not in self.done:
                        continue  # left in (or for) a batch: a later run takes it
                    by_provider[job.model.provider].append(job)
                interrupted = self._execute(by_provider)
            self.progress.update(force=True)
        self.store = None
        run_entry["finished_at"] = _utc_now()
        if interrupted:
            run_entry["interrupted"] = True
        self._write_manifest(run_entry)
        summary = self._summary(interrupted)
        if interrupted:
            raise CollectInterrupted(summary, f"interrupted (Ctrl-C): {sum(t.done for t in self.tallies.values())} "
                                              f"of {len(self.jobs)} requests are done and stored; resume with: "
                                              f"{_resume_hint(self.config, self.store_path)}{batch_note}")
        return summary

    def _execute(self, by_provider) -> bool:
        """Run the jobs on one pool per provider; True if Ctrl-C interrupted the run."""
        pools = [ThreadPoolExecutor(max_workers=self.config.providers[p].concurrency,
                                    thread_name_prefix=f"collect-{p}") for p in by_provider]
        futures = []
        finished = threading.Event()

        def heartbeat():  # non-terminal progress prints even when no request finishes (long waits)
            while not finished.wait(1.0):
                if self.progress.waits:
                    self.progress.update()

        beat = threading.Thread(target=heartbeat, name="collect-progress", daemon=True)
        beat.start()
        interrupted = False
        try:
            for pool, (p, pjobs) in zip(pools, by_provider.items()):
                futures += [pool.submit(self.run_job, j) for j in pjobs]
            for f in futures:
                f.result()
        except KeyboardInterrupt:
            interrupted = True
            for ev in self.stop_events.values():
                ev.set()
            in_flight = sum(1 for f in futures if f.running())
            self.progress.message(f"interrupted: no new request starts; waiting for {in_flight} request(s) in "
                                  f"flight (at most {self.config.timeout_s:g} s; Ctrl-C again to leave them -- "
                                  f"they are sent again on the next run).")
        finally:
            if not all(f.done() for f in futures):  # stopped: let workers finish quickly
                for ev in self.stop_events.values():
                    ev.set()
            try:
                for pool in pools:
                    pool.shutdown(wait=True, cancel_futures=True)
            except KeyboardInterrupt:
                interrupted = True
                for pool in pools:
                    pool.shutdown(wait=False, cancel_futures=True)
            finished.set()
        return interrupted


def collect(config: RunConfig, store_path=None, *, progress: bool = True, stream=None,
            base_url_overrides: dict[str, str] | None = None, incomplete_policy: str = "drop",
            followup: Callable[[str, str, list[str]], str | None] | None = None) -> CollectSummary:
    """Run (or resume) the collection described by `config` into the store at `store_path`.

    ``CollectRun(...).run()`` in one call (see :class:`CollectRun`). Returns a
    CollectSummary; raises CollectInterrupted on Ctrl-C (every stored attempt stays).
    """
    return CollectRun(config, store_path, progress=progress, stream=stream, base_url_overrides=base_url_overrides,
                      incomplete_policy=incomplete_policy, followup=followup).run()


def dry_run(config: RunConfig, store_path=None):
    """What a run would send, per model, without sending or writing anything.

    Columns: ``model``, ``provider``, ``key`` (whether the API key variable is set),
    ``requests`` (planned), ``stored`` (final answers already in the store), ``to_send``,
    ``input_tokens`` (estimated, :func:`estimate_tokens` of the prompts to send),
    ``output_tokens`` (estimated: a 25-line ranking per request; reasoning models use more),
    ``max_output_tokens`` (``max_tokens`` x requests: the budget's bound), ``cost_usd`` (at
    the estimates) and ``max_cost_usd`` (at the bound) where the config gives prices, and
    ``mode`` ("sync", or "batch": through the provider's batch API, priced at
    :data:`BATCH_PRICE_FACTOR` of the configured per-token prices). Follow-ups of the re-ask
    policy are not included.
    """
    import pandas as pd

    store_path = Path(store_path or config.store or "collect.sqlite")
    jobs = plan_jobs(config)
    done = stored_final_keys(store_path)
    rows = {}
    for m in config.enabled_models:
        env = m.api_key_env
        rows[m.name] = {"model": m.name, "provider": m.provider,
                        "key": "-" if env is None else (f"{env} set" if os.environ.get(env) else f"{env} NOT SET"),
                        "requests": 0, "stored": 0, "to_send": 0, "input_tokens": 0, "output_tokens": 0,
                        "max_output_tokens": 0 if "max_tokens" in m.generation else None,
                        "cost_usd": None, "max_cost_usd": None, "mode": config.providers[m.provider].mode}
    answer_tokens = {}
    for job in jobs:
        r = rows[job.model.name]
        r["requests"] += 1
        if job.key in done:
            r["stored"] += 1
            continue
        r["to_send"] += 1
        system = job.params.get("system") or ""
        r["input_tokens"] += estimate_tokens(job.prompt) + estimate_tokens(system)
        if job.language not in answer_tokens:
            # the answer asked for: the 25 terms of the prompt as a numbered list
            lines = [ln for ln in job.prompt.splitlines() if "(" in ln and ln.split("(")[0] in TERM_NAMES]
            answer_tokens[job.language] = estimate_tokens("\n".join(f"{k}. {ln}" for k, ln in
                                                                    enumerate(lines, 1)))
        r["output_tokens"] += answer_tokens[job.language]
        if r["max_output_tokens"] is not None:
            r["max_output_tokens"] += int(job.params["max_tokens"])
    for m in config.enabled_models:
        r = rows[m.name]
        pin, pout = m.price_input_per_mtok, m.price_output_per_mtok
        if pin is not None and pout is not None and r["mode"] == "batch":
            pin, pout = pin * BATCH_PRICE_FACTOR, pout * BATCH_PRICE_FACTOR
        if pin is not None and pout is not None:
            r["cost_usd"] = round((r["input_tokens"] * pin + r["output_tokens"] * pout) / 1e6, 4)
            if r["max_output_tokens"] is not None:
                r["max_cost_usd"] = round((r["input_tokens"] * pin + r["max_output_tokens"] * pout) / 1e6, 4)
    return pd.DataFrame(list(rows.values()))
