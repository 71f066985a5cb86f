#!/usr/bin/env bash
# The waiting line at scale (issues 14 and 17). Every queue token joins through POST /api/queue/tokens with its
# user's bearer, as clients do. 1,000 join the line (FIFO): polls of GET /api/queue/tokens/current over the whole
# line and over its head, beside GET /health/live; they leave. An operator schedules an opening and 100,000 join its
# pre-queue; clearing the opening draws them (timed); their first polls right after the draw; then the same polls
# at 100,000 waiting; the service's RSS throughout; the draw checked against its commitment.
# Usage: bash bench/queue/run.sh   (QUICK=1: a smoke run, 1,000 then 10,000)
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [[ "${QUICK:-0}" == "1" ]]; then
  SMALL="${QUEUE_SMALL:-1000}"
  LARGE="${QUEUE_LARGE:-10000}"
else
  SMALL="${QUEUE_SMALL:-1000}"      # waiting at the first depth: joined straight into the line (FIFO)
  LARGE="${QUEUE_LARGE:-100000}"    # the pre-queue of the opening, drawn: the second depth
fi
HEAD="${QUEUE_HEAD:-100}"                            # the head: places 1..HEAD, polled apart
JOIN_PARALLEL="${QUEUE_JOIN_PARALLEL:-$BENCH_CONNECTIONS}"   # joins (and first polls, leaves) in flight at once
load_start="$(uptime | sed 's/.*load average: //')"
started=$SECONDS

bench_init
bench_build
queue_client_build

# One active slot, taken by the bench's first user: everybody after waits. Nothing expires or is admitted while the
# bench runs (2 h idle timeout and lifetime). Polls are measured as the read path: a poll writes LastSeenAt at most
# once per PollRecordInterval, and an hour keeps every poll of the run a read whenever its token joined (a real
# client far back writes once a minute: on one poll in three at its 20 s pace). The operator's account comes from
# Admin:Email/Admin:Password; the admission pass logs the draw ("Drew the opening's pre-queue: N tokens").
# Rate limits on, as a service runs by default (the other benches switch them off): each joiner is a user, one join
# each, under the per-user limit; what the limits hold in memory and cost during and after a rush is measured too.
export BENCH_RATE_LIMITS="${BENCH_RATE_LIMITS:-true}"
ADMIN_EMAIL="bench-operator@example.com"
ADMIN_PASSWORD="bench-operator-password-$RANDOM$RANDOM"
bench_start \
  Queue__MaxActiveTokens=1 \
  Queue__WaitingTokenIdleTimeout=02:00:00 \
  Queue__ActiveTokenLifetime=02:00:00 \
  Queue__PollRecordInterval=01:00:00 \
  Admin__Email="$ADMIN_EMAIL" \
  Admin__Password="$ADMIN_PASSWORD" \
  Serilog__MinimumLevel__Override__Concert.Application.Queue.QueueService=Information
bench_settings
log "load average at start: $load_start"

rss_start="$(rss_mb)"


# Users are rows (no email, no password: they never sign in), their bearer tokens minted with this run's key
# (mint_bearers). Every queue token below comes from the API. Line 1 is the head (active), then the SMALL users
# who join the line, then the LARGE users who join the pre-queue.
total_users=$((1 + SMALL + LARGE))
log "seeding $total_users users (rows) and minting their bearer tokens"
max="$(sql "SELECT coalesce(max(Id), 0) FROM Users;")"
sql "BEGIN IMMEDIATE;
     WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $total_users)
     INSERT INTO Users (Name, CreatedAt, Version) SELECT 'bench-' || i, $NOW_SQL, 0 FROM c;
     INSERT INTO Accounts (UserId, Balance, UpdatedAt, Version) SELECT Id, 0, $NOW_SQL, 0 FROM Users WHERE Id > $max;
     COMMIT;" >/dev/null
sql "SELECT Id FROM Users WHERE Id > $max ORDER BY Id;" | mint_bearers >"$BENCH_TMP/bearers-all.txt"
[[ "$(wc -l <"$BENCH_TMP/bearers-all.txt")" == "$total_users" ]] || die "expected $total_users bearer tokens"
head_bearer="$(sed -n 1p "$BENCH_TMP/bearers-all.txt")"
[[ "$(api GET /api/users/me '' "$head_bearer" | jq .id)" == "$((max + 1))" ]] || die "a minted bearer does not sign in as its user"
head_status="$(api POST /api/queue/tokens '' "$head_bearer" | jq -r .status)"
[[ "$head_status" == "active" ]] || die "the first user should be active, is $head_status"
sed -n "2,$((SMALL + 1))p" "$BENCH_TMP/bearers-all.txt" >"$BENCH_TMP/small-bearers.txt"
sed -n "$((SMALL + 2)),\$p" "$BENCH_TMP/bearers-all.txt" >"$BENCH_TMP/large-bearers.txt"

results=()      # wrk_run-like lines for the table
declare -A poll head health health_same rss

# client_run NAME MODE ARGS...: the client's RESULT line as a wrk_run-like line (name rps p50 p99 requests failed 0
# 0 0 wrong wall_seconds); returns 1 when the client says something was wrong.
client_run() {
  local name=$1 out rc=0 line
  shift
  out="$(client "$@")" || rc=$?
  line="$(grep '^RESULT	' <<<"$out" | head -n 1)" || true
  [[ -n "$line" ]] || die "the client printed no result for $name"
  IFS=$'\t' read -r _ rps p50 p99 n bad wrong wall <<<"$line"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t0\t0\t0\t%s\t%s\n' "$name" "$rps" "$p50" "$p99" "$n" "$bad" "$wrong" "$wall"
  ((rc == 0)) || { log "$name: $bad failed, $wrong wrong answers"; return 1; }
}

# room_count FIELD EXPECTED: waits (bounded) until GET /api/waiting-room shows FIELD = EXPECTED (its counts come
# from the copy of the line, a second or two old).
room_count() {
  local deadline=$((SECONDS + 30)) value
  while :; do
    value="$(api GET /api/waiting-room | jq -r ".$1")"
    [[ "$value" == "$2" ]] && return 0
    ((SECONDS < deadline)) || die "the waiting room shows $1 = $value, expected $2"
    sleep 0.5
  done
}

# measure_polls SIZE TOKENS BEARERS POSITIONS: with SIZE waiting, whose first polls read POSITIONS (aligned with
# TOKENS and BEARERS, and already checked to be exactly 1..SIZE): the last in line polls on its own and must read
# SIZE; then, after a warm-up of each, QUEUE_ROUNDS rounds (default 3) of: wrk polls the whole line shuffled (every
# place, head included), the head alone (places 1..HEAD), and /health/live. A ratio is taken within a round (its
# measurements 10-30 s apart) and the targets use the median round: /health/live alone moved by ±15 % between two
# measurements of one run on this 2-core machine, so one pair decided a target by luck. Then /health/live sent as
# the polls are, once; then the service's RSS.
QUEUE_ROUNDS="${QUEUE_ROUNDS:-3}"
((QUEUE_ROUNDS >= 1)) || die "QUEUE_ROUNDS must be at least 1"
declare -A poll_ratio head_ratio
measure_polls() {
  local size=$1 last_token last_bearer last_read round p h b
  paste "$2" "$3" "$4" >"$BENCH_TMP/callers.txt"   # token, bearer, status, position
  IFS=$'\t' read -r last_token last_bearer _ _ <<<"$(awk -F'\t' -v n="$size" '$4 == n' "$BENCH_TMP/callers.txt")"
  [[ -n "$last_token" ]] || die "nobody read position $size"
  last_read="$(api GET /api/queue/tokens/current '' "$last_bearer" "$last_token" | jq -r .position)"
  [[ "$last_read" == "$size" ]] || die "the last in line reads position $last_read, expected $size"
  log "check: the last in line reads position $last_read = the number waiting"
  shuf "$BENCH_TMP/callers.txt" >"$BENCH_TMP/shuffled.txt"
  cut -f1 "$BENCH_TMP/shuffled.txt" >"$BENCH_TMP/all-tokens.txt"
  cut -f2 "$BENCH_TMP/shuffled.txt" >"$BENCH_TMP/all-bearers.txt"
  awk -F'\t' -v h="$HEAD" '$4 <= h' "$BENCH_TMP/callers.txt" >"$BENCH_TMP/head.txt"
  cut -f1 "$BENCH_TMP/head.txt" >"$BENCH_TMP/head-tokens.txt"
  cut -f2 "$BENCH_TMP/head.txt" >"$BENCH_TMP/head-bearers.txt"
  [[ "$(wc -l <"$BENCH_TMP/head-tokens.txt")" == "$HEAD" ]] || die "expected $HEAD tokens at the head"

  local warm=$BENCH_WARMUP
  [[ -z "${warmed:-}" ]] && warm=$((BENCH_WARMUP * 3))   # once: the JIT's tiering out of the first measurement
  warmed=1
  whole() { export BENCH_TOKENS="$BENCH_TMP/all-tokens.txt" BENCH_BEARERS="$BENCH_TMP/all-bearers.txt"; }
  heads() { export BENCH_TOKENS="$BENCH_TMP/head-tokens.txt" BENCH_BEARERS="$BENCH_TMP/head-bearers.txt"; }
  whole; BENCH_WARMUP=$warm wrk_warm /api/queue/tokens/current "$BENCH_LUA_DIR/token_get.lua"
  heads; wrk_warm /api/queue/tokens/current "$BENCH_LUA_DIR/token_get.lua"
  BENCH_WARMUP=$warm wrk_warm /health/live
  local -a polls=() heads_=() healths=() pr=() hr=()
  for ((round = 1; round <= QUEUE_ROUNDS; round++)); do
    whole; p="$(wrk_run "poll @ $size waiting, whole line (shuffled), round $round" /api/queue/tokens/current "$BENCH_LUA_DIR/token_get.lua")"
    heads; h="$(wrk_run "poll @ $size waiting, head (places 1–$HEAD), round $round" /api/queue/tokens/current "$BENCH_LUA_DIR/token_get.lua")"
    b="$(wrk_run "/health/live @ $size waiting, round $round" /health/live)"
    polls+=("$p"); heads_+=("$h"); healths+=("$b")
    pr+=("$(ratio "$(f_rps "$p")" "$(f_rps "$b")")"); hr+=("$(ratio "$(f_rps "$h")" "$(f_rps "$b")")")
    log "round $round: $(table_row "$p")"; log "round $round: $(table_row "$h")"; log "round $round: $(table_row "$b")"
    log "round $round: whole line ${pr[-1]}, head ${hr[-1]} of /health/live"
    results+=("$p" "$h" "$b")
  done
  poll_ratio[$size]="$(printf '%s\n' "${pr[@]}" | median)"
  head_ratio[$size]="$(printf '%s\n' "${hr[@]}" | median)"
  # The median round of each kind, by req/s (for the figures beside the ratios).
  poll[$size]="$(median_row "${polls[@]}")"
  head[$size]="$(median_row "${heads_[@]}")"
  health[$size]="$(median_row "${healths[@]}")"
  # The same baseline sent as the polls are (wrk's Lua hands out each caller's request, with its bearer and queue
  # token, which /health/live ignores): what the client's and the headers' share of a poll's cost is.
  whole
  health_same[$size]="$(wrk_run "/health/live @ $size waiting, sent as the polls are" /health/live "$BENCH_LUA_DIR/token_get.lua")"
  log "$(table_row "${health_same[$size]}")"
  results+=("${health_same[$size]}")
  rss[$size]="$(rss_mb)"
  log "service RSS with $size waiting: ${rss[$size]} MB (the GC had committed $(gc_mb) MB of it; $(rss_parts))"
}

# 1. SMALL join the line straight (no opening): waiting, FIFO.
log "joining $SMALL users into the line through POST /api/queue/tokens ($JOIN_PARALLEL at a time)"
join_small="$(client_run "join the line ($SMALL joins, 0 → $SMALL waiting)" join "$BENCH_URL" \
  "$BENCH_TMP/small-bearers.txt" "$BENCH_TMP/small-out.txt" "$JOIN_PARALLEL" waiting)" || die "joins failed"
results+=("$join_small")
log "$(table_row "$join_small")"
cut -f1 "$BENCH_TMP/small-out.txt" >"$BENCH_TMP/small-tokens.txt"
room_count waitingCount "$SMALL"
# The first poll of each (its row read once; from then on this instance answers it from its copy of the line). Its
# answers are the check: the positions read are exactly 1..SMALL, each once.
first_small="$(client_run "poll @ $SMALL waiting, first poll of each token" poll "$BENCH_URL" \
  "$BENCH_TMP/small-bearers.txt" "$BENCH_TMP/small-tokens.txt" "$JOIN_PARALLEL" "$BENCH_TMP/small-positions.txt" 1)" \
  || die "the first polls at $SMALL waiting failed or read wrong positions"
results+=("$first_small")
log "$(table_row "$first_small")"
measure_polls "$SMALL" "$BENCH_TMP/small-tokens.txt" "$BENCH_TMP/small-bearers.txt" "$BENCH_TMP/small-positions.txt"

# They leave, as clients do (DELETE …/current): the line is empty again, but for the active head.
leave_small="$(client_run "leave ($SMALL)" leave "$BENCH_URL" "$BENCH_TMP/small-bearers.txt" "$BENCH_TMP/small-tokens.txt" \
  "$JOIN_PARALLEL")" || die "leaves failed"
results+=("$leave_small")
room_count waitingCount 0

# 2. The opening: an operator schedules it an hour ahead; LARGE users join (all "prequeue"); clearing the opening
# draws them at once, in the PATCH itself.
log "the opening: $LARGE join the pre-queue, then the operator clears opensAt (the draw happens in that request)"
admin_bearer="$(api POST /api/auth/token "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" | jq -r .accessToken)"
opens_at="$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)"
scheduled="$(api PATCH /api/admin/waiting-room "{\"opensAt\":\"$opens_at\"}" "$admin_bearer")"
[[ "$(jq -r .state <<<"$scheduled")" == scheduled ]] || die "the room is not scheduled: $scheduled"
commitment="$(jq -r .draw.commitment <<<"$scheduled")"
[[ "$commitment" =~ ^[0-9a-f]{64}$ ]] || die "no commitment published at scheduling: $scheduled"
log "scheduled at $opens_at, commitment $commitment"
join_large="$(client_run "join the pre-queue ($LARGE joins)" join "$BENCH_URL" \
  "$BENCH_TMP/large-bearers.txt" "$BENCH_TMP/large-out.txt" "$JOIN_PARALLEL" prequeue)" || die "pre-queue joins failed"
results+=("$join_large")
log "$(table_row "$join_large")"
cut -f1 "$BENCH_TMP/large-out.txt" >"$BENCH_TMP/large-tokens.txt"
room_count prequeueCount "$LARGE"
rss_prequeue="$(rss_mb)"
log "service RSS with $LARGE in the pre-queue: $rss_prequeue MB (the GC had committed $(gc_mb) MB of it; $(rss_parts))"

draw_out="$(curl -sS --max-time 120 -X PATCH -H 'Content-Type: application/json' -H "Authorization: Bearer $admin_bearer" \
  --data '{"opensAt":null}' -w '\n%{http_code} %{time_total}' "$BENCH_URL/api/admin/waiting-room")"
read -r draw_code draw_s <<<"${draw_out##*$'\n'}"
draw_room="${draw_out%$'\n'*}"
[[ "$draw_code" == 200 ]] || die "clearing the opening answered $draw_code: $draw_room"
draw_ms="$(awk -v s="$draw_s" 'BEGIN { printf "%.0f", s * 1000 }')"
log "the draw: PATCH {opensAt: null} answered in $draw_ms ms: $(jq -c '{state, waitingCount, prequeueCount}' <<<"$draw_room")"
[[ "$(jq -r .state <<<"$draw_room")" == open ]] || die "the room is not open after the draw: $draw_room"
[[ "$(jq -r .waitingCount <<<"$draw_room")" == "$LARGE" ]] || die "expected $LARGE waiting after the draw: $draw_room"
drew_line="$(grep -o "Drew the opening's pre-queue: [0-9]* tokens" "$BENCH_TMP/service.log" | tail -n 1)" || true
log "service log: ${drew_line:-no draw line}"
[[ "$drew_line" == "Drew the opening's pre-queue: $LARGE tokens" ]] || die "the service did not log a draw of $LARGE tokens"

# Right after the draw, every drawn token's first poll (in join order, so places all over the line): they must
# read exactly 1..LARGE, and in score order (drawcheck).
first_large="$(client_run "poll right after the draw @ $LARGE waiting, first poll of each drawn token" poll "$BENCH_URL" \
  "$BENCH_TMP/large-bearers.txt" "$BENCH_TMP/large-tokens.txt" "$JOIN_PARALLEL" "$BENCH_TMP/large-positions.txt" 1)" \
  || die "the first polls after the draw failed or read wrong positions"
results+=("$first_large")
log "$(table_row "$first_large")"
draw_checks="$(client drawcheck "$BENCH_URL" "$BENCH_TMP/large-tokens.txt" "$BENCH_TMP/large-positions.txt" "$commitment" 1)" \
  || { printf '%s\n' "$draw_checks" >&2; die "the draw does not check out"; }
drawn_at="$(api GET '/api/waiting-room/draw?limit=1' | jq -r .drawnAt)"
measure_polls "$LARGE" "$BENCH_TMP/large-tokens.txt" "$BENCH_TMP/large-bearers.txt" "$BENCH_TMP/large-positions.txt"

# The joins' baseline with the same client and connections: as many /health/live as the pre-queue's joins
# (at least 20,000).
join_base="$(client_run "/health/live, same client as the joins" get "$BENCH_URL" /health/live \
  "$(( LARGE > 20000 ? LARGE : 20000 ))" "$JOIN_PARALLEL")" || die "the client's /health/live failed"
results+=("$join_base")
load_end="$(uptime | sed 's/.*load average: //')"

# ---------------------------------------------------------------------------------------------------------------
int() { awk -v a="$1" 'BEGIN { printf "%.0f", a }'; }
echo
echo "## The waiting line (issues 14, 17): wrk ${BENCH_THREADS} threads × ${BENCH_CONNECTIONS} connections × ${BENCH_DURATION} s; joins, leaves and first polls $JOIN_PARALLEL at a time (bench/queue/QueueBench)"
echo
echo "load average at start: $load_start; at the end: $load_end; the run took $((SECONDS - started)) s"
echo
table_header
for r in "${results[@]}"; do table_row "$r"; done
echo
echo "### Targets (ratios: the median of $QUEUE_ROUNDS rounds, each against /health/live measured in the same round)"
for size in "$SMALL" "$LARGE"; do
  for kind in poll head; do
    declare -n m="$kind" mr="${kind}_ratio"
    same="$(ratio "$(f_rps "${m[$size]}")" "$(f_rps "${health_same[$size]}")")"
    echo "- $(cut -f1 <<<"${m[$size]}" | sed 's/, round [0-9]*$//'): vs /health/live ${mr[$size]}, the median of the rounds' ratios  (target >= 0.50: $(verdict 'a >= b' "${mr[$size]}" 0.5)); its median round by req/s: $(int "$(f_rps "${m[$size]}")") req/s, p50 $(f_p50 "${m[$size]}") ms, p99 $(f_p99 "${m[$size]}") ms (/health/live's: $(int "$(f_rps "${health[$size]}")") req/s); vs /health/live sent as the polls are $same"
    unset -n m mr
  done
done
for kind in poll head; do
  declare -n m="$kind" mr="${kind}_ratio"
  lat="$(ratio "$(f_p50 "${m[$LARGE]}")" "$(f_p50 "${m[$SMALL]}")")"
  thr="$(ratio "$(f_rps "${m[$SMALL]}")" "$(f_rps "${m[$LARGE]}")")"
  # The same with each depth's median ratio to /health/live: steadier when the machine's speed moves between depths.
  nthr="$(ratio "${mr[$SMALL]}" "${mr[$LARGE]}")"
  echo "- $kind, $LARGE vs $SMALL waiting, slowdown: throughput x$thr, p50 x$lat; relative to /health/live at each depth x$nthr  (target <= 1.20: throughput $(verdict 'a <= b' "$thr" 1.2), p50 $(verdict 'a <= b' "$lat" 1.2), relative $(verdict 'a <= b' "$nthr" 1.2))"
  unset -n m mr
done
echo "- the draw of $LARGE (PATCH {\"opensAt\": null}, drawn in that request): $draw_ms ms  (target <= 5000 ms: $(verdict 'a <= b' "$draw_ms" 5000)); drawnAt $drawn_at"
echo "- service RSS with $LARGE waiting (after their polls): ${rss[$LARGE]} MB  (target < 300 MB: $(verdict 'a < b' "${rss[$LARGE]}" 300)); at start $rss_start MB, $SMALL waiting ${rss[$SMALL]} MB, $LARGE in the pre-queue $rss_prequeue MB"
echo
echo "### Other figures"
echo "- joins (issue 17) into the pre-queue: $(int "$(f_rps "$join_large")")/s, p50 $(f_p50 "$join_large") ms, p99 $(f_p99 "$join_large") ms ($(cut -f11 <<<"$join_large") s for $LARGE); into the line (waiting): $(int "$(f_rps "$join_small")")/s, p50 $(f_p50 "$join_small") ms, p99 $(f_p99 "$join_small") ms ($SMALL); vs /health/live from the same client: $(ratio "$(f_rps "$join_large")" "$(f_rps "$join_base")") and $(ratio "$(f_rps "$join_small")" "$(f_rps "$join_base")")"
echo "- first polls right after the draw (each drawn token's row read once): $(int "$(f_rps "$first_large")")/s, p50 $(f_p50 "$first_large") ms, p99 $(f_p99 "$first_large") ms ($(cut -f11 <<<"$first_large") s for $LARGE); vs /health/live from the same client $(ratio "$(f_rps "$first_large")" "$(f_rps "$join_base")")"
echo
echo "### Checks (all passed, or the run would have failed)"
for size in "$SMALL" "$LARGE"; do echo "- at $size waiting: the first polls read positions exactly 1..$size, each once; the last in line reads position $size on its own"; done
echo "- every join answered 201 with the expected status (waiting, then prequeue), every leave 204; the room showed $LARGE in the pre-queue before the draw and $LARGE waiting after it; the service logged \"$drew_line\""
while IFS=$'\t' read -r _ ok what; do echo "- $what: $ok"; done < <(grep '^CHECK' <<<"$draw_checks")
bad=0
for r in "${results[@]}"; do ((bad += $(f_non2xx "$r") + $(f_sockerr "$r"))) || true; done
echo "- non-2xx answers and socket errors over all measurements: $bad"
((bad == 0)) || die "some requests failed (see the table)"
