#!/usr/bin/env bash
# The main job on a fresh machine: set up, build the course, and start the course hub on the
# embedded default (JupyterHub on a loopback URL, one system user per student; needs root).
# Demo accounts are created on the first run and their passwords printed once.
#   --workshop MODULE   serve a one-module workshop instead (tito workshop: only MODULE released, the
#                       modules it builds on provided as references); give it a hub root of its own
#   TINYTORCH_HUB_ROOT (default /srv/tinytorch), TINYTORCH_HUB_PORT (default 8000)
set -euo pipefail
cd "$(dirname "$0")/.."
workshop=""
if [ "${1:-}" = "--workshop" ]; then
  workshop="${2:?main.sh: --workshop needs a module id, e.g. --workshop 05_autograd}"
fi
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    echo "main.sh: the embedded hub creates one system user per student: continuing with sudo." >&2
    exec sudo --preserve-env=TINYTORCH_HUB_ROOT,TINYTORCH_HUB_PORT bash "$0" "$@"
  fi
  echo "main.sh: not root and no sudo: the hub needs root (one system user per student)." >&2
  echo "         Setting up and grading a simulated cohort instead (tito demo)." >&2
  bash scripts/setup.sh
  exec .venv/bin/tito demo
fi
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
tito build
module=01_tensor
course=()
if [ -n "$workshop" ]; then
  tito workshop "$workshop"
  module=$workshop
  course=(--course-dir "workshops/$workshop")
fi
tito ${course[@]+"${course[@]}"} hub setup --demo
tito ${course[@]+"${course[@]}"} hub release "$module"
port=${TINYTORCH_HUB_PORT:-8000}
cat <<MSG

  TinyTorch hub: http://127.0.0.1:${port}/
    students log in as tt-student1 / tt-student2, open Nbgrader > Assignment List, fetch $module
    the instructor logs in as tt-instructor; formgrader: http://127.0.0.1:${port}/services/tinytorch/formgrader
    (passwords above, shown once; set a new one with: echo NEWPASS | tito hub adduser NAME --password-stdin)
  Stop with Ctrl-C. More: docs/hub.md

MSG
exec tito hub start --port "$port"
