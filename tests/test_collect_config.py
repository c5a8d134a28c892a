"""Config loading, request keys, term orders, rate-limit windows and Retry-After, by hand."""
from __future__ import annotations

import email.utils
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pyvalues.collect import load_config, parse_config, plan_jobs, term_order_for
from pyvalues.collect.client import classify_http, parse_retry_after
from pyvalues.collect.limits import ProviderLimiter, _Ticket
from pyvalues.collect.providers import MalformedResponse, prepare, read_reply
from pyvalues.errors import CollectError
from pyvalues.instrument import TERM_NAMES, prompt_text

ROOT = Path(__file__).resolve().parents[1]

# Table A-1 of the seed paper, as printed (display names and groups).
TABLE_A1 = {
    "Falcon": "US", "Gemma 3": "US", "Gemini 2.5 Pro": "US", "Kunlun Wanwei": "CN", "Zhipu": "CN",
    "DeepSeek-R1-0528": "CN", "GPT-4.1": "US", "Grok-4": "US", "Llama-3.1": "US", "Tongyi Qwen": "CN",
    "Doubao": "CN", "Mistral-large": "US", "DeepSeek-V3-0324": "CN", "kimi": "CN", "Tencent Hunyuan": "CN",
    "Claude-4-opus": "US", "MinMax": "CN", "Microsoft-Phi4": "US", "Wenxin": "CN", "Huawei Xiaoyi": "CN",
}


def base(**over):
    cfg = {
        "run": {"replicates": 3},
        "providers": {"p": {"kind": "openai", "base_url": "http://127.0.0.1:9/v1", "api_key_env": "K"}},
        "models": [{"name": "A", "country": "US", "provider": "p", "model_id": "a"}],
    }
    for k, v in over.items():
        cfg[k] = v
    return cfg


def test_shipped_paper_config_has_the_20_models_of_table_a1():
    cfg = load_config(ROOT / "configs" / "paper-2026.toml")
    assert {m.name: m.country for m in cfg.models} == TABLE_A1
    assert len(cfg.models) == 20
    for m in cfg.enabled_models:
        assert m.base_url.startswith("https://") and m.api_key_env.endswith("_API_KEY")
    assert cfg.providers["anthropic"].kind == "anthropic"
    # 18 enabled models x 2 languages x 3 replicates
    assert len(plan_jobs(cfg)) == 18 * 2 * 3


def test_shipped_local_config():
    cfg = load_config(ROOT / "configs" / "local.toml")
    assert [m.model_id for m in cfg.models] == ["gemma3-270m", "smollm2-135m"]
    assert len(plan_jobs(cfg)) == 2 * 2 * 3


@pytest.mark.parametrize("mutate, needle", [
    (lambda c: c["run"].update(languages=["fr"]), "language 'fr' has no prompt"),
    (lambda c: c["run"].update(replicates=0), "replicates must be > 0"),
    (lambda c: c["run"].update(term_order="random"), "term_order must be one of"),
    (lambda c: c["run"].update(temprature=1), "unknown key 'temprature'"),
    (lambda c: c["models"][0].update(provider="nope"), "provider 'nope' is not defined"),
    (lambda c: c["models"][0].pop("country"), "missing required key 'country'"),
    (lambda c: c["models"].append(dict(c["models"][0])), "appears twice"),
    (lambda c: c["providers"]["p"].update(api_key_env="sk-live-abc123"), "never put the key itself"),
    (lambda c: c["providers"]["p"].update(kind="gemini"), "kind must be one of"),
    (lambda c: c.update(generation={"max_tokens": "many"}), "max_tokens must be an integer"),
])
def test_config_errors_say_what_and_where(mutate, needle):
    cfg = base()
    mutate(cfg)
    with pytest.raises(CollectError) as err:
        parse_config(cfg, "runs/x.toml")
    assert needle in str(err.value) and "runs/x.toml" in str(err.value)


def test_config_file_errors(tmp_path):
    with pytest.raises(CollectError, match="does not exist"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[run\nreplicates = 3\n")
    with pytest.raises(CollectError, match="not valid TOML"):
        load_config(bad)


def test_anthropic_needs_max_tokens():
    cfg = base(providers={"a": {"kind": "anthropic", "base_url": "https://x", "api_key_env": "K"}})
    cfg["models"][0]["provider"] = "a"
    with pytest.raises(CollectError, match="requires max_tokens"):
        parse_config(cfg)


def test_request_keys_separate_replicates_languages_and_params():
    cfg = parse_config(base(generation={"seed": 10, "max_tokens": 100}))
    jobs = plan_jobs(cfg)
    assert len(jobs) == 2 * 3 and len({j.key for j in jobs}) == 6
    assert sorted(j.params["seed"] for j in jobs) == [10, 10, 11, 11, 12, 12]
    # same config -> same keys (a rerun finds its work); a changed parameter -> new keys
    assert [j.key for j in plan_jobs(cfg)] == [j.key for j in jobs]
    other = parse_config(base(generation={"seed": 10, "max_tokens": 200}))
    assert not {j.key for j in plan_jobs(other)} & {j.key for j in jobs}
    # the prompt is the instrument's, word for word
    assert {j.prompt for j in jobs} == {prompt_text("zh"), prompt_text("en")}


def test_shuffled_term_order_is_seeded_per_replicate_and_recorded():
    cfg = parse_config(base(run={"replicates": 3, "term_order": "shuffled", "shuffle_seed": 5}))
    jobs = plan_jobs(cfg)
    orders = {}
    for j in jobs:
        assert sorted(j.term_order) == sorted(TERM_NAMES)
        assert j.prompt == prompt_text(j.language, list(j.term_order))
        orders.setdefault(j.replicate, set()).add(j.term_order)
    assert all(len(v) == 1 for v in orders.values())  # both languages share a replicate's order
    assert len({next(iter(v)) for v in orders.values()}) == 3  # replicates differ
    assert term_order_for("shuffled", 5, 2) == list(next(iter(orders[2])))  # reproducible
    assert term_order_for("paper", 5, 2) == list(TERM_NAMES)


def test_rate_window_waits_by_hand():
    lim = ProviderLimiter(4, requests_per_minute=2, tokens_per_minute=1000)
    lim._window.extend([_Ticket(0.0, 600), _Ticket(20.0, 300)])
    # 2 requests in the window at t=30: the oldest leaves at t=60 -> wait 30 s
    assert lim._wait_s(30.0, 0) == pytest.approx(30.0)
    lim.rpm = None
    # tokens: 900 used + 300 > 1000; once the 600 at t=0 expires (t=60) 600 <= 1000 -> wait 30 s
    assert lim._wait_s(30.0, 300) == pytest.approx(30.0)
    assert lim._wait_s(30.0, 100) == 0.0  # 900 + 100 fits
    assert lim._wait_s(61.0, 300) == 0.0  # the first entry has left the window
    assert len(lim._window) == 1


def test_limiter_concurrency_and_stop():
    import threading

    lim = ProviderLimiter(1)
    t = lim.acquire()
    stop = threading.Event()
    stop.set()
    got = []
    th = threading.Thread(target=lambda: got.append(lim.acquire(0, stop)))
    th.start()
    time.sleep(0.1)
    assert th.is_alive()  # blocked on the only slot
    lim.release(t)
    th.join(2)
    assert got == [None]  # released into a stopped run: gives up without a ticket


def test_retry_after_and_classification():
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    when = datetime.now(timezone.utc) + timedelta(seconds=30)
    assert 27 <= parse_retry_after(email.utils.format_datetime(when, usegmt=True)) <= 30
    assert parse_retry_after("99999") == 86400.0  # clipped at a day; [run] max_retry_after_s decides
    assert classify_http(429) == ("http_429", True)
    assert classify_http(529) == ("http_529", True)
    for code in (400, 401, 403, 404, 422):
        assert classify_http(code) == (f"http_{code}", False)


def test_provider_wire_formats():
    req = prepare("openai", "https://h/v1", "m", "hi", {"max_tokens": 5, "seed": 3, "system": "s"})
    assert req.url == "https://h/v1/chat/completions"
    assert req.body == {"model": "m", "messages": [{"role": "system", "content": "s"},
                                                   {"role": "user", "content": "hi"}],
                        "max_tokens": 5, "seed": 3}
    req = prepare("anthropic", "https://api.anthropic.com", "c", "hi", {"max_tokens": 5, "seed": 3})
    assert req.url == "https://api.anthropic.com/v1/messages" and "seed" not in req.body
    assert req.key_header == "x-api-key"
    # Anthropic's documented response shape
    rep = read_reply("anthropic", '{"content": [{"type": "text", "text": "1. A"}], "stop_reason": "end_turn",'
                                  ' "usage": {"input_tokens": 10, "output_tokens": 4}}')
    assert (rep.text, rep.usage, rep.finish_reason) == ("1. A", {"prompt_tokens": 10, "completion_tokens": 4,
                                                                "total_tokens": 14}, "end_turn")
    rep = read_reply("openai", '{"choices": [{"message": {"content": "x", "reasoning_content": "r"},'
                               ' "finish_reason": "stop"}], "usage": {"prompt_tokens": 1, "completion_tokens": 2,'
                               ' "total_tokens": 3}}')
    assert (rep.text, rep.reasoning_text, rep.usage["total_tokens"]) == ("x", "r", 3)
    for body in ("<html>", "[]", '{"choices": []}', '{"choices": [{"message": {"content": 5}}]}'):
        with pytest.raises(MalformedResponse):
            read_reply("openai", body)
