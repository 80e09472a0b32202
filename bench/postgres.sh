#!/usr/bin/env bash
# postdesk on SQLite (one gateway) beside PostgreSQL with one and with two
# gateways, on this machine: the table "PostgreSQL and several gateways" of
# BENCHMARKS.md.
#   bash bench/postgres.sh                 (RUNS=3; 2 KB and 100 KB × 8 and 32 sessions)
#   CELLS="2048:3000:8" bash bench/postgres.sh   (one cell: size:messages:sessions)
#   PROFILE=1 bash bench/postgres.sh       (first, per configuration, one 30 s run under
#                                           load with a 20 s CPU profile of gateway 1 and
#                                           pg_stat_activity's wait events sampled)
# PostgreSQL: POSTDESK_BENCH_POSTGRES (default the local server's
# postgres://postdesk:postdesk@127.0.0.1:5432/postgres) must name a role that
# may create databases; each run gets a fresh database copied from a
# migrated template (pdbench_tpl, made once here), dropped after the run.
# The postgres processes must be on this host (their CPU is read in /proc).
#
# Every run of a cell: a fresh database (SQLite: a fresh --data), the same
# load (postdesk-load, -per-conn 100, 20 % replies; N2=3000 messages of
# 2 KB, N100=500 of 100 KB), every message committed before its 250 (the
# defaults: SQLite synchronous=FULL, PostgreSQL synchronous_commit=on),
# --new-ticket-limit lifted as in run.sh. Two gateways: two serve processes,
# each with its own --data and --instance-id, on one database, the load
# tool's sessions split between them. The three configurations alternate
# within each round so that the machine's noise hits them alike; medians of
# RUNS runs, and each median's ratio to SQLite's in the same run.
#
# Cost per message, per configuration (medians): CPU seconds per 1,000
# messages of the gateway process(es) and of the PostgreSQL processes (the
# database's backends plus the server's background processes, utime+stime
# from /proc), WAL bytes per message (pg_current_wal_lsn before and after:
# the whole cluster's, so other databases' writes meanwhile count too), and
# the database's growth per message (pg_database_size; SQLite: postdesk.db
# once the gateway has stopped and checkpointed). Group commit: mean jobs
# per commit and mean commit time, from /metrics.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3} N2=${N2:-3000} N100=${N100:-500}
PG=${POSTDESK_BENCH_POSTGRES:-postgres://postdesk:postdesk@127.0.0.1:5432/postgres}
pgurl() { local base=${PG%%\?*} q=; [[ $PG == *\?* ]] && q="?${PG#*\?}"; echo "${base%/*}/$1$q"; }
sql() { psql "$PG" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
sqldb() { psql "$(pgurl "$1")" -qAtX -v ON_ERROR_STOP=1 -c "$2"; }

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true
  sql "DROP DATABASE IF EXISTS pdbench_run" 2>/dev/null || true
  sql "DROP DATABASE IF EXISTS pdbench_tpl" 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/postdesk" ./cmd/postdesk
go build -o "$work/load" ./cmd/postdesk-load
SMTP=(127.0.0.1:2711 127.0.0.1:2712) HTTP=(127.0.0.1:2721 127.0.0.1:2722) PPROF=127.0.0.1:2731

# The template: migrated once, with the one property; runs copy it.
sql "DROP DATABASE IF EXISTS pdbench_run" && sql "DROP DATABASE IF EXISTS pdbench_tpl"
sql "CREATE DATABASE pdbench_tpl"
"$work/postdesk" migrate --database "$(pgurl pdbench_tpl)" --data "$work/tpl" >/dev/null
"$work/postdesk" property add --database "$(pgurl pdbench_tpl)" --data "$work/tpl" \
  --slug acme --name Acme --address support@acme.test --no-ack >/dev/null

ticks() { # PID... → utime+stime in clock ticks, summed (gone processes count 0)
  local t=0 p f
  for p in "$@"; do
    f=$(cut -d' ' -f14,15 "/proc/$p/stat" 2>/dev/null || true) # comm has no spaces here
    [ -n "$f" ] && t=$((t + ${f% *} + ${f#* }))
  done
  echo "$t"
}
pgpids() { # the run database's backends and the server's background processes
  sql "SELECT pid FROM pg_stat_activity WHERE (datname = 'pdbench_run' OR datname IS NULL) AND pid <> pg_backend_pid()"
}
pgticks() { # START_FILE → ticks of the postgres processes since START_FILE was written
  local t=0 p now
  for p in $(pgpids); do
    now=$(ticks "$p")
    local was; was=$(awk -v p="$p" '$1 == p { print $2 }' "$1")
    t=$((t + now - ${was:-0}))
  done
  echo "$t"
}
metric() { # NAME → its value summed over the running gateways
  local s=0 i v
  for i in "${!gw[@]}"; do
    v=$(curl -s "http://${HTTP[$i]}/metrics" | awk -v n="$1" '$1 == n { print $2 }')
    s=$(awk -v a="$s" -v b="${v:-0}" 'BEGIN { print a + b }')
  done
  echo "$s"
}

gw=()
start() { # CONFIG → gateways up on a fresh database
  local cfg=$1 n=1 i db=()
  [ "$cfg" = pg2 ] && n=2
  if [ "$cfg" = sqlite ]; then
    rm -rf "$work/d0"
    "$work/postdesk" property add --data "$work/d0" --slug acme --name Acme --address support@acme.test --no-ack >/dev/null
  else
    sql "CREATE DATABASE pdbench_run TEMPLATE pdbench_tpl"
    db=(--database "$(pgurl pdbench_run)")
  fi
  gw=()
  for ((i = 0; i < n; i++)); do
    [ "$cfg" = sqlite ] || { rm -rf "$work/d$i"; mkdir -p "$work/d$i"; }
    local extra=()
    [ "$i" = 0 ] && [ "${PROFILING:-}" = 1 ] && extra=(--pprof-addr "$PPROF")
    "$work/postdesk" serve --data "$work/d$i" "${db[@]}" --instance-id "gw$i" --smtp-addr "${SMTP[$i]}" \
      --http-addr "${HTTP[$i]}" --log-level error --new-ticket-limit 100000000 "${extra[@]}" >/dev/null &
    gw+=($!)
  done
  for ((i = 0; i < n; i++)); do
    local a=${SMTP[$i]} ok=
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/${a%:*}/${a#*:}") 2>/dev/null && { ok=1; break; }; sleep 0.1; done
    [ -n "$ok" ] || { echo "gateway $i did not start" >&2; exit 1; }
  done
}
stop() {
  kill "${gw[@]}" 2>/dev/null || true
  wait "${gw[@]}" 2>/dev/null || true
  gw=()
  sql "DROP DATABASE IF EXISTS pdbench_run"
}

# one CONFIG SIZE N SESSIONS → one line: msg/s p50 p99 gwCPUs/1k pgCPUs/1k walB/msg dbB/msg batch commit_ms
one() {
  local cfg=$1 size=$2 n=$3 s=$4 addrs
  start "$cfg"
  addrs=${SMTP[0]}; [ "$cfg" = pg2 ] && addrs="${SMTP[0]},${SMTP[1]}"
  local g0 p0 lsn0=0 sz0=0 b0 bc0 c0 cc0
  g0=$(ticks "${gw[@]}")
  if [ "$cfg" = sqlite ]; then
    sz0=$(stat -c %s "$work/d0/postdesk.db") # migrated, one property, checkpointed by property add
  else
    for p in $(pgpids); do echo "$p $(ticks "$p")"; done >"$work/pg0"
    lsn0=$(sql "SELECT pg_current_wal_lsn()"); sz0=$(sql "SELECT pg_database_size('pdbench_run')")
  fi
  b0=$(metric postdesk_store_commit_batch_jobs_sum) bc0=$(metric postdesk_store_commit_batch_jobs_count)
  c0=$(metric postdesk_store_commit_seconds_sum) cc0=$(metric postdesk_store_commit_seconds_count)
  local out; out=$("$work/load" -addr "$addrs" -sessions "$s" -messages "$n" -size "$size" -per-conn 100 -replies 0.2 -json)
  local g1 pg=0 wal=0 sz1=0 b1 bc1 c1 cc1
  g1=$(ticks "${gw[@]}")
  b1=$(metric postdesk_store_commit_batch_jobs_sum) bc1=$(metric postdesk_store_commit_batch_jobs_count)
  c1=$(metric postdesk_store_commit_seconds_sum) cc1=$(metric postdesk_store_commit_seconds_count)
  if [ "$cfg" != sqlite ]; then
    pg=$(pgticks "$work/pg0")
    wal=$(sql "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$lsn0')")
    sz1=$(sql "SELECT pg_database_size('pdbench_run')")
    stop
  else
    kill "${gw[@]}"; wait "${gw[@]}" 2>/dev/null || true; gw=()
    sz1=$(stat -c %s "$work/d0/postdesk.db")
  fi
  echo "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin); a = sys.argv[1:]
n = r["sent"]; f = [float(x) for x in a]
g, pg, wal, sz0, sz1, b, bc, c, cc = f
if r["failed"] or n == 0: sys.exit("failed: %s" % r)
print("%.0f %.2f %.2f %.3f %.3f %.0f %.0f %.1f %.2f" % (r["per_second"], r["p50_ms"], r["p99_ms"],
  g / 100 / n * 1000, pg / 100 / n * 1000, wal / n, (sz1 - sz0) / n, b / max(bc, 1), c / max(cc, 1) * 1000))
' "$((g1 - g0))" "$pg" "$wal" "$sz0" "$sz1" "$(awk -v a="$b1" -v b="$b0" 'BEGIN{print a-b}')" \
    "$(awk -v a="$bc1" -v b="$bc0" 'BEGIN{print a-b}')" "$(awk -v a="$c1" -v b="$c0" 'BEGIN{print a-b}')" \
    "$(awk -v a="$cc1" -v b="$cc0" 'BEGIN{print a-b}')"
}

cfgs=(sqlite pg1 pg2)
raw=$work/raw

# profile CONFIG → a 20 s CPU profile of gateway 1 under 2 KB, 8-session load,
# pg_stat_activity's wait events of the run database sampled every 0.5 s, and
# the CPU split, written under $PROFILE_OUT.
profile() {
  local cfg=$1 out=${PROFILE_OUT:-/tmp/pdbench-profiles} addrs
  mkdir -p "$out"
  PROFILING=1 start "$cfg"
  addrs=${SMTP[0]}; [ "$cfg" = pg2 ] && addrs="${SMTP[0]},${SMTP[1]}"
  "$work/load" -addr "$addrs" -sessions 8 -messages 10000000 -size 2048 -per-conn 100 -replies 0.2 \
    -duration 30s -json >"$out/$cfg.load.json" &
  local lp=$!
  sleep 5
  local g0 b0 bc0 c0 cc0; g0=$(ticks "${gw[@]}")
  b0=$(metric postdesk_store_commit_batch_jobs_sum) bc0=$(metric postdesk_store_commit_batch_jobs_count)
  c0=$(metric postdesk_store_commit_seconds_sum) cc0=$(metric postdesk_store_commit_seconds_count)
  [ "$cfg" = sqlite ] || for p in $(pgpids); do echo "$p $(ticks "$p")"; done >"$work/pg0"
  curl -s -o "$out/$cfg.pprof" "http://$PPROF/debug/pprof/profile?seconds=20" &
  local cp=$!
  : >"$out/$cfg.waits"
  if [ "$cfg" != sqlite ]; then
    for _ in $(seq 40); do
      sql "SELECT state, COALESCE(wait_event_type, 'CPU'), COALESCE(wait_event, '-') FROM pg_stat_activity
           WHERE datname = 'pdbench_run' AND state <> 'idle' AND pid <> pg_backend_pid()" >>"$out/$cfg.waits"
      sleep 0.5
    done
  fi
  wait "$cp"
  local g1 pg=0; g1=$(ticks "${gw[@]}")
  [ "$cfg" = sqlite ] || pg=$(pgticks "$work/pg0")
  echo "$cfg: gateway CPU $(((g1 - g0)))/100 s, postgres CPU $pg/100 s in ~20 s;" \
    "jobs per group commit $(awk -v a="$(metric postdesk_store_commit_batch_jobs_sum)" -v b="$b0" -v c="$(metric postdesk_store_commit_batch_jobs_count)" -v d="$bc0" 'BEGIN { printf "%.1f", (a - b) / (c - d) }')," \
    "ms per group commit $(awk -v a="$(metric postdesk_store_commit_seconds_sum)" -v b="$c0" -v c="$(metric postdesk_store_commit_seconds_count)" -v d="$cc0" 'BEGIN { printf "%.2f", (a - b) / (c - d) * 1000 }')" | tee "$out/$cfg.cpu"
  wait "$lp"
  stop
  echo "wait events (samples of active backends):"; sort "$out/$cfg.waits" | uniq -c | sort -rn | head -8
  go tool pprof -top -cum "$out/$cfg.pprof" 2>/dev/null | head -45 >"$out/$cfg.top" || true
}
if [ "${PROFILE:-}" = 1 ]; then
  for cfg in "${cfgs[@]}"; do profile "$cfg"; done
  [ "${PROFILE_ONLY:-}" = 1 ] && exit 0
fi

CELLS=${CELLS:-"2048:$N2:8 2048:$N2:32 102400:$N100:8 102400:$N100:32"} # size:messages:sessions
for cell in $CELLS; do
  cell=${cell//:/ }
  set -- $cell; size=$1 n=$2 s=$3
  for r in $(seq "$RUNS"); do
    for cfg in "${cfgs[@]}"; do
      line=$(one "$cfg" "$size" "$n" "$s")
      echo "$size $s $cfg $r $line" | tee -a "$raw" >&2
    done
  done
done

python3 - "$raw" <<'EOF'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 13]
cells = []
for r in rows:
    if (r[0], r[1]) not in cells: cells.append((r[0], r[1]))
name = {"sqlite": "SQLite, 1 gateway", "pg1": "PostgreSQL, 1 gateway", "pg2": "PostgreSQL, 2 gateways"}
def med(size, s, cfg, k):
    return st.median(float(r[4 + k]) for r in rows if (r[0], r[1], r[2]) == (size, s, cfg))
print("| cell | configuration | msg/s | × SQLite | p50 ms | p99 ms |")
print("|---|---|---|---|---|---|")
for size, s in cells:
    base = med(size, s, "sqlite", 0)
    for cfg in ("sqlite", "pg1", "pg2"):
        print("| %d KB, %s sessions | %s | %.0f | %.2f | %.2f | %.2f |" % (int(size) // 1024, s, name[cfg],
              med(size, s, cfg, 0), med(size, s, cfg, 0) / base, med(size, s, cfg, 1), med(size, s, cfg, 2)))
print()
print("| cell | configuration | gateway CPU s / 1,000 msg | PostgreSQL CPU s / 1,000 msg | WAL bytes / msg | database bytes / msg | jobs per group commit | ms per group commit |")
print("|---|---|---|---|---|---|---|---|")
for size, s in cells:
    for cfg in ("sqlite", "pg1", "pg2"):
        v = [med(size, s, cfg, k) for k in range(3, 9)]
        pgc = "" if cfg == "sqlite" else "%.2f" % v[1]
        wal = "" if cfg == "sqlite" else "%.0f" % v[2]
        print("| %d KB, %s sessions | %s | %.2f | %s | %s | %.0f | %.1f | %.2f |" % (int(size) // 1024, s, name[cfg],
              v[0], pgc, wal, v[3], v[4], v[5]))
EOF
cp "$raw" "${RAW_OUT:-/dev/null}" 2>/dev/null || true
