#!/usr/bin/env bash
# Reproduces the table of BENCHMARKS.md in one command (issue #7), on loopback, in under 15 minutes.
#
#   mvn -B -DskipTests package && scripts/benchmarks.sh
#
# Builds nothing: it runs dist/target/mqtt-kafka-bridge.jar (copied first, so a rebuild meanwhile cannot
# pull it from under the running JVMs). Three processes, all from that jar:
#   1. the Kafka broker: `bench broker`, the dev-mode embedded single-node KRaft Kafka alone in its own
#      process (same class and settings as `java -jar` without kafka.bootstrapServers), so that the
#      bridge process's CPU time and heap are the bridge's only;
#   2. the bridge, against that broker, with a temporary data directory and config;
#   3. the bench tool, once per mode.
# Each mode writes <label>.json (and .log) to the results directory; `bench report` makes the table.
# The Kafka producer reference runs first and last, in the same run, because other work on the
# machine moves every figure.
#
# Environment (all optional):
#   BENCH_RESULTS=DIR        results directory (default target/bench-results/<timestamp>)
#   BENCH_KAFKA_PORT, BENCH_MQTT_PORT, BENCH_HTTP_PORT   (default 29092, 21883, 29090; controller = Kafka+1)
#   BENCH_CONNECTIONS=N      idle connections to hold (default: 100000, or what the file descriptor
#                            limit allows each process, whichever is lower)
#   BENCH_ROUTER_CLIENTS=N   subscription records for the router figures (default 1000000)
#   BENCH_DURATION=S         measured seconds of each throughput run (default 20)
#   BENCH_ONLY=LIST          only these sections, comma-separated: uplink, downlink, connections, router
#                            (the Kafka references always run); default all
#   BENCH_PROFILE=1          also record JFR profiles of the bridge and print its hot methods (+~2 min)
#   BENCH_UPDATE_DOC=1       replace the table between the markers in BENCHMARKS.md
#   BENCH_KEEP=1             keep the temporary directory (logs, Kafka data)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SOURCE_JAR=$ROOT/dist/target/mqtt-kafka-bridge.jar
RESULTS=${BENCH_RESULTS:-$ROOT/target/bench-results/$(date +%Y%m%d-%H%M%S)}
KAFKA_PORT=${BENCH_KAFKA_PORT:-29092}
CONTROLLER_PORT=$((KAFKA_PORT + 1))
MQTT_PORT=${BENCH_MQTT_PORT:-21883}
HTTP_PORT=${BENCH_HTTP_PORT:-29090}
DURATION=${BENCH_DURATION:-20}
ROUTER_CLIENTS=${BENCH_ROUTER_CLIENTS:-1000000}
TOTAL_LIMIT_S=900

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
want() { [[ -z ${BENCH_ONLY:-} || ",$BENCH_ONLY," == *",$1,"* ]]; }

[[ -f $SOURCE_JAR ]] || die "no $SOURCE_JAR: build it first with mvn -B -DskipTests package"
command -v java >/dev/null || die "java not found"
for port in "$KAFKA_PORT" "$CONTROLLER_PORT" "$MQTT_PORT" "$HTTP_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port is in use; set BENCH_KAFKA_PORT / BENCH_MQTT_PORT / BENCH_HTTP_PORT"
  fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mqtt-bench.XXXXXX")
JAR=$WORK/mqtt-kafka-bridge.jar
cp "$SOURCE_JAR" "$JAR"
mkdir -p "$RESULTS"
BROKER_PID=""
BRIDGE_PID=""
WATCHDOG_PID=""

cleanup() {
  local status=$?
  [[ -n $WATCHDOG_PID ]] && kill "$WATCHDOG_PID" 2>/dev/null || true
  stop_process "$BRIDGE_PID" bridge
  stop_process "$BROKER_PID" broker
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then
    log "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}

# Stops one process this script started, by its pid: SIGTERM, then SIGKILL after 60 s.
stop_process() {
  local pid=$1 name=$2
  [[ -z $pid ]] && return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 600); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "$name (pid $pid) did not stop in 60 s: killing it"
  kill -KILL "$pid" 2>/dev/null || true
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM
# Bounded in time whatever happens: the whole run stops itself after 15 minutes.
( sleep "$TOTAL_LIMIT_S"; log "time limit of $TOTAL_LIMIT_S s reached: stopping"; kill -TERM $$ ) 2>/dev/null &
WATCHDOG_PID=$!

# Each process needs a file descriptor per connection: raise the soft limit to the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FD_LIMIT=$(ulimit -n)
if [[ $FD_LIMIT == unlimited ]]; then FD_LIMIT=1048576; fi
CONNECTIONS=${BENCH_CONNECTIONS:-$(( FD_LIMIT - 1000 < 100000 ? FD_LIMIT - 1000 : 100000 ))}

wait_for_line() { # file pattern seconds pid
  local file=$1 pattern=$2 seconds=$3 pid=$4
  for _ in $(seq $((seconds * 10))); do
    grep -q "$pattern" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { tail -20 "$file" >&2; die "process $pid exited; see $file"; }
    sleep 0.1
  done
  tail -20 "$file" >&2
  die "'$pattern' did not appear in $file within $seconds s"
}

start_broker() {
  log "starting the Kafka broker (bench broker, port $KAFKA_PORT)"
  java -Xms1g -Xmx1g -jar "$JAR" bench broker --data-dir "$WORK/kafka" --port "$KAFKA_PORT" \
    --controller-port "$CONTROLLER_PORT" >"$RESULTS/broker.log" 2>&1 &
  BROKER_PID=$!
  wait_for_line "$RESULTS/broker.log" "Kafka ready" 90 "$BROKER_PID"
}

start_bridge() { # extra JVM options
  log "starting the bridge (MQTT $MQTT_PORT, HTTP $HTTP_PORT)"
  # shellcheck disable=SC2068
  java -Xms2g -Xmx2g $@ -jar "$JAR" --config "$WORK/bridge.yaml" >>"$RESULTS/bridge.log" 2>&1 &
  BRIDGE_PID=$!
}

await_bridge() {
  wait_for_line "$RESULTS/bridge.log" "started in" 90 "$BRIDGE_PID"
  for _ in $(seq 600); do
    curl -sf "http://127.0.0.1:$HTTP_PORT/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "the bridge did not become ready"
}

restart_bridge() { # extra JVM options
  log "restarting the bridge"
  stop_process "$BRIDGE_PID" bridge
  BRIDGE_PID=""
  start_bridge "$@"
}

BENCH_JVM=(-Xms2g -Xmx2g)
COMMON=(--bootstrap "127.0.0.1:$KAFKA_PORT" --metrics-url "http://127.0.0.1:$HTTP_PORT" --json)
MQTT=(--host 127.0.0.1 --port "$MQTT_PORT")

# run_bench LABEL TIMEOUT_S MODE [options]: one bench run, JSON to LABEL.json, progress to LABEL.log.
run_bench() {
  local label=$1 limit=$2 mode=$3
  shift 3
  log "bench $mode ($label) $*"
  local status=0
  timeout --signal=TERM --kill-after=10 "$limit" java "${BENCH_JVM[@]}" -jar "$JAR" bench "$mode" "$@" \
    --label "$label" "${COMMON[@]}" --bridge-pid "$BRIDGE_PID" --broker-pid "$BROKER_PID" \
    >"$RESULTS/$label.json" 2>"$RESULTS/$label.log" || status=$?
  if [[ $status != 0 ]]; then
    log "  $label: exit status $status (see $RESULTS/$label.log)"
    tail -5 "$RESULTS/$label.log" >&2 || true
  fi
  return 0
}

value() { java -jar "$JAR" bench report "$RESULTS" --value "$1" "$2" 2>/dev/null || true; }

profile_bridge() { # label: a JFR recording of the bridge until profile_done
  jcmd "$BRIDGE_PID" JFR.start name="$1" settings=profile filename="$RESULTS/$1.jfr" >/dev/null
}
profile_done() { # label
  jcmd "$BRIDGE_PID" JFR.stop name="$1" >/dev/null || true
  java -jar "$JAR" bench jfr-top "$RESULTS/$1.jfr" --top 30 >"$RESULTS/$1.hot.txt" 2>&1 || true
  log "  hot methods: $RESULTS/$1.hot.txt"
}

cat >"$WORK/bridge.yaml" <<EOF
# The limits are off: the benchmarks measure what the bridge can take, not what it is allowed to.
mqtt: { host: 127.0.0.1, port: $MQTT_PORT, limits: { maxConnections: 0, connectRate: 0 } }
http: { host: 127.0.0.1, port: $HTTP_PORT }
kafka:
  bootstrapServers: "127.0.0.1:$KAFKA_PORT"
mappings:
  uplink:
    - { match: "^UL/(.+)$", topic: "bench.uplink" }
  downlink: { filters: ["DL/#"] }
EOF

{
  echo "date: $(date -Is)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "java: $(java -version 2>&1 | head -1)"
  echo "open files limit: $FD_LIMIT"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
} >"$RESULTS/machine.txt"
log "results in $RESULTS"

start_broker
# The mapped topic exists before the bridge looks it up (else the broker auto-creates it with one partition).
java -jar "$JAR" bench topics --bootstrap "127.0.0.1:$KAFKA_PORT" --create bench.uplink:12,bench.reference:12 >&2
start_bridge
await_bridge

# 1. Reference: Kafka's own speed on this machine, now.
run_bench ref-start 180 kafka-producer --records 3m --record-size 100

# 2. Uplink. Records are verified after each run (every record read back, loss counted), so that a
#    consumer does not compete with the bridge for the two cores during the measured window.
UP=("${MQTT[@]}" --connections 100 --payload 100 --warmup 10s --duration "${DURATION}s" --verify after)
if want uplink; then
run_bench uplink-q1-max 180 uplink "${UP[@]}" --qos 1 --inflight 100
Q1_MAX=$(value uplink-q1-max throughput.arrived_per_s)
Q1_MAX=${Q1_MAX%.*}
Q1_MAX=${Q1_MAX:-2000}
run_bench uplink-q1-half 180 uplink "${UP[@]}" --qos 1 --inflight 100 --rate "$(( Q1_MAX / 2 > 1000 ? Q1_MAX / 2 : 1000 ))"
# QoS 0 has no flow control: at the rate QoS 1 sustains, then as fast as the bench can send, then at the target.
run_bench uplink-q0-at-q1max 180 uplink "${UP[@]}" --qos 0 --rate "$(( Q1_MAX > 1000 ? Q1_MAX : 1000 ))"
run_bench uplink-q0-max 180 uplink "${UP[@]}" --qos 0
run_bench uplink-q0-260k 180 uplink "${UP[@]}" --qos 0 --rate 260k
run_bench uplink-q2-max 180 uplink "${UP[@]}" --qos 2 --inflight 100
fi

# 3. Downlink: 1,000 subscribed devices at 5,000 msg/s, QoS 1. A 30 s warm-up: after 10 s, the
#    bridge's JIT compiler threads still took a quarter of a core through the measured phase.
want downlink && run_bench downlink 180 downlink "${MQTT[@]}" --devices 1000 --rate 5000 --qos 1 --warmup 30s --duration 30s
#    And commands now and then, as cars mostly get them: 10 devices, 5 msg/s in all. (A request queued
#    behind the router's fetch long poll once cost each such command 200 to 500 ms; see BENCHMARKS.md.)
want downlink && run_bench downlink-sparse 120 downlink "${MQTT[@]}" --devices 10 --rate 5 --qos 1 --warmup 2s --duration 20s

# 4. Idle connections.
# Measured on a warm bridge (a reconnect storm meets a running instance, not a fresh JVM): the same
# number of connections is opened and closed first; the cold figure is in the log's warm-up line.
want connections && run_bench connections 420 connections "${MQTT[@]}" --connections "$CONNECTIONS" --connect-rate 10000 --hold 10s \
  --warmup-connections "$CONNECTIONS"

# 5. Router: write the subscription records, then rebuild them after a restart.
if want router; then
run_bench router-write 300 router --clients "$ROUTER_CLIENTS"
BASELINE=$(value router-write memory.heap_before_bytes)
restart_bridge
run_bench router-rebuild 180 router --rebuild --clients "$ROUTER_CLIENTS" ${BASELINE:+--baseline-heap "${BASELINE%.*}"}
await_bridge
fi

# 6. Reference again: how much the machine moved during the run.
run_bench ref-end 180 kafka-producer --records 3m --record-size 100

if [[ ${BENCH_PROFILE:-0} == 1 ]]; then
  log "profiling (JFR, settings=profile) the bridge under the main loads"
  profile_bridge profile-uplink-q0
  run_bench profile-uplink-q0 120 uplink "${UP[@]}" --qos 0 --duration 15s
  profile_done profile-uplink-q0
  profile_bridge profile-uplink-q1
  run_bench profile-uplink-q1 120 uplink "${UP[@]}" --qos 1 --inflight 100 --duration 15s
  profile_done profile-uplink-q1
  profile_bridge profile-downlink
  run_bench profile-downlink 120 downlink "${MQTT[@]}" --devices 1000 --rate 5000 --qos 1 --duration 15s
  profile_done profile-downlink
  restart_bridge "-XX:StartFlightRecording=name=profile-rebuild,settings=profile,filename=$RESULTS/profile-rebuild.jfr"
  run_bench profile-router-rebuild 180 router --rebuild --clients "$ROUTER_CLIENTS"
  profile_done profile-rebuild
fi

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS/machine.txt"
java -jar "$JAR" bench report "$RESULTS" --html >"$RESULTS/table.md"
echo
cat "$RESULTS/machine.txt"
echo
cat "$RESULTS/table.md"

if [[ ${BENCH_UPDATE_DOC:-0} == 1 ]]; then
  DOC=$ROOT/BENCHMARKS.md
  if grep -q '<!-- bench-table:start -->' "$DOC"; then
    {
      sed '/<!-- bench-table:start -->/q' "$DOC"
      echo
      echo "Run of $(date -I) ($(basename "$RESULTS")): $(grep -E '^(nproc|cpu|java|load average)' "$RESULTS/machine.txt" | tr '\n' ';' | sed 's/;$//; s/;/; /g')."
      echo
      cat "$RESULTS/table.md"
      echo
      sed -n '/<!-- bench-table:end -->/,$p' "$DOC"
    } >"$WORK/doc.md"
    cp "$WORK/doc.md" "$DOC"
    log "updated the table in $DOC"
  fi
fi
log "done in $SECONDS s; results in $RESULTS"
