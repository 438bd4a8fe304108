#!/usr/bin/env bash
# Puts Debian's cJSON source in deps/cjson (for the wasm build; native builds use libcjson-dev).
# Needs a deb-src entry for bookworm main (.ci/run adds one).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$root/deps/cjson/cJSON.c" ] && exit 0
tmp=$(mktemp -d)
(cd "$tmp" && apt-get source -qq cjson >/dev/null 2>&1) || {
  echo "fetch-cjson: 'apt-get source cjson' failed: add a deb-src entry for bookworm main and run apt-get update" >&2; exit 1; }
mkdir -p "$root/deps/cjson"
cp "$tmp"/cjson-*/cJSON.c "$tmp"/cjson-*/cJSON.h "$tmp"/cjson-*/LICENSE "$root/deps/cjson/"
rm -rf "$tmp"
echo "fetch-cjson: deps/cjson ready"
