#!/usr/bin/env bash
# Issue 15: live status streams. STREAMS (default 10000) waiting users each hold GET …/current/events open on one
# instance; ACTIVE (default 100) active users then leave, LEAVES_PER_SECOND at a time, each admitting the next in
# line. Prints the service's memory per stream (RSS delta / streams), its CPU while the streams sit idle, and the
# time from each admission (the event's activatedAt) to the "active" event reaching its stream (p50, p99).
# The client (bench/stream/StreamBench) signs users up and in through the API and shares the machine's cores.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

STREAMS="${STREAMS:-10000}"
ACTIVE="${ACTIVE:-100}"
LEAVES_PER_SECOND="${LEAVES_PER_SECOND:-5}"

bench_init
bench_build
log "building the stream client"
(cd "$REPO_ROOT" && dotnet build bench/stream/StreamBench -c Release -nologo -v q >"$BENCH_TMP/client-build.log" 2>&1) \
  || { tail -n 30 "$BENCH_TMP/client-build.log" >&2; die "client build failed"; }
CLIENT_DLL="$(find "$REPO_ROOT/bench/stream/StreamBench/bin/Release" -name StreamBench.dll | head -n 1)"

# Production needs a signing key; a cheap password hash, since the bench signs thousands of users up and in.
bench_start \
  Auth__SigningKey="$(head -c 32 /dev/urandom | base64)" \
  Auth__PasswordHashIterations=1000 \
  Queue__MaxActiveTokens="$ACTIVE" \
  Queue__MaxStreamsPerInstance="$((STREAMS + 100))"

log "$STREAMS streams, $ACTIVE active users leaving at $LEAVES_PER_SECOND/s"
dotnet "$CLIENT_DLL" "$BENCH_URL" "$BENCH_PID" "$STREAMS" "$ACTIVE" "$LEAVES_PER_SECOND"
