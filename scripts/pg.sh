#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on 127.0.0.1, for tests and benchmarks. Source it, then:
#   pg_start [port]   starts it and exports CONCERT_TEST_POSTGRES (admin connection string)
#   pg_stop           stops it and removes its files
# Installs PostgreSQL from Debian's packages when it is missing. Runs the server as `postgres` when we are root
# (initdb refuses root). Fails loudly: a test run that needs PostgreSQL never goes on without it.

pg_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$dir" ] && command -v pg_config >/dev/null 2>&1; then dir=$(pg_config --bindir); fi
  echo "$dir"
}

pg_start() {
  local port=${1:-55432}
  PGBIN=$(pg_bindir)
  if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
    echo "pg.sh: installing PostgreSQL from Debian's packages" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) || return 1
    PGBIN=$(pg_bindir)
  fi
  PGTMP=$(mktemp -d /tmp/concert-pg.XXXXXX)
  chmod 755 "$PGTMP"
  local run=()
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PGTMP"; run=(runuser -u postgres --); fi
  "${run[@]}" "$PGBIN/initdb" -D "$PGTMP/data" -U postgres --auth=trust -E UTF8 --no-locale >"$PGTMP/initdb.log" 2>&1 \
    || { cat "$PGTMP/initdb.log" >&2; return 1; }
  # fsync off: these clusters are thrown away; nothing durability-bound is measured on them.
  "${run[@]}" "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 30 \
    -o "-p $port -k $PGTMP -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$PGTMP/server.log" >&2; return 1; }
  export PGTMP PGBIN
  export CONCERT_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Database=postgres;Username=postgres;Pooling=true"
  echo "pg.sh: PostgreSQL running on 127.0.0.1:$port ($PGTMP)" >&2
}

pg_stop() {
  # Works from another shell too (PGTMP set by hand): without pg_start's variables it finds pg_ctl and the server's
  # user again, and it leaves the files of a server it could not stop rather than orphan the running server.
  if [ -n "${PGTMP:-}" ] && [ -d "$PGTMP/data" ]; then
    local bin=${PGBIN:-$(pg_bindir)} run=()
    if [ "$(id -u)" = 0 ]; then run=(runuser -u postgres --); fi
    "${run[@]}" "$bin/pg_ctl" -D "$PGTMP/data" -m fast -w stop >/dev/null 2>&1
    local status=0
    "${run[@]}" "$bin/pg_ctl" -D "$PGTMP/data" status >/dev/null 2>&1 || status=$?
    if [ "$status" != 3 ]; then   # 3: no server running; anything else (running, no pg_ctl, no access) keeps the files
      echo "pg.sh: the server of $PGTMP may still run (pg_ctl status $status); its files are left" >&2
      return 1
    fi
    rm -rf "$PGTMP"
    unset PGTMP
  fi
}
