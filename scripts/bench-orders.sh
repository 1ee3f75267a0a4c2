#!/usr/bin/env bash
# orders benchmark (issue 6): POST /api/orders on distinct tickets and GET /api/orders (a user
# with 10 orders), wrk -t2 -c400, direct to the service. Starts its own nats-server, auth (to
# sign up and get a real session cookie) and orders on a temporary SQLite database; the tickets
# are put straight into the orders replica with sqlite3 (the tickets service is not needed).
# Usage: scripts/bench-orders.sh [duration, default 10s] [tickets, default 400000]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10s}
TICKETS=${2:-400000}
PRESET=${TICKETING_PRESET:-release}
bash scripts/setup.sh
cmake --preset "$PRESET" >/dev/null
cmake --build "build/$PRESET" --target ticketing-auth ticketing-orders

work=$(mktemp -d)
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
NATS_PORT=$(bench_free_port); AUTH_PORT=$(bench_free_port); ORDERS_PORT=$(bench_free_port)
# Session keys (DESIGN.md section 13): auth signs with the private one, the others check.
. scripts/session-keys.sh
make_session_keys "$work/jwt" bench
export JWT_PRIVATE_KEY_FILE="$work/jwt/signing/bench.pem" JWT_KEY_ID=bench \
  JWT_PUBLIC_KEYS_DIR="$work/jwt/public"
export LOG_LEVEL=warn PAYMENT_GATEWAY=sandbox AUTH_RATE_PER_ADDRESS=1000000 AUTH_RATE_PER_ACCOUNT=1000000
nats-server -js -sd "$work/nats" -a 127.0.0.1 -p "$NATS_PORT" >"$work/nats.log" 2>&1 & pids+=($!)
HTTP_PORT=$AUTH_PORT DATABASE_URL="sqlite://$work/auth.db" NATS_URL="nats://127.0.0.1:$NATS_PORT" \
  "./build/$PRESET/auth/ticketing-auth" & pids+=($!)
HTTP_PORT=$ORDERS_PORT DATABASE_URL="sqlite://$work/orders.db" NATS_URL="nats://127.0.0.1:$NATS_PORT" \
  "./build/$PRESET/orders/ticketing-orders" & pids+=($!)
ready() { for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$1/readyz" >/dev/null && return 0; sleep 0.1; done; return 1; }
ready "$AUTH_PORT"; ready "$ORDERS_PORT"

echo "== $TICKETS tickets into the orders replica" >&2
sqlite3 "$work/orders.db" "PRAGMA busy_timeout=10000;
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $TICKETS)
  INSERT INTO tickets (id, title, price, version) SELECT printf('%024x', i), 'Concert', 2000, 0 FROM n;"

buyer=$(bench_signup_cookie "http://127.0.0.1:$AUTH_PORT" buyer@bench.test)
reader=$(bench_signup_cookie "http://127.0.0.1:$AUTH_PORT" reader@bench.test)
for i in $(seq 1 10); do  # the reader's 10 orders, on the last tickets
  curl -fs -o /dev/null -b "$reader" -H 'Content-Type: application/json' \
    -d "{\"ticketId\":\"$(printf '%024x' $((TICKETS - i)))\"}" "http://127.0.0.1:$ORDERS_PORT/api/orders"
done

echo "== POST /api/orders: wrk -t2 -c400 -d$DURATION" >&2
WRK_THREADS=2 wrk -t2 -c400 -d"$DURATION" --latency -H "Cookie: $buyer" -s tests/bench/wrk/create_orders.lua \
  "http://127.0.0.1:$ORDERS_PORT" > "$work/create.txt"
echo "== GET /api/orders: wrk -t2 -c400 -d$DURATION" >&2
wrk -t2 -c400 -d"$DURATION" --latency -H "Cookie: $reader" "http://127.0.0.1:$ORDERS_PORT/api/orders" > "$work/list.txt"
created=$(sqlite3 "$work/orders.db" "SELECT COUNT(*) FROM orders")
echo
echo "orders benchmark (same machine, SQLite, direct to the service; $created orders created):"
bench_summary "POST /api/orders (distinct tickets)" "$work/create.txt"
bench_summary "GET /api/orders (10 orders)" "$work/list.txt"
