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
    backoff_max_s = 120.0         # cap of our own backoff between attempts
    max_retry_after_s = 300       # longest server-requested wait (Retry-After) honoured; longer:
                                  # the request fails for this run with the reason, a rerun sends it
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
    price_input_per_mtok = 2.0    # optional, USD per million tokens: --dry-run estimates the cost
    price_output_per_mtok = 8.0
    # mode = "sync"               # per provider; default: [run] mode

    [[models]]
    name = "GPT-4.1"              # display name used in every table
    country = "US"
    provider = "openai"
    model_id = "gpt-4.1"
    # base_url, api_key_env, prices: override the provider's; [models.generation]: override generation

``[run]`` is required (its keys have the defaults shown above); ``[generation]`` is optional.
Every bad value -- an unknown key (the closest known key is suggested), a wrong type, a
number that is not finite or is out of range, a URL without an http(s) scheme or host -- is
one :class:`~pyvalues.errors.CollectError` line naming the file, the table and the key,
raised before any request is sent.

API keys come from the environment only: a config names the variable, never the key. A
value of ``api_key_env`` (provider or model) that is not a variable name is rejected without
being printed: a key pasted there must not reach a terminal or a log.

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

import difflib
import fnmatch
import math
import re
import tomllib
import urllib.parse
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import CollectError
from ..instrument import LANGUAGES
from .providers import PROVIDERS

__all__ = ["ProviderConfig", "ModelConfig", "RunConfig", "load_config", "parse_config",
           "PROVIDER_KINDS", "TERM_ORDERS", "MODES", "MODES_AVAILABLE", "looks_like_key", "select_models"]

PROVIDER_KINDS = tuple(PROVIDERS)  # "openai", "anthropic": the provider classes' kinds
# collection modes a config may name, and those this build can run ("batch": OpenAI Batch API /
# Anthropic Message Batches, pyvalues.collect.batch)
MODES = ("sync", "batch")
MODES_AVAILABLE = ("sync", "batch")
TERM_ORDERS = ("paper", "shuffled")
# Generation parameters a config may set; anything else goes in `extra_body` verbatim.
GENERATION_KEYS = ("temperature", "top_p", "max_tokens", "seed", "system", "extra_body")

_RUN_KEYS = {"languages", "replicates", "term_order", "shuffle_seed", "timeout_s", "max_attempts",
             "backoff_initial_s", "backoff_max_s", "store", "reask_incomplete", "max_retry_after_s", "mode",
             "batch_poll_s", "batch_wait_s"}
_PRICE_KEYS = {"price_input_per_mtok", "price_output_per_mtok"}
_PROVIDER_KEYS = {"kind", "base_url", "api_key_env", "concurrency", "requests_per_minute",
                  "tokens_per_minute", "local_server", "anthropic_version", "note", "mode"} | _PRICE_KEYS
_MODEL_KEYS = {"name", "country", "provider", "model_id", "base_url", "api_key_env", "generation",
               "enabled", "note"} | _PRICE_KEYS


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
    # USD per million input / output tokens, for --dry-run's cost estimate (None: not given)
    price_input_per_mtok: float | None = None
    price_output_per_mtok: float | None = None


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
    price_input_per_mtok: float | None = None
    price_output_per_mtok: float | None = None


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
    # longest Retry-After honoured; a longer one ends the request for this run (see client)
    max_retry_after_s: float = 300.0
    mode: str = "sync"  # default of every provider's mode; see pyvalues.collect.batch
    batch_poll_s: float = 60.0
    batch_wait_s: float = 90000.0

    @property
    def enabled_models(self) -> tuple[ModelConfig, ...]:
        return tuple(m for m in self.models if m.enabled)


def load_config(path) -> RunConfig:
    """Read and check a run config (TOML). Raises CollectError (one line) naming the file and key."""
    path = Path(path)
    if not path.exists():
        raise CollectError(f"config file {path} does not exist; pass the path of a TOML run config "
                           f"(see configs/paper-2026.toml for a complete example).")
    if path.is_dir():
        raise CollectError(f"{path} is a directory, not a config file; pass the path of a TOML run config "
                           f"(see configs/paper-2026.toml for a complete example).")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CollectError(f"config file {path} cannot be read ({exc.strerror or exc}); "
                           f"check its permissions.") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CollectError(f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start} is not "
                           f"valid UTF-8); save the file as UTF-8.") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CollectError(f"{path}: not valid TOML ({' '.join(str(exc).split())}); "
                           f"fix the syntax at the position shown.") from None
    return parse_config(raw, path)


def _where(path, section):
    return f"{path or '<config>'} [{section}]"


_KEY_PREFIXES = ("sk-", "sk_", "sess-", "AIza", "xai-", "gsk_", "hf_", "r8_", "pplx-", "ghp_", "github_pat_",
                 "Bearer ", "bearer ")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


def looks_like_key(value) -> bool:
    """Whether a config string looks like an API key (a vendor's key prefix, a long hex or
    alphanumeric token) -- such a value is never printed in a message."""
    if not isinstance(value, str):
        return False
    v = value.strip()
    if len(v) < 16:
        return False
    if v.startswith(_KEY_PREFIXES):
        return True
    if re.fullmatch(r"[0-9a-fA-F]{24,}", v):
        return True
    return bool(re.fullmatch(r"[A-Za-z0-9]{32,}", v) and re.search(r"[0-9]", v) and re.search(r"[A-Za-z]", v))


def _show(value) -> str:
    """repr() of a config value for a message, unless it looks like a key."""
    if looks_like_key(value):
        return f"a value that looks like an API key ({len(value.strip())} characters, not shown)"
    if isinstance(value, str) and any(looks_like_key(w) for w in re.split(r"[\s/?&=:@]+", value)):
        return f"a value that contains something like an API key ({len(value)} characters, not shown)"
    return repr(value)


def _check_keys(table: dict, allowed: set, where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        parts = []
        for k in unknown:
            close = difflib.get_close_matches(str(k), sorted(allowed), n=1, cutoff=0.6)
            parts.append(f"{k!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise CollectError(f"{where}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(parts)}; "
                           f"allowed keys are {sorted(allowed)}.")


def _typed(table, key, types, where, default=None, required=False, positive=False, nonnegative=False):
    if key not in table:
        if required:
            raise CollectError(f"{where}: missing required key {key!r}.")
        return default
    value = table[key]
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise CollectError(f"{where}: {key} must be {_tname(types)}, got {_show(value)}.")
    if not isinstance(value, types):
        raise CollectError(f"{where}: {key} must be {_tname(types)}, got {_show(value)} ({type(value).__name__}).")
    if isinstance(value, float) and not math.isfinite(value):
        example = (f"; write a number such as {default:g} (the default)"
                   if isinstance(default, (int, float)) and not isinstance(default, bool) else "; write a number")
        raise CollectError(f"{where}: {key} must be a finite number, got {value!r}{example}.")
    if positive and value <= 0:
        raise CollectError(f"{where}: {key} must be > 0, got {value!r}.")
    if nonnegative and value < 0:
        raise CollectError(f"{where}: {key} must be >= 0, got {value!r}.")
    return value


def _tname(types):
    types = types if isinstance(types, tuple) else (types,)
    return " or ".join({int: "an integer", float: "a number", str: "a string", bool: "true/false",
                        list: "a list", dict: "a table"}.get(t, t.__name__) for t in types)


def _key_env(table, where):
    """`api_key_env`: the NAME of an environment variable; the value is never printed."""
    if "api_key_env" not in table:
        return None
    value = table["api_key_env"]
    if not isinstance(value, str):
        raise CollectError(f"{where}: api_key_env must be a string, the NAME of an environment variable "
                           f"(like OPENAI_API_KEY), got a {type(value).__name__}.")
    if looks_like_key(value):
        raise CollectError(f"{where}: api_key_env must hold the NAME of an environment variable (like "
                           f"OPENAI_API_KEY), not a key; the value given ({len(value)} characters) looks like "
                           f"an API key and is not shown -- export the key in a variable, write the variable's "
                           f"name here, and treat the key as exposed.")
    if not _ENV_NAME.fullmatch(value):
        raise CollectError(f"{where}: api_key_env must hold the NAME of an environment variable (letters, "
                           f"digits and _, like OPENAI_API_KEY); the value given ({len(value)} characters) is "
                           f"not a variable name and is not shown -- never put the key itself in a config.")
    return value


def _base_url(table, where, *, required, default=""):
    url = _typed(table, "base_url", str, where, required=required, default=default)
    if url == "" and not required:
        return url
    if "base_url" not in table:
        return url
    bad = None
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError as exc:
        bad = f"not a URL ({exc})"
    else:
        if any(c.isspace() for c in url):
            bad = "it contains white space"
        elif parts.scheme not in ("http", "https"):
            bad = "no http:// or https:// scheme"
        elif not parts.hostname:
            bad = "no host"
    if not bad and _show(url) != repr(url):
        raise CollectError(f"{where}: base_url contains something that looks like an API key (not shown); keys "
                           f"belong in an environment variable named by api_key_env, never in a config.")
    if bad:
        hint = ""
        if bad.startswith("no http") and "://" not in url and not looks_like_key(url):
            hint = f"; did you mean {'http://' + url!r}?"
        raise CollectError(f"{where}: base_url must be an http:// or https:// URL with a host, like "
                           f"\"https://api.openai.com/v1\"; got {_show(url)} ({bad}){hint}")
    return url.rstrip("/")


def _price(table, where, default=None):
    v = _typed(table, "price_input_per_mtok", (int, float), where, nonnegative=True)
    w = _typed(table, "price_output_per_mtok", (int, float), where, nonnegative=True)
    d_in, d_out = default if default is not None else (None, None)
    return (float(v) if v is not None else d_in), (float(w) if w is not None else d_out)


def _mode(table, where, default, local_server=None) -> str:
    mode = _typed(table, "mode", str, where, default=default)
    if mode not in MODES:
        raise CollectError(f"{where}: mode must be one of {list(MODES)} (\"sync\": one chat call per request, "
                           f"\"batch\": the provider's batch API), got {_show(mode)}.")
    if mode not in MODES_AVAILABLE:
        raise CollectError(f"{where}: mode = {mode!r} is not available in this build (it has "
                           f"{list(MODES_AVAILABLE)}); use mode = \"sync\" or remove the key.")
    if mode == "batch" and local_server is not None:
        raise CollectError(f"{where}: the bundled local server has no batch API; set mode = \"sync\" for this "
                           f"provider.")
    return mode


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


def parse_config(raw: dict, path=None) -> RunConfig:
    """Check a config already read into a dict (see :func:`load_config`)."""
    top_allowed = {"run", "generation", "providers", "models"}
    _check_keys(raw, top_allowed, f"{path or '<config>'} (top level)")
    if "run" not in raw:
        raise CollectError(f"{path or '<config>'}: no [run] table; add one, at least [run] with "
                           f"languages = [\"zh\", \"en\"] and replicates = 3 (the other [run] keys have defaults; "
                           f"see configs/paper-2026.toml).")
    run = raw["run"]
    w = _where(path, "run")
    if not isinstance(run, dict):
        raise CollectError(f"{w}: must be a table.")
    _check_keys(run, _RUN_KEYS, w)
    languages = tuple(_typed(run, "languages", list, w, default=list(LANGUAGES)))
    for lang in languages:
        if lang not in LANGUAGES:
            raise CollectError(f"{w}: language {_show(lang)} has no prompt; the instrument has {list(LANGUAGES)}.")
    if not languages or len(set(languages)) != len(languages):
        raise CollectError(f"{w}: languages must be a non-empty list without repeats, got {list(languages)}.")
    replicates = _typed(run, "replicates", int, w, default=3, positive=True)
    term_order = _typed(run, "term_order", str, w, default="paper")
    if term_order not in TERM_ORDERS:
        raise CollectError(f"{w}: term_order must be one of {list(TERM_ORDERS)}, got {_show(term_order)}.")
    shuffle_seed = _typed(run, "shuffle_seed", int, w, default=2026)
    timeout_s = float(_typed(run, "timeout_s", (int, float), w, default=120.0, positive=True))
    max_attempts = _typed(run, "max_attempts", int, w, default=6, positive=True)
    backoff_initial_s = float(_typed(run, "backoff_initial_s", (int, float), w, default=2.0, nonnegative=True))
    backoff_max_s = float(_typed(run, "backoff_max_s", (int, float), w, default=120.0, nonnegative=True))
    if backoff_max_s < backoff_initial_s:
        raise CollectError(f"{w}: need 0 <= backoff_initial_s <= backoff_max_s, "
                           f"got {backoff_initial_s} and {backoff_max_s}.")
    max_retry_after_s = float(_typed(run, "max_retry_after_s", (int, float), w, default=300.0, nonnegative=True))
    reask_incomplete = _typed(run, "reask_incomplete", int, w, default=0)
    if reask_incomplete < 0:
        raise CollectError(f"{w}: reask_incomplete must be a whole number >= 0 (0 = no follow-ups), "
                           f"got {reask_incomplete}.")
    run_mode = _mode(run, w, "sync")
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
            raise CollectError(f"{pw}: kind must be one of {list(PROVIDER_KINDS)}, got {_show(kind)}.")
        local = _typed(ptable, "local_server", str, pw)
        if local is not None and local != "bundled":
            raise CollectError(f"{pw}: local_server must be \"bundled\" (start the llama.cpp server with the "
                               f"bundled models), got {_show(local)}.")
        base_url = _base_url(ptable, pw, required=local is None)
        key_env = _key_env(ptable, pw)
        p_in, p_out = _price(ptable, pw)
        providers[pname] = ProviderConfig(
            name=pname, kind=kind, base_url=base_url, api_key_env=key_env,
            concurrency=_typed(ptable, "concurrency", int, pw, default=2, positive=True),
            requests_per_minute=_typed(ptable, "requests_per_minute", (int, float), pw, positive=True),
            tokens_per_minute=_typed(ptable, "tokens_per_minute", (int, float), pw, positive=True),
            local_server=local,
            anthropic_version=_typed(ptable, "anthropic_version", str, pw, default="2023-06-01"),
            mode=_mode(ptable, pw, run_mode, local),
            price_input_per_mtok=p_in, price_output_per_mtok=p_out,
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
        mw = _where(path, f"models #{i} {_show(name)}")
        if name in names:
            raise CollectError(f"{mw}: model name {_show(name)} appears twice; display names must be unique.")
        names.add(name)
        pname = _typed(mtable, "provider", str, mw, required=True)
        if pname not in providers:
            close = difflib.get_close_matches(pname, sorted(providers), n=1, cutoff=0.6)
            raise CollectError(f"{mw}: provider {_show(pname)} is not defined"
                               + (f" (did you mean {close[0]!r}?)" if close else "")
                               + f"; defined providers: {sorted(providers)}.")
        prov = providers[pname]
        gen = dict(generation)
        gen.update(_generation(mtable.get("generation", {}), _where(path, f"models #{i} {name!r} generation")))
        missing = [k for k in PROVIDERS[prov.kind].REQUIRED_GENERATION if k not in gen]
        if missing:
            raise CollectError(f"{mw}: the {PROVIDERS[prov.kind].API_NAME} requires {', '.join(missing)}; "
                               f"set it in [generation].")
        key_env = _key_env(mtable, mw)
        m_in, m_out = _price(mtable, mw, (prov.price_input_per_mtok, prov.price_output_per_mtok))
        models.append(ModelConfig(
            name=name,
            country=_typed(mtable, "country", str, mw, required=True),
            provider=pname,
            model_id=_typed(mtable, "model_id", str, mw, required=True),
            base_url=_base_url(mtable, mw, required=False, default=prov.base_url) or prov.base_url,
            api_key_env=key_env if key_env is not None else prov.api_key_env,
            generation=gen,
            enabled=_typed(mtable, "enabled", bool, mw, default=True),
            note=_typed(mtable, "note", str, mw, default=""),
            price_input_per_mtok=m_in, price_output_per_mtok=m_out,
        ))
    return RunConfig(path=Path(path) if path else None, languages=languages, replicates=replicates,
                     term_order=term_order, shuffle_seed=shuffle_seed, timeout_s=timeout_s,
                     max_attempts=max_attempts, backoff_initial_s=backoff_initial_s,
                     backoff_max_s=backoff_max_s, store=store, providers=providers, models=tuple(models),
                     reask_incomplete=reask_incomplete, max_retry_after_s=max_retry_after_s, mode=run_mode,
                     batch_poll_s=batch_poll_s, batch_wait_s=batch_wait_s)


def select_models(config: RunConfig, patterns) -> RunConfig:
    """The config restricted to the models whose name matches one of the glob `patterns`
    (``fnmatch``, case-insensitive; ``--models``). Raises CollectError when a pattern
    matches no model, or no enabled model is left."""
    patterns = [p for p in (patterns or []) if p is not None]
    if not patterns:
        return config
    for p in patterns:
        if not any(fnmatch.fnmatch(m.name.lower(), p.lower()) for m in config.models):
            raise CollectError(f"--models {p!r} matches no model of {config.path or 'the config'}; "
                               f"models: {[m.name for m in config.models]}.")
    keep = tuple(m for m in config.models if any(fnmatch.fnmatch(m.name.lower(), p.lower()) for p in patterns))
    if not any(m.enabled for m in keep):
        raise CollectError(f"--models {patterns} selects only disabled models ({[m.name for m in keep]}); "
                           f"set enabled = true in the config to collect them.")
    return replace(config, models=keep)
