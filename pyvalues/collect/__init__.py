"""Collect value rankings from LLM APIs -- vendors' and local -- with nothing lost, resumably.

``python -m pyvalues.collect CONFIG [--store PATH]`` reads a TOML run config
(:mod:`pyvalues.collect.config`), sends every (model, language, replicate) request that the
store does not yet hold a successful answer for, records every attempt in an append-only
SQLite store (:mod:`pyvalues.collect.store`) and exports it to JSONL beside the store, with
the run's manifest (``STORE_STEM_manifest.json``: run settings, versions, prompt hashes, the
re-ask policy and the incomplete-ranking policy; :mod:`pyvalues.collect.manifest`).

The optional re-ask policy (``[run] reask_incomplete = N``, off by default) sends up to N
follow-up turns for answers that parse as incomplete or unparseable; every follow-up is stored
(and exported) as its own attempt with ``followup`` = 1..N and ``followup_of`` = the original
request's key, and the last follow-up's answer is the final one (see
:mod:`pyvalues.collect.config`).

Collection does not read the answers: parsing them into the rank table, and the follow-up an
answer is due under the re-ask policy, are the parser's, which the caller passes in
(:mod:`pyvalues.pipeline` wires the CLI: collect, export, parse, write the rank table).

Prompts come only from :func:`pyvalues.instrument.prompt_text`. API keys come only from the
environment variables a config names.
"""
from __future__ import annotations

from .config import ModelConfig, ProviderConfig, RunConfig, load_config, parse_config, select_models
from .manifest import manifest_path
from .runner import (CollectInterrupted, CollectRun, CollectSummary, collect, dry_run, followup_key, plan_jobs,
                     request_key, term_order_for)
from .store import Store, export_jsonl

__all__ = [
    "load_config",
    "parse_config",
    "RunConfig",
    "ProviderConfig",
    "ModelConfig",
    "collect",
    "plan",
    "select_models",
    "CollectRun",
    "CollectSummary",
    "CollectInterrupted",
    "dry_run",
    "plan_jobs",
    "request_key",
    "followup_key",
    "manifest_path",
    "term_order_for",
    "Store",
    "export_jsonl",
    "default_store_path",
    "output_paths",
]


def output_paths(store_path):
    """(jsonl, rank table csv) written beside a store: STEM.jsonl and STEM_ranktable.csv."""
    from pathlib import Path

    store_path = Path(store_path)
    return (store_path.with_name(store_path.stem + ".jsonl"),
            store_path.with_name(store_path.stem + "_ranktable.csv"))


def default_store_path(config, config_path):
    """The store a run uses without --store: ``[run] store`` (relative to the config file), else
    CONFIG_STEM.sqlite in the current directory."""
    from pathlib import Path

    return Path(config.store or Path(config_path).with_suffix(".sqlite").name)


def plan(config_path, store_path=None, *, models=None):
    """--dry-run: (config, store path, per-model table of :func:`pyvalues.collect.runner.dry_run`).
    Sends nothing and writes nothing."""
    from pathlib import Path

    config = select_models(load_config(config_path), models)
    store_path = Path(store_path or default_store_path(config, config_path))
    return config, store_path, dry_run(config, store_path)
