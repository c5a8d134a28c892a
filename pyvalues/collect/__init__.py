"""Collect value rankings from LLM APIs -- vendors' and local -- with nothing lost, resumably.

``python -m pyvalues.collect CONFIG [--store PATH]`` reads a TOML run config
(:mod:`pyvalues.collect.config`), sends every (model, language, replicate) request that the
store does not yet hold a successful answer for, records every attempt in an append-only
SQLite store (:mod:`pyvalues.collect.store`), exports it to JSONL and passes the stored
answers through :mod:`pyvalues.parse` into the tidy rank table, all beside the store, with
the run's manifest (``STORE_STEM_manifest.json``: run settings, versions, prompt hashes, the
re-ask policy and the incomplete-ranking policy; :mod:`pyvalues.collect.manifest`).

The optional re-ask policy (``[run] reask_incomplete = N``, off by default) sends up to N
follow-up turns for answers that parse as incomplete or unparseable; every follow-up is stored
(and exported) as its own attempt with ``followup`` = 1..N and ``followup_of`` = the original
request's key, and the last follow-up's answer is the final one (see
:mod:`pyvalues.collect.config`).

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
    "run",
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
    "rank_table_from_jsonl",
    "output_paths",
]


def output_paths(store_path):
    """(jsonl, rank table csv) written beside a store: STEM.jsonl and STEM_ranktable.csv."""
    from pathlib import Path

    store_path = Path(store_path)
    return (store_path.with_name(store_path.stem + ".jsonl"),
            store_path.with_name(store_path.stem + "_ranktable.csv"))


def rank_table_from_jsonl(jsonl_path, out_csv, *, policy: str = "drop", provenance: str | None = None):
    """Parse the exported attempts with pyvalues.parse and write the tidy rank table.

    Returns (rank_table, status_summary). The parser is imported here, not at module import,
    so collection works even where the parser is broken or absent.
    """
    from pathlib import Path

    from .. import parse as parser
    from ..ranktable import write_rank_table

    parsed = parser.parse_responses(Path(jsonl_path))
    table = parser.to_rank_table(parsed, policy, provenance=provenance)
    write_rank_table(table, out_csv)
    return table, parser.status_summary(parsed)


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


def run(config_path, store_path=None, *, jsonl_path=None, ranktable_path=None, progress=True, stream=None,
        parse: bool = True, incomplete_policy: str = "drop", models=None):
    """Collect (starting the bundled local server if the config asks for it), export, parse.

    `models`: glob patterns on model names (``--models``); None: every enabled model.
    Returns (summary, jsonl_path or None, ranktable_path or None, parse status summary or None):
    nothing is written when nothing was collected (no attempt in the store: no store, JSONL,
    manifest; no answer: no rank table). Raises CollectInterrupted on Ctrl-C (the store keeps
    every attempt; the exports are written on the next run).
    """
    import sys
    from pathlib import Path

    from .localserver import LocalServer
    from .manifest import manifest_path as _manifest_path

    config = select_models(load_config(config_path), models)
    store_path = Path(store_path or default_store_path(config, config_path))
    default_jsonl, default_csv = output_paths(store_path)
    jsonl_path = Path(jsonl_path or default_jsonl)
    ranktable_path = Path(ranktable_path or default_csv)
    stream = stream if stream is not None else sys.stderr
    existed = store_path.exists()

    servers, overrides = [], {}
    try:
        for pname, prov in config.providers.items():
            models_here = [m for m in config.enabled_models if m.provider == pname]
            if prov.local_server == "bundled" and models_here:
                stream.write(f"starting the local llama.cpp server for {[m.model_id for m in models_here]} ...\n")
                server = LocalServer(sorted({m.model_id for m in models_here})).start()
                servers.append(server)
                overrides[pname] = server.base_url
        summary = collect(config, store_path, progress=progress, stream=stream, base_url_overrides=overrides,
                          incomplete_policy=incomplete_policy)
    finally:
        for server in servers:
            server.stop()
    with Store(store_path) as st:
        n_attempts, n_ok = st.count(), st.count("ok")
    if n_attempts == 0:
        if not existed:  # this run created an empty store: leave nothing behind
            for p in (store_path, store_path.with_name(store_path.name + "-wal"),
                      store_path.with_name(store_path.name + "-shm"), _manifest_path(store_path)):
                p.unlink(missing_ok=True)
        return summary, None, None, None
    export_jsonl(store_path, jsonl_path)
    status = None
    written = None
    if parse and n_ok:
        provenance = (f"collected by pyvalues.collect with {Path(config_path).name} "
                      f"(store {store_path.name}), parsed by pyvalues.parse")
        _, status = rank_table_from_jsonl(jsonl_path, ranktable_path, policy=incomplete_policy,
                                          provenance=provenance)
        written = ranktable_path
    return summary, jsonl_path, written, status
