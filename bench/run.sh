#!/usr/bin/env bash
# Reproduces the throughput table of BENCHMARKS.md on this machine:
#   bash bench/run.sh            (RUNS=3 by default; needs postfix's smtp-source and smtp-sink)
# Three servers (Postfix's smtp-sink, a go-smtp server that discards, and
# postdesk with every message durably committed before its 250, threading
# on), each driven by smtp-source and by postdesk-load, in three cells.
# Prints medians of RUNS runs and each median's ratio to the discard floor
# measured with the same driver in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
command -v smtp-source >/dev/null && command -v smtp-sink >/dev/null || {
  echo "needs smtp-source and smtp-sink: apt-get install postfix" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/postdesk" ./cmd/postdesk
go build -o "$work/postdesk-load" ./cmd/postdesk-load
go build -o "$work/discard" ./bench/discard

SINK=127.0.0.1:2601 DISCARD=127.0.0.1:2602 PD=127.0.0.1:2603
smtp-sink -u nobody "$SINK" 1024 & 
"$work/discard" -addr "$DISCARD" &
sleep 0.5

pd_pid=
start_postdesk() { # a fresh data directory for every run
  [ -n "$pd_pid" ] && { kill "$pd_pid"; wait "$pd_pid" 2>/dev/null || true; }
  rm -rf "$work/data"
  "$work/postdesk" property add --data "$work/data" --slug acme --name Acme --address support@acme.test --no-ack >/dev/null
  "$work/postdesk" serve --data "$work/data" --smtp-addr "$PD" --log-level error --new-ticket-limit 100000000 &
  pd_pid=$!
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/2603) 2>/dev/null && return; sleep 0.1; done
  echo "postdesk did not start" >&2; exit 1
}

# one_run DRIVER SERVER_ADDR SIZE MESSAGES PER_CONN → "msgs/s p50 p99" (p50/p99 only from postdesk-load)
one_run() {
  local driver=$1 addr=$2 size=$3 n=$4 per=$5
  if [ "$driver" = smtp-source ]; then
    local keep=; [ "$per" -gt 1 ] && keep=-d
    local t0 t1; t0=$(date +%s.%N)
    smtp-source $keep -s 8 -m "$n" -l "$size" -f customer@load.test -t support@acme.test "$addr"
    t1=$(date +%s.%N)
    awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f - -\n", n / (b - a) }'
  else
    "$work/postdesk-load" -addr "$addr" -sessions 8 -messages "$n" -size "$size" -per-conn "$per" -replies 0.2 -json |
      sed -E 's/.*"per_second":([0-9.]+).*"p50_ms":([0-9.]+),"p99_ms":([0-9.]+).*/\1 \2 \3/' |
      awk '{ printf "%.0f %.2f %.2f\n", $1, $2, $3 }'
  fi
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

printf "| cell | driver | server | msg/s (median of %d) | × discard floor | p50 ms | p99 ms |\n|---|---|---|---|---|---|---|\n" "$RUNS"
for cell in "2KB-multi 2048 10000 100" "2KB-one 2048 5000 1" "100KB-multi 102400 2000 100"; do
  set -- $cell; name=$1 size=$2 n=$3 per=$4
  for driver in smtp-source postdesk-load; do
    declare -A rate=() p50=() p99=()
    for server in smtp-sink discard postdesk; do
      rates=() lat50=() lat99=()
      for _ in $(seq "$RUNS"); do
        case $server in
          smtp-sink) addr=$SINK ;;
          discard) addr=$DISCARD ;;
          postdesk) start_postdesk; addr=$PD ;;
        esac
        read -r r a b < <(one_run "$driver" "$addr" "$size" "$n" "$per")
        rates+=("$r") lat50+=("$a") lat99+=("$b")
      done
      rate[$server]=$(printf "%s\n" "${rates[@]}" | median)
      p50[$server]=$(printf "%s\n" "${lat50[@]}" | median)
      p99[$server]=$(printf "%s\n" "${lat99[@]}" | median)
    done
    for server in smtp-sink discard postdesk; do
      ratio=$(awk -v a="${rate[$server]}" -v b="${rate[discard]}" 'BEGIN { printf "%.3f", a / b }')
      printf "| %s | %s | %s | %s | %s | %s | %s |\n" "$name" "$driver" "$server" "${rate[$server]}" "$ratio" "${p50[$server]}" "${p99[$server]}"
    done
  done
done
