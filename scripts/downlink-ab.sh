#!/usr/bin/env bash
# One downlink run of one bridge jar, for A/B comparisons between builds (BENCHMARKS.md, section 3):
#
#   scripts/downlink-ab.sh LABEL BRIDGE_JAR BENCH_JAR PROFILE [extra bench downlink options...]
#
# Starts `bench broker` (from BENCH_JAR), the bridge (BRIDGE_JAR, any build, old or new), then
# `bench downlink` with 1,000 devices at 5,000 msg/s, QoS 1, and prints the main figures. Results go
# to target/downlink-ab/LABEL. PROFILE=1 records a JFR profile of the bridge (at PROFILE_AT seconds,
# default 25, for 25 s) and its hot methods. WARMUP (default 20s; 90s for a bridge whose JIT is done).
# With --kafka-reference the bridge idles while the reference runs (its warm-up and duration) right
# after the devices connect: PROFILE_AT must count that in (about 105 s for WARMUP=30s). JFR_SETTINGS:
# a .jfc for the profile instead of "profile" (e.g. with jdk.Compilation at threshold 0 ms, to see what
# the JIT compiles). BRIDGE_OPTS: more JVM options for the bridge (e.g. -XX:+PrintCompilation, into
# bridge.log). The bridge's /metrics at the end of the run go to metrics.txt (router batches, producer).
# Ports 39092/39093 (Kafka), 31883 (MQTT), 39090 (HTTP). Everything it starts stops with it.
set -euo pipefail
LABEL=$1; BRIDGE_JAR=$2; BENCH_JAR=$3; PROFILE=${4:-0}; shift 4 || shift $#
KP=39092; CP=39093; MP=31883; HP=39090
OUT=$(cd "$(dirname "$0")/.." && pwd)/target/downlink-ab/$LABEL; rm -rf "$OUT"; mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/dlbench.XXXX)
cleanup() { [[ -n ${BR:-} ]] && kill "$BR" 2>/dev/null; [[ -n ${KB:-} ]] && kill "$KB" 2>/dev/null; sleep 2; kill -9 ${BR:-} ${KB:-} 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
java -Xms1g -Xmx1g -jar "$BENCH_JAR" bench broker --data-dir "$WORK/kafka" --port $KP --controller-port $CP >"$OUT/broker.log" 2>&1 &
KB=$!
for i in $(seq 900); do grep -q "Kafka ready" "$OUT/broker.log" && break; sleep 0.1; done
cat > "$WORK/bridge.yaml" <<Y
mqtt: { host: 127.0.0.1, port: $MP, limits: { maxConnections: 0, connectRate: 0 } }
http: { host: 127.0.0.1, port: $HP }
kafka: { bootstrapServers: "127.0.0.1:$KP" }
mappings:
  uplink: [ { match: "^UL/(.+)$", topic: "bench.uplink" } ]
  downlink: { filters: ["DL/#"] }
Y
java -Xms2g -Xmx2g ${BRIDGE_OPTS:-} -jar "$BRIDGE_JAR" --config "$WORK/bridge.yaml" >"$OUT/bridge.log" 2>&1 &
BR=$!
for i in $(seq 900); do curl -sf "http://127.0.0.1:$HP/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done
if [[ $PROFILE == 1 ]]; then (sleep ${PROFILE_AT:-25}; jcmd $BR JFR.start name=p settings=${JFR_SETTINGS:-profile} filename="$OUT/bridge.jfr" duration=25s >/dev/null) & fi
timeout 300 java -Xms1g -Xmx1g -jar "$BENCH_JAR" bench downlink --host 127.0.0.1 --port $MP --bootstrap 127.0.0.1:$KP \
  --metrics-url http://127.0.0.1:$HP --bridge-pid $BR --broker-pid $KB --devices 1000 --rate 5000 --qos 1 \
  --warmup ${WARMUP:-20s} --duration 30s --label "$LABEL" --json "$@" >"$OUT/result.json" 2>"$OUT/bench.log" || echo "bench exit $?"
curl -sf "http://127.0.0.1:$HP/metrics" >"$OUT/metrics.txt" 2>/dev/null || true
if [[ $PROFILE == 1 ]]; then sleep 2; java -jar "$BENCH_JAR" bench jfr-top "$OUT/bridge.jfr" --top 40 >"$OUT/hot.txt" 2>&1 || true; fi
python3 - "$OUT/result.json" <<'P'
import json,sys
d=json.load(open(sys.argv[1]))
def find(o, path=""):
    if isinstance(o, dict):
        for k,v in o.items(): yield from find(v, path+"."+k)
    else: yield path, o
for p,v in find(d):
    if any(x in p for x in ["latency","cpu","per_message","rate","lost","dupl","reorder","receipt","messages.","cores"]): print(p, v)
P
