#!/usr/bin/env bash
# The main job on a fresh machine: set up, build the course, grade a demo cohort, print the grades.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
tito demo
