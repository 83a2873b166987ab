#!/usr/bin/env bash
# Stops the cluster started by start-cluster.sh and removes its data.
set -uo pipefail
DATA_DIR=${FABRIC_PG_DIR:-/tmp/cloudspectra-fabric-pg}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -d "$DATA_DIR" ] || exit 0
if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$BIN/pg_ctl" -D "$DATA_DIR" -m fast stop >/dev/null 2>&1; else "$BIN/pg_ctl" -D "$DATA_DIR" -m fast stop >/dev/null 2>&1; fi
rm -rf "$DATA_DIR"
