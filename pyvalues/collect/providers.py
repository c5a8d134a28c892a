"""Providers: one class per wire format (OpenAI-compatible chat completions, Anthropic Messages).

As inspect_ai's providers do, each class knows three things about its API:

* :meth:`Provider.prepare` -- turn (model, prompt, generation parameters, earlier turns)
  into a URL, a JSON body and the name of the header that carries the key (the key itself
  is added by the client at send time and never enters anything that is stored);
* :meth:`Provider.read_reply` -- read the assistant's text, reasoning, token usage and stop
  reason out of a 200 body (a 200 whose body is not what the API documents raises
  :class:`MalformedResponse`);
* :meth:`Provider.should_retry` and :meth:`Provider.refusal` -- decide what an answer or an
  error means: retry (rate limits, 5xx, timeouts), stop the model (bad key, bad request), or
  record the request as ``refused`` (a content-filter / safety refusal: an outcome, not a
  failure; the model's other requests go on).

A new vendor with its own wire format is one subclass registered in :data:`PROVIDERS`.
The functions :func:`prepare` and :func:`read_reply` (``kind`` = ``"openai"`` or
``"anthropic"``) are kept as thin adapters over the classes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

__all__ = ["PreparedRequest", "Reply", "MalformedResponse", "Provider", "OpenAIProvider",
           "AnthropicProvider", "PROVIDERS", "provider_for", "prepare", "read_reply", "error_message",
           "RETRYABLE_4XX"]

# 4xx statuses that may succeed when sent again (timeout, conflict, too early, rate limit)
RETRYABLE_4XX = frozenset({408, 409, 425, 429})


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


def _json_object(raw_body: str) -> dict:
    try:
        data = json.loads(raw_body)
    except ValueError as exc:
        raise MalformedResponse(f"body is not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise MalformedResponse(f"body is JSON {type(data).__name__}, not an object")
    return data


def _error_fields(raw_body: str | None) -> tuple[str, str, str]:
    """(code, type, message) of an error body, lower-cased; empty strings where absent."""
    try:
        data = json.loads(raw_body or "")
    except ValueError:
        return "", "", (raw_body or "").lower()
    err = data.get("error", data) if isinstance(data, dict) else data
    if not isinstance(err, dict):
        return "", "", str(err).lower()
    inner = err.get("innererror") if isinstance(err.get("innererror"), dict) else {}
    code = " ".join(str(x) for x in (err.get("code"), inner.get("code")) if x is not None)
    return code.lower(), str(err.get("type") or "").lower(), str(err.get("message") or "").lower()


class Provider:
    """One wire format. Subclasses set ``kind`` and implement prepare/read_reply."""

    kind = ""
    API_NAME = ""
    #: generation parameters the API requires (checked when the config is read)
    REQUIRED_GENERATION: tuple = ()
    #: error codes/types (lower case) of a content-policy refusal in a 4xx body
    REFUSAL_CODES: frozenset = frozenset()
    #: phrases (lower case) of a content-policy refusal in a 4xx error message
    REFUSAL_MESSAGES: tuple = ()
    #: stop reasons of a 200 reply that mean the provider refused or filtered the answer
    REFUSAL_STOP_REASONS: frozenset = frozenset()

    def __init__(self, anthropic_version: str = "2023-06-01"):
        self.anthropic_version = anthropic_version

    def __repr__(self):
        return f"{type(self).__name__}()"

    # -- requests -------------------------------------------------------------------------
    def prepare(self, base_url: str, model_id: str, prompt: str, params: dict,
                history: list[dict] | None = None) -> PreparedRequest:
        """The request for `prompt` as the last user turn; `history`: earlier turns
        ({"role": "user"/"assistant", "content": str}, alternating, starting with "user") --
        a follow-up of the re-ask policy."""
        raise NotImplementedError

    @staticmethod
    def _turns(prompt, history):
        return [{"role": t["role"], "content": t["content"]} for t in (history or [])] + \
               [{"role": "user", "content": prompt}]

    # -- replies --------------------------------------------------------------------------
    def read_reply(self, raw_body: str) -> Reply:
        raise NotImplementedError

    def should_retry(self, http_status: int) -> bool:
        """Whether a non-200 status may succeed when the same request is sent again."""
        return http_status >= 500 or http_status in RETRYABLE_4XX

    def refusal(self, http_status: int | None, raw_body: str | None, reply: Reply | None = None) -> str | None:
        """Why this answer is a provider's refusal (content filter / safety), or None.

        A 200 whose stop reason is a refusal; a 4xx whose error code or message is the
        provider's content-policy error. Retrying cannot change either: the request is
        stored as ``refused`` and the model's other requests go on.
        """
        if http_status == 200 and reply is not None:
            if (reply.finish_reason or "").lower() in self.REFUSAL_STOP_REASONS:
                return f"the provider stopped the answer (stop reason {reply.finish_reason!r})"
            return None
        if http_status is None or not 400 <= http_status < 500:
            return None
        code, typ, message = _error_fields(raw_body)
        hits = [c for c in self.REFUSAL_CODES if c in code.split() or c == typ]
        if hits:
            return f"HTTP {http_status} content-policy error ({hits[0]})"
        phrase = next((p for p in self.REFUSAL_MESSAGES if p in message), None)
        if phrase:
            return f"HTTP {http_status} content-policy error ({phrase!r} in the message)"
        return None


class OpenAIProvider(Provider):
    """OpenAI chat completions and the many vendors that serve the same format."""

    kind = "openai"
    API_NAME = "OpenAI chat completions API"
    # OpenAI / Azure OpenAI ("content_filter", "content_policy_violation",
    # "ResponsibleAIPolicyViolation"), Moonshot (type "content_filter"), DashScope
    # ("data_inspection_failed"), Zhipu (code 1301, unsafe or sensitive content)
    REFUSAL_CODES = frozenset({"content_filter", "content_policy_violation", "responsibleaipolicyviolation",
                               "data_inspection_failed", "1301"})
    REFUSAL_MESSAGES = ("content management policy", "content policy", "content filter",
                        "safety system", "inappropriate content")
    REFUSAL_STOP_REASONS = frozenset({"content_filter"})

    def prepare(self, base_url, model_id, prompt, params, history=None):
        params = dict(params)
        system = params.pop("system", None)
        extra = params.pop("extra_body", None) or {}
        messages = ([{"role": "system", "content": system}] if system else []) + self._turns(prompt, history)
        body = {"model": model_id, "messages": messages, **params, **extra}
        return PreparedRequest(f"{base_url}/chat/completions", body, "Authorization", "Bearer ")

    def read_reply(self, raw_body):
        data = _json_object(raw_body)
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


class AnthropicProvider(Provider):
    """Anthropic's Messages API."""

    kind = "anthropic"
    API_NAME = "Anthropic Messages API"
    REQUIRED_GENERATION = ("max_tokens",)
    REFUSAL_CODES = frozenset()
    # "Output blocked by content filtering policy" (invalid_request_error)
    REFUSAL_MESSAGES = ("content filtering policy", "usage policy")
    REFUSAL_STOP_REASONS = frozenset({"refusal"})

    def prepare(self, base_url, model_id, prompt, params, history=None):
        params = dict(params)
        system = params.pop("system", None)
        extra = params.pop("extra_body", None) or {}
        params.pop("seed", None)  # the Messages API takes no seed
        body = {"model": model_id, "messages": self._turns(prompt, history), **params, **extra}
        if system:
            body["system"] = system
        url = base_url if base_url.endswith("/v1") else f"{base_url}/v1"
        return PreparedRequest(f"{url}/messages", body, "x-api-key", "",
                               (("anthropic-version", self.anthropic_version),))

    def read_reply(self, raw_body):
        data = _json_object(raw_body)
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


#: provider kind (the config's ``kind``) -> class
PROVIDERS: dict[str, type[Provider]] = {"openai": OpenAIProvider, "anthropic": AnthropicProvider}


def provider_for(kind: str, anthropic_version: str = "2023-06-01") -> Provider:
    try:
        cls = PROVIDERS[kind]
    except KeyError:
        raise ValueError(f"unknown provider kind {kind!r}; known: {sorted(PROVIDERS)}") from None
    return cls(anthropic_version=anthropic_version)


# -- function-level adapters (the interface before the provider classes) -----------------
def prepare(kind: str, base_url: str, model_id: str, prompt: str, params: dict,
            anthropic_version: str = "2023-06-01", history: list[dict] | None = None) -> PreparedRequest:
    """``provider_for(kind, anthropic_version).prepare(base_url, model_id, prompt, params, history)``."""
    return provider_for(kind, anthropic_version).prepare(base_url, model_id, prompt, params, history)


def read_reply(kind: str, raw_body: str) -> Reply:
    """``provider_for(kind).read_reply(raw_body)``."""
    return provider_for(kind).read_reply(raw_body)


def error_message(raw_body: str, limit: int = 300) -> str:
    """The API's own error message from an error body, else the body's start.

    Truncates: pass a body that is already redacted (:class:`pyvalues.collect.client.Redactor`).
    """
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
