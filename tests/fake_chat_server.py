"""A scripted OpenAI-compatible chat server on 127.0.0.1, for fault tests and benchmarks.

It answers ``POST /v1/chat/completions`` (and Anthropic-style ``POST /v1/messages``) after ``delay_s`` with a numbered list of the 25
terms in the order the prompt lists them, unless the script says otherwise. A script maps a
model id to the behaviours of the 1st, 2nd, ... time one request (same body) arrives; after
the list, the request succeeds. ``always`` maps a model id to one behaviour for every arrival.

Behaviours: ``ok``; ``429`` (with ``Retry-After: retry_after_s``); ``401``; any other three-digit
HTTP status (``500``, ``403``, ...); ``hang`` (say nothing for ``hang_s``); ``drop`` (send headers and part of
the body, then close the connection); ``malformed`` (200 with a body that is not JSON).

Header echoes (for the secrets tests: a careless server or proxy that repeats the request's
headers): ``echoNNN`` (HTTP NNN whose error message is ``echo_pad`` characters of padding, then
every request header, the key's first -- the key lands across a 300-character cut); ``echostatus`` (a status
line that is not HTTP and holds the headers, so the client's exception message carries them);
``echo200`` (200, body not JSON, holding the headers); ``echook`` (a valid answer whose text
repeats the headers after the ranking).

Refusals: ``refuse400`` (Azure/OpenAI shape: 400, ``code: content_filter``), ``policy400``
(400, ``code: content_policy_violation``), ``filter200`` (200 with ``finish_reason:
content_filter`` -- or, on ``/v1/messages``, ``stop_reason: refusal`` -- and a cut text).
``match`` maps a model id to (substring of the last user message, behaviour) pairs applied on
every arrival whose message contains the substring (e.g. refuse the Chinese prompt only).

``answers`` scripts the *content* of successful replies per model id, for the re-ask policy:
a list of answer kinds for the steps of one conversation (a conversation is identified by the
request body cut after its first user message; step 0 is that original request, step k the
k-th distinct request body that continues it, so a request resent after a crash gets the same
answer as before); after
the list, ``complete``. Kinds: ``complete`` (the numbered list of the prompt's terms),
``missing:TERM|TERM`` (that list without those canonical terms, renumbered), ``refuse``,
``unparseable``. ``followup_delay_s`` delays replies to requests that carry an assistant
turn (a follow-up), so a test can kill the client while a follow-up is in flight.

Every arrival is logged in ``events`` (monotonic time, model, request hash, behaviour,
whether the Authorization header carried the expected key, the messages) so tests can count from the
server's side what the client did.
"""
from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

if __name__ == "__main__":  # run as a script (benchmarks): import pyvalues from this checkout
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pyvalues.instrument import TERM_NAMES  # noqa: E402

__all__ = ["FakeChatServer", "ranking_reply"]


def ranking_reply(prompt: str, omit=()) -> str:
    """A numbered list of the canonical terms in the order the prompt lists them (without `omit`)."""
    positions = []
    for name in TERM_NAMES:
        i = prompt.find(f"\n{name}(")
        positions.append((i if i >= 0 else len(prompt), name))
    names = [name for _, name in sorted(positions) if name not in omit]
    return "\n".join(f"{k}. {name}" for k, name in enumerate(names, start=1))


REFUSAL_TEXT = "As an AI, I don't have personal values or preferences, so I cannot rank these words."
UNPARSEABLE_TEXT = "Sure."


def scripted_answer(kind: str, prompt: str) -> str:
    if kind == "complete":
        return ranking_reply(prompt)
    if kind.startswith("missing:"):
        omit = kind.split(":", 1)[1].split("|")
        unknown = [t for t in omit if t not in TERM_NAMES]
        if unknown:
            raise ValueError(f"answer kind {kind!r}: {unknown} are not canonical term names")
        return ranking_reply(prompt, omit)
    if kind == "refuse":
        return REFUSAL_TEXT
    if kind == "unparseable":
        return UNPARSEABLE_TEXT
    raise ValueError(f"unknown answer kind {kind!r}")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out in two writes; without TCP_NODELAY, Nagle + delayed ACK adds ~40 ms
    disable_nagle_algorithm = True
    server: "_Server"

    def log_message(self, *args):  # quiet
        pass

    def _send(self, code, body: bytes, headers=()):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, json.dumps({"object": "list", "data": []}).encode())
        else:
            self._send(404, b'{"error": {"message": "not found"}}')

    def do_POST(self):
        fake: FakeChatServer = self.server.fake
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n)
        try:
            body = json.loads(raw)
        except ValueError:
            self._send(400, b'{"error": {"message": "request body is not JSON"}}')
            return
        model = body.get("model", "")
        req_hash = hashlib.sha256(raw).hexdigest()[:16]
        anthropic = self.path.rstrip("/").endswith("/messages")
        if anthropic:
            auth_ok = fake.expected_key is None or (self.headers.get("x-api-key") == fake.expected_key
                                                    and bool(self.headers.get("anthropic-version")))
        else:
            auth_ok = fake.expected_key is None or self.headers.get("Authorization") == f"Bearer {fake.expected_key}"
        messages = body.get("messages") or []
        last_user = str(messages[-1].get("content", "")) if messages and isinstance(messages[-1], dict) else ""
        behaviour = fake._next_behaviour(model, req_hash, last_user)
        fake._log(model, req_hash, behaviour, auth_ok, messages)
        if behaviour == "ok" and not auth_ok:
            behaviour = "401"
        if behaviour.startswith("echo"):
            self._echo(behaviour, model, messages, anthropic)
            return
        if behaviour in ("refuse400", "policy400"):
            err = ({"message": "The response was filtered due to the prompt triggering Azure OpenAI's content "
                               "management policy.", "type": None, "param": "prompt", "code": "content_filter",
                    "status": 400} if behaviour == "refuse400" else
                   {"message": "Your request was rejected as a result of our safety system.",
                    "type": "invalid_request_error", "param": None, "code": "content_policy_violation"})
            self._send(400, json.dumps({"error": err}).encode())
            return
        if behaviour == "filter200":
            text = "1. Helpfulness\n2."
            if anthropic:
                payload = {"id": f"msg_{req_hash}", "type": "message", "role": "assistant", "model": model,
                           "content": [{"type": "text", "text": text}], "stop_reason": "refusal",
                           "usage": {"input_tokens": 10, "output_tokens": 3}}
            else:
                payload = {"id": f"chatcmpl-{req_hash}", "object": "chat.completion", "model": model,
                           "choices": [{"index": 0, "finish_reason": "content_filter",
                                        "message": {"role": "assistant", "content": text}}],
                           "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13}}
            self._send(200, json.dumps(payload).encode())
            fake._served_ok(model, req_hash)
            return
        if behaviour == "ok":
            if fake.delay_s:
                time.sleep(fake.delay_s)
            followup = any(m.get("role") == "assistant" for m in messages)
            if followup and fake.followup_delay_s:
                time.sleep(fake.followup_delay_s)
            prompt = messages[-1]["content"]
            # the original prompt: the first user turn (a follow-up's last turn is the re-ask)
            original = next((m["content"] for m in messages if m.get("role") == "user"), prompt)
            if model in fake.answers:
                text = scripted_answer(fake._answer_kind(model, body, req_hash), original)
            else:
                text = fake.reply(prompt) if fake.reply else ranking_reply(original)
            if anthropic:  # Anthropic Messages API response shape
                payload = {"id": f"msg_{req_hash}", "type": "message", "role": "assistant", "model": model,
                           "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
                           "usage": {"input_tokens": len(prompt) // 3, "output_tokens": len(text) // 3}}
                self._send(200, json.dumps(payload).encode())
                fake._served_ok(model, req_hash)
                return
            payload = {
                "id": f"chatcmpl-{req_hash}", "object": "chat.completion", "model": model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": text}}],
                "usage": {"prompt_tokens": len(prompt) // 3, "completion_tokens": len(text) // 3,
                          "total_tokens": len(prompt) // 3 + len(text) // 3},
            }
            self._send(200, json.dumps(payload).encode())
            fake._served_ok(model, req_hash)
        elif behaviour == "429":
            self._send(429, b'{"error": {"message": "rate limit reached", "type": "rate_limit"}}',
                       [("Retry-After", f"{fake.retry_after_s:g}")])
        elif behaviour in ("500", "503"):
            self._send(int(behaviour), b'{"error": {"message": "internal error"}}')
        elif behaviour == "401":
            self._send(401, b'{"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}')
        elif behaviour.isdigit() and len(behaviour) == 3:
            self._send(int(behaviour), json.dumps({"error": {"message": f"error {behaviour}"}}).encode())
        elif behaviour == "hang":
            time.sleep(fake.hang_s)
            self.close_connection = True
        elif behaviour == "drop":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "4000")
            self.end_headers()
            self.wfile.write(b'{"id": "x", "choices": [{"index": 0, "message": {"role": "assis')
            self.wfile.flush()
            self.close_connection = True
        elif behaviour == "malformed":
            self._send(200, b'{"id": "x", "choices": [{"index": 0, "message": <html>Bad gateway</html>')
        else:
            raise ValueError(f"unknown behaviour {behaviour!r}")


    def _echo(self, behaviour, model, messages, anthropic):
        fake: FakeChatServer = self.server.fake
        # the key-carrying header first, so that a 300-character cut of the message falls inside the key
        items = sorted(self.headers.items(), key=lambda kv: kv[0].lower() not in ("authorization", "x-api-key"))
        headers = "; ".join(f"{k}: {v}" for k, v in items)
        text = "x" * fake.echo_pad + " request headers were: " + headers
        if behaviour == "echostatus":
            # not an HTTP status line: http.client raises BadStatusLine with this line in its message
            self.wfile.write(f"HTTP/1.1 2xx {headers}\r\n\r\n".encode("latin-1", "replace"))
            self.wfile.flush()
            self.close_connection = True
        elif behaviour == "echo200":
            self._send(200, f"<html>proxy error; {text}</html>".encode())
        elif behaviour == "echook":
            original = next((m["content"] for m in messages if m.get("role") == "user"), "")
            answer = ranking_reply(original) + "\n\n(debug: " + headers + ")"
            if anthropic:
                payload = {"type": "message", "content": [{"type": "text", "text": answer}], "stop_reason": "end_turn",
                           "usage": {"input_tokens": 10, "output_tokens": 10}}
            else:
                payload = {"choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant", "content": answer}}],
                           "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}}
            self._send(200, json.dumps(payload).encode())
            fake._served_ok(model, "echook")
        else:
            code = int(behaviour[4:])
            self._send(code, json.dumps({"error": {"message": text, "type": "server_error"}}).encode())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class FakeChatServer:
    def __init__(self, *, script=None, always=None, delay_s=0.0, retry_after_s=1.0, hang_s=3.0,
                 expected_key=None, reply=None, answers=None, followup_delay_s=0.0, match=None, echo_pad=200):
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.always = dict(always or {})
        self.delay_s = delay_s
        self.retry_after_s = retry_after_s
        self.hang_s = hang_s
        self.expected_key = expected_key
        self.reply = reply
        self.answers = {k: list(v) for k, v in (answers or {}).items()}
        self.followup_delay_s = followup_delay_s
        self.match = {k: list(v) for k, v in (match or {}).items()}
        self.echo_pad = echo_pad
        # (model, hash of the conversation's original request) -> {follow-up body hash: step}
        self._steps: dict[tuple[str, str], dict[str, int]] = {}
        self.events: list[dict] = []
        self.ok_served: list[tuple[str, str]] = []
        self._seen: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._httpd = None
        self._thread = None

    def _next_behaviour(self, model, req_hash, last_user=""):
        with self._lock:
            for needle, behaviour in self.match.get(model, ()):
                if needle in last_user:
                    return behaviour
            if model in self.always:
                return self.always[model]
            k = self._seen.get((model, req_hash), 0)
            self._seen[(model, req_hash)] = k + 1
            steps = self.script.get(model, [])
            return steps[k] if k < len(steps) else "ok"

    def _answer_kind(self, model, body, req_hash):
        messages = body.get("messages") or []
        first_user = next((i for i, m in enumerate(messages) if m.get("role") == "user"), len(messages))
        if not any(m.get("role") == "assistant" for m in messages):
            step = 0
        else:
            start = dict(body, messages=messages[:first_user + 1])
            conv = (model, hashlib.sha256(json.dumps(start, sort_keys=True).encode("utf-8")).hexdigest()[:16])
            with self._lock:
                steps = self._steps.setdefault(conv, {})
                step = steps.setdefault(req_hash, len(steps) + 1)
        kinds = self.answers[model]
        return kinds[step] if step < len(kinds) else "complete"

    def _log(self, model, req_hash, behaviour, auth_ok, messages=()):
        with self._lock:
            self.events.append({"t": time.monotonic(), "model": model, "request": req_hash,
                                "behaviour": behaviour, "auth_ok": auth_ok, "messages": list(messages)})

    def _served_ok(self, model, req_hash):
        with self._lock:
            self.ok_served.append((model, req_hash))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> "FakeChatServer":
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv=None) -> int:
    """Serve a fake on a fixed port (for the SIGKILL test's child process and manual checks)."""
    import argparse

    ap = argparse.ArgumentParser(prog="python tests/fake_chat_server.py")
    ap.add_argument("--delay", type=float, default=0.0)
    args = ap.parse_args(argv)
    with FakeChatServer(delay_s=args.delay) as fake:
        print(fake.base_url, flush=True)
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
