#!/usr/bin/env bash
# Two or more `sparrow serve` binaries compared in interleaved rounds (issue 12): for each round and
# binary, 1-connection searches for DURATION, then wrk's p50 and p99 and the server's CPU time per
# request (utime + stime from /proc, so no hardware counters are needed). Differences of a few tens
# of microseconds drift between separate windows on a shared VM; alternating binaries within one
# window shows them.
#
# usage: Benchmarks/serve-ab.sh OUTDIR ROUNDS BINARY...
#   OUTDIR  a directory Benchmarks/serve.sh has run in (a compacted copy of its data/ collection, and
#           its search.lua, are used)
# The server runs on core ${SERVER_CORE:-1}, wrk on ${CLIENT_CORE:-0}; DURATION defaults to 8s.
set -euo pipefail
OUT=$1 ROUNDS=$2
shift 2
D=${DURATION:-8s}
PORT=${PORT:-7790}
[ -d "$OUT/data" ] && [ -f "$OUT/search.lua" ] || { echo "$OUT has no data/ and search.lua: run Benchmarks/serve.sh first" >&2; exit 1; }
TICK=$(getconf CLK_TCK)
# serve.sh's upsert rows leave the collection in many segments: search a compacted copy.
rm -rf "$OUT/ab-data" && cp -r "$OUT/data" "$OUT/ab-data"
"$1" compact "$OUT/ab-data/msmarco" >/dev/null
for round in $(seq "$ROUNDS"); do
  for S in "$@"; do
    taskset -c "${SERVER_CORE:-1}" "$S" serve --data "$OUT/ab-data" --port "$PORT" --log-level warning --fsync none > "$OUT/serve-ab.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
    taskset -c "${CLIENT_CORE:-0}" wrk -t1 -c1 -d2s -s "$OUT/search.lua" "http://127.0.0.1:$PORT" >/dev/null   # warm-up
    before=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
    result=$(taskset -c "${CLIENT_CORE:-0}" wrk -t1 -c1 -d"$D" --latency -s "$OUT/search.lua" "http://127.0.0.1:$PORT")
    after=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
    echo "$result" | awk -v r="$round" -v b="$S" -v ticks=$((after - before)) -v hz="$TICK" '
      / 50%/ {p50 = $2} / 99%/ {p99 = $2} /requests in/ {n = $1} /Non-2xx|Socket errors/ {e = e " " $0}
      END {printf "round %s %s: p50 %s p99 %s, server CPU %.1f us per request (%d requests)%s\n", r, b, p50, p99, ticks * 1e6 / hz / n, n, e}'
  done
done
