#!/usr/bin/env bash
# Reproduces the "memory on the client's word" figure of BENCHMARKS.md:
#   bash bench/memory.sh            (SESSIONS=256 SIZE=20000000 RATE=500000)
# SESSIONS concurrent sessions each declare SIZE=26214400 (25 MiB) in MAIL
# FROM and send a SIZE-byte message at RATE bytes a second; the peak RSS
# (VmHWM) of postdesk serve is printed for each of 3 runs on a fresh store.
set -euo pipefail
cd "$(dirname "$0")/.."
SESSIONS=${SESSIONS:-256}
SIZE=${SIZE:-20000000}
RATE=${RATE:-500000}
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
go build -o "$work/postdesk" ./cmd/postdesk
go build -o "$work/postdesk-load" ./cmd/postdesk-load
ADDR=127.0.0.1:2606
for run in 1 2 3; do
  rm -rf "$work/data"
  "$work/postdesk" property add --data "$work/data" --slug acme --name Acme --address support@acme.test --no-ack >/dev/null
  "$work/postdesk" serve --data "$work/data" --smtp-addr "$ADDR" --log-level error --new-ticket-limit 100000000 --max-connections-per-ip 256 &
  pid=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/2606) 2>/dev/null && break; sleep 0.1; done
  "$work/postdesk-load" -addr "$ADDR" -sessions "$SESSIONS" -messages "$SESSIONS" -size "$SIZE" -per-conn 1 \
    -declare-size 26214400 -rate "$RATE" -timeout 10m -replies 0 | sed -n 2p
  echo "run $run: peak RSS $(awk '/VmHWM/ { printf "%d MiB", $2 / 1024 }' "/proc/$pid/status")"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
done
