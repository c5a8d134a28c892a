"""Loopback fakes of OpenAI's Batch API and Anthropic's Message Batches (test doubles only).

Shapes follow the providers' API references:

* OpenAI: ``POST /v1/files`` (multipart: ``purpose=batch``, ``file`` = JSONL of
  {custom_id, method, url, body}) -> file object; ``POST /v1/batches`` {input_file_id,
  endpoint, completion_window, metadata} -> batch object (``validating``); ``GET
  /v1/batches/{id}`` -> batch object (``in_progress``, then ``completed`` / ``expired`` /
  ``failed``, with ``output_file_id``, ``error_file_id`` and ``request_counts`` {total,
  completed, failed}); ``GET /v1/batches?limit&after`` -> list, newest first; ``GET
  /v1/files/{id}/content`` -> JSONL lines {id, custom_id, response: {status_code,
  request_id, body} | null, error: {code, message} | null}.
* Anthropic: ``POST /v1/messages/batches`` {requests: [{custom_id, params}]} -> message_batch
  (``processing_status`` in_progress); ``GET /v1/messages/batches/{id}`` (``ended`` with
  ``results_url``); ``GET /v1/messages/batches?limit&after_id`` -> {data, has_more,
  first_id, last_id}, newest first; ``GET {results_url}`` -> JSONL {custom_id, result:
  {type: succeeded, message} | {type: errored, error} | {type: expired} | {type: canceled}}.

A batch ends on its ``polls_to_end``-th GET. Each request's outcome comes from
``outcome(custom_id, n)`` -- n = how many times that custom id has been submitted, 1 for the
first -- "ok", "error", or a refusal in the shapes of the synchronous fake
(``tests/fake_chat_server.py``): "filter200" (OpenAI: a 200 answer with finish_reason
``content_filter``; Anthropic: a succeeded message with stop_reason ``refusal``; both with a
cut text) or "policy400" (OpenAI: a line of the error file with status 400, code
``content_policy_violation``; Anthropic: an ``errored`` result, ``invalid_request_error``
"Output blocked by content filtering policy"); the batches numbered in ``expire`` (1 = the first created) end
``expired`` with only their first ``expire_done`` requests processed; the OpenAI batches
numbered in ``invalid`` fail validation (status ``failed`` with ``errors``).

Counting, from the server's side: ``submissions[custom_id]`` (how often a custom id was put
in a created batch), ``live_resubmissions`` (a custom id submitted while another batch that
holds it is still running, or after it was answered), ``answers[custom_id]`` (successful
results served in an ended batch).

``echo_headers = {"create"|"poll": {n, ...}}``: those calls answer 500 with the request's
headers (the API key among them) in the error body, as a misconfigured proxy does.

``block = {"upload"|"create"|"poll"|"results": n}``: the n-th such call takes effect on the
server (file stored, batch created, poll counted, results file read), then the reply is held until ``release`` is set
-- so a test can SIGKILL the client in exactly that window (``blocked[kind]`` is set then).
"""
from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
import re
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from fake_chat_server import ranking_reply

CUSTOM_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # Anthropic's documented custom_id pattern


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat().replace("+00:00", "Z")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: "_Server"

    def log_message(self, *args):
        pass

    def _send(self, code, payload, content_type="application/json"):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, code, message, etype="invalid_request_error"):
        self._send(code, {"error": {"message": message, "type": etype}})

    def _auth_ok(self, anthropic: bool) -> bool:
        fake = self.server.fake
        if fake.expected_key is None:
            return True
        if anthropic:
            return self.headers.get("x-api-key") == fake.expected_key and bool(self.headers.get("anthropic-version"))
        return self.headers.get("Authorization") == f"Bearer {fake.expected_key}"

    def _hold(self, kind) -> bool:
        """True if this call is the one to block: the caller has applied its effect."""
        fake = self.server.fake
        with fake.lock:
            fake.calls[kind] += 1
            hit = fake.block.get(kind) == fake.calls[kind]
        if hit:
            fake.blocked[kind].set()
            fake.release.wait(60)
            self.close_connection = True
        return hit

    def _echo_error(self, kind) -> bool:
        """A 500 whose body echoes the request headers (the key among them), on the scripted calls."""
        fake = self.server.fake
        with fake.lock:
            fake.echo_calls[kind] += 1
            hit = fake.echo_calls[kind] in fake.echo_headers.get(kind, ())
        if hit:
            self._error(500, f"internal error; request headers were {dict(self.headers.items())}", "api_error")
        return hit

    def do_GET(self):
        fake = self.server.fake
        url = urlsplit(self.path)
        path, query = url.path.rstrip("/"), parse_qs(url.query)
        anthropic = path.startswith("/v1/messages/batches")
        if not self._auth_ok(anthropic):
            return self._error(401, "invalid x-api-key" if anthropic else "Incorrect API key provided",
                               "authentication_error")
        m = re.fullmatch(r"/v1/files/([\w-]+)/content", path)
        if m:
            f = fake.files.get(m.group(1))
            if f and f["purpose"] == "batch_output" and self._hold("results"):
                return
            return self._send(200, f["content"], "application/octet-stream") if f else self._error(404, "no such file")
        if path in ("/v1/batches", "/v1/messages/batches"):
            return self._send(200, fake._list(anthropic, query))
        m = re.fullmatch(r"/v1/messages/batches/([\w-]+)/results", path)
        if m:
            b = fake.batches.get(m.group(1))
            if not b or b["kind"] != "anthropic" or not b["ended"]:
                return self._error(404, "results not available")
            if self._hold("results"):
                return
            return self._send(200, b["results"].encode("utf-8"), "application/binary")
        m = re.fullmatch(r"/v1/(?:messages/)?batches/([\w-]+)", path)
        if m:
            if self._echo_error("poll"):
                return
            b = fake.batches.get(m.group(1))
            if b is None:
                return self._error(404, "no such batch")
            fake._poll(b, self._base())
            view = fake._view(b, self._base())
            if self._hold("poll"):
                return
            return self._send(200, view)
        self._error(404, f"no route GET {path}")

    def _base(self):
        return f"http://{self.headers.get('Host')}"

    def do_POST(self):
        fake = self.server.fake
        path = urlsplit(self.path).path.rstrip("/")
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n)
        anthropic = path.startswith("/v1/messages/batches")
        if not self._auth_ok(anthropic):
            return self._error(401, "invalid x-api-key" if anthropic else "Incorrect API key provided",
                               "authentication_error")
        if path == "/v1/files":
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + self.headers.get("Content-Type", "").encode() + b"\r\n\r\n" + raw)
            fields = {p.get_param("name", header="content-disposition"): p for p in msg.iter_parts()}
            if "file" not in fields or fields.get("purpose") is None:
                return self._error(400, "multipart body needs 'file' and 'purpose'")
            purpose = fields["purpose"].get_payload(decode=True).decode()
            if purpose != "batch":
                return self._error(400, f"purpose must be 'batch' for a batch input, got {purpose!r}")
            content = fields["file"].get_payload(decode=True)
            fobj = fake._add_file(content, fields["file"].get_filename() or "upload.jsonl", "batch")
            if self._hold("upload"):
                return
            return self._send(200, fobj)
        if path in ("/v1/batches", "/v1/messages/batches"):
            if self._echo_error("create"):
                return
            try:
                body = json.loads(raw)
            except ValueError:
                return self._error(400, "body is not JSON")
            if anthropic:
                err, b = fake._create_anthropic(body)
            else:
                err, b = fake._create_openai(body)
            if err:
                return self._error(400, err)
            view = fake._view(b, self._base())
            if self._hold("create"):
                return
            return self._send(200, view)
        self._error(404, f"no route POST {path}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request, client_address):
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):  # a killed client is expected
            super().handle_error(request, client_address)


class FakeBatchServer:
    def __init__(self, *, polls_to_end=2, outcome=None, expire=(), expire_done=0, expected_key=None,
                 block=None, echo_headers=None, invalid=()):
        self.polls_to_end = polls_to_end
        self.outcome = outcome or (lambda custom_id, n: "ok")
        self.expire = set(expire)
        self.expire_done = expire_done
        self.invalid = set(invalid)  # OpenAI batches (1 = the first created) that fail validation
        self.expected_key = expected_key
        self.block = dict(block or {})
        self.echo_headers = dict(echo_headers or {})
        self.blocked = {k: threading.Event() for k in ("upload", "create", "poll", "results")}
        self.release = threading.Event()
        self.calls: Counter = Counter()
        self.echo_calls: Counter = Counter()
        self.lock = threading.Lock()
        self.files: dict[str, dict] = {}
        self.batches: dict[str, dict] = {}
        self.order: list[str] = []  # batch ids, oldest first
        self.submissions: Counter = Counter()
        self.answers: Counter = Counter()
        self.live_resubmissions = 0
        self._httpd = None

    # ----- state
    def _add_file(self, content: bytes, filename: str, purpose: str) -> dict:
        with self.lock:
            fid = f"file-{len(self.files) + 1:04d}{hashlib.sha256(content).hexdigest()[:8]}"
            obj = {"id": fid, "object": "file", "bytes": len(content), "created_at": int(time.time()),
                   "filename": filename, "purpose": purpose}
            self.files[fid] = {**obj, "content": content}
        return obj

    def _register(self, kind, items, extra) -> dict:
        """items: [(custom_id, body)]. Counts submissions and live resubmissions."""
        with self.lock:
            n = len(self.order) + 1
            bid = (f"msgbatch_{n:04d}" if kind == "anthropic" else f"batch_{n:04d}") + uuid_hex(n)
            for cid, _ in items:
                if any(cid in o["items_by_id"] and (not o["ended"] or o["outcomes"].get(cid) == "ok")
                       for o in self.batches.values()):
                    self.live_resubmissions += 1
                self.submissions[cid] += 1
            b = {"id": bid, "kind": kind, "n": n, "created": time.time(), "polls": 0, "ended": False,
                 "items": items, "items_by_id": {c: body for c, body in items}, "outcomes": {},
                 "attempt_no": {c: self.submissions[c] for c, _ in items}, **extra}
            self.batches[bid] = b
            self.order.append(bid)
        return b

    def _create_openai(self, body):
        if body.get("endpoint") != "/v1/chat/completions" or body.get("completion_window") != "24h":
            return "endpoint must be /v1/chat/completions and completion_window 24h", None
        f = self.files.get(body.get("input_file_id"))
        if f is None:
            return f"no file {body.get('input_file_id')!r}", None
        meta = body.get("metadata") or {}
        if not isinstance(meta, dict) or len(meta) > 16 or any(len(k) > 64 or len(str(v)) > 512
                                                               for k, v in meta.items()):
            return "metadata: at most 16 pairs, keys <= 64 and values <= 512 characters", None
        items, errors = [], []
        for i, line in enumerate(f["content"].decode("utf-8").splitlines(), start=1):
            try:
                rec = json.loads(line)
            except ValueError:
                errors.append({"code": "invalid_json_line", "line": i, "message": "not JSON"})
                continue
            if rec.get("method") != "POST" or rec.get("url") != "/v1/chat/completions" or "body" not in rec:
                errors.append({"code": "invalid_request", "line": i, "message": "method/url/body"})
            items.append((rec.get("custom_id"), rec.get("body")))
        ids = [c for c, _ in items]
        if len(set(ids)) != len(ids) or not all(ids):
            errors.append({"code": "duplicate_custom_id", "line": None, "message": "custom_id must be unique"})
        if len(self.order) + 1 in self.invalid:
            errors.append({"code": "invalid_request", "line": 1, "message": "scripted validation failure"})
        if len({(b or {}).get("model") for _, b in items}) > 1:
            errors.append({"code": "mixed_models", "line": None, "message": "one model per batch"})
        b = self._register("openai", items if not errors else [], {
            "input_file_id": f["id"], "metadata": meta, "errors": errors, "status": "validating"})
        return None, b

    def _create_anthropic(self, body):
        reqs = body.get("requests")
        if not isinstance(reqs, list) or not reqs:
            return "requests: a non-empty list is required", None
        ids = [r.get("custom_id") for r in reqs]
        if not all(isinstance(c, str) and CUSTOM_ID_RE.match(c) for c in ids) or len(set(ids)) != len(ids):
            return "custom_id must match ^[a-zA-Z0-9_-]{1,64}$ and be unique within the batch", None
        for r in reqs:
            p = r.get("params") or {}
            if not (p.get("model") and isinstance(p.get("max_tokens"), int) and p.get("messages")):
                return "params needs model, max_tokens and messages", None
        return None, self._register("anthropic", [(r["custom_id"], r["params"]) for r in reqs], {})

    def _answer(self, kind, cid, body, n_batch):
        messages = body.get("messages") or []
        prompt = next((m["content"] for m in messages if m.get("role") == "user"), "")
        text = ranking_reply(prompt)
        rid = hashlib.sha256(f"{cid}:{n_batch}".encode()).hexdigest()[:12]
        if kind == "anthropic":
            return {"id": f"msg_{rid}", "type": "message", "role": "assistant", "model": body.get("model"),
                    "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
                    "usage": {"input_tokens": len(prompt) // 3, "output_tokens": len(text) // 3}}
        return {"id": f"chatcmpl-{rid}", "object": "chat.completion", "model": body.get("model"),
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
                "usage": {"prompt_tokens": len(prompt) // 3, "completion_tokens": len(text) // 3,
                          "total_tokens": len(prompt) // 3 + len(text) // 3}}

    def _poll(self, b, base):
        with self.lock:
            b["polls"] += 1
            if b["ended"]:
                return
            if b["kind"] == "openai" and b["status"] == "validating":
                if b["errors"]:
                    b.update(status="failed", ended=True, failed_at=int(time.time()))
                    return
                b["status"] = "in_progress"
            if b["polls"] < self.polls_to_end:
                return
            expired = b["n"] in self.expire
            out_lines, err_lines, results = [], [], []
            for i, (cid, body) in enumerate(b["items"]):
                if expired and i >= self.expire_done:
                    result = "expired"
                else:
                    result = self.outcome(cid, b["attempt_no"][cid])
                b["outcomes"][cid] = result
                rid = f"batch_req_{b['n']:04d}_{i:05d}"
                if result == "ok":
                    self.answers[cid] += 1
                    msg = self._answer(b["kind"], cid, body, b["n"])
                    if b["kind"] == "anthropic":
                        results.append({"custom_id": cid, "result": {"type": "succeeded", "message": msg}})
                    else:
                        out_lines.append({"id": rid, "custom_id": cid, "error": None,
                                          "response": {"status_code": 200, "request_id": rid, "body": msg}})
                elif result == "filter200":
                    msg = self._answer(b["kind"], cid, body, b["n"])
                    if b["kind"] == "anthropic":
                        msg.update(content=[{"type": "text", "text": "1. Helpfulness\n2."}], stop_reason="refusal")
                        results.append({"custom_id": cid, "result": {"type": "succeeded", "message": msg}})
                    else:
                        msg["choices"] = [{"index": 0, "finish_reason": "content_filter",
                                           "message": {"role": "assistant", "content": "1. Helpfulness\n2."}}]
                        out_lines.append({"id": rid, "custom_id": cid, "error": None,
                                          "response": {"status_code": 200, "request_id": rid, "body": msg}})
                elif result == "policy400":
                    if b["kind"] == "anthropic":
                        results.append({"custom_id": cid, "result": {"type": "errored", "error": {
                            "type": "error", "error": {"type": "invalid_request_error",
                                                       "message": "Output blocked by content filtering policy"}}}})
                    else:
                        err_lines.append({"id": rid, "custom_id": cid, "error": None, "response": {
                            "status_code": 400, "request_id": rid, "body": {"error": {
                                "message": "Your request was rejected as a result of our safety system.",
                                "type": "invalid_request_error", "param": None,
                                "code": "content_policy_violation"}}}})
                elif result == "error":
                    if b["kind"] == "anthropic":
                        results.append({"custom_id": cid, "result": {"type": "errored", "error": {
                            "type": "error", "error": {"type": "api_error", "message": "Internal server error"}}}})
                    else:
                        err_lines.append({"id": rid, "custom_id": cid, "error": None, "response": {
                            "status_code": 500, "request_id": rid,
                            "body": {"error": {"message": "The server had an error", "type": "server_error"}}}})
                else:  # expired
                    if b["kind"] == "anthropic":
                        results.append({"custom_id": cid, "result": {"type": "expired"}})
                    else:
                        err_lines.append({"id": rid, "custom_id": cid, "response": None, "error": {
                            "code": "batch_expired",
                            "message": "This request could not be executed before the completion window expired."}})
            b["ended"] = True
            b["ended_at"] = time.time()
            if b["kind"] == "anthropic":
                b["results"] = "".join(json.dumps(r) + "\n" for r in results)
                return
        for attr, lines in (("output_file_id", out_lines), ("error_file_id", err_lines)):
            if lines:
                b[attr] = self._add_file("".join(json.dumps(x) + "\n" for x in lines).encode(), f"{attr}.jsonl",
                                         "batch_output")["id"]
        b["status"] = "expired" if expired else "completed"

    def _view(self, b, base) -> dict:
        c = Counter(b["outcomes"].values())
        if b["kind"] == "anthropic":
            processing = 0 if b["ended"] else len(b["items"])
            return {"id": b["id"], "type": "message_batch",
                    "processing_status": "ended" if b["ended"] else "in_progress",
                    "request_counts": {"processing": processing, "succeeded": c["ok"] + c["filter200"],
                                       "errored": c["error"] + c["policy400"],
                                       "canceled": 0, "expired": c["expired"]},
                    "ended_at": _iso(b["ended_at"]) if b["ended"] else None, "created_at": _iso(b["created"]),
                    "expires_at": _iso(b["created"] + 86400), "cancel_initiated_at": None, "archived_at": None,
                    "results_url": f"{base}/v1/messages/batches/{b['id']}/results" if b["ended"] else None}
        return {"id": b["id"], "object": "batch", "endpoint": "/v1/chat/completions",
                "errors": {"object": "list", "data": b["errors"]} if b["errors"] else None,
                "input_file_id": b["input_file_id"], "completion_window": "24h", "status": b["status"],
                "output_file_id": b.get("output_file_id"), "error_file_id": b.get("error_file_id"),
                "created_at": int(b["created"]), "expires_at": int(b["created"]) + 86400,
                "request_counts": {"total": len(b["items"]), "completed": c["ok"] + c["filter200"],
                                   "failed": c["error"] + c["policy400"] + c["expired"]},
                "metadata": b["metadata"]}

    def _list(self, anthropic, query) -> dict:
        kind = "anthropic" if anthropic else "openai"
        limit = max(1, min(int((query.get("limit") or ["20"])[0]), 100))
        after = (query.get("after_id" if anthropic else "after") or [None])[0]
        with self.lock:
            ids = [i for i in reversed(self.order) if self.batches[i]["kind"] == kind]
        if after in ids:
            ids = ids[ids.index(after) + 1:]
        page = ids[:limit]
        data = [self._view(self.batches[i], "") for i in page]
        out = {"data": data, "has_more": len(ids) > limit, "first_id": page[0] if page else None,
               "last_id": page[-1] if page else None}
        if not anthropic:
            out["object"] = "list"
        return out

    # ----- server
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> "FakeBatchServer":
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self):
        self.release.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def uuid_hex(n: int) -> str:
    return hashlib.sha256(f"fake-batch-{n}-{time.time_ns()}".encode()).hexdigest()[:16]
