#!/usr/bin/env bash
# Two or more `sparrow serve` binaries compared in interleaved rounds (issue 12): for each round and
# binary, 1-connection searches for DURATION, then wrk's p50 and p99 and the server's CPU time per
# request (utime + stime from /proc, so no hardware counters are needed). Differences of a few tens
# of microseconds drift between separate windows on a shared VM; alternating binaries within one
# window shows them.
#
# With STREAM=1, serve.sh's upsert stream (10 documents every 20 ms, --fsync always) runs beside the
# searches, each round on a fresh compacted copy, and the upserts' count and p99 are reported too.
#
# usage: Benchmarks/serve-ab.sh OUTDIR ROUNDS BINARY...
#   OUTDIR  a directory Benchmarks/serve.sh has run in (a compacted copy of its data/ collection, and
#           its search.lua and upsert.lua, are used)
# The server runs on core ${SERVER_CORE:-1}, wrk on ${CLIENT_CORE:-0}; DURATION defaults to 8s.
set -euo pipefail
OUT=$1 ROUNDS=$2
shift 2
D=${DURATION:-8s}
PORT=${PORT:-7790}
[ -d "$OUT/data" ] && [ -f "$OUT/search.lua" ] || { echo "$OUT has no data/ and search.lua: run Benchmarks/serve.sh first" >&2; exit 1; }
TICK=$(getconf CLK_TCK)
# serve.sh's upsert rows leave the collection in many segments: search a compacted copy.
rm -rf "$OUT/ab-compacted" && cp -r "$OUT/data" "$OUT/ab-compacted"
"$1" compact "$OUT/ab-compacted/msmarco" >/dev/null
FSYNC=none
[ "${STREAM:-0}" = 1 ] && FSYNC=always
for round in $(seq "$ROUNDS"); do
  for S in "$@"; do
    rm -rf "$OUT/ab-data" && cp -r "$OUT/ab-compacted" "$OUT/ab-data"
    taskset -c "${SERVER_CORE:-1}" "$S" serve --data "$OUT/ab-data" --port "$PORT" --log-level warning --fsync "$FSYNC" > "$OUT/serve-ab.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
    taskset -c "${CLIENT_CORE:-0}" wrk -t1 -c1 -d2s -s "$OUT/search.lua" "http://127.0.0.1:$PORT" >/dev/null   # warm-up
    stream=""
    if [ "${STREAM:-0}" = 1 ]; then
      taskset -c "${CLIENT_CORE:-0}" wrk -t1 -c1 -d"$D" --latency -s "$OUT/upsert.lua" "http://127.0.0.1:$PORT" > "$OUT/ab-upserts.log" &
      UP=$!
    fi
    before=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
    result=$(taskset -c "${CLIENT_CORE:-0}" wrk -t1 -c1 -d"$D" --latency -s "$OUT/search.lua" "http://127.0.0.1:$PORT")
    after=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
    if [ "${STREAM:-0}" = 1 ]; then
      wait "$UP"
      stream=$(awk '/ 99%/ {p99 = $2} /requests in/ {n = $1} /Non-2xx|Socket errors/ {e = e " " $0}
                    END {printf "; upserts %d, p99 %s%s", n, p99, e}' "$OUT/ab-upserts.log")
    fi
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
    echo "$result" | awk -v r="$round" -v b="$S" -v ticks=$((after - before)) -v hz="$TICK" -v stream="$stream" '
      / 50%/ {p50 = $2} / 99%/ {p99 = $2} /requests in/ {n = $1} /Non-2xx|Socket errors/ {e = e " " $0}
      /^took_us/ {took = ", took_us " $0; sub(/.*: /, "", took); took = ", took_us " took}
      END {printf "round %s %s: p50 %s p99 %s%s, server CPU %.1f us per request (%d requests)%s%s\n", r, b, p50, p99, took, ticks * 1e6 / hz / n, n, e, stream}'
  done
done
