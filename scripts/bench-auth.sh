#!/usr/bin/env bash
# auth benchmark (issue 4): sign-in throughput and p99 at 50 connections (every request runs
# Argon2id with the production limits) and currentuser with a valid cookie at 400 connections.
# Usage: scripts/bench-auth.sh [duration, default 10s]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10s}
PRESET=${TICKETING_PRESET:-release}
bash scripts/setup.sh
cmake --preset "$PRESET" >/dev/null
cmake --build "build/$PRESET" --target ticketing-auth

work=$(mktemp -d)
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null
  [ -n "${nats_pid:-}" ] && kill "$nats_pid" 2>/dev/null
  wait 2>/dev/null; rm -rf "$work"
}
trap cleanup EXIT
PORT=$(bench_free_port)
NATS_PORT=$(bench_free_port)
# auth publishes sign-outs (session:revoked) on the bus.
nats-server -js -sd "$work/nats" -a 127.0.0.1 -p "$NATS_PORT" >"$work/nats.log" 2>&1 &
nats_pid=$!
# Session keys (DESIGN.md section 13): auth signs with the private one, the others check.
. scripts/session-keys.sh
make_session_keys "$work/jwt" bench
export JWT_PRIVATE_KEY_FILE="$work/jwt/signing/bench.pem" JWT_KEY_ID=bench \
  JWT_PUBLIC_KEYS_DIR="$work/jwt/public"
HTTP_PORT=$PORT LOG_LEVEL=warn NATS_URL="nats://127.0.0.1:$NATS_PORT" \
  AUTH_RATE_PER_ADDRESS=1000000 AUTH_RATE_PER_ACCOUNT=1000000 \
  DATABASE_URL="sqlite://$work/auth.db" "./build/$PRESET/auth/ticketing-auth" &
pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
BASE="http://127.0.0.1:$PORT"
cookie=$(bench_signup_cookie "$BASE" bench@test.com)

echo "== signin: wrk -t2 -c50 -d$DURATION" >&2
wrk -t2 -c50 -d"$DURATION" --latency -s tests/bench/wrk/signin.lua "$BASE/api/users/signin" > "$work/signin.txt"
echo "== currentuser: wrk -t2 -c400 -d$DURATION" >&2
wrk -t2 -c400 -d"$DURATION" --latency -H "Cookie: $cookie" "$BASE/api/users/currentuser" > "$work/current.txt"
echo
echo "auth benchmark (same machine; Argon2id interactive limits, PASSWORD_HASH_CONCURRENCY=4):"
bench_summary "POST /api/users/signin (50 connections)" "$work/signin.txt"
bench_summary "GET /api/users/currentuser (400 connections)" "$work/current.txt"
