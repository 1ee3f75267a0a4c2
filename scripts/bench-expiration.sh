#!/usr/bin/env bash
# Expiration benchmark (issue 7): 100 000 jobs due within 10 s in a real redis-server, fired by
# the service's worker to a real nats-server; prints fired count, lateness p50/p99/max, jobs/s.
# Usage: scripts/bench-expiration.sh [jobs, default 100000] [window seconds, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${1:-100000}
WINDOW=${2:-10}
bash scripts/setup.sh
PRESET=${TICKETING_PRESET:-release}
cmake --preset "$PRESET" >/dev/null
cmake --build build/$PRESET --target ticketing-expiration-bench
exec ./build/$PRESET/tests/bench/ticketing-expiration-bench --jobs "$JOBS" --window-s "$WINDOW"
