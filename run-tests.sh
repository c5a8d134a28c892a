#!/usr/bin/env bash
# Every test: the R package's check (roxygen docs, examples, testthat), then pytest.
# Run `bash setup.sh --dev` first (the README's test command does both).
set -euo pipefail
cd "$(dirname "$0")"
export _R_CHECK_FORCE_SUGGESTS_=false   # brunnermunzel is optional (not in Debian)

echo "== R CMD check"
Rscript -e 'roxygen2::roxygenise()' >/dev/null
git diff --exit-code --stat -- NAMESPACE man || { echo "NAMESPACE/man out of date: run roxygen2::roxygenise() and commit"; exit 1; }
work=$(mktemp -d)
R CMD build --no-manual . >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
tarball=$(ls pyvalues_*.tar.gz | tail -n 1)
mv "$tarball" "$work/"
if ! (cd "$work" && R CMD check --no-manual "$tarball" >check.log 2>&1); then
  cat "$work/check.log"; cat "$work"/pyvalues.Rcheck/tests/testthat.Rout.fail 2>/dev/null || true; exit 1
fi
grep -E "^Status:" "$work/check.log"
if grep -qE "^Status:.*(ERROR|WARNING)" "$work/check.log"; then cat "$work/check.log"; exit 1; fi
grep -E "NOTE" -A3 "$work/check.log" || true

echo "== pytest"
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
