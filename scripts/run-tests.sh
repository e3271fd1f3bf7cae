#!/usr/bin/env bash
# Set up (idempotent) and run the whole test suite: unit, pcscd/vpcd integration, PostgreSQL, Kivy under Xvfb.
# Extra arguments go to pytest (e.g. scripts/run-tests.sh tests/kiosk -x).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PYTHONDONTWRITEBYTECODE=1
echo "run-tests: ruff check and ruff format --check"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "run-tests: pytest collected no tests - that is a failure here" >&2
  exit 1
fi
exit "$rc"
