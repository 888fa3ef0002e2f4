package io.mqttkafka.bridge;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.mqttkafka.bridge.admin.AdminApi;
import io.mqttkafka.bridge.admin.InstanceAdmin;
import io.mqttkafka.bridge.auth.Authenticators;
import io.mqttkafka.bridge.cluster.ClusterMembership;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.config.KafkaSettings;
import io.mqttkafka.bridge.http.AdminGuard;
import io.mqttkafka.bridge.http.ManagementServer;
import io.mqttkafka.bridge.config.ConfigException;
import io.mqttkafka.bridge.kafka.EmbeddedBroker;
import io.mqttkafka.bridge.kafka.KafkaHealth;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.metrics.JvmMeters;
import io.mqttkafka.bridge.mqtt.Listener;
import io.mqttkafka.bridge.mqtt.Listener.Transport;
import io.mqttkafka.bridge.mqtt.ConnectionGuard;
import io.mqttkafka.bridge.mqtt.ConnectionLimits;
import io.mqttkafka.bridge.mqtt.MqttBridgeVerticle;
import io.mqttkafka.bridge.mqtt.SessionRegistry;
import io.mqttkafka.bridge.mqtt.SessionResume;
import io.mqttkafka.bridge.mqtt.LiveSettings;
import io.mqttkafka.bridge.mqtt.SessionServices;
import io.mqttkafka.bridge.downlink.DownlinkDispatcher;
import io.mqttkafka.bridge.kafka.PresenceWriter;
import io.mqttkafka.bridge.kafka.ReceiptWriter;
import io.mqttkafka.bridge.routing.RouterVerticle;
import io.mqttkafka.bridge.tls.ServerTls;
import io.mqttkafka.bridge.kafka.KafkaSender;
import io.mqttkafka.bridge.kafka.ProducerVerticle;
import io.mqttkafka.bridge.uplink.TopicMapper;
import io.mqttkafka.bridge.trace.Tracing;
import io.mqttkafka.bridge.uplink.UplinkPublisher;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.mqtt.MqttServerOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.AdminClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running bridge instance: the embedded broker in dev mode, Vert.x, the verticles, and the order
 * in which they start and stop. {@link Main} runs one; tests run several in one JVM.
 */
public final class Bridge {

  private static final Logger LOG = LoggerFactory.getLogger(Bridge.class);
  private static final long STOP_TIMEOUT_SECONDS = 60;
  /** After a split heals, how long the event bus gets to know both halves again before presence is rewritten. */
  private static final long REJOIN_SETTLE_MS = 5_000;

  private final BridgeConfig config;
  private final long startedAt = System.currentTimeMillis();
  private final EmbeddedBroker embeddedKafka;
  private final String bootstrapServers;
  private final Vertx vertx;
  private final AdminClient admin;
  private final KafkaHealth kafkaHealth;
  private final SessionRegistry sessions;
  private final ServerTls tls;
  /** The bridge cluster, or null when this instance runs alone. */
  private final ClusterMembership membership;
  private final AtomicBoolean draining = new AtomicBoolean();
  private final List<String> mqttDeployments = new ArrayList<>();
  private final Map<Transport, Integer> listenerPorts = new EnumMap<>(Transport.class);
  private volatile boolean listening;
  private ProducerVerticle producerVerticle;
  private String producerDeployment;
  private String tlsReloaderDeployment;
  private String dispatcherDeployment;
  private String routerDeployment;
  private RouterVerticle router;
  private JvmMeters jvmMeters;
  /** Null when tracing is off. */
  private Tracing tracing;
  private LiveSettings liveSettings;
  private LiveReload reload;
  private AdminGuard adminGuard;
  private String instanceAdminDeployment;
  private volatile int httpPort;

  private Bridge(BridgeConfig config, EmbeddedBroker embeddedKafka, String bootstrapServers, Vertx vertx, AdminClient admin,
                 ServerTls tls, ClusterMembership membership) {
    this.membership = membership;
    this.config = config;
    this.tls = tls;
    this.embeddedKafka = embeddedKafka;
    this.bootstrapServers = bootstrapServers;
    this.vertx = vertx;
    this.admin = admin;
    this.kafkaHealth = new KafkaHealth(vertx, admin);
    this.sessions = new SessionRegistry(config.bridge().id());
  }

  /**
   * Starts a bridge against the configured Kafka and returns once it listens; blocks the calling
   * thread (not an event loop). Without {@code kafka.bootstrapServers} it fails: only
   * {@link #start(BridgeConfig, EmbeddedBroker.Starter)} can run dev mode.
   */
  public static Bridge start(BridgeConfig config) throws Exception {
    return start(config, null);
  }

  /**
   * Starts a bridge and returns once it listens; blocks the calling thread (not an event loop).
   *
   * @param devKafka starts the embedded broker when no {@code kafka.bootstrapServers} is configured
   *     (dev mode); null when this build has none
   */
  public static Bridge start(BridgeConfig config, EmbeddedBroker.Starter devKafka) throws Exception {
    return start(config, devKafka, null);
  }

  /**
   * Starts a bridge that also applies changes of its configuration file while it runs
   * ({@code bridge.reloadInterval}; see {@link LiveReload}).
   *
   * @param source the file and environment {@code config} was loaded from; null: no reload
   */
  public static Bridge start(BridgeConfig config, EmbeddedBroker.Starter devKafka, ConfigSource source)
      throws Exception {
    long startNanos = System.nanoTime();
    Authenticators.check(config.auth()); // a bad password file or key fails before Kafka is touched
    // First, so that a wrong certificate file stops the start before anything else runs.
    ServerTls tls = Startup.tls(config);
    EmbeddedBroker embedded = null;
    String bootstrap = config.kafka().bootstrapServers();
    if (config.kafka().embeddedMode()) {
      if (devKafka == null) {
        throw new ConfigException("kafka.bootstrapServers", "is not set, and this build has no embedded Kafka"
            + " (dev mode): set it to the bootstrap servers of your Kafka");
      }
      KafkaSettings.Embedded e = config.kafka().embedded();
      LOG.info("No kafka.bootstrapServers configured: starting the embedded single-node Kafka (dev mode, data in {})",
          e.dataDir().toAbsolutePath());
      embedded = devKafka.start(e.dataDir(), e.port(), e.controllerPort());
      bootstrap = embedded.bootstrapServers();
    }
    try {
      Map<String, Object> producerProperties = ProducerVerticle.producerProperties(config.bridge().id(),
          config.kafka().producer(), bootstrap);
      AdminClient admin = Startup.kafkaAdmin(config, bootstrap);
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      Startup.Runtime runtime = Startup.vertx(config, registry);
      Bridge bridge = new Bridge(config, embedded, bootstrap, runtime.vertx(), admin, tls, runtime.membership());
      try {
        bridge.deploy(producerProperties, registry);
        bridge.reload.start(source);
      } catch (Exception e) {
        bridge.stop();
        throw e;
      }
      LOG.info("mqtt-kafka-bridge {} started in {} ms: {}, HTTP on {}:{}, Kafka at {}",
          config.bridge().id(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos),
          bridge.describeListeners(), config.http().host(), bridge.httpPort, bootstrap);
      return bridge;
    } catch (Exception e) {
      if (embedded != null) {
        embedded.close();
      }
      throw e;
    }
  }

  private void deploy(Map<String, Object> producerProperties, PrometheusMeterRegistry registry) throws Exception {
    BridgeMetrics metrics = new BridgeMetrics(registry);
    jvmMeters = new JvmMeters(registry);
    reload = new LiveReload(vertx, config, metrics);
    vertx.exceptionHandler(failure -> ConnectionGuard.onUnhandled(failure, metrics));
    metrics.gauge("uplink.inflight.bytes", "Uplink bytes handed to the Kafka producer and not yet acknowledged",
        () -> producerVerticle.sender().inFlightBytes());
    if (config.mappings().uplink().isEmpty()) {
      LOG.warn("No uplink mapping rule: every PUBLISH is refused{}", config.auth().anyMethod()
          ? " (authentication is on and mappings.uplink is not set: default deny)" : "");
    }
    KafkaSettings.Topics topics = config.kafka().topics();
    ProducerVerticle producerVerticle = new ProducerVerticle(producerProperties, config.topicsKnownAtStart());
    producerDeployment = await(vertx.deployVerticle(producerVerticle));
    this.producerVerticle = producerVerticle;
    producerVerticle.bindMetrics(registry);
    KafkaSender sender = producerVerticle.sender();
    String instanceId = config.bridge().id();
    tracing = Tracing.create(config.tracing());
    UplinkPublisher uplink = new UplinkPublisher(new TopicMapper(config.mappings().uplink()), sender,
        config.mappings().unmatched(), topics.deadLetter(), metrics, tracing);
    PresenceWriter presence = new PresenceWriter(sender, topics.subscriptions());
    ReceiptWriter receipts = new ReceiptWriter(sender, topics.receipts(), instanceId, metrics);
    liveSettings = new LiveSettings(config.mqtt(), config.mappings().downlink(),
        reload.authenticator(config.auth()));
    SessionServices services = new SessionServices(instanceId, liveSettings, uplink, presence, receipts, metrics,
        sessions, config.sessions(), new SessionResume(vertx, sender, topics.sessions()), tracing);
    ConnectionLimits connectionLimits = new ConnectionLimits(config.mqtt().limits());
    reload.targets(new LiveReload.Targets(uplink, liveSettings, connectionLimits, sessions));

    ManagementServer management = new ManagementServer(config.http(), registry, this::readiness,
        adminApi(uplink, topics.deadLetter()));
    await(vertx.deployVerticle(management));
    httpPort = management.actualPort();
    dispatcherDeployment = await(vertx.deployVerticle(new DownlinkDispatcher(instanceId, sessions)));
    deployListeners(services, connectionLimits, metrics);
    router = new RouterVerticle(RouterVerticle.consumerProperties(config.kafka().consumer(), bootstrapServers,
        instanceId, membership == null ? null : membership.localId()),
        new RouterVerticle.Topics(topics.subscriptions(), topics.downlink(), topics.sessions(),
            config.mappings().downlink().userProperties()),
        new RouterVerticle.Writers(sender, receipts, presence, metrics),
        new RouterVerticle.Local(instanceId, sessions), new RouterVerticle.Queues(config.sessions().queueMaxMessages(),
            config.sessions().queueMaxBytes(), config.sessions().maxExpiry()), admin);
    routerDeployment = await(vertx.deployVerticle(router));
    if (membership != null) {
      membership.onMemberLeft(router::memberLeft);
      membership.onRejoined(() -> vertx.setTimer(REJOIN_SETTLE_MS, id -> sessions.refreshPresence()));
    }
    instanceAdminDeployment = await(vertx.deployVerticle(new InstanceAdmin(new InstanceAdmin.Local(instanceId,
        startedAt, sessions, router, registry, this::ready))));
    metrics.gauge("router.partitions", "Partitions of the subscription state this instance routes",
        () -> router.partitionsOwned().size());
    metrics.gauge("router.clients", "Connected clients known to this instance's router partitions",
        router::clients);
    metrics.gauge("sessions", "Device sessions on this instance", sessions::size);
    kafkaHealth.start();
  }

  private void deployListeners(SessionServices services, ConnectionLimits connectionLimits, BridgeMetrics metrics)
      throws Exception {
    metrics.gauge("connections.paused", "Connections whose reading is paused (backpressure)",
        connectionLimits::pausedConnections);
    metrics.gauge("handshakes.pending", "Connections accepted and not yet answered with CONNACK "
        + "(mqtt.limits.maxPendingHandshakes)", connectionLimits::pendingHandshakes);
    metrics.counter("accept.pauses", "Times a listener stopped accepting: mqtt.limits.maxPendingHandshakes "
        + "connections were between accept and CONNACK", connectionLimits::acceptPauses);
    int instances = config.mqtt().instances() > 0 ? config.mqtt().instances()
        : Runtime.getRuntime().availableProcessors();
    for (Listener listener : Listener.enabled(config.mqtt())) {
      MqttServerOptions options = listener.options(config.mqtt(), tls);
      List<MqttBridgeVerticle> verticles = new CopyOnWriteArrayList<>();
      mqttDeployments.add(await(vertx.deployVerticle(() -> {
        MqttBridgeVerticle verticle = new MqttBridgeVerticle(new MqttServerOptions(options), services, draining::get,
            connectionLimits);
        verticles.add(verticle);
        return verticle;
      }, new DeploymentOptions().setInstances(instances))));
      listenerPorts.put(listener.transport(), verticles.get(0).actualPort());
    }
    listening = true;
    if (tls != null) {
      tlsReloaderDeployment = await(vertx.deployVerticle(tls.reloader()));
      metrics.gauge("tls.certificate.expiry.seconds", "When the served TLS certificate expires (Unix time)",
          () -> tls.current().certificate().getNotAfter().getTime() / 1000);
    }
  }

  /** The admin API and console when {@code http.admin.enabled}, else null. */
  private AdminApi adminApi(UplinkPublisher uplink, String deadLetterTopic) throws ConfigException {
    if (!config.http().admin().enabled()) {
      return null;
    }
    adminGuard = AdminGuard.create(config.http().admin());
    String instanceId = config.bridge().id();
    LOG.info("Admin API and console on the management port (/admin/v1, /admin/console/)");
    return new AdminApi(new AdminApi.Parts(instanceId,
        membership == null ? () -> List.of(instanceId) : membership::instanceIds, uplink, liveSettings,
        deadLetterTopic, adminGuard));
  }

  private Map<String, Boolean> readiness() {
    Map<String, Boolean> checks = new LinkedHashMap<>();
    checks.put("mqtt", !draining.get() && listening);
    checks.put("kafka", kafkaHealth.reachable());
    checks.put("router", router != null && router.ready());
    return checks;
  }

  /** The plain MQTT listener's port; -1 when it is off. */
  public int mqttPort() {
    return port(Transport.PLAIN);
  }

  /** The port a listener is bound to; -1 when it is off. */
  public int port(Transport transport) {
    return listenerPorts.getOrDefault(transport, -1);
  }

  /** "MQTT on 0.0.0.0:1883, MQTT over TLS on 0.0.0.0:8883" */
  private String describeListeners() {
    return listenerPorts.entrySet().stream()
        .map(e -> e.getKey().title() + " on " + config.mqtt().host() + ":" + e.getValue()
            + (e.getKey().webSocket() ? config.mqtt().websocket().path() : ""))
        .collect(Collectors.joining(", "));
  }

  public int httpPort() {
    return httpPort;
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The configuration in force: the one it started with, and the changes a reload applied since. */
  public BridgeConfig config() {
    return reload == null ? config : reload.running();
  }

  /** The router partitions this instance owns now. */
  public Set<Integer> routerPartitions() {
    return router == null ? Set.of() : router.partitionsOwned();
  }

  /** True when MQTT listens, Kafka answers and every owned router partition is rebuilt. */
  public boolean ready() {
    return readiness().values().stream().allMatch(Boolean::booleanValue);
  }

  public SessionRegistry sessions() {
    return sessions;
  }

  /**
   * Stops in the order that loses nothing: refuse new connections, close the open ones (MQTT 5:
   * DISCONNECT 0x8B), stop the listeners, flush and close the producer, then Vert.x and the
   * embedded broker. Blocks the calling thread.
   */
  public void stop() {
    if (!draining.compareAndSet(false, true)) {
      return;
    }
    LOG.info("Stopping: readiness is down");
    try {
      kafkaHealth.stop();
      if (reload != null) {
        reload.close();
      }
      undeploy(instanceAdminDeployment);
      // Leave the router group first, so that other instances take its partitions over while this
      // one still delivers to its devices.
      undeploy(routerDeployment);
      Startup.drain(sessions, config().shutdown().drainPeriod());
      undeploy(tlsReloaderDeployment);
      for (String deployment : mqttDeployments) {
        undeploy(deployment);
      }
      if (liveSettings != null && liveSettings.current().authenticator() != null) {
        liveSettings.current().authenticator().close();
      }
      if (adminGuard != null) {
        adminGuard.close(vertx);
      }
      undeploy(dispatcherDeployment);
      undeploy(producerDeployment);
      await(vertx.close());
    } catch (Exception e) {
      LOG.warn("Unclean stop: {}", e.toString());
    } finally {
      admin.close(Duration.ofSeconds(5));
      if (jvmMeters != null) {
        jvmMeters.close();
      }
      if (tracing != null) {
        tracing.close();
      }
      if (embeddedKafka != null) {
        embeddedKafka.close();
      }
    }
    LOG.info("Stopped");
  }

  private void undeploy(String deployment) throws Exception {
    if (deployment != null) {
      await(vertx.undeploy(deployment));
    }
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }
}
