# Shared by bench/writes/run.sh and roundtrips.sh (sourced after ../lib.sh): the WriteBench console, a throwaway
# PostgreSQL cluster at full durability, stopping the service between providers, and the EXIT trap for all of it.
source "$REPO_ROOT/scripts/pg.sh"
PG_PORT="${WRITES_PG_PORT:-55492}"

WRITEBENCH_DLL=""
PG_STARTED=0

build_writebench() {
  log "building bench/writes/WriteBench (Release)"
  (cd "$REPO_ROOT" && dotnet build bench/writes/WriteBench -c Release -nologo -v q >"$BENCH_TMP/wb-build.log" 2>&1) \
    || { tail -n 30 "$BENCH_TMP/wb-build.log" >&2; die "WriteBench build failed"; }
  WRITEBENCH_DLL="$(find "$BENCH_ROOT/writes/WriteBench/bin/Release" -name WriteBench.dll | head -n 1)"
}
wb() { dotnet "$WRITEBENCH_DLL" "$WB_PROVIDER" "$WB_CS" "$@"; }

# A throwaway PostgreSQL cluster at full durability (scripts/pg.sh installs PostgreSQL when missing; its own
# pg_start turns fsync off for tests, so this one starts its own).
pg_durable_start() {
  PGBIN=$(pg_bindir)
  if [[ -z "$PGBIN" || ! -x "$PGBIN/initdb" ]]; then
    log "installing PostgreSQL"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    PGBIN=$(pg_bindir)
  fi
  PGTMP=$(mktemp -d /tmp/concert-pg-writes.XXXXXX)
  chmod 755 "$PGTMP"
  PG_RUN=()
  if [[ "$(id -u)" == 0 ]]; then chown postgres:postgres "$PGTMP"; PG_RUN=(runuser -u postgres --); fi
  "${PG_RUN[@]}" "$PGBIN/initdb" -D "$PGTMP/data" -U postgres --auth=trust -E UTF8 --no-locale >"$PGTMP/initdb.log" 2>&1 \
    || { cat "$PGTMP/initdb.log" >&2; die "initdb failed"; }
  "${PG_RUN[@]}" "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 30 \
    -o "-p $PG_PORT -k $PGTMP -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on -c synchronous_commit=on -c full_page_writes=on -c shared_buffers=256MB" \
    start >/dev/null || { cat "$PGTMP/server.log" >&2; die "PostgreSQL did not start on port $PG_PORT"; }
  PG_STARTED=1
  export PGTMP PGBIN
  log "PostgreSQL (fsync on) on 127.0.0.1:$PG_PORT ($PGTMP)"
}
psql_admin() { "$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "${2:-postgres}" -Atqc "$1"; }

# cpu_sample: "machine service database wall" so far: CPU in clock ticks (the machine's busy time from /proc/stat:
# user, nice, system, irq, softirq, not idle, iowait or steal; the service process's; the bench cluster's on
# PostgreSQL: the postmaster, its live children and the children it has reaped; 0 on SQLite, which runs inside the
# service) and the wall clock in seconds. cpu_per_op BEFORE AFTER N WHAT: each one's CPU per operation, how busy the
# machine was over the window (of all its cores), and the rate its cores would carry at that cost per operation if
# nothing else ran. The window is a little longer than a measurement's own, so that rate comes out a few percent
# under the measured one when the machine is saturated.
proc_ticks() {
  awk -v reaped="${2:-0}" '{ sub(/^.*\) /, ""); t = $12 + $13; if (reaped) t += $14 + $15; print t }' "/proc/$1/stat" 2>/dev/null || echo 0
}
cpu_sample() {
  local machine service=0 database=0 pm
  machine=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat)
  [[ -n "$BENCH_PID" ]] && service=$(proc_ticks "$BENCH_PID")
  if [[ "${BENCH_PROVIDER:-}" == Postgres && -r "$PGTMP/data/postmaster.pid" ]]; then
    pm=$(head -n 1 "$PGTMP/data/postmaster.pid")
    database=$({ proc_ticks "$pm" 1; for c in $(pgrep -P "$pm"); do proc_ticks "$c"; done; } | awk '{ s += $1 } END { print s + 0 }')
  fi
  echo "$machine $service $database $(date +%s.%N)"
}
cpu_per_op() {
  awk -v a="$1" -v b="$2" -v n="$3" -v what="$4" -v hz="$(getconf CLK_TCK)" -v cores="$(nproc)" 'BEGIN {
    split(a, x, " "); split(b, y, " "); if (n <= 0 || y[4] <= x[4]) exit
    m = (y[1] - x[1]) * 1000 / hz / n; s = (y[2] - x[2]) * 1000 / hz / n; d = (y[3] - x[3]) * 1000 / hz / n
    busy = (y[1] - x[1]) / hz / (y[4] - x[4]) / cores * 100
    printf "%s: CPU per operation %.2f ms (the service %.2f, the database %.2f, the rest: client, kernel, other %.2f); the machine %.0f %% busy over %.1f s; %d cores at this cost: %.0f/s\n",
      what, m, s, d, m - s - d, busy, y[4] - x[4], cores, (m > 0 ? cores * 1000 / m : 0) }'
}

stop_service() {
  if [[ -n "$BENCH_PID" ]] && kill -0 "$BENCH_PID" 2>/dev/null; then
    kill -TERM "$BENCH_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$BENCH_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$BENCH_PID" 2>/dev/null || true
    wait "$BENCH_PID" 2>/dev/null || true
  fi
  BENCH_PID=""
}

writes_cleanup() {
  local rc=$?
  stop_service
  if ((PG_STARTED)); then pg_stop || log "PostgreSQL could not be stopped; it is left in $PGTMP"; fi
  (exit $rc)
  bench_cleanup   # reads the exit status, shows the service log on failure, removes the temp folder, exits with it
}


# use_provider sqlite|postgres: the next bench_start runs on a fresh database of that provider (PostgreSQL: a new
# database on the cluster, which the service creates and migrates), and wb talks to the same one.
WRITES_PG_SEQ=0
use_provider() {
  if [[ "$1" == postgres ]]; then
    WRITES_PG_SEQ=$((WRITES_PG_SEQ + 1))
    WRITES_PG_DB="concert_writes_$$_$WRITES_PG_SEQ"
    BENCH_PROVIDER=Postgres
    # The service and the raw baseline share it, so both run with the same Npgsql settings. The service prepares its
    # statements by default (Max Auto Prepare=64, PostgresConnectionString); spelled out here so that the raw baseline
    # does too. WRITES_PG_CS_EXTRA=";Max Auto Prepare=0" measures both without.
    BENCH_CONNECTION_STRING="Host=127.0.0.1;Port=$PG_PORT;Database=$WRITES_PG_DB;Username=postgres;Pooling=true;Maximum Pool Size=100${WRITES_PG_CS_EXTRA:-;Max Auto Prepare=64}"
    export BENCH_PROVIDER BENCH_CONNECTION_STRING
    WB_PROVIDER=postgres WB_CS="$BENCH_CONNECTION_STRING"
  else
    unset BENCH_PROVIDER BENCH_CONNECTION_STRING
    WRITES_PG_DB=""
    rm -f "$BENCH_TMP"/bench.db*
    WB_PROVIDER=sqlite WB_CS="Data Source=$BENCH_TMP/bench.db;Pooling=true"
  fi
}
