#!/usr/bin/env bash
# Runs every test: unit, architecture and model tests; the functional tests over real HTTP on SQLite; the reference
# page in a real headless Chromium (tests/WebApi.BrowserTests, on SQLite; Chromium is installed if missing); the same
# functional tests again on a throwaway PostgreSQL cluster (started and stopped here); two real service processes
# on one PostgreSQL database under load, one of them killed mid-way (tests/MultiInstance.Tests, outside the
# solution because it needs the server); it writes the idempotent SQL Server migration script; and it meets the
# OpenAPI document as a frontend team does (tools/openapi-check: generated client, typed journey, lint), each
# check counted as one test. Ends with one line: `N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RESULTS="$ROOT/.results"
rm -rf "$RESULTS" && mkdir -p "$RESULTS" "$ROOT/artifacts"
status=0

step() { echo "==> $*" >&2; }

step "restore and build"
dotnet tool restore >/dev/null || exit 1
dotnet build Concert.sln -c Release -nologo -v q -warnaserror 2>&1 | tail -n 5
[ "${PIPESTATUS[0]}" = 0 ] || { echo "0 passed, 1 failed"; exit 1; }

step "SQL Server migration script (no server needed)"
if ! dotnet ef migrations script --idempotent --no-build --configuration Release \
     --project src/Infrastructure --startup-project src/Infrastructure \
     --context SqlServerConcertDbContext --output artifacts/sqlserver-migrations.sql >/dev/null; then
  echo "SQL Server migration script failed" >&2; status=1
fi

step "PostgreSQL for the multi-writer tests"
source scripts/pg.sh
if ! pg_start "${CONCERT_PG_PORT:-55432}"; then
  echo "PostgreSQL did not start: the Postgres tests cannot run, so this run fails" >&2
  status=1
fi
trap pg_stop EXIT

step "Chromium and ChromeDriver for the browser tests"
# Debian's builds (a test tool's own browser download cannot work here). Installed when missing; when that fails,
# the run fails (and the browser tests fail on the missing binary): it never skips them.
if ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ]; then
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 \
         || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium chromium-driver >/dev/null 2>&1; }; }; then
    echo "Chromium could not be installed: the browser tests cannot run, so this run fails" >&2
    status=1
  fi
fi

step "tests on SQLite (unit, architecture, functional, browser)"
dotnet test --solution Concert.sln -c Release --no-build --results-directory "$RESULTS/sqlite" --report-xunit-trx \
  || status=1

step "OpenAPI document as a frontend team meets it (artifacts/openapi.json)"
checks="$RESULTS/openapi-check.txt"
if bash tools/openapi-check/fetch-document.sh src/WebApi/bin/Release/net10.0/Concert.WebApi.dll artifacts/openapi.json; then
  bash tools/openapi-check/check.sh "$ROOT/artifacts/openapi.json" >"$checks" || status=1
else
  echo "FAIL openapi-document" >"$checks"; status=1
fi
cat "$checks" >&2

if [ -n "${CONCERT_TEST_POSTGRES:-}" ]; then
  step "functional tests on PostgreSQL"
  CONCERT_TEST_PROVIDER=Postgres dotnet test --project tests/WebApi.FunctionalTests -c Release --no-build \
    --results-directory "$RESULTS/postgres" --report-xunit-trx || status=1

  # Runs the Release build of src/WebApi (made above) as separate processes; builds only the test project itself.
  step "two service processes on one PostgreSQL database"
  dotnet test --project tests/MultiInstance.Tests -c Release --results-directory "$RESULTS/multi" --report-xunit-trx \
    || status=1
fi

passed=0; failed=0; files=0
while IFS= read -r trx; do
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(echo "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p')
  f=$(echo "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
  e=$(echo "$counters" | sed -n 's/.* error="\([0-9]*\)".*/\1/p')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0} + ${e:-0}))
done < <(find "$RESULTS" -name '*.trx')
passed=$((passed + $(grep -c '^PASS ' "$checks"))); failed=$((failed + $(grep -c '^FAIL ' "$checks")))
# The failed tests by name, with the first lines of their messages, so a red run says what failed without the trx.
find "$RESULTS" -name '*.trx' -print0 | xargs -0 -r python3 scripts/failed-tests.py >&2
grep '^FAIL ' "$checks" >&2 || true
if [ "$files" = 0 ]; then status=1; failed=$((failed + 1)); fi
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
exit $status
