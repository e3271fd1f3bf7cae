#!/usr/bin/env bash
# Set up (idempotent) and start the kiosk in demo mode: embedded server on SQLite with generated
# demo data, simulated card reader, camera and printer. Extra arguments go to main.py.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python main.py --demo "$@"
