#!/usr/bin/env bash
# Install the student environment into the Python environment of PYTHON.
#
#   install.sh PYTHON RUNTIME_DIR
#
# One script, three users: docker/singleuser/Dockerfile runs it while building the image,
# `tito hub setup` runs it for the embedded hub's student environment, and
# tests/test_docker.py replays it in a fresh virtual environment and inspects the result.
set -euo pipefail
PYTHON=$1
RUNTIME_DIR=$2
HERE=$(cd "$(dirname "$0")" && pwd)
# `jupyter <sub>` runs the first jupyter-<sub> on PATH: make it this environment's, not the caller's.
BIN=$(cd "$(dirname "$PYTHON")" && pwd)
export PATH="$BIN:$PATH"

# pip, minus the "Location '...' is ignored" lines that a configured but absent local index prints.
pip_install() {
  "$PYTHON" -m pip install --quiet "$@" 2>&1 | { grep -v "^WARNING: Location '.*' is ignored" || true; }
}
pip_install --upgrade pip
pip_install -r "$HERE/requirements.txt"
# A regular (not editable) install: the runtime is copied into site-packages, so the
# student environment never points back into the course checkout.
pip_install --no-deps "$RUNTIME_DIR"

# Start-up time (measured by benchmarks/hub_load.py; ~1 of ~2.3 CPU s per server start): jsonschema,
# through jupyter_events, imports rfc3987-syntax when installed, which compiles ~38 Lark grammars at
# import for IRI formats no Jupyter schema uses; jupyter-lsp finds no language server here.
"$PYTHON" -m pip uninstall --yes --quiet rfc3987-syntax 2>&1 | { grep -v "is ignored" || true; }
"$BIN/jupyter" server extension disable --sys-prefix jupyter_lsp >/dev/null 2>&1
# Without jupyter-lsp, JupyterLab's own LSP client still asked /lsp/status on every page (three 404s):
# it is switched off with the plugins that need it.
LSP_PLUGINS=(@jupyterlab/lsp-extension:plugin @jupyterlab/lsp-extension:settings
             @jupyterlab/notebook-extension:language-server @jupyterlab/fileeditor-extension:language-server)
"$BIN/jupyter" labextension disable --level=sys_prefix "${LSP_PLUGINS[@]}" 2>&1 \
  | { grep -v -e "^Starting with JupyterLab 4.1" -e "^Disabl" || true; }

# Students get the assignment list and validate button; the instructor parts of
# nbgrader (formgrader, create-assignment, course list) are switched off.
# Locked too, so that a student cannot switch them back on from JupyterLab's extension manager.
INSTRUCTOR_PLUGINS=(@jupyter/nbgrader:formgrader @jupyter/nbgrader:create-assignment @jupyter/nbgrader:course-list)
for action in disable lock; do
  "$BIN/jupyter" labextension "$action" --level=sys_prefix "${INSTRUCTOR_PLUGINS[@]}" 2>&1 \
    | { grep -v -e "^Starting with JupyterLab 4.1" -e "^Disabl" -e "^Lock" || true; }
done
"$BIN/jupyter" server extension disable --sys-prefix \
    nbgrader.server_extensions.formgrader nbgrader.server_extensions.course_list >/dev/null 2>&1
PREFIX=$("$PYTHON" -c 'import sys; print(sys.prefix)')
# Where the day starts (tinytorch-lab, a JupyterLab extension shipped prebuilt; its README says how to
# rebuild it): the assignment list for students, a Formgrader entry in the Launcher for instructors,
# and nbgrader's "(view feedback)" opens the feedback page.
rm -rf "$PREFIX/share/jupyter/labextensions/tinytorch-lab"
mkdir -p "$PREFIX/share/jupyter/labextensions"
cp -r "$HERE/tinytorch-lab/labextension" "$PREFIX/share/jupyter/labextensions/tinytorch-lab"
chmod -R a+rX "$PREFIX/share/jupyter/labextensions/tinytorch-lab"
# Settings everyone starts with: no "official Jupyter news" pop-up (nor its requests to the internet),
# HTML files (the feedback pages) open trusted, so their links and formulas work.
install -D -m 0644 "$HERE/overrides.json" "$PREFIX/share/jupyter/lab/settings/overrides.json"
# The students' nbgrader configuration: exchange location and hub-group course lookup.
install -D -m 0644 "$HERE/nbgrader_config.py" "$PREFIX/etc/jupyter/nbgrader_config.py"
# Kernels on Unix sockets in the student's private folders, never loopback TCP (see the file).
install -D -m 0644 "$HERE/jupyter_server_config.py" "$PREFIX/etc/jupyter/jupyter_server_config.py"
echo "install.sh: student environment ready in $("$PYTHON" -c 'import sys; print(sys.prefix)')"
