package io.mqttkafka.bridge.process;

import io.mqttkafka.bridge.testkit.ChildProcess;
import io.mqttkafka.bridge.testkit.Metrics;
import io.mqttkafka.bridge.testsupport.TestCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The built jar ({@code bridge.jar}, as failsafe passes it) running as its own process, exactly as
 * operators run it: {@code java -jar mqtt-kafka-bridge.jar --config FILE} plus MQTT_BRIDGE_* variables.
 * Killable with SIGKILL, stoppable with SIGTERM (the drain), restartable on the same ports.
 */
public final class BridgeProcess implements AutoCloseable {

  private static final Pattern STARTED = Pattern.compile(
      "mqtt-kafka-bridge (\\S+) started in \\d+ ms: MQTT on [^:]+:(\\d+), HTTP on [^:]+:(\\d+)");
  private static final long START_TIMEOUT_MS = 120_000;

  private final ChildProcess process;
  private final String id;
  private final String host;
  private final int mqttPort;
  private final int httpPort;

  /**
   * Where a bridge runs: the address its MQTT, HTTP and cluster listeners bind, and the command that
   * runs its JVM there ({@code ip netns exec NS} for a {@link io.mqttkafka.bridge.testkit.NetLab} node).
   */
  public record Placement(String host, List<String> launcher) {
    public static final Placement LOOPBACK = new Placement("127.0.0.1", List.of());
  }

  private BridgeProcess(ChildProcess process, String id, String host, int mqttPort, int httpPort) {
    this.process = process;
    this.id = id;
    this.host = host;
    this.mqttPort = mqttPort;
    this.httpPort = httpPort;
  }

  /**
   * Starts the jar and returns once it printed its start-up line.
   *
   * @param name  names the log file (target/reliability-logs) and, unless env sets one, the bridge id
   * @param yaml  the configuration file's content
   * @param env   MQTT_BRIDGE_* variables (ports: 0 picks free ones)
   * @param heap  the -Xmx value, e.g. "256m"
   */
  public static BridgeProcess start(String name, String yaml, Map<String, String> env, String heap) {
    return start(name, yaml, env, heap, Placement.LOOPBACK);
  }

  /** As {@link #start(String, String, Map, String)}, at {@code placement}. */
  public static BridgeProcess start(String name, String yaml, Map<String, String> env, String heap,
                                    Placement placement) {
    Path jar = Path.of(System.getProperty("bridge.jar", "target/mqtt-kafka-bridge.jar")).toAbsolutePath();
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: run mvn package first");
    }
    Path config;
    try {
      config = Files.createTempFile("bridge-" + name, ".yaml");
      Files.writeString(config, yaml);
      config.toFile().deleteOnExit();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> environment = new HashMap<>(env);
    environment.putIfAbsent("MQTT_BRIDGE_BRIDGE_ID", name);
    environment.putIfAbsent("MQTT_BRIDGE_MQTT_HOST", placement.host());
    environment.putIfAbsent("MQTT_BRIDGE_HTTP_HOST", placement.host());
    environment.putIfAbsent("MQTT_BRIDGE_MQTT_PORT", "0");
    environment.putIfAbsent("MQTT_BRIDGE_HTTP_PORT", "0");
    environment.putIfAbsent("MQTT_BRIDGE_MQTT_INSTANCES", "2");
    environment.putIfAbsent("MQTT_BRIDGE_KAFKA_INTERNAL_TOPICS_PARTITIONS", String.valueOf(TestCluster.PARTITIONS));
    environment.putIfAbsent("MQTT_BRIDGE_SHUTDOWN_DRAIN_PERIOD", "0s");
    // Serial GC and C1 only: two cores are shared by the broker, several bridges and the test clients.
    ChildProcess process = ChildProcess.start(name, placement.launcher(), List.of("-Xmx" + heap, "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1", "-jar", jar.toString(), "--config", config.toString()), environment);
    String line;
    try {
      line = process.awaitLine(l -> STARTED.matcher(l).find(), START_TIMEOUT_MS);
    } catch (RuntimeException e) {
      process.kill();
      throw e;
    }
    Matcher m = STARTED.matcher(line);
    m.find();
    return new BridgeProcess(process, m.group(1), placement.host(), Integer.parseInt(m.group(2)),
        Integer.parseInt(m.group(3)));
  }

  public String id() {
    return id;
  }

  /** The address it listens on. */
  public String host() {
    return host;
  }

  public int mqttPort() {
    return mqttPort;
  }

  public int httpPort() {
    return httpPort;
  }

  public long pid() {
    return process.pid();
  }

  public boolean alive() {
    return process.alive();
  }

  /** SIGKILL: no drain, no flush, no leaving the cluster or the consumer group. */
  public void kill() {
    process.kill();
  }

  /** SIGTERM: the drain; returns the exit status (0 expected), -1 when it had to be killed. */
  public int stop() {
    return process.terminate(90);
  }

  /** True when /health/ready answers 200. */
  public boolean ready() {
    try {
      return Metrics.get(host, httpPort, "/health/ready").statusCode() == 200;
    } catch (Exception e) {
      return false;
    }
  }

  /** One sample of /metrics (see {@link Metrics#value}); NaN when the bridge does not answer. */
  public double metric(String name, String labels) {
    try {
      return Metrics.value(Metrics.scrape(host, httpPort), name, labels);
    } catch (Exception e) {
      return Double.NaN;
    }
  }

  public Path log() {
    return process.log();
  }

  @Override
  public void close() {
    if (process.alive()) {
      process.kill();
    }
  }
}
