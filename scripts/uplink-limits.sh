#!/usr/bin/env bash
# The uplink against its limits, each figure measured beside its reference in the same run
# (BENCHMARKS.md, "The uplink against its limits"):
#
#   scripts/uplink-limits.sh producer     QoS 1 and QoS 0 through the bridge vs Kafka's own producer
#                                         sending the same records (key, headers, size, acks=all, idempotent)
#   scripts/uplink-limits.sh tls          QoS 1 over TLS 1.3 and TLS 1.2 vs plaintext, per TLS engine
#   scripts/uplink-limits.sh handshakes   TLS connects per engine: CPU and heap per connection, full
#                                         handshakes vs resumed sessions (tickets)
#   scripts/uplink-limits.sh fleet        CPU per message as a fleet sends it (many connections, a few
#                                         messages a second each) vs the same rate from 100 connections
#
# Builds nothing: runs dist/target/mqtt-kafka-bridge.jar (copied first). Starts `bench broker`, the
# bridge (plain and TLS listeners, P-256 certificates made by `bench certs`), then the bench runs of the
# mode, ROUNDS times interleaved (each round measures a figure and its reference one after the other),
# and `bench report --compare` over all of them. Results: target/uplink-limits/<mode>-<timestamp>/.
#
# Environment: ROUNDS (default 3), DURATION (measured seconds per uplink run, default 20), WARMUP
# (default 10), ENGINES (tls, handshakes: default "openssl jdk"), CONNECTIONS (handshakes: default
# 2000; fleet: default 10000), FLEET_RATE (fleet: total msg/s, default 20000), PREWARM (seconds of unmeasured QoS 1 load on each bridge before round 1, so that round 1 does
# not measure its JIT compiler; producer and tls modes; default 30, 0 for none), PROFILE=1 (record a JFR
# profile of the bridge during each run of round PROFILE_ROUND, default 1).
# Ports 49092/49093 (Kafka), 41883 (MQTT), 48883 (MQTT over TLS), 49090 (HTTP). Everything it starts
# stops with it.
set -euo pipefail
MODE=${1:?usage: uplink-limits.sh producer|tls|handshakes|fleet}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-10}
ENGINES=${ENGINES:-openssl jdk}
CONNECTIONS=${CONNECTIONS:-$([[ $MODE == fleet ]] && echo 10000 || echo 2000)}
KP=49092; CP=49093
# Per bridge (one per TLS engine, or one "none" without TLS): MQTT, MQTT over TLS, HTTP.
declare -A MQTT_PORT=([none]=41883 [openssl]=41883 [jdk]=42883) TLS_PORT=([openssl]=48883 [jdk]=47883) \
  HTTP_PORT=([none]=49090 [openssl]=49090 [jdk]=49190) PID=()
OUT=${OUT:-$ROOT/target/uplink-limits/$MODE-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/uplink-limits.XXXX)
JAR=$WORK/mqtt-kafka-bridge.jar
cp "$ROOT/dist/target/mqtt-kafka-bridge.jar" "$JAR"
KB=""
source "$ROOT/scripts/lib.sh"
trap stop_all EXIT
require_free_ports $KP $CP 41883 42883 48883 47883 49090 49190
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
{ echo "date: $(date -Is)"; echo "nproc: $(nproc)"; echo "java: $(java -version 2>&1 | head -1)"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD)"; echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/machine.txt"

java -Xms1g -Xmx1g -jar "$JAR" bench broker --data-dir "$WORK/kafka" --port $KP --controller-port $CP >"$OUT/broker.log" 2>&1 &
KB=$!
for _ in $(seq 900); do grep -q "Kafka ready" "$OUT/broker.log" && break; sleep 0.1; done
java -jar "$JAR" bench topics --bootstrap 127.0.0.1:$KP --create bench.uplink:12,bench.reference:12 >&2
[[ $MODE == producer ]] || java -jar "$JAR" bench certs --dir "$WORK/certs" >&2

start_bridge() { # TLS engine (openssl, jdk), or none for no TLS listener
  local e=$1 tls="enabled: false"
  [[ $e != none ]] && tls="enabled: true, port: ${TLS_PORT[$e]}, certFile: \"$WORK/certs/server.pem\", keyFile: \"$WORK/certs/server.key\", engine: $e"
  cat >"$WORK/bridge-$e.yaml" <<Y
mqtt:
  host: 127.0.0.1
  port: ${MQTT_PORT[$e]}
  limits: { maxConnections: 0, connectRate: 0 }
  tls: { $tls }
http: { host: 127.0.0.1, port: ${HTTP_PORT[$e]} }
kafka: { bootstrapServers: "127.0.0.1:$KP" }
mappings:
  uplink: [ { match: "^UL/(.+)$", topic: "bench.uplink" } ]
  downlink: { filters: ["DL/#"] }
Y
  java -Xms2g -Xmx2g -jar "$JAR" --config "$WORK/bridge-$e.yaml" >>"$OUT/bridge-$e.log" 2>&1 &
  PID[$e]=$!
}
await_bridges() {
  for e in "${!PID[@]}"; do
    for _ in $(seq 900); do curl -sf "http://127.0.0.1:${HTTP_PORT[$e]}/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done
    grep -h "TLS engine" "$OUT/bridge-$e.log" >&2 || true
  done
}

# bench BRIDGE LABEL MODE [options]: one run against that bridge, JSON to LABEL.json, progress to LABEL.log.
bench() {
  local e=$1 label=$2 mode=$3
  shift 3
  local BR=${PID[$e]}
  log "bench $mode ($label) $*"
  if [[ ${PROFILE:-0} == 1 && $label == r${PROFILE_ROUND:-1}-* ]]; then
    jcmd "$BR" JFR.start name="$label" settings=profile filename="$OUT/$label.jfr" >/dev/null
  fi
  timeout 300 java -Xms1g -Xmx1g -jar "$JAR" bench "$mode" "$@" --label "$label" --json \
    --bootstrap 127.0.0.1:$KP --metrics-url "http://127.0.0.1:${HTTP_PORT[$e]}" --bridge-pid "$BR" --broker-pid "$KB" \
    >"$OUT/$label.json" 2>"$OUT/$label.log" || log "  $label: exit status $?"
  if [[ ${PROFILE:-0} == 1 && $label == r${PROFILE_ROUND:-1}-* ]]; then
    jcmd "$BR" JFR.stop name="$label" >/dev/null || true
    java -jar "$JAR" bench jfr-top "$OUT/$label.jfr" --top 40 >"$OUT/$label.hot.txt" 2>&1 || true
  fi
}

UP=(--host 127.0.0.1 --connections 100 --payload 100 --warmup "${WARMUP}s" --duration "${DURATION}s" --verify after)
tls() { echo --port "${TLS_PORT[$1]}" --tls-ca "$WORK/certs/ca.pem"; }
prewarm() { # each bridge: unmeasured load (label "prewarm-<engine>", left out of the comparison)
  [[ ${PREWARM:-30} == 0 ]] && return 0
  for e in "${!PID[@]}"; do
    bench "$e" "prewarm-$e" uplink --host 127.0.0.1 --connections 100 --payload 100 --warmup 0s \
      --duration "${PREWARM:-30}s" --verify after --port "${MQTT_PORT[$e]}" --qos 1 --inflight 100
  done
}
case $MODE in
  producer)
    start_bridge none; await_bridges; prewarm
    for r in $(seq "$ROUNDS"); do
      # The reference: Kafka's producer with the records the bridge writes for these 100 devices.
      bench none "r$r-ref" kafka-producer --like-uplink 100 --qos 1 --records 4m --warmup-records 1m --topic bench.reference
      bench none "r$r-q1" uplink "${UP[@]}" --port "${MQTT_PORT[none]}" --qos 1 --inflight 100
      bench none "r$r-q0" uplink "${UP[@]}" --port "${MQTT_PORT[none]}" --qos 0 --rate "${Q0_RATE:-260k}"
    done
    ;;
  fleet)
    # The same total rate from CONNECTIONS devices (a fleet: a message every few seconds each, so each
    # arrives alone) and from 100 connections (the producer mode's batching): what a message costs as
    # cars send it, beside what the bench's usual load makes it cost.
    start_bridge none; await_bridges; prewarm
    RATE=${FLEET_RATE:-20000}
    for r in $(seq "$ROUNDS"); do
      for q in 1 0; do
        bench none "r$r-q$q-few" uplink "${UP[@]}" --port "${MQTT_PORT[none]}" --qos "$q" --rate "$RATE"
        # More time to warm up: the connections are made during it.
        bench none "r$r-q$q-many" uplink --host 127.0.0.1 --connections "$CONNECTIONS" --payload 100 \
          --warmup 20s --duration "${DURATION}s" --verify after --port "${MQTT_PORT[none]}" --qos "$q" --rate "$RATE" \
          --threads 2
      done
    done
    ;;
  tls)
    # Both engines' bridges run side by side (idle when not measured), so each round measures both.
    for e in $ENGINES; do start_bridge "$e"; done; await_bridges; prewarm
    for r in $(seq "$ROUNDS"); do
      for e in $ENGINES; do
        # shellcheck disable=SC2046
        bench "$e" "r$r-$e-plain" uplink "${UP[@]}" --port "${MQTT_PORT[$e]}" --qos 1 --inflight 100
        bench "$e" "r$r-$e-tls13" uplink "${UP[@]}" $(tls "$e") --tls-protocol TLSv1.3 --qos 1 --inflight 100
        bench "$e" "r$r-$e-tls12" uplink "${UP[@]}" $(tls "$e") --tls-protocol TLSv1.2 --qos 1 --inflight 100
      done
    done
    ;;
  handshakes)
    for e in $ENGINES; do start_bridge "$e"; done; await_bridges
    CONN=(--host 127.0.0.1 --connections "$CONNECTIONS" --connect-rate 0 --hold 2s --warmup-connections "$CONNECTIONS")
    for r in $(seq "$ROUNDS"); do
      for e in $ENGINES; do
        bench "$e" "r$r-$e-plain" connections "${CONN[@]}" --port "${MQTT_PORT[$e]}"
        for proto in TLSv1.3 TLSv1.2; do
          p=${proto/TLSv1./tls1}
          # Full handshakes only; then every device resumes the session its warm-up connection got.
          bench "$e" "r$r-$e-$p-full" connections "${CONN[@]}" $(tls "$e") --tls-protocol "$proto" --tls-resume off
          bench "$e" "r$r-$e-$p-resumed" connections "${CONN[@]}" $(tls "$e") --tls-protocol "$proto" --tls-resume on
        done
      done
    done
    ;;
  *) log "unknown mode $MODE"; exit 2 ;;
esac
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"
java -jar "$JAR" bench report "$OUT" --compare "$MODE" --html | tee "$OUT/compare.md" || true
log "results in $OUT"
