#!/usr/bin/env bash
# Lint, type-check and run the test suite in .venv. pytest's own exit codes pass through:
# 5 ("no tests collected") fails the run like any other non-zero code.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== ruff"
.venv/bin/ruff check .
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
exec .venv/bin/pytest -p no:cacheprovider -rs "$@"
