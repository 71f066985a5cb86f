#!/usr/bin/env bash
# Round trips per use case, counted from EF Core's own log (Microsoft.EntityFrameworkCore.Database.Command at
# Information: one "Executed DbCommand" line per statement sent) and transactions from the same log
# (Microsoft.EntityFrameworkCore.Database.Transaction at Debug: "Committed transaction"). One request of each
# use case, one at a time, workers off so that nothing else writes. SQLite, the default.
# Usage: bash bench/writes/roundtrips.sh        (SKIP_BUILD=1 to reuse the Release build)
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

bench_init
bench_build
bench_start \
  Workers__Enabled=false \
  Queue__MaxActiveTokens=3 \
  Serilog__MinimumLevel__Override__Microsoft.EntityFrameworkCore.Database.Command=Information \
  Serilog__MinimumLevel__Override__Microsoft.EntityFrameworkCore.Database.Transaction=Debug

seed_active_users 3 200000
# A fourth user, without a token, who joins (and waits: 3 active of 3) and then leaves.
sql "INSERT INTO Users (Id, Name, CreatedAt, Version) VALUES (4, 'joiner', $NOW_SQL, 0);
     INSERT INTO Accounts (UserId, Balance, UpdatedAt, Version) VALUES (4, 0, $NOW_SQL, 0);"
joiner="$(echo 4 | mint_bearers)"
bearer() { sed -n "${1}p" "$BENCH_TMP/bearers.txt"; }
token() { sed -n "${1}p" "$BENCH_TMP/tokens.txt"; }
sleep 1

# count NAME COMMAND...: statements and commits the request caused, from the lines the log gained.
count() {
  local name=$1 before after
  shift
  sleep 0.3
  before="$(wc -l <"$BENCH_TMP/service.log")"
  "$@" >/dev/null
  sleep 0.5
  after="$(wc -l <"$BENCH_TMP/service.log")"
  local lines
  lines="$(sed -n "$((before + 1)),${after}p" "$BENCH_TMP/service.log")"
  printf '| %s | %s | %s | %s |\n' "$name" \
    "$(grep -c 'Executed DbCommand' <<<"$lines" || true)" \
    "$(grep -c 'Committed transaction' <<<"$lines" || true)" \
    "$(grep -oE '^(SELECT|UPDATE|INSERT|DELETE|WITH)' <<<"$(grep -A1 'Executed DbCommand' <<<"$lines" | grep -v 'Executed DbCommand' | sed 's/^[[:space:]]*//')" | sort | uniq -c | awk '{ printf "%s%s %s", sep, $1, $2; sep=", " }')"
  if [[ -n "${ROUNDTRIPS_VERBOSE:-}" ]]; then grep -A3 'Executed DbCommand' <<<"$lines" >&2; fi
}

echo
echo "| use case (one request) | statements | explicit transactions committed (a write outside one commits alone) | by kind |"
echo "|---|---:|---:|---|"
count "join (POST /api/queue/tokens, waits)" api POST /api/queue/tokens '' "$joiner"
jtoken="$(sql "SELECT Token FROM QueueTokens WHERE UserId = 4;")"
count "poll (GET /api/queue/tokens/current)" api GET /api/queue/tokens/current '' "$joiner" "$jtoken"
count "leave (DELETE /api/queue/tokens/current)" api DELETE /api/queue/tokens/current '' "$joiner" "$jtoken"
count "charge (POST /api/users/1/balance/charges)" api POST /api/users/1/balance/charges '{"amount":1}' "$(bearer 1)"
count "hold (POST /api/reservations, wins)" api POST /api/reservations '{"seatId":1}' "$(bearer 1)" "$(token 1)"
count "hold (POST /api/reservations, seat taken)" curl -sS -o /dev/null -X POST -H 'Content-Type: application/json' \
  -H "Authorization: Bearer $(bearer 2)" -H "Queue-Token: $(token 2)" --data '{"seatId":1}' "$BENCH_URL/api/reservations"
rid="$(sql "SELECT Id FROM Reservations WHERE UserId = 1;")"
count "payment (POST /api/payments, one hold)" api POST /api/payments "{\"reservationIds\":[$rid]}" "$(bearer 1)" "$(token 1)"
api POST /api/reservations '{"seatId":2}' "$(bearer 2)" "$(token 2)" >/dev/null
rid="$(sql "SELECT Id FROM Reservations WHERE UserId = 2;")"
count "payment with Idempotency-Key" curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' \
  -H "Authorization: Bearer $(bearer 2)" -H "Queue-Token: $(token 2)" -H 'Idempotency-Key: k-2' \
  --data "{\"reservationIds\":[$rid]}" "$BENCH_URL/api/payments"
