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
