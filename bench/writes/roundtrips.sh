#!/usr/bin/env bash
# Round trips per use case, counted from EF Core's own log: one "Executed DbCommand" line per command sent (on
# SQLite one statement each; on PostgreSQL a SaveChanges batch is one command, so this is the round trips, BEGIN
# riding on the first and COMMIT not counted) and "Committed transaction" per explicit transaction. One request of
# each use case, one at a time, workers off so that nothing else writes; on SQLite, then on PostgreSQL (a throwaway
# cluster on 127.0.0.1:$WRITES_PG_PORT, stopped at the end).
# Usage: bash bench/writes/roundtrips.sh     (SKIP_BUILD=1 to reuse the Release build; WRITES_PROVIDERS=sqlite)
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
PROVIDERS="${WRITES_PROVIDERS:-sqlite postgres}"

bench_init
trap writes_cleanup EXIT
bench_build
build_writebench
[[ " $PROVIDERS " == *" postgres "* ]] && pg_durable_start

# count NAME COMMAND...: the commands and commits the request caused, from the lines the log gained.
count() {
  local name=$1 before after lines
  shift
  sleep 0.3
  before="$(wc -l <"$BENCH_TMP/service.log")"
  "$@" >/dev/null
  sleep 0.5
  after="$(wc -l <"$BENCH_TMP/service.log")"
  lines="$(sed -n "$((before + 1)),${after}p" "$BENCH_TMP/service.log")"
  printf '| %s | %s | %s | %s |\n' "$name" \
    "$(grep -c 'Executed DbCommand' <<<"$lines" || true)" \
    "$(grep -c 'Committed transaction' <<<"$lines" || true)" \
    "$(grep -A1 'Executed DbCommand' <<<"$lines" | grep -v -e 'Executed DbCommand' -e '^--$' | sed 's/^[[:space:]]*//' \
       | grep -oE '^(SELECT|UPDATE|INSERT|DELETE|WITH)' | sort | uniq -c | awk '{ printf "%s%s %s", sep, $1, $2; sep=", " }')"
  if [[ -n "${ROUNDTRIPS_VERBOSE:-}" ]]; then grep -A3 'Executed DbCommand' <<<"$lines" >&2; fi
}

for provider in $PROVIDERS; do
  use_provider "$provider"
  bench_start \
    Workers__Enabled=false \
    Queue__MaxActiveTokens=3 \
    Serilog__MinimumLevel__Override__Microsoft.EntityFrameworkCore.Database.Command=Information \
    Serilog__MinimumLevel__Override__Microsoft.EntityFrameworkCore.Database.Transaction=Debug
  # Users 1..3 active with 200,000 won; user 4 has no token: joins (and waits: 3 of 3 active), then leaves.
  wb seed-active 1 3 200000 >"$BENCH_TMP/tokens.txt"
  wb seed-users 4 1
  seq 1 4 | mint_bearers >"$BENCH_TMP/bearers.txt"
  bearer() { sed -n "${1}p" "$BENCH_TMP/bearers.txt"; }
  token() { sed -n "${1}p" "$BENCH_TMP/tokens.txt"; }
  sleep 1

  echo
  echo "## $provider"
  echo
  echo "| use case (one request) | commands sent (PostgreSQL: round trips) | explicit transactions (a write outside one commits alone) | first statement of each command, by kind |"
  echo "|---|---:|---:|---|"
  count "join (POST /api/queue/tokens, waits)" api POST /api/queue/tokens '' "$(bearer 4)"
  jtoken="$(api GET /api/users/me '' "$(bearer 4)" >/dev/null; api POST /api/queue/tokens '' "$(bearer 4)" | jq -r .token)"
  count "poll (GET /api/queue/tokens/current)" api GET /api/queue/tokens/current '' "$(bearer 4)" "$jtoken"
  count "leave (DELETE /api/queue/tokens/current)" api DELETE /api/queue/tokens/current '' "$(bearer 4)" "$jtoken"
  count "charge (POST /api/users/1/balance/charges)" api POST /api/users/1/balance/charges '{"amount":1}' "$(bearer 1)"
  api POST /api/reservations '{"seatId":1}' "$(bearer 1)" "$(token 1)" >/dev/null   # warm the hold path
  count "hold (POST /api/reservations, wins)" api POST /api/reservations '{"seatId":2}' "$(bearer 1)" "$(token 1)"
  rid="$(api GET /api/users/1/reservations '' "$(bearer 1)" | jq -r 'map(select(.seatId == 2)) | .[0].id')"
  count "hold (POST /api/reservations, seat taken)" curl -sS -o /dev/null -X POST -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $(bearer 2)" -H "Queue-Token: $(token 2)" --data '{"seatId":1}' "$BENCH_URL/api/reservations"
  count "payment (POST /api/payments, one hold)" api POST /api/payments "{\"reservationIds\":[$rid]}" "$(bearer 1)" "$(token 1)"
  api POST /api/reservations '{"seatId":3}' "$(bearer 2)" "$(token 2)" >/dev/null
  rid="$(api GET /api/users/2/reservations '' "$(bearer 2)" | jq -r '.[0].id')"
  count "payment with Idempotency-Key" curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $(bearer 2)" -H "Queue-Token: $(token 2)" -H 'Idempotency-Key: k-2' \
    --data "{\"reservationIds\":[$rid]}" "$BENCH_URL/api/payments"
  stop_service
done
