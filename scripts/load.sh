#!/usr/bin/env bash
# Load test (issue 11): builds ticketing-load and runs it with the arguments given against a
# running stack (http://localhost:8080 unless --base-url says otherwise); see tests/load/README.md.
# Start the stack for it first, with the ingress's sign-up limit raised and a short window:
#   TICKETING_AUTH_RATE=1000 EXPIRATION_WINDOW_SECONDS=10 scripts/run.sh start --detach --replicas 4
# Usage: scripts/load.sh [--concurrency N] [--json FILE] ... <occ|race|purchase|expire|chaos> [options]
#   e.g. scripts/load.sh occ --chains 400      scripts/load.sh --concurrency 100 race
# Exit status: the tool's (0 PASS, 1 FAIL, 2 bad usage). The build's output goes to stderr.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PRESET=${TICKETING_PRESET:-release}
(
  cd "$ROOT"
  bash scripts/setup.sh
  cmake --preset "$PRESET" >/dev/null
  cmake --build "build/$PRESET" --target ticketing-load
) >&2
exec "$ROOT/build/$PRESET/tests/load/ticketing-load" "$@"
