#!/usr/bin/env bash
# Lints api/openapi.yaml with Redocly's CLI under the rules of api/redocly.yaml (every finding is
# an error). ctest OpenApi.Lint runs it; exit status 0 only when nothing is found.
set -euo pipefail
API=$(cd "$(dirname "$0")" && pwd)
bash "$API/ensure-deps.sh"
cd "$API"
# No telemetry, no update check: the test runs offline but for the registry.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
exec node_modules/.bin/redocly lint --config redocly.yaml --format stylish openapi.yaml
