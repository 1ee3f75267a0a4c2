#!/usr/bin/env bash
# Runs the service lifetime test as built by the asan preset. scripts/test.sh builds it; without
# that build the test is skipped (exit 77), except in CI (CI=true), where a missing binary fails.
set -euo pipefail
binary=$1
if [[ ! -x $binary ]]; then
    echo "no asan build of the lifetime test at $binary (scripts/test.sh builds it:" \
         "cmake --preset asan && cmake --build build/asan --target common_service_integration_test)"
    [[ ${CI:-} == true ]] && exit 1
    exit 77
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0}
exec "$binary"
