#!/usr/bin/env bash
# Starts a private PostgreSQL (Debian's postgresql package) for the tests:
# a cluster in one directory, listening on 127.0.0.1 only (no Unix socket
# outside the directory), trust authentication from 127.0.0.1 only, and a
# superuser role postdesk. Prints the line to export; the store suite and
# the cmd/postdesk PostgreSQL tests read POSTDESK_TEST_POSTGRES and skip
# without it. The fault tests use it too, and take a server down and up.
#   .ci/postgres.sh start [DIR] [PORT]   a new cluster (default /tmp/postdesk-postgres, the first free port from 15432)
#   .ci/postgres.sh down  [DIR]          stop it at once, as a crash would (pg_ctl -m immediate)
#   .ci/postgres.sh up    [DIR]          start it again, on the same port, with its data
#   .ci/postgres.sh stop  [DIR]          stop it cleanly
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

ctl() { as "$bin/pg_ctl" -D "$dir/data" "$@" >/dev/null; }
up() {
  ctl -l "$dir/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$(cat "$dir/port") -c unix_socket_directories=$dir -c max_connections=300" start
}
case $cmd in
  stop) [[ -f $dir/data/postmaster.pid ]] && ctl -m fast -w stop || true; exit 0 ;;
  down) ctl -m immediate -w stop; exit 0 ;;
  up) up; exit 0 ;;
  start) ;;
  *) echo "usage: $0 start|down|up|stop [DIR] [PORT]" >&2; exit 2 ;;
esac

free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [[ -z $port ]]; then
  port=15432
  while ! free "$port"; do port=$((port + 1)); done
fi

[[ -f $dir/data/postmaster.pid ]] && { ctl -m fast -w stop || true; }
rm -rf "$dir"
mkdir -p "$dir"
[[ $(id -u) == 0 ]] && chown postgres: "$dir"
as "$bin/initdb" -D "$dir/data" -U postdesk --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
cat >"$dir/data/pg_hba.conf" <<CONF
# Private test server: the tests' superuser from loopback only.
local all all              trust
host  all all 127.0.0.1/32 trust
CONF
echo "$port" >"$dir/port"
up
echo "export POSTDESK_TEST_POSTGRES=postgres://postdesk@127.0.0.1:$port/postgres"
