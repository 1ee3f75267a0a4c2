#!/usr/bin/env bash
# Builds the static files the ingress serves (DESIGN.md section 14):
#   web/  -> web/dist   the storefront (npm ci + `npm run build`: types from api/openapi.yaml,
#                       tsc, vite), rebuilt only when its sources, its lock file, the API
#                       document or Node's version changed (a hash kept in .cache/web-build/)
#   api/  -> api/dist   the API's page at /api/docs, by api/build-docs.sh when it exists, with
#                       the same rule
# `npm ci` runs only when node_modules does not match the lock file, quietly, from npm's cache
# (~/.npm) when it can. Called by scripts/run.sh start and by the browser tests (tests/browser).
# Prints one line per part. Needs node and npm (scripts/setup.sh installs Debian's).
#   scripts/web-build.sh [--force] [--with-tests]
#     --force        build even when nothing changed
#     --with-tests   also install tests/browser's npm packages (Playwright, axe-core; no browser
#                    is downloaded: the tests drive Debian's chromium)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STAMPS=$ROOT/.cache/web-build
FORCE=0
WITH_TESTS=0
for arg in "$@"; do
  case $arg in
    --force) FORCE=1 ;;
    --with-tests) WITH_TESTS=1 ;;
    *) echo "usage: scripts/web-build.sh [--force] [--with-tests]" >&2; exit 2 ;;
  esac
done

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "web: node and npm are missing (scripts/setup.sh installs them)" >&2
  exit 1
fi
mkdir -p "$STAMPS"
# Two starts at once (tests) build one at a time; the second finds the build done.
exec 9>"$STAMPS/lock"
flock 9

# sha256 over the named files and every file under the named directories, plus Node's version.
# Left out: installed packages, build output, hidden files (locks and stamps the builds write,
# e.g. api/.ensure-deps.lock) and the app's generated API types (they follow from
# api/openapi.yaml, which is hashed, and the build writes them).
tree_hash() {
  local p
  {
    node --version
    for p in "$@"; do
      if [ -d "$p" ]; then
        find "$p" -type f -not -path '*/node_modules/*' -not -path '*/dist/*' -not -name '.*' \
          -not -path '*src/api/schema.d.ts' -print0 | sort -z |
          xargs -0 -r sha256sum
      elif [ -f "$p" ]; then
        sha256sum "$p"
      fi
    done
  } | sha256sum | cut -d' ' -f1
}

# npm ci in $1 unless node_modules was installed from this very lock file.
npm_ci() {
  local dir=$1 want stamp=$1/node_modules/.ticketing-lock.sha256
  want=$(cat "$dir/package-lock.json" <(node --version) | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  echo "  npm ci in ${dir#"$ROOT"/}"
  (cd "$dir" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null)
  echo "$want" > "$stamp"
}

build_web() {
  local web=$ROOT/web hash start=$SECONDS
  cd "$web"
  hash=$(tree_hash package.json package-lock.json index.html vite.config.ts tsconfig.json src public scripts \
    "$ROOT/api/openapi.yaml")
  if [ "$FORCE" = 0 ] && [ -f dist/index.html ] && [ "$(cat "$STAMPS/web.sha256" 2>/dev/null)" = "$hash" ]; then
    echo "web: web/dist is up to date"
    return
  fi
  echo "web: building web/dist"
  npm_ci "$web"
  rm -f "$STAMPS/web.sha256"
  if ! npm run build --silent >"$STAMPS/web.log" 2>&1; then
    cat "$STAMPS/web.log" >&2
    echo "web: the build failed" >&2
    return 1
  fi
  echo "$hash" > "$STAMPS/web.sha256"
  echo "web: built web/dist in $((SECONDS - start)) s"
}

build_docs() {
  local api=$ROOT/api hash start=$SECONDS
  if [ ! -f "$api/build-docs.sh" ]; then
    echo "web: no api/build-docs.sh, /api/docs not built"
    return
  fi
  hash=$(tree_hash "$api")
  if [ "$FORCE" = 0 ] && [ -f "$api/dist/index.html" ] && [ "$(cat "$STAMPS/api-docs.sha256" 2>/dev/null)" = "$hash" ]; then
    echo "web: api/dist is up to date"
    return
  fi
  echo "web: building api/dist (api/build-docs.sh)"
  rm -f "$STAMPS/api-docs.sha256"
  if ! bash "$api/build-docs.sh" >"$STAMPS/api-docs.log" 2>&1; then
    cat "$STAMPS/api-docs.log" >&2
    echo "web: api/build-docs.sh failed" >&2
    return 1
  fi
  echo "$hash" > "$STAMPS/api-docs.sha256"
  echo "web: built api/dist in $((SECONDS - start)) s"
}

build_web
build_docs
if [ "$WITH_TESTS" = 1 ]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm_ci "$ROOT/tests/browser"
  echo "web: tests/browser's packages are installed"
fi
