"""Run a collection: plan every request, skip what is done, send the rest, report.

Each request is (model, language, replicate). Its key hashes everything that defines it, so a
rerun of the same command does only what is missing. Models run side by side; each
provider has its own worker pool, concurrency and rate limits. A model whose request meets
an error that cannot succeed (400/401/403/404, or a missing API key) stops, reported once;
the other models go on.

With the re-ask policy on (``[run] reask_incomplete = N``; see :mod:`pyvalues.collect.config`),
each stored answer that parses as incomplete or unparseable gets up to N follow-up turns,
each its own request in the store: key ``followup_key(original key, k)``, ``followup`` = k,
``followup_of`` = the original key. A rerun finds stored follow-ups by their keys and
continues each conversation where it stopped.
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

from ..errors import CollectError
from ..instrument import TERM_NAMES, prompt_hash, prompt_text
from .client import FatalAttempt, ModelStopped, RetryableAttempt, send_with_retries
from .config import ModelConfig, RunConfig
from .limits import ProviderLimiter
from .providers import prepare
from .store import Store

__all__ = ["Job", "plan_jobs", "term_order_for", "request_key", "followup_key", "collect", "CollectSummary"]

LOCAL_KEY_URL = "local:bundled-llama-cpp"  # the port changes per run; the key must not


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
        return self.already_done + self.ok + self.failed + self.skipped


@dataclass
class CollectSummary:
    store_path: Path
    run_id: str
    tallies: dict[str, ModelTally]
    elapsed_s: float

    @property
    def complete(self) -> bool:
        return all(t.already_done + t.ok == t.planned and not t.followups_failed for t in self.tallies.values())

    def table(self):
        """One row per model: requests, outcomes, attempts by cause, tokens."""
        import pandas as pd

        rows = []
        for t in self.tallies.values():
            failures = {k: v for k, v in sorted(t.attempts.items()) if k != "ok"}
            rows.append({
                "model": t.name, "requests": t.planned, "already_done": t.already_done, "ok": t.ok,
                "failed": t.failed, "not_sent": t.skipped, "retries": t.retried,
                "followups": t.followups_ok, "followups_failed": t.followups_failed,
                "failed_attempts": "; ".join(f"{k} x{v}" for k, v in failures.items()) or "-",
                "prompt_tokens": t.prompt_tokens, "completion_tokens": t.completion_tokens,
                "stopped": t.stop_message or "",
            })
        return pd.DataFrame(rows)

    def __str__(self):
        df = self.table().drop(columns=["stopped"])
        lines = [f"collection summary ({self.elapsed_s:.1f} s, store {self.store_path}):", df.to_string(index=False)]
        for t in self.tallies.values():
            if t.stop_message:
                lines.append(f"  stopped: {t.stop_message}")
        return "\n".join(lines)


class Progress:
    """Progress per model and overall (done / failed / retried), on a stream (stderr)."""

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

    @staticmethod
    def _bar(done, total, width=20):
        filled = int(width * done / total) if total else width
        return "#" * filled + "-" * (width - filled)

    def _lines(self):
        lines = []
        tot = Counter()
        for t in self.tallies.values():
            tot["done"] += t.already_done + t.ok
            tot["failed"] += t.failed + t.skipped
            tot["retried"] += t.retried
            tot["total"] += t.planned
            lines.append(f"{t.name:<{self._width}} [{self._bar(t.finished, t.planned)}] "
                         f"{t.already_done + t.ok}/{t.planned} done, {t.failed + t.skipped} failed, "
                         f"{t.retried} retried" + (" (stopped)" if t.stop_message else ""))
        fin = tot["done"] + tot["failed"]
        lines.append(f"{'overall':<{self._width}} [{self._bar(fin, tot['total'])}] {tot['done']}/{tot['total']} done, "
                     f"{tot['failed']} failed, {tot['retried']} retried")
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
                    self.stream.write(f"\x1b[{self._drawn}F")
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


def _estimate_tokens(job: Job, req=None) -> int:
    # ~1 token per 3 characters for mixed English/Chinese prompts, plus the reply budget
    chars = len(job.prompt)
    if req is not None:
        chars = sum(len(str(t.get("content", ""))) for t in req.body.get("messages", [])) or chars
    return chars // 3 + int(job.params.get("max_tokens", 1024))


def _utc_now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def collect(config: RunConfig, store_path=None, *, progress: bool = True, stream=None,
            base_url_overrides: dict[str, str] | None = None, incomplete_policy: str = "drop") -> CollectSummary:
    """Run (or resume) the collection described by `config` into the store at `store_path`.

    `base_url_overrides`: provider name -> base URL actually used (set for providers whose
    server is started here). `incomplete_policy`: recorded in the manifest (the policy the
    rank table is built with). Returns a CollectSummary; raises CollectError only for
    problems that stop the whole run (no store path).
    """
    from .manifest import build_manifest, manifest_path, read_manifest, write_manifest

    store_path = Path(store_path or config.store or "collect.sqlite")
    stream = stream if stream is not None else sys.stderr
    run_id = uuid.uuid4().hex[:12]
    t_start = time.monotonic()
    jobs = plan_jobs(config)
    reask = config.reask_incomplete
    if reask:
        # imported only when the policy is on, so collection alone never depends on the parser
        from ..parse import followup_prompt, parse_ranking
    mpath = manifest_path(store_path)
    run_entry = {"run_id": run_id, "started_at": _utc_now(), "finished_at": None}
    write_manifest(mpath, build_manifest(config, store_path, jobs, incomplete_policy=incomplete_policy,
                                         run_entry=run_entry, previous=read_manifest(mpath)))
    tallies = {m.name: ModelTally(m.name) for m in config.enabled_models}
    for job in jobs:
        tallies[job.model.name].planned += 1
    stop_events = {m.name: threading.Event() for m in config.enabled_models}
    stop_lock = threading.Lock()
    prog = Progress(tallies, stream, enabled=progress)
    overrides = base_url_overrides or {}
    for m in config.models:
        if not m.enabled:
            prog.message(f"not collected: model {m.name!r} is disabled in the config"
                         + (f" ({m.note})" if m.note else "") + ".")

    def stop_model(name, message):
        with stop_lock:
            if stop_events[name].is_set():
                return False
            tallies[name].stop_message = message
            stop_events[name].set()
        prog.message(f"STOPPED {message}")
        return True

    with Store(store_path) as store:
        done = store.done_keys()
        counts = store.attempt_counts()
        pending = []
        for job in jobs:
            if job.key in done:
                tallies[job.model.name].already_done += 1
            else:
                pending.append(job)
        # API keys: read from the environment once, held only in this dict, never stored.
        keys: dict[str, str | None] = {}
        for m in config.enabled_models:
            if m.api_key_env is None:
                keys[m.name] = None
                continue
            value = os.environ.get(m.api_key_env)
            if not value and any(j.model.name == m.name for j in pending):
                stop_model(m.name, f"model {m.name!r}: environment variable {m.api_key_env} is not set; "
                                   f"export it with the API key of provider {m.provider!r} and rerun "
                                   f"(completed requests are kept and will be skipped).")
            keys[m.name] = value or None
        limiters = {name: ProviderLimiter(p.concurrency, p.requests_per_minute, p.tokens_per_minute)
                    for name, p in config.providers.items()}
        tally_lock = threading.Lock()
        prog.update(force=True)
        # batch mode: requests of batch-mode providers, and any request still in a live batch,
        # go through the providers' batch APIs (pyvalues.collect.batch), never also synchronously
        from .batch import run_batches
        batched = run_batches(config, store, pending, keys=keys, overrides=overrides, run_id=run_id, tallies=tallies,
                              stop_events=stop_events, stop_model=stop_model, message=prog.message)
        done |= batched.answered
        pending = [j for j in pending if j.key not in batched.handled]

        def send(job: Job, req, key: str, followup: int = 0) -> str:
            """Send one request with retries, storing every attempt. -> "ok", "failed" or "skipped"."""
            m = job.model
            tally = tallies[m.name]
            stop = stop_events[m.name]
            prov = config.providers[m.provider]
            base_url = overrides.get(m.provider, m.base_url)
            limiter = limiters[m.provider]
            used_tokens = [None]
            what = (f"model {m.name!r}, {job.language}, replicate {job.replicate}"
                    + (f", follow-up {followup}" if followup else ""))

            def record(out, attempt_no):
                reply = out.reply
                usage = reply.usage if reply is not None else None
                if usage:
                    used_tokens[0] = usage.get("total_tokens")
                row = {
                    "request_key": key, "model": m.name, "country": m.country, "language": job.language,
                    "replicate": job.replicate, "provider": m.provider, "model_id": m.model_id,
                    "base_url": base_url, "attempt": attempt_no, "status": out.status,
                    "http_status": out.http_status, "error": out.error,
                    "response_text": reply.text if reply is not None else None,
                    "reasoning_text": reply.reasoning_text if reply is not None else None,
                    "finish_reason": reply.finish_reason if reply is not None else None,
                    "raw_body": out.raw_body, "latency_s": round(out.latency_s, 6), "usage": usage,
                    "prompt_hash": job.prompt_hash, "term_order": list(job.term_order),
                    "request": {"url": req.url, "body": req.body, "provider_kind": prov.kind},
                    "started_at": out.started_at, "finished_at": out.finished_at, "run_id": run_id,
                    "followup": followup, "followup_of": job.key if followup else None,
                }
                inserted = store.insert(row)
                with tally_lock:
                    if inserted:
                        tally.attempts[out.status] += 1
                    if usage:
                        tally.prompt_tokens += int(usage.get("prompt_tokens") or 0)
                        tally.completion_tokens += int(usage.get("completion_tokens") or 0)

            def on_retry(state):
                with tally_lock:
                    tally.retried += 1
                prog.update()

            ticket = limiter.acquire(_estimate_tokens(job, req), stop)
            if ticket is None:
                return "skipped"
            try:
                send_with_retries(
                    prov.kind, req, keys.get(m.name), timeout_s=config.timeout_s,
                    max_attempts=config.max_attempts, backoff_initial_s=config.backoff_initial_s,
                    backoff_max_s=config.backoff_max_s, record=record,
                    first_attempt_no=counts.get(key, 0) + 1, stop_event=stop, on_retry=on_retry)
                return "ok"
            except FatalAttempt as exc:
                hint = {401: "check the API key in " + (m.api_key_env or "(no key variable configured)"),
                        403: "the key has no access to this model, or the region is blocked",
                        404: "check model_id and base_url", 400: "the request was rejected as invalid; "
                        "check model_id and the [generation] parameters"}.get(exc.http_status, "")
                stop_model(m.name, f"model {m.name!r} ({m.model_id} at {base_url})"
                                   + (f", follow-up {followup} of {job.language} replicate {job.replicate}"
                                      if followup else "")
                                   + f": {exc} -- not retried; "
                                   f"{hint + '; ' if hint else ''}the model's other requests are not sent.")
                return "failed"
            except ModelStopped:
                return "skipped"
            except RetryableAttempt as exc:
                prog.message(f"gave up: {what} after {config.max_attempts} attempts; last: {exc}. "
                             f"Rerun to try again.")
                return "failed"
            finally:
                limiter.release(ticket, used_tokens[0])

        def reask_chain(job: Job):
            """Follow up an incomplete or unparseable answer, up to `reask` times (see module docs)."""
            m = job.model
            tally = tallies[m.name]
            stop = stop_events[m.name]
            prov = config.providers[m.provider]
            last = store.ok_row(job.key)
            if last is None:
                return
            for k in range(1, reask + 1):
                text = followup_prompt(parse_ranking(last["response_text"] or "", job.language,
                                                     prompt_order=list(job.term_order)), job.language)
                if text is None:  # complete, repaired or refused: the conversation ends here
                    return
                fkey = followup_key(job.key, k)
                row = store.ok_row(fkey)
                if row is None:
                    if stop.is_set():
                        return
                    if m.api_key_env is not None and not keys.get(m.name):
                        stop_model(m.name, f"model {m.name!r}: environment variable {m.api_key_env} is not set "
                                           f"and follow-ups are due (reask_incomplete = {reask}); export it "
                                           f"and rerun (stored answers are kept).")
                        return
                    history = [{"role": "user", "content": job.prompt},
                               {"role": "assistant", "content": last["response_text"] or ""}]
                    req = prepare(prov.kind, overrides.get(m.provider, m.base_url), m.model_id, text,
                                  job.params, prov.anthropic_version, history=history)
                    outcome = send(job, req, fkey, k)
                    with tally_lock:
                        if outcome == "ok":
                            tally.followups_ok += 1
                        elif outcome == "failed":
                            tally.followups_failed += 1
                    prog.update()
                    if outcome != "ok":
                        return
                    row = store.ok_row(fkey)
                    if row is None:
                        return
                last = row

        def run_job(job: Job):
            m = job.model
            tally = tallies[m.name]
            if job.key not in done:
                if stop_events[m.name].is_set():
                    with tally_lock:
                        tally.skipped += 1
                    prog.update()
                    return
                prov = config.providers[m.provider]
                req = prepare(prov.kind, overrides.get(m.provider, m.base_url), m.model_id, job.prompt,
                              job.params, prov.anthropic_version)
                outcome = send(job, req, job.key)
                with tally_lock:
                    if outcome == "ok":
                        tally.ok += 1
                    elif outcome == "failed":
                        tally.failed += 1
                    else:
                        tally.skipped += 1
                prog.update()
                if outcome != "ok":
                    return
            if reask:
                reask_chain(job)

        by_provider = defaultdict(list)
        # with the re-ask policy on, answers stored earlier may still be due a follow-up
        for job in (jobs if reask else pending):
            if job.key in batched.handled and job.key not in done:
                continue  # left in (or for) a batch: the next run takes it
            by_provider[job.model.provider].append(job)
        pools = [ThreadPoolExecutor(max_workers=config.providers[p].concurrency, thread_name_prefix=f"collect-{p}")
                 for p in by_provider]
        futures = []
        try:
            for pool, (p, pjobs) in zip(pools, by_provider.items()):
                futures += [pool.submit(run_job, j) for j in pjobs]
            for f in futures:
                f.result()
        finally:
            if not all(f.done() for f in futures):  # interrupted: let workers finish quickly
                for ev in stop_events.values():
                    ev.set()
            for pool in pools:
                pool.shutdown(wait=True, cancel_futures=True)
        prog.update(force=True)
    run_entry["finished_at"] = _utc_now()
    write_manifest(mpath, build_manifest(config, store_path, jobs, incomplete_policy=incomplete_policy,
                                         run_entry=run_entry, previous=read_manifest(mpath)))
    return CollectSummary(store_path, run_id, tallies, time.monotonic() - t_start)
