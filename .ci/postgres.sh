#!/usr/bin/env bash
# Starts a private PostgreSQL (Debian's postgresql package) for the tests:
# a cluster in one directory of its own, listening on 127.0.0.1 and on a
# Unix socket inside that directory, with a superuser role postdesk.
# Authentication is trust: from 127.0.0.1 (any local account of the machine
# may connect as that superuser: a test server, never one with data that
# matters) and on the socket, which only the directory's owner reaches
# (mode 700; as root, the postgres account, and root).
# start prints two lines to eval: POSTDESK_TEST_POSTGRES_DIR, the directory
# that stop, down and up find it by, and POSTDESK_TEST_POSTGRES, the URL the
# store suite and the cmd/postdesk PostgreSQL tests read (they skip without
# it). The fault tests take a server of their own down and up.
#   .ci/postgres.sh start [DIR] [PORT]   a new cluster (default: a new directory from mktemp -d, the first free port from 15432)
#   .ci/postgres.sh down  [DIR]          stop it at once, as a crash would (pg_ctl -m immediate)
#   .ci/postgres.sh up    [DIR]          start it again, on the same port, with its data
#   .ci/postgres.sh stop  [DIR]          stop it cleanly (the directory stays: remove it yourself)
# DIR defaults, for down, up and stop, to $POSTDESK_TEST_POSTGRES_DIR.
set -euo pipefail
cmd=${1:-start}
dir=${2:-}
port=${3:-}

# ls fails when nothing matches: pipefail would end the script here, silently.
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1) || true
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
  stop | down | up)
    dir=${dir:-${POSTDESK_TEST_POSTGRES_DIR:-}}
    [[ -n $dir ]] || { echo "postgres.sh $cmd: which server? Give its DIR or set POSTDESK_TEST_POSTGRES_DIR (start prints it)" >&2; exit 2; }
    [[ -d $dir/data ]] || { echo "postgres.sh $cmd: no cluster in $dir" >&2; exit 1; }
    ;;
  start) ;;
  *) echo "usage: $0 start|down|up|stop [DIR] [PORT]" >&2; exit 2 ;;
esac
case $cmd in
  stop) [[ -f $dir/data/postmaster.pid ]] && ctl -m fast -w stop; exit 0 ;;
  down) ctl -m immediate -w stop; exit 0 ;;
  up) up; exit 0 ;;
esac

free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [[ -z $port ]]; then
  port=15432
  while ! free "$port"; do port=$((port + 1)); done
fi

if [[ -z $dir ]]; then
  dir=$(mktemp -d /tmp/postdesk-postgres.XXXXXX)
else
  # A directory given again: its old cluster is stopped and replaced.
  [[ -f $dir/data/postmaster.pid ]] && { ctl -m fast -w stop || true; }
  rm -rf "$dir/data" "$dir/port" "$dir/postgres.log" "$dir/initdb.log"
  mkdir -p "$dir"
fi
chmod 700 "$dir"
[[ $(id -u) == 0 ]] && chown postgres: "$dir"
as "$bin/initdb" -D "$dir/data" -U postdesk --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
  { echo "postgres.sh: initdb failed in $dir:" >&2; cat "$dir/initdb.log" >&2; exit 1; }
cat >"$dir/data/pg_hba.conf" <<CONF
# Private test server: its superuser, on the socket in its own directory
# (mode 700) and from loopback (any local account: tests only).
local all all              trust
host  all all 127.0.0.1/32 trust
CONF
echo "$port" >"$dir/port"
up || { echo "postgres.sh: the server in $dir did not start:" >&2; tail -20 "$dir/postgres.log" >&2; exit 1; }
printf 'export POSTDESK_TEST_POSTGRES_DIR=%q\n' "$dir"
echo "export POSTDESK_TEST_POSTGRES=postgres://postdesk@127.0.0.1:$port/postgres"
