"""Every bad config is one line on stderr and exit status 2, before any request is sent.

Each case starts from a config that works against a live loopback server (checked first),
breaks one thing, and runs the command: the server must see no request, stderr must be
exactly one line naming the file (and the table and key where there is one) with the
expected text, and no store may be created.
"""
from __future__ import annotations

import pytest
from fake_chat_server import FakeChatServer

from pyvalues.collect.__main__ import main

GOOD = """
[run]
languages = ["zh", "en"]
replicates = 1
timeout_s = 5
max_attempts = 2
backoff_initial_s = 0.01
backoff_max_s = 0.05

[generation]
max_tokens = 64

[providers.p]
kind = "openai"
base_url = "{base_url}"
concurrency = 1

[[models]]
name = "M"
country = "US"
provider = "p"
model_id = "m"
"""

CASES = {
    "timeout nan": (("timeout_s = 5", "timeout_s = nan"),
                    "[run]: timeout_s must be a finite number, got nan"),
    "timeout inf": (("timeout_s = 5", "timeout_s = inf"),
                    "[run]: timeout_s must be a finite number, got inf"),
    "timeout negative": (("timeout_s = 5", "timeout_s = -1"), "[run]: timeout_s must be > 0, got -1"),
    "backoff negative": (("backoff_initial_s = 0.01", "backoff_initial_s = -0.5"),
                         "[run]: backoff_initial_s must be >= 0, got -0.5"),
    "max_retry_after nan": (("max_attempts = 2", "max_attempts = 2\nmax_retry_after_s = nan"),
                            "[run]: max_retry_after_s must be a finite number, got nan"),
    "rpm inf": (("concurrency = 1", "concurrency = 1\nrequests_per_minute = inf"),
                "[providers.p]: requests_per_minute must be a finite number, got inf"),
    "temperature nan": (("max_tokens = 64", "max_tokens = 64\ntemperature = nan"),
                        "[generation]: temperature must be a finite number, got nan"),
    "url without scheme": (('base_url = "{base_url}"', 'base_url = "127.0.0.1:9/v1"'),
                           "[providers.p]: base_url must be an http:// or https:// URL with a host"),
    "url without host": (('base_url = "{base_url}"', 'base_url = "http:///v1"'),
                         "(no host)"),
    "url bad port": (('base_url = "{base_url}"', 'base_url = "http://localhost:port/v1"'),
                     "base_url must be an http:// or https:// URL with a host"),
    "model url without scheme": (('model_id = "m"', 'model_id = "m"\nbase_url = "localhost:8080/v1"'),
                                 "[models #1 'M']: base_url must be an http:// or https:// URL"),
    "key in url": (('base_url = "{base_url}"',
                    'base_url = "https://generativelanguage.googleapis.com/v1beta?key=AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW"'),
                   "[providers.p]: base_url contains something that looks like an API key (not shown)"),
    "unknown run key": (("timeout_s = 5", "timout_s = 5"), "[run]: unknown key 'timout_s' (did you mean 'timeout_s'?)"),
    "unknown provider key": (("concurrency = 1", "concurency = 1"),
                             "[providers.p]: unknown key 'concurency' (did you mean 'concurrency'?)"),
    "unknown model key": (('country = "US"', 'contry = "US"'), "unknown key 'contry' (did you mean 'country'?)"),
    "unknown provider name": (('provider = "p"', 'provider = "pp"'), "provider 'pp' is not defined (did you mean 'p'?)"),
    "missing [run]": (("[run]", "[xrun]"), None),  # replaced below: the whole table removed
    "batch poll zero": (("max_attempts = 2", 'max_attempts = 2\nmode = "batch"\nbatch_poll_s = 0'),
                        "[run]: batch_poll_s must be > 0, got 0"),
    "batch wait nan": (("max_attempts = 2", 'max_attempts = 2\nmode = "batch"\nbatch_wait_s = nan'),
                       "[run]: batch_wait_s must be a finite number"),
    "batch on local server": (("concurrency = 1", 'concurrency = 1\nlocal_server = "bundled"\nmode = "batch"'),
                              "[providers.p]: the bundled local server has no batch API"),
    "mode unknown": (("concurrency = 1", 'concurrency = 1\nmode = "async"'),
                     "[providers.p]: mode must be one of ['sync', 'batch']"),
}


def _write(tmp_path, base_url, change):
    text = GOOD.replace("{base_url}", base_url)
    old, new = change
    text = text.replace(old.replace("{base_url}", base_url), new)
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text, encoding="utf-8")
    return cfg


def _one_line_exit_2(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2
    assert out == "" and err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("error: ")
    return err.strip()


def test_the_good_config_runs(tmp_path, capsys):
    with FakeChatServer() as fake:
        cfg = _write(tmp_path, fake.base_url, ("", ""))
        assert main([str(cfg), "--store", str(tmp_path / "s.sqlite"), "--quiet"]) == 0
        assert len(fake.events) == 2


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_config_is_one_line_exit_2_no_request(tmp_path, capsys, case):
    change, needle = CASES[case]
    with FakeChatServer() as fake:
        if case == "missing [run]":
            text = GOOD.replace("{base_url}", fake.base_url)
            text = text[text.index("[generation]"):]
            cfg = tmp_path / "bad.toml"
            cfg.write_text(text)
            needle = "no [run] table; add one"
        else:
            cfg = _write(tmp_path, fake.base_url, change)
        msg = _one_line_exit_2([str(cfg), "--store", str(tmp_path / "s.sqlite")], capsys)
        assert fake.events == []
    assert needle in msg and str(cfg) in msg, msg
    assert "AIzaSy" not in msg and "Ab3d" not in msg
    assert not (tmp_path / "s.sqlite").exists()


def test_not_utf8_file(tmp_path, capsys):
    cfg = tmp_path / "latin1.toml"
    cfg.write_bytes(GOOD.replace("{base_url}", "http://127.0.0.1:9/v1").replace('"M"', '"Mod\xe8le"')
                    .encode("latin-1"))
    msg = _one_line_exit_2([str(cfg)], capsys)
    assert f"{cfg}: not UTF-8 text (byte 0xe8 at offset" in msg and "save the file as UTF-8" in msg


def test_directory_as_config(tmp_path, capsys):
    msg = _one_line_exit_2([str(tmp_path)], capsys)
    assert msg == (f"error: {tmp_path} is a directory, not a config file; pass the path of a TOML run config "
                   f"(see configs/paper-2026.toml for a complete example).")


def test_missing_file_and_bad_toml(tmp_path, capsys):
    assert "does not exist" in _one_line_exit_2([str(tmp_path / "nope.toml")], capsys)
    cfg = tmp_path / "syntax.toml"
    cfg.write_text("[run\nreplicates = 3\n")
    assert "not valid TOML" in _one_line_exit_2([str(cfg)], capsys)


def test_models_pattern_that_matches_nothing(tmp_path, capsys):
    cfg = _write(tmp_path, "http://127.0.0.1:9/v1", ("", ""))
    msg = _one_line_exit_2([str(cfg), "--models", "GPT*"], capsys)
    assert "--models 'GPT*' matches no model" in msg and "['M']" in msg
