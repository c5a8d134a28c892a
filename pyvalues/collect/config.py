"""A collection run described by a TOML file: providers, models, languages, replicates.

Layout (every key is documented in ``configs/paper-2026.toml``)::

    [run]
    languages = ["zh", "en"]      # prompt languages of pyvalues.instrument
    replicates = 3                # replicate index 1..replicates is part of every request key
    term_order = "paper"          # or "shuffled": a seeded permutation per replicate, recorded
    shuffle_seed = 2026
    timeout_s = 120               # per HTTP attempt (connect and read)
    max_attempts = 6              # per request, counting the first
    backoff_initial_s = 2.0       # exponential backoff with jitter, then at least Retry-After
    backoff_max_s = 120.0
    reask_incomplete = 0          # re-ask policy, off (0) by default; N > 0: see below
    mode = "sync"                 # or "batch": the providers' batch APIs (pyvalues.collect.batch);
                                  # a [providers.NAME] table may set its own mode
    batch_poll_s = 60             # batch mode: seconds between checks of a running batch
    batch_wait_s = 90000          # batch mode: how long a run waits; a rerun picks up what still runs

    [generation]                  # sent with every request unless a model overrides it
    max_tokens = 4096
    # temperature = 0.7           # not set: the vendor's default (the paper added no constraints)
    # seed = 1                    # where the API takes one; replicate r sends seed + r - 1

    [providers.openai]
    kind = "openai"               # "openai" (chat completions) or "anthropic" (Messages API)
    base_url = "https://api.openai.com/v1"
    api_key_env = "OPENAI_API_KEY"   # the NAME of the variable; keys are never written in a config
    concurrency = 4
    requests_per_minute = 60
    tokens_per_minute = 200000

    [[models]]
    name = "GPT-4.1"              # display name used in every table
    country = "US"
    provider = "openai"
    model_id = "gpt-4.1"
    # base_url, api_key_env: override the provider's; [models.generation]: override generation

API keys come from the environment only: a config names the variable, never the key.

The re-ask policy (``[run] reask_incomplete = N``, an integer >= 0, default 0 = off): when a
stored answer parses (with :func:`pyvalues.parse.parse_ranking`) as ``incomplete`` or
``unparseable``, the collector sends a follow-up turn -- the original prompt as the user turn,
that answer as the assistant turn, then :func:`pyvalues.parse.followup_prompt` (which names
the missing, repeated and tied terms, or asks for the numbered list) as the user turn -- and
repeats with each new answer, up to N follow-ups per request. It stops at the first answer
that is ``complete``, ``repaired`` or ``refused`` (a refusal is an outcome, not an error to
argue with). Every follow-up is its own request in the store (key derived from the original
request's key and the follow-up index, ``followup_of`` links it to the original), so reruns
skip follow-ups already answered. The final answer of a (model, language, replicate) is the
answer of the last follow-up when there is one -- the one that ended the conversation --
not a "best" answer picked afterwards. The policy is recorded in ``STORE_STEM_manifest.json``.
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import CollectError
from ..instrument import LANGUAGES

__all__ = ["ProviderConfig", "ModelConfig", "RunConfig", "load_config", "parse_config",
           "PROVIDER_KINDS", "TERM_ORDERS"]

PROVIDER_KINDS = ("openai", "anthropic")
TERM_ORDERS = ("paper", "shuffled")
# Generation parameters a config may set; anything else goes in `extra_body` verbatim.
GENERATION_KEYS = ("temperature", "top_p", "max_tokens", "seed", "system", "extra_body")

_RUN_KEYS = {"languages", "replicates", "term_order", "shuffle_seed", "timeout_s", "max_attempts",
             "backoff_initial_s", "backoff_max_s", "store", "reask_incomplete", "mode", "batch_poll_s",
             "batch_wait_s"}
_PROVIDER_KEYS = {"kind", "base_url", "api_key_env", "concurrency", "requests_per_minute",
                  "tokens_per_minute", "local_server", "anthropic_version", "note", "mode"}
_MODEL_KEYS = {"name", "country", "provider", "model_id", "base_url", "api_key_env", "generation",
               "enabled", "note"}


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    kind: str
    base_url: str
    api_key_env: str | None = None
    concurrency: int = 2
    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    # "bundled": start pyvalues.collect.localserver with the models that use this provider.
    local_server: str | None = None
    anthropic_version: str = "2023-06-01"
    mode: str = "sync"  # "batch": through the provider's batch API (pyvalues.collect.batch)


@dataclass(frozen=True)
class ModelConfig:
    name: str
    country: str
    provider: str
    model_id: str
    base_url: str
    api_key_env: str | None
    generation: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    note: str = ""


@dataclass(frozen=True)
class RunConfig:
    path: Path | None
    languages: tuple[str, ...]
    replicates: int
    term_order: str
    shuffle_seed: int
    timeout_s: float
    max_attempts: int
    backoff_initial_s: float
    backoff_max_s: float
    store: Path | None
    providers: dict[str, ProviderConfig]
    models: tuple[ModelConfig, ...]
    # follow-ups per request for incomplete/unparseable answers; 0 = off (see module docs)
    reask_incomplete: int = 0
    mode: str = "sync"  # default of every provider's mode; see pyvalues.collect.batch
    batch_poll_s: float = 60.0
    batch_wait_s: float = 90000.0

    @property
    def enabled_models(self) -> tuple[ModelConfig, ...]:
        return tuple(m for m in self.models if m.enabled)


def load_config(path) -> RunConfig:
    """Read and check a run config (TOML). Raises CollectError naming the file and key."""
    path = Path(path)
    if not path.exists():
        raise CollectError(f"config file {path} does not exist; pass the path of a TOML run config "
                           f"(see configs/paper-2026.toml for a complete example).")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CollectError(f"{path}: not valid TOML ({exc}); fix the syntax at the position shown.") from exc
    return parse_config(raw, path)


def _where(path, section):
    return f"{path or '<config>'} [{section}]"


def _check_keys(table: dict, allowed: set, where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise CollectError(f"{where}: unknown key(s) {unknown}; allowed keys are {sorted(allowed)}.")


def _typed(table, key, types, where, default=None, required=False, positive=False):
    if key not in table:
        if required:
            raise CollectError(f"{where}: missing required key {key!r}.")
        return default
    value = table[key]
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise CollectError(f"{where}: {key} must be {_tname(types)}, got {value!r}.")
    if not isinstance(value, types):
        raise CollectError(f"{where}: {key} must be {_tname(types)}, got {value!r} ({type(value).__name__}).")
    if positive and value <= 0:
        raise CollectError(f"{where}: {key} must be > 0, got {value!r}.")
    return value


def _tname(types):
    types = types if isinstance(types, tuple) else (types,)
    return " or ".join({int: "an integer", float: "a number", str: "a string", bool: "true/false",
                        list: "a list", dict: "a table"}.get(t, t.__name__) for t in types)


def _generation(table, where) -> dict:
    if not isinstance(table, dict):
        raise CollectError(f"{where}: generation must be a table, got {table!r}.")
    _check_keys(table, set(GENERATION_KEYS), where)
    out = {}
    for key, value in table.items():
        if key == "temperature" or key == "top_p":
            _typed(table, key, (int, float), where)
            out[key] = float(value)
        elif key in ("max_tokens", "seed"):
            _typed(table, key, int, where, positive=(key == "max_tokens"))
            out[key] = int(value)
        elif key == "system":
            out[key] = _typed(table, key, str, where)
        elif key == "extra_body":
            out[key] = dict(_typed(table, key, dict, where))
    return out


def _mode(table, where, default, local_server=None) -> str:
    mode = _typed(table, "mode", str, where, default=default)
    if mode not in ("sync", "batch"):
        raise CollectError(f"{where}: mode must be \"sync\" (one chat call per request) or \"batch\" (the "
                           f"provider's batch API), got {mode!r}.")
    if mode == "batch" and local_server is not None:
        raise CollectError(f"{where}: the bundled local server has no batch API; set mode = \"sync\" for this "
                           f"provider.")
    return mode


def parse_config(raw: dict, path=None) -> RunConfig:
    """Check a config already read into a dict (see :func:`load_config`)."""
    top_allowed = {"run", "generation", "providers", "models"}
    _check_keys(raw, top_allowed, f"{path or '<config>'} (top level)")
    run = raw.get("run", {})
    w = _where(path, "run")
    if not isinstance(run, dict):
        raise CollectError(f"{w}: must be a table.")
    _check_keys(run, _RUN_KEYS, w)
    languages = tuple(_typed(run, "languages", list, w, default=list(LANGUAGES)))
    for lang in languages:
        if lang not in LANGUAGES:
            raise CollectError(f"{w}: language {lang!r} has no prompt; the instrument has {list(LANGUAGES)}.")
    if not languages or len(set(languages)) != len(languages):
        raise CollectError(f"{w}: languages must be a non-empty list without repeats, got {list(languages)}.")
    replicates = _typed(run, "replicates", int, w, default=3, positive=True)
    term_order = _typed(run, "term_order", str, w, default="paper")
    if term_order not in TERM_ORDERS:
        raise CollectError(f"{w}: term_order must be one of {list(TERM_ORDERS)}, got {term_order!r}.")
    shuffle_seed = _typed(run, "shuffle_seed", int, w, default=2026)
    timeout_s = float(_typed(run, "timeout_s", (int, float), w, default=120.0, positive=True))
    max_attempts = _typed(run, "max_attempts", int, w, default=6, positive=True)
    backoff_initial_s = float(_typed(run, "backoff_initial_s", (int, float), w, default=2.0))
    backoff_max_s = float(_typed(run, "backoff_max_s", (int, float), w, default=120.0))
    if backoff_initial_s < 0 or backoff_max_s < backoff_initial_s:
        raise CollectError(f"{w}: need 0 <= backoff_initial_s <= backoff_max_s, "
                           f"got {backoff_initial_s} and {backoff_max_s}.")
    reask_incomplete = _typed(run, "reask_incomplete", int, w, default=0)
    if reask_incomplete < 0:
        raise CollectError(f"{w}: reask_incomplete must be a whole number >= 0 (0 = no follow-ups), "
                           f"got {reask_incomplete}.")
    mode = _mode(run, w, "sync")
    batch_poll_s = float(_typed(run, "batch_poll_s", (int, float), w, default=60.0, positive=True))
    batch_wait_s = float(_typed(run, "batch_wait_s", (int, float), w, default=90000.0))
    if not (math.isfinite(batch_poll_s) and math.isfinite(batch_wait_s) and batch_wait_s >= 0):
        raise CollectError(f"{w}: batch_poll_s must be a finite number > 0 and batch_wait_s a finite number >= 0 "
                           f"(seconds), got {batch_poll_s} and {batch_wait_s}.")
    store = _typed(run, "store", str, w)
    if store is not None and path is not None:
        store = (Path(path).parent / store)
    generation = _generation(raw.get("generation", {}), _where(path, "generation"))

    providers_raw = raw.get("providers")
    if not isinstance(providers_raw, dict) or not providers_raw:
        raise CollectError(f"{path or '<config>'}: no [providers.NAME] table; each model refers to a provider "
                           f"that gives kind, base_url, api_key_env and limits.")
    providers = {}
    for pname, ptable in providers_raw.items():
        pw = _where(path, f"providers.{pname}")
        if not isinstance(ptable, dict):
            raise CollectError(f"{pw}: must be a table.")
        _check_keys(ptable, _PROVIDER_KEYS, pw)
        kind = _typed(ptable, "kind", str, pw, default="openai")
        if kind not in PROVIDER_KINDS:
            raise CollectError(f"{pw}: kind must be one of {list(PROVIDER_KINDS)}, got {kind!r}.")
        local = _typed(ptable, "local_server", str, pw)
        if local is not None and local != "bundled":
            raise CollectError(f"{pw}: local_server must be \"bundled\" (start the llama.cpp server with the "
                               f"bundled models), got {local!r}.")
        base_url = _typed(ptable, "base_url", str, pw, required=local is None, default="")
        key_env = _typed(ptable, "api_key_env", str, pw)
        if key_env is not None and (not key_env or not key_env.replace("_", "").isalnum()):
            raise CollectError(f"{pw}: api_key_env must be the NAME of an environment variable (like "
                               f"OPENAI_API_KEY), got {key_env!r}; never put the key itself in a config.")
        providers[pname] = ProviderConfig(
            name=pname, kind=kind, base_url=base_url.rstrip("/"), api_key_env=key_env,
            concurrency=_typed(ptable, "concurrency", int, pw, default=2, positive=True),
            requests_per_minute=_typed(ptable, "requests_per_minute", (int, float), pw, positive=True),
            tokens_per_minute=_typed(ptable, "tokens_per_minute", (int, float), pw, positive=True),
            local_server=local,
            anthropic_version=_typed(ptable, "anthropic_version", str, pw, default="2023-06-01"),
            mode=_mode(ptable, pw, mode, local),
        )

    models_raw = raw.get("models")
    if not isinstance(models_raw, list) or not models_raw:
        raise CollectError(f"{path or '<config>'}: no [[models]] entries; add at least one model.")
    models, names = [], set()
    for i, mtable in enumerate(models_raw, start=1):
        mw = _where(path, f"models #{i}")
        if not isinstance(mtable, dict):
            raise CollectError(f"{mw}: must be a table.")
        _check_keys(mtable, _MODEL_KEYS, mw)
        name = _typed(mtable, "name", str, mw, required=True)
        mw = _where(path, f"models #{i} {name!r}")
        if name in names:
            raise CollectError(f"{mw}: model name {name!r} appears twice; display names must be unique.")
        names.add(name)
        pname = _typed(mtable, "provider", str, mw, required=True)
        if pname not in providers:
            raise CollectError(f"{mw}: provider {pname!r} is not defined; defined providers: {sorted(providers)}.")
        prov = providers[pname]
        gen = dict(generation)
        gen.update(_generation(mtable.get("generation", {}), _where(path, f"models #{i} {name!r} generation")))
        if prov.kind == "anthropic" and "max_tokens" not in gen:
            raise CollectError(f"{mw}: the Anthropic Messages API requires max_tokens; set it in [generation].")
        key_env = _typed(mtable, "api_key_env", str, mw, default=prov.api_key_env)
        models.append(ModelConfig(
            name=name,
            country=_typed(mtable, "country", str, mw, required=True),
            provider=pname,
            model_id=_typed(mtable, "model_id", str, mw, required=True),
            base_url=_typed(mtable, "base_url", str, mw, default=prov.base_url).rstrip("/"),
            api_key_env=key_env,
            generation=gen,
            enabled=_typed(mtable, "enabled", bool, mw, default=True),
            note=_typed(mtable, "note", str, mw, default=""),
        ))
    return RunConfig(path=Path(path) if path else None, languages=languages, replicates=replicates,
                     term_order=term_order, shuffle_seed=shuffle_seed, timeout_s=timeout_s,
                     max_attempts=max_attempts, backoff_initial_s=backoff_initial_s,
                     backoff_max_s=backoff_max_s, store=store, providers=providers, models=tuple(models),
                     reask_incomplete=reask_incomplete, mode=mode, batch_poll_s=batch_poll_s,
                     batch_wait_s=batch_wait_s)
