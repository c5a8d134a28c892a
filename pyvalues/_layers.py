"""The stages of pyvalues and the one direction their imports may take.

``python -m pyvalues._layers`` prints every import edge between two stages (``stage -> stage
via module``, imports inside functions included) and any edge the order below forbids;
``tests/test_layers.py`` fails on one; ``--lines`` prints the lines per stage.

The order, declared once in :data:`BELOW` (a stage may import itself and what its entries
reach, transitively):

    base        errors, instrument, schema, formulas, progress, the package root, this file
    ranktable   the rank table's contract (columns, validate, read/write): what parse
                writes and analysis reads, as schema declares the output tables
    collect     HTTP, store, manifest                         -> base
    parse       answer text -> ranking -> rank table          -> ranktable
    datasets    the bundled rank tables                       -> ranktable
    rbridge     R through rpy2                                -> base
    results     the Results object and reading its tables     -> rbridge
    analysis    the statistics (R) and their Python twins     -> results, datasets
    crosscheck  a paper's claims beside a run's results       -> results
    figures     matplotlib (figure_workers is its renderer)   -> results
    report      HTML                                          -> figures
    reconstruct pyvalues_reconstruct, a tool of its own       -> crosscheck
    pipeline    the CLI wiring of every stage, the explicit "paper beside ours" step -> all

Entry points: a package's ``__main__`` is the ``python -m`` door, never a library import;
it counts as ``pipeline`` (and may delegate up to it). No module may import a ``__main__``.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pyvalues", "pyvalues_reconstruct")

# module (dotted, longest prefix wins) -> stage
STAGE_OF = {
    "pyvalues": "base",
    "pyvalues.errors": "base",
    "pyvalues.instrument": "base",
    "pyvalues.schema": "base",
    "pyvalues.formulas": "base",
    "pyvalues.progress": "base",
    "pyvalues._layers": "base",
    "pyvalues.ranktable": "ranktable",
    "pyvalues.collect": "collect",
    "pyvalues.parse": "parse",
    "pyvalues.datasets": "datasets",
    "pyvalues.rbridge": "rbridge",
    "pyvalues.results": "results",
    "pyvalues.analysis": "analysis",
    "pyvalues.crosscheck": "crosscheck",
    "pyvalues.figures": "figures",
    "pyvalues.figure_workers": "figures",
    "pyvalues.report": "report",
    "pyvalues_reconstruct": "reconstruct",
    "pyvalues.pipeline": "pipeline",
}

# stage -> the stages directly below it (what it may import is the transitive closure)
BELOW = {
    "base": (),
    "ranktable": ("base",),
    "collect": ("base",),
    "parse": ("ranktable",),
    "datasets": ("ranktable",),
    "rbridge": ("base",),
    "results": ("rbridge",),
    "analysis": ("results", "datasets"),
    "crosscheck": ("results",),
    "figures": ("results",),
    "report": ("figures",),
    "reconstruct": ("crosscheck",),
    "pipeline": ("collect", "parse", "analysis", "crosscheck", "report", "reconstruct"),
}


def allowed(stage: str) -> set[str]:
    """The stages `stage` may import: itself and everything below it."""
    seen, todo = {stage}, list(BELOW[stage])
    while todo:
        s = todo.pop()
        if s not in seen:
            seen.add(s)
            todo.extend(BELOW[s])
    return seen


def stage_of(module: str) -> str | None:
    """The stage of a dotted module name (None: not ours). ``__main__`` modules are pipeline."""
    if module.split(".")[-1] == "__main__":
        return "pipeline"
    parts = module.split(".")
    for k in range(len(parts), 0, -1):
        hit = STAGE_OF.get(".".join(parts[:k]))
        if hit:
            return hit
    return None


def module_name(path: Path, root: Path = ROOT) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(source: str, module: str, is_package: bool = False) -> list[tuple[str, int]]:
    """Every module `source` imports (absolute dotted name, line), at any depth of the code.

    ``from . import x`` is read as the submodule ``package.x`` (it may be one) so that a
    relative import of a sibling stage is seen."""
    tree = ast.parse(source)
    package = module if is_package else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.append((target, node.lineno))
            out += [(f"{target}.{a.name}", node.lineno) for a in node.names if a.name != "*"]
    return out


def edges(root: Path = ROOT, sources: dict[str, tuple[str, bool]] | None = None):
    """Import edges between two different stages: ``(from_stage, to_stage, module, imported, line)``.

    `sources`: module name -> (source text, is_package); default: every ``.py`` file of
    :data:`PACKAGES` under `root`."""
    if sources is None:
        sources = {}
        for pkg in PACKAGES:
            for p in sorted((root / pkg).rglob("*.py")):
                sources[module_name(p, root)] = (p.read_text(encoding="utf-8"), p.name == "__init__.py")
    out = set()
    for module, (text, is_package) in sources.items():
        src_stage = stage_of(module)
        for imported, line in imports_of(text, module, is_package):
            dst = stage_of(imported)
            if dst is None:
                continue
            # "from pyvalues import x": the package root imports nothing below; x decides
            if imported in ("pyvalues",) and dst == "base":
                continue
            if imported.split(".")[-1] == "__main__":
                out.add((src_stage, "__main__", module, imported, line))
            elif dst != src_stage:
                out.add((src_stage, dst, module, imported, line))
    return sorted(out)


def violations(found=None) -> list[str]:
    """The edges the order forbids, one line per import statement (empty: every import looks back)."""
    found = edges() if found is None else found
    by_stmt: dict[tuple, list[str]] = {}
    for src, dst, module, imported, line in found:
        by_stmt.setdefault((module, line, src, dst), []).append(imported)
    bad = []
    for (module, line, src, dst), names in sorted(by_stmt.items()):
        what = min(names, key=len)  # the module itself, not each name taken from it
        if dst == "__main__":
            bad.append(f"{module}:{line} imports {what}: a __main__ is an entry point, not a library")
        elif dst not in allowed(src):
            bad.append(f"{module}:{line} imports {what}: {src} may not import {dst} "
                       f"({src} reaches only {', '.join(sorted(allowed(src) - {src})) or 'nothing'})")
    return bad


def graph(found=None) -> list[str]:
    """``from -> to: module, module, ...`` per pair of stages (imports of a stage's submodules
    folded into one name per importing module)."""
    found = edges() if found is None else found
    by_pair: dict[tuple[str, str], set[str]] = {}
    for src, dst, module, _imported, _line in found:
        by_pair.setdefault((src, dst), set()).add(module)
    return [f"{s} -> {d}: {', '.join(sorted(m))}" for (s, d), m in sorted(by_pair.items())]


def lines_per_stage(root: Path = ROOT) -> dict[str, tuple[int, int]]:
    """stage -> (files, lines) of its ``.py`` files (``wc -l``'s count)."""
    out: dict[str, list[int]] = {}
    for pkg in PACKAGES:
        for p in sorted((root / pkg).rglob("*.py")):
            n = p.read_bytes().count(b"\n")
            acc = out.setdefault(stage_of(module_name(p, root)), [0, 0])
            acc[0] += 1
            acc[1] += n
    return {k: (v[0], v[1]) for k, v in out.items()}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--lines"]:
        for stage in BELOW:
            files, n = lines_per_stage().get(stage, (0, 0))
            print(f"{stage:<12} {files:>3} files {n:>6} lines")
        return 0
    found = edges()
    lines = graph(found)
    print(f"{len(lines)} stage -> stage edges, made by {len({(m, ln) for _s, _d, m, _i, ln in found})} "
          f"import statements:")
    for ln in lines:
        print("  " + ln)
    bad = violations(found)
    print(f"{len(bad)} import(s) against the order" + (":" if bad else ""))
    for b in bad:
        print("  " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
