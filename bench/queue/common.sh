# Shared by bench/queue/run.sh and bench/queue/draw.sh, sourced after bench/lib.sh: the queue client
# (bench/queue/QueueBench) and the service's resident memory.

# queue_client_build: builds the client (Release) and sets CLIENT_DLL; client ARGS... runs it.
queue_client_build() {
  log "building the queue client"
  (cd "$REPO_ROOT" && dotnet build bench/queue/QueueBench -c Release -nologo -v q >"$BENCH_TMP/client-build.log" 2>&1) \
    || { tail -n 30 "$BENCH_TMP/client-build.log" >&2; die "client build failed"; }
  CLIENT_DLL="$(find "$REPO_ROOT/bench/queue/QueueBench/bin/Release" -name QueueBench.dll | head -n 1)"
  [[ -n "$CLIENT_DLL" ]] || die "no build of QueueBench.dll"
}
client() { dotnet "$CLIENT_DLL" "$@"; }

# rss_mb: the service's resident set, in MB with one decimal.
rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$BENCH_PID/status"; }

# gc_mb: what of it the garbage collector had committed at its last collection (the runtime's own meter, on
# /metrics), in MB with one decimal; "n/a" with telemetry off.
gc_mb() {
  curl -fsS "$BENCH_URL/metrics" 2>/dev/null \
    | awk '/^dotnet_gc_last_collection_memory_committed_size_bytes/ { printf "%.1f", $NF / 1048576; found = 1 }
           END { if (!found) printf "n/a" }'
}
