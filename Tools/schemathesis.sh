#!/usr/bin/env bash
# Issue 12's conformance check, run by hand: schemathesis (from PyPI) generates requests from the
# server's /openapi.json and checks every answer. The run passes when no answer is a 5xx (the
# not_a_server_error check). Not in CI: it installs a package and runs for minutes.
#
# usage: Tools/schemathesis.sh [EXAMPLES_PER_OPERATION]     (default 200)
#   SPARROW  the binary to serve (default .build/debug/sparrow, built when missing)
#   VENV     where schemathesis is installed (default .build/schemathesis-venv)
#   PORT     the port to serve on (default 7799)
#   CHECKS   schemathesis checks (default not_a_server_error; "all" for every one)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
EXAMPLES=${1:-200}
S=${SPARROW:-$ROOT/.build/debug/sparrow}
V=${VENV:-$ROOT/.build/schemathesis-venv}
PORT=${PORT:-7799}
[ -x "$S" ] || (cd "$ROOT" && swift build)
[ -x "$V/bin/schemathesis" ] || { python3 -m venv "$V" && "$V/bin/pip" install -q schemathesis; }
DATA=$(mktemp -d)
"$S" serve --data "$DATA" --port "$PORT" --log-level warning > "$DATA.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$DATA" "$DATA.log"' EXIT
URL=http://127.0.0.1:$PORT
for _ in $(seq 100); do curl -sf "$URL/health" >/dev/null && break; sleep 0.1; done
# Collections of each kind, so that generated requests also reach real ones.
curl -sf -X PUT "$URL/collections/v" -d '{}' >/dev/null
curl -sf -X POST "$URL/collections/v/documents" --data-binary @"$ROOT/Examples/toy/documents.jsonl" >/dev/null
curl -sf -X PUT "$URL/collections/t" -d '{"text": true}' >/dev/null
# CHECKS=all adds the conformance checks (status codes, content types and bodies against the
# document) to the one the issue asks for.
"$V/bin/schemathesis" run "$URL/openapi.json" --checks "${CHECKS:-not_a_server_error}" --max-examples "$EXAMPLES" --continue-on-failure
echo "== schemathesis found no failing answer (checks: ${CHECKS:-not_a_server_error})"
