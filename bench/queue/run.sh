#!/usr/bin/env bash
# Queue polls at scale (issue 4): GET /api/queue/tokens/current with 1,000 and then 100,000 waiting tokens,
# each beside GET /health/live under the same load. Usage: bash bench/queue/run.sh   (QUICK=1 for a smoke run)
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

SIZES="${QUEUE_SIZES:-1000 100000}"   # waiting tokens at each step (ascending)
# Polls are answered from each instance's memory once a token has been counted (QueueTokenView): every size gets a
# warm-up long enough to poll each of its tokens at least once (the DB path does ~4,000/s here), and, from 10,000
# waiting on, a measured run of those first polls ("memory filling") before it.
fill_seconds() { local s=$(( $1 / 4000 + 2 )); ((s > BENCH_WARMUP)) && echo "$s" || echo "$BENCH_WARMUP"; }
largest="$(echo "$SIZES" | awk '{ print $NF }')"
((2 * BENCH_DURATION + $(fill_seconds "$largest") < 55)) \
  || { echo "first polls + warm-up + measurement must stay under Queue:PollRecordInterval (60 s), so that polls stay reads" >&2; exit 2; }

bench_init
bench_build
# One active slot, taken by the bench's first user: everybody after waits. Long idle timeout and lifetime, so
# nothing expires or gets admitted while the bench runs.
bench_start \
  Queue__MaxActiveTokens=1 \
  Queue__WaitingTokenIdleTimeout=02:00:00 \
  Queue__ActiveTokenLifetime=02:00:00
bench_settings

# The head of the line signs up and signs in through the API, as a client would, and joins (no body: the bearer
# says who joins).
head_login='{"email":"bench-head@example.com","password":"bench-head-password"}'
api POST /api/users '{"name":"bench-head","email":"bench-head@example.com","password":"bench-head-password"}' >/dev/null
head_bearer="$(api POST /api/auth/token "$head_login" | jq -r .accessToken)"
head_status="$(api POST /api/queue/tokens '' "$head_bearer" | jq -r .status)"
[[ "$head_status" == "active" ]] || die "the first user should be active, is $head_status"


# fill_to N: inserts waiting users (with accounts and tokens, as the API would) until N tokens wait. Rows go in
# straight into the SQLite file (one transaction, WAL) while the service runs; ids keep the join order.
fill_to() {
  local target=$1 waiting add max
  waiting="$(sql "SELECT count(*) FROM QueueTokens WHERE Status = 1;")"
  add=$((target - waiting))
  ((add >= 0)) || die "cannot shrink the queue from $waiting to $target"
  ((add > 0)) || return 0
  max="$(sql "SELECT coalesce(max(Id), 0) FROM Users;")"
  sql "BEGIN IMMEDIATE;
       WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $add)
       INSERT INTO Users (Name, CreatedAt, Version) SELECT 'bench-' || i, $NOW_SQL, 0 FROM c;
       INSERT INTO Accounts (UserId, Balance, UpdatedAt, Version) SELECT Id, 0, $NOW_SQL, 0 FROM Users WHERE Id > $max;
       INSERT INTO QueueTokens (Token, UserId, LiveUserId, Status, IssuedAt, LastSeenAt)
         SELECT lower(hex(randomblob(16))), Id, Id, 1, $NOW_SQL, $NOW_SQL FROM Users WHERE Id > $max ORDER BY Id;
       COMMIT;" >/dev/null
  waiting="$(sql "SELECT count(*) FROM QueueTokens WHERE Status = 1;")"
  [[ "$waiting" == "$target" ]] || die "expected $target waiting tokens, found $waiting"
}

# Waits (bounded) until the admission worker has taken a rank snapshot of the whole current queue.
wait_snapshot() {
  local since=$1 expected=$2 deadline=$((SECONDS + 30)) marks fresh
  while :; do
    fresh="$(sql "SELECT count(*) FROM QueueGates WHERE SnapshotAt > '$since';")"
    marks="$(sql "SELECT count(*) FROM QueueRankMarks;")"
    [[ "$fresh" == 1 && "$marks" == "$expected" ]] && break
    ((SECONDS < deadline)) || die "no rank snapshot of $expected marks within 30 s (marks $marks)"
    sleep 0.5
  done
  sleep 1
}

results=()
declare -A poll health
for size in $SIZES; do
  log "filling the queue to $size waiting tokens"
  t0=$SECONDS
  fill_to "$size"
  filled_at="$(sql "SELECT $NOW_SQL;")"
  log "filled in $((SECONDS - t0)) s; waiting for the admission worker's rank snapshot"
  wait_snapshot "$filled_at" $(((size + 499) / 500 + ((size - 1) % 500 != 0)))   # every 500th, and the last

  # Every poll as a client sends it: the waiting user's bearer token (minted with this run's key) and its own queue
  # token, the two files aligned line by line, in a shuffled order.
  export BENCH_TOKENS="$BENCH_TMP/tokens-$size.txt" BENCH_BEARERS="$BENCH_TMP/bearers-$size.txt"
  sql "SELECT Token || '|' || UserId FROM QueueTokens WHERE Status = 1;" | shuf >"$BENCH_TMP/callers-$size.txt"
  cut -d'|' -f1 "$BENCH_TMP/callers-$size.txt" >"$BENCH_TOKENS"
  cut -d'|' -f2 "$BENCH_TMP/callers-$size.txt" | mint_bearers >"$BENCH_BEARERS"
  [[ "$(wc -l <"$BENCH_BEARERS")" == "$size" ]] || die "expected $size bearer tokens"
  # The last one in line must read its true place.
  IFS='|' read -r last last_user <<<"$(sql "SELECT Token, UserId FROM QueueTokens WHERE Status = 1 ORDER BY Id DESC LIMIT 1;")"
  last_status="$(api GET /api/queue/tokens/current '' "$(mint_bearers <<<"$last_user")" "$last")"
  last_pos="$(jq -r .position <<<"$last_status")"
  [[ "$last_pos" == "$size" ]] || die "the last waiting token reads position $last_pos, expected $size: $last_status"
  log "last in line reads position $last_pos; $(wc -l <"$BENCH_TOKENS") distinct callers poll round-robin, each with its bearer"

  if [[ -z "${warmed:-}" ]]; then
    # Once, before the first measurement: a long warm-up of both paths, so the first size is not measured on a
    # service whose tiered JIT is still at work (the later sizes would look faster than they are).
    BENCH_WARMUP=$((BENCH_WARMUP * 3)) wrk_warm /api/queue/tokens/current "$BENCH_ROOT/lua/token_get.lua"
    BENCH_WARMUP=$((BENCH_WARMUP * 3)) wrk_warm /health/live
    warmed=1
  fi
  # Every waiting token seen just now: a poll writes LastSeenAt at most once per Queue:PollRecordInterval (60 s),
  # so the runs that follow (under 55 s in all) are reads, alike at every size.
  sql "UPDATE QueueTokens SET LastSeenAt = $NOW_SQL WHERE Status = 1;"
  seen_at="$(sql "SELECT $NOW_SQL;")"
  if ((size >= 10000)); then
    first="$(wrk_run "poll @ $size waiting, first polls (memory filling)" /api/queue/tokens/current "$BENCH_ROOT/lua/token_get.lua")"
    results+=("$first")
    log "$(table_row "$first")"
  fi
  BENCH_WARMUP="$(fill_seconds "$size")" wrk_warm /api/queue/tokens/current "$BENCH_ROOT/lua/token_get.lua"
  poll[$size]="$(wrk_run "poll @ $size waiting" /api/queue/tokens/current "$BENCH_ROOT/lua/token_get.lua")"
  wrk_warm /health/live
  health[$size]="$(wrk_run "/health/live @ $size waiting" /health/live)"
  results+=("${poll[$size]}" "${health[$size]}")
  writes="$(sql "SELECT count(*) FROM QueueTokens WHERE Status = 1 AND LastSeenAt > '$seen_at';")"
  # The tokens of the previous sizes were counted (and remembered) a minute or more ago, with the LastSeenAt of
  # then: each may rightly write its poll down once now. No other token may write.
  ((writes <= ${prev_size:-0})) || die "$writes polls wrote LastSeenAt (at most ${prev_size:-0} may): the runs took longer than Queue:PollRecordInterval"
  log "LastSeenAt writes during the runs: $writes (tokens polled at an earlier size: ${prev_size:-0})"
  prev_size=$size
  log "$(table_row "${poll[$size]}")"
  log "$(table_row "${health[$size]}")"
done

echo
echo "## Queue polls (issue 4): ${BENCH_THREADS} threads, ${BENCH_CONNECTIONS} connections, ${BENCH_DURATION} s each"
echo
table_header
for r in "${results[@]}"; do table_row "$r"; done
echo
for size in $SIZES; do
  r="$(ratio "$(f_rps "${poll[$size]}")" "$(f_rps "${health[$size]}")")"
  echo "poll/health throughput @ $size waiting: $r  (target >= 0.50: $(verdict 'a >= b' "$r" 0.5))"
done
read -r small large <<<"$(echo "$SIZES" | awk '{ print $1, $NF }')"
if [[ "$small" != "$large" ]]; then
  lat="$(ratio "$(f_p50 "${poll[$large]}")" "$(f_p50 "${poll[$small]}")")"
  thr="$(ratio "$(f_rps "${poll[$small]}")" "$(f_rps "${poll[$large]}")")"
  echo "slowdown $large vs $small waiting: p50 x$lat, throughput x$thr  (target <= 1.20 each: p50 $(verdict 'a <= b' "$lat" 1.2), throughput $(verdict 'a <= b' "$thr" 1.2))"
  # The same, each size first divided by its own /health/live: steadier when the machine's load changes between
  # the sizes.
  nlat="$(awk -v a="$(f_p50 "${poll[$large]}")" -v b="$(f_p50 "${health[$large]}")" -v c="$(f_p50 "${poll[$small]}")" -v d="$(f_p50 "${health[$small]}")" \
    'BEGIN { if (b * c == 0) print "n/a"; else printf "%.2f", (a / b) / (c / d) }')"
  nthr="$(awk -v a="$(f_rps "${poll[$small]}")" -v b="$(f_rps "${health[$small]}")" -v c="$(f_rps "${poll[$large]}")" -v d="$(f_rps "${health[$large]}")" \
    'BEGIN { if (b * c == 0) print "n/a"; else printf "%.2f", (a / b) / (c / d) }')"
  echo "slowdown relative to /health/live at each size: p50 x$nlat, throughput x$nthr  (target <= 1.20 each: p50 $(verdict 'a <= b' "$nlat" 1.2), throughput $(verdict 'a <= b' "$nthr" 1.2))"
fi
bad=0
for r in "${results[@]}"; do ((bad += $(f_non2xx "$r") + $(f_sockerr "$r"))) || true; done
echo "non-2xx answers and socket errors over all measurements: $bad"
((bad == 0)) || die "some requests failed (see the table)"
