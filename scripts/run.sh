#!/usr/bin/env bash
# Runs the local stack on localhost:8080 under supervisord (DESIGN.md section 9).
#   scripts/run.sh [start]   install what is missing, build, start everything, wait until ready
#   scripts/run.sh stop      stop everything (data is kept in $TICKETING_DATA_DIR, default .data)
#   scripts/run.sh status    what runs
# It runs nats-server (JetStream, file store), redis-server (AOF), the five services (payments
# with the sandbox gateway) and the nginx ingress.
# JWT_KEY comes from the environment; when it is not set, a random key is made once and kept in
# $TICKETING_DATA_DIR/run/jwt_key (mode 600), so sessions survive a restart.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${TICKETING_DATA_DIR:-$ROOT/.data}
CMD=${1:-start}
CTL=(supervisorctl -c "$DATA/run/supervisord.conf")
PRESET=${TICKETING_PRESET:-release}
BIN="$ROOT/build/$PRESET"
SERVICES=(auth tickets orders expiration payments)
declare -A PORTS=([auth]=3001 [tickets]=3002 [orders]=3003 [expiration]=3004 [payments]=3005)

render() {
  mkdir -p "$DATA"/{run,logs,nats,redis}
  sed -e "s|@DATA@|$DATA|g" -e "s|@ROOT@|$ROOT|g" -e "s|@BIN@|$BIN|g" \
    "$ROOT/infra/local/supervisord.conf.in" > "$DATA/run/supervisord.conf"
  sed -e "s|@DATA@|$DATA|g" "$ROOT/infra/local/nginx.conf.in" > "$DATA/run/nginx.conf"
}

secrets() {
  if [ -z "${JWT_KEY:-}" ]; then
    if [ ! -s "$DATA/run/jwt_key" ]; then
      (umask 077; head -c 48 /dev/urandom | base64 | tr -d '\n' > "$DATA/run/jwt_key")
    fi
    JWT_KEY=$(cat "$DATA/run/jwt_key")
  fi
  export JWT_KEY
  export LOG_LEVEL=${LOG_LEVEL:-info}
  export EXPIRATION_WINDOW_SECONDS=${EXPIRATION_WINDOW_SECONDS:-900}
}

wait_ready() { # port name
  for _ in $(seq 1 300); do
    if curl -fs "http://127.0.0.1:$1/readyz" >/dev/null 2>&1; then echo "  $2 ready on :$1"; return 0; fi
    sleep 0.2
  done
  echo "  $2 is not ready on :$1 (see $DATA/logs/$2.log)" >&2; return 1
}

wait_tcp() { # port name
  for _ in $(seq 1 150); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then echo "  $2 ready on :$1"; return 0; fi
    sleep 0.2
  done
  echo "  $2 did not come up on :$1 (see $DATA/logs)" >&2; return 1
}

case "$CMD" in
  start)
    bash "$ROOT/scripts/setup.sh"
    echo "== build (release)"
    cmake --preset "$PRESET" -S "$ROOT" >/dev/null
    cmake --build "$BIN" --target $(printf 'ticketing-%s ' "${SERVICES[@]}")
    render
    secrets
    if [ -S "$DATA/run/supervisor.sock" ] && "${CTL[@]}" status >/dev/null 2>&1; then
      echo "== already running: reloading configuration"
      "${CTL[@]}" update
    else
      echo "== starting supervisord"
      supervisord -c "$DATA/run/supervisord.conf"
    fi
    wait_tcp 4222 nats-server
    wait_tcp 6379 redis-server
    for svc in "${SERVICES[@]}"; do wait_ready "${PORTS[$svc]}" "$svc"; done
    wait_tcp 8080 ingress
    echo
    echo "Ticketing is up: http://localhost:8080   logs: $DATA/logs   stop: scripts/run.sh stop"
    ;;
  stop)
    if [ -f "$DATA/run/supervisord.conf" ] && "${CTL[@]}" status >/dev/null 2>&1; then
      "${CTL[@]}" shutdown
    fi
    # supervisorctl returns before children have exited; wait for the pid file to go.
    for _ in $(seq 1 100); do [ -f "$DATA/run/supervisord.pid" ] || break; sleep 0.1; done
    echo "stopped (data kept in $DATA)"
    ;;
  status)
    "${CTL[@]}" status || true
    ;;
  *)
    echo "usage: scripts/run.sh [start|stop|status]" >&2; exit 2 ;;
esac
