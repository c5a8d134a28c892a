"""Two wire formats: OpenAI-compatible chat completions and Anthropic's Messages API.

Each provider turns (model, prompt, generation parameters) into a URL and a JSON body, adds
the key to the headers (never to anything that is stored), and reads the assistant's text
and token usage out of a 200 response. A 200 whose body is not what the API documents is
"malformed" and raises :class:`MalformedResponse`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

__all__ = ["PreparedRequest", "Reply", "MalformedResponse", "prepare", "read_reply"]


class MalformedResponse(ValueError):
    """A 200 response whose body is not the JSON the API documents."""


@dataclass(frozen=True)
class PreparedRequest:
    url: str
    body: dict  # JSON body, no secrets: this is what the store records as `request`
    key_header: str  # name of the header that carries the key
    key_prefix: str  # "Bearer " or ""
    extra_headers: tuple = ()


@dataclass(frozen=True)
class Reply:
    text: str
    usage: dict
    finish_reason: str | None = None
    reasoning_text: str | None = None


def prepare(kind: str, base_url: str, model_id: str, prompt: str, params: dict,
            anthropic_version: str = "2023-06-01", history: list[dict] | None = None) -> PreparedRequest:
    """The request for `prompt` as the last user turn; `history`: earlier turns
    ({"role": "user"/"assistant", "content": str}, alternating, starting with "user") --
    a follow-up of the re-ask policy."""
    params = dict(params)
    turns = [{"role": t["role"], "content": t["content"]} for t in (history or [])] + \
            [{"role": "user", "content": prompt}]
    system = params.pop("system", None)
    extra = params.pop("extra_body", None) or {}
    if kind == "openai":
        messages = ([{"role": "system", "content": system}] if system else []) + \
                   turns
        body = {"model": model_id, "messages": messages, **params, **extra}
        return PreparedRequest(f"{base_url}/chat/completions", body, "Authorization", "Bearer ")
    if kind == "anthropic":
        params.pop("seed", None)  # the Messages API takes no seed
        body = {"model": model_id, "messages": turns, **params, **extra}
        if system:
            body["system"] = system
        url = base_url if base_url.endswith("/v1") else f"{base_url}/v1"
        return PreparedRequest(f"{url}/messages", body, "x-api-key", "",
                               (("anthropic-version", anthropic_version),))
    raise ValueError(f"unknown provider kind {kind!r}")


def read_reply(kind: str, raw_body: str) -> Reply:
    try:
        data = json.loads(raw_body)
    except ValueError as exc:
        raise MalformedResponse(f"body is not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise MalformedResponse(f"body is JSON {type(data).__name__}, not an object")
    if kind == "openai":
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise MalformedResponse("no choices[0] in the body")
        message = choices[0].get("message")
        if not isinstance(message, dict):
            raise MalformedResponse("no choices[0].message in the body")
        content = message.get("content")
        if isinstance(content, list):  # some servers return content parts
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        if content is not None and not isinstance(content, str):
            raise MalformedResponse(f"choices[0].message.content is {type(content).__name__}")
        reasoning = message.get("reasoning_content") or message.get("reasoning")
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        return Reply(content or "", {k: usage[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")
                                     if isinstance(usage.get(k), int)},
                     choices[0].get("finish_reason"), reasoning if isinstance(reasoning, str) else None)
    if kind == "anthropic":
        blocks = data.get("content")
        if not isinstance(blocks, list):
            raise MalformedResponse("no content list in the body")
        text = "".join(b.get("text", "") for b in blocks if isinstance(b, dict) and b.get("type") == "text")
        thinking = "".join(b.get("thinking", "") for b in blocks if isinstance(b, dict) and b.get("type") == "thinking")
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        u = {}
        if isinstance(usage.get("input_tokens"), int):
            u["prompt_tokens"] = usage["input_tokens"]
        if isinstance(usage.get("output_tokens"), int):
            u["completion_tokens"] = usage["output_tokens"]
        if u:
            u["total_tokens"] = sum(u.values())
        return Reply(text, u, data.get("stop_reason"), thinking or None)
    raise ValueError(f"unknown provider kind {kind!r}")


def error_message(raw_body: str, limit: int = 300) -> str:
    """The API's own error message from an error body, else the body's start."""
    try:
        data = json.loads(raw_body)
        err = data.get("error", data) if isinstance(data, dict) else data
        if isinstance(err, dict):
            msg = err.get("message") or err.get("msg") or json.dumps(err, ensure_ascii=False)
        else:
            msg = str(err)
    except ValueError:
        msg = raw_body
    msg = " ".join(str(msg).split())
    return msg[:limit] + ("..." if len(msg) > limit else "")
