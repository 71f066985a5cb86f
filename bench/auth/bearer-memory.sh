#!/usr/bin/env bash
# Memory per distinct signed-in caller: N users (rows) with minted bearers each call GET /api/users/me (wrk cycles
# through the bearers for BENCH_DURATION, default 40 s); prints the service's RSS before and after and the growth per
# distinct bearer seen (each validated bearer is remembered until its expiry: ValidatedBearerCache).
# Usage: bash bench/auth/bearer-memory.sh   (SKIP_BUILD=1 / SERVICE_DLL=… as for every bench)
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
N="${BEARERS:-100000}"
bench_init
bench_build
bench_start
rss() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$BENCH_PID/status"; }
sql "BEGIN IMMEDIATE; WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $N)
     INSERT INTO Users (Name, CreatedAt, Version) SELECT 'probe-' || i, $NOW_SQL, 0 FROM c; COMMIT;" >/dev/null
sql "SELECT Id FROM Users ORDER BY Id DESC LIMIT $N;" | mint_bearers >"$BENCH_TMP/bearers.txt"
before="$(rss)"
out="$(PROBE_BEARERS="$BENCH_TMP/bearers.txt" wrk -t 2 -c 32 -d "${BENCH_DURATION:-40}s" --timeout 10s \
       -s "$BENCH_ROOT/auth/me.lua" "$BENCH_URL")"
after="$(rss)"
requests="$(grep -oE '^ +[0-9]+ requests' <<<"$out" | grep -oE '[0-9]+')"
grep -q "Non-2xx" <<<"$out" && die "some calls were refused: $(grep Non-2xx <<<"$out")"
distinct=$((requests < N ? requests : N))
log "RSS ${before} MB -> ${after} MB after ${requests} calls by ${distinct} distinct bearers:" \
    "$(awk -v d="$distinct" -v a="$after" -v b="$before" 'BEGIN { printf "%.2f KB per distinct caller", (a - b) * 1024 / d }')"
