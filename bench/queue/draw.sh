#!/usr/bin/env bash
# The opening's draw alone, at scale, in about a minute (bench/queue/run.sh fills the pre-queue through the API and
# takes twenty). DRAW_SIZE (default 100,000) pre-queue tokens are written straight into the service's SQLite file,
# each scored as a join scores it (HMAC-SHA256 under the seed of the scheduled opening, read from that row), then
# the operator clears the opening and the PATCH that draws them is timed. Beside it, in the same run: the raw cost of
# reading the pre-queue's tokens once with sqlite3 (the least a draw must do), and GET /health/live.
# Checks: the PATCH answers open with DRAW_SIZE waiting, the service logs a draw of DRAW_SIZE, the published total is
# DRAW_SIZE and the seed matches the commitment.
# Usage: bash bench/queue/draw.sh   (DRAW_SIZE=N to change the size; SKIP_BUILD=1 to reuse the Release build)
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SIZE="${DRAW_SIZE:-100000}"
ROUNDS="${DRAW_ROUNDS:-3}"

bench_init
bench_build
queue_client_build
ADMIN_EMAIL="bench-operator@example.com"
ADMIN_PASSWORD="bench-operator-password-$RANDOM$RANDOM"
bench_start \
  Queue__MaxActiveTokens=1 \
  Queue__WaitingTokenIdleTimeout=02:00:00 \
  Queue__ActiveTokenLifetime=02:00:00 \
  Admin__Email="$ADMIN_EMAIL" \
  Admin__Password="$ADMIN_PASSWORD" \
  Serilog__MinimumLevel__Override__Concert.Application.Queue.QueueService=Information
rss_start="$(rss_mb)"
admin_bearer="$(api POST /api/auth/token "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" | jq -r .accessToken)"

int() { awk -v a="$1" 'BEGIN { printf "%.0f", a }'; }
wrk_warm /health/live
health="$(wrk_run "GET /health/live" /health/live)"
draws=()
for round in $(seq 1 "$ROUNDS"); do
  opens_at="$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)"
  scheduled="$(api PATCH /api/admin/waiting-room "{\"opensAt\":\"$opens_at\"}" "$admin_bearer")"
  commitment="$(jq -r .draw.commitment <<<"$scheduled")"
  draw_id="$(sql "SELECT PendingDrawId FROM QueueGates;")"
  seed_hex="$(sql "SELECT hex(Seed) FROM QueueDraws WHERE Id = $draw_id;")"
  [[ -n "$draw_id" && -n "$seed_hex" ]] || die "no pending draw after scheduling: $scheduled"

  # The pre-queue, as joins would have written it: one user and one live token each, scored under the seed.
  log "round $round: writing $SIZE pre-queue tokens of draw $draw_id"
  max_user="$(sql "SELECT coalesce(max(Id), 0) FROM Users;")"
  python3 - "$seed_hex" "$draw_id" "$max_user" "$SIZE" "$BENCH_TMP/tokens.txt" "$BENCH_TMP/users.txt" \
    >"$BENCH_TMP/prequeue.sql" <<'PY'
import hashlib, hmac, secrets, sys
seed, draw, first, size = bytes.fromhex(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
tokens_file, users_file = open(sys.argv[5], "w"), open(sys.argv[6], "w")
print("BEGIN IMMEDIATE;")
now = "strftime('%Y-%m-%d %H:%M:%f','now') || '0000'"
for i in range(first + 1, first + size + 1):
    token = secrets.token_urlsafe(32)
    key = min(int.from_bytes(hmac.new(seed, token.encode(), hashlib.sha256).digest()[:8], "big") >> 1, 2**63 - 2)
    tokens_file.write(token + "\n")
    users_file.write(f"{i}\n")
    print(f"INSERT INTO Users (Id, Name, CreatedAt, Version) VALUES ({i}, 'draw-{i}', {now}, 0);")
    print(f"INSERT INTO QueueTokens (Token, UserId, LiveUserId, Status, IssuedAt, LastSeenAt, Round, DrawKey) "
          f"VALUES ('{token}', {i}, {i}, 4, {now}, {now}, {draw}, {key});")
print("COMMIT;")
tokens_file.close(); users_file.close()
PY
  sqlite3 -batch -cmd ".timeout 30000" "$BENCH_DB" <"$BENCH_TMP/prequeue.sql" >/dev/null || die "writing the pre-queue failed"
  sql "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null

  t0="$(now_s)"
  sql "SELECT Token FROM QueueTokens WHERE Status = 4 AND Round = $draw_id;" >/dev/null
  raw_ms="$(awk -v a="$t0" -v b="$(now_s)" 'BEGIN { printf "%.0f", (b - a) * 1000 }')"

  if [[ "$round" == 1 ]]; then
    # Paused, so that nobody is admitted: after the draw every token is waiting, at places 1..SIZE.
    api PATCH /api/admin/waiting-room '{"paused":true}' "$admin_bearer" >/dev/null
    rss_before="$(rss_mb)"
  fi
  out="$(curl -sS --max-time 300 -X PATCH -H 'Content-Type: application/json' -H "Authorization: Bearer $admin_bearer" \
    --data '{"opensAt":null}' -w '\n%{http_code} %{time_total}' "$BENCH_URL/api/admin/waiting-room")"
  read -r code seconds <<<"${out##*$'\n'}"
  room="${out%$'\n'*}"
  [[ "$code" == 200 ]] || die "clearing the opening answered $code: $room"
  [[ "$(jq -r .state <<<"$room")" =~ ^(open|paused)$ ]] || die "the room is not open after the draw: $room"
  waiting="$(jq -r .waitingCount <<<"$room")"
  ms="$(awk -v s="$seconds" 'BEGIN { printf "%.0f", s * 1000 }')"
  drawn="$(api GET '/api/waiting-room/draw?limit=1')"
  [[ "$(jq -r .total <<<"$drawn")" == "$SIZE" ]] || die "the published total is not $SIZE: $drawn"
  seed="$(jq -r .seed <<<"$drawn")"
  [[ "$(printf '%s' "$seed" | xxd -r -p | sha256sum | cut -d' ' -f1)" == "$commitment" ]] \
    || die "the published seed does not match the commitment"
  log "round $round: the draw of $SIZE answered in $ms ms ($waiting waiting after it); raw read of the pre-queue $raw_ms ms"
  draws+=("$ms	$raw_ms	$waiting")

  if [[ "$round" == 1 ]]; then
    # Memory with every drawn token known to this instance: each polls once with its own bearer (their places
    # must read exactly 1..SIZE), as the opening's crowd would right after the draw.
    rss_drawn="$(rss_mb)"
    mint_bearers <"$BENCH_TMP/users.txt" >"$BENCH_TMP/bearers.txt"
    polls="$(client poll "$BENCH_URL" "$BENCH_TMP/bearers.txt" "$BENCH_TMP/tokens.txt" "$BENCH_CONNECTIONS" \
      "$BENCH_TMP/positions.txt" 1 | grep '^RESULT')" || die "the first polls after the draw failed or read wrong positions"
    rss_polled="$(rss_mb)"
    if [[ -n "${DRAW_LOG:-}" ]]; then curl -sS "$BENCH_URL/metrics" | grep -E '^dotnet_(gc|process)' >"$DRAW_LOG.metrics" || true; fi
    log "round 1: RSS $rss_before MB before the draw, $rss_drawn MB after it, $rss_polled MB after each drawn token polled once ($polls)"
    api PATCH /api/admin/waiting-room '{"paused":false}' "$admin_bearer" >/dev/null
  fi

  # The next round starts from an empty line: the drawn tokens leave (expired, as a leave would).
  sql "UPDATE QueueTokens SET Status = 3, LiveUserId = NULL, ExpiredAt = $NOW_SQL WHERE Status IN (1, 4) AND Round = $draw_id;" >/dev/null
done
drew="$(grep -c "Drew the opening's pre-queue: $SIZE tokens" "$BENCH_TMP/service.log")" || true
[[ "$drew" == "$ROUNDS" ]] || die "the service logged $drew draws of $SIZE, not $ROUNDS"

best="$(printf '%s\n' "${draws[@]}" | sort -n | head -n 1)"
echo
echo "## The draw of $SIZE ($(date -u +%Y-%m-%dT%H:%MZ), $ROUNDS rounds, SQLite)"
echo
echo "| round | the draw (PATCH {\"opensAt\": null}) ms | raw read of the pre-queue (sqlite3) ms | waiting after |"
echo "|---:|---:|---:|---:|"
i=0; for d in "${draws[@]}"; do i=$((i + 1)); IFS=$'\t' read -r ms raw w <<<"$d"; echo "| $i | $ms | $raw | $w |"; done
IFS=$'\t' read -r best_ms best_raw _ <<<"$best"
echo
echo "- best draw $best_ms ms (target <= 5000 ms: $(verdict 'a <= b' "$best_ms" 5000)), $(ratio "$best_ms" "$best_raw") × the raw read"
echo "- service RSS: $rss_start MB at start, $rss_before MB before the first draw, $rss_drawn MB after it, $rss_polled MB once each of the $SIZE drawn tokens polled once (target <= 300 MB: $(verdict 'a <= b' "$rss_polled" 300))"
echo "- /health/live in the same run: $(int "$(f_rps "$health")") r/s"
# DRAW_LOG=FILE keeps the service's log (e.g. with Serilog__MinimumLevel__Override__Microsoft.EntityFrameworkCore.Database.Command=Information in the environment, each statement's time).
if [[ -n "${DRAW_LOG:-}" ]]; then cp "$BENCH_TMP/service.log" "$DRAW_LOG"; fi
