#!/usr/bin/env bash
# Replay benchmark (issue 10): publishes a realistic mix of N events (default 1 000 000), then
# measures a raw nats.c consume and the orders and tickets replays of the same stream, same run.
# Usage: scripts/bench-replay.sh [events, default 1000000]
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${1:-1000000}
bash scripts/setup.sh
PRESET=${TICKETING_PRESET:-release}
cmake --preset "$PRESET" >/dev/null
cmake --build build/$PRESET --target ticketing-replay-bench
exec ./build/$PRESET/tests/bench/ticketing-replay-bench --events "$EVENTS"
