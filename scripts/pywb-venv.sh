#!/usr/bin/env bash
# Creates .pywb-venv: pywb (replay) and py-wacz (`wacz validate`), apart from .venv
# because pywb 2.10 pins old redis, fakeredis, gevent... that clash with the crawler's.
# Idempotent: does nothing when the pinned versions are already installed.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${PYWB_VENV:-.pywb-venv}"
PYTHON="${PYTHON:-python3}"
PINS="pywb==2.10.0 wacz==0.6.0"
STAMP="$VENV/.installed"

mkdir -p "$VENV"
exec 9>"$VENV/.lock"
flock 9  # two test runs starting at once install once
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$PINS" ] && [ -x "$VENV/bin/wayback" ]; then
    exit 0
fi
test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
# shellcheck disable=SC2086  # PINS is a list of requirements
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check $PINS
echo "$PINS" > "$STAMP"
echo "pywb venv ready: $VENV ($PINS)"
