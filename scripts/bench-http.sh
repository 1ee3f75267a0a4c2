#!/usr/bin/env bash
# HTTP benchmark (issue 2): a tiny `hello` route served by common/http next to nginx returning the
# same body with `return 200`, both measured with `wrk -t2 -c400 -d10s` in the same run.
# Usage: scripts/bench-http.sh [duration, default 10s]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10s}
bash scripts/setup.sh
PRESET=${TICKETING_PRESET:-release}
cmake --preset "$PRESET" >/dev/null
cmake --build build/$PRESET --target ticketing-hello

work=$(mktemp -d)
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
cleanup() {
  [ -n "${hello_pid:-}" ] && kill "$hello_pid" 2>/dev/null || true
  bench_nginx_stop "$work/nginx"
  rm -rf "$work"
}
trap cleanup EXIT

HELLO_PORT=$(bench_free_port); NGINX_PORT=$(bench_free_port)
bench_nginx_start "$work/nginx" "  server {
    listen 127.0.0.1:$NGINX_PORT reuseport backlog=4096;
    location /hello { default_type application/json; return 200 '{\"hello\":\"world\"}'; }
  }"

run_wrk() { # key label url
  echo "== $2: wrk -t2 -c400 -d$DURATION --latency $3" >&2
  wrk -t2 -c400 -d"$DURATION" --latency "$3" > "$work/$1.txt"
  local rps p99 errors
  rps=$(bench_wrk_value "$work/$1.txt" rps)
  p99=$(awk '$1=="99%" {print $2}' "$work/$1.txt")
  errors=$(bench_wrk_errors "$work/$1.txt")
  printf '%-26s %12s req/s   p99 %9s   %s\n' "$2" "$rps" "$p99" "${errors:-no errors}"
  echo "$rps" > "$work/$1.rps"
}

results=()
for mode in worker inline; do
  flag=""; [ "$mode" = inline ] && flag="--inline"
  LOG_LEVEL=warn ./build/$PRESET/tests/bench/ticketing-hello --port "$HELLO_PORT" $flag &
  hello_pid=$!
  bench_wait_port "$HELLO_PORT"
  results+=("$(run_wrk "hello-$mode" "common/http ($mode)" "http://127.0.0.1:$HELLO_PORT/hello")")
  kill -TERM "$hello_pid"; wait "$hello_pid" || true; hello_pid=""
done
bench_wait_port "$NGINX_PORT"
results+=("$(run_wrk nginx "nginx return 200" "http://127.0.0.1:$NGINX_PORT/hello")")

echo
echo "HTTP benchmark (same machine, same run, wrk -t2 -c400 -d$DURATION):"
printf '%s\n' "${results[@]}"
nginx_rps=$(cat "$work/nginx.rps")
for mode in worker inline; do
  ours=$(cat "$work/hello-$mode.rps")
  awk -v a="$ours" -v b="$nginx_rps" -v m="$mode" 'BEGIN { printf "ratio common/http (%s) / nginx: %.2f (target >= 0.5)\n", m, a/b }'
done
