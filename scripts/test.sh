#!/usr/bin/env bash
# Install everything (including test extras) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
# The web editor's browser tests drive Debian's chromium (never a downloaded browser).
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then command -v sudo >/dev/null 2>&1 && SUDO="sudo -n" || SUDO="skip"; fi
  if [ "$SUDO" = "skip" ]; then
    echo "note: /usr/bin/chromium is missing and there is no sudo; the browser tests will be skipped" >&2
  else
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get install -y -qq chromium >/dev/null 2>&1 \
      || { $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq chromium >/dev/null; } \
      || echo "note: could not install chromium; the browser tests will be skipped" >&2
  fi
fi
# The Redis-backed job tests use a server on localhost:6379 (they skip without one): when redis-server
# is installed and nothing listens there, run a throwaway one (no persistence) for this run.
if command -v redis-server >/dev/null 2>&1 && ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  redis-server --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null 2>&1 &
  REDIS_PID=$!
  trap 'kill "$REDIS_PID" 2>/dev/null || true' EXIT
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && break; sleep 0.1; done
fi
# Import contracts (layers, a pure schema; pyproject.toml [tool.importlinter]) before the tests.
.venv/bin/lint-imports
# Lint and types (pyproject.toml [tool.ruff], [tool.mypy]): either unclean fails the run before the tests.
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
