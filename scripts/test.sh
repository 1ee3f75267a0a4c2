#!/usr/bin/env bash
# Builds and runs every test: installs what is missing (scripts/setup.sh), configures with the
# `ci` preset (optimised, warnings are errors), builds, then runs ctest. Integration tests start
# their own nats-server, redis-server and PostgreSQL on loopback in temporary directories.
# Usage: scripts/test.sh [extra ctest arguments, e.g. -L unit or -R Outbox]
# Environment: TICKETING_PRESET (default ci), TICKETING_JOBS (default: number of cores).
set -euo pipefail
cd "$(dirname "$0")/.."
PRESET=${TICKETING_PRESET:-ci}
JOBS=${TICKETING_JOBS:-$(nproc)}

bash scripts/setup.sh
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
# Cache hits across clones in other directories (CI builds a fresh clone each time).
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
echo "== configure (preset $PRESET)"
cmake --preset "$PRESET" >/dev/null
echo "== build"
cmake --build "build/$PRESET" -j "$JOBS"
if [[ $PRESET == ci ]]; then
    # One test also runs under AddressSanitizer (ServiceLifetime.UnderAsan): the service
    # builder's teardown while event handlers run (issue 18).
    echo "== build (preset asan: the service lifetime test)"
    cmake --preset asan >/dev/null
    cmake --build build/asan -j "$JOBS" --target common_service_integration_test
fi
echo "== test"
# Three more slots than cores: the outage scenarios (-L outage, started first by their COST) spend
# minutes waiting for a dependency to come back, and would otherwise hold two of the slots the
# rest of the suite needs. RUN_SERIAL tests still run alone.
# ctest's summary line closes the output; its exit status is the script's.
exec ctest --test-dir "build/$PRESET" --output-on-failure -j "$((JOBS + 3))" "$@"
