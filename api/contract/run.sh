#!/usr/bin/env bash
# ctest OpenApi.Contract: api/contract/contract.mjs with api/'s npm packages in place (see
# contract.mjs for what it checks). Arguments go to it: --bin <CMake build dir> or --url <ingress>.
set -euo pipefail
API=$(cd "$(dirname "$0")/.." && pwd)
bash "$API/ensure-deps.sh"
exec node "$API/contract/contract.mjs" "$@"
