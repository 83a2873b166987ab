#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on loopback for the store tests and prints
# its connection string on the last line. Uses Debian's postgresql packages.
#
#   url=$(test-tooling/postgres/start-cluster.sh | tail -n1)
#   test-tooling/postgres/stop-cluster.sh      # stops it and removes its data
set -euo pipefail

DATA_DIR=${FABRIC_PG_DIR:-/tmp/cloudspectra-fabric-pg}
PORT=${FABRIC_PG_PORT:-55432}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -n "$BIN" ] || { echo "PostgreSQL server binaries not found: apt-get install -y postgresql" >&2; exit 1; }

run_as_postgres() {
  # initdb refuses to run as root; Debian's package creates the postgres user.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ -f "$DATA_DIR/postmaster.pid" ] && run_as_postgres "$BIN/pg_ctl" -D "$DATA_DIR" status >/dev/null 2>&1; then
  echo "PostgreSQL already running in $DATA_DIR" >&2
else
  rm -rf "$DATA_DIR"
  mkdir -p "$DATA_DIR"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$DATA_DIR"
  pwfile=$(mktemp)
  echo fabric-test > "$pwfile"
  chmod 644 "$pwfile"
  run_as_postgres "$BIN/initdb" -D "$DATA_DIR" -U postgres --pwfile="$pwfile" --auth=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  run_as_postgres "$BIN/pg_ctl" -D "$DATA_DIR" -l "$DATA_DIR/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DATA_DIR -c max_connections=200 -c fsync=off" start >/dev/null
fi
echo "postgresql://postgres:fabric-test@127.0.0.1:$PORT"
