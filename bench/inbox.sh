#!/bin/sh
# Times the web inbox's pages on a filled store (postdesk-load fill; see
# BENCHMARKS.md "Lists and search on 1,000,000 messages"): one warm-up and
# RUNS loads of each folder, view, filter and search, signed in as an
# agent with a link from `postdesk member login-link`. Prints p50 and p95
# of the server's time (the page's Server-Timing header: queries and
# counts, before rendering) and of the whole load as curl sees it.
#
#   bench/inbox.sh /tmp/copy-of-big     # DATA must be a copy: serve migrates it
set -eu
DATA=${1:?usage: bench/inbox.sh DATA}
RUNS=${RUNS:-50}
AGENT=${AGENT:-fill1@agents.test}
PORT=${PORT:-18731}
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/postdesk" ./cmd/postdesk
"$tmp/postdesk" serve --data "$DATA" --smtp-addr 127.0.0.1:$((PORT + 1)) --http-addr 127.0.0.1:$PORT --log-level warn &
pid=$!
base=http://127.0.0.1:$PORT
until curl -s -o /dev/null "$base/login"; do sleep 0.5; done
link=$("$tmp/postdesk" member login-link --data "$DATA" "$AGENT")
path=/login/${link##*/login/}
csrf=$(curl -s -c "$tmp/jar" "$base$path" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
curl -s -o /dev/null -b "$tmp/jar" -c "$tmp/jar" --data-urlencode "csrf=$csrf" --data "next=/" "$base$path"
pct() { sort -n | awk '{v[NR]=$1} END {p50=v[int((NR+1)*0.5)]; p95=v[int(NR*0.95+0.5)]; printf "%.1f | %.1f", p50, p95}'; }
printf '| page | server p50 ms | server p95 ms | load p50 ms | load p95 ms |\n|---|---|---|---|---|\n'
for q in "" "folder=answered" "folder=snoozed" "folder=closed" "folder=deleted" "folder=spam" \
	"view=mine" "view=unassigned" "department=Fill+1" "priority=highest" "tag=vip" "topic=topic-1" "overdue=1" \
	"sort=due" "sort=priority" "q=xícara" "q=não" "view=mine&tag=vip&overdue=1"; do
	url="$base/p/acme/?$q"
	curl -s -o /dev/null -b "$tmp/jar" "$url"
	: >"$tmp/server"
	: >"$tmp/load"
	i=0
	while [ $i -lt "$RUNS" ]; do
		curl -s -o /dev/null -b "$tmp/jar" -D "$tmp/h" -w '%{time_total}\n' "$url" | awk '{print $1 * 1000}' >>"$tmp/load"
		code=$(sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' "$tmp/h")
		[ "$code" = 200 ] || { echo "GET $url: $code" >&2; exit 1; }
		sed -n 's/^Server-Timing: app;dur=\([0-9.]*\).*/\1/p' "$tmp/h" | tr -d '\r' >>"$tmp/server"
		i=$((i + 1))
	done
	printf '| %s | %s | %s |\n' "${q:-folder=open}" "$(pct <"$tmp/server")" "$(pct <"$tmp/load")"
done
