#!/usr/bin/env bash
# A/B of two bridge builds under the same uplink load, for the commit messages of uplink optimisations:
#
#   scripts/uplink-ab.sh LABEL JAR_A JAR_B [bench uplink options...]
#
# Starts `bench broker` and both bridges at once (ports 51883 and 52883, HTTP 51090 and 52090), so
# that neither restarts between runs and both are warm after their first run; then ROUNDS (default 3)
# times: the load against A, then against B (the order alternates between rounds). Prints the bridge's
# CPU per message and the rates of each run, and the median ratio B/A. Bench options default to
# 100 connections, QoS 0, 100-byte payloads, 150k msg/s, 10 s warm-up, 20 s measured, verify after.
# Results: target/uplink-ab/LABEL/. The bench runs from JAR_B.
set -euo pipefail
LABEL=$1; JAR_A=$2; JAR_B=$3; shift 3
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${ROUNDS:-3}
KP=59092; CP=59093
OUT=$ROOT/target/uplink-ab/$LABEL; rm -rf "$OUT"; mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/uplink-ab.XXXX)
cp "$JAR_A" "$WORK/a.jar"; cp "$JAR_B" "$WORK/b.jar"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 3
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
java -Xms1g -Xmx1g -jar "$WORK/b.jar" bench broker --data-dir "$WORK/kafka" --port $KP --controller-port $CP >"$OUT/broker.log" 2>&1 &
KB=$!; PIDS+=("$KB")
for _ in $(seq 900); do grep -q "Kafka ready" "$OUT/broker.log" && break; sleep 0.1; done
java -jar "$WORK/b.jar" bench topics --bootstrap 127.0.0.1:$KP --create bench.uplink:12 >&2
declare -A PID
for side in a b; do
  n=$([[ $side == a ]] && echo 1 || echo 2)
  cat >"$WORK/$side.yaml" <<Y
mqtt: { host: 127.0.0.1, port: 5${n}883, limits: { maxConnections: 0, connectRate: 0 } }
http: { host: 127.0.0.1, port: 5${n}090 }
kafka: { bootstrapServers: "127.0.0.1:$KP" }
cluster: { enabled: false }
mappings:
  uplink: [ { match: "^UL/(.+)$", topic: "bench.uplink" } ]
  downlink: { filters: ["DL/#"] }
Y
  java -Xms2g -Xmx2g -jar "$WORK/$side.jar" --config "$WORK/$side.yaml" >"$OUT/bridge-$side.log" 2>&1 &
  PID[$side]=$!; PIDS+=("${PID[$side]}")
done
for n in 1 2; do
  for _ in $(seq 900); do curl -sf "http://127.0.0.1:5${n}090/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done
done
OPTS=(--connections 100 --payload 100 --qos 0 --rate 150k --warmup 10s --duration 20s --verify after "$@")
run() { # side round
  local side=$1 r=$2 n
  n=$([[ $side == a ]] && echo 1 || echo 2)
  log "round $r: $side"
  timeout 300 java -Xms1g -Xmx1g -jar "$WORK/b.jar" bench uplink --host 127.0.0.1 --port 5${n}883 \
    --metrics-url http://127.0.0.1:5${n}090 --bootstrap 127.0.0.1:$KP --bridge-pid "${PID[$side]}" --broker-pid "$KB" \
    "${OPTS[@]}" --label "r$r-$side" --json >"$OUT/r$r-$side.json" 2>"$OUT/r$r-$side.log" || log "exit $?"
}
for r in $(seq "$ROUNDS"); do
  if (( r % 2 )); then run a "$r"; run b "$r"; else run b "$r"; run a "$r"; fi
done
python3 - "$OUT" "$ROUNDS" <<'P'
import json, sys, statistics
out, rounds = sys.argv[1], int(sys.argv[2])
ratios = []
for r in range(1, rounds + 1):
    row = {}
    for side in "ab":
        d = json.load(open(f"{out}/r{r}-{side}.json"))
        row[side] = d["cpu"]["bridge_us_per_msg"]
        print(f"round {r} {side}: {d['throughput']['arrived_per_s']:>10,.0f} msg/s  lost {d['messages']['lost']}"
              f"  bridge {row[side]:.3f} us/msg  {d['cpu']['bridge_cores']:.2f} cores  "
              f"threads {d['cpu'].get('bridge_threads_cores')}")
    ratios.append(row["b"] / row["a"])
print("bridge CPU per message B/A per round:", ", ".join(f"{x:.3f}" for x in ratios),
      f"; median {statistics.median(ratios):.3f}")
P
