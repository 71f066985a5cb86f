#!/usr/bin/env bash
# Payments (issue 6): a fixed list of distinct payments (each reservation can be paid once), paid over
# BENCH_CONNECTIONS parallel connections, beside the same number of GET /health/live sent the same way; then
# balance charges (repeatable, so for a duration with wrk) beside GET /health/live.
# Usage: bash bench/payments/run.sh   (QUICK=1 for a smoke run)
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# The demo catalogue has 9 schedules x 50 seats, seat ids 1..450: one user per seat. The first WARM payments
# warm the path and are not measured.
if [[ "${QUICK:-0}" == "1" ]]; then
  USERS="${PAY_USERS:-120}" WARM="${PAY_WARMUP:-20}"
else
  USERS="${PAY_USERS:-450}" WARM="${PAY_WARMUP:-50}"
fi
((USERS <= 450 && WARM < USERS)) || { echo "PAY_USERS must be <= 450 and PAY_WARMUP < PAY_USERS" >&2; exit 2; }
BALANCE=200000                             # above the dearest seat (165,000)

bench_init
bench_build
bench_start \
  Queue__MaxActiveTokens=$((USERS + 10)) \
  Queue__ActiveTokenLifetime=01:00:00 \
  Reservations__HoldDuration=00:30:00
bench_settings

log "seeding $USERS users with active tokens and $BALANCE won each"
seed_active_users "$USERS" "$BALANCE"

# Holds through the API: user i holds seat i.
log "user i holds seat i (through the API)"
t0=$(now_s)
mkdir -p "$BENCH_TMP/hold"
paste <(seq 1 "$USERS") "$BENCH_TMP/bearers.txt" "$BENCH_TMP/tokens.txt" \
  | awk -F'\t' -v d="$BENCH_TMP/hold" '{ printf "POST\t/api/reservations\t{\"seatId\":%d}\t%s\t%s\t%s/%d.json\n", $1, $2, $3, d, $1 }' \
  | batch_config >"$BENCH_TMP/hold.cfg"
batch_run "$BENCH_TMP/hold.cfg" 16 >"$BENCH_TMP/hold.out"
batch_expect 201 "$BENCH_TMP/hold.out" "$USERS holds"
jq -r .id $(seq -f "$BENCH_TMP/hold/%g.json" 1 "$USERS") >"$BENCH_TMP/reservations.txt"
log "$USERS holds in $(awk -v a="$t0" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }') s"

# pay_config FROM TO: the payments of users FROM..TO (user i, signed in, with token i, checks out reservation i
# alone: {"reservationIds": [id]}, the checkout body main takes).
pay_config() {
  paste "$BENCH_TMP/bearers.txt" "$BENCH_TMP/tokens.txt" "$BENCH_TMP/reservations.txt" | sed -n "$1,$2p" \
    | awk -F'\t' '{ printf "POST\t/api/payments\t{\"reservationIds\":[%d]}\t%s\t%s\t\n", $3, $1, $2 }' | batch_config
}

log "warm-up: payments 1..$WARM"
pay_config 1 "$WARM" >"$BENCH_TMP/pay-warm.cfg"
batch_run "$BENCH_TMP/pay-warm.cfg" 4 >"$BENCH_TMP/pay-warm.out"
batch_expect 201 "$BENCH_TMP/pay-warm.out" "warm-up payments"

MEASURED=$((USERS - WARM))
log "measured: payments $((WARM + 1))..$USERS ($MEASURED distinct reservations, ${BENCH_CONNECTIONS} at a time)"
pay_config $((WARM + 1)) "$USERS" >"$BENCH_TMP/pay.cfg"
pay="$(timed_batch "pay (POST /api/payments), $MEASURED distinct" "$BENCH_TMP/pay.cfg" "$BENCH_TMP/pay.out")"
log "$(table_row "$pay")"
batch_expect 201 "$BENCH_TMP/pay.out" "measured payments"

# The baseline sent the same way: the same number of GET /health/live over as many connections.
seq 1 "$MEASURED" | awk '{ print "GET\t/health/live\t\t\t\t" }' | batch_config >"$BENCH_TMP/live.cfg"
batch_run "$BENCH_TMP/live.cfg" "$BENCH_CONNECTIONS" >/dev/null   # warm
live="$(timed_batch "/health/live x $MEASURED (same client)" "$BENCH_TMP/live.cfg" "$BENCH_TMP/live.out")"
log "$(table_row "$live")"

# Every payment happened once and whole: 450 payments, seats sold, reservations confirmed, tokens expired,
# each balance = 200,000 - price and equal to the sum of its history.
check_payments() {
  sql "SELECT
         (SELECT count(*) FROM Payments) || ' ' ||
         (SELECT count(DISTINCT ReservationId) FROM PaymentItems) || ' ' ||
         (SELECT count(*) FROM Seats WHERE Status = 3) || ' ' ||
         (SELECT count(*) FROM Reservations WHERE Status = 2) || ' ' ||
         (SELECT count(*) FROM QueueTokens WHERE Status = 3) || ' ' ||
         (SELECT count(*) FROM Accounts a JOIN Reservations r ON r.UserId = a.UserId
            WHERE a.Balance <> $BALANCE - r.Price) || ' ' ||
         (SELECT count(*) FROM Accounts a
            WHERE a.Balance <> (SELECT coalesce(sum(b.Amount), 0) FROM BalanceEntries b WHERE b.UserId = a.UserId));"
}
read -r n_pay n_distinct n_sold n_confirmed n_expired n_wrong_balance n_unbalanced <<<"$(check_payments)"

# Charges: repeatable, so duration-based with wrk, 1 won each, over all users round-robin.
export BENCH_BEARERS="$BENCH_TMP/bearers.txt" BENCH_CHARGE_AMOUNT=1
wrk_warm / "$BENCH_ROOT/payments/charge.lua"
sleep 1   # requests wrk left in flight finish on the server before counting
charges_before="$(sql "SELECT count(*) FROM BalanceEntries WHERE Kind = 1;")"
charge="$(wrk_run "charge (POST /api/users/{id}/balance/charges)" / "$BENCH_ROOT/payments/charge.lua")"
sleep 1
charges_after="$(sql "SELECT count(*) FROM BalanceEntries WHERE Kind = 1;")"
log "$(table_row "$charge")"
wrk_warm /health/live
health="$(wrk_run "/health/live" /health/live)"
log "$(table_row "$health")"
unbalanced_after="$(sql "SELECT count(*) FROM Accounts a
  WHERE a.Balance <> (SELECT coalesce(sum(b.Amount), 0) FROM BalanceEntries b WHERE b.UserId = a.UserId);")"

echo
echo "## Payments (issue 6): $MEASURED payments over ${BENCH_CONNECTIONS} connections; charges with wrk ${BENCH_THREADS} threads, ${BENCH_CONNECTIONS} connections, ${BENCH_DURATION} s"
echo
table_header
table_row "$pay"
table_row "$live"
table_row "$charge"
table_row "$health"
echo
echo "payments/s: $(f_rps "$pay") (wall time of $MEASURED payments); payment/health throughput (same client): $(ratio "$(f_rps "$pay")" "$(f_rps "$live")")"
echo "charges/s: $(f_rps "$charge"); charge/health throughput (wrk): $(ratio "$(f_rps "$charge")" "$(f_rps "$health")")"
echo "after the payments: $n_pay payments on $n_distinct reservations, $n_sold seats sold, $n_confirmed reservations confirmed, $n_expired tokens expired, $n_wrong_balance wrong balances, $n_unbalanced balances unequal to their history"
echo "charges: $(f_201 "$charge") answered 200, $((charges_after - charges_before)) charge entries written (requests wrk left in flight may add up to ${BENCH_CONNECTIONS}), $(f_409 "$charge") x 409, $(f_other "$charge") other; balances unequal to their history afterwards: $unbalanced_after"

ok=1
[[ "$n_pay $n_distinct $n_sold $n_confirmed $n_expired" == "$USERS $USERS $USERS $USERS $USERS" ]] || { log "expected $USERS of each"; ok=0; }
[[ "$n_wrong_balance $n_unbalanced $unbalanced_after" == "0 0 0" ]] || { log "balances are off"; ok=0; }
# wrk stops with up to BENCH_CONNECTIONS requests in flight: those may still commit, unanswered.
written=$((charges_after - charges_before)) answered="$(f_201 "$charge")"
((written >= answered && written <= answered + BENCH_CONNECTIONS)) \
  || { log "charges answered 200 ($answered) and written ($written) differ by more than the requests in flight"; ok=0; }
for r in "$charge" "$health"; do
  [[ "$(f_non2xx "$r")" == 0 && "$(f_sockerr "$r")" == 0 ]] || { log "failed requests in: $(cut -f1 <<<"$r")"; ok=0; }
done
[[ "$(f_non2xx "$live")" == 0 ]] || { log "failed requests in the /health/live batch"; ok=0; }
if ((ok)); then echo "every payment and charge accounted for: PASS"; else echo "every payment and charge accounted for: FAIL"; exit 1; fi
