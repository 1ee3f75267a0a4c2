#!/usr/bin/env bash
# Installs every Debian 12 package Ticketing needs to build, test and run.
# Idempotent: packages already present are skipped, and nothing is printed beyond one line.
# Must run as root (or with sudo available) on Debian 12.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential g++ cmake ninja-build ccache pkg-config git curl ca-certificates python3 procps
  # ss (scripts/run.sh: which ports something listens on)
  iproute2
  # libraries (DESIGN.md section 2)
  libnats-dev libhiredis-dev nlohmann-json3-dev
  librestinio-dev libasio-dev libfmt-dev libhttp-parser-dev
  libsoci-dev libsqlite3-dev libpq-dev
  libsodium-dev libjwt-dev libssl-dev libicu-dev libcurl4-openssl-dev libspdlog-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # servers used by the local stack and the test harness
  nats-server redis-server postgresql nginx supervisor sqlite3 openssl libjemalloc2
  # the Kubernetes manifest check (tests/k8s)
  python3-yaml
  # alert rules checked with promtool (tests/prometheus); the server of scripts/run.sh --observe
  prometheus
  # load and benchmark tools
  wrk
  strace
  # the container images (scripts/images.sh, tests/container, scripts/run.sh --containers)
  podman runc debootstrap uidmap
  # the storefront's browser tests (tests/browser): Playwright drives Debian's headless chromium
  chromium
)
# The storefront (web/) builds with Node and npm: Debian's packages when there is no node at all.
# A newer Node already installed (e.g. NodeSource's nodejs, which bundles npm) is kept: Debian's
# npm package would replace it.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  PACKAGES+=(nodejs npm)
fi

# api/'s npm packages (the OpenAPI linter, Redoc, the contract test's validator) once Node is
# there: `npm ci` only when api/node_modules does not match api/package-lock.json.
api_deps() { bash "$(dirname "$0")/../api/ensure-deps.sh"; }

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  api_deps
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

echo "setup: installing ${#missing[@]} package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Servers are started by our own scripts and the test harness, never by the package's init
# scripts: policy-rc.d keeps dpkg from starting them on install.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  created_policy=1
fi
trap '[ $created_policy -eq 1 ] && $SUDO rm -f "$policy"' EXIT
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
api_deps
