#!/usr/bin/env bash
# Reproduces the import figure of BENCHMARKS.md:
#   bash bench/import.sh             (MESSAGES=20000 by default, RUNS=3)
# postdesk-load mbox writes an mbox of MESSAGES 2 KB messages (20 % replies, 5 %
# without a Message-ID); each run imports it with `postdesk import` into a fresh
# data directory and reports the command's messages per second (wall clock,
# opening the store included); the median of the runs is printed last.
set -euo pipefail
cd "$(dirname "$0")/.."
MESSAGES=${MESSAGES:-20000}
RUNS=${RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/postdesk" ./cmd/postdesk
go build -o "$work/postdesk-load" ./cmd/postdesk-load
"$work/postdesk-load" mbox -messages "$MESSAGES" -size 2048 > "$work/history.mbox"
echo "mbox: $MESSAGES messages, $(stat -c %s "$work/history.mbox") bytes"
rates=()
for run in $(seq "$RUNS"); do
  rm -rf "$work/data"
  "$work/postdesk" property add --data "$work/data" --slug acme --name Acme --address support@acme.test >/dev/null
  start=$(date +%s.%N)
  "$work/postdesk" import --data "$work/data" --property acme --status closed "$work/history.mbox" 2>/dev/null | grep -E '^stored' >/dev/null
  end=$(date +%s.%N)
  rate=$(awk -v n="$MESSAGES" -v s="$start" -v e="$end" 'BEGIN { printf "%.0f", n / (e - s) }')
  echo "run $run: $rate messages/s"
  rates+=("$rate")
done
printf '%s\n' "${rates[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "median of %d runs: %d messages/s\n", NR, a[int((NR + 1) / 2)] }'
