#!/usr/bin/env bash
# The students' notebooks with the base install and the `dev` extra only, as a new user gets
# them from `pip install -e '.[dev]'`: no `app` extra, so no solara, ipyvuetify or the page.
# A clean virtualenv in a temporary directory (removed on exit); fails if solara is importable
# there (the check would prove nothing) or if any notebook fails (nbmake, at the small setting
# of each notebook's nbmake.mock metadata, as tests/test_notebooks.py runs them).
#   bash scripts/notebooks_without_app.sh          # CI runs it (.ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sim-notebooks.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

"$PYTHON" -m venv "$WORK/venv"
PY="$WORK/venv/bin/python"
"$PY" -m pip install --quiet --upgrade pip
"$PY" -m pip install --quiet -e '.[dev]'
if "$PY" -c 'import solara' 2>/dev/null; then
    echo "solara is installed without the app extra: this environment cannot show that notebooks do without it" >&2
    exit 1
fi
# nbmake's kernel is this environment's python3 (ipykernel from the dev extra)
"$PY" -m pytest --nbmake notebooks/ -n 2 -p no:cacheprovider -o addopts="" -q
