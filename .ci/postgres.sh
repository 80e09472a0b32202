#!/usr/bin/env bash
# Starts a private PostgreSQL (Debian's postgresql package) for the tests:
# a cluster in one directory, listening on 127.0.0.1 only (no Unix socket
# outside the directory), trust authentication from 127.0.0.1 only, and a
# superuser role postdesk. Prints the line to export; the store suite and
# the cmd/postdesk PostgreSQL tests read POSTDESK_TEST_POSTGRES and skip
# without it.
#   .ci/postgres.sh start [DIR] [PORT]   (default /tmp/postdesk-postgres, the first free port from 15432)
#   .ci/postgres.sh stop  [DIR]
set -euo pipefail
cmd=${1:-start}
dir=${2:-/tmp/postdesk-postgres}
port=${3:-}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -n $bin ]] || { echo "postgres.sh: no /usr/lib/postgresql/*/bin (apt-get install postgresql)" >&2; exit 1; }

# PostgreSQL refuses to run as root: as root, the cluster belongs to the
# postgres account that Debian's package creates.
as() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [[ $cmd == stop ]]; then
  [[ -f $dir/data/postmaster.pid ]] && as "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
  exit 0
fi

free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [[ -z $port ]]; then
  port=15432
  while ! free "$port"; do port=$((port + 1)); done
fi

if [[ -f $dir/data/postmaster.pid ]]; then
  as "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
fi
rm -rf "$dir"
mkdir -p "$dir"
[[ $(id -u) == 0 ]] && chown postgres: "$dir"
as "$bin/initdb" -D "$dir/data" -U postdesk --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
cat >"$dir/data/pg_hba.conf" <<CONF
# Private test server: the tests' superuser from loopback only.
local all all              trust
host  all all 127.0.0.1/32 trust
CONF
as "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=300 -c fsync=on" \
  start >/dev/null
echo "export POSTDESK_TEST_POSTGRES=postgres://postdesk@127.0.0.1:$port/postgres"
