#!/usr/bin/env bash
# Builds api/dist/ (or the directory given as $1): the API's documentation page, served by the
# ingress at /api/docs/ and readable offline (open dist/index.html). It holds index.html and
# init.js (from api/docs/), Redoc's standalone bundle copied from api/node_modules (its version is
# pinned in api/package-lock.json; its one remote fetch, the footer's logo, taken out), the document as openapi.yaml and openapi.json, and openapi.js,
# the same document as a script, so the page loads no URL it would have to fetch (file:// works).
# Rebuilt from scratch every time (a few hundred milliseconds), replaced in one rename.
set -euo pipefail
API=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$API/dist}
bash "$API/ensure-deps.sh"

tmp="$OUT.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
cp "$API/docs/index.html" "$API/docs/init.js" "$API/docs/docs.css" "$API/openapi.yaml" "$tmp/"
cp "$API/node_modules/redoc/bundles/redoc.standalone.js.LICENSE.txt" "$tmp/"
(cd "$API" && node --input-type=module - "$tmp" <<'JS'
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';
const out = process.argv[2];
const doc = parse(readFileSync('openapi.yaml', 'utf8'));
const json = JSON.stringify(doc);
writeFileSync(`${out}/openapi.json`, `${JSON.stringify(doc, null, 2)}\n`);
// Redoc's footer shows Redocly's logo from their CDN; with no src the image fails at once and Redoc
// hides it, so the page fetches nothing remote. Exactly one occurrence, or a new Redoc changed it.
const logo = 'src:"https://cdn.redoc.ly/redoc/logo-mini.svg"';
const bundle = readFileSync('node_modules/redoc/bundles/redoc.standalone.js', 'utf8');
if (bundle.split(logo).length !== 2) {
  console.error('api/build-docs.sh: the Redoc bundle does not load its logo as expected; check for remote URLs');
  process.exit(1);
}
writeFileSync(`${out}/redoc.standalone.js`, bundle.replace(logo, 'src:""'));
// "</" never appears raw in a script file; escaping it keeps the JSON valid all the same.
writeFileSync(`${out}/openapi.js`, `window.TICKETING_OPENAPI = ${json.replaceAll('</', '<\\/')};\n`);
JS
)
chmod -R a+rX "$tmp"
rm -rf "$OUT"
mv "$tmp" "$OUT"
trap - EXIT
echo "api: documentation page in $OUT (index.html)"
