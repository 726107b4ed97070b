#!/usr/bin/env bash
# Install vibegrade and everything it needs into ./.venv (idempotent; safe to re-run).
# Usage: bash scripts/setup.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
extras=""
if [ "${1:-}" = "--test" ]; then extras="[test]"; fi
.venv/bin/python -m pip install --quiet -e ".${extras}"
