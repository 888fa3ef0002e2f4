#!/usr/bin/env bash
# The reconnect storm (BENCHMARKS.md, "The reconnect storm"): two clustered instances A and B, DEVICES
# TLS devices on A, QoS 1 publishers on B; A gets SIGKILL and its devices reconnect to B at once.
# One run per connect-rate limit of B (mqtt.limits.connectRate, connectBurst twice that) and session
# kind; each run starts both instances afresh (Kafka stays), then `bench storm`.
#
#   scripts/reconnect-storm.sh
#
# Builds nothing: runs dist/target/mqtt-kafka-bridge.jar, or BRIDGE_JAR (copied first). Environment: DEVICES (default
# 19000: the machine's 20,000 open files per process less what the processes need besides), RATES
# (B's connect-rate limits, default "2000 500 5000 0"; 0 = unlimited), SESSIONS (default "clean
# persistent"), TRANSPORTS (default "tls"; "tcp" runs the same storm in plaintext, the reference for
# what TLS costs), TICKETS ("own", the default: each instance its own TLS ticket keys, so B cannot
# resume A's sessions; "shared": both read one mqtt.tls.ticketKeysFile), PUBLISHERS (20), RATE (their messages per second, 1000), BACKOFF (1s), PENDING
# (devices connecting at once, 1000), PROFILE=1 (a JFR recording of B from PROFILE_AT seconds after
# the bench starts, default 0, for PROFILE_FOR seconds, default 150, with its hot methods). Results: target/reconnect-storm/<timestamp>/, one JSON per run and a
# table. Ports 59092/59093 (Kafka), 51883/52883 (MQTT), 58883/57883 (TLS), 59090/59190 (HTTP),
# 55701/55702 (Hazelcast). Everything it starts stops with it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEVICES=${DEVICES:-19000}
RATES=${RATES:-2000 500 5000 0}
SESSIONS=${SESSIONS:-clean persistent}
PUBLISHERS=${PUBLISHERS:-20}
RATE=${RATE:-1000}
BACKOFF=${BACKOFF:-1s}
PENDING=${PENDING:-1000}
KP=59092; CP=59093
declare -A MQTT=([a]=51883 [b]=52883) TLS=([a]=58883 [b]=57883) HTTP=([a]=59090 [b]=59190) HZ=([a]=55701 [b]=55702)
declare -A PID=()
OUT=${OUT:-$ROOT/target/reconnect-storm/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/reconnect-storm.XXXX)
JAR=$WORK/mqtt-kafka-bridge.jar
cp "${BRIDGE_JAR:-$ROOT/dist/target/mqtt-kafka-bridge.jar}" "$JAR"
KB=""
STOP_SECONDS=60
source "$ROOT/scripts/lib.sh"
trap stop_all EXIT
require_free_ports $KP $CP "${MQTT[@]}" "${TLS[@]}" "${HTTP[@]}" "${HZ[@]}"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
{ echo "date: $(date -Is)"; echo "nproc: $(nproc)"; echo "java: $(java -version 2>&1 | head -1)"
  echo "open files per process: $(ulimit -n)"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD)"; echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/machine.txt"

java -Xms1g -Xmx1g -jar "$JAR" bench broker --data-dir "$WORK/kafka" --port $KP --controller-port $CP >"$OUT/broker.log" 2>&1 &
KB=$!
for _ in $(seq 900); do grep -q "Kafka ready" "$OUT/broker.log" && break; sleep 0.1; done
java -jar "$JAR" bench topics --bootstrap 127.0.0.1:$KP --create bench.uplink:12 >&2
java -jar "$JAR" bench certs --dir "$WORK/certs" >&2
TICKETS=${TICKETS:-own}
TICKET_KEYS=""
if [[ $TICKETS == shared ]]; then
  head -c 48 /dev/urandom | base64 -w0 >"$WORK/certs/ticket.keys"
  TICKET_KEYS=", ticketKeysFile: \"$WORK/certs/ticket.keys\""
fi

start_bridge() { # instance (a, b), connect rate, run label
  local i=$1 rate=$2 label=$3
  cat >"$WORK/bridge-$i.yaml" <<Y
mqtt:
  host: 127.0.0.1
  port: ${MQTT[$i]}
  limits: { maxConnections: 0, connectRate: $rate, connectBurst: $((rate * 2)) }
  tls: { enabled: true, port: ${TLS[$i]}, certFile: "$WORK/certs/server.pem", keyFile: "$WORK/certs/server.key"$TICKET_KEYS }
http: { host: 127.0.0.1, port: ${HTTP[$i]} }
kafka: { bootstrapServers: "127.0.0.1:$KP" }
mappings:
  uplink: [ { match: "^UL/(.+)$", topic: "bench.uplink" } ]
  downlink: { filters: ["DL/#"] }
cluster: { enabled: true, name: storm, host: 127.0.0.1, port: ${HZ[$i]}, members: ["127.0.0.1:${HZ[a]}", "127.0.0.1:${HZ[b]}"] }
Y
  java -Xms2g -Xmx2g -jar "$JAR" --config "$WORK/bridge-$i.yaml" >"$OUT/bridge-$i-$label.log" 2>&1 &
  PID[$i]=$!
}
ready() { curl -sf "http://127.0.0.1:${HTTP[$1]}/health/ready" >/dev/null 2>&1; }
await_ready() { # both ready at once, twice a second apart (readiness drops while the router group rebalances)
  for _ in $(seq 240); do
    if ready a && ready b; then sleep 1; ready a && ready b && return 0; fi
    sleep 0.5
  done
  log "instances not ready"; exit 1
}

for transport in ${TRANSPORTS:-tls}; do
for sessions in $SESSIONS; do
  for rate in $RATES; do
    label="$transport-$sessions-rate$rate"
    [[ $transport == tls && $TICKETS == shared ]] && label="$label-shared-tickets"
    if [[ $transport == tls ]]; then
      ports=(--port "${TLS[a]}" --failover-port "${TLS[b]}" --tls-ca "$WORK/certs/ca.pem")
    else
      ports=(--port "${MQTT[a]}" --failover-port "${MQTT[b]}")
    fi
    log "run $label: starting A and B"
    start_bridge a "$rate" "$label"; start_bridge b "$rate" "$label"
    await_ready
    log "run $label: bench storm ($DEVICES devices)"
    if [[ ${PROFILE:-0} == 1 ]]; then
      (sleep "${PROFILE_AT:-0}"; jcmd "${PID[b]}" JFR.start name=storm settings=profile filename="$OUT/$label.jfr" \
        duration="${PROFILE_FOR:-150}s" >/dev/null) &
    fi
    java -Xms2g -Xmx2g -jar "$JAR" bench storm --label "$label" --json --host 127.0.0.1 "${ports[@]}" \
      --kill-pid "${PID[a]}" --metrics-url "http://127.0.0.1:${HTTP[b]}" --bridge-pid "${PID[b]}" --broker-pid "$KB" \
      --devices "$DEVICES" --sessions "$sessions" --client-id-prefix "$label-" \
      --publishers "$PUBLISHERS" --rate "$RATE" --retry-backoff "$BACKOFF" --max-pending-connects "$PENDING" \
      --connect-rate 0 >"$OUT/$label.json" 2>"$OUT/$label.bench.log" || log "bench exit $? (see $OUT/$label.bench.log)"
    if [[ ${PROFILE:-0} == 1 ]]; then
      jcmd "${PID[b]}" JFR.stop name=storm >/dev/null 2>&1 || true
      sleep 2; java -jar "$JAR" bench jfr-top "$OUT/$label.jfr" --top 40 >"$OUT/$label.hot.txt" 2>&1 || true
    fi
    stop "${PID[b]}"; stop "${PID[a]}"; PID=()
  done
done
done
python3 - "$OUT" <<'P'
import glob, json, os, sys
rows = []
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
    try:
        d = json.load(open(f))
    except ValueError:
        continue
    s, c, p = d.get("storm", {}), d.get("cpu_storm", {}), d.get("puback_of_connected", {})
    rows.append([d.get("label"), s.get("back"), s.get("last_back_s"), s.get("connects", {}).get("failed"),
                 s.get("connects", {}).get("tls_handshakes"), c.get("bridge_cores"), c.get("bridge_us_per_msg"),
                 p.get("baseline", {}).get("p99_ms"), p.get("storm", {}).get("p99_ms"), p.get("p99_ratio_storm_to_baseline")])
head = ["run", "back", "last back s", "failed attempts", "handshakes", "B cores", "B us/device",
        "PUBACK p99 before ms", "during ms", "ratio"]
print("| " + " | ".join(head) + " |")
print("|" + "---|" * len(head))
for r in rows:
    print("| " + " | ".join("" if v is None else str(v) for v in r) + " |")
P
