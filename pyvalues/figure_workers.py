"""Draw the figures in worker processes, and show the progress of a long step.

The figures are independent of one another, so two processes draw them in about half the
time. This module does not import matplotlib: the process that asks for figures (the CLI,
which embeds R through rpy2) stays free of it, and never forks itself — the workers come
from a fork server (or are spawned where there is none) whose only preloaded module is
:mod:`pyvalues.figures`. Started before the analysis (:class:`FigureWorkers`), the workers
import matplotlib while R computes, so the figure step itself only draws.

    with FigureWorkers(2) as workers:          # start early
        results = analysis.run(table)
        paths = render(results, "out/figures", workers=workers)

Workers are processes: a script that starts them must guard its entry point with
``if __name__ == "__main__":`` (as for any multiprocessing pool). ``draw_all(..., workers=1)``,
the default, draws in the calling process.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from pathlib import Path

from .errors import PyvaluesError

__all__ = ["FORMATS", "FigureWorkers", "Job", "Progress", "check_formats", "collect", "default_workers", "render",
           "submit", "write_index"]

FORMATS = ("png", "pdf", "svg")

# drawing cost per figure (CPU ms on the bundled data, measured in one warmed-up process),
# so the slowest start first on the workers
_COST = {"fig2_dimension_priorities": 540, "fig7_clustered_heatmap": 500, "fig4_top_bottom": 460,
         "fig6_dendrogram": 440, "fig5_similarity": 420, "figA2_cliffs_delta": 390, "fig1_term_means": 370,
         "figA1_concordance": 300, "fig3_primary_secondary": 180}

INDEX_NAME = "figures.json"


def check_formats(formats) -> tuple[str, ...]:
    """The file formats as a tuple, or one clear error naming the bad one(s)."""
    if isinstance(formats, str):
        formats = [f for f in formats.split(",")]
    fmts = tuple(str(f).strip().lower().lstrip(".") for f in formats)
    bad = [f for f in fmts if f not in FORMATS]
    if not fmts or bad:
        raise PyvaluesError(
            f"figure format(s) {', '.join(map(repr, bad)) or '(none)'} not available; give a comma-separated "
            f"list of {', '.join(FORMATS)} (e.g. png,pdf)")
    return tuple(dict.fromkeys(fmts))


def default_workers() -> int:
    """Two workers where there are two CPUs (the figures step scales no further), else 1."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1


# -- progress ----------------------------------------------------------------------------------

class Progress:
    """Progress of a step of `total` items: a bar on a terminal, one line per item otherwise,
    nothing when quiet. Written to stderr, so stdout keeps only the results' summary."""

    def __init__(self, total: int, what: str = "figures", *, quiet: bool = False, stream=None):
        self.total, self.what, self.quiet = total, what, quiet
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self.t0 = time.perf_counter()
        try:
            self.tty = self.stream.isatty()
        except (AttributeError, ValueError):
            self.tty = False

    def step(self, name: str, seconds: float | None = None) -> None:
        self.done += 1
        if self.quiet:
            return
        if self.tty:
            width = 24
            fill = round(width * self.done / max(self.total, 1))
            self.stream.write(f"\r{self.what} [{'#' * fill}{'.' * (width - fill)}] {self.done}/{self.total} "
                              f"{name[:40]:<40}")
            if self.done >= self.total:
                self.stream.write(f"\r{self.what} [{'#' * width}] {self.total}/{self.total} in "
                                  f"{time.perf_counter() - self.t0:.1f} s{' ' * 34}\n")
        else:
            took = f" ({seconds:.2f} s)" if seconds is not None else ""
            self.stream.write(f"{self.what} {self.done}/{self.total}: {name}{took}\n")
        self.stream.flush()


# -- workers -----------------------------------------------------------------------------------

def _context(preload=()):
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        # the server imports matplotlib and the figures and draws a throwaway figure once; each
        # worker is a fork of it, fonts and renderer already loaded (and whatever else the
        # caller will run there: `preload`, imported once for all workers). The process has
        # one fork server: the modules of the first pool that starts it.
        ctx.set_forkserver_preload(["pyvalues.figures", "pyvalues.figures.warmup", *preload])
        return ctx
    return multiprocessing.get_context("spawn")  # never plain fork: the parent may embed R


def _warm() -> int:
    import pyvalues.figures  # noqa: F401  (matplotlib, fonts, the house style)
    import pyvalues.figures.warmup  # noqa: F401  (a throwaway figure; preloaded by the fork server)

    return os.getpid()


class FigureWorkers:
    """A pool of `n` Python worker processes, started (and warmed up) at once.

    Starting them does not hold up the caller: a worker comes from the fork server only once
    the server has imported matplotlib and drawn its warm-up figure (about a CPU second), so
    the processes are requested from a background thread and :meth:`submit` returns a
    future at once; the caller meanwhile loads its data and starts R. Besides the figures,
    the CLI gives them the Python twins of the statistics (:func:`pyvalues.analysis.twins.submit_twins`),
    which need only the rank table and so run while R computes, and the paper's reported
    values beside ours; `preload` names the modules those need (imported once, in the fork
    server, instead of in each worker or in the caller)."""

    def __init__(self, n: int | None = None, preload=()):
        self.n = max(1, int(n or default_workers()))
        self.pool = ProcessPoolExecutor(max_workers=self.n, mp_context=_context(preload))
        # one thread hands the calls to the pool in order (it waits for the fork server)
        self._feeder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pyvalues-workers")
        self._outers: list[Future] = []
        self._warming = [self.submit(_warm) for _ in range(self.n)]

    def submit(self, fn, /, *args, **kwargs) -> Future:
        """``fn(*args, **kwargs)`` in a worker process; returns a future at once."""
        outer: Future = Future()

        def feed():
            if not outer.set_running_or_notify_cancel():
                return
            try:
                inner = self.pool.submit(fn, *args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on the future
                outer.set_exception(exc)
                return

            def relay(f: Future) -> None:
                if f.cancelled():
                    outer.set_exception(RuntimeError("the worker's task was cancelled"))
                elif f.exception() is not None:
                    outer.set_exception(f.exception())
                else:
                    outer.set_result(f.result())

            inner.add_done_callback(relay)

        self._outers.append(outer)
        self._feeder.submit(feed)
        return outer

    def close(self, cancel: bool = False) -> None:
        self._feeder.shutdown(wait=True, cancel_futures=cancel)
        for outer in self._outers:  # calls never handed to the pool: nobody waits on them forever
            outer.cancel()
        self.pool.shutdown(wait=True, cancel_futures=cancel)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close(cancel=exc_type is not None)


_RESULTS: tuple[str, object] | None = None


def _task(stem: str, token: str, blob: bytes, out_dir: str, language: str, formats: tuple[str, ...]) -> dict:
    """Draw one figure in a worker (the results unpickled once per worker and call)."""
    global _RESULTS
    if _RESULTS is None or _RESULTS[0] != token:
        _RESULTS = (token, pickle.loads(blob))
    from . import figures

    results = _RESULTS[1]
    spec = next(s for s in figures._figure_specs(results) if s.stem == stem)
    t, cpu = time.perf_counter(), time.process_time()
    paths, reason = figures._render_one(spec, results, Path(out_dir), language, formats)
    return {"stem": spec.stem, "number": spec.number, "caption": spec.caption,
            "files": [str(p) for p in paths], "absent": reason, "seconds": time.perf_counter() - t,
            "cpu": time.process_time() - cpu, "pid": os.getpid()}


def _stems(token: str, blob: bytes) -> list[str]:
    global _RESULTS
    if _RESULTS is None or _RESULTS[0] != token:
        _RESULTS = (token, pickle.loads(blob))
    from . import figures

    return [s.stem for s in figures._figure_specs(_RESULTS[1])]


class Job:
    """Figures submitted to the workers and not yet collected (see :func:`submit`)."""

    def __init__(self, pool, own, futures, stems, out, language):
        self.pool, self.own, self.futures, self.stems = pool, own, futures, stems
        self.out, self.language = out, language


def submit(results, out_dir, *, language: str = "en", formats=("png",), workers: FigureWorkers | int = 2,
           stems: list[str] | None = None) -> Job:
    """Hand every figure (or `stems`) to `workers` and return at once; :func:`collect` waits.
    The caller can meanwhile do other work (the CLI writes the tables)."""
    formats = check_formats(formats)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    own = not isinstance(workers, FigureWorkers)
    pool = FigureWorkers(workers) if own else workers
    try:
        blob = pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL)
        token = os.urandom(8).hex()
        if stems is None:  # a worker says which figures these results get (no matplotlib here)
            stems = pool.submit(_stems, token, blob).result()
        order = sorted(stems, key=lambda s: -_COST.get(s, 300))  # others (language figures): a typical one
        futures = [pool.submit(_task, s, token, blob, str(out), language, formats) for s in order]
    except BaseException:
        if own:
            pool.close(cancel=True)
        raise
    return Job(pool, own, futures, list(stems), out, language)


def collect(job: Job, progress: Progress | None = None) -> list[Path]:
    """Wait for the figures of `job`, telling `progress` of each; returns the paths in figure
    order and writes the index (:func:`write_index`)."""
    done: dict[str, dict] = {}
    if progress is not None:
        progress.total = len(job.stems)
    try:
        for f in as_completed(job.futures):
            entry = f.result()
            done[entry["stem"]] = entry
            if progress is not None:
                progress.step(entry["stem"], entry["seconds"])
    finally:
        if job.own:
            job.pool.close(cancel=True)
    entries = [done[s] for s in job.stems]
    render.last = entries  # per figure: seconds, cpu, pid (for benchmarks)
    write_index(job.out, entries, job.language)
    return [Path(p) for e in entries for p in e["files"]]


def render(results, out_dir, *, language: str = "en", formats=("png",), workers: FigureWorkers | int = 2,
           progress: Progress | None = None, stems: list[str] | None = None) -> list[Path]:
    """Draw every figure (or `stems`) with `workers`; returns the paths in figure order and
    writes the index (:func:`write_index`). `workers` is a started :class:`FigureWorkers`
    or a number of processes to start for this call."""
    job = submit(results, out_dir, language=language, formats=formats, workers=workers, stems=stems)
    return collect(job, progress)


render.last = []


def write_index(out_dir: Path, entries: list[dict], language: str) -> Path:
    """``figures.json``: each figure's number, caption, files and (for a placeholder) why it
    was not drawn; the report reads captions from it without importing matplotlib."""
    path = Path(out_dir) / INDEX_NAME
    merged = {(e.get("stem"), e.get("language")): e for e in read_index(path)}  # other languages stay
    for e in entries:
        merged[(e["stem"], language)] = {"stem": e["stem"], "number": e["number"], "caption": e["caption"],
                                          "language": language, "files": [Path(p).name for p in e["files"]],
                                          "absent": e["absent"]}
    path.write_text(json.dumps(list(merged.values()), ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def read_index(path: Path) -> list[dict]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return data if isinstance(data, list) else []
    except (OSError, ValueError):
        return []
