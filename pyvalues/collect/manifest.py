"""The run's manifest: ``STORE_STEM_manifest.json`` beside the store.

It says how the data in the store were collected: the config's run settings and models, the
versions of the software, the hash of every prompt sent (per replicate and language), the
re-ask policy and the incomplete-ranking policy used to build the rank table. It is written
when a collection starts (so a crashed run leaves one) and again when it ends; ``runs`` keeps
one entry per invocation on the same store, because a store can hold data from several runs
(a resumed run, or a rerun with the re-ask policy switched on).
"""
from __future__ import annotations

import hashlib
import json
import platform
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["manifest_path", "reask_policy", "build_manifest", "write_manifest", "MANIFEST_VERSION"]

MANIFEST_VERSION = 1
# statuses of pyvalues.parse that trigger a follow-up, and those that end the conversation
REASK_STATUSES = ("incomplete", "unparseable")
FINAL_STATUSES = ("complete", "repaired", "refused")


def manifest_path(store_path) -> Path:
    store_path = Path(store_path)
    return store_path.with_name(store_path.stem + "_manifest.json")


def reask_policy(n: int) -> dict:
    """The re-ask policy as recorded: what triggers a follow-up, what is sent, what counts."""
    return {
        "reask_incomplete": int(n),
        "enabled": n > 0,
        "max_followups_per_request": int(n),
        "reask_statuses": list(REASK_STATUSES),
        "stop_statuses": list(FINAL_STATUSES),
        "conversation": "user: original prompt; assistant: the latest answer; "
                        "user: pyvalues.parse.followup_prompt(parse_ranking(latest answer), language)",
        "final_answer": "the answer of the last follow-up of the request (followup index highest), "
                        "else the original answer",
    }


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    from .. import __version__

    out = {"pyvalues": __version__, "python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for pkg in ("requests", "tenacity"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def build_manifest(config, store_path, jobs, *, incomplete_policy: str, run_entry: dict,
                   previous: dict | None = None) -> dict:
    config_sha = None
    if config.path is not None and Path(config.path).exists():
        config_sha = hashlib.sha256(Path(config.path).read_bytes()).hexdigest()
    prompt_hashes: dict[str, dict[str, str]] = {}
    for job in jobs:
        prompt_hashes.setdefault(str(job.replicate), {})[job.language] = job.prompt_hash
    runs = [r for r in (previous or {}).get("runs", []) if r.get("run_id") != run_entry["run_id"]]
    runs.append({**run_entry, "config_sha256": config_sha, "reask_incomplete": config.reask_incomplete})
    return {
        "manifest_version": MANIFEST_VERSION,
        "store": Path(store_path).name,
        "config": str(config.path) if config.path is not None else None,
        "config_sha256": config_sha,
        "run": {
            "languages": list(config.languages), "replicates": config.replicates,
            "term_order": config.term_order, "shuffle_seed": config.shuffle_seed,
            "timeout_s": config.timeout_s, "max_attempts": config.max_attempts,
            "backoff_initial_s": config.backoff_initial_s, "backoff_max_s": config.backoff_max_s,
            "reask_incomplete": config.reask_incomplete,
            "max_retry_after_s": config.max_retry_after_s, "mode": config.mode,
        },
        "models": [{"name": m.name, "country": m.country, "provider": m.provider, "model_id": m.model_id,
                    "provider_kind": config.providers[m.provider].kind,
                    "mode": getattr(config.providers[m.provider], "mode", "sync"),  # "batch": pyvalues.collect.batch
                    "base_url": m.base_url or "(bundled local server)", "generation": dict(m.generation),
                    "enabled": m.enabled} for m in config.models],
        "versions": _versions(),
        "prompt_hashes": prompt_hashes,
        "reask_policy": reask_policy(config.reask_incomplete),
        "incomplete_policy": incomplete_policy,
        "runs": runs,
    }


def read_manifest(path) -> dict | None:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_manifest(path, manifest: dict) -> None:
    """Write atomically (temporary file, then rename): a reader never sees half a manifest."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
