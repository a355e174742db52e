#!/usr/bin/env bash
# Fetches ReplayWeb.page (the `replaywebpage` npm package: its app, ui.js and sw.js) and
# puppeteer-core into build/rwp, for scripts/rwp-check.js. Idempotent. Needs node and npm;
# the browser is the system's Chromium (apt-get install -y chromium), none is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${RWP_DIR:-build/rwp}"
RWP_VERSION="2.5.3"
PUPPETEER_VERSION="23"
STAMP="$DIR/.installed"
WANT="replaywebpage@$RWP_VERSION puppeteer-core@$PUPPETEER_VERSION"

mkdir -p "$DIR"
exec 9>"$DIR/.lock"
flock 9
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
    exit 0
fi
cd "$DIR"
rm -rf app package ./*.tgz
npm pack --silent "replaywebpage@$RWP_VERSION" > /dev/null
tar xzf "replaywebpage-$RWP_VERSION.tgz" && mv package app && rm "replaywebpage-$RWP_VERSION.tgz"
[ -f package.json ] || echo '{"private": true}' > package.json
PUPPETEER_SKIP_DOWNLOAD=1 npm install --silent --no-audit --no-fund "puppeteer-core@$PUPPETEER_VERSION" > /dev/null
echo "$WANT" > .installed
echo "ReplayWeb.page $RWP_VERSION ready in $DIR"
