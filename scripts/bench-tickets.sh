#!/usr/bin/env bash
# tickets benchmark (issue 5): GET /api/tickets/:id, POST /api/tickets (each request creates a
# ticket and its ticket:created through the outbox) and GET /api/tickets?limit=100 over the
# tickets just created, wrk -t2 -c400, direct to the service. Starts its own nats-server and
# ticketing-tickets on a temporary SQLite database; the session cookie is signed with
# ticketing-token (the auth service is not needed).
# Usage: scripts/bench-tickets.sh [duration, default 10s]
# TICKETING_BUILD_DIR=<dir> builds and runs from that (RelWithDebInfo) directory instead of the
# `release` preset's.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10s}
PRESET=${TICKETING_PRESET:-release}
bash scripts/setup.sh
if [ -n "${TICKETING_BUILD_DIR:-}" ]; then
  BUILD=$TICKETING_BUILD_DIR
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
else
  BUILD=build/$PRESET
  cmake --preset "$PRESET" >/dev/null
fi
cmake --build "$BUILD" --target ticketing-tickets ticketing-token

work=$(mktemp -d)
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
pids=()
# The service first, then nats-server (so it does not log a lost bus on the way out).
cleanup() { for ((i=${#pids[@]}-1; i>=0; i--)); do kill "${pids[i]}" 2>/dev/null || true; wait "${pids[i]}" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
NATS_PORT=$(bench_free_port); PORT=$(bench_free_port)
# Session keys (DESIGN.md section 13): auth signs with the private one, the others check.
. scripts/session-keys.sh
make_session_keys "$work/jwt" bench
export JWT_PRIVATE_KEY_FILE="$work/jwt/signing/bench.pem" JWT_KEY_ID=bench \
  JWT_PUBLIC_KEYS_DIR="$work/jwt/public"
export LOG_LEVEL=warn PAYMENT_GATEWAY=sandbox AUTH_RATE_PER_ADDRESS=1000000 AUTH_RATE_PER_ACCOUNT=1000000
nats-server -js -sd "$work/nats" -a 127.0.0.1 -p "$NATS_PORT" >"$work/nats.log" 2>&1 & pids+=($!)
HTTP_PORT=$PORT DATABASE_URL="sqlite://$work/tickets.db" NATS_URL="nats://127.0.0.1:$NATS_PORT" \
  "./$BUILD/tickets/ticketing-tickets" & pids+=($!)
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 300); do curl -fs "$BASE/readyz" >/dev/null && break; sleep 0.1; done
curl -fs "$BASE/readyz" >/dev/null

cookie="session=$("./$BUILD/tests/bench/ticketing-token" --key-file "$JWT_PRIVATE_KEY_FILE" \
  --id 6a1b2c3d4e5f6a7b8c9d0e01 --email seller@bench.test)"
id=$(curl -fs -b "$cookie" -H 'Content-Type: application/json' \
  -d '{"title":"Bench concert","price":20.5}' "$BASE/api/tickets" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')

echo "== GET /api/tickets/:id: wrk -t2 -c400 -d$DURATION" >&2
wrk -t2 -c400 -d"$DURATION" --latency "$BASE/api/tickets/$id" > "$work/show.txt"
echo "== POST /api/tickets: wrk -t2 -c400 -d$DURATION" >&2
wrk -t2 -c400 -d"$DURATION" --latency -H "Cookie: $cookie" -s tests/bench/wrk/create_tickets.lua \
  "$BASE/api/tickets" > "$work/create.txt"
echo "== GET /api/tickets?limit=100: wrk -t2 -c400 -d$DURATION" >&2
wrk -t2 -c400 -d"$DURATION" --latency "$BASE/api/tickets?limit=100" > "$work/list.txt"
count() { sqlite3 "$work/tickets.db" "PRAGMA busy_timeout=10000; SELECT COUNT(*) FROM $1" | tail -1; }
created=$(count tickets)
for _ in $(seq 1 300); do  # until the relay has published every ticket:created
  left=$(count outbox)
  [ "$left" = 0 ] && break; sleep 0.1
done
echo
echo "tickets benchmark (same machine, SQLite, direct to the service; $created tickets, outbox left: $left):"
bench_summary "GET /api/tickets/:id" "$work/show.txt"
bench_summary "POST /api/tickets" "$work/create.txt"
bench_summary "GET /api/tickets?limit=100" "$work/list.txt"
