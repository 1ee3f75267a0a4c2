#!/usr/bin/env bash
# Event path benchmark (issue 3): outbox publish and inbox-handled consume, next to raw nats.c
# async publish and raw consume, in the same run against one nats-server it starts itself.
# Usage: scripts/bench-bus.sh [events, default 100000]
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${1:-100000}
bash scripts/setup.sh
PRESET=${TICKETING_PRESET:-release}
cmake --preset "$PRESET" >/dev/null
cmake --build build/$PRESET --target ticketing-bus-bench
exec ./build/$PRESET/tests/bench/ticketing-bus-bench --events "$EVENTS"
