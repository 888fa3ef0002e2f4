package io.mqttkafka.bridge.testkit;

import io.mqttkafka.bridge.devkafka.EmbeddedKafka;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * A single-node Kafka broker ({@link EmbeddedKafka}) in its own JVM, started with the test class
 * path: a broker that can really be killed, stopped and restarted on the same port and data.
 * {@link #main} is that JVM; the rest of the class controls it from the test.
 */
public final class KafkaProcess implements AutoCloseable {

  private static final String READY = "KAFKA-PROCESS READY ";
  private static final long START_TIMEOUT_MS = 120_000;

  private final Path dataDir;
  private final int port;
  private ChildProcess process;

  private KafkaProcess(Path dataDir, int port) {
    this.dataDir = dataDir;
    this.port = port;
  }

  /** {@code KafkaProcess DATA_DIR PORT}: runs the broker until SIGTERM (clean stop) or SIGKILL. */
  public static void main(String[] args) {
    EmbeddedKafka kafka = EmbeddedKafka.start(Path.of(args[0]), Integer.parseInt(args[1]), 0);
    Runtime.getRuntime().addShutdownHook(new Thread(kafka::close, "kafka-stop"));
    System.out.println(READY + kafka.bootstrapServers());
    System.out.flush();
    // Kafka's threads are not daemon threads: the JVM lives on after main returns.
  }

  /** Starts a broker on a free port, which it keeps across restarts. */
  public static KafkaProcess start(Path dataDir) {
    return start(dataDir, freePort());
  }

  /** Starts a broker on {@code port} (fixed, so that it can come back on the same address). */
  public static KafkaProcess start(Path dataDir, int port) {
    KafkaProcess kafka = new KafkaProcess(dataDir, port);
    kafka.startProcess();
    return kafka;
  }

  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  /** SIGKILL: the broker crashes; its data stays in the directory (and the page cache). */
  public void kill() {
    process.kill();
  }

  /** SIGTERM: a clean broker shutdown. */
  public void stop() {
    process.terminate(60);
  }

  /** Starts the broker again on the same port and data directory; returns once it serves clients. */
  public void restart() {
    startProcess();
  }

  /** Creates a topic (replication factor 1) and waits until its partitions have leaders. */
  public void createTopic(String name, int partitions) throws Exception {
    try (Admin admin = Admin.create(Map.<String, Object>of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (int p = 0; p < partitions; p++) {
        latest.put(new TopicPartition(name, p), OffsetSpec.latest());
      }
      admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS);
    }
  }

  public boolean alive() {
    return process != null && process.alive();
  }

  private void startProcess() {
    process = ChildProcess.start("kafka-" + port, List.of("-Xmx512m", "-XX:+UseSerialGC",
        "-cp", System.getProperty("java.class.path"), KafkaProcess.class.getName(), dataDir.toString(),
        Integer.toString(port)), Map.of());
    try {
      process.awaitLine(l -> l.startsWith(READY), START_TIMEOUT_MS);
    } catch (RuntimeException e) {
      process.kill();
      throw e;
    }
  }

  @Override
  public void close() {
    if (alive()) {
      process.kill();
    }
  }

  /** A port free on loopback now. */
  public static int freePort() {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
