# Shared helpers for the benchmarks in bench/*/run.sh. Sourced, not run.
#
# Each run.sh: bench_init → bench_build → bench_start (with its Queue/Reservations settings) → measurements →
# the EXIT trap stops the service and removes the temp folder. Everything listens and connects on 127.0.0.1 only.

set -euo pipefail

BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$BENCH_ROOT/.." && pwd)"
export BENCH_LUA_DIR="$BENCH_ROOT/lua"

# Load settings, overridable from the environment. QUICK=1 shortens everything for a smoke run.
if [[ "${QUICK:-0}" == "1" ]]; then
  BENCH_DURATION="${BENCH_DURATION:-3}"
  BENCH_WARMUP="${BENCH_WARMUP:-1}"
else
  BENCH_DURATION="${BENCH_DURATION:-10}"
  BENCH_WARMUP="${BENCH_WARMUP:-3}"
fi
BENCH_THREADS="${BENCH_THREADS:-2}"
BENCH_CONNECTIONS="${BENCH_CONNECTIONS:-32}"
BENCH_TIMEOUT="${BENCH_TIMEOUT:-10}"   # seconds before wrk/curl count a request as timed out
export BENCH_THREADS

BENCH_TMP=""
BENCH_PID=""
BENCH_SIGNING_KEY=""   # Auth:SigningKey of this run, made in bench_init; mint_bearers signs with it
BENCH_URL=""
BENCH_DB=""

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

bench_cleanup() {
  local rc=$?
  if [[ -n "$BENCH_PID" ]] && kill -0 "$BENCH_PID" 2>/dev/null; then
    kill -TERM "$BENCH_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$BENCH_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$BENCH_PID" 2>/dev/null || true
    wait "$BENCH_PID" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 && -n "$BENCH_TMP" && -f "$BENCH_TMP/service.log" ]]; then
    cp "$BENCH_TMP/service.log" "${BENCH_FAILED_LOG:=/tmp/concert-bench-failed-service.log}" 2>/dev/null || true
    log "service log (last 40 lines; all of it kept in $BENCH_FAILED_LOG):"
    grep -v -e '^   at ' -e '^--- End of' "$BENCH_TMP/service.log" | tail -n 40 >&2 || true
  fi
  [[ -n "$BENCH_TMP" ]] && rm -rf "$BENCH_TMP"
  exit $rc
}

# Installs what is missing (Debian packages) and makes the temp folder; arms the EXIT trap.
bench_init() {
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v sqlite3 >/dev/null || missing+=(sqlite3)
  command -v curl >/dev/null || missing+=(curl)
  command -v jq >/dev/null || missing+=(jq)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v python3 >/dev/null || missing+=(python3)
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  command -v dotnet >/dev/null || die "dotnet is not installed"
  BENCH_TMP="$(mktemp -d "${TMPDIR:-/tmp}/concert-bench.XXXXXX")"
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  # Outside Development the service needs a signing key; a fresh one per run, known to the bench so that it can
  # sign its seeded users' bearer tokens as the service would (mint_bearers).
  BENCH_SIGNING_KEY="$(openssl rand -base64 32)"
  export BENCH_SIGNING_KEY
}

# mint_bearers < user ids (one a line) > bearer tokens (one a line, same order): HS256 JWTs signed with this run's
# key, with the claims the service itself issues (bench/mint_bearers.py). For users seeded straight into the
# database, which have no email or password to sign in with.
mint_bearers() { python3 "$BENCH_ROOT/mint_bearers.py"; }

bench_build() {
  if [[ -n "${SERVICE_DLL:-}" ]]; then
    [[ -f "$SERVICE_DLL" ]] || die "SERVICE_DLL=$SERVICE_DLL is not a file"
    BENCH_DLL="$SERVICE_DLL"
    log "using the service build $BENCH_DLL"
    return
  fi
  if [[ "${SKIP_BUILD:-0}" == "1" ]]; then
    log "SKIP_BUILD=1: using the existing Release build"
  else
    log "building src/WebApi (Release)"
    (cd "$REPO_ROOT" && dotnet build src/WebApi -c Release -nologo -v q >"$BENCH_TMP/build.log" 2>&1) \
      || { tail -n 30 "$BENCH_TMP/build.log" >&2; die "build failed"; }
  fi
  BENCH_DLL="$(find "$REPO_ROOT/src/WebApi/bin/Release" -name Concert.WebApi.dll -path '*/net*/*' | head -n 1)"
  [[ -n "$BENCH_DLL" ]] || die "no Release build of Concert.WebApi.dll"
}

# bench_start [NAME=VALUE ...]: starts the service on a free 127.0.0.1 port with a fresh SQLite file, extra
# configuration given as environment assignments (e.g. Queue__MaxActiveTokens=600), and waits for /health/ready.
# BENCH_PROVIDER=Postgres with BENCH_CONNECTION_STRING runs it on PostgreSQL instead (bench/writes).
bench_start() {
  BENCH_DB="$BENCH_TMP/bench.db"
  local outdir
  outdir="$(dirname "$BENCH_DLL")"
  # Port 0: Kestrel picks a free port and logs it (Microsoft.Hosting.Lifetime stays at Information).
  (
    cd "$outdir"
    exec env "$@" \
      ASPNETCORE_ENVIRONMENT=Production \
      Auth__SigningKey="$BENCH_SIGNING_KEY" \
      RateLimits__Enabled="${BENCH_RATE_LIMITS:-false}" \
      ASPNETCORE_URLS="http://127.0.0.1:0" \
      Database__Provider="${BENCH_PROVIDER:-Sqlite}" \
      Database__SqlitePath="$BENCH_DB" \
      ConnectionStrings__Concert="${BENCH_CONNECTION_STRING:-}" \
      Serilog__MinimumLevel__Default=Warning \
      Serilog__MinimumLevel__Override__Microsoft.AspNetCore=Warning \
      Serilog__MinimumLevel__Override__Microsoft.Hosting.Lifetime=Information \
      dotnet "$BENCH_DLL"
  ) >"$BENCH_TMP/service.log" 2>&1 &
  BENCH_PID=$!
  local deadline=$((SECONDS + 90)) port=""
  while [[ -z "$port" ]]; do
    kill -0 "$BENCH_PID" 2>/dev/null || die "the service exited at start"
    ((SECONDS < deadline)) || die "the service did not report its port within 90 s"
    port="$(grep -oE 'Now listening on: http://127\.0\.0\.1:[0-9]+' "$BENCH_TMP/service.log" | head -n 1 | sed 's/.*://')" || true
    [[ -n "$port" ]] || sleep 0.2
  done
  BENCH_URL="http://127.0.0.1:$port"
  until curl -fsS --max-time 2 "$BENCH_URL/health/ready" >/dev/null 2>&1; do
    kill -0 "$BENCH_PID" 2>/dev/null || die "the service exited before it was ready"
    ((SECONDS < deadline)) || die "/health/ready did not answer 200 within 90 s"
    sleep 0.2
  done
  log "service ready at $BENCH_URL (pid $BENCH_PID, db $BENCH_DB)"
}

# api METHOD PATH [JSON] [BEARER] [QUEUE_TOKEN]: one request, signed in with BEARER when given (every endpoint
# but sign-up, sign-in, the concert list and health needs one); prints the body, fails on a non-2xx answer.
api() {
  local method=$1 path=$2 body=${3:-} bearer=${4:-} token=${5:-}
  local args=(-sS --max-time 30 -X "$method" -w '\n%{http_code}')
  [[ -n "$body" ]] && args+=(-H 'Content-Type: application/json' --data "$body")
  [[ -n "$bearer" ]] && args+=(-H "Authorization: Bearer $bearer")
  [[ -n "$token" ]] && args+=(-H "Queue-Token: $token")
  local out code
  out="$(curl "${args[@]}" "$BENCH_URL$path")"
  code="${out##*$'\n'}"
  out="${out%$'\n'*}"
  [[ "$code" == 2* ]] || die "$method $path answered $code: $out"
  printf '%s' "$out"
}

# sql QUERY: runs against the service's SQLite file (WAL; waits up to 30 s for the writer lock).
sql() { sqlite3 -batch -noheader -cmd '.timeout 30000' "$BENCH_DB" "$1"; }

# token_values N: SQL inserting N queue-token values shaped as the service issues them (32 random bytes, base64url,
# 43 characters) into a table Values32 (Id 1..N, Token): only such values are held in an instance's copy of the line.
token_values() {
  python3 -c 'import base64, os, sys
n = int(sys.argv[1])
print("INSERT INTO Values32 (Id, Token) VALUES " + ",".join(
    "(%d,\x27%s\x27)" % (i, base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()) for i in range(1, n + 1)) + ";")' "$1"
}

# batch_config < lines "METHOD<TAB>PATH<TAB>JSON BODY<TAB>BEARER<TAB>QUEUE TOKEN<TAB>OUTPUT FILE" (empty fields
# allowed):
# a curl config file with one transfer per line, each writing "status seconds" when it ends.
batch_config() {
  awk -F'\t' -v base="$BENCH_URL" -v timeout="$BENCH_TIMEOUT" '
    function q(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
    {
      if (NR > 1) print "next"
      print "url = " q(base $2)
      print "request = " q($1)
      if ($3 != "") { print "header = \"Content-Type: application/json\""; print "data = " q($3) }
      if ($4 != "") print "header = " q("Authorization: Bearer " $4)
      if ($5 != "") print "header = " q("Queue-Token: " $5)
      print "output = " q($6 == "" ? "/dev/null" : $6)
      print "write-out = \"%{http_code} %{time_total}\\n\""
      print "max-time = " timeout
      print "silent"
      print "show-error"
    }'
}

# batch_run CONFIG PARALLEL: runs every transfer of a curl config file, PARALLEL at a time over reused
# connections (one curl process); prints one "status seconds" line per transfer, in completion order.
batch_run() {
  curl --parallel --parallel-immediate --parallel-max "$2" --no-progress-meter -K "$1" 2>>"$BENCH_TMP/curl.err" || true
}

# batch_expect STATUS RESULTS WHAT: fails unless every line of RESULTS (from batch_run) has STATUS.
batch_expect() {
  local total bad
  total="$(wc -l <"$2")"
  bad="$(awk -v s="$1" '$1 != s' "$2" | wc -l)"
  ((total > 0 && bad == 0)) || die "$3: $bad of $total answers were not $1 ($(awk -v s="$1" '$1 != s { print $1 }' "$2" | sort | uniq -c | tr '\n' ' '))"
}

# percentiles RESULTS: "p50_ms p99_ms" of the seconds column of batch_run output (nearest rank).
percentiles() {
  sort -g -k2,2 "$1" | awk '{ t[NR] = $2 } END {
    if (NR == 0) { print "0 0"; exit }
    i50 = int(NR * 0.50); if (i50 < NR * 0.50) i50++; if (i50 < 1) i50 = 1
    i99 = int(NR * 0.99); if (i99 < NR * 0.99) i99++; if (i99 < 1) i99 = 1
    printf "%.3f %.3f\n", t[i50] * 1000, t[i99] * 1000 }'
}

# timed_batch NAME CONFIG RESULTS (a list that can run once: payments, sign-ups): runs the batch over BENCH_CONNECTIONS connections; prints a wrk_run-like line
# (name rps p50 p99 requests non2xx 0 0 0 0) with rps = requests / wall time.
timed_batch() {
  local name=$1 t0 t1 n p50 p99 non2xx
  t0=$(now_s)
  batch_run "$2" "$BENCH_CONNECTIONS" >"$3"
  t1=$(now_s)
  n="$(wc -l <"$3")"
  read -r p50 p99 <<<"$(percentiles "$3")"
  non2xx="$(awk '$1 !~ /^2/' "$3" | wc -l)"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t0\t0\t0\t0\n' "$name" \
    "$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }')" "$p50" "$p99" "$n" "$non2xx"
}

# now_s: a wall clock in seconds with decimals.
now_s() { date +%s.%N; }

# SQLite's DateTime text as EF Core writes it (7 decimals), for rows the bench inserts itself.
NOW_SQL="strftime('%Y-%m-%d %H:%M:%f','now') || '0000'"

# seed_active_users N [BALANCE]: N users (ids 1..N on the fresh database), each with an account holding BALANCE
# won (written as one charge in the history, so the balance equals its history) and an active token that lasts
# an hour. Inserted straight into the SQLite file while the service runs (setup through the API would cost more
# than the measurements: every write commits with an fsync). MaxActiveTokens must be >= N. Writes
# $BENCH_TMP/tokens.txt and $BENCH_TMP/bearers.txt: line i is user i's queue token and bearer token.
seed_active_users() {
  local n=$1 balance=${2:-0}
  [[ "$(sql "SELECT count(*) FROM Users;")" == 0 ]] || die "seed_active_users needs a fresh database"
  sql "BEGIN IMMEDIATE;
       WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $n)
       INSERT INTO Users (Id, Name, CreatedAt, Version) SELECT i, 'bench-' || i, $NOW_SQL, 0 FROM c;
       INSERT INTO Accounts (UserId, Balance, UpdatedAt, Version) SELECT Id, $balance, $NOW_SQL, 0 FROM Users;
       INSERT INTO BalanceEntries (UserId, Kind, Amount, BalanceAfter, CreatedAt, PaymentId)
         SELECT Id, 1, $balance, $balance, $NOW_SQL, NULL FROM Users WHERE $balance > 0 ORDER BY Id;
       INSERT INTO QueueTokens (Token, UserId, LiveUserId, Status, IssuedAt, ActivatedAt, ExpiresAt, LastSeenAt)
         SELECT lower(hex(randomblob(16))), Id, Id, 2, $NOW_SQL, $NOW_SQL,
                strftime('%Y-%m-%d %H:%M:%f', 'now', '+1 hour') || '0000', $NOW_SQL
         FROM Users ORDER BY Id;
       COMMIT;" >/dev/null
  sql "SELECT Token FROM QueueTokens ORDER BY UserId;" >"$BENCH_TMP/tokens.txt"
  [[ "$(wc -l <"$BENCH_TMP/tokens.txt")" == "$n" ]] || die "expected $n tokens"
  seq 1 "$n" | mint_bearers >"$BENCH_TMP/bearers.txt"
  [[ "$(wc -l <"$BENCH_TMP/bearers.txt")" == "$n" ]] || die "expected $n bearer tokens"
  # Through the API, signed in as each: the first and the last user are active, with the balance given.
  local u status bearer
  for u in 1 "$n"; do
    bearer="$(sed -n "${u}p" "$BENCH_TMP/bearers.txt")"
    [[ "$(api GET /api/users/me '' "$bearer" | jq .id)" == "$u" ]] || die "user $u's bearer token does not sign in as user $u"
    status="$(api GET /api/queue/tokens/current '' "$bearer" "$(sed -n "${u}p" "$BENCH_TMP/tokens.txt")" | jq -r .status)"
    [[ "$status" == active ]] || die "user $u's token reads $status, expected active"
    [[ "$(api GET "/api/users/$u/balance" '' "$bearer" | jq .balance)" == "$balance" ]] || die "user $u's balance is not $balance"
  done
}

# wrk_run NAME PATH [SCRIPT] [DURATION]: a measurement; prints one TSV line:
# name rps p50_ms p99_ms requests non2xx socket_errors n201 n409 nother
wrk_run() {
  local name=$1 path=$2 script=${3:-$BENCH_LUA_DIR/common.lua} duration=${4:-$BENCH_DURATION}
  local out
  out="$(wrk -t "$BENCH_THREADS" -c "$BENCH_CONNECTIONS" -d "${duration}s" --timeout "${BENCH_TIMEOUT}s" \
    --latency -s "$script" "$BENCH_URL$path" 2>&1)" || { printf '%s\n' "$out" >&2; die "wrk failed for $name"; }
  local line
  line="$(printf '%s\n' "$out" | grep '^BENCH	' | head -n 1)" || true
  [[ -n "$line" ]] || { printf '%s\n' "$out" >&2; die "wrk printed no BENCH line for $name"; }
  printf '%s\t%s\n' "$name" "${line#BENCH	}"
}

# jit_ticks: "tid ticks" for each of the service's tiered-compilation threads alive now (the runtime's background
# JIT: it recompiles hot methods, with profile-guided optimisation, for tens of seconds after a path gets busy, and
# takes up to a third of the CPU meanwhile; a measurement taken before it is done measures the JIT).
jit_ticks() {
  local t
  for t in /proc/"$BENCH_PID"/task/*; do
    [[ "$(cat "$t/comm" 2>/dev/null)" == ".NET Tiered"* ]] || continue
    # utime and stime, counted after the name: "(.NET Tiered Com)" itself has spaces.
    sed 's/^.*) //' "$t/stat" 2>/dev/null | awk -v tid="${t##*/}" '{ print tid, $12 + $13 }' || true
  done
}

# wrk_warm PATH [SCRIPT]: an unmeasured run of at least BENCH_WARMUP s, then on in 2 s steps until the JIT has
# settled: its threads used at most 4 ticks (40 ms, 2 % of a core) in the last step. A condition, not a time;
# bounded by BENCH_WARMUP_MAX s (default 90), after which it says so and goes on. (Measured here: polls ran at
# 3,600/s in their first 3 s and 17,000-21,000/s from about 15 s on, when the JIT had done its work.)
wrk_warm() {
  local path=$1 script=${2:-$BENCH_LUA_DIR/common.lua} started=$SECONDS before after busy
  _wrk_warm_step() {
    wrk -t "$BENCH_THREADS" -c "$BENCH_CONNECTIONS" -d "$1s" --timeout "${BENCH_TIMEOUT}s" \
      -s "$script" "$BENCH_URL$path" >/dev/null 2>&1 || die "wrk warm-up failed for $path"
  }
  _wrk_warm_step "$BENCH_WARMUP"
  while :; do
    before="$(jit_ticks)"
    _wrk_warm_step 2
    after="$(jit_ticks)"
    # Ticks each thread alive now used in the step (a thread born in the step counts from 0).
    busy="$(awk 'NR == FNR { b[$1] = $2; next } { used += $2 - ($1 in b ? b[$1] : 0) } END { print used + 0 }' \
      <(printf '%s\n' "$before") <(printf '%s\n' "$after"))"
    ((busy <= 4)) && break
    if ((SECONDS - started >= ${BENCH_WARMUP_MAX:-90})); then
      log "warm-up of $path: the JIT still used $busy ticks in the last 2 s after $((SECONDS - started)) s; measuring anyway"
      return 0
    fi
  done
  log "warm-up of $path: the JIT settled after $((SECONDS - started)) s"
}

# Field accessors on a wrk_run line.
f_rps() { cut -f2 <<<"$1"; }
f_p50() { cut -f3 <<<"$1"; }
f_p99() { cut -f4 <<<"$1"; }
f_req() { cut -f5 <<<"$1"; }
f_non2xx() { cut -f6 <<<"$1"; }
f_sockerr() { cut -f7 <<<"$1"; }
f_201() { cut -f8 <<<"$1"; }
f_409() { cut -f9 <<<"$1"; }
f_other() { cut -f10 <<<"$1"; }

# median: the median of the numbers on stdin (one per line).
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# median_row LINE...: of wrk_run lines, the one with the median req/s (of an even number, the lower of the middle two).
median_row() {
  local -a rows=("$@")
  local i
  i="$(for i in "${!rows[@]}"; do printf '%s\t%s\n' "$(f_rps "${rows[i]}")" "$i"; done \
    | sort -g -k1,1 | awk -F'\t' '{ v[NR] = $2 } END { print v[int((NR + 1) / 2)] }')"
  printf '%s\n' "${rows[i]}"
}

# ratio A B: A / B with 3 decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.3f", a / b }'; }

# table_row LINE: a markdown row "name | req/s | p50 | p99 | requests | non-2xx | socket errors".
table_header() {
  printf '| measurement | req/s | p50 ms | p99 ms | requests | non-2xx | socket errors |\n'
  printf '|---|---:|---:|---:|---:|---:|---:|\n'
}
table_row() {
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' \
    "$(cut -f1 <<<"$1")" "$(f_rps "$1")" "$(f_p50 "$1")" "$(f_p99 "$1")" "$(f_req "$1")" "$(f_non2xx "$1")" "$(f_sockerr "$1")"
}

# verdict OK_CONDITION_AWK A B: PASS when awk says a OP b holds.
verdict() { awk -v a="$2" -v b="$3" "BEGIN { exit !($1) }" && echo PASS || echo MISS; }

bench_settings() {
  log "wrk: ${BENCH_THREADS} threads, ${BENCH_CONNECTIONS} connections, ${BENCH_DURATION} s per measurement (warm-up ${BENCH_WARMUP} s)"
}
