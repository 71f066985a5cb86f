#!/usr/bin/env bash
# Starts the built service (on a throwaway SQLite file, any free port) and writes its OpenAPI document to $2.
# Usage: fetch-document.sh <path to Concert.WebApi.dll> <output file>
set -uo pipefail
dll=$(realpath "$1"); out=$2
tmp=$(mktemp -d)
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
(cd "$tmp" && exec env Database__Provider=Sqlite Database__SqlitePath="$tmp/openapi.db" Seed__Demo=false \
   Workers__Enabled=false ASPNETCORE_ENVIRONMENT=Production Auth__SigningKey="$(openssl rand -base64 32)" dotnet "$dll" --urls http://127.0.0.1:0 >"$tmp/log" 2>&1) &
pid=$!
url=""
for _ in $(seq 1 120); do
  url=$(grep -o 'Now listening on: http://127.0.0.1:[0-9]*' "$tmp/log" 2>/dev/null | head -n 1 | sed 's/.*on: //')
  [ -n "$url" ] && curl -sf "$url/health/live" >/dev/null && break
  kill -0 "$pid" 2>/dev/null || break
  url=""; sleep 0.5
done
if [ -z "$url" ]; then echo "the service did not start:" >&2; tail -n 20 "$tmp/log" >&2; exit 1; fi
curl -sf "$url/openapi/v1.json" -o "$out" || { echo "GET /openapi/v1.json failed" >&2; exit 1; }
