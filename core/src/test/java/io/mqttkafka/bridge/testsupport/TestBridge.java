package io.mqttkafka.bridge.testsupport;

import io.mqttkafka.bridge.testkit.TestKafka;
import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.ConfigSource;
import io.mqttkafka.bridge.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Starts a bridge in the test JVM against {@link TestKafka}, on free ports, with extra YAML. Each
 * bridge gets its own internal topics and router group ({@link #isolated()}) unless several are
 * meant to form one deployment: then they share one such map.
 */
public final class TestBridge {

  private TestBridge() {
  }

  /** Environment entries for one deployment: unique internal topics and router group. */
  public static Map<String, String> isolated() {
    String ns = TestKafka.uniqueTopic("ns");
    Map<String, String> env = new HashMap<>();
    env.put("MQTT_BRIDGE_KAFKA_TOPICS_SUBSCRIPTIONS", ns + ".subscriptions");
    env.put("MQTT_BRIDGE_KAFKA_TOPICS_DOWNLINK", ns + ".downlink");
    env.put("MQTT_BRIDGE_KAFKA_TOPICS_RECEIPTS", ns + ".receipts");
    env.put("MQTT_BRIDGE_KAFKA_TOPICS_DEAD_LETTER", ns + ".deadletter");
    env.put("MQTT_BRIDGE_KAFKA_TOPICS_SESSIONS", ns + ".sessions");
    env.put("MQTT_BRIDGE_KAFKA_CONSUMER_GROUP_ID", ns + ".router");
    return env;
  }

  /** A bridge with the given YAML (may be empty) on top of the defaults; MQTT and HTTP on free ports. */
  public static Bridge start(String yaml) throws Exception {
    return start(yaml, isolated(), TestKafka.bootstrapServers());
  }

  public static Bridge start(String yaml, String bootstrapServers) throws Exception {
    return start(yaml, isolated(), bootstrapServers);
  }

  public static Bridge start(String yaml, Map<String, String> deployment) throws Exception {
    return start(yaml, deployment, TestKafka.bootstrapServers());
  }

  /** {@code deployment} may also fix the plain MQTT port (MQTT_BRIDGE_MQTT_PORT); it is free otherwise. */
  public static Bridge start(String yaml, Map<String, String> deployment, String bootstrapServers) throws Exception {
    Path file = Files.createTempFile("bridge", ".yaml");
    try {
      Files.writeString(file, yaml);
      return Bridge.start(ConfigLoader.load(file, env(deployment, bootstrapServers)));
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /**
   * A bridge whose configuration is {@code file}, which it keeps reading while it runs
   * ({@code bridge.reloadInterval}, which the file should set short); the caller changes and deletes it.
   */
  public static Bridge startWatching(Path file) throws Exception {
    Map<String, String> env = env(isolated(), TestKafka.bootstrapServers());
    return Bridge.start(ConfigLoader.load(file, env), null, new ConfigSource(file, env));
  }

  private static Map<String, String> env(Map<String, String> deployment, String bootstrapServers) {
    Map<String, String> env = new HashMap<>(deployment);
    env.put("MQTT_BRIDGE_KAFKA_BOOTSTRAP_SERVERS", bootstrapServers);
    env.putIfAbsent("MQTT_BRIDGE_MQTT_PORT", "0");
    env.put("MQTT_BRIDGE_HTTP_PORT", "0");
    env.put("MQTT_BRIDGE_HTTP_HOST", "127.0.0.1");
    env.put("MQTT_BRIDGE_MQTT_HOST", "127.0.0.1");
    env.put("MQTT_BRIDGE_MQTT_INSTANCES", "2");
    env.putIfAbsent("MQTT_BRIDGE_KAFKA_INTERNAL_TOPICS_PARTITIONS", "3");
    env.putIfAbsent("MQTT_BRIDGE_SHUTDOWN_DRAIN_PERIOD", "0s");
    return env;
  }

  /** The downlink topic of a deployment map from {@link #isolated()}. */
  public static String downlinkTopic(Map<String, String> deployment) {
    return deployment.get("MQTT_BRIDGE_KAFKA_TOPICS_DOWNLINK");
  }

  public static String receiptsTopic(Map<String, String> deployment) {
    return deployment.get("MQTT_BRIDGE_KAFKA_TOPICS_RECEIPTS");
  }

  public static String subscriptionsTopic(Map<String, String> deployment) {
    return deployment.get("MQTT_BRIDGE_KAFKA_TOPICS_SUBSCRIPTIONS");
  }
}
