package io.mqttkafka.bridge.devkafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka (KRaft, combined broker and controller) running inside this JVM, bound to
 * 127.0.0.1. It is the dev-mode broker ({@code java -jar} with no {@code kafka.bootstrapServers})
 * and the broker of every integration test.
 *
 * <p>Kafka's files live in {@code <dataDir>/kafka}. The directory is formatted (a fresh cluster id)
 * only when it holds no {@code meta.properties} yet, so topics and records survive a restart on the
 * same directory. Kafka locks the directory: two live brokers cannot share it.
 *
 * <p>The quorum is static ({@code controller.quorum.voters}): the controller address lives in the
 * configuration, not in the metadata log, so the controller port may differ from one start to the
 * next; only the client port needs to stay the same for clients to reconnect after a restart.
 *
 * <p>The settings keep the broker light (a few threads, small internal topics, an 8 MiB instead of
 * 128 MiB log-cleaner buffer) and make a single node complete: replication factor and min ISR 1 for
 * every internal topic, so idempotent and transactional producers and consumer groups work.
 *
 * <p>With overrides and a shared cluster id ({@link #start(Path, int, int, Map, String)}) it is one node
 * of a cluster of several instead: the replicated Kafka of the fault tests.
 *
 * <p>Kafka's threads are not daemon threads: until {@link #close()} runs, the JVM does not exit on
 * its own when {@code main} returns or throws. Close it from the shutdown hook.
 *
 * <p>Nothing here changes logging configuration: Kafka logs a lot at INFO under {@code kafka} and
 * {@code org.apache.kafka}; the application's logback configuration decides what is shown.
 */
public final class EmbeddedKafka implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

  private static final String HOST = "127.0.0.1";
  private static final int NODE_ID = 1;
  private static final String CONTROLLER_LISTENER = "CONTROLLER";
  private static final String LOG_DIR_NAME = "kafka";
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  private final KafkaRaftServer server;
  private final Path dataDir;
  private final int port;
  private final int nodeId;
  private final AtomicBoolean closed = new AtomicBoolean();

  private EmbeddedKafka(KafkaRaftServer server, Path dataDir, int port, int nodeId) {
    this.server = server;
    this.dataDir = dataDir;
    this.port = port;
    this.nodeId = nodeId;
  }

  /**
   * Starts a combined broker and controller node on 127.0.0.1 and returns once a client can
   * produce and consume.
   *
   * @param dataDir        Kafka's data lives in {@code dataDir/kafka}; created if missing
   * @param port           client (PLAINTEXT) port; 0 picks a free one
   * @param controllerPort KRaft controller port; 0 picks a free one
   * @throws IllegalStateException when the broker cannot be formatted, started or reached in time
   */
  public static EmbeddedKafka start(Path dataDir, int port, int controllerPort) {
    return start(dataDir, port, controllerPort, Map.of());
  }

  /**
   * {@link #start(Path, int, int)} with broker properties set over the built-in ones, such as an
   * extra SASL listener and an authorizer (tests of the bridge's Kafka credentials and ACLs). The
   * PLAINTEXT listener on {@code port} must stay: readiness is checked through it.
   */
  public static EmbeddedKafka start(Path dataDir, int port, int controllerPort, Map<String, String> overrides) {
    return start(dataDir, port, controllerPort, overrides, null);
  }

  /**
   * {@link #start(Path, int, int, Map)} as one node of a cluster of several: the overrides then set
   * the node's {@code node.id}, {@code controller.quorum.voters} and listeners, and every node is
   * formatted with the same {@code clusterId}. Readiness waits for this node's {@code node.id}; a
   * node of a quorum of three is ready only once a second one runs, so start them together.
   *
   * @param clusterId the cluster id a new directory is formatted with; null for a random one
   */
  public static EmbeddedKafka start(Path dataDir, int port, int controllerPort, Map<String, String> overrides,
                                    String clusterId) {
    long startNanos = System.nanoTime();
    Path absDataDir = dataDir.toAbsolutePath().normalize();
    Path logDir = absDataDir.resolve(LOG_DIR_NAME);
    int clientPort = port == 0 ? freePort() : port;
    int quorumPort = controllerPort == 0 ? freePort(clientPort) : controllerPort;

    Properties properties = brokerProperties(logDir, clientPort, quorumPort);
    properties.putAll(overrides);
    KafkaConfig config = KafkaConfig.fromProps(properties, false);
    boolean formatted = formatIfNeeded(config, logDir, clusterId == null ? Uuid.randomUuid().toString() : clusterId);

    KafkaRaftServer server;
    try {
      server = new KafkaRaftServer(config, Time.SYSTEM);
    } catch (RuntimeException e) {
      throw new IllegalStateException("Embedded Kafka: cannot open " + logDir + ": " + e.getMessage(), e);
    }
    EmbeddedKafka kafka = new EmbeddedKafka(server, absDataDir, clientPort, config.nodeId());
    try {
      server.startup();
      kafka.awaitReady(startNanos);
    } catch (RuntimeException e) {
      kafka.close();
      throw new IllegalStateException("Embedded Kafka failed to start on " + HOST + ":" + clientPort
          + " (controller " + HOST + ":" + quorumPort + ", data " + logDir + "): " + e.getMessage(), e);
    }
    LOG.info("Embedded Kafka ready on {} in {} ms (data {}{})", kafka.bootstrapServers(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos), logDir,
        formatted ? ", newly formatted" : "");
    return kafka;
  }

  /** The client address, {@code 127.0.0.1:<port>}. */
  public String bootstrapServers() {
    return HOST + ":" + port;
  }

  /** The client (PLAINTEXT) port, also when 0 was asked for. */
  public int port() {
    return port;
  }

  /** The directory given to {@link #start}; Kafka's files are in its {@code kafka} subdirectory. */
  public Path dataDir() {
    return dataDir;
  }

  /** Stops the broker and controller and waits until they are down. Calling it again does nothing. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    long startNanos = System.nanoTime();
    try {
      server.shutdown();
      server.awaitShutdown();
    } catch (RuntimeException e) {
      LOG.warn("Embedded Kafka on {} did not shut down cleanly", bootstrapServers(), e);
      return;
    }
    LOG.info("Embedded Kafka on {} stopped in {} ms", bootstrapServers(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
  }

  private static Properties brokerProperties(Path logDir, int clientPort, int controllerPort) {
    Properties p = new Properties();
    // Identity and listeners: one node that is both broker and the only controller voter.
    p.put("node.id", String.valueOf(NODE_ID));
    p.put("process.roles", "broker,controller");
    p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
    p.put("controller.listener.names", CONTROLLER_LISTENER);
    p.put("listeners", "PLAINTEXT://" + HOST + ":" + clientPort + "," + CONTROLLER_LISTENER + "://" + HOST + ":" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + clientPort);
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("log.dirs", logDir.toString());

    // A single node must be able to satisfy every replication requirement on its own.
    p.put("default.replication.factor", "1");
    p.put("min.insync.replicas", "1");
    p.put("offsets.topic.replication.factor", "1");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    // Internal topics default to 50 partitions each: slow to create and pointless on one node.
    p.put("offsets.topic.num.partitions", "1");
    p.put("transaction.state.log.num.partitions", "1");
    p.put("share.coordinator.state.topic.num.partitions", "1");

    p.put("auto.create.topics.enable", "true");
    p.put("num.partitions", "1");
    // Tests and dev mode must not wait for the 3 s "more members may join" delay.
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("group.streams.initial.rebalance.delay.ms", "0");

    // Keep the broker light: two cores are shared with the bridge and the tests.
    p.put("num.network.threads", "2");
    p.put("num.io.threads", "2");
    p.put("background.threads", "2");
    p.put("num.recovery.threads.per.data.dir", "1");
    p.put("num.replica.fetchers", "1");
    p.put("group.coordinator.threads", "1");
    p.put("share.coordinator.threads", "1");
    p.put("log.cleaner.threads", "1");
    // The compaction dedupe buffer is allocated up front (default 128 MiB of heap).
    p.put("log.cleaner.dedupe.buffer.size", String.valueOf(8 * 1024 * 1024));
    return p;
  }

  /** Formats logDir unless it already holds meta.properties; returns whether it formatted. */
  private static boolean formatIfNeeded(KafkaConfig config, Path logDir, String clusterId) {
    if (Files.exists(logDir.resolve("meta.properties"))) {
      return false;
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
      Files.createDirectories(logDir);
      new Formatter()
          .setPrintStream(out)
          .setNodeId(config.nodeId())
          .setClusterId(clusterId)
          .setControllerListenerName(CONTROLLER_LISTENER)
          .setMetadataLogDirectory(config.metadataLogDir())
          .addDirectory(logDir.toString())
          .run();
    } catch (Exception e) {
      throw new IllegalStateException("Embedded Kafka: cannot format " + logDir + ": " + e.getMessage(), e);
    }
    LOG.debug("Formatted {}: {}", logDir, output.toString(StandardCharsets.UTF_8).trim());
    return true;
  }

  /** Waits until this broker is registered and unfenced, i.e. listed by describeCluster. */
  private void awaitReady(long startNanos) {
    long deadline = startNanos + READY_TIMEOUT.toNanos();
    Map<String, Object> adminConfig = Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000,
        AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, 50);
    Exception last = null;
    try (Admin admin = Admin.create(adminConfig)) {
      while (System.nanoTime() < deadline) {
        try {
          var nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs(5_000)).nodes().get(6, TimeUnit.SECONDS);
          if (nodes.stream().map(Node::id).anyMatch(id -> id == nodeId)) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          last = e;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for the broker", e);
        }
        sleep(50);
      }
    }
    throw new IllegalStateException("broker not registered after " + READY_TIMEOUT.toSeconds() + " s"
        + (last == null ? "" : "; last error: " + last.getMessage()), last);
  }

  private static int freePort(int... exclude) {
    while (true) {
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
        int candidate = socket.getLocalPort();
        if (exclude.length == 0 || candidate != exclude[0]) {
          return candidate;
        }
      } catch (IOException e) {
        throw new UncheckedIOException("Embedded Kafka: cannot find a free port on " + HOST, e);
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the broker", e);
    }
  }
}
