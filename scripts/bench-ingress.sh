#!/usr/bin/env bash
# Ingress benchmark (issue 20): the whole stack as users reach it, next to the most any proxied
# service could do on this machine, in one run.
#   - starts the stack with the README's command (scripts/run.sh start --detach: SQLite and one
#     replica unless the options say otherwise) in a temporary data directory on free ports;
#   - starts beside it the reference: an nginx (worker_processes auto) proxying, HTTP/1.1 with
#     upstream keepalive 512, to a second server block that returns the body of a real
#     GET /api/tickets/:id answer;
#   - measures with wrk -t2 -c400 -d8s --latency: the reference (and, for scale, its upstream
#     alone: nginx's `return 200` without the proxy, as in scripts/bench-http.sh; the same proxy
#     reaching that upstream through a Unix socket, as the stack's ingress reaches the services
#     (scripts/run.sh, TICKETING_INGRESS_TRANSPORT); and our HTTP layer alone:
#     tests/bench/ticketing-hello answering the same body, behind the same proxy over the
#     stack's transport, and, right after GET /api/tickets/:id, in tickets' place behind the
#     stack's ingress),
#     GET /api/tickets/:id, GET /api/tickets?limit=100, POST /api/tickets (signed in),
#     POST /api/orders (another user, each request a ticket no other has used); then the time
#     from a PUT /api/tickets/:id's 200 to the orders service's replica holding the new version,
#     at 100 and at 1000 updates/s, and for scale the broker alone at the same rates (a
#     nats-server of its own: JetStream publish to a push consumer's delivery);
#   - prints req/s, p50, p99, errors and the ratio to the reference, the targets of issue 20 with
#     PASS or MISS, what each command spent on each wrk run's requests (its CPU time over the
#     run divided by the requests, in microseconds; ingress_tool.py cpu-per-request), and how
#     busy the host was before and after (a pipe round trip between two processes: on a shared
#     virtual machine it doubled within minutes, and every figure with it).
# Stops everything it started on exit. Exit status: 0 when every figure was measured (a MISS is a
# result, not a failure), 1 when one could not be, 2 on bad usage.
# Usage: scripts/bench-ingress.sh [--replicas N] [--postgres]   (passed to scripts/run.sh start;
#        --replicas above 1 means PostgreSQL)
# Environment:
#   BENCH_DURATION          each wrk run (default 8s)
#   BENCH_CONNECTIONS       wrk's connections (default 400); BENCH_THREADS its threads (default 2)
#   BENCH_ORDER_TICKETS     tickets made for POST /api/orders (default 12000 per second of the
#                           duration, enough for 12k orders/s); the POST /api/tickets run makes
#                           most of them, more are made if it did not make enough
#   BENCH_PROPAGATION_SECONDS  how long each update rate runs (default 5)
#   TICKETING_SKIP_BUILD=1, TICKETING_BIN, TICKETING_PRESET: as for scripts/run.sh (default: it
#                           builds the release preset); TICKETING_AUTH_RATE defaults to 1000 here
#   TICKETING_KEEP_TEMP=1   keep the temporary directory (the stack's logs and databases)
#   TICKETING_SCHED         as for scripts/run.sh (default batch); the reference nginx and
#                           ticketing-hello run with the stack's policy, wrk with the normal one
#   TICKETING_INGRESS_TRANSPORT  as for scripts/run.sh (default unix); ticketing-hello is reached
#                           the way the stack's ingress reaches the services (the table's title
#                           says which), the reference always over TCP as issue 20 describes it
set -euo pipefail
shopt -s extglob
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# scripts/run.sh hands the binaries' paths to supervisord, which needs them absolute.
if [ -n "${TICKETING_BIN:-}" ]; then TICKETING_BIN=$(cd "$TICKETING_BIN" && pwd); export TICKETING_BIN; fi
cd "$ROOT"
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh

DURATION=${BENCH_DURATION:-8s}
CONNECTIONS=${BENCH_CONNECTIONS:-400}
THREADS=${BENCH_THREADS:-2}
PROPAGATION_SECONDS=${BENCH_PROPAGATION_SECONDS:-5}
# wrk's duration in seconds: 8, 8s, 2m, 1h.
DURATION_S=$(awk -v d="$DURATION" 'BEGIN {
  n = d + 0; u = substr(d, length(d)); if (u == "m") n *= 60; else if (u == "h") n *= 3600; print int(n) }')
if [ "$DURATION_S" -lt 1 ]; then echo "BENCH_DURATION must be at least 1s" >&2; exit 2; fi
ORDER_TICKETS=${BENCH_ORDER_TICKETS:-$((DURATION_S * 12000))}

RUN_ARGS=()
while [ $# -gt 0 ]; do
  case $1 in
    --replicas) RUN_ARGS+=("$1" "${2:?--replicas needs a number}"); shift ;;
    --replicas=*|--postgres) RUN_ARGS+=("$1") ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

TOOL=(python3 "$ROOT/tests/bench/ingress_tool.py")
work=$(mktemp -d /tmp/bench-ingress.XXXXXX)
# PostgreSQL (--replicas N, --postgres) runs as its own user, which must reach its data.
chmod 755 "$work"
export TICKETING_DATA_DIR="$work/stack"
TICKETING_PORT_BASE=$(bench_free_port_range 80)
export TICKETING_PORT_BASE
export TICKETING_AUTH_RATE=${TICKETING_AUTH_RATE:-1000}
BASE="http://127.0.0.1:$TICKETING_PORT_BASE"

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  local pid
  for pid in $(jobs -p); do kill "$pid" 2>/dev/null || true; done
  bench_nginx_stop "$work/reference"
  echo "== stopping the stack" >&2
  bash scripts/run.sh stop >/dev/null 2>&1 || true
  if [ "${TICKETING_KEEP_TEMP:-0}" = 1 ]; then
    echo "kept $work (the stack's logs: $TICKETING_DATA_DIR/logs)" >&2
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { echo "== $*" >&2; }
fail() { echo "bench-ingress: $*" >&2; exit 1; }

# --- the stack and the reference ----------------------------------------------------------------
UNMEASURED=()
HOST_BEFORE=$("${TOOL[@]}" host || echo "?")
step "starting the stack: scripts/run.sh start --detach ${RUN_ARGS[*]} (data in $TICKETING_DATA_DIR, ingress $BASE)"
bash scripts/run.sh start --detach "${RUN_ARGS[@]}" >&2 || fail "the stack did not start (logs: $TICKETING_DATA_DIR/logs; TICKETING_KEEP_TEMP=1 keeps them)"
# shellcheck disable=SC1091
. "$TICKETING_DATA_DIR/run/stack.env"
if [ "$USE_POSTGRES" = 1 ]; then
  ORDERS_DB="postgresql://ticketing@127.0.0.1:$PG_PORT/orders"
  DATABASE="PostgreSQL"
else
  ORDERS_DB="sqlite://$TICKETING_DATA_DIR/orders.db"
  DATABASE="SQLite"
fi

step "signing up a seller and a buyer through the ingress"
SELLER=$(bench_signup_cookie "$BASE" seller@bench.test)
BUYER=$(bench_signup_cookie "$BASE" buyer@bench.test)
if [ -z "$SELLER" ] || [ -z "$BUYER" ]; then fail "sign-up through the ingress gave no session cookie"; fi

step "creating 101 tickets (GET one, list 100) and 200 to edit (propagation)"
"${TOOL[@]}" create --base "$BASE" --cookie "$SELLER" --count 101 > "$work/read-ids.txt"
"${TOOL[@]}" create --base "$BASE" --cookie "$SELLER" --count 200 > "$work/edit-ids.txt"
TICKET=$(head -1 "$work/read-ids.txt")
curl -fsS -o "$work/ticket.json" "$BASE/api/tickets/$TICKET"
BODY=$(cat "$work/ticket.json")
case $BODY in *"'"*|*'$'*|*'\'*) fail "the ticket's body does not fit in nginx's return: $BODY" ;; esac

# The reference and our HTTP layer alone run with the stack's scheduling policy (scripts/run.sh,
# TICKETING_SCHED: SCHED_BATCH by default), so that every ratio compares like with like.
if [ "${TICKETING_SCHED:-batch}" = batch ] && chrt --batch 0 true 2>/dev/null; then
  BENCH_SCHED=(chrt --batch 0)
fi
# The floor of our HTTP layer, for scale: ticketing-hello (common/http, the services' server)
# answering the same body on its I/O threads with a service's request log, behind a proxy like
# the reference's. What GET /api/tickets/:id could reach if reading the ticket cost nothing.
HELLO="${TICKETING_BIN:-$ROOT/build/${TICKETING_PRESET:-release}}/tests/bench/ticketing-hello"
if [ "${TICKETING_SKIP_BUILD:-0}" != 1 ]; then
  cmake --build "$(dirname "$(dirname "$(dirname "$HELLO")")")" --target ticketing-hello >&2 || true
fi
HELLO_BLOCK=""
if [ -x "$HELLO" ]; then
  HELLO_PORT=$(bench_free_port); HELLO_PROXY_PORT=$(bench_free_port)
  # Reached as the stack's ingress reaches the services: through a Unix socket when it does.
  hello_args=(--port "$HELLO_PORT") hello_server="127.0.0.1:$HELLO_PORT"
  if [ "${INGRESS_UNIX:-0}" = 1 ]; then
    hello_args+=(--unix-socket "$work/hello.sock") hello_server="unix:$work/hello.sock"
  fi
  LOG_LEVEL=info "${BENCH_SCHED[@]}" "$HELLO" "${hello_args[@]}" --body-file "$work/ticket.json" 2> "$work/hello.log" &
  HELLO_PID=$!
  HELLO_BLOCK="
  upstream bench_hello {
    server $hello_server;
    keepalive 512;
  }
  server {
    listen 127.0.0.1:$HELLO_PROXY_PORT;
    location / {
      proxy_pass http://bench_hello;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
    }
  }"
  if ! bench_wait_port "$HELLO_PORT"; then
    UNMEASURED+=("our HTTP layer alone (ticketing-hello did not listen: $work/hello.log)")
    HELLO_BLOCK=""  # neither floor row: the proxy would measure its own 502s
  fi
else
  UNMEASURED+=("our HTTP layer alone ($HELLO is not built)")
fi

step "starting the reference nginx (proxy with keepalive 512 to a ${#BODY}-byte ticket body)"
UPSTREAM_PORT=$(bench_free_port); REFERENCE_PORT=$(bench_free_port); REFERENCE_UNIX_PORT=$(bench_free_port)
bench_nginx_start "$work/reference" "$HELLO_BLOCK
  upstream bench_ticket {
    server 127.0.0.1:$UPSTREAM_PORT;
    keepalive 512;
  }
  upstream bench_ticket_unix {
    server unix:$work/reference.sock;
    keepalive 512;
  }
  server {
    listen 127.0.0.1:$UPSTREAM_PORT;
    listen unix:$work/reference.sock;
    location / { default_type application/json; return 200 '$BODY'; }
  }
  server {
    listen 127.0.0.1:$REFERENCE_UNIX_PORT;
    location / {
      proxy_pass http://bench_ticket_unix;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
    }
  }
  server {
    listen 127.0.0.1:$REFERENCE_PORT;
    location / {
      proxy_pass http://bench_ticket;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
    }
  }"
bench_wait_port "$REFERENCE_PORT" || fail "the reference nginx does not listen"
[ "$(curl -fsS "http://127.0.0.1:$REFERENCE_PORT/api/tickets/$TICKET")" = "$BODY" ] ||
  fail "the reference does not answer the ticket's body"

# --- measuring ----------------------------------------------------------------------------------
declare -A RPS P50 P99 ERRORS NOTE

# What each command spent on a run's requests: CPU time (user and system, all threads) between
# a snapshot before wrk and one after, divided by the requests wrk completed. A POST's events are
# still being handled when wrk stops: that tail is not in its figures.
cpu_snapshot() { "${TOOL[@]}" cpu-snapshot --out "$work/$1.cpu.json" || true; }
cpu_per_request() { # key requests
  [ -s "$work/$1.before.cpu.json" ] && [ -s "$work/$1.after.cpu.json" ] && [ -n "$2" ] || return 0
  "${TOOL[@]}" cpu-per-request --before "$work/$1.before.cpu.json" \
    --after "$work/$1.after.cpu.json" --requests "$2" > "$work/$1.cpu" || true
}

measure() { # key label path-or-url [wrk options...]
  local key=$1 label=$2 url=$3; shift 3
  [[ $url == http* ]] || url="$BASE$url"
  local shown="$*"
  step "$label: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency ${shown//session=+([^ ])/session=...}${shown:+ }$url"
  cpu_snapshot "$key.before"
  if ! wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url" > "$work/$key.txt" 2>&1 ||
     [ -z "$(bench_wrk_value "$work/$key.txt" rps)" ]; then
    cat "$work/$key.txt" >&2
    UNMEASURED+=("$label (wrk failed)")
    return 1
  fi
  cpu_snapshot "$key.after"
  cpu_per_request "$key" "$(bench_wrk_value "$work/$key.txt" requests)"
  RPS[$key]=$(bench_wrk_value "$work/$key.txt" rps)
  P50[$key]=$(bench_wrk_value "$work/$key.txt" p50)
  P99[$key]=$(bench_wrk_value "$work/$key.txt" p99)
  ERRORS[$key]=$(bench_wrk_errors "$work/$key.txt")
  printf '   %s req/s, p50 %s ms, p99 %s ms, %s%s\n' "${RPS[$key]}" "${P50[$key]}" "${P99[$key]}" \
    "${ERRORS[$key]:-no errors}" "${RPS[reference]:+, ratio $(ratio "$key")}" >&2
}

# The ratio to the reference, printed to two decimals; `ratio KEY exact` unrounded, for the
# verdicts (0.1499 is printed 0.15 but does not meet 0.15).
ratio() { ratio_to "$1" reference "${2:-}"; }
# The same to another base: `ratio_to KEY BASE_KEY [exact]`.
ratio_to() { awk -v a="${RPS[$1]:-}" -v b="${RPS[$2]:-}" -v exact="${3:-}" 'BEGIN {
  if (a == "" || b == "" || b == 0) print "-"; else if (exact != "") print a / b; else printf "%.2f", a / b }'; }

# The floor through the ingress, right after GET /api/tickets/:id and with the stack as quiet:
# tickets' only replica stops and ticketing-hello takes its port, so the GET crosses the same
# ingress (its access log, limits and headers) to a server that reads nothing; then tickets comes
# back, ready, before the next figure. Measured last instead, it moved with the events that POST
# /api/orders left to handle (0.47-0.82 of the reference in three runs). With two replicas nginx
# would share the GETs between hello and a live tickets: not measured.
floor_via_ingress() {
  local ctl=(supervisorctl -c "$TICKETING_DATA_DIR/run/supervisord.conf") port=$SERVICE_PORT_tickets_0
  step "our HTTP layer alone via the ingress: tickets-0 stops, ticketing-hello takes its port $port"
  if ! "${ctl[@]}" stop tickets-0 >&2; then
    UNMEASURED+=("our HTTP layer alone via the ingress (tickets-0 did not stop)")
    return 0
  fi
  local socket_args=()
  if [ "${INGRESS_UNIX:-0}" = 1 ]; then socket_args=(--unix-socket "$TICKETING_DATA_DIR/run/tickets-0.sock"); fi
  LOG_LEVEL=info "${BENCH_SCHED[@]}" "$HELLO" --port "$port" "${socket_args[@]}" --body-file "$work/ticket.json" 2> "$work/hello-ingress.log" &
  local hello_pid=$! answered=0 deadline
  # nginx may first try a kept connection to the old process, or hold the replica as failed
  # for its fail_timeout (2 s): the body is asked for until it comes, for at most 10 s.
  if bench_wait_port "$port"; then
    deadline=$((SECONDS + 10))
    while [ "$SECONDS" -lt "$deadline" ]; do
      if [ "$(curl -fsS "$BASE/api/tickets/$TICKET" 2>/dev/null)" = "$BODY" ]; then answered=1; break; fi
      sleep 0.1
    done
  fi
  if [ "$answered" = 1 ]; then
    measure floor_ingress "our HTTP layer alone, via the ingress (no database)" "/api/tickets/$TICKET" || true
  else
    UNMEASURED+=("our HTTP layer alone via the ingress (ticketing-hello did not answer: $work/hello-ingress.log)")
  fi
  kill "$hello_pid" 2>/dev/null || true
  wait "$hello_pid" 2>/dev/null || true
  step "tickets-0 back on port $port"
  "${ctl[@]}" start tickets-0 >&2 || fail "tickets-0 did not start again"
  deadline=$((SECONDS + 60))
  until curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" &&
        curl -fs -o /dev/null "$BASE/api/tickets/$TICKET"; do
    [ "$SECONDS" -lt "$deadline" ] || fail "tickets-0 was not ready again within 60 s"
    sleep 0.2
  done
}

measure reference "reference (nginx proxy, static ticket body)" "http://127.0.0.1:$REFERENCE_PORT/api/tickets/$TICKET" ||
  fail "the reference could not be measured: no ratio without it"
# Not a target's base, for scale: nginx answering by itself parses one request where the proxy
# parses three (the client's, and the upstream's on both of its ends).
measure direct "nginx return 200, not proxied" "http://127.0.0.1:$UPSTREAM_PORT/api/tickets/$TICKET" || true
# Not a target's base either: the issue's reference reaches its upstream over loopback TCP; this is
# the same proxy over a Unix socket, the transport of the stack's ingress when it uses one.
measure reference_unix "reference, upstream over a Unix socket" "http://127.0.0.1:$REFERENCE_UNIX_PORT/api/tickets/$TICKET" || true
if [ -n "$HELLO_BLOCK" ]; then
  measure floor "our HTTP layer alone, proxied (no database)" "http://127.0.0.1:$HELLO_PROXY_PORT/api/tickets/$TICKET" || true
fi
# Not needed after its run: it would only wake (its log's flusher) during the others.
if [ -n "${HELLO_PID:-}" ]; then kill "$HELLO_PID" 2>/dev/null || true; wait "$HELLO_PID" 2>/dev/null || true; fi
measure get "GET /api/tickets/:id" "/api/tickets/$TICKET" || true
if [ -n "$HELLO_BLOCK" ] && [ "$REPLICAS" = 1 ]; then floor_via_ingress; fi
measure list "GET /api/tickets?limit=100" "/api/tickets?limit=100" || true
measure create "POST /api/tickets" "/api/tickets" -H "Cookie: $SELLER" -s tests/bench/wrk/create_tickets.lua || true

# Tickets for the orders: those the POST run made, and more if that was not enough.
step "listing the tickets for POST /api/orders (need $ORDER_TICKETS)"
"${TOOL[@]}" ids --base "$BASE" --exclude "$work/edit-ids.txt" > "$work/order-ids.txt"
for _ in 1 2 3; do
  have=$(wc -l < "$work/order-ids.txt")
  [ "$have" -ge "$ORDER_TICKETS" ] && break
  rate=${RPS[create]:-1000}
  more=$(awk -v n="$((ORDER_TICKETS - have))" -v r="$rate" 'BEGIN { s = int(n / r * 1.3) + 2; print s }')
  step "$have tickets: making $((ORDER_TICKETS - have)) more (wrk POST /api/tickets for ${more}s)"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${more}s" -H "Cookie: $SELLER" -s tests/bench/wrk/create_tickets.lua \
    "$BASE/api/tickets" > "$work/more-tickets.txt"
  "${TOOL[@]}" ids --base "$BASE" --exclude "$work/edit-ids.txt" > "$work/order-ids.txt"
done
have=$(wc -l < "$work/order-ids.txt")
[ "$have" -ge "$ORDER_TICKETS" ] || UNMEASURED+=("POST /api/orders: only $have of $ORDER_TICKETS tickets could be made")
step "waiting until the orders service knows all $((have + 200)) tickets (ticket:created consumed)"
cat "$work/order-ids.txt" "$work/edit-ids.txt" > "$work/all-ids.txt"
KNOWN=1
"${TOOL[@]}" known --db "$ORDERS_DB" --ids "$work/all-ids.txt" --timeout 900 || KNOWN=0

# Event propagation: PUT's 200 -> the orders replica at the new version.
declare -A PROP_P50 PROP_P99 PROP_NOTE
propagate() { # rate poll-sleep
  local rate=$1 out
  step "propagation at $rate updates/s for ${PROPAGATION_SECONDS}s (PUT /api/tickets/:id -> orders' replica)"
  cpu_snapshot "prop$rate.before"
  if ! out=$("${TOOL[@]}" propagation --base "$BASE" --cookie "$SELLER" --db "$ORDERS_DB" \
      --ids "$work/edit-ids.txt" --rate "$rate" --seconds "$PROPAGATION_SECONDS" --poll-sleep "$2"); then
    UNMEASURED+=("propagation at $rate/s (the tool failed)")
    return
  fi
  cpu_snapshot "prop$rate.after"
  echo "$out" > "$work/propagation-$rate.json"
  local p50 p99 samples sent note
  IFS='|' read -r p50 p99 samples sent note < <(python3 -c '
import json, sys
r = json.load(sys.stdin)
unseen = ">%d" % (r["settle_s"] * 1000) if r["unseen"] else ""
fmt = lambda v: unseen if v is None else "%.2f" % v
bad = {k: v for k, v in r["statuses"].items() if k != "200"}
note = "%d updates, %.0f/s achieved" % (r["ok"], r["achieved_rate"])
if bad: note += ", answers " + " ".join("%s x%d" % kv for kv in bad.items())
if r["unseen"]: note += ", %d never seen in the replica" % r["unseen"]
print("|".join([fmt(r["p50_ms"]), fmt(r["p99_ms"]), str(r["samples"]), str(r["sent"]), note]))
' <<< "$out")
  # Per update. The tool has ended by the second snapshot: its looking at the replica is in the
  # machine's busy time, not in the list.
  cpu_per_request "prop$rate" "$sent"
  PROP_P50[$rate]=$p50; PROP_P99[$rate]=$p99; PROP_NOTE[$rate]=$note
  echo "   p50 $p50 ms, p99 $p99 ms ($note)" >&2
  if [ "$samples" = 0 ]; then UNMEASURED+=("propagation at $rate/s (no update reached the replica)"); fi
}
# For scale, not a target's base: the broker alone at the same rate (a nats-server of its own,
# JetStream with file storage, publish to a push consumer's delivery), on the same machine.
declare -A BROKER_P50 BROKER_P99
broker() { # rate
  local rate=$1 out
  step "the broker alone at $rate messages/s for ${PROPAGATION_SECONDS}s (nats-server, publish -> delivery)"
  if ! out=$("${TOOL[@]}" broker --rate "$rate" --seconds "$PROPAGATION_SECONDS"); then
    UNMEASURED+=("the broker alone at $rate/s (the tool failed)")
    return
  fi
  read -r BROKER_P50[$rate] BROKER_P99[$rate] < <(python3 -c '
import json, sys
r = json.load(sys.stdin)
print("%.2f %.2f" % (r["p50_ms"], r["p99_ms"]))' <<< "$out")
  echo "   p50 ${BROKER_P50[$rate]} ms, p99 ${BROKER_P99[$rate]} ms" >&2
}
if [ "$KNOWN" = 1 ]; then
  # At 100/s the replica is looked at without a pause while an update is pending; at 1000/s,
  # when one almost always is, every 0.2 ms, so that the looking does not take a core from the
  # stack. A look through psql costs PostgreSQL a query: there every 0.2 and every 1 ms.
  if [ "$USE_POSTGRES" = 1 ]; then
    propagate 100 0.0002
    propagate 1000 0.001
  else
    propagate 100 0
    propagate 1000 0.0002
  fi
  broker 100
  broker 1000
else
  UNMEASURED+=("propagation and POST /api/orders (orders did not learn every ticket in 900 s)")
fi

if [ "$KNOWN" = 1 ] && [ "$have" -ge "$ORDER_TICKETS" ]; then
  before=$("${TOOL[@]}" orders --db "$ORDERS_DB")
  if WRK_TICKET_IDS="$work/order-ids.txt" WRK_THREADS=$THREADS measure order "POST /api/orders (distinct tickets)" \
      /api/orders -H "Cookie: $BUYER" -s tests/bench/wrk/create_orders.lua; then
    after=$("${TOOL[@]}" orders --db "$ORDERS_DB")
    NOTE[order]="$((after - before)) orders created, $(bench_wrk_value "$work/order.txt" requests) answers"
    if grep -q "ticket ids exhausted in [1-9]" "$work/order.txt"; then
      UNMEASURED+=("POST /api/orders: the $have tickets ran out (BENCH_ORDER_TICKETS)")
    fi
    if [ "$(bench_wrk_value "$work/order.txt" non2xx)" != 0 ]; then
      UNMEASURED+=("POST /api/orders: answers other than 201 (a ticket reused or unknown to orders)")
    fi
  fi
fi

# --- the table ----------------------------------------------------------------------------------
verdict() { # key min-ratio max-p99-ms (either may be "")
  local key=$1
  [ -n "${RPS[$key]:-}" ] || { echo "-"; return; }
  awk -v r="$(ratio "$key" exact)" -v p="${P99[$key]}" -v min="$2" -v max="$3" -v errs="${ERRORS[$key]:-}" 'BEGIN {
    ok = 1
    if (min != "" && (r == "-" || r + 0 < min + 0)) ok = 0
    if (max != "" && p + 0 >= max + 0) ok = 0
    if (errs != "") ok = 0
    print ok ? "PASS" : "MISS" }'
}
prop_verdict() { # rate p50|p99 max-ms
  local value
  if [ "$2" = p50 ]; then value=${PROP_P50[$1]:-}; else value=${PROP_P99[$1]:-}; fi
  if [ -z "$value" ]; then echo "-"; return; fi
  awk -v v="$value" -v max="$3" 'BEGIN { print (v !~ /^>/ && v + 0 < max + 0) ? "PASS" : "MISS" }'
}
row() { printf '%-38s %10s %9s %9s %6s  %-24s %s\n' "$@"; }
wrk_row() { # key label target verdict
  row "$2" "${RPS[$1]:--}" "${P50[$1]:--}" "${P99[$1]:--}" "$(ratio "$1")" "$3" "$4"
}

echo
TRANSPORT="ingress to services over $([ "${INGRESS_UNIX:-0}" = 1 ] && echo "Unix sockets" || echo "loopback TCP")"
echo "Ingress benchmark ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $DATABASE, $REPLICAS replica(s) per service, $TRANSPORT; wrk -t$THREADS -c$CONNECTIONS -d$DURATION; p50 and p99 in ms):"
row "figure" "req/s" "p50" "p99" "ratio" "target" "result"
wrk_row reference "reference (nginx proxy, static body)" "" ""
wrk_row direct "(nginx return 200, not proxied)" "" ""
wrk_row reference_unix "(reference over a Unix socket)" "" ""
wrk_row floor "(our HTTP layer alone, proxied)" "" ""
wrk_row floor_ingress "(our HTTP layer alone, via ingress)" "" ""
wrk_row get "GET /api/tickets/:id" ">= 0.70, p99 < 30 ms" "$(verdict get 0.7 30)"
wrk_row list "GET /api/tickets?limit=100" "" ""
wrk_row create "POST /api/tickets" ">= 0.25, p99 < 60 ms" "$(verdict create 0.25 60)"
wrk_row order "POST /api/orders (distinct tickets)" ">= 0.15" "$(verdict order 0.15 "")"
row "propagation PUT -> orders, 100/s" "-" "${PROP_P50[100]:--}" "${PROP_P99[100]:--}" "-" "p50 < 0.5 ms" "$(prop_verdict 100 p50 0.5)"
row "propagation PUT -> orders, 1000/s" "-" "${PROP_P50[1000]:--}" "${PROP_P99[1000]:--}" "-" "p99 < 5 ms" "$(prop_verdict 1000 p99 5)"
row "(the broker alone, 100/s)" "-" "${BROKER_P50[100]:--}" "${BROKER_P99[100]:--}" "-" "" ""
row "(the broker alone, 1000/s)" "-" "${BROKER_P50[1000]:--}" "${BROKER_P99[1000]:--}" "-" "" ""
echo
if [ -n "${RPS[reference_unix]:-}" ]; then
  echo "the same figures over the reference with a Unix-socket upstream ($(printf '%.0f' "${RPS[reference_unix]}") req/s):" \
    "GET /api/tickets/:id $(ratio_to get reference_unix), POST /api/tickets $(ratio_to create reference_unix)," \
    "POST /api/orders $(ratio_to order reference_unix)"
fi
for key in reference direct reference_unix floor floor_ingress get list create order; do
  [ -n "${ERRORS[$key]:-}" ] && echo "errors, $key: ${ERRORS[$key]}"
done
[ -n "${NOTE[order]:-}" ] && echo "POST /api/orders: ${NOTE[order]}"
[ -n "${RPS[floor]:-}" ] && echo "our HTTP layer alone: ticketing-hello (common/http) answering the ticket's body on its I/O threads, logging each request, behind a proxy like the reference's, and (via ingress) in tickets' place behind the stack's ingress, right after GET (the floor of GET /api/tickets/:id here)"
[ -n "${BROKER_P50[100]:-}" ] && echo "the broker alone: a nats-server of its own, JetStream publish -> push consumer's delivery (the floor of propagation here)"
for rate in 100 1000; do
  [ -n "${PROP_NOTE[$rate]:-}" ] && echo "propagation at $rate/s: ${PROP_NOTE[$rate]}"
done
echo
echo "CPU per request (per update for propagation) by command over each run (microseconds; the machine's figures add up both cores):"
for key in reference direct reference_unix floor floor_ingress get list create order prop100 prop1000; do
  [ -s "$work/$key.cpu" ] && printf '  %-10s %s\n' "$key" "$(cat "$work/$key.cpu")"
done
echo
echo "host: a pipe round trip between two processes took $HOST_BEFORE us before the runs and" \
  "$("${TOOL[@]}" host || echo "?") us after (it moves with the machine's neighbours; compare runs only at like values)" 
if [ ${#UNMEASURED[@]} -gt 0 ]; then
  echo
  echo "not measured:"
  printf '  %s\n' "${UNMEASURED[@]}"
  exit 1
fi
exit 0
