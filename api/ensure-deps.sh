#!/usr/bin/env bash
# Installs api/'s npm packages (the linter, Redoc, the contract test's validator) exactly as
# api/package-lock.json pins them, with `npm ci`, when api/node_modules does not hold that lock
# file's packages yet; otherwise does nothing and prints nothing. Called by scripts/setup.sh and
# by everything that uses the packages (lint.sh, build-docs.sh, the contract test), so a fresh
# clone needs no step by hand. Calls running at once wait for each other (flock).
# Needs node and npm (scripts/setup.sh installs them); Debian 12's own (18.x) or newer.
set -euo pipefail
API=$(cd "$(dirname "$0")" && pwd)

for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "api/ensure-deps.sh: $tool not found (scripts/setup.sh installs Node.js and npm)" >&2
    exit 1
  fi
done

stamp="$API/node_modules/.ticketing-lock-sha256"
want=$(sha256sum "$API/package-lock.json" | cut -d' ' -f1)
current() { [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; }

current && exit 0
exec 9>"$API/.ensure-deps.lock"
flock 9
current && exit 0  # another call installed them while this one waited

echo "api: installing the npm packages of api/package-lock.json (npm ci)"
# No install scripts: none of these packages needs one (core-js's only prints a banner).
(cd "$API" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
echo "$want" > "$stamp"
