#!/usr/bin/env bash
# Reproduces the memory, growth and outbound figures of BENCHMARKS.md:
#   bash bench/extra.sh              (GROWTH=1000000 messages by default; needs postfix's smtp-sink)
# - memory: peak RSS (VmHWM) of postdesk serve after 8 concurrent 20 MB messages, 3 times;
# - growth: throughput (2 KB, 8 sessions, 20% replies) on an empty store and on one
#   filled with GROWTH messages, alternating, 3 runs each; idle RSS with the full store;
# - outbound: rows delivered per second to smtp-sink over reused connections, 3 runs.
set -euo pipefail
cd "$(dirname "$0")/.."
GROWTH=${GROWTH:-1000000}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; pkill -f "$work/postdesk" 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/postdesk" ./cmd/postdesk
go build -o "$work/postdesk-load" ./cmd/postdesk-load
ADDR=127.0.0.1:2604

new_store() { "$work/postdesk" property add --data "$1" --slug acme --name Acme --address support@acme.test --no-ack >/dev/null; }
serve() { # serve DATA: starts postdesk on $ADDR, sets $pid
  "$work/postdesk" serve --data "$1" --smtp-addr "$ADDR" --log-level error --new-ticket-limit 100000000 &
  pid=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/2604) 2>/dev/null && return; sleep 0.1; done
  echo "postdesk did not start" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; }
hwm() { awk '/VmHWM/ { printf "%d MiB", $2 / 1024 }' "/proc/$1/status"; }
rss() { awk '/VmRSS/ { printf "%d MiB", $2 / 1024 }' "/proc/$1/status"; }

echo "## memory: 8 concurrent 20 MB messages"
new_store "$work/mem"
for run in 1 2 3; do
  serve "$work/mem"
  "$work/postdesk-load" -addr "$ADDR" -sessions 8 -messages 8 -size 20000000 -per-conn 1 >/dev/null
  echo "run $run: peak RSS $(hwm "$pid")"
  stop
done

echo "## growth: empty store vs $GROWTH stored messages"
new_store "$work/empty"; new_store "$work/full"
"$work/postdesk-load" fill -data "$work/full" -messages "$GROWTH" | tail -1
serve "$work/full"; sleep 2; echo "idle RSS with $GROWTH messages: $(rss "$pid")"; stop
for run in 1 2 3; do
  for store in empty full; do
    serve "$work/$store"
    echo "run $run, $store: $("$work/postdesk-load" -addr "$ADDR" -sessions 8 -messages 10000 -size 2048 -per-conn 100 -replies 0.2 | sed -n 2p)"
    stop
  done
done

echo "## outbound: to smtp-sink, 4 workers"
smtp-sink -u nobody 127.0.0.1:2605 1024 &
sleep 0.3
for run in 1 2 3; do
  rm -rf "$work/out"
  "$work/postdesk-load" outbound -data "$work/out" -relay "smtp://127.0.0.1:2605?tls=none" -messages 5000
done
