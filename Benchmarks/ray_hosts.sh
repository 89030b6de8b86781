#!/usr/bin/env bash
# Sparrow sharded over three simulated hosts: three network namespaces on this machine (h1, h2, h3 at
# 10.77.0.1-3 on a bridge with no address outside them, so Ray's traffic stays on those addresses),
# a Ray head in h1 and a Ray node in each of h2 and h3. The driver (in h1) builds 3 shards of the
# 30k MS MARCO pool with Ray Data, deploys them with 2 replicas each (at most one per host), streams
# queries, kills host h3 outright (every process in its namespace, SIGKILL), and reports failed
# queries and how long Serve takes to run every replica again.
#
# Needs root (ip netns), the Python venv with the wheel and Ray (Tools/test.sh makes .venv-test), and
# ../shared/data. Not part of CI.   usage: sudo Benchmarks/ray_hosts.sh [VENV]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="$(cd "${1:-.venv-test}" && pwd)"
RAY="$VENV/bin/ray"
WORK="$(mktemp -d /tmp/sparrow-hosts.XXXX)"

cleanup() {
    for h in h1 h2 h3; do
        ip netns pids "$h" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns del "$h" 2>/dev/null || true
    done
    ip link del sp-br0 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
cleanup 2>/dev/null || true
WORK="$(mktemp -d /tmp/sparrow-hosts.XXXX)"

ip link add sp-br0 type bridge
ip link set sp-br0 up
for i in 1 2 3; do
    ip netns add "h$i"
    ip link add "sp-veth$i" type veth peer name eth0 netns "h$i"
    ip link set "sp-veth$i" master sp-br0 up
    ip netns exec "h$i" ip addr add "10.77.0.$i/24" dev eth0
    ip netns exec "h$i" ip link set eth0 up
    ip netns exec "h$i" ip link set lo up
done

echo "== starting Ray: head on 10.77.0.1, nodes on 10.77.0.2 and 10.77.0.3"
ip netns exec h1 "$RAY" start --head --node-ip-address 10.77.0.1 --port 6379 --num-cpus 2 \
    --include-dashboard true --dashboard-host 0.0.0.0 --disable-usage-stats --temp-dir "$WORK/ray" > "$WORK/h1.log" 2>&1
for i in 2 3; do
    ip netns exec "h$i" "$RAY" start --address 10.77.0.1:6379 --node-ip-address "10.77.0.$i" --num-cpus 2 \
        --disable-usage-stats > "$WORK/h$i.log" 2>&1
done

echo "== driver on h1"
ip netns exec h1 env SPARROW_SHARED="$(cd .. && pwd)/shared" "$VENV/bin/python" Benchmarks/ray_hosts_driver.py \
    --work "$WORK/coll" --kill-host-command "ip netns pids h3 | xargs -r kill -9"
