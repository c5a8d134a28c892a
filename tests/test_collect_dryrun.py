"""--dry-run counts before spending; --models scopes a run; nothing empty is written.

Expected values are worked out by hand: 2 models x 2 languages x 2 replicates = 8 requests;
after a run restricted (--models) to one model, the dry run must show that model's 4
requests as stored and the other's 4 as to send. Token estimates are recomputed here from
the prompt text with the documented rule (4 ASCII characters or 1 other character per
token), and the cost from the config's prices.
"""
from __future__ import annotations

from fake_chat_server import FakeChatServer

from pyvalues.collect import load_config, plan_jobs
from pyvalues.collect.__main__ import main

CONFIG = """
[run]
languages = ["zh", "en"]
replicates = 2
timeout_s = 5

[generation]
max_tokens = 100
seed = 1

[providers.p]
kind = "openai"
base_url = "{base_url}"
api_key_env = "PYVALUES_DRY_KEY"
price_input_per_mtok = 2.0
price_output_per_mtok = 8.0

[[models]]
name = "GPT-x"
country = "US"
provider = "p"
model_id = "gx"

[[models]]
name = "Other"
country = "CN"
provider = "p"
model_id = "ot"
price_input_per_mtok = 0.5
price_output_per_mtok = 1.0
"""


def _tokens(text):
    n_ascii = sum(1 for c in text if ord(c) < 128)
    return -(-n_ascii // 4) + len(text) - n_ascii


def _row(out, name):
    line = next(ln for ln in out.splitlines() if ln.strip().startswith(name + " "))
    return line.split()


def test_dry_run_models_and_nothing_written(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PYVALUES_DRY_KEY", "sk-dry-run-key-0000")
    db = tmp_path / "d.sqlite"
    with FakeChatServer() as fake:
        cfg = tmp_path / "d.toml"
        cfg.write_text(CONFIG.format(base_url=fake.base_url))
        # dry run on an empty directory: nothing sent, nothing written
        assert main([str(cfg), "--store", str(db), "--dry-run"]) == 0
        out = capsys.readouterr().out
        assert fake.events == [] and sorted(p.name for p in tmp_path.iterdir()) == ["d.toml"]
        assert _row(out, "GPT-x")[4:7] == ["4", "0", "4"] and _row(out, "Other")[4:7] == ["4", "0", "4"]

        # a run of one model (glob, case-insensitive), then the dry run again
        assert main([str(cfg), "--store", str(db), "--models", "gpt-*", "--quiet"]) == 0
        assert {e["model"] for e in fake.events} == {"gx"} and len(fake.events) == 4
        capsys.readouterr()
        files = sorted(p.name for p in tmp_path.iterdir())
        assert main([str(cfg), "--store", str(db), "--dry-run"]) == 0
        out = capsys.readouterr().out
        assert len(fake.events) == 4 and sorted(p.name for p in tmp_path.iterdir()) == files
    gx, ot = _row(out, "GPT-x"), _row(out, "Other")
    assert gx[2] == "PYVALUES_DRY_KEY" and gx[3] == "set"
    assert gx[4:7] == ["4", "4", "0"] and ot[4:7] == ["4", "0", "4"]
    # Other: 4 prompts to send, tokens by the documented rule
    jobs = [j for j in plan_jobs(load_config(cfg)) if j.model.name == "Other"]
    want_in = sum(_tokens(j.prompt) for j in jobs)
    assert int(ot[7]) == want_in
    want_out = int(ot[8])
    assert int(ot[9]) == 4 * 100  # max_tokens x requests
    assert float(ot[10]) == round((want_in * 0.5 + want_out * 1.0) / 1e6, 4)
    assert float(ot[11]) == round((want_in * 0.5 + 400 * 1.0) / 1e6, 4)
    assert "total: 8 requests, 4 stored, 4 to send" in out
    assert "dry run: nothing was sent and no file was written." in out


def test_nothing_collected_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PYVALUES_DRY_KEY", raising=False)
    with FakeChatServer() as fake:
        cfg = tmp_path / "d.toml"
        cfg.write_text(CONFIG.format(base_url=fake.base_url))
        code = main([str(cfg), "--store", str(tmp_path / "out" / "d.sqlite"), "--quiet"])
        assert fake.events == []
    out, err = capsys.readouterr()
    assert code == 1
    assert "nothing was collected: no store, export, manifest or rank table written." in out
    assert "environment variable PYVALUES_DRY_KEY is not set" in out + err
    assert list((tmp_path / "out").iterdir()) == []


def test_help_states_store_default_and_exit_codes(capsys):
    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    out = capsys.readouterr().out
    assert "CONFIG_STEM.sqlite in the current directory" in out
    for code in ("0 ", "1 ", "2 ", "130"):
        assert f"\n  {code}" in out


def test_dry_run_names_batch_models_and_prices_them_at_half(tmp_path, monkeypatch, capsys):
    """A provider in batch mode: its models are listed as batch and priced at 50% of the
    configured rate (OpenAI's Batch API and Anthropic's Message Batches both bill half the
    standard price); the sync model keeps the full rate. Nothing is sent or written."""
    monkeypatch.setenv("PYVALUES_DRY_KEY", "sk-dry-run-key-0000")
    text = CONFIG.format(base_url="http://127.0.0.1:9/v1").replace(
        "[providers.p]", '[providers.b]\nkind = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n'
                         'api_key_env = "PYVALUES_DRY_KEY"\nmode = "batch"\n\n[providers.p]', 1).replace(
        'model_id = "gx"', 'model_id = "gx"\nprice_input_per_mtok = 2.0\nprice_output_per_mtok = 8.0', 1).replace(
        'provider = "p"\nmodel_id = "gx"', 'provider = "b"\nmodel_id = "gx"', 1)
    cfg = tmp_path / "b.toml"
    cfg.write_text(text)
    assert main([str(cfg), "--store", str(tmp_path / "b.sqlite"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.toml"]
    gx, ot = _row(out, "GPT-x"), _row(out, "Other")
    assert gx[1] == "b" and gx[-1] == "batch" and ot[-1] == "sync"
    jobs = plan_jobs(load_config(cfg))
    for row, name, (pin, pout) in ((gx, "GPT-x", (1.0, 4.0)), (ot, "Other", (0.5, 1.0))):
        want_in = sum(_tokens(j.prompt) for j in jobs if j.model.name == name)
        assert int(row[7]) == want_in
        assert float(row[10]) == round((want_in * pin + int(row[8]) * pout) / 1e6, 4)
        assert float(row[11]) == round((want_in * pin + 400 * pout) / 1e6, 4)
    assert "batch mode (1 of 2 models: GPT-x)" in out and "0.5 x the configured prices" in out
