#!/usr/bin/env bash
# Sign-up and sign-in through the API with the default password hash (PBKDF2, Auth:PasswordHashIterations unset:
# 100,000 rounds), beside GET /health/live in the same run. The hash is slow on purpose (it is what makes a stolen
# database expensive to crack): this measures what it costs, it does not tune it.
# Sign-ups: AUTH_USERS accounts through POST /api/users, a fixed list (an email signs up once) over
# BENCH_CONNECTIONS connections with curl, the first AUTH_WARMUP unmeasured. Sign-ins: wrk POST /api/auth/token
# round-robin over those accounts (right passwords only, so no account locks), for the duration.
# A hash is ~0.1 s of one core, so sign-in is CPU-bound: more connections than cores only add latency (at 32 on this
# 2-core machine, a busy one left wrk's 3 s smoke runs with no answer at all). Both wrk runs and both batches here
# use BENCH_CONNECTIONS, default 8 in this bench, so the ratio compares like with like.
# Usage: bash bench/auth/run.sh   (QUICK=1 for a smoke run)
BENCH_CONNECTIONS="${BENCH_CONNECTIONS:-8}"
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

if [[ "${QUICK:-0}" == "1" ]]; then
  USERS="${AUTH_USERS:-48}" WARM="${AUTH_WARMUP:-16}"
else
  USERS="${AUTH_USERS:-160}" WARM="${AUTH_WARMUP:-32}"
fi
((WARM < USERS)) || { echo "AUTH_WARMUP must be < AUTH_USERS" >&2; exit 2; }
PASSWORD="bench-password-0123"

bench_init
bench_build
# No Auth__PasswordHashIterations: the default is what is measured.
bench_start
bench_settings

# signup_config FROM TO: sign-ups of accounts FROM..TO.
signup_config() {
  seq "$1" "$2" | awk -v pw="$PASSWORD" \
    '{ printf "POST\t/api/users\t{\"name\":\"bench-%d\",\"email\":\"bench-%d@example.com\",\"password\":\"%s\"}\t\t\t\n", $1, $1, pw }' \
    | batch_config
}

log "warm-up: sign-ups 1..$WARM"
signup_config 1 "$WARM" >"$BENCH_TMP/signup-warm.cfg"
batch_run "$BENCH_TMP/signup-warm.cfg" 4 >"$BENCH_TMP/signup-warm.out"
batch_expect 201 "$BENCH_TMP/signup-warm.out" "warm-up sign-ups"

MEASURED=$((USERS - WARM))
log "measured: sign-ups $((WARM + 1))..$USERS ($MEASURED accounts, ${BENCH_CONNECTIONS} at a time)"
signup_config $((WARM + 1)) "$USERS" >"$BENCH_TMP/signup.cfg"
signup="$(timed_batch "sign-up (POST /api/users), $MEASURED accounts" "$BENCH_TMP/signup.cfg" "$BENCH_TMP/signup.out")"
log "$(table_row "$signup")"
batch_expect 201 "$BENCH_TMP/signup.out" "measured sign-ups"

# The baseline of the sign-ups, sent the same way: as many GET /health/live over as many connections.
seq 1 "$MEASURED" | awk '{ print "GET\t/health/live\t\t\t\t" }' | batch_config >"$BENCH_TMP/live.cfg"
batch_run "$BENCH_TMP/live.cfg" "$BENCH_CONNECTIONS" >/dev/null   # warm
live="$(timed_batch "/health/live x $MEASURED (same client)" "$BENCH_TMP/live.cfg" "$BENCH_TMP/live.out")"
log "$(table_row "$live")"

# What the stored hashes say (ASP.NET Core Identity v3 format: 0x01, PRF, iteration count big-endian, ...): every
# account hashed, all with the same count, which the bench reports rather than assumes.
read -r n_users n_hashed <<<"$(sql "SELECT count(*), count(PasswordHash) FROM Users WHERE Email LIKE 'bench-%@example.com';" | tr '|' ' ')"
iterations="$(sql "SELECT PasswordHash FROM Users WHERE Email = 'bench-1@example.com';" | base64 -d | od -An -tu1 -j5 -N4 \
  | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')"
log "$n_hashed of $n_users accounts have a password hash; PBKDF2 iterations: $iterations"

# Sign-ins: one body per account, wrk round-robin.
export BENCH_LOGINS="$BENCH_TMP/logins.txt"
seq 1 "$USERS" | awk -v pw="$PASSWORD" '{ printf "{\"email\":\"bench-%d@example.com\",\"password\":\"%s\"}\n", $1, pw }' >"$BENCH_LOGINS"
# One sign-in through api(): its token must sign the caller in as that account.
bearer="$(api POST /api/auth/token "$(head -n 1 "$BENCH_LOGINS")" | jq -r .accessToken)"
[[ "$(api GET /api/users/me '' "$bearer" | jq -r .email)" == "bench-1@example.com" ]] || die "a signed-in token does not say who it is"
wrk_warm /api/auth/token "$BENCH_ROOT/auth/signin.lua"
signin="$(wrk_run "sign-in (POST /api/auth/token), $USERS accounts round-robin" /api/auth/token "$BENCH_ROOT/auth/signin.lua")"
log "$(table_row "$signin")"
wrk_warm /health/live
health="$(wrk_run "/health/live" /health/live)"
log "$(table_row "$health")"
locked="$(sql "SELECT count(*) FROM Users WHERE LockedUntil IS NOT NULL OR FailedSignIns > 0;")"

echo
echo "## Sign-up and sign-in (PBKDF2, $iterations iterations): sign-ups over ${BENCH_CONNECTIONS} connections; sign-ins with wrk ${BENCH_THREADS} threads, ${BENCH_CONNECTIONS} connections, ${BENCH_DURATION} s"
echo
table_header
table_row "$signup"
table_row "$live"
table_row "$signin"
table_row "$health"
# small_ratio A B: A / B to 5 decimals, and how many B per A (a hash is thousands of times a health check).
small_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == 0 || b == 0) print "n/a"; else printf "%.5f (1 per %.0f)", a / b, b / a }'; }
echo
echo "sign-ups/s: $(f_rps "$signup") (wall time of $MEASURED sign-ups); sign-up/health throughput (same client): $(small_ratio "$(f_rps "$signup")" "$(f_rps "$live")")"
echo "sign-ins/s: $(f_rps "$signin"); sign-in/health throughput (wrk): $(small_ratio "$(f_rps "$signin")" "$(f_rps "$health")")"
echo "sign-in answers: $(f_201 "$signin") x 200, $(f_other "$signin") other; accounts with failed sign-ins or locked afterwards: $locked"
echo "PBKDF2 iterations in the stored hashes: $iterations (Auth:PasswordHashIterations unset); $n_hashed of $n_users accounts hashed"

ok=1
[[ "$n_users $n_hashed" == "$USERS $USERS" ]] || { log "expected $USERS accounts with a hash"; ok=0; }
(($(f_201 "$signin") > 0)) || { log "no sign-in answered within the run"; ok=0; }
[[ "$locked" == 0 ]] || { log "$locked accounts have failed sign-ins"; ok=0; }
for r in "$signin" "$health"; do
  [[ "$(f_non2xx "$r")" == 0 && "$(f_sockerr "$r")" == 0 ]] || { log "failed requests in: $(cut -f1 <<<"$r")"; ok=0; }
done
[[ "$(f_non2xx "$live")" == 0 ]] || { log "failed requests in the /health/live batch"; ok=0; }
if ((ok)); then echo "every sign-up and sign-in answered: PASS"; else echo "every sign-up and sign-in answered: FAIL"; exit 1; fi
