#!/usr/bin/env bash
# Issue 17, writes at the speed of the database: joins, hold attempts in a rush, balance charges and one-hold
# payments through the API, on SQLite (the default, WAL) and on PostgreSQL at full durability (fsync=on,
# synchronous_commit=on, full_page_writes=on: a throwaway cluster on 127.0.0.1:$WRITES_PG_PORT started and stopped
# here), each beside GET /health/live and beside the raw baseline: the same statements through the same ADO.NET
# provider without HTTP, mediator or EF (bench/writes/WriteBench), in the same run.
# Usage: bash bench/writes/run.sh        (QUICK=1 for a smoke run; WRITES_PROVIDERS="sqlite" for one provider)
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [[ "${QUICK:-0}" == "1" ]]; then
  PAY="${WRITES_PAY:-300}" WARM="${WRITES_PAY_WARMUP:-50}" JOINERS="${WRITES_JOINERS:-30000}"
else
  PAY="${WRITES_PAY:-2000}" WARM="${WRITES_PAY_WARMUP:-200}" JOINERS="${WRITES_JOINERS:-80000}"
fi
JOIN_WARM=$((JOINERS / 4))   # joiners spent on the joins' warm-up
PROVIDERS="${WRITES_PROVIDERS:-sqlite postgres}"
RUSHERS=500          # users in the hold rush, on 50 seats (bench/seats' shape)
BALANCE=50000000     # half the account's ceiling: charges of 1 won and payments of 1,000 never run out
PRICE=1000

bench_init
trap writes_cleanup EXIT
bench_build
build_writebench
bench_settings
[[ " $PROVIDERS " == *" postgres "* ]] && pg_durable_start

# gate_totals: "turns waitedMs heldMs" of the SQLite writer gate so far (its reporter logs them every second with
# writes, at Debug); "0 0 0" on PostgreSQL. gate_delta BEFORE AFTER WHAT: the mean wait and hold per turn between.
gate_totals() {
  sleep 1.2
  grep -oE 'turns=[0-9]+ waitedMs=[0-9]+ heldMs=[0-9]+' "$BENCH_TMP/service.log" | tail -n 1 | tr -c '0-9\n' ' ' \
    | awk '{ print $1, $2, $3 }' | grep . || echo "0 0 0"
}
# longest_hold FROM UNTIL: the longest one writer held SQLite's write lock in this service's run, and when, from the
# reporter's line of each second (HH:MM:SS) in [FROM, UNTIL): the measurements through the API. The seeding before them
# and the raw baselines after them write to the same file from another process, and a service writer then waits for
# SQLite's own lock while it holds its turn. A disk that stalls an fsync or a checkpoint for seconds shows here, not
# in the means.
longest_hold() {
  sed -nE 's/^\[([0-9:]+) .*longest hold this second ([0-9]+) ms.*/\1 \2/p' "$BENCH_TMP/service.log" \
    | awk -v from="$1" -v until="$2" '$1 >= from && $1 < until && $2 + 0 > max + 0 { max = $2; at = $1 }
           END { if (max != "") printf "longest hold of SQLite'"'"'s write lock: %d ms (at %s)\n", max, at }'
}
gate_delta() {
  awk -v what="$3" -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " "); n = y[1] - x[1]
    if (n > 0) printf "%s: %d turns at the writer gate, mean wait %.1f ms, mean hold %.2f ms\n", what, n, (y[2] - x[2]) / n, (y[3] - x[3]) / n }'
}

RESULTS="$BENCH_TMP/results.md"
: >"$RESULTS"

# run_provider sqlite|postgres: one full set of measurements on a fresh database.
run_provider() {
  local provider=$1 load_before load_after
  load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
  use_provider "$provider"
  local db="$WRITES_PG_DB"

  # Ids: 1..PAY pay through the API and charge; then the rushers; then the raw payers; then the joiners.
  local rush0=$((PAY + 1)) rawpay0=$((PAY + RUSHERS + 1)) join0=$((2 * PAY + RUSHERS + 1))
  local active=$((2 * PAY + RUSHERS))
  bench_start \
    Serilog__MinimumLevel__Override__Concert.Infrastructure.Persistence.SqliteWriterGateReporter=Debug \
    Queue__MaxActiveTokens=$active \
    Queue__ActiveTokenLifetime=03:00:00 \
    Queue__WaitingTokenIdleTimeout=03:00:00 \
    Reservations__HoldDuration=00:30:00
  log "[$provider] seeding: $active active users, $JOINERS joiners, seats"
  wb seed-active 1 "$PAY" "$BALANCE" >"$BENCH_TMP/pay-tokens.txt"
  wb seed-active "$rush0" "$RUSHERS" "$BALANCE" >"$BENCH_TMP/rush-tokens.txt"
  wb seed-active "$rawpay0" "$PAY" "$BALANCE" >/dev/null
  wb seed-users "$join0" "$JOINERS"
  local pay_seat0 rawpay_seat0 rush_seat0 rawrush_seat0 _
  read -r pay_seat0 _ <<<"$(wb seed-seats "$PAY" "$PRICE")"
  read -r rawpay_seat0 _ <<<"$(wb seed-seats "$PAY" "$PRICE")"
  read -r rush_seat0 _ <<<"$(wb seed-seats 50 "$PRICE")"
  read -r rawrush_seat0 _ <<<"$(wb seed-seats 50 "$PRICE")"
  wb seed-holds "$rawpay0" "$rawpay_seat0" "$PAY"
  seq 1 "$PAY" | mint_bearers >"$BENCH_TMP/pay-bearers.txt"
  seq "$rush0" $((rush0 + RUSHERS - 1)) | mint_bearers >"$BENCH_TMP/rush-bearers.txt"
  seq "$join0" $((join0 + JOINERS - 1)) | mint_bearers >"$BENCH_TMP/join-bearers.txt"
  [[ "$(api GET /api/users/me '' "$(head -n 1 "$BENCH_TMP/pay-bearers.txt")" | jq .id)" == 1 ]] || die "user 1's bearer does not sign in"
  [[ "$(api GET /api/queue/tokens/current '' "$(head -n 1 "$BENCH_TMP/pay-bearers.txt")" "$(head -n 1 "$BENCH_TMP/pay-tokens.txt")" | jq -r .status)" == active ]] \
    || die "user 1's token is not active"

  # Holds for the payments, through the API (user i holds seat pay_seat0 + i - 1).
  log "[$provider] $PAY holds through the API"
  mkdir -p "$BENCH_TMP/hold"
  rm -f "$BENCH_TMP"/hold/*.json
  paste <(seq 1 "$PAY") "$BENCH_TMP/pay-bearers.txt" "$BENCH_TMP/pay-tokens.txt" \
    | awk -F'\t' -v d="$BENCH_TMP/hold" -v s0="$pay_seat0" \
        '{ printf "POST\t/api/reservations\t{\"seatId\":%d}\t%s\t%s\t%s/%d.json\n", s0 + $1 - 1, $2, $3, d, $1 }' \
    | batch_config >"$BENCH_TMP/hold.cfg"
  batch_run "$BENCH_TMP/hold.cfg" "$BENCH_CONNECTIONS" >"$BENCH_TMP/hold.out"
  batch_expect 201 "$BENCH_TMP/hold.out" "$PAY holds"
  jq -r .id $(seq -f "$BENCH_TMP/hold/%g.json" 1 "$PAY") >"$BENCH_TMP/reservations.txt"

  # /health/live, the ceiling of this host and client, with wrk.
  local api_start
  api_start="$(date +%H:%M:%S)"
  wrk_warm /health/live
  local health
  health="$(wrk_run "/health/live (wrk)" /health/live)"
  log "$(table_row "$health")"

  # Joins: each joiner once (the queue is full: every one of them waits). The warm-up (JIT, pools) joins users of
  # its own, the last JOIN_WARM of the list, so the measured joins are all new tokens too.
  head -n $((JOINERS - JOIN_WARM)) "$BENCH_TMP/join-bearers.txt" >"$BENCH_TMP/join-measured.txt"
  tail -n "$JOIN_WARM" "$BENCH_TMP/join-bearers.txt" >"$BENCH_TMP/join-warm.txt"
  BENCH_BEARERS="$BENCH_TMP/join-warm.txt" wrk_warm / "$BENCH_ROOT/writes/join.lua"
  export BENCH_BEARERS="$BENCH_TMP/join-measured.txt"
  local join
  join="$(wrk_run "join (POST /api/queue/tokens), new tokens" / "$BENCH_ROOT/writes/join.lua")"
  log "$(table_row "$join")"
  local join_rps
  join_rps="$(awk -v r="$(f_rps "$join")" -v n="$(f_req "$join")" -v c="$(f_201 "$join")" 'BEGIN { printf "%.1f", n ? r * c / n : 0 }')"
  ((JOINERS - JOIN_WARM > $(f_201 "$join") + 2 * BENCH_CONNECTIONS)) || log "[$provider] WARNING: the joiners ran out; raise WRITES_JOINERS"

  # Hold attempts in a rush: RUSHERS users on 50 seats.
  export BENCH_TOKENS="$BENCH_TMP/rush-tokens.txt" BENCH_BEARERS="$BENCH_TMP/rush-bearers.txt"
  export BENCH_SEAT_MIN="$rush_seat0" BENCH_SEAT_MAX=$((rush_seat0 + 49))
  local rush
  rush="$(wrk_run "hold attempts (POST /api/reservations), $RUSHERS users on 50 seats" / "$BENCH_ROOT/seats/hold.lua")"
  log "$(table_row "$rush")"

  # Charges: 1 won each, users 1..PAY round-robin.
  export BENCH_BEARERS="$BENCH_TMP/pay-bearers.txt" BENCH_CHARGE_AMOUNT=1
  wrk_warm / "$BENCH_ROOT/payments/charge.lua"
  local charge g0 g1 g2 g3 c0 c1 c2 c3 c4 c5
  g0="$(gate_totals)"
  c0="$(cpu_sample)"
  charge="$(wrk_run "charge (POST /api/users/{id}/balance/charges)" / "$BENCH_ROOT/payments/charge.lua")"
  c1="$(cpu_sample)"
  g1="$(gate_totals)"
  log "$(table_row "$charge")"

  # Payments: one hold each, a fixed list (a payment happens once); the first WARM warm the path.
  pay_config() {
    paste "$BENCH_TMP/pay-bearers.txt" "$BENCH_TMP/pay-tokens.txt" "$BENCH_TMP/reservations.txt" | sed -n "$1,$2p" \
      | awk -F'\t' '{ printf "POST\t/api/payments\t{\"reservationIds\":[%d]}\t%s\t%s\t\n", $3, $1, $2 }' | batch_config
  }
  pay_config 1 "$WARM" >"$BENCH_TMP/pay-warm.cfg"
  batch_run "$BENCH_TMP/pay-warm.cfg" "$BENCH_CONNECTIONS" >"$BENCH_TMP/pay-warm.out"
  batch_expect 201 "$BENCH_TMP/pay-warm.out" "warm-up payments"
  local measured=$((PAY - WARM)) pay
  pay_config $((WARM + 1)) "$PAY" >"$BENCH_TMP/pay.cfg"
  g2="$(gate_totals)"
  c2="$(cpu_sample)"
  pay="$(timed_batch "payment (POST /api/payments, one hold), $measured distinct" "$BENCH_TMP/pay.cfg" "$BENCH_TMP/pay.out")"
  c3="$(cpu_sample)"
  g3="$(gate_totals)"
  log "$(table_row "$pay")"
  batch_expect 201 "$BENCH_TMP/pay.out" "measured payments"
  # The same client sending as many /health/live: what the payment batch's client and HTTP cost alone.
  seq 1 "$measured" | awk '{ print "GET\t/health/live\t\t\t\t" }' | batch_config >"$BENCH_TMP/live.cfg"
  batch_run "$BENCH_TMP/live.cfg" "$BENCH_CONNECTIONS" >/dev/null
  local live
  live="$(timed_batch "/health/live x $measured (the payments' client)" "$BENCH_TMP/live.cfg" "$BENCH_TMP/live.out")"
  log "$(table_row "$live")"

  local api_done
  sleep 1.1   # the reporter's line for the last second of the payments is in, and earlier than this
  api_done="$(date +%H:%M:%S)"
  # Raw baselines, the service idle beside them.
  log "[$provider] raw baselines ($BENCH_CONNECTIONS connections)"
  local raw_insert raw_charge raw_pay raw_hold
  wb raw insert "$BENCH_CONNECTIONS" "$BENCH_WARMUP" "$join0" "$JOINERS" >/dev/null
  raw_insert="$(wb raw insert "$BENCH_CONNECTIONS" "$BENCH_DURATION" "$join0" "$JOINERS")"
  raw_charge="$(wb raw charge "$BENCH_CONNECTIONS" "$BENCH_DURATION" 1 "$PAY")"
  c4="$(cpu_sample)"
  raw_pay="$(wb raw pay "$BENCH_CONNECTIONS" "$WARM" "$rawpay0" "$PAY")"   # the first WARM unmeasured, as through the API
  c5="$(cpu_sample)"
  raw_hold="$(wb raw hold "$BENCH_CONNECTIONS" "$BENCH_DURATION" "$rush0" "$RUSHERS" "$rawrush_seat0" 50)"
  log "$raw_insert"; log "$raw_charge"; log "$raw_pay"; log "$raw_hold"
  rawf() { cut -f"$2" <<<"$1"; }   # RAW workload ops/s p50 p99 ops wins

  # Every payment whole: the API's payments and the raw ones, and every balance equal to its history.
  local checks
  if [[ "$provider" == postgres ]]; then
    checks="$(psql_admin "SELECT (SELECT count(*) FROM \"Payments\") || ' ' || (SELECT count(*) FROM \"Seats\" WHERE \"Status\" = 3) || ' ' ||
      (SELECT count(*) FROM \"Accounts\" a WHERE a.\"Balance\" <> (SELECT coalesce(sum(b.\"Amount\"), 0) FROM \"BalanceEntries\" b WHERE b.\"UserId\" = a.\"UserId\"))" "$db")"
  else
    checks="$(sql "SELECT (SELECT count(*) FROM Payments) || ' ' || (SELECT count(*) FROM Seats WHERE Status = 3) || ' ' ||
      (SELECT count(*) FROM Accounts a WHERE a.Balance <> (SELECT coalesce(sum(b.Amount), 0) FROM BalanceEntries b WHERE b.UserId = a.UserId));")"
  fi
  local n_pay n_sold n_unbalanced
  read -r n_pay n_sold n_unbalanced <<<"$checks"
  local longest=""
  [[ "$provider" == sqlite ]] && longest="$(longest_hold "$api_start" "$api_done")"
  stop_service

  # SQLite: the same charges on the same file with the writer gate off (writers sleep in SQLite's busy handler, as
  # before issue 17), beside /health/live again: what the in-process queue is worth, measured in the same run.
  local charge_nogate="" health_nogate=""
  if [[ "$provider" == sqlite && "${WRITES_GATE_AB:-1}" == 1 ]]; then
    bench_start Database__SqliteWriterGate=false Workers__Enabled=false
    export BENCH_BEARERS="$BENCH_TMP/pay-bearers.txt" BENCH_CHARGE_AMOUNT=1
    wrk_warm / "$BENCH_ROOT/payments/charge.lua"
    charge_nogate="$(wrk_run "charge, writer gate off (Database__SqliteWriterGate=false)" / "$BENCH_ROOT/payments/charge.lua")"
    log "$(table_row "$charge_nogate")"
    wrk_warm /health/live
    health_nogate="$(wrk_run "/health/live (wrk), beside the gate-off charges" /health/live)"
    log "$(table_row "$health_nogate")"
    stop_service
  fi
  load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

  local durability=""
  [[ "$provider" == postgres ]] && durability=" (fsync=$(psql_admin 'SHOW fsync'), synchronous_commit=$(psql_admin 'SHOW synchronous_commit'), full_page_writes=$(psql_admin 'SHOW full_page_writes'))"
  local h; h="$(f_rps "$health")"
  {
    echo
    echo "## $provider$durability — load average $load_before before, $load_after after"
    echo
    table_header
    table_row "$health"
    table_row "$join"
    table_row "$rush"
    table_row "$charge"
    table_row "$pay"
    table_row "$live"
    [[ -n "$charge_nogate" ]] && { table_row "$charge_nogate"; table_row "$health_nogate"; }
    echo
    echo "| raw baseline ($BENCH_CONNECTIONS connections, no HTTP/mediator/EF) | ops/s | p50 ms | p99 ms | ops |"
    echo "|---|---:|---:|---:|---:|"
    for r in "$raw_insert" "$raw_charge" "$raw_pay" "$raw_hold"; do
      printf '| %s | %s | %s | %s | %s |\n' "$(rawf "$r" 2)" "$(rawf "$r" 3)" "$(rawf "$r" 4)" "$(rawf "$r" 5)" "$(rawf "$r" 6)"
    done
    echo
    echo "| figure | value | ratio to /health/live | ratio to raw | target |"
    echo "|---|---:|---:|---:|---|"
    printf '| joins/s (new tokens) | %s | %s | %s (raw insert) | ≥ 0.10 × health: %s; ≥ 0.50 × raw: %s |\n' "$join_rps" \
      "$(ratio "$join_rps" "$h")" "$(ratio "$join_rps" "$(rawf "$raw_insert" 3)")" \
      "$(verdict 'a >= 0.10 * b' "$join_rps" "$h")" "$(verdict 'a >= 0.50 * b' "$join_rps" "$(rawf "$raw_insert" 3)")"
    printf '| payments/s (one hold) | %s | %s (same client: %s) | %s (raw pay) | ≥ 0.50 × raw: %s%s |\n' "$(f_rps "$pay")" \
      "$(ratio "$(f_rps "$pay")" "$h")" "$(ratio "$(f_rps "$pay")" "$(f_rps "$live")")" "$(ratio "$(f_rps "$pay")" "$(rawf "$raw_pay" 3)")" \
      "$(verdict 'a >= 0.50 * b' "$(f_rps "$pay")" "$(rawf "$raw_pay" 3)")" \
      "$([[ "$provider" == postgres ]] && echo "; ≥ 1,000/s: $(verdict 'a >= 1000' "$(f_rps "$pay")" 0)")"
    printf '| charges/s | %s | %s | %s (raw charge) | aim ≥ 0.50 × raw: %s |\n' "$(f_rps "$charge")" \
      "$(ratio "$(f_rps "$charge")" "$h")" "$(ratio "$(f_rps "$charge")" "$(rawf "$raw_charge" 3)")" \
      "$(verdict 'a >= 0.50 * b' "$(f_rps "$charge")" "$(rawf "$raw_charge" 3)")"
    printf '| hold attempts/s (rush) | %s | %s | %s (raw hold) | aim ≥ 0.50 × raw: %s |\n' "$(f_rps "$rush")" \
      "$(ratio "$(f_rps "$rush")" "$h")" "$(ratio "$(f_rps "$rush")" "$(rawf "$raw_hold" 3)")" \
      "$(verdict 'a >= 0.50 * b' "$(f_rps "$rush")" "$(rawf "$raw_hold" 3)")"
    [[ -n "$charge_nogate" ]] && printf '| charges/s, writer gate off | %s | %s | %s (raw charge) | gate on ÷ off, each over its own /health/live: %s |\n' \
      "$(f_rps "$charge_nogate")" "$(ratio "$(f_rps "$charge_nogate")" "$(f_rps "$health_nogate")")" \
      "$(ratio "$(f_rps "$charge_nogate")" "$(rawf "$raw_charge" 3)")" \
      "$(ratio "$(ratio "$(f_rps "$charge")" "$h")" "$(ratio "$(f_rps "$charge_nogate")" "$(f_rps "$health_nogate")")")"
    echo
    gate_delta "$g0" "$g1" "charges"
    gate_delta "$g2" "$g3" "payments"
    cpu_per_op "$c0" "$c1" "$(f_req "$charge")" "charges through the API"
    cpu_per_op "$c2" "$c3" "$measured" "payments through the API"
    # Its process's start, connections and warm-up included, so every payment it made counts ("the service" is
    # the idle service's workers beside it).
    cpu_per_op "$c4" "$c5" "$PAY" "raw payments (WriteBench)"
    [[ -n "$longest" ]] && echo "$longest"
    echo "payment p50/p99: $(f_p50 "$pay") / $(f_p99 "$pay") ms; hold rush: $(f_201 "$rush") won, $(f_409 "$rush") × 409, $(f_other "$rush") other"
    echo "after: $n_pay payments (expected $((2 * PAY))), $n_sold seats sold, $n_unbalanced balances unequal to their history"
  } >>"$RESULTS"

  local ok=1
  [[ "$n_pay $n_sold" == "$((2 * PAY)) $((2 * PAY))" ]] || { log "[$provider] expected $((2 * PAY)) payments and seats sold, got $n_pay, $n_sold"; ok=0; }
  [[ "$n_unbalanced" == 0 ]] || { log "[$provider] $n_unbalanced balances differ from their history"; ok=0; }
  for r in "$health" "$charge"; do
    [[ "$(f_non2xx "$r")" == 0 && "$(f_sockerr "$r")" == 0 ]] || { log "[$provider] failed requests in: $(cut -f1 <<<"$r")"; ok=0; }
    (( $(f_req "$r") > 0 )) || { log "[$provider] no request answered in: $(cut -f1 <<<"$r") (a stall: see the longest hold)"; ok=0; }
  done
  [[ "$(f_other "$rush")" == 0 && "$(f_sockerr "$rush")" == 0 ]] || { log "[$provider] hold rush: answers other than 201/409"; ok=0; }
  [[ "$(f_other "$join")" == 0 && "$(f_sockerr "$join")" == 0 ]] || { log "[$provider] joins: answers other than 201/200"; ok=0; }
  ((ok)) || FAILED=1
}

FAILED=0
for p in $PROVIDERS; do run_provider "$p"; done

echo
echo "# Writes (issue 17): wrk ${BENCH_THREADS} threads, ${BENCH_CONNECTIONS} connections, ${BENCH_DURATION} s; $((PAY - WARM)) payments measured; $(nproc) cores"
cat "$RESULTS"
echo
if ((FAILED)); then echo "every write accounted for: FAIL"; exit 1; fi
echo "every write accounted for: PASS"
