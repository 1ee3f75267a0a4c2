#!/usr/bin/env bash
# The storefront's browser tests (ctest -L browser, tests/browser/CMakeLists.txt):
#   tests/browser/run.sh <build dir> <output dir> [playwright arguments...]
# Builds web/dist and api/dist if they changed and installs the test's npm packages
# (scripts/web-build.sh --with-tests), starts the stack with the project's run command on a free
# block of ports from <build dir>'s binaries (a temporary data directory, the sandbox gateway,
# orders expiring after EXPIRATION_WINDOW_SECONDS, default 90: long enough to pay on a busy
# 2-core machine, short enough for the expiry journey), runs the Playwright journeys in
# headless chromium (/usr/bin/chromium), then the budgets (scripts/web-budgets.sh), and always
# stops the stack. Screenshots of every page, axe-core results (axe.jsonl), Playwright's results
# and traces of failures go to <output dir>. Exits non-zero when a test or a budget fails.
# TICKETING_KEEP_TEMP=1 keeps the stack's data directory (logs) after the run.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(cd "${1:?usage: tests/browser/run.sh <build dir> <output dir>}" && pwd)
OUT=${2:?usage: tests/browser/run.sh <build dir> <output dir>}
shift 2
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -rf "$OUT/screenshots" "$OUT/playwright" "$OUT/axe.jsonl" "$OUT/results.json"
WINDOW=${EXPIRATION_WINDOW_SECONDS:-90}
start=$SECONDS

bash "$ROOT/scripts/web-build.sh" --with-tests

# A block of 70 free loopback ports (scripts/run.sh uses base .. base + 70), as tests/e2e does.
BASE=$(python3 - <<'PY'
import random, socket
def free(port):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()
for _ in range(200):
    base = random.randint(200, 599) * 100
    if all(free(p) for p in range(base, base + 70)):
        print(base)
        break
else:
    raise SystemExit("no block of free ports")
PY
)
DATA=$(mktemp -d /tmp/ticketing-browser.XXXXXX)
# PostgreSQL is not used, but the stack's data directory must be enterable by nginx's workers.
chmod 755 "$DATA"
export TICKETING_DATA_DIR=$DATA TICKETING_PORT_BASE=$BASE TICKETING_SKIP_BUILD=1 TICKETING_BIN=$BIN \
  EXPIRATION_WINDOW_SECONDS=$WINDOW TICKETING_AUTH_RATE=1000 LOG_LEVEL=info PAYMENT_GATEWAY=sandbox

stop() {
  bash "$ROOT/scripts/run.sh" stop >"$DATA/stop.log" 2>&1 || cat "$DATA/stop.log" >&2
  if [ "${TICKETING_KEEP_TEMP:-0}" = 1 ]; then
    echo "browser: kept $DATA (logs in $DATA/logs)"
  else
    rm -rf "$DATA"
  fi
}
trap stop EXIT

echo "browser: starting the stack on :$BASE (data $DATA)"
if ! bash "$ROOT/scripts/run.sh" start --detach >"$OUT/stack.log" 2>&1; then
  cat "$OUT/stack.log" >&2
  echo "browser: the stack did not start" >&2
  exit 1
fi
URL=http://127.0.0.1:$BASE

status=0
echo "browser: Playwright against $URL (chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'))"
(cd "$ROOT/tests/browser" &&
  TICKETING_URL=$URL TICKETING_BROWSER_OUT=$OUT TICKETING_EXPIRATION_WINDOW_SECONDS=$WINDOW \
    npx --no-install playwright test "$@") || status=1

echo "browser: budgets"
bash "$ROOT/scripts/web-budgets.sh" "$URL/" || status=1

echo "browser: screenshots in $OUT/screenshots, axe-core results in $OUT/axe.jsonl"
echo "browser: $([ $status = 0 ] && echo passed || echo FAILED) in $((SECONDS - start)) s"
exit $status
