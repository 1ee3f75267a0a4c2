# Helpers shared by the benchmark scripts (scripts/bench-*.sh), which source this file: free
# loopback ports, waiting for a port, a throw-away nginx in a directory of its own, and reading
# wrk's `--latency` output. Nothing here starts anything by itself.
# shellcheck shell=bash

# A free TCP port on 127.0.0.1 (the kernel's choice).
bench_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# The first of $1 consecutive free TCP ports on 127.0.0.1 (for TICKETING_PORT_BASE).
bench_free_port_range() {
  python3 - "$1" <<'PY'
import random, socket, sys
count = int(sys.argv[1])
for _ in range(200):
    base = random.randrange(20000, 60000 - count)
    socks = []
    try:
        for port in range(base, base + count):
            s = socket.socket()
            s.bind(("127.0.0.1", port))
            socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base)
    sys.exit(0)
sys.exit("no range of %d free ports found" % count)
PY
}

# Waits up to 10 s until something listens on 127.0.0.1:$1.
bench_wait_port() {
  local _
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# Starts an nginx (`worker_processes auto`, no access log) whose files are all in directory $1,
# with the http-level configuration $2 (server and upstream blocks); bench_nginx_stop $1 stops it.
# It runs under the command prefix BENCH_SCHED when one is set (e.g. chrt --batch 0).
BENCH_SCHED=()
bench_nginx_start() {
  local dir=$1 blocks=$2
  mkdir -p "$dir"
  cat > "$dir/nginx.conf" <<NGINX
worker_processes auto;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir; proxy_temp_path $dir; fastcgi_temp_path $dir;
  uwsgi_temp_path $dir; scgi_temp_path $dir;
$blocks
}
NGINX
  "${BENCH_SCHED[@]}" nginx -c "$dir/nginx.conf"
}

bench_nginx_stop() {
  if [ -f "$1/nginx.pid" ]; then kill "$(cat "$1/nginx.pid")" 2>/dev/null || true; fi
}

# A figure of wrk's --latency output file $1: rps (requests/s), requests (completed), p50, p90,
# p99 (in ms), non2xx, socket (socket errors: connect, read, write, timeout, summed).
bench_wrk_value() {
  awk -v want="$2" '
    function ms(v) {
      if (v ~ /us$/) return v / 1000
      if (v ~ /ms$/) return v + 0
      if (v ~ /m$/) return v * 60000
      if (v ~ /s$/) return v * 1000
      return v + 0
    }
    /Requests\/sec/ { rps = $2 }
    / requests in / { requests = $1 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "90%" { p90 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx or 3xx responses/ { non2xx = $NF }
    /Socket errors/ { gsub(/,/, ""); socket = $4 + $6 + $8 + $10 }
    END {
      if (want == "rps") print rps
      else if (want == "requests") print requests
      else if (want == "p50") print p50
      else if (want == "p90") print p90
      else if (want == "p99") print p99
      else if (want == "non2xx") print non2xx + 0
      else if (want == "socket") print socket + 0
    }' "$1"
}

# wrk's error lines of output file $1 on one line (empty when there were none).
bench_wrk_errors() {
  awk '/Non-2xx|Socket errors/ { sub(/^ +/, ""); printf "%s%s", sep, $0; sep = "; " }' "$1"
}

# One line of a benchmark's summary: label, then wrk's req/s, p50, p99 and errors from file $2.
bench_summary() {
  printf '%-44s %10s req/s   p50 %9s   p99 %9s   %s\n' "$1" \
    "$(awk '/Requests\/sec/ {print $2}' "$2")" "$(awk '$1=="50%" {print $2}' "$2")" \
    "$(awk '$1=="99%" {print $2}' "$2")" "$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' "$2")"
}

# Signs up user $2 (password bench-password) at $1 (a base URL) and prints its session cookie,
# `session=...`, for curl -b or wrk -H "Cookie: ...".
bench_signup_cookie() {
  curl -fs -D - -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"email\":\"$2\",\"password\":\"bench-password\"}" "$1/api/users/signup" |
    awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}'
}
