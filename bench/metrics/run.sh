#!/usr/bin/env bash
# The cost of the meters (issue 16): queue polls with telemetry on (the default, /metrics scraped every second)
# against Telemetry__Enabled=false, in the same run, each beside GET /health/live on its own service.
# Usage: bash bench/metrics/run.sh   (QUICK=1 for a smoke run; METRICS_ROUNDS=2 alternates on/off twice)
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

WAITING="${METRICS_WAITING:-1000}"
ROUNDS="${METRICS_ROUNDS:-1}"

bench_init
bench_build
bench_settings

# bench_stop: stops the service and deletes its database, so the next bench_start begins afresh.
bench_stop() {
  kill -TERM "$BENCH_PID" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$BENCH_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$BENCH_PID" 2>/dev/null || true
  wait "$BENCH_PID" 2>/dev/null || true
  BENCH_PID=""
  rm -f "$BENCH_DB" "$BENCH_DB-wal" "$BENCH_DB-shm"
}

# cpu_ticks: user + system clock ticks of the service process so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$BENCH_PID/stat"; }

# measure MODE: one service with Telemetry:Enabled=MODE, one active user and WAITING waiting tokens; polls then
# /health/live. Sets LINES to (poll line, health line). Runs in this shell, so the EXIT trap can stop its service.
measure() {
  local mode=$1 scraper=""
  bench_start Telemetry__Enabled="$mode" \
    Queue__MaxActiveTokens=1 Queue__WaitingTokenIdleTimeout=02:00:00 Queue__ActiveTokenLifetime=02:00:00
  local head head_bearer
  head="$(api POST /api/users '{"name":"bench-head","email":"bench-head@example.com","password":"bench-head-password"}' | jq -r .id)"
  head_bearer="$(api POST /api/auth/token '{"email":"bench-head@example.com","password":"bench-head-password"}' | jq -r .accessToken)"
  [[ "$(api POST /api/queue/tokens '' "$head_bearer" | jq -r .status)" == active ]] || die "the first user is not active"
  sql "BEGIN IMMEDIATE;
       WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $WAITING)
       INSERT INTO Users (Name, CreatedAt, Version) SELECT 'bench-' || i, $NOW_SQL, 0 FROM c;
       INSERT INTO Accounts (UserId, Balance, UpdatedAt, Version) SELECT Id, 0, $NOW_SQL, 0 FROM Users WHERE Id > $head;
       INSERT INTO QueueTokens (Token, UserId, LiveUserId, Status, IssuedAt, LastSeenAt)
         SELECT lower(hex(randomblob(16))), Id, Id, 1, $NOW_SQL, $NOW_SQL FROM Users WHERE Id > $head ORDER BY Id;
       COMMIT;" >/dev/null
  # Every poll as a client sends it: the waiting user's bearer (minted with this run's key) beside its queue token.
  export BENCH_TOKENS="$BENCH_TMP/tokens.txt" BENCH_BEARERS="$BENCH_TMP/bearers.txt"
  sql "SELECT Token || '|' || UserId FROM QueueTokens WHERE Status = 1;" | shuf >"$BENCH_TMP/callers.txt"
  cut -d'|' -f1 "$BENCH_TMP/callers.txt" >"$BENCH_TOKENS"
  cut -d'|' -f2 "$BENCH_TMP/callers.txt" | mint_bearers >"$BENCH_BEARERS"
  sleep 6   # a rank snapshot of the whole line (every 5 s)
  if [[ "$mode" == true ]]; then
    [[ "$(curl -fsS "$BENCH_URL/metrics" | grep -c '^concert_queue_waiting')" == 1 ]] || die "no concert_queue_waiting on /metrics"
    # A scraper far more eager than Prometheus' usual 15 s, so its cost is in the figures; bounded by count.
    ( for _ in $(seq 1 300); do curl -fsS -o /dev/null "$BENCH_URL/metrics" || true; sleep 1; done ) &
    scraper=$!
  else
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "$BENCH_URL/metrics")" == 404 ]] || die "/metrics answers with telemetry off"
  fi
  BENCH_WARMUP=$((BENCH_WARMUP * 3)) wrk_warm /api/queue/tokens/current "$BENCH_ROOT/lua/token_get.lua"
  wrk_warm /health/live
  sql "UPDATE QueueTokens SET LastSeenAt = $NOW_SQL WHERE Status = 1;"
  # CPU seconds the service spent per request: unlike req/s, barely moved by what else runs on a shared machine.
  local c0 c1 poll
  c0="$(cpu_ticks)"
  poll="$(wrk_run "poll, telemetry $mode" /api/queue/tokens/current "$BENCH_ROOT/lua/token_get.lua")"
  c1="$(cpu_ticks)"
  CPU_US=$(awk -v t="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" -v n="$(f_req "$poll")" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
  LINES=("$poll")
  LINES+=("$(wrk_run "/health/live, telemetry $mode" /health/live)")
  [[ -n "$scraper" ]] && { kill "$scraper" 2>/dev/null || true; wait "$scraper" 2>/dev/null || true; }
  bench_stop
}

results=()
cpu_lines=()
on_poll=0; off_poll=0; on_health=0; off_health=0; on_cpu=0; off_cpu=0
for round in $(seq 1 "$ROUNDS"); do
  for mode in true false; do
    log "round $round: telemetry $mode"
    measure "$mode"
    lines=("${LINES[@]}")
    results+=("${lines[@]}")
    log "$(table_row "${lines[0]}")"
    log "$(table_row "${lines[1]}")"
    log "service CPU per poll: $CPU_US us"
    cpu_lines+=("telemetry $mode, round $round: $CPU_US us CPU per poll")
    if [[ "$mode" == true ]]; then
      on_poll=$(awk -v a="$on_poll" -v b="$(f_rps "${lines[0]}")" 'BEGIN { print a + b }')
      on_health=$(awk -v a="$on_health" -v b="$(f_rps "${lines[1]}")" 'BEGIN { print a + b }')
      on_cpu=$(awk -v a="$on_cpu" -v b="$CPU_US" 'BEGIN { print a + b }')
    else
      off_poll=$(awk -v a="$off_poll" -v b="$(f_rps "${lines[0]}")" 'BEGIN { print a + b }')
      off_health=$(awk -v a="$off_health" -v b="$(f_rps "${lines[1]}")" 'BEGIN { print a + b }')
      off_cpu=$(awk -v a="$off_cpu" -v b="$CPU_US" 'BEGIN { print a + b }')
    fi
  done
done

echo
echo "## Meter cost (issue 16): ${BENCH_THREADS} threads, ${BENCH_CONNECTIONS} connections, ${BENCH_DURATION} s each, $WAITING waiting, $ROUNDS round(s)"
echo
table_header
for r in "${results[@]}"; do table_row "$r"; done
echo
raw="$(ratio "$on_poll" "$off_poll")"
norm="$(awk -v a="$on_poll" -v b="$on_health" -v c="$off_poll" -v d="$off_health" \
  'BEGIN { if (b * c == 0) print "n/a"; else printf "%.3f", (a / b) / (c / d) }')"
for c in "${cpu_lines[@]}"; do echo "$c"; done
cpu="$(ratio "$off_cpu" "$on_cpu")"
echo "service CPU per poll, off / on (the cost of the meters; 1 = none): $cpu  (target >= 0.95: $(verdict 'a >= b' "$cpu" 0.95))"
echo "poll throughput, telemetry on / off: $raw  (target >= 0.95: $(verdict 'a >= b' "$raw" 0.95))"
echo "the same, each first divided by its own /health/live: $norm  (target >= 0.95: $(verdict 'a >= b' "$norm" 0.95))"
bad=0
for r in "${results[@]}"; do ((bad += $(f_non2xx "$r") + $(f_sockerr "$r"))) || true; done
echo "non-2xx answers and socket errors over all measurements: $bad"
((bad == 0)) || die "some requests failed (see the table)"
