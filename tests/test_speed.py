"""The fast multiscale bootstrap, R workers, progress and start-up, through Python.

Reference values come from a separate Rscript process that calls pvclust::pvclust itself
(serially and with parallel = a 2-worker PSOCK cluster) on the same term means; doubles
travel as hexadecimal (sprintf("%a")), so equality is exact.
"""
from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, make_rank_table, rscript
from pyvalues import analysis, rbridge
from pyvalues.errors import RError
from pyvalues.instrument import TERM_NAMES
from pyvalues.progress import Progress

R_PVCLUST = r"""
# the 25 x models term means (hexadecimal doubles, columns in the order clustered)
M <- as.matrix(read.csv("{csv}", colClasses = "character", check.names = FALSE))
M <- matrix(as.numeric(M), nrow(M), dimnames = list(NULL, colnames(M)))
hex <- function(x) paste(sprintf("%a", x), collapse = ",")
out <- function(tag, pv) cat(tag, hex(pv$edges$au), hex(pv$edges$bp), hex(pv$edges$se.au), hex(pv$edges$se.bp),
                             "\n", sep = ";")
out("serial", pvclust::pvclust(M, nboot = {nboot}, iseed = {seed}, quiet = TRUE))
cl <- parallel::makePSOCKcluster(2)
out("two", pvclust::pvclust(M, nboot = {nboot}, iseed = {seed}, quiet = TRUE, parallel = cl))
parallel::stopCluster(cl)
"""
NBOOT, SEED = 61, 2027


def _unhex(text):
    return np.array([float.fromhex(v) for v in text.split(",")])


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    tab = make_rank_table(seed=31)
    events = []
    two = analysis.run(tab, nboot=NBOOT, seed=SEED, ci_nboot=200, parity=False, cluster=2,
                       progress=lambda *e: events.append(e))
    tm = two.model_term_means
    models = list(dict.fromkeys(tm["model"]))
    M = tm.pivot(index="term", columns="model", values="mean_rank").loc[TERM_NAMES, models]
    csv = tmp_path_factory.mktemp("speed") / "term_means.csv"
    M.map(float.hex).to_csv(csv, index=False)
    ref = {}
    for line in rscript(R_PVCLUST.format(csv=csv, nboot=NBOOT, seed=SEED)).splitlines():
        tag, *cols = line.split(";")[:5]
        ref[tag] = [_unhex(c) for c in cols]
    return tab, ref, two, events


def test_cluster_edges_identical_to_pvclust_serial_and_on_two_psock_workers(both):
    tab, ref, two, _ = both
    serial = analysis.cluster_models(tab, nboot=NBOOT, seed=SEED)["cluster_edges"]
    for name, got in (("serial", serial), ("two", two.cluster_edges)):
        for col, expected in zip(["au", "bp", "se_au", "se_bp"], ref[name]):
            assert np.array_equal(got[col].to_numpy(), expected), (name, col)
    # 2 workers draw from other streams than the serial run: the counts differ
    assert not np.array_equal(serial["bp"].to_numpy(), two.cluster_edges["bp"].to_numpy())
    assert two.settings["cluster"] == 2


def test_r_progress_reaches_the_handler_not_the_console(both):
    _, _, _, events = both
    steps = [e[0] for e in events]
    assert any(s.startswith("dispersion ANOVA") for s in steps)
    boot = [e for e in events if e[0].startswith("multiscale bootstrap (20 models, 10 scales x 61) on 2 workers")]
    assert boot[0][1] == 0 and boot[-1][1] == boot[-1][2]
    assert "pyvalues-progress" not in rbridge.console()
    # serially: replicate counts up to 10 scales x nboot, in order
    seen = []
    with rbridge.progress_to(lambda *e: seen.append(e)):
        analysis.cluster_models(make_rank_table(seed=32, n_cn=4, n_us=4), nboot=40)
    assert seen[0][1:] == (0, 400) and seen[-1][1:] == (400, 400)
    assert [d for _, d, _ in seen] == sorted(d for _, d, _ in seen)
    seen.clear()
    analysis.cluster_models(make_rank_table(seed=32, n_cn=4, n_us=4), nboot=40)   # outside: nothing
    assert seen == []


def test_progress_rendering_terminal_and_lines():
    lines = io.StringIO()
    p = Progress(lines, tty=False)
    p("bootstrap", 0, 100)
    p("bootstrap", 50, 100)
    p("bootstrap", 100, 100)
    with p.step("figures"):
        pass
    text = lines.getvalue().splitlines()
    assert len(text) == 2 and text[0].startswith("bootstrap: 100/100 done in") and text[1].startswith("figures: done in")
    bar = io.StringIO()
    p = Progress(bar, tty=True, width=10)
    p("bootstrap", 50, 100)
    assert bar.getvalue() == "\r\x1b[Kbootstrap [=====     ] 50/100"


def test_cli_progress_one_line_per_step_and_quiet(tmp_path):
    csv = tmp_path / "mine.csv"
    make_rank_table(n_cn=4, n_us=4, reps=2, seed=33).to_csv(csv, index=False)
    cmd = [sys.executable, "-m", "pyvalues.analysis", "--data", str(csv), "--no-figures", "--nboot", "20",
           "--no-parity"]
    loud = subprocess.run(cmd + ["--out", str(tmp_path / "a")], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)
    assert loud.returncode == 0, loud.stderr
    err = loud.stderr.splitlines()
    assert any(line.startswith("multiscale bootstrap (8 models, 10 scales x 20): 200/200 done in") for line in err)
    assert any(line.startswith("dispersion ANOVA (afex): done in") for line in err)
    assert "\r" not in loud.stderr                      # not a terminal: lines, no bar
    quiet = subprocess.run(cmd + ["--out", str(tmp_path / "b"), "--quiet"], capture_output=True, text=True,
                           cwd=ROOT, timeout=600)
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert (tmp_path / "b" / "cluster_edges.csv").read_text() == (tmp_path / "a" / "cluster_edges.csv").read_text()


def test_import_and_r_start_load_only_what_the_run_needs(tmp_path):
    code = (
        "import sys\n"
        "import pyvalues.analysis as a\n"
        "heavy = sorted(m for m in ('matplotlib', 'rpy2', 'scipy', 'statsmodels', 'pingouin') if m in sys.modules)\n"
        "print('imported', heavy)\n"
        "sys.path.insert(0, 'tests')\n"
        "from conftest import make_rank_table\n"
        "a.term_means(make_rank_table(n_cn=3, n_us=3, reps=1))\n"
        "from pyvalues import rbridge\n"
        "print('afex loaded', bool(rbridge.session().eval('isNamespaceLoaded(\"afex\")')[0]))\n"
        "a.dispersion_anova(make_rank_table(n_cn=3, n_us=3, reps=1))\n"
        "print('afex loaded', bool(rbridge.session().eval('isNamespaceLoaded(\"afex\")')[0]))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == ["imported []", "afex loaded False", "afex loaded True"]


def test_bad_cluster_argument_is_a_clear_error():
    with pytest.raises(ValueError, match="number of local R workers must be at least 1"):
        analysis.run(make_rank_table(n_cn=3, n_us=3, reps=1), cluster=0, parity=False)
    with pytest.raises(RError, match="cannot run Rscript on host 'nosuchhost.invalid'"):
        analysis.cluster_models(make_rank_table(n_cn=3, n_us=3, reps=1), nboot=10, cluster="nosuchhost.invalid")
    with pytest.raises(ValueError, match="engine='fast'"):
        analysis.run(make_rank_table(n_cn=3, n_us=3, reps=1), engine="fast", parity=False)


def test_analysis_cli_imports_neither_the_http_stack_nor_scipy_stats():
    # the CLI's own process puts the paper's values beside ours (crosscheck level 3) and
    # needs neither the collection stack (requests) nor scipy.stats; scipy.stats still
    # serves the crosscheck statistics on first use: a p-value equals scipy's own
    code = (
        "import sys\n"
        "import pyvalues.pipeline.analysis_cli, pyvalues.pipeline, pyvalues.crosscheck\n"
        "print(sorted(m for m in ('requests', 'scipy.stats') if m in sys.modules))\n"
        "from pyvalues.crosscheck import stats as st\n"
        "print(repr(float(st.p_from_t(2.0, 10))))\n"
        "from scipy import stats\n"
        "print(repr(float(2 * stats.t.sf(2.0, 10))))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "[]"
    assert lines[1] == lines[2]


def test_r_start_caches_answer_what_r_answers(tmp_path):
    # rpy2's two questions to R (R's home, R's library path) come from a cache after the
    # first start; the cached answers are rpy2's own answers, asked of R directly here, and a
    # session started from the cache runs R there. The R functions of the checkout are
    # compiled once into R's cache folder; a session reading them back has byte code and
    # computes the same table as the session that built the cache.
    env = {**__import__("os").environ, "XDG_CACHE_HOME": str(tmp_path / "xdg"),
           "R_USER_CACHE_DIR": str(tmp_path / "rcache")}
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "sys.path.insert(0, 'tests')\n"
        "from conftest import make_rank_table\n"
        "from pyvalues import rbridge, analysis\n"
        "s = rbridge.session(); s.start()\n"
        "print(json.dumps({'home': s.eval('R.home()')[0],\n"
        "  'compiled': any('<bytecode' in l for l in s._ro.r('function(e) capture.output(print(e$pv_term_tests))')(s._env)),\n"
        "  'p_perm': [float(v) for v in analysis.term_tests(make_rank_table(n_cn=5, n_us=4, reps=1))['p_perm']]}))\n"
    )
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600, env=env)
    assert first.returncode == 0, first.stderr
    cached = __import__("json").loads((tmp_path / "xdg" / "pyvalues" / "r_situation.json").read_text())
    (entry,) = cached.values()
    import rpy2.situation as situation

    r_home = situation.get_r_home()
    assert entry["r_home"] == r_home
    assert entry["ld"] == situation.r_ld_library_path_from_subprocess(r_home)
    assert len(list((tmp_path / "rcache" / "R" / "pyvalues").glob("rcode-*.rds"))) == 1
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600, env=env)
    assert second.returncode == 0, second.stderr
    a, b = (__import__("json").loads(r.stdout.splitlines()[-1]) for r in (first, second))
    assert a["home"] == b["home"] == r_home
    assert b["compiled"] is True
    assert a["p_perm"] == b["p_perm"]
