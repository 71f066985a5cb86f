#!/usr/bin/env bash
# Meets the OpenAPI document the way a frontend team does. Given the document (default: artifacts/openapi.json),
# runs three checks and prints one line per check, "PASS name" or "FAIL name"; exits non-zero if any failed.
#   client:  openapi-typescript generates the typed client
#   journey: the typed journey (strict TypeScript) compiles against it (tsc --noEmit)
#   lint:    Redocly CLI's recommended rules report 0 errors
set -uo pipefail
cd "$(dirname "$0")"
doc=$(realpath "${1:-../../artifacts/openapi.json}")
failed=0
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1
result() { if [ "$2" = 0 ]; then echo "PASS $1"; else echo "FAIL $1"; failed=1; fi; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2 || { result install 1; exit 1; }
fi

rm -rf generated
npx --no-install openapi-typescript "$doc" -o generated/api.d.ts >&2
client=$?; result openapi-typescript-client $client
if [ $client = 0 ]; then npx --no-install tsc --noEmit -p tsconfig.json >&2; result typed-journey-compiles $?
else result typed-journey-compiles 1; fi
NO_COLOR=1 npx --no-install redocly lint "$doc" --extends=recommended --format=stylish >&2; result redocly-recommended-lint $?
exit $failed
