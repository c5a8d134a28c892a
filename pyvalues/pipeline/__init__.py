"""The wiring of the stages: what the command lines run, on top of every stage.

Each stage below looks only back (:mod:`pyvalues._layers`); the steps that join two stages
live here:

* collection with the parser's follow-up (:func:`collect`), and the CLI's collect -> export
  -> parse -> rank table (:func:`collect_and_parse`, :func:`rank_table_from_jsonl`);
* the paper's reported values beside ours, an explicit step on a run's results
  (:func:`beside_paper`; ``python -m pyvalues.analysis`` takes it on the bundled paper
  reconstruction), so that :func:`pyvalues.analysis.run` returns the same tables for any data;
* one full set of results per prompt language (:func:`write_language_sets`);
* the command lines themselves (:mod:`pyvalues.pipeline.analysis_cli`,
  :mod:`pyvalues.pipeline.collect_cli`); each package's ``__main__`` delegates here.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from ..formulas import skip_reason

# The stages above collection are imported where they are used: collecting works where the
# parser is broken or absent, and the analysis CLI's own process never imports matplotlib
# (it embeds R; figure workers draw).

__all__ = ["beside_paper_tables", "collect", "collect_and_parse", "rank_table_from_jsonl", "beside_paper", "BESIDE_PAPER",
           "write_language_sets"]

# the name of the step in `skipped` when it cannot be taken on this data
BESIDE_PAPER = "reported values beside ours"


def collect(config, store_path=None, **kwargs):
    """:func:`pyvalues.collect.collect` with the parser's follow-up for the re-ask policy."""
    from ..collect import collect as _collect  # here: the analysis CLI imports this package, not HTTP

    if "followup" not in kwargs:
        from ..parse import followup_for_answer

        kwargs["followup"] = followup_for_answer
    return _collect(config, store_path, **kwargs)


def beside_paper_tables(results, claims=None) -> dict:
    """The tables :func:`beside_paper` adds: each table with a reported value, with its
    ``<col>_reported*`` / ``<col>_agrees`` columns, and ``paper_agreement``. It reads R's
    tables only, so the CLI computes it in a figure worker while this process goes on."""
    from ..crosscheck import reported_agreement, reported_beside

    beside = reported_beside(results, claims)
    results.tables.update(beside)
    return {**beside, "paper_agreement": reported_agreement(results, claims)}


def beside_paper(results, claims=None, *, job=None):
    """Put a paper's reported values beside ours: the ``<col>_reported*`` / ``<col>_agrees``
    columns in each table that has a reported value, and the ``paper_agreement`` table
    (:func:`pyvalues.crosscheck.reported_beside`, :func:`~pyvalues.crosscheck.reported_agreement`;
    `claims`: default the bundled paper's). Changes and returns `results`. `job`: a future of
    :func:`beside_paper_tables` already computing them (the CLI's figure workers).

    Its own error boundary, as each analysis family's: when it cannot be taken on these
    results, a row of ``skipped`` says why and the tables stand."""
    t = time.perf_counter()
    try:
        results.tables.update(job.result() if job is not None else beside_paper_tables(results, claims))
    except Exception as e:  # noqa: BLE001 - recorded in `skipped`, the other tables stand
        skipped = results.tables["skipped"]
        skipped.loc[len(skipped)] = [BESIDE_PAPER, skip_reason("not_computable"), f"{type(e).__name__}: {e}"]
    results.timings["beside_paper"] = time.perf_counter() - t
    return results


def rank_table_from_jsonl(jsonl_path, out_csv, *, policy: str = "drop", provenance: str | None = None):
    """Parse the exported attempts with pyvalues.parse and write the tidy rank table.

    Returns (rank_table, status_summary).
    """
    from .. import parse as parser
    from ..ranktable import write_rank_table

    parsed = parser.parse_responses(Path(jsonl_path))
    table = parser.to_rank_table(parsed, policy, provenance=provenance)
    write_rank_table(table, out_csv)
    return table, parser.status_summary(parsed)


def collect_and_parse(config_path, store_path=None, *, jsonl_path=None, ranktable_path=None, progress=True,
                      stream=None, parse: bool = True, incomplete_policy: str = "drop", models=None):
    """Collect (starting the bundled local server if the config asks for it), export, parse:
    what ``python -m pyvalues.collect`` runs.

    `models`: glob patterns on model names (``--models``); None: every enabled model.
    Returns (summary, jsonl_path or None, ranktable_path or None, parse status summary or None):
    nothing is written when nothing was collected (no attempt in the store: no store, JSONL,
    manifest; no answer: no rank table). Raises CollectInterrupted on Ctrl-C (the store keeps
    every attempt; the exports are written on the next run).
    """
    from ..collect import Store, default_store_path, export_jsonl, load_config, manifest_path, output_paths, select_models
    from ..collect.localserver import LocalServer

    config = select_models(load_config(config_path), models)
    store_path = Path(store_path or default_store_path(config, config_path))
    default_jsonl, default_csv = output_paths(store_path)
    jsonl_path = Path(jsonl_path or default_jsonl)
    ranktable_path = Path(ranktable_path or default_csv)
    stream = stream if stream is not None else sys.stderr
    existed = store_path.exists()

    servers, overrides = [], {}
    try:
        for pname, prov in config.providers.items():
            models_here = [m for m in config.enabled_models if m.provider == pname]
            if prov.local_server == "bundled" and models_here:
                stream.write(f"starting the local llama.cpp server for {[m.model_id for m in models_here]} ...\n")
                server = LocalServer(sorted({m.model_id for m in models_here})).start()
                servers.append(server)
                overrides[pname] = server.base_url
        summary = collect(config, store_path, progress=progress, stream=stream, base_url_overrides=overrides,
                          incomplete_policy=incomplete_policy)
    finally:
        for server in servers:
            server.stop()
    with Store(store_path) as st:
        n_attempts, n_ok = st.count(), st.count("ok")
    if n_attempts == 0:
        if not existed:  # this run created an empty store: leave nothing behind
            for p in (store_path, store_path.with_name(store_path.name + "-wal"),
                      store_path.with_name(store_path.name + "-shm"), manifest_path(store_path)):
                p.unlink(missing_ok=True)
        return summary, None, None, None
    export_jsonl(store_path, jsonl_path)
    status = None
    written = None
    if parse and n_ok:
        provenance = (f"collected by pyvalues.collect with {Path(config_path).name} "
                      f"(store {store_path.name}), parsed by pyvalues.parse")
        _, status = rank_table_from_jsonl(jsonl_path, ranktable_path, policy=incomplete_policy,
                                          provenance=provenance)
        written = ranktable_path
    return summary, jsonl_path, written, status


def write_language_sets(table, out, *, run_kwargs: dict, labels: str = "en",
                        figures: bool = True) -> list[tuple[str, object, int]]:
    """Run every analysis on each prompt language's rankings alone and write each full set
    (tables, results.rds, manifest, figures, report) into ``<out>/language_<code>/``.

    Returns ``(code, folder, number of CSV tables)`` per language. The pooled set is the
    caller's (the CLI writes it into ``<out>`` itself)."""
    from ..analysis import run
    from ..analysis.language import languages_of
    from ..figures import draw_all
    from ..report import write_report

    done = []
    for code in languages_of(table):
        results = run(table, language=code, **run_kwargs)
        folder = Path(out) / f"language_{code}"
        written = results.to_dir(folder)
        figs = None
        if figures:
            figs = draw_all(results, folder / "figures", language=labels)
        write_report(results, folder, figures=figs)
        done.append((code, folder, len([p for p in written if p.suffix == ".csv"])))
    return done
