"""No piece of an API key is ever written or printed, whatever a server echoes back.

Keys of each vendor's shape and length (OpenAI project key ``sk-proj-`` + 156 characters,
Anthropic ``sk-ant-api03-`` + 95, a generic 32-hex key), generated at random per test. The
loopback server repeats the request's headers -- the key among them -- in 4xx/5xx error
bodies after 200 characters of padding (so a 300-character cut of the message falls inside
the key), in a status line that is not HTTP (so the client's exception message holds them),
in a 200 body that is not JSON, and inside an answer's text. The run goes through the command
line (progress on), and then every file it wrote -- the store, its WAL (kept alive by a second
connection), the JSONL export, the rank table, the manifest -- and everything printed on
stdout and stderr is searched for every 8-character piece of the key: the expected count is 0.
"""
from __future__ import annotations

import secrets
import sqlite3
import string

import pytest
from fake_chat_server import FakeChatServer

from pyvalues.collect.__main__ import main
from pyvalues.collect.client import MIN_SECRET_PIECE, Redactor

ALNUM = string.ascii_letters + string.digits


def _rand(n, alphabet=ALNUM + "_-"):
    return "".join(secrets.choice(alphabet) for _ in range(n))


def openai_key():
    return "sk-proj-" + _rand(156)  # 164 characters, the length of current project keys


def anthropic_key():
    return "sk-ant-api03-" + _rand(93) + "AA"  # 108 characters


def hex_key():
    return secrets.token_hex(16)  # 32 hex characters (many OpenAI-compatible vendors)


def pieces(key, n=MIN_SECRET_PIECE):
    return {key[i:i + n] for i in range(len(key) - n + 1)}


def hits(key, blobs: dict[str, bytes]) -> dict[str, int]:
    """Pieces of `key` found per file/stream (only those with hits)."""
    out = {}
    ps = [p.encode() for p in pieces(key)]
    for name, blob in blobs.items():
        n = sum(1 for p in ps if p in blob)
        if n:
            out[name] = n
    return out


CONFIG = """
[run]
languages = ["zh", "en"]
replicates = 1
timeout_s = 5
max_attempts = 2
backoff_initial_s = 0.01
backoff_max_s = 0.05

[generation]
max_tokens = 64
seed = 3

[providers.p]
kind = "{kind}"
base_url = "{base_url}"
api_key_env = "PYVALUES_SECRET_KEY"
concurrency = 1

{models}
"""

BEHAVIOURS = ["echo500", "echo401", "echo400", "echo429", "echostatus", "echo200", "echook", "ok"]


def _models(names):
    return "\n".join(f'[[models]]\nname = "M {n}"\ncountry = "US"\nprovider = "p"\nmodel_id = "{n}"\n'
                     for n in names)


@pytest.mark.parametrize("kind, make_key", [("openai", openai_key), ("anthropic", anthropic_key),
                                            ("openai", hex_key)], ids=["openai-sk-proj", "anthropic", "hex32"])
def test_no_piece_of_the_key_anywhere(tmp_path, monkeypatch, capsys, kind, make_key):
    key = make_key()
    monkeypatch.setenv("PYVALUES_SECRET_KEY", key)
    db = tmp_path / "out" / "run.sqlite"
    cfg = tmp_path / "run.toml"
    with FakeChatServer(always={b: b for b in BEHAVIOURS}, expected_key=key, retry_after_s=0.05) as fake:
        cfg.write_text(CONFIG.format(kind=kind, base_url=fake.base_url, models=_models(BEHAVIOURS)))
        db.parent.mkdir()
        sqlite3.connect(db).execute("PRAGMA journal_mode=WAL").fetchone()
        keeper = sqlite3.connect(db)  # a second connection: the WAL stays on disk after the run closes its own
        keeper.execute("SELECT count(*) FROM sqlite_master").fetchone()
        code = main([str(cfg), "--store", str(db)])
        events = list(fake.events)
        wal = (db.parent / (db.name + "-wal")).read_bytes()
        keeper.close()
    out, err = capsys.readouterr()
    assert code == 1  # the echoing models fail; "ok" and "echook" answer
    # every behaviour was exercised, and the key really went to the server (so it could be echoed)
    assert {e["behaviour"] for e in events} == set(BEHAVIOURS)
    assert all(e["auth_ok"] for e in events)
    assert len(wal) > 0
    files = {p.name: p.read_bytes() for p in db.parent.iterdir()}
    assert {"run.sqlite", "run.jsonl", "run_ranktable.csv", "run_manifest.json"} <= set(files)
    files["run.sqlite-wal (while open)"] = wal
    files["stdout"], files["stderr"] = out.encode(), err.encode()
    assert hits(key, files) == {}, f"pieces of the key found (of {len(pieces(key))} checked)"
    # the echoes did arrive, redacted: the stored error bodies say so
    jsonl = files["run.jsonl"].decode()
    assert jsonl.count("[redacted]") >= 6 and "request headers were" in jsonl
    assert "STOPPED model 'M echo401'" in out + err


def test_redactor_removes_cut_and_split_keys():
    key = openai_key()
    r = Redactor([key])
    # a server that cut the key, a log line that split it, the key twice
    for text in (f"auth: Bearer {key[:60]}", f"...{key[100:]} end", f"{key[:40]}\n{key[40:]}", key + key):
        assert not any(p in r(text) for p in pieces(key)), text
    assert r(f"Bearer {key}") == "Bearer [redacted]"
    assert r("an answer with no secret") == "an answer with no secret"


@pytest.mark.parametrize("where", ["provider", "model"])
@pytest.mark.parametrize("make_key", [openai_key, anthropic_key, hex_key], ids=["openai", "anthropic", "hex32"])
def test_key_pasted_as_api_key_env_is_never_printed(tmp_path, capsys, where, make_key):
    key = make_key()
    with FakeChatServer() as fake:
        text = CONFIG.format(kind="openai", base_url=fake.base_url, models=_models(["a"]))
        if where == "provider":
            text = text.replace('api_key_env = "PYVALUES_SECRET_KEY"', f'api_key_env = "{key}"')
        else:
            text = text.replace('model_id = "a"', f'model_id = "a"\napi_key_env = "{key}"')
        cfg = tmp_path / "bad.toml"
        cfg.write_text(text)
        assert main([str(cfg), "--store", str(tmp_path / "s.sqlite")]) == 2
        assert main([str(cfg), "--dry-run"]) == 2
        assert fake.events == []
    out, err = capsys.readouterr()
    assert hits(key, {"stdout": out.encode(), "stderr": err.encode()}) == {}
    lines = err.strip().splitlines()
    assert len(lines) == 2 and lines[0] == lines[1]
    field = "[providers.p]" if where == "provider" else "[models #1 'M a']"
    assert field in lines[0] and "api_key_env must hold the NAME of an environment variable" in lines[0]
    assert not (tmp_path / "s.sqlite").exists()


def test_exception_text_with_the_key_is_redacted():
    """requests rejects a header value with a newline and quotes the value in its exception;
    the attempt's error (status "client", not retried) holds no piece of the key."""
    from pyvalues.collect.client import attempt_once
    from pyvalues.collect.providers import prepare

    key = openai_key()
    req = prepare("openai", "http://127.0.0.1:9/v1", "m", "hi", {})
    out = attempt_once("openai", req, key + "\nX", 2.0)
    assert out.status == "client" and "InvalidHeader" in out.error
    assert not any(p in out.error for p in pieces(key)) and "[redacted]" in out.error
