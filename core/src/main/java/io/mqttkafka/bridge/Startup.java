package io.mqttkafka.bridge;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.mqttkafka.bridge.cluster.ClusterManagers;
import io.mqttkafka.bridge.cluster.ClusterMembership;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.config.ConfigException;
import io.mqttkafka.bridge.kafka.InternalTopics;
import io.mqttkafka.bridge.mqtt.DeviceSession;
import io.mqttkafka.bridge.mqtt.SessionRegistry;
import io.mqttkafka.bridge.tls.ServerTls;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps of {@link Bridge}'s start and stop that need none of its state: the TLS certificate, the
 * Kafka admin client with the internal topics, Vert.x (clustered or not), and the drain of the device
 * connections. Each blocks the calling thread, which is not an event loop.
 */
final class Startup {

  private static final Logger LOG = LoggerFactory.getLogger(Startup.class);
  private static final long AWAIT_SECONDS = 60;
  private static final long DRAIN_STEP_MS = 100;
  private static final long DRAIN_POLL_MS = 20;

  /** Vert.x, and the bridge cluster it joined (null when the instance runs alone). */
  record Runtime(Vertx vertx, ClusterMembership membership) {
  }

  private Startup() {
  }

  /** The MQTT listeners' certificate, loaded and checked; null when no listener uses TLS. */
  static ServerTls tls(BridgeConfig config) throws ConfigException {
    ServerTls tls = config.mqtt().tlsNeeded() ? ServerTls.load(config.mqtt().tls()) : null;
    if (tls != null) {
      LOG.info("TLS engine: {}; {}", tls.engine().description(), tls.ticketsDescription());
      LOG.info("TLS certificate: {}", tls.current().describe());
      tls.current().validityProblem(Instant.now()).ifPresent(problem ->
          LOG.warn("The TLS certificate is {}: clients will refuse it", problem));
    }
    return tls;
  }

  /** The bridge's Kafka admin client, once the internal topics exist (created when missing). */
  static AdminClient kafkaAdmin(BridgeConfig config, String bootstrap) throws Exception {
    Map<String, Object> adminProperties = new LinkedHashMap<>(config.kafka().producer());
    adminProperties.keySet().retainAll(AdminClientConfig.configNames());
    adminProperties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    adminProperties.put(AdminClientConfig.CLIENT_ID_CONFIG, "mqtt-kafka-bridge-admin-" + config.bridge().id());
    AdminClient admin = AdminClient.create(adminProperties);
    try {
      InternalTopics.ensure(admin, config.kafka());
    } catch (Exception e) {
      admin.close(Duration.ofSeconds(5));
      throw e;
    }
    return admin;
  }

  /** Vert.x with its meters in {@code registry}: clustered (joined) when {@code cluster.enabled}. */
  static Runtime vertx(BridgeConfig config, PrometheusMeterRegistry registry) throws Exception {
    // No event-bus metrics: one counter look-up per downlink message for figures the bridge's own
    // downlink metrics already give (measured: 7 % of the router thread's time).
    VertxOptions options = new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
        .addDisabledMetricsCategory(MetricsDomain.EVENT_BUS));
    if (!config.cluster().enabled()) {
      return new Runtime(Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(registry)).build(),
          null);
    }
    // The member carries the instance id, so that every instance knows the others (the admin API).
    HazelcastClusterManager manager = ClusterManagers.clusterManager(config.cluster(), config.bridge().id());
    Vertx vertx = ClusterManagers.startClustered(manager, config.cluster(), options,
        new MicrometerMetricsFactory(registry)).toCompletionStage().toCompletableFuture()
        .get(AWAIT_SECONDS, TimeUnit.SECONDS);
    return new Runtime(vertx, new ClusterMembership(manager));
  }

  /**
   * Closes the device connections spread evenly over {@code period} (shutdown.drainPeriod; MQTT 5:
   * DISCONNECT 0x8B), so that the fleet reconnects to the other instances gradually rather than all at
   * once.
   */
  static void drain(SessionRegistry sessions, Duration period) throws InterruptedException {
    List<DeviceSession> open = new ArrayList<>(sessions.all());
    long periodMs = period.toMillis();
    int steps = (int) Math.max(1, Math.min(open.size(), periodMs / DRAIN_STEP_MS));
    LOG.info("Draining {} MQTT connections over {} ms", open.size(), open.isEmpty() ? 0 : periodMs);
    for (int step = 0; step < steps; step++) {
      int from = open.size() * step / steps;
      int to = open.size() * (step + 1) / steps;
      open.subList(from, to).forEach(DeviceSession::shutdown);
      if (step + 1 < steps) {
        Thread.sleep(periodMs / steps);
      }
    }
    // Connections holding QoS 1/2 PUBLISH packets close once Kafka acknowledged them (bounded).
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DeviceSession.SHUTDOWN_ACK_WAIT_MS + 1_000);
    while (sessions.size() > 0 && System.nanoTime() - deadline < 0) {
      Thread.sleep(DRAIN_POLL_MS);
    }
    if (sessions.size() > 0) {
      LOG.warn("{} MQTT connections still open after the drain; closing them", sessions.size());
    }
  }
}
