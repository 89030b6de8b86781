#!/usr/bin/env bash
# sparrow serve under load (issue 12): wrk against 127.0.0.1 only, 60 s per run, on the 30k MS MARCO
# SPLADE vectors; search QPS and latency alone and with a concurrent stream of ~500 upserts/s;
# the library's own single-thread latency for the same queries (sparrow bench) in the same run,
# so the HTTP overhead per request is the difference of the p50s; and the server's peak RSS.
#
# usage: Benchmarks/serve.sh DOCS QUERIES OUTDIR
#   DOCS     {"id","vector"} JSONL, plain or gzip (../shared/data/msmarco-dl-pool/splade-tiny/docs.jsonl.gz)
#   QUERIES  {"id","vector"} JSONL (head -1000 ../shared/data/msmarco-dev-queries/splade-tiny/queries.jsonl)
#   OUTDIR   where the data directory and logs go (outside the repository)
# The server runs on core ${SERVER_CORE:-1} (as the library's bench does), wrk on ${CLIENT_CORE:-0}.
# DURATION (default 60s) and CONNECTIONS (default 1 4) may be set.
set -euo pipefail
DOCS=$1 QUERIES=$2 OUT=$3
HERE=$(cd "$(dirname "$0")/.." && pwd)
S=${SPARROW:-$HERE/.build/release/sparrow}
D=${DURATION:-60s}
PORT=${PORT:-7790}
SC="taskset -c ${SERVER_CORE:-1}"
CC="taskset -c ${CLIENT_CORE:-0}"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
rm -rf "$OUT/data"; mkdir -p "$OUT/data"

# This VM's idle policy decides the floor: with guest halt polling off, an idle core halts between
# requests and every answer pays its wake-up (BENCHMARKS.md, "The HTTP server").
echo "== idle policy: guest_halt_poll_ns=$(cat /sys/module/haltpoll/parameters/guest_halt_poll_ns 2>/dev/null || echo n/a)"
echo "== the collection: $("$S" add --index "$OUT/data/msmarco" --input "$DOCS" --batch 1000 --fsync none | tail -1)"
"$S" compact "$OUT/data/msmarco" >/dev/null

echo "== the library, one thread (sparrow bench, default algorithm, k = 10)"
$SC "$S" bench --index "$OUT/data/msmarco" --queries "$QUERIES" -k 10 --algorithms exhaustive-taat --warmup 100

# Request bodies: each query's vector; hits without content (the library's figure has none either).
# The answers' took_us (the search alone, timed inside the server) are summarised at the end.
cat > "$OUT/search.lua" <<LUA
local bodies = {}
for line in io.lines("$QUERIES") do
  local v = line:match('"vector"%s*:%s*(%b{})')
  if v then bodies[#bodies + 1] = '{"k": 10, "content": false, "vector": ' .. v .. '}' end
end
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, "/collections/msmarco/search", nil, bodies[i])
end
took = {}
local threads = {}
setup = function(thread) threads[#threads + 1] = thread end
response = function(status, headers, body)
  local t = body:match('"took_us":(%d+)')
  if t then took[#took + 1] = tonumber(t) end
end
done = function(summary, latency, requests)
  local all = {}
  for _, thread in ipairs(threads) do for _, t in ipairs(thread:get("took")) do all[#all + 1] = t end end
  table.sort(all)
  if #all > 0 then
    io.write(string.format("took_us (the search inside the server): p50 %d, p99 %d\n", all[math.floor(#all / 2) + 1], all[math.floor(#all * 0.99) + 1]))
  end
end
LUA
# Upserts: batches of 10 documents every 20 ms on one connection (at most 500 documents/s).
{ case "$DOCS" in *.gz) zcat "$DOCS" ;; *) cat "$DOCS" ;; esac || true; } | head -20000 > "$OUT/upserts.jsonl"
cat > "$OUT/upsert.lua" <<LUA
local batches, batch = {}, {}
for line in io.lines("$OUT/upserts.jsonl") do
  batch[#batch + 1] = line
  if #batch == 10 then batches[#batches + 1] = table.concat(batch, "\n"); batch = {} end
end
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-ndjson"
request = function()
  i = i % #batches + 1
  return wrk.format(nil, "/collections/msmarco/documents", nil, batches[i])
end
delay = function() return 20 end
LUA

$SC "$S" serve --data "$OUT/data" --port "$PORT" --log-level warning --fsync always > "$OUT/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
URL="http://127.0.0.1:$PORT"
# Warm up (page cache, scratch buffers).
$CC wrk -t1 -c1 -d5s -s "$OUT/search.lua" "$URL" >/dev/null

echo "== the floor: GET /health (no search), 1 connection, 20s"
$CC wrk -t1 -c1 -d20s --latency "$URL/health" | grep -E "50%|99%|Requests/sec|Non-2xx|Socket errors" || true
if command -v nginx >/dev/null; then
  # What the machine's loopback and wrk cost with a server in C answering a constant, same cores.
  mkdir -p "$OUT/nginx"
  printf 'worker_processes 1; daemon on; pid %s/nginx.pid; error_log %s/error.log;\nevents { worker_connections 64; }\nhttp { access_log off; server { listen 127.0.0.1:%s; location / { return 200 "{\\"status\\":\\"ok\\"}"; } } }\n' \
    "$OUT/nginx" "$OUT/nginx" $((PORT + 1)) > "$OUT/nginx/nginx.conf"
  $SC nginx -c "$OUT/nginx/nginx.conf" -p "$OUT/nginx"
  echo "== nginx answering a constant, 1 connection, 20s"
  $CC wrk -t1 -c1 -d20s --latency "http://127.0.0.1:$((PORT + 1))/" | grep -E "50%|99%|Requests/sec" || true
  kill "$(cat "$OUT/nginx/nginx.pid")"
fi

for c in ${CONNECTIONS:-1 4}; do
  echo "== search alone, $c connection(s), $D"
  $CC wrk -t1 -c"$c" -d"$D" -s "$OUT/search.lua" --latency "$URL"
  echo "(no Non-2xx or Socket errors line above means 0 errors)"
done
for c in ${CONNECTIONS:-1 4}; do
  echo "== search with the upsert stream, $c connection(s), $D"
  before=$(curl -s "$URL/collections/msmarco" | grep -o '"documents":[0-9]*')
  $CC wrk -t1 -c1 -d"$D" -s "$OUT/upsert.lua" --latency "$URL" > "$OUT/upserts-$c.log" &
  UP=$!
  $CC wrk -t1 -c"$c" -d"$D" -s "$OUT/search.lua" --latency "$URL"
  wait $UP
  echo "-- the upsert stream (10 documents per request):"
  grep -E "requests in|Non-2xx|Socket errors|50%|99%" "$OUT/upserts-$c.log" || true
  echo "   collection: before $before, after $(curl -s "$URL/collections/msmarco" | grep -o '"documents":[0-9]*\|"segments":[0-9]*\|"merges_completed":[0-9]*' | tr '\n' ' ')"
done
echo "== server peak RSS: $(grep VmHWM /proc/$SERVER/status)"
kill -TERM $SERVER; wait $SERVER || true
echo "== after SIGTERM: $("$S" check "$OUT/data/msmarco" | tail -1)"
