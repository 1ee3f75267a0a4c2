#!/usr/bin/env bash
# Runs the local stack under supervisord (DESIGN.md section 9).
#   scripts/run.sh [start] [options]  install what is missing, build, start everything, wait until
#                                     every /readyz answers, print the URL; then stay in the
#                                     foreground until Ctrl-C, which stops everything
#   scripts/run.sh stop               stop everything (data is kept)
#   scripts/run.sh status             processes, readiness, consumers, outboxes, expirations
#   scripts/run.sh replay <svc|all> [--force]
#                                     stop the service's replicas, rebuild its database (or, for
#                                     expiration, its pending jobs) from the event log, start them
#   scripts/run.sh dump <svc>         the canonical dump of a service's database (JSON lines)
#   scripts/run.sh dlq list [--consumer C] | summary | show <id> |
#                  redrive <id>|--all [--consumer C] | purge <id>|--all [--consumer C] [--yes]
#                                     the dead letters: list them, look at one, deliver them again
#                                     to the consumer that dead-lettered them, remove them
# Options of start:
#   -d, --detach          return once ready and leave the stack running (stop with `stop`)
#   --replicas N          N processes of every service (1..9); with N > 1 a local PostgreSQL
#                         cluster (initdb under the data directory) holds one database per
#                         service, since SQLite is for one process
#   --postgres            PostgreSQL even with one replica
#   --nats-cluster        three nats-server processes in one JetStream cluster (stream replicas 3)
#   --containers          the services run from their container images (scripts/images.sh builds
#                         them with podman): non-root, read-only root filesystem, no capabilities,
#                         a data volume each, host network; the servers and nginx stay processes
#   --observe             also a Prometheus server (on 127.0.0.1, port 9090 or base + 12) that
#                         scrapes every replica's /metrics and evaluates the alert rules of
#                         infra/prometheus/alerts.yml; its data under the data directory
# It runs nats-server (JetStream, file store), redis-server (AOF, noeviction), the five services
# (payments with the sandbox gateway unless PAYMENT_GATEWAY says otherwise) and the nginx ingress,
# which also serves the storefront (web/dist, built by scripts/web-build.sh) at / and the API's
# page at /api/docs.
# Environment:
#   TICKETING_DATA_DIR    data, logs and generated configuration (default .data in the checkout)
#   TICKETING_PORT_BASE   move every port: ingress on the base, the rest just above it (tests)
#   TICKETING_AUTH_RATE   sign-in/sign-up requests per second per client address (default 10)
#   TICKETING_PRESET      build preset (default release); TICKETING_SKIP_BUILD=1 uses what is built
#                         (with --containers: the images already built; the storefront's web/dist
#                         and api/dist as they are: scripts/web-build.sh builds them)
#   JWT_PRIVATE_KEY_FILE, JWT_KEY_ID, JWT_PUBLIC_KEYS_DIR
#                         the session keys (DESIGN.md section 13); when not all set, an ES256 key
#                         pair (kid local-1) is made once under <data>/keys/jwt, the private key
#                         mode 600, so sessions survive a restart
# Credentials: one NATS user per service (publishing only its own subjects) and an `ops` user for
# the tools, a Redis ACL user for expiration and a password for Redis's default user, each a
# random secret made once in <data>/secrets (mode 600) and handed to processes through
# supervisord's environment, never on a command line or in a generated file but the servers' own
# configuration (mode 600). Services listen on 127.0.0.1 only (HTTP_ADDRESS).
#   EXPIRATION_WINDOW_SECONDS, LOG_LEVEL, PAYMENT_GATEWAY, STRIPE_KEY, STRIPE_API_BASE,
#   STRIPE_PUBLISHABLE_KEY,
#   NATS_RETRY_HORIZON_SECONDS: passed on
#   TICKETING_MALLOC      jemalloc (default: the services run with Debian's libjemalloc2 preloaded)
#                         or system (glibc's malloc, e.g. for an ASan build)
#   TICKETING_SCHED       batch (default: supervisord, and so every process it starts, runs
#                         SCHED_BATCH: the kernel lets a running process finish its slice
#                         instead of switching to each one a message wakes) or normal
#   TICKETING_INGRESS_TRANSPORT
#                         unix (default: nginx reaches each replica of auth, tickets, orders and
#                         payments through a Unix socket, <data>/run/<service>-<replica>.sock,
#                         which costs both ends less than loopback TCP; the replicas still listen
#                         on their ports for everything else) or tcp. With --containers, or when
#                         nginx's workers (nobody, when we are root) cannot reach <data>/run, TCP.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${TICKETING_DATA_DIR:-$ROOT/.data}
mkdir -p "$DATA"
DATA=$(cd "$DATA" && pwd)
RUN="$DATA/run"
LOGS="$DATA/logs"
SECRETS="$DATA/secrets"
# shellcheck source=scripts/session-keys.sh
. "$ROOT/scripts/session-keys.sh"
JWT_DIR="$DATA/keys/jwt"
CTL=(supervisorctl -c "$RUN/supervisord.conf")
PRESET=${TICKETING_PRESET:-release}
BIN=${TICKETING_BIN:-$ROOT/build/$PRESET}
SERVICES=(auth tickets orders expiration payments)
DB_SERVICES=(auth tickets orders payments)
case ${TICKETING_SCHED:-batch} in
  batch|normal) ;;
  *) echo "TICKETING_SCHED must be batch or normal, not '$TICKETING_SCHED'" >&2; exit 2 ;;
esac
case ${TICKETING_INGRESS_TRANSPORT:-unix} in
  unix|tcp) ;;
  *) echo "TICKETING_INGRESS_TRANSPORT must be unix or tcp, not '$TICKETING_INGRESS_TRANSPORT'" >&2
     exit 2 ;;
esac

CMD=start
if [ $# -gt 0 ] && [[ "$1" != -* || "$1" = -h || "$1" = --help ]]; then CMD=$1; shift; fi

# --- ports --------------------------------------------------------------------------------------
# Every port comes from here; `status` and `stop` read them back from $RUN/stack.env.
ports() {
  local base=${TICKETING_PORT_BASE:-}
  if [ -n "$base" ]; then
    INGRESS_PORT=$base; NATS_PORT=$((base + 1)); NATS_ROUTE_PORT=$((base + 4))
    NATS_MONITOR_PORT=$((base + 7)); REDIS_PORT=$((base + 10)); PG_PORT=$((base + 11))
    PROMETHEUS_PORT=$((base + 12)); SERVICE_PORT_BASE=$((base + 20))
  else
    INGRESS_PORT=8080; NATS_PORT=4222; NATS_ROUTE_PORT=6222; NATS_MONITOR_PORT=8222
    REDIS_PORT=6379; PG_PORT=5544; PROMETHEUS_PORT=9090; SERVICE_PORT_BASE=3100
  fi
}

# Port of replica $2 (0-based) of service $1: auth 3100.., tickets 3110.., and so on.
service_port() {
  local i
  for i in "${!SERVICES[@]}"; do
    if [ "${SERVICES[$i]}" = "$1" ]; then echo $((SERVICE_PORT_BASE + 10 * i + $2)); return; fi
  done
}

# stack.env records every replica's port (SERVICE_PORT_<service>_<replica>): the tools and tests
# that reach a replica (status.py, tests/security, tests/load) read it there, so service_port is
# the only place that knows the layout.
save_stack() {
  local svc i
  {
    cat <<EOF
REPLICAS=$REPLICAS
NATS_NODES=$NATS_NODES
USE_POSTGRES=$USE_POSTGRES
INGRESS_PORT=$INGRESS_PORT
NATS_PORT=$NATS_PORT
NATS_ROUTE_PORT=$NATS_ROUTE_PORT
NATS_MONITOR_PORT=$NATS_MONITOR_PORT
REDIS_PORT=$REDIS_PORT
PG_PORT=$PG_PORT
SERVICE_PORT_BASE=$SERVICE_PORT_BASE
BIN=$BIN
CONTAINERS=$CONTAINERS
INGRESS_UNIX=$INGRESS_UNIX
OBSERVE=$OBSERVE
PROMETHEUS_PORT=$PROMETHEUS_PORT
EOF
    for svc in "${SERVICES[@]}"; do
      for ((i = 0; i < REPLICAS; i++)); do
        echo "SERVICE_PORT_${svc}_${i}=$(service_port "$svc" "$i")"
      done
    done
  } > "$RUN/stack.env"
}

load_stack() {
  if [ ! -f "$RUN/stack.env" ]; then
    echo "nothing was started from $DATA" >&2
    return 1
  fi
  # shellcheck disable=SC1091
  . "$RUN/stack.env"
}

nats_urls() {
  local urls="" n
  for ((n = 0; n < NATS_NODES; n++)); do
    urls+="${urls:+,}nats://127.0.0.1:$((NATS_PORT + n))"
  done
  echo "$urls"
}

# --- configuration ------------------------------------------------------------------------------
pg_bindir() {
  local dir
  dir=$(pg_config --bindir 2>/dev/null || true)
  if [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

# Runs a command as the postgres user when we are root (PostgreSQL refuses root).
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

program() { # name command [key=value ...]: one supervisord program
  local name=$1 command=$2; shift 2
  cat <<EOF

[program:$name]
command=$command
autorestart=true
startsecs=1
stopsignal=TERM
stopwaitsecs=30
startretries=1000
stdout_logfile=$LOGS/$name.log
stdout_logfile_maxbytes=50MB
redirect_stderr=true
EOF
  local kv
  for kv in "$@"; do echo "$kv"; done
}

# Where replica $2 of service $1 finds everything, one NAME=value per line. Secrets are not here:
# supervisord passes them from its own environment, and replay and dump do not need them.
service_env() {
  local svc=$1 i=$2 data=$DATA
  # In a container the data directory is the service's volume.
  if [ "${CONTAINERS:-0}" = 1 ]; then data=/var/lib/ticketing; fi
  echo "HTTP_PORT=$(service_port "$svc" "$i")"
  echo "HTTP_ADDRESS=127.0.0.1"
  local socket
  socket=$(service_socket "$svc" "$i")
  if [ -n "$socket" ]; then echo "HTTP_UNIX_SOCKET=$socket"; fi
  echo "NATS_URL=$(nats_urls)"
  echo "NATS_USER=$svc"
  case $svc in
    auth|tickets|orders|payments) echo "JWT_PUBLIC_KEYS_DIR=$(jwt_path public)" ;;
  esac
  if [ "$svc" = auth ]; then
    echo "JWT_PRIVATE_KEY_FILE=$(jwt_path private)"
    echo "JWT_KEY_ID=$JWT_KEY_ID"
    echo "AUTH_RATE_PER_ADDRESS=${TICKETING_AUTH_RATE:-10}"
  fi
  echo "NATS_STREAM_REPLICAS=$NATS_NODES"
  echo "TICKETING_DATA_DIR=$data"
  if [ "$USE_POSTGRES" = 1 ]; then
    echo "DATABASE_URL=postgresql://ticketing@127.0.0.1:$PG_PORT/$svc"
  else
    echo "DATABASE_URL=sqlite://$data/$svc.db"
  fi
  if [ -n "${NATS_RETRY_HORIZON_SECONDS:-}" ]; then
    echo "NATS_RETRY_HORIZON_SECONDS=$NATS_RETRY_HORIZON_SECONDS"
  fi
}

# The Unix socket through which the ingress reaches replica $2 of service $1, or nothing when it
# uses the replica's port (TICKETING_INGRESS_TRANSPORT, decided by choose_ingress_transport).
INGRESS_UNIX=0
service_socket() {
  case $1 in auth|tickets|orders|payments) ;; *) return 0 ;; esac
  if [ "$INGRESS_UNIX" = 1 ]; then echo "$RUN/$1-$2.sock"; fi
}

# Unix sockets unless TCP is asked for, the services run in containers (the run directory is not
# in them), or nginx's workers cannot enter the run directory: run as root, nginx's master gives
# its workers to nobody. (A run directory too long for a socket's path is refused by start.)
choose_ingress_transport() {
  INGRESS_UNIX=0
  if [ "${TICKETING_INGRESS_TRANSPORT:-unix}" != unix ] || [ "${CONTAINERS:-0}" = 1 ]; then return 0; fi
  if [ "$(id -u)" -eq 0 ] && ! runuser -u nobody -- test -x "$RUN" 2>/dev/null; then
    echo "note: the ingress reaches the services over TCP (nginx's workers, user nobody," \
         "cannot enter $RUN: chmod o+x it and its parents for Unix sockets)" >&2
    return 0
  fi
  INGRESS_UNIX=1
}

# The secret variables of service $1, NAME=value per line: its NATS password, expiration's
# REDIS_URL (with its ACL user's password). supervisord gets them through its own environment.
service_secrets() {
  local svc=$1
  echo "NATS_PASSWORD=$(secret "nats-$svc")"
  if [ "$svc" = expiration ]; then
    echo "REDIS_URL=redis://expiration:$(secret redis-expiration)@127.0.0.1:$REDIS_PORT"
  fi
}

# --- secrets ------------------------------------------------------------------------------------
# A random secret (48 hex digits) kept in $SECRETS/$1 (mode 600), made once.
secret() {
  local file="$SECRETS/$1"
  if [ ! -s "$file" ]; then
    (umask 077; mkdir -p "$SECRETS"; od -An -tx1 -N24 /dev/urandom | tr -d ' \n' > "$file")
  fi
  cat "$file"
}

# Where the session keys are, as the services see them ($1: public | private).
jwt_path() {
  local public=$JWT_PUBLIC_KEYS_DIR private=$JWT_PRIVATE_KEY_FILE
  if [ "${CONTAINERS:-0}" = 1 ] && [ "${JWT_GENERATED:-0}" = 1 ]; then
    public=/etc/ticketing/jwt/public; private=/etc/ticketing/jwt/signing/$JWT_KEY_ID.pem
  fi
  if [ "$1" = public ]; then echo "$public"; else echo "$private"; fi
}

# The ES256 session key pair (DESIGN.md section 13), unless the environment names one.
session_keys() {
  if [ -n "${JWT_PRIVATE_KEY_FILE:-}" ] && [ -n "${JWT_PUBLIC_KEYS_DIR:-}" ]; then
    JWT_GENERATED=0
    JWT_KEY_ID=${JWT_KEY_ID:-$(basename "$JWT_PRIVATE_KEY_FILE" .pem)}
    return
  fi
  JWT_GENERATED=1
  JWT_KEY_ID=local-1
  JWT_PRIVATE_KEY_FILE="$JWT_DIR/signing/$JWT_KEY_ID.pem"
  JWT_PUBLIC_KEYS_DIR="$JWT_DIR/public"
  make_session_keys "$JWT_DIR" "$JWT_KEY_ID"
}

# nats-server's configuration: one user per service, allowed to publish only the subjects it
# owns plus the JetStream API, acknowledgements, flow control, inboxes and dead letters; `ops`
# (the tools: replay, dlq, status, the tests' stream readers) may do anything. Mode 600.
render_nats() {
  local common='"$JS.API.>", "$JS.ACK.>", "$JS.FC.>", "_INBOX.>", "deadletter.>"'
  local -A owned=(
    [auth]='"session:revoked"'
    [tickets]='"ticket:created", "ticket:updated"'
    [orders]='"order:created", "order:cancelled", "order:completed"'
    [expiration]='"expiration:complete"'
    [payments]='"payment:created"'
  )
  local svc
  (
    umask 077
    {
      echo "# The local stack's NATS users, generated by scripts/run.sh (rewritten at every start)."
      echo "authorization {"
      echo "  users: ["
      for svc in "${SERVICES[@]}"; do
        echo "    {user: $svc, password: \"$(secret "nats-$svc")\", permissions: {"
        echo "      publish: {allow: [${owned[$svc]}, $common]}"
        echo "      subscribe: {allow: [\">\"]}"
        echo "    }}"
      done
      echo "    {user: ops, password: \"$(secret nats-ops)\"}"
      echo "  ]"
      echo "}"
    } > "$RUN/nats.conf"
  )
}

# redis-server's configuration: infra/local/redis.conf, the default user with a password (for
# operators: redis-cli --user default --pass ...), and expiration's ACL user, which may run what
# the job queue needs but no administration (no CONFIG SET, FLUSHALL, SHUTDOWN...). Mode 600.
render_redis() {
  (
    umask 077
    {
      echo "# The local stack's Redis, generated by scripts/run.sh (rewritten at every start)."
      echo "include $ROOT/infra/local/redis.conf"
      echo "user default on >$(secret redis-default) ~* &* +@all"
      echo "user expiration on >$(secret redis-expiration) ~* &* +@all -@admin -@dangerous +config|get +info +ping"
    } > "$RUN/redis.conf"
  )
}

# --- containers (--containers) -------------------------------------------------------------------
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/infra/containers/containers.conf}
IMAGE_TAG=$(bash "$ROOT/scripts/images.sh" tag)

# Names this stack's containers: the ingress port tells stacks on one machine apart.
container_name() { echo "ticketing-$INGRESS_PORT-$1"; }

# `podman run` of service $1's image for process $2 (a replica, or a tool such as replay), with the
# restrictions of the Kubernetes manifests (infra/k8s): the image's non-root user, a read-only root
# filesystem (podman gives /tmp, /run and /var/tmp as tmpfs), no capabilities, no privilege
# escalation, and the service's volume as its data directory. Host networking: the services reach
# nats, redis and PostgreSQL on loopback and nginx reaches them there, as without containers.
# Variables are passed by name only (-e NAME), so their values (passwords) stay off command lines.
# Prints the command, one word per line.
podman_run() {
  local svc=$1 process=$2; shift 2
  local volume="$DATA/volumes/$svc" nofile
  # Limits the sandbox lets runc set (a --ulimit replaces all of containers.conf's defaults, so
  # both are given): as many descriptors as this shell may have (the ingress's connections), and
  # threads enough for every container of the stack, which share the uid.
  nofile=$(ulimit -Hn)
  [ "$nofile" = unlimited ] && nofile=65536
  printf '%s\n' podman run --rm --replace --name "$(container_name "$process")" \
    --network host --read-only --cap-drop ALL --security-opt no-new-privileges \
    --user 10001:10001 --ulimit "nofile=$nofile:$nofile" --ulimit nproc=4096:4096 \
    --stop-timeout 25 \
    -v "$volume:/var/lib/ticketing" $(jwt_volume) "$@" "ticketing/$svc:$IMAGE_TAG"
}

# The generated session keys, read-only, where jwt_path says they are.
jwt_volume() {
  if [ "${JWT_GENERATED:-0}" = 1 ]; then echo "-v $JWT_DIR:/etc/ticketing/jwt:ro"; fi
}

prepare_volumes() {
  local svc
  # The image's user reads the session keys (root keeps its access).
  if [ "$(id -u)" -eq 0 ] && [ "${JWT_GENERATED:-0}" = 1 ]; then chown -R 10001:10001 "$JWT_DIR"; fi
  for svc in "${SERVICES[@]}"; do
    mkdir -p "$DATA/volumes/$svc"
    # The image's user owns its data (root can hand it over; otherwise it must already be so).
    if [ "$(id -u)" -eq 0 ]; then chown 10001:10001 "$DATA/volumes/$svc"; fi
  done
}

# Containers of this stack that outlived their podman process (a kill -9 of supervisord).
remove_containers() {
  command -v podman >/dev/null || return 0
  local ids
  ids=$(podman ps -aq --filter "name=^ticketing-$INGRESS_PORT-" 2>/dev/null || true)
  if [ -n "$ids" ]; then podman rm -f $ids >/dev/null 2>&1 || true; fi
}

render_supervisord() {
  local nats_url svc i n env pg_user="" JEMALLOC
  # Debian's libjemalloc2 (scripts/setup.sh installs it).
  JEMALLOC=$(ls /usr/lib/*-linux-gnu/libjemalloc.so.2 2>/dev/null | head -1 || true)
  nats_url=$(nats_urls)
  local NATS_GOMAXPROCS=$(( ($(nproc) + 1) / 2 ))
  if [ "$(id -u)" -eq 0 ]; then pg_user="user=postgres"; fi
  {
    cat <<EOF
; The local stack, generated by scripts/run.sh: do not edit (it is rewritten at every start).
[unix_http_server]
file=$RUN/supervisor.sock

[supervisord]
logfile=$LOGS/supervisord.log
pidfile=$RUN/supervisord.pid
childlogdir=$LOGS
user=$(id -un)

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$RUN/supervisor.sock
EOF
    for ((n = 0; n < NATS_NODES; n++)); do
      local cmd="nats-server -c $RUN/nats.conf -js -sd $DATA/nats-$n -a 127.0.0.1 -p $((NATS_PORT + n)) -m $((NATS_MONITOR_PORT + n))"
      if [ "$NATS_NODES" -gt 1 ]; then
        local routes="" r
        for ((r = 0; r < NATS_NODES; r++)); do
          [ "$r" -eq "$n" ] || routes+="${routes:+,}nats://127.0.0.1:$((NATS_ROUTE_PORT + r))"
        done
        cmd+=" -n nats-$n --cluster_name ticketing --cluster nats://127.0.0.1:$((NATS_ROUTE_PORT + n)) --routes $routes"
      fi
      # Go's collector, at its default GOGC of 100, ran about every 2 s at 1000 events/s, and
      # each cycle held deliveries up by 4-20 ms (GODEBUG=gctrace=1 against propagation's
      # delays, issue 20). Collecting at 9x the live heap rather than 2x, bounded by a soft
      # limit, takes most of those out of the event path for some tens of MB.
      # GOMAXPROCS: half the machine's CPUs, rounded up. At Go's default (all of them) on a
      # machine the stack keeps busy, the server's idle threads spin looking for work and wake
      # each other across CPUs: with 1 instead of 2 on 2 CPUs, nats-server took 37 us of CPU per
      # POST /api/orders instead of 50, and every other process less (orders 9.5k -> 11.7k
      # req/s; issue 20). One CPU of nats-server carries some 25k orders/s.
      program "nats-$n" "$cmd" "priority=10" \
        "environment=GOGC=\"800\",GOMEMLIMIT=\"512MiB\",GOMAXPROCS=\"$NATS_GOMAXPROCS\""
    done
    program redis "redis-server $RUN/redis.conf --port $REDIS_PORT --dir $DATA/redis" "priority=10"
    if [ "$USE_POSTGRES" = 1 ]; then
      # Each replica of the four database services pools up to 16 sessions, plus its relay's
      # listener (LISTEN, outside the pool) and a replay's: PostgreSQL's default of 100 ran out
      # with 4 replicas.
      local max_connections=$((4 * REPLICAS * 20 + 20))
      program postgres "$(pg_bindir)/postgres -D $DATA/pg -p $PG_PORT -k $DATA/pg-socket -c listen_addresses=127.0.0.1 -c max_connections=$max_connections" \
        "priority=10" "stopsignal=INT" $pg_user
    fi
    for svc in "${SERVICES[@]}"; do
      for ((i = 0; i < REPLICAS; i++)); do
        env="LOG_LEVEL=\"%(ENV_LOG_LEVEL)s\""
        local kv
        while IFS= read -r kv; do env+=",${kv%%=*}=\"${kv#*=}\""; done < <(service_env "$svc" "$i")
        # Secrets by reference to supervisord's environment (exported by `secrets`).
        local upper=${svc^^}
        while IFS= read -r kv; do
          env+=",${kv%%=*}=\"%(ENV_SECRET_${upper}_${kv%%=*})s\""
        done < <(service_secrets "$svc")
        case $svc in
          orders) env+=",EXPIRATION_WINDOW_SECONDS=\"%(ENV_EXPIRATION_WINDOW_SECONDS)s\"" ;;
          payments) env+=",PAYMENT_GATEWAY=\"%(ENV_PAYMENT_GATEWAY)s\",STRIPE_KEY=\"%(ENV_STRIPE_KEY)s\",STRIPE_API_BASE=\"%(ENV_STRIPE_API_BASE)s\",STRIPE_PUBLISHABLE_KEY=\"%(ENV_STRIPE_PUBLISHABLE_KEY)s\"" ;;
        esac
        local command="$BIN/$svc/ticketing-$svc"
        # jemalloc instead of glibc's malloc (issue 20: malloc/free were about a tenth of a GET's
        # CPU; GET /api/tickets/:id went from 11.0k to 13.0k req/s through the ingress, medians
        # of three 5 s runs). TICKETING_MALLOC=system keeps glibc's (an ASan build needs that).
        if [ "$CONTAINERS" != 1 ] && [ "${TICKETING_MALLOC:-jemalloc}" = jemalloc ] && [ -n "$JEMALLOC" ] &&
           [[ "$BIN" != *asan* ]]; then
          env+=",LD_PRELOAD=\"$JEMALLOC\""
        fi
        if [ "$CONTAINERS" = 1 ]; then
          local -a words names=(LOG_LEVEL)
          while IFS= read -r kv; do names+=("${kv%%=*}"); done < <(service_env "$svc" "$i")
          while IFS= read -r kv; do names+=("${kv%%=*}"); done < <(service_secrets "$svc")
          case $svc in
            orders) names+=(EXPIRATION_WINDOW_SECONDS) ;;
            payments) names+=(PAYMENT_GATEWAY STRIPE_KEY STRIPE_API_BASE STRIPE_PUBLISHABLE_KEY) ;;
          esac
          env+=",CONTAINERS_CONF=\"$CONTAINERS_CONF\""
          mapfile -t words < <(podman_run "$svc" "$svc-$i" $(printf -- '-e %s ' "${names[@]}"))
          command="${words[*]}"
        fi
        # Started once the servers they need answer (below), then restarted by supervisord.
        program "$svc-$i" "$command" "environment=$env" "autostart=false"
      done
    done
    program nginx "nginx -c $RUN/nginx.conf" "autostart=false"
    if [ "$OBSERVE" = 1 ]; then
      program prometheus "prometheus --config.file=$RUN/prometheus.yml --storage.tsdb.path=$DATA/prometheus --web.listen-address=127.0.0.1:$PROMETHEUS_PORT" \
        "autostart=false"
    fi
  } > "$RUN/supervisord.conf"
}

# Prometheus's configuration (--observe): infra/prometheus/prometheus.yml for this stack's ports
# and replicas (that file is what this writes for the default ports and one replica).
render_prometheus() {
  local svc i
  {
    cat <<EOF
# The local stack's Prometheus, generated by scripts/run.sh: do not edit (rewritten at every start).
global:
  scrape_interval: 15s
  evaluation_interval: 15s

rule_files:
  - '$ROOT/infra/prometheus/alerts.yml'

scrape_configs:
  - job_name: ticketing
    metrics_path: /metrics
    static_configs:
EOF
    for svc in "${SERVICES[@]}"; do
      for ((i = 0; i < REPLICAS; i++)); do
        echo "      - targets: ['127.0.0.1:$(service_port "$svc" "$i")']"
        echo "        labels: {service: $svc, replica: '$i'}"
      done
    done
  } > "$RUN/prometheus.yml"
}

render_nginx() {
  local upstreams="" svc i
  for svc in auth tickets orders payments; do
    upstreams+="  upstream $svc {"$'\n'
    # Shared by the workers: one failure count per replica, not one per worker.
    upstreams+="    zone upstream_$svc 64k;"$'\n'
    for ((i = 0; i < REPLICAS; i++)); do
      local address socket
      socket=$(service_socket "$svc" "$i")
      if [ -n "$socket" ]; then address="unix:$socket"; else
        address="127.0.0.1:$(service_port "$svc" "$i")"; fi
      upstreams+="    server $address max_fails=1 fail_timeout=2s;"$'\n'
    done
    # Idle connections kept per worker: enough for every client connection of a benchmark's
    # 400 to find one (with 32, nginx opened ~30k upstream connections in 10 s), more with more
    # replicas. Dropped before the services' own 10 s idle limit closes them.
    upstreams+="    keepalive $((256 * (REPLICAS + 1)));"$'\n'"    keepalive_timeout 5s;"$'\n'"  }"$'\n'
  done
  local upstream_file="$RUN/nginx-upstreams.conf"
  printf '%s' "$upstreams" > "$upstream_file"
  sed -e "s|@DATA@|$DATA|g" -e "s|@RUN@|$RUN|g" -e "s|@LOGS@|$LOGS|g" \
      -e "s|@INGRESS_PORT@|$INGRESS_PORT|g" -e "s|@UPSTREAMS@|$upstream_file|g" \
      -e "s|@AUTH_RATE@|${TICKETING_AUTH_RATE:-10}|g" \
      -e "s|@ROOT@|$ROOT|g" -e "s|@WEB_ROOT@|$ROOT/web/dist|g" -e "s|@API_DOCS_ROOT@|$ROOT/api/dist|g" \
      -e "s|@CSP@|$(storefront_csp)|g" \
      "$ROOT/infra/local/nginx.conf.in" > "$RUN/nginx.conf"
}

# The storefront's Content-Security-Policy: its own origin only; with the stripe gateway also
# what Stripe.js needs (its script, its card iframes, its API).
storefront_csp() {
  local script="'self'" frame="'none'" connect="'self'"
  if [ "${PAYMENT_GATEWAY:-sandbox}" = stripe ]; then
    script+=" https://js.stripe.com"
    frame="https://js.stripe.com https://hooks.stripe.com"
    connect+=" https://api.stripe.com"
  fi
  echo "default-src 'self'; script-src $script; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src $connect; frame-src $frame; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
}

init_postgres() {
  local bindir
  bindir=$(pg_bindir)
  if [ -z "$bindir" ]; then echo "PostgreSQL's initdb not found" >&2; return 1; fi
  mkdir -p "$DATA/pg-socket"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$DATA/pg-socket"; fi
  if [ ! -s "$DATA/pg/PG_VERSION" ]; then
    echo "== initdb (PostgreSQL cluster in $DATA/pg)"
    mkdir -p "$DATA/pg"
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$DATA/pg"; fi
    if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$DATA"; then
      echo "the postgres user cannot enter $DATA (PostgreSQL refuses to run as root):" \
           "let others traverse it and its parents (chmod o+x)" >&2
      return 1
    fi
    if ! as_pg "$bindir/initdb" -A trust -U ticketing -D "$DATA/pg" -E UTF8 --locale=C >"$LOGS/initdb.log" 2>&1; then
      echo "initdb failed:" >&2
      cat "$LOGS/initdb.log" >&2
      return 1
    fi
  fi
}

create_databases() {
  local svc
  for svc in "${DB_SERVICES[@]}"; do
    if ! psql -h 127.0.0.1 -p "$PG_PORT" -U ticketing -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$svc'" | grep -q 1; then
      psql -h 127.0.0.1 -p "$PG_PORT" -U ticketing -d postgres -qc "CREATE DATABASE $svc" >/dev/null
    fi
  done
}

secrets() {
  session_keys
  # supervisord passes each service its own: SECRET_<SERVICE>_<NAME> (see render_supervisord).
  local svc kv
  for svc in "${SERVICES[@]}"; do
    while IFS= read -r kv; do
      export "SECRET_${svc^^}_${kv%%=*}=${kv#*=}"
    done < <(service_secrets "$svc")
  done
  export LOG_LEVEL=${LOG_LEVEL:-info}
  export EXPIRATION_WINDOW_SECONDS=${EXPIRATION_WINDOW_SECONDS:-900}
  export PAYMENT_GATEWAY=${PAYMENT_GATEWAY:-sandbox}
  export STRIPE_KEY=${STRIPE_KEY:-}
  export STRIPE_API_BASE=${STRIPE_API_BASE:-https://api.stripe.com}
  # The public "pk_..." key the storefront's Stripe.js uses (GET /api/payments/config).
  export STRIPE_PUBLISHABLE_KEY=${STRIPE_PUBLISHABLE_KEY:-}
}

# --- waiting ------------------------------------------------------------------------------------
wait_until() { # seconds description command...: polls the command every 0.2 s until it succeeds
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "  $what: not ready after ${seconds}s (logs: $LOGS)" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "  $what ready"
}

# Something listens on the port (asked of the kernel, as check_ports_free does: a connect could
# succeed by connecting to itself while nothing listens).
listens() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }
http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }
pg_ready() { psql -h 127.0.0.1 -p "$PG_PORT" -U ticketing -d postgres -tAc 'SELECT 1'; }

running() { [ -S "$RUN/supervisor.sock" ] && "${CTL[@]}" pid >/dev/null 2>&1; }

# Every port this stack listens on, with what listens there.
stack_ports() {
  local n svc i
  echo "$INGRESS_PORT ingress"
  for ((n = 0; n < NATS_NODES; n++)); do
    echo "$((NATS_PORT + n)) nats-$n"
    echo "$((NATS_MONITOR_PORT + n)) nats-$n-monitor"
    if [ "$NATS_NODES" -gt 1 ]; then echo "$((NATS_ROUTE_PORT + n)) nats-$n-cluster"; fi
  done
  echo "$REDIS_PORT redis"
  if [ "$USE_POSTGRES" = 1 ]; then echo "$PG_PORT postgres"; fi
  if [ "$OBSERVE" = 1 ]; then echo "$PROMETHEUS_PORT prometheus"; fi
  for svc in "${SERVICES[@]}"; do
    for ((i = 0; i < REPLICAS; i++)); do echo "$(service_port "$svc" "$i") $svc-$i"; done
  done
}

# Refuses to start over ports another process listens on: a second stack would otherwise let its
# own nats-server or nginx fail, and its services talk to the first stack's. It asks the kernel
# for listening sockets (ss) rather than connecting: a connect to a free port of the ephemeral
# range can succeed by connecting to itself (the kernel picks that very port as its source), and
# a test's stack was once refused for a port nothing listened on.
check_ports_free() {
  local port what busy=() listening
  listening=$(ss -Hltn 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }' | sort -u)
  while read -r port what; do
    if grep -qx "$port" <<<"$listening"; then busy+=("$port ($what)"); fi
  done < <(stack_ports)
  if [ ${#busy[@]} -gt 0 ]; then
    echo "error: another process listens on port(s) of this stack: ${busy[*]}" >&2
    echo "  another stack? stop it with scripts/run.sh stop (and its TICKETING_DATA_DIR)," >&2
    echo "  or move this one with TICKETING_PORT_BASE" >&2
    exit 1
  fi
}

stop_stack() {
  if [ -f "$RUN/supervisord.conf" ] && running; then
    "${CTL[@]}" shutdown >/dev/null
  fi
  # supervisorctl returns before the children have exited; supervisord removes its pid file last.
  local _
  for _ in $(seq 1 1200); do [ -f "$RUN/supervisord.pid" ] || break; sleep 0.1; done
  if [ -f "$RUN/stack.env" ]; then
    load_stack
    if [ "${CONTAINERS:-0}" = 1 ]; then remove_containers; fi
  fi
  echo "stopped (data kept in $DATA)"
}

# --- commands -----------------------------------------------------------------------------------
start() {
  local detach=0
  REPLICAS=1; NATS_NODES=1; USE_POSTGRES=0; CONTAINERS=0; OBSERVE=0
  while [ $# -gt 0 ]; do
    case $1 in
      -d|--detach) detach=1 ;;
      --replicas) REPLICAS=${2:?--replicas needs a number}; shift ;;
      --replicas=*) REPLICAS=${1#*=} ;;
      --postgres) USE_POSTGRES=1 ;;
      --nats-cluster) NATS_NODES=3 ;;
      --containers) CONTAINERS=1 ;;
      --observe) OBSERVE=1 ;;
      *) echo "unknown option: $1" >&2; usage 2 ;;
    esac
    shift
  done
  if ! [[ "$REPLICAS" =~ ^[1-9]$ ]]; then echo "--replicas must be 1..9" >&2; exit 2; fi
  if [ "$REPLICAS" -gt 1 ]; then USE_POSTGRES=1; fi
  ports
  # supervisord's control socket and the services' (the longest name is payments-9.sock) live in
  # the run directory: a socket's path has at most 107 bytes.
  local longest="$RUN/supervisor.sock"
  if [ ${#longest} -gt 107 ]; then
    echo "the data directory's path is too long: $RUN/supervisor.sock has ${#longest} bytes, a" \
         "socket's path at most 107 (TICKETING_DATA_DIR)" >&2
    exit 2
  fi

  bash "$ROOT/scripts/setup.sh"
  if [ "$CONTAINERS" = 1 ]; then
    if [ "${TICKETING_SKIP_BUILD:-0}" != 1 ]; then
      echo "== images (scripts/images.sh)"
      bash "$ROOT/scripts/images.sh" build
    fi
    local svc
    for svc in "${SERVICES[@]}"; do
      if ! podman image exists "ticketing/$svc:$IMAGE_TAG"; then
        echo "image ticketing/$svc:$IMAGE_TAG is missing: scripts/images.sh builds it" >&2
        exit 1
      fi
    done
  elif [ "${TICKETING_SKIP_BUILD:-0}" != 1 ]; then
    echo "== build ($PRESET)"
    cmake --preset "$PRESET" -S "$ROOT" >/dev/null
    cmake --build "$BIN" --target $(printf 'ticketing-%s ' "${SERVICES[@]}")
  fi
  # The storefront and the API's page: static files nginx serves (rebuilt only when changed).
  if [ "${TICKETING_SKIP_BUILD:-0}" != 1 ]; then
    echo "== storefront (scripts/web-build.sh)"
    bash "$ROOT/scripts/web-build.sh"
  fi
  if [ ! -f "$ROOT/web/dist/index.html" ]; then
    echo "warning: web/dist is not built (scripts/web-build.sh): / answers 404" >&2
  fi
  mkdir -p "$RUN" "$LOGS" "$DATA/redis"
  if [ "$OBSERVE" = 1 ]; then mkdir -p "$DATA/prometheus"; fi
  local n
  for ((n = 0; n < NATS_NODES; n++)); do mkdir -p "$DATA/nats-$n"; done
  if running; then
    echo "== stopping the running stack first"
    stop_stack
  fi
  check_ports_free
  secrets
  if [ "$USE_POSTGRES" = 1 ]; then init_postgres; fi
  if [ "$CONTAINERS" = 1 ]; then prepare_volumes; remove_containers; fi
  choose_ingress_transport
  render_nats
  render_redis
  render_supervisord
  render_nginx
  if [ "$OBSERVE" = 1 ]; then render_prometheus; fi
  save_stack
  echo "== starting ($REPLICAS replica(s) per service, $NATS_NODES nats-server(s), $([ "$USE_POSTGRES" = 1 ] && echo PostgreSQL || echo SQLite)$([ "$CONTAINERS" = 1 ] && echo ", services in containers ticketing/*:$IMAGE_TAG"))"
  # supervisord's scheduling policy (TICKETING_SCHED) is inherited by everything it starts.
  local sched=()
  if [ "${TICKETING_SCHED:-batch}" = batch ]; then
    if chrt --batch 0 true 2>/dev/null; then sched=(chrt --batch 0); else
      echo "warning: chrt --batch is refused here; the stack runs with the normal policy" >&2; fi
  fi
  "${sched[@]}" supervisord -c "$RUN/supervisord.conf"
  for ((n = 0; n < NATS_NODES; n++)); do
    wait_until 30 "nats-$n :$((NATS_PORT + n))" http_ok "http://127.0.0.1:$((NATS_MONITOR_PORT + n))/healthz"
  done
  wait_until 30 "redis :$REDIS_PORT" listens "$REDIS_PORT"
  if [ "$USE_POSTGRES" = 1 ]; then
    wait_until 60 "postgres :$PG_PORT" pg_ready
    create_databases
  fi
  "${CTL[@]}" start all >/dev/null
  local svc i
  for svc in "${SERVICES[@]}"; do
    for ((i = 0; i < REPLICAS; i++)); do
      local port
      port=$(service_port "$svc" "$i")
      wait_until 60 "$svc-$i :$port" http_ok "http://127.0.0.1:$port/readyz"
    done
  done
  wait_until 30 "ingress :$INGRESS_PORT" listens "$INGRESS_PORT"
  if [ "$OBSERVE" = 1 ]; then
    wait_until 60 "prometheus :$PROMETHEUS_PORT" http_ok "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"
  fi
  echo
  echo "Ticketing is up: open http://localhost:$INGRESS_PORT/ (the storefront)"
  echo "  API:    http://localhost:$INGRESS_PORT/api/... (its description: http://localhost:$INGRESS_PORT/api/docs)"
  if [ "$OBSERVE" = 1 ]; then
    echo "  prometheus: http://127.0.0.1:$PROMETHEUS_PORT (alerts: /api/v1/alerts; rules: infra/prometheus/alerts.yml)"
  fi
  echo "  logs:   $LOGS (one file per process; services log JSON lines)"
  echo "  status: scripts/run.sh status    stop: scripts/run.sh stop"
  if [ "$detach" = 0 ]; then
    echo "  Ctrl-C stops everything"
    trap 'echo; stop_stack; exit 0' INT TERM
    while running; do sleep 1; done
    echo "supervisord is gone" >&2
    exit 1
  fi
}

# Runs `ticketing-$1 <args>` with the environment of the stack's first replica of $1, as the
# NATS user `ops` (a redriven dead letter is published under its original subject, which the
# service's own user may not publish).
run_tool() {
  local svc=$1; shift
  local -a vars
  session_keys
  mapfile -t vars < <(service_env "$svc" 0; service_secrets "$svc")
  vars+=("NATS_USER=ops" "NATS_PASSWORD=$(secret nats-ops)")
  if [ "${CONTAINERS:-0}" = 1 ]; then
    local -a words
    mapfile -t words < <(podman_run "$svc" "$svc-tool" -i $(printf -- '-e %s ' "${vars[@]%%=*}"))
    env "${vars[@]}" "${words[@]}" "$@"
    return
  fi
  env "${vars[@]}" "$BIN/$svc/ticketing-$svc" "$@"
}

replay() {
  load_stack
  if ! running; then echo "the stack is not running: start it first (scripts/run.sh start --detach)" >&2; exit 1; fi
  local target=${1:?usage: scripts/run.sh replay <tickets|orders|payments|expiration|auth|all> [--force]}
  shift
  local -a targets
  case $target in
    all) targets=(tickets orders payments expiration) ;;
    auth|tickets|orders|payments|expiration) targets=("$target") ;;
    *) echo "unknown service: $target" >&2; exit 2 ;;
  esac
  local svc i status=0
  for svc in "${targets[@]}"; do
    local -a replicas=()
    for ((i = 0; i < REPLICAS; i++)); do replicas+=("$svc-$i"); done
    if [ "$svc" != auth ]; then
      echo "== stopping ${replicas[*]}"
      "${CTL[@]}" stop "${replicas[@]}" >/dev/null
    fi
    echo "== replay $svc"
    run_tool "$svc" replay "$@" || status=1
    if [ "$svc" != auth ]; then
      "${CTL[@]}" start "${replicas[@]}" >/dev/null
      for ((i = 0; i < REPLICAS; i++)); do
        wait_until 60 "$svc-$i" http_ok "http://127.0.0.1:$(service_port "$svc" "$i")/readyz" || status=1
      done
    fi
  done
  exit $status
}

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
  exit "${1:-0}"
}

case "$CMD" in
  start) start "$@" ;;
  stop) stop_stack ;;
  replay) replay "$@" ;;
  dump)
    load_stack
    case ${1:-} in
      tickets|orders|payments) run_tool "$1" dump ;;
      *) echo "usage: scripts/run.sh dump <tickets|orders|payments>" >&2; exit 2 ;;
    esac ;;
  status)
    load_stack
    case " $* " in
      *" --json "*) exec python3 "$ROOT/scripts/status.py" --run-dir "$RUN" "$@" ;;  # JSON only
    esac
    rc=0
    python3 "$ROOT/scripts/status.py" --run-dir "$RUN" "$@" || rc=$?
    echo
    echo "dead letters per consumer (scripts/run.sh dlq list)"
    run_tool tickets dlq summary || rc=1
    exit $rc ;;
  dlq)
    load_stack
    run_tool tickets dlq "$@" ;;
  -h|--help|help) usage 0 ;;
  *) echo "unknown command: $CMD" >&2; usage 2 ;;
esac
