"""Provider classes: the request each builds, what each reads from a reply, what each retries
or treats as a refusal -- checked against the bodies the vendors document (hand-written here),
and the function adapters (`prepare`, `read_reply`) give the same as the classes."""
from __future__ import annotations

import json

import pytest

from pyvalues.collect.providers import (PROVIDERS, AnthropicProvider, OpenAIProvider, Reply, prepare,
                                        provider_for, read_reply)


def test_registry_and_adapters_agree():
    assert set(PROVIDERS) == {"openai", "anthropic"}
    for kind in PROVIDERS:
        p = provider_for(kind, "2023-06-01")
        a = prepare(kind, "https://x.test/v1", "m", "hi", {"max_tokens": 5, "seed": 3, "system": "s"})
        b = p.prepare("https://x.test/v1", "m", "hi", {"max_tokens": 5, "seed": 3, "system": "s"})
        assert a == b
    with pytest.raises(ValueError, match="unknown provider kind 'gemini'"):
        provider_for("gemini")


def test_requests_as_the_apis_document_them():
    o = OpenAIProvider().prepare("https://api.openai.com/v1", "gpt-4.1", "rank", {"max_tokens": 9, "seed": 2},
                                 history=[{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}])
    assert o.url == "https://api.openai.com/v1/chat/completions"
    assert o.body == {"model": "gpt-4.1", "max_tokens": 9, "seed": 2, "messages": [
        {"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}, {"role": "user", "content": "rank"}]}
    assert (o.key_header, o.key_prefix) == ("Authorization", "Bearer ")
    a = AnthropicProvider("2023-06-01").prepare("https://api.anthropic.com", "claude", "rank",
                                                {"max_tokens": 9, "seed": 2, "system": "be brief"})
    assert a.url == "https://api.anthropic.com/v1/messages"
    assert a.body == {"model": "claude", "max_tokens": 9, "system": "be brief",
                      "messages": [{"role": "user", "content": "rank"}]}  # no seed in the Messages API
    assert (a.key_header, a.key_prefix, a.extra_headers) == ("x-api-key", "", (("anthropic-version", "2023-06-01"),))


def test_refusals_in_each_documented_shape():
    o, a = OpenAIProvider(), AnthropicProvider()
    azure = json.dumps({"error": {"message": "The response was filtered due to the prompt triggering Azure "
                                             "OpenAI's content management policy.", "code": "content_filter",
                                  "param": "prompt", "status": 400}})
    openai_policy = json.dumps({"error": {"message": "Your request was rejected as a result of our safety system.",
                                          "type": "invalid_request_error", "code": "content_policy_violation"}})
    bad_param = json.dumps({"error": {"message": "Unsupported parameter: 'max_tokens'", "code": "unsupported_parameter",
                                      "type": "invalid_request_error"}})
    assert "content_filter" in o.refusal(400, azure)
    assert "content_policy_violation" in o.refusal(400, openai_policy)
    assert o.refusal(400, bad_param) is None  # an invalid request is not a refusal: the model stops
    assert o.refusal(500, azure) is None  # only 4xx are refusals; 5xx are retried
    assert o.refusal(200, "{}", Reply("1. Logic", {}, "content_filter")) is not None
    assert o.refusal(200, "{}", Reply("1. Logic", {}, "stop")) is None
    assert a.refusal(200, "{}", Reply("", {}, "refusal")) is not None
    assert a.refusal(200, "{}", Reply("x", {}, "end_turn")) is None
    anth_blocked = json.dumps({"type": "error", "error": {"type": "invalid_request_error",
                                                          "message": "Output blocked by content filtering policy"}})
    assert a.refusal(400, anth_blocked) is not None
    body = json.dumps({"content": [{"type": "text", "text": "No."}], "stop_reason": "refusal",
                       "usage": {"input_tokens": 7, "output_tokens": 2}})
    r = read_reply("anthropic", body)
    assert (r.text, r.finish_reason, r.usage) == ("No.", "refusal", {"prompt_tokens": 7, "completion_tokens": 2,
                                                                      "total_tokens": 9})


def test_should_retry():
    p = OpenAIProvider()
    assert [c for c in (400, 401, 403, 404, 408, 409, 422, 425, 429, 500, 503, 529) if p.should_retry(c)] == \
        [408, 409, 425, 429, 500, 503, 529]
