#!/usr/bin/env bash
# Set up the course environment in ./.venv (idempotent): the runtime, the tito CLI,
# nbgrader, jupytext, test tools, and a python3 kernelspec bound to this environment.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ./tinytorch_runtime -e ".[test]"
# jsonschema (through jupyter_events) imports rfc3987-syntax when installed, which compiles Lark grammars
# for IRI formats no Jupyter schema uses: ~1.3 of ~3 CPU s of every tito command that imports nbgrader.
.venv/bin/python -m pip uninstall --yes --quiet rfc3987-syntax 2>&1 | { grep -v "is ignored" || true; }
# Kernels started by nbgrader and nbclient must run this environment's Python.
.venv/bin/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ipykernel)" >/dev/null
echo "setup: .venv ready ($(.venv/bin/python --version), nbgrader $(.venv/bin/python -c 'import nbgrader; print(nbgrader.__version__)'))"
# Grading kernels run in a bubblewrap sandbox (tito autograde refuses to grade without one).
if ! command -v bwrap >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && apt-get install -y -qq bubblewrap) >/dev/null
    echo "setup: installed bubblewrap for sandboxed grading"
  else
    echo "setup: WARNING: install bubblewrap (e.g. apt-get install bubblewrap) for sandboxed grading" >&2
  fi
fi
# The hub's proxy (configurable-http-proxy) from npm, into .hub-node/ (used by jupyterhub_config.py).
if [ ! -x .hub-node/node_modules/.bin/configurable-http-proxy ]; then
  if command -v npm >/dev/null 2>&1; then
    npm install --silent --no-audit --no-fund --prefix .hub-node configurable-http-proxy@4.6.3 >/dev/null
    echo "setup: installed configurable-http-proxy for the hub"
  else
    echo "setup: WARNING: npm is missing; the hub needs configurable-http-proxy (apt-get install npm)" >&2
  fi
fi
