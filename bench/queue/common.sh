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

# rss_parts: where the resident set lies, from /proc/PID/smaps, in MB: anonymous memory (the GC's heap, native
# allocations: SQLite's page caches, glibc's arenas, thread stacks), the runtime's code (JIT-compiled code mapped
# twice through its double mapper), and mapped files (the runtime's and the app's libraries and assemblies).
rss_parts() {
  awk '/^[0-9a-f]+-[0-9a-f]+ / { name = (NF >= 6) ? $6 : "" ; if (NF >= 7) name = name " " $7; next }
       /^Rss:/ { kb = $2
         if (name ~ /doublemapper/) code += kb
         else if (name == "" || name ~ /^\[(heap|stack)/ || name ~ /^\[anon/) anon += kb
         else file += kb }
       END { printf "anonymous %.0f MB, JIT code %.0f MB, mapped files %.0f MB", anon / 1024, code / 1024, file / 1024 }' \
    "/proc/$BENCH_PID/smaps"
}

# gc_mb: what of it the garbage collector had committed at its last collection (the runtime's own meter, on
# /metrics), in MB with one decimal; "n/a" with telemetry off.
gc_mb() {
  curl -fsS "$BENCH_URL/metrics" 2>/dev/null \
    | awk '/^dotnet_gc_last_collection_memory_committed_size_bytes/ { printf "%.1f", $NF / 1048576; found = 1 }
           END { if (!found) printf "n/a" }'
}
