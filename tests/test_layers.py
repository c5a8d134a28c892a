"""Stages that only look back: every import of every module (inside functions too) against the
one order declared in :mod:`pyvalues._layers` (``BELOW``).

The rule for entry points: a package's ``__main__`` is the ``python -m`` door, not a library
module; it counts as the top (``pipeline``) layer and may delegate up to it, and no module may
import a ``__main__``.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pyvalues import _layers as L

ROOT = Path(__file__).resolve().parents[1]


def test_every_import_looks_back():
    assert L.violations() == []


def test_the_declared_order_is_a_dag_with_pipeline_on_top():
    # acyclic: no stage reaches itself through what it may import
    for stage, below in L.BELOW.items():
        for b in below:
            assert stage not in L.allowed(b), f"{stage} and {b} reach each other"
    assert set(L.allowed("pipeline")) == set(L.BELOW)
    assert L.allowed("base") == {"base"}
    # every stage named in STAGE_OF is declared, and every package module has a stage
    assert set(L.STAGE_OF.values()) <= set(L.BELOW)
    for pkg in L.PACKAGES:
        for p in (ROOT / pkg).rglob("*.py"):
            assert L.stage_of(L.module_name(p)) is not None, p


def test_the_order_the_issue_asks_for():
    # written out by hand from issue 15: no stage reaches one after it
    assert "analysis" not in L.allowed("results")
    for lower in ("figures", "report", "crosscheck"):
        assert lower not in L.allowed("analysis")
        assert "analysis" not in L.allowed(lower)
        assert "results" in L.allowed(lower)
    for later in ("parse", "ranktable"):
        assert later not in L.allowed("collect")
    assert "figures" not in L.allowed("crosscheck") and "crosscheck" not in L.allowed("figures")


def test_a_back_import_is_reported_with_module_line_and_stages():
    sources = {
        # a library module of collect reaching forward into parse, inside a function
        "pyvalues.collect.fake": ("import json\n\n\ndef f():\n    from ..parse import parse_ranking\n", False),
        # figures reaching the analysis engine with an absolute import
        "pyvalues.figures.fake": ("from pyvalues.analysis import run\n", False),
        # a relative import of a package's parent: results importing analysis
        "pyvalues.results": ("from ..analysis import twins\n", True),
        # importing an entry point
        "pyvalues.report.fake": ("import pyvalues.collect.__main__\n", False),
        # allowed: analysis reads results; a __main__ delegates up
        "pyvalues.analysis.fake": ("from ..results import Results\n", False),
        "pyvalues.analysis.__main__": ("from ..pipeline.analysis_cli import main\n", False),
    }
    bad = L.violations(L.edges(sources=sources))
    assert bad == [
        "pyvalues.collect.fake:5 imports pyvalues.parse: collect may not import parse (collect reaches only base)",
        "pyvalues.figures.fake:1 imports pyvalues.analysis: figures may not import analysis "
        "(figures reaches only base, rbridge, results)",
        "pyvalues.report.fake:1 imports pyvalues.collect.__main__: a __main__ is an entry point, not a library",
        "pyvalues.results:1 imports pyvalues.analysis: results may not import analysis (results reaches only "
        "base, rbridge)",
    ]


def test_the_graph_printer_lists_stage_edges_and_exits_0():
    out = subprocess.run([sys.executable, "-m", "pyvalues._layers"], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert "  figures -> results: pyvalues.figures, pyvalues.figures.language" in lines
    assert not any(ln.startswith("  figures -> analysis") for ln in lines)
    assert lines[-1] == "0 import(s) against the order"


def test_analysis_run_does_not_import_report_figures_or_crosscheck():
    code = ("import sys, pyvalues.analysis, pyvalues.collect; "
            "print(sorted(m for m in sys.modules if m.split('.')[:2] in (['pyvalues', 'report'], "
            "['pyvalues', 'figures'], ['pyvalues', 'crosscheck'], ['pyvalues', 'parse'], ['pyvalues', 'pipeline'])))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
