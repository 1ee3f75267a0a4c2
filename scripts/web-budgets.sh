#!/usr/bin/env bash
# The storefront's budgets (issue 17): prints the figures, exits 1 when one is exceeded.
#   scripts/web-budgets.sh [URL]
# - JavaScript: every .js file of web/dist/assets gzipped (-9), together under 100 kB
#   (100 000 bytes). Build first: scripts/web-build.sh.
# - With URL (a running stack, e.g. http://localhost:8080/): the landing page's first render in
#   headless chromium under 1 s: the median first-contentful-paint of 5 cold loads
#   (tests/browser/first-render.mjs; needs tests/browser's npm packages: scripts/web-build.sh
#   --with-tests). The browser test (ctest -L browser) runs this with its stack's URL.
# Environment: TICKETING_JS_BUDGET_BYTES (100000), TICKETING_FIRST_RENDER_BUDGET_MS (1000).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
JS_BUDGET=${TICKETING_JS_BUDGET_BYTES:-100000}
RENDER_BUDGET=${TICKETING_FIRST_RENDER_BUDGET_MS:-1000}
status=0

shopt -s nullglob
files=("$ROOT"/web/dist/assets/*.js)
if [ ${#files[@]} -eq 0 ]; then
  echo "web-budgets: no JavaScript in web/dist/assets (scripts/web-build.sh builds it)" >&2
  exit 1
fi
total=0
for f in "${files[@]}"; do
  raw=$(stat -c %s "$f")
  gz=$(gzip -9c "$f" | wc -c)
  total=$((total + gz))
  printf '  %-36s %8d bytes, %7d gzipped\n' "${f#"$ROOT"/}" "$raw" "$gz"
done
if [ "$total" -lt "$JS_BUDGET" ]; then verdict=ok; else verdict="FAIL: over budget"; status=1; fi
printf 'JavaScript: %d bytes gzipped (%s kB; budget %d bytes) %s\n' "$total" \
  "$(awk -v b="$total" 'BEGIN { printf "%.1f", b / 1000 }')" "$JS_BUDGET" "$verdict"

if [ $# -gt 0 ]; then
  (cd "$ROOT/tests/browser" && node first-render.mjs "$1" 5 "$RENDER_BUDGET") || status=1
fi
exit $status
