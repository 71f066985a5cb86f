#!/usr/bin/env bash
# The cost of the meters (issue 16): queue polls on a service with telemetry on (the default; /metrics scraped every
# METRICS_SCRAPE_INTERVAL s, 15 by default as Prometheus is usually set up) against one with Telemetry__Enabled=false.
# Both run side by side, seeded alike and warmed until the JIT has settled; then short measurements alternate between
# them, METRICS_ROUNDS (30) each, in the order on-off, off-on, ... so a drift of the machine weighs on both alike.
# The figure is the service's CPU time per poll (from /proc, around each measurement, each after 2 s of load): off / on
# in each round, and the geometric mean of those rounds (a single round swings by +-10 % here); then
# the CPU one scrape costs, measured apart, and what scraping every second would add to the polls' CPU.
# Usage: bash bench/metrics/run.sh   (QUICK=1 for a smoke run)
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

WAITING="${METRICS_WAITING:-1000}"
ROUNDS="${METRICS_ROUNDS:-30}"
SCRAPE_INTERVAL="${METRICS_SCRAPE_INTERVAL:-15}"
SCRAPES="${METRICS_SCRAPES:-100}"
[[ "${QUICK:-0}" == "1" ]] && ROUNDS="${METRICS_ROUNDS:-2}"
STEP="${BENCH_DURATION}"

bench_init
bench_build
bench_settings

ROOT_TMP="$BENCH_TMP"
declare -A PID URL DIR
SCRAPER=""

# Stops both services (bench_cleanup stops only BENCH_PID) and the scraper, then cleans up as usual.
metrics_cleanup() {
  local rc=$? mode
  [[ -n "$SCRAPER" ]] && { kill "$SCRAPER" 2>/dev/null || true; }
  for mode in true false; do
    [[ -n "${PID[$mode]:-}" && "${PID[$mode]}" != "$BENCH_PID" ]] && { kill -TERM "${PID[$mode]}" 2>/dev/null || true; }
  done
  BENCH_TMP="$ROOT_TMP"
  (exit "$rc")
  bench_cleanup
}
trap metrics_cleanup EXIT

# cpu_ticks MODE: user + system clock ticks of that service so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/${PID[$1]}/stat"; }

# start_service MODE: a service with Telemetry:Enabled=MODE in a folder of its own, one active user and WAITING
# waiting tokens, and the callers' files (each waiting user's bearer beside its queue token) for wrk.
start_service() {
  local mode=$1 head head_bearer
  BENCH_TMP="$ROOT_TMP/telemetry-$mode"
  mkdir -p "$BENCH_TMP"
  bench_start Telemetry__Enabled="$mode" \
    Queue__MaxActiveTokens=1 Queue__WaitingTokenIdleTimeout=02:00:00 Queue__ActiveTokenLifetime=02:00:00
  head="$(api POST /api/users '{"name":"bench-head","email":"bench-head@example.com","password":"bench-head-password"}' | jq -r .id)"
  head_bearer="$(api POST /api/auth/token '{"email":"bench-head@example.com","password":"bench-head-password"}' | jq -r .accessToken)"
  [[ "$(api POST /api/queue/tokens '' "$head_bearer" | jq -r .status)" == active ]] || die "the first user is not active"
  sql "BEGIN IMMEDIATE;
       WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $WAITING)
       INSERT INTO Users (Name, CreatedAt, Version) SELECT 'bench-' || i, $NOW_SQL, 0 FROM c;
       INSERT INTO Accounts (UserId, Balance, UpdatedAt, Version) SELECT Id, 0, $NOW_SQL, 0 FROM Users WHERE Id > $head;
       CREATE TEMP TABLE Values32 (Id INTEGER PRIMARY KEY, Token TEXT);
       $(token_values "$WAITING")
       INSERT INTO QueueTokens (Token, UserId, LiveUserId, Status, IssuedAt, LastSeenAt)
         SELECT v.Token, u.Id, u.Id, 1, $NOW_SQL, $NOW_SQL FROM Users u JOIN Values32 v ON v.Id = u.Id - $head
         WHERE u.Id > $head ORDER BY u.Id;
       COMMIT;" >/dev/null
  sql "SELECT Token || '|' || UserId FROM QueueTokens WHERE Status = 1;" | shuf >"$BENCH_TMP/callers.txt"
  cut -d'|' -f1 "$BENCH_TMP/callers.txt" >"$BENCH_TMP/tokens.txt"
  cut -d'|' -f2 "$BENCH_TMP/callers.txt" | mint_bearers >"$BENCH_TMP/bearers.txt"
  if [[ "$mode" == true ]]; then
    [[ "$(curl -fsS "$BENCH_URL/metrics" | grep -c '^concert_queue_waiting')" == 1 ]] || die "no concert_queue_waiting on /metrics"
  else
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "$BENCH_URL/metrics")" == 404 ]] || die "/metrics answers with telemetry off"
  fi
  PID[$mode]=$BENCH_PID URL[$mode]=$BENCH_URL DIR[$mode]=$BENCH_TMP
}

# use MODE: points lib.sh's helpers (wrk_run, wrk_warm, jit_ticks) and the lua script at that service.
use() {
  BENCH_PID=${PID[$1]} BENCH_URL=${URL[$1]} BENCH_TMP=${DIR[$1]} BENCH_DB=${DIR[$1]}/bench.db
  export BENCH_TOKENS="${DIR[$1]}/tokens.txt" BENCH_BEARERS="${DIR[$1]}/bearers.txt"
}

log "starting a service with telemetry on and one with it off, $WAITING waiting each"
start_service true
start_service false
sleep 2   # a first read of each line

# A scraper as Prometheus would be, for the whole run.
( while :; do curl -fsS -o /dev/null "${URL[true]}/metrics" || true; sleep "$SCRAPE_INTERVAL"; done ) &
SCRAPER=$!

for mode in true false; do
  use "$mode"
  wrk_warm /api/queue/tokens/current "$BENCH_LUA_DIR/token_get.lua"
  wrk_warm /health/live
  # Nobody's poll is due to be written down during the measurements (a write a minute per token otherwise).
  sql "UPDATE QueueTokens SET LastSeenAt = $NOW_SQL WHERE Status = 1;"
done

results=()
declare -A cpu_list
cpu_list[true]="" cpu_list[false]=""
pairs=""
for round in $(seq 1 "$ROUNDS"); do
  order="true false"
  ((round % 2 == 0)) && order="false true"
  for mode in $order; do
    use "$mode"
    # The service measured second had sat idle through the first's measurement and came out ~6 % dearer per poll
    # (seen in the order of the rounds): 2 s of load first puts both in the same state.
    wrk -t "$BENCH_THREADS" -c "$BENCH_CONNECTIONS" -d 2s -s "$BENCH_LUA_DIR/token_get.lua" \
      "$BENCH_URL/api/queue/tokens/current" >/dev/null 2>&1 || die "wrk failed before round $round"
    c0="$(cpu_ticks "$mode")"
    line="$(wrk_run "poll, telemetry $mode, round $round" /api/queue/tokens/current "$BENCH_LUA_DIR/token_get.lua" "$STEP")"
    c1="$(cpu_ticks "$mode")"
    us=$(awk -v t="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" -v n="$(f_req "$line")" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
    cpu_list[$mode]+="$us "
    declare "cpu_$mode=$us"
    results+=("$line")
    log "$(table_row "$line")   CPU per poll $us us"
  done
  pairs+="$(ratio "$cpu_false" "$cpu_true") "
done

health=()
for mode in true false; do
  use "$mode"
  health[${#health[@]}]="$(wrk_run "/health/live, telemetry $mode" /health/live)"
  results+=("${health[-1]}")
  log "$(table_row "${health[-1]}")"
done

# One scrape's CPU, apart: SCRAPES scrapes one after another on the idle service, less its idle CPU over as long.
use true
kill "$SCRAPER" 2>/dev/null || true; wait "$SCRAPER" 2>/dev/null || true; SCRAPER=""
bytes="$(curl -fsS "${URL[true]}/metrics" | wc -c)"
series="$(curl -fsS "${URL[true]}/metrics" | grep -vc '^#')"
t0=$(now_s); c0="$(cpu_ticks true)"
for _ in $(seq 1 "$SCRAPES"); do curl -fsS -o /dev/null "${URL[true]}/metrics"; done
c1="$(cpu_ticks true)"; t1=$(now_s)
sleep "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
c2="$(cpu_ticks true)"
scrape_ms=$(awk -v busy="$((c1 - c0))" -v idle="$((c2 - c1))" -v hz="$(getconf CLK_TCK)" -v n="$SCRAPES" \
  'BEGIN { v = (busy - idle) / hz * 1000 / n; if (v < 0) v = 0; printf "%.2f", v }')

on_med="$(tr ' ' '\n' <<<"${cpu_list[true]}" | grep . | median)"
off_med="$(tr ' ' '\n' <<<"${cpu_list[false]}" | grep . | median)"
on_polls=0; n_on=0
for r in "${results[@]}"; do
  [[ "$r" == "poll, telemetry true"* ]] && { on_polls=$(awk -v a="$on_polls" -v b="$(f_rps "$r")" 'BEGIN { print a + b }'); ((n_on++)) || true; }
done
on_rate=$(awk -v a="$on_polls" -v n="$n_on" 'BEGIN { printf "%.0f", a / n }')
# A scrape every second, as a share of the CPU the polls used each second at their measured rate.
per_second=$(awk -v ms="$scrape_ms" -v rate="$on_rate" -v us="$on_med" \
  'BEGIN { if (rate * us == 0) print "n/a"; else printf "%.4f", (ms * 1000) / (rate * us) }')

echo
echo "## Meter cost (issue 16): ${BENCH_THREADS} threads, ${BENCH_CONNECTIONS} connections, $STEP s a measurement, $ROUNDS rounds, $WAITING waiting, /metrics every $SCRAPE_INTERVAL s"
echo
table_header
for r in "${results[@]}"; do table_row "$r"; done
echo
echo "service CPU per poll, telemetry on:  ${cpu_list[true]}(us; median $on_med)"
echo "service CPU per poll, telemetry off: ${cpu_list[false]}(us; median $off_med)"
# The geometric mean of the rounds' ratios: as many rounds measure "on" first as "off" first, so what the order
# itself does cancels out.
pair_mean="$(tr ' ' '\n' <<<"$pairs" | grep . | awk '{ s += log($1); n++ } END { printf "%.3f", exp(s / n) }')"
echo "off / on CPU per poll in each round: ${pairs}(geometric mean $pair_mean; ratio of the medians above: $(ratio "$off_med" "$on_med"))"
echo "the cost of the meters, off / on CPU per poll (geometric mean of the rounds; 1 = none): $pair_mean  (target >= 0.95: $(verdict 'a >= b' "$pair_mean" 0.95))"
echo "one scrape of /metrics ($series series, $bytes bytes): $scrape_ms ms of CPU; scraped every second beside the polls' $on_rate/s, that adds $per_second of their CPU"
bad=0
for r in "${results[@]}"; do ((bad += $(f_non2xx "$r") + $(f_sockerr "$r"))) || true; done
echo "non-2xx answers and socket errors over all measurements: $bad"
((bad == 0)) || die "some requests failed (see the table)"
