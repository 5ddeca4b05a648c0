#!/usr/bin/env bash
# Create or reuse the project's virtual environment; print its path on the last line.
#
# Third-party packages live in a venv cached OUTSIDE the clone, keyed by a hash of every
# dependency file, so a warm run takes seconds and a cold one (about 4 minutes) still works.
# The first-party packages (core and plugins) are installed editable from this checkout
# each time: that is quick and keeps the venv pointing at the code being tested.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${SPECRUN_PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
log() { echo "[bootstrap] $*" >&2; }

# System packages (fonts, PostgreSQL, Java, Chromium...): scripts/system_packages.sh, kept out
# of the cache key so that adding one does not rebuild the venv.
bash "$ROOT/scripts/system_packages.sh"

KEY="$( { cat "$ROOT/scripts/constraints.txt" "$ROOT/scripts/bootstrap.sh" "$ROOT/scripts/requirements.py";
          "$PY" "$ROOT/scripts/requirements.py"; "$PY" --version; } | sha256sum | cut -c1-16)"
CACHE="${SPECRUN_VENV_CACHE:-$HOME/.cache/specrun/venvs}"
VENV="$CACHE/py-$KEY"

if [ ! -f "$VENV/.complete" ]; then
  log "building the environment in $VENV (first time for these dependencies: a few minutes)"
  rm -rf "$VENV"
  mkdir -p "$CACHE"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip setuptools wheel 2>&1 | grep -v "is ignored" >&2 || true
  # torch first, from the pinned local wheels, so nothing later can pull another build.
  "$VENV/bin/python" -m pip install -q -c "$ROOT/scripts/constraints.txt" torch torchvision 2>&1 | grep -v "is ignored" >&2 || true
  "$PY" "$ROOT/scripts/requirements.py" > "$VENV/requirements.txt"
  "$VENV/bin/python" -m pip install -q -c "$ROOT/scripts/constraints.txt" -r "$VENV/requirements.txt" 2>&1 | grep -v "is ignored" >&2 || true
  "$VENV/bin/python" -c "import torch, pydantic, duckdb, polars, ray" \
    || { log "error: the environment is incomplete (see pip's messages above)"; exit 1; }
  touch "$VENV/.complete"
fi

# Editable installs of this checkout (skipped when the venv already points here).
STAMP="$( { echo "$ROOT"; "$PY" "$ROOT/scripts/requirements.py" --local; } | sha256sum | cut -c1-16)"
if [ "$(cat "$VENV/.checkout" 2>/dev/null)" != "$STAMP" ]; then
  args=()
  while read -r pkg; do args+=(-e "$pkg"); done < <("$PY" "$ROOT/scripts/requirements.py" --local)
  if ! "$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation "${args[@]}" > "$VENV/editable.log" 2>&1; then
    cat "$VENV/editable.log" >&2
    log "error: could not install the packages of $ROOT"; exit 1
  fi
  echo "$STAMP" > "$VENV/.checkout"
fi
echo "$VENV"
