#!/usr/bin/env bash
# Same-run throughput comparison of two revisions of postdesk, alternating
# runs so that both see the same machine noise:
#   bash bench/compare.sh [BASE_REV]     (default d2860a9, the start of the 2026-11-21 session; RUNS=3, N=10000)
# Each run: a fresh data directory, 2 KB mail, 8 sessions, 100 per
# connection, 20 % replies, driven by the load tool of HEAD. Limits that
# would change the work done (new-ticket limit, ack ceiling) are lifted.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-d2860a9}
runs=${RUNS:-3} n=${N:-10000} addr=127.0.0.1:2797
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; git worktree remove --force "$work/base-src" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

git worktree add -q "$work/base-src" "$base"
(cd "$work/base-src" && go build -o "$work/pd-base" ./cmd/postdesk)
go build -o "$work/pd-head" ./cmd/postdesk
go build -o "$work/load" ./cmd/postdesk-load

run() { # binary → msg/s
  local bin=$1 d extra=()
  d=$(mktemp -d -p "$work")
  local help
  help=$("$bin" serve -h 2>&1 || true) # -h exits 2: read it whole (pipefail)
  [[ $help == *ack-ceiling* ]] && extra+=(--ack-ceiling 100000000)
  [[ $help == *http-addr* ]] && extra+=(--http-addr 127.0.0.1:0) # never the port of a gateway running here
  "$bin" property add --data "$d" --slug acme --name Acme --address support@acme.test >/dev/null
  "$bin" member add --data "$d" --email alice@acme.test --name Alice --role agent >/dev/null
  "$bin" serve --data "$d" --smtp-addr "$addr" --log-level error --new-ticket-limit 100000000 "${extra[@]}" >/dev/null &
  local pid=$!
  for _ in $(seq 100); do (echo >/dev/tcp/${addr%:*}/${addr#*:}) 2>/dev/null && break; sleep 0.1; done
  "$work/load" -addr "$addr" -sessions 8 -messages "$n" -size 2048 -per-conn 100 -json |
    python3 -c 'import json,sys; print(round(json.load(sys.stdin)["per_second"]))'
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

b=() h=()
for i in $(seq "$runs"); do
  b+=("$(run "$work/pd-base")"); h+=("$(run "$work/pd-head")")
  echo "run $i: $base ${b[-1]} msg/s, HEAD ${h[-1]} msg/s"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mb=$(median "${b[@]}") mh=$(median "${h[@]}")
echo "median: $base $mb msg/s, HEAD $mh msg/s, ratio $(python3 -c "print(round($mh/$mb, 2))")"
