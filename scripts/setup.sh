#!/usr/bin/env bash
# Install vibegrade and everything it needs into ./.venv (idempotent; safe to re-run).
# Usage: bash scripts/setup.sh [--test|--train]
#   (none)   serving: render, predict, edit, eval (NumPy inference, no torch)
#   --train  plus torch/transformers/peft for training students
#   --test   plus the test tools (implies --train)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
PIP=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
"${PIP[@]}" --upgrade pip >/dev/null
extras=""
case "${1:-}" in
  --test) extras="[test]" ;;
  --train) extras="[train]" ;;
  "") ;;
  *) echo "usage: $0 [--test|--train]" >&2; exit 2 ;;
esac
if [ -n "$extras" ]; then
  # The CPU build of torch first: a plain `torch` requirement could pull GBs of CUDA packages.
  .venv/bin/python -c "import torch" 2>/dev/null || "${PIP[@]}" torch==2.13.0
fi
"${PIP[@]}" -e ".${extras}"
