# syntax=docker/dockerfile:1
#
# mqtt-kafka-bridge container image.
#
#   docker build -t mqtt-kafka-bridge .
#
#   # Dev mode: no Kafka configured, so the bridge starts an embedded single-node Kafka (data in
#   # /opt/mqtt-kafka-bridge/data inside the container, lost with it).
#   docker run --rm -p 1883:1883 -p 9090:9090 mqtt-kafka-bridge
#
#   # Against a real Kafka, with a config file. MQTT_BRIDGE_CONFIG is not set in the image: the
#   # bridge refuses to start when the configured file is missing, so set it together with the mount
#   # (a relative -v path needs Docker 23 or newer; "$PWD"/config.yaml works everywhere).
#   docker run --rm -p 1883:1883 -p 8883:8883 -p 9090:9090 \
#     -v ./config.yaml:/etc/mqtt-kafka-bridge/config.yaml:ro \
#     -e MQTT_BRIDGE_CONFIG=/etc/mqtt-kafka-bridge/config.yaml \
#     -e MQTT_BRIDGE_KAFKA_BOOTSTRAP_SERVERS=kafka:9092 \
#     mqtt-kafka-bridge
#
# Single keys can be set with MQTT_BRIDGE_* environment variables (see docs/configuration.md),
# arguments after the image name go to the bridge (e.g. --config FILE), and extra JVM flags go in
# JAVA_TOOL_OPTIONS.
# On Kubernetes use the Helm chart in helm/mqtt-kafka-bridge.

# ---- Stage 1: build the fat jar -----------------------------------------------------------------
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build
COPY pom.xml ./
COPY devkafka ./devkafka
COPY core ./core
COPY testkit ./testkit
COPY bench ./bench
COPY dist ./dist
# The cache mount keeps ~/.m2 between builds (BuildKit), so only changed dependencies download.
RUN --mount=type=cache,target=/root/.m2 mvn -B -DskipTests package

# ---- Stage 2: the runtime image -----------------------------------------------------------------
# A JRE only: no compiler, no Maven, no sources.
FROM eclipse-temurin:17-jre

# A fixed numeric uid/gid (10001), outside the range of the base image's users, so that Kubernetes'
# runAsNonRoot can verify it and the Helm chart's runAsUser/fsGroup match it.
RUN groupadd --gid 10001 bridge \
 && useradd --uid 10001 --gid 10001 --home-dir /opt/mqtt-kafka-bridge --no-create-home \
      --shell /usr/sbin/nologin bridge

WORKDIR /opt/mqtt-kafka-bridge
# The jar stays owned by root (read-only for the bridge); only ./data, where dev mode keeps its
# embedded Kafka (kafka.embedded.dataDir, default ./data), is writable by the bridge user.
COPY --from=build /build/dist/target/mqtt-kafka-bridge.jar ./mqtt-kafka-bridge.jar
RUN mkdir -p /opt/mqtt-kafka-bridge/data /etc/mqtt-kafka-bridge \
 && chown 10001:10001 /opt/mqtt-kafka-bridge/data

USER 10001:10001

# 1883 MQTT, 8883 MQTT over TLS (mqtt.tls.enabled), 8080 and 8443 MQTT over WebSocket and secure
# WebSocket (mqtt.websocket.enabled, mqtt.websocket.tls.enabled), 9090 /metrics and /health/*.
# Hazelcast's 5701 is for the other bridge instances only, so it is not exposed here.
EXPOSE 1883 8883 8080 8443 9090

# JVM flags:
# - MaxRAMPercentage=75: the heap follows the container's memory limit (the JVM reads the cgroup
#   limit); the remaining quarter is for metaspace, thread stacks and Netty's direct buffers.
# - ExitOnOutOfMemoryError: a JVM out of memory exits, so the orchestrator restarts it, instead of
#   limping on with half its threads dead while still holding device connections.
# - UseG1GC, chosen explicitly: below 2 CPUs or 1792 MiB of memory the JVM counts as a "client"
#   machine and silently picks the Serial GC, whose stop-the-world full collections stall every
#   event loop at once: bad for a latency-sensitive bridge. G1 keeps pauses short on the small
#   heaps (0.5-4 GiB) the bridge runs with, because its garbage is mostly short-lived per-message
#   objects, collected in young pauses of a few ms; and of the low-pause collectors it costs the
#   least CPU and memory.
#   Not ZGC by default: on JDK 17 ZGC is not generational (that came with JDK 21), so it needs much
#   more heap headroom and burns CPU in concurrent GC threads that compete with the event loops on
#   a pod of 1-2 cores; its sub-millisecond pauses pay off with large heaps. Not Shenandoah either:
#   the same concurrent-CPU trade-off on small pods, and not every JDK 17 build ships it.
#   To try another collector, replace the command (docker run --entrypoint, or the pod's command);
#   JAVA_TOOL_OPTIONS cannot override flags given here.
# Exec form, so that java is PID 1 and receives SIGTERM itself: the bridge then drains its
# connections (shutdown.drainPeriod) before exiting.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-XX:+UseG1GC", "-jar", "mqtt-kafka-bridge.jar"]
