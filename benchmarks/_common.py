"""Shared pieces of the benchmark scripts: generated rank tables, timers, the CSV format.

Every figure is one row of ``benchmark, case, metric, value, unit, note``. Times are
medians of repeats measured in the same run (these machines are shared and noisy), and
where it matters both wall-clock and CPU seconds are given: CPU time is far less
sensitive to other jobs on the machine than wall time.
"""
from __future__ import annotations

import csv
import ctypes
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PYTHON = sys.executable
COLUMNS = ["benchmark", "case", "metric", "value", "unit", "note"]

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# --------------------------------------------------------------------------- data


def generated_table(n_models: int, n_replicates: int = 3, seed: int = 1):
    """A rank table shaped like the paper's data, of any size.

    The first 55 % of the models are ``CN`` (answering in ``zh``), the rest ``US``
    (``en``) -- 11 vs 9 at 20 models, as in the paper. Each model's latent term scores
    are a shared profile + one of 4 archetypes + model noise; each replicate adds noise
    and ranks the scores, so rankings agree within a model (Kendall's W about 0.8-0.95),
    models form clusters, and term means have ties, as real data do.
    """
    import numpy as np
    import pandas as pd

    from pyvalues.instrument import TERM_NAMES

    rng = np.random.default_rng(seed)
    base = rng.normal(0.0, 1.0, len(TERM_NAMES))
    archetypes = rng.normal(0.0, 0.8, (4, len(TERM_NAMES)))
    n_cn = (n_models * 11 + 10) // 20
    rows = []
    for j in range(n_models):
        country = "CN" if j < n_cn else "US"
        language = "zh" if country == "CN" else "en"
        latent = base + archetypes[rng.integers(4)] + rng.normal(0.0, 0.5, len(TERM_NAMES))
        for rep in range(1, n_replicates + 1):
            score = latent + rng.normal(0.0, 0.4, len(TERM_NAMES))
            ranks = np.empty(len(TERM_NAMES), int)
            ranks[np.argsort(score, kind="stable")] = np.arange(1, len(TERM_NAMES) + 1)
            for term, rank in zip(TERM_NAMES, ranks):
                rows.append((f"model_{j + 1:03d}", country, language, rep, term, int(rank)))
    table = pd.DataFrame(rows, columns=["model", "country", "language", "replicate", "term", "rank"])
    table.attrs["provenance"] = f"generated benchmark table: {n_models} models x {n_replicates} replicates, seed {seed}"
    return table


def write_generated(n_models: int, folder: Path, n_replicates: int = 3, seed: int = 1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"ranks_{n_models}models_{n_replicates}reps.csv"
    if not path.exists():
        generated_table(n_models, n_replicates, seed).to_csv(path, index=False, lineterminator="\n")
    return path


# --------------------------------------------------------------------------- timing


def run_timed(cmd: list[str], *, timeout: float = 1800, env: dict | None = None) -> tuple[float, float]:
    """Run `cmd` in a fresh process; return (wall seconds, CPU seconds of the process tree
    that was waited for). Raises with the process's stderr when it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} ... failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def median(xs) -> float:
    return float(statistics.median(xs))


def loadavg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def environment_note() -> str:
    return (f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores, "
            f"load average {loadavg()}")


# --------------------------------------------------------------------------- output


class Rows:
    """Collects figure rows and prints each as it is measured."""

    def __init__(self, benchmark: str, echo: bool = True):
        self.benchmark = benchmark
        self.rows: list[dict] = []
        self.echo = echo

    def add(self, case: str, metric: str, value: float, unit: str, note: str = "") -> None:
        if isinstance(value, float):
            value = round(value, 6 if abs(value) < 10 else 3)
        row = dict(benchmark=self.benchmark, case=case, metric=metric, value=value, unit=unit, note=note)
        self.rows.append(row)
        if self.echo:
            print(f"  {self.benchmark:<10} {case:<44} {metric:<26} {value!s:>12} {unit:<6} {note}", flush=True)

    def write(self, path: Path) -> Path:
        write_rows(self.rows, path)
        return path

    def finish(self, path: Path) -> int:
        """Record the load average at the end, write the rows, say where: a script's last step."""
        self.add("environment", "load_average_1min_end", os.getloadavg()[0], "", f"load average {loadavg()}")
        print(f"wrote {self.write(Path(path))}")
        return 0


def write_rows(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in COLUMNS})


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# Counting the CPU of a whole process tree: as a subreaper this process inherits every orphaned
# descendant (PSOCK workers, fork servers) and can wait for them, so RUSAGE_CHILDREN includes them.
PR_SET_CHILD_SUBREAPER = 36


def _become_subreaper() -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _reap_all() -> None:
    """Wait for every descendant left behind (reparented to us) to end."""
    while True:
        try:
            pid, _ = os.waitpid(-1, 0)
        except ChildProcessError:
            return
        if pid == 0:
            return
