package io.mqttkafka.bridge.config;

import static io.mqttkafka.bridge.config.ConfigValue.at;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The {@code kafka} section. {@code producer} and {@code consumer} are Kafka client properties, passed
 * through as-is; each already holds {@code kafka.common} (settings such as security that every client
 * needs), which its own entries override. The admin client takes the producer's properties that it knows.
 */
public record KafkaSettings(String bootstrapServers, Map<String, String> producer, Map<String, String> consumer,
                            Topics topics, InternalTopicLayout internalTopics, Embedded embedded) {

  private static final Pattern SECRET = Pattern.compile("password|secret|jaas|token", Pattern.CASE_INSENSITIVE);

  public KafkaSettings {
    producer = Map.copyOf(producer);
    consumer = Map.copyOf(consumer);
  }

  /**
   * The bridge's own topics: subscription state, downlink commands, receipts, dead letters, and the
   * downlink records kept for clients that cannot take them yet.
   */
  public record Topics(String subscriptions, String downlink, String receipts, String deadLetter, String sessions) {

    /** The topics the bridge itself writes to, apart from the uplink rules' topics. */
    public List<String> written() {
      return List.of(deadLetter, subscriptions, receipts, sessions);
    }
  }

  /**
   * How the internal topics (subscriptions, downlink, receipts) are created when missing.
   * {@code replicationFactor} -1 = the broker's default.
   */
  public record InternalTopicLayout(int partitions, short replicationFactor) {}

  /** The embedded single-node Kafka of dev mode. */
  public record Embedded(Path dataDir, int port, int controllerPort) {}

  /** No bootstrap servers configured: run the embedded single-node Kafka (dev mode). */
  public boolean embeddedMode() {
    return bootstrapServers.isBlank();
  }

  /** Masks secrets, so that logging this record (or the whole configuration) is safe. */
  @Override
  public String toString() {
    return "Kafka[" + (embeddedMode() ? "embedded " + embedded : "bootstrapServers=" + bootstrapServers)
        + ", producer=" + masked(producer) + ", consumer=" + masked(consumer) + ", " + topics + ", "
        + internalTopics + "]";
  }

  /** Reads and validates {@code kafka.*} from a tree that holds every key of the defaults. */
  static KafkaSettings parse(JsonNode t) throws ConfigException {
    Map<String, String> common = at(t, "kafka.common").stringMap();
    return new KafkaSettings(at(t, "kafka.bootstrapServers").string(),
        overlay(common, at(t, "kafka.producer").stringMap()), overlay(common, at(t, "kafka.consumer").stringMap()),
        new Topics(topicName(at(t, "kafka.topics.subscriptions")), topicName(at(t, "kafka.topics.downlink")),
            topicName(at(t, "kafka.topics.receipts")), topicName(at(t, "kafka.topics.deadLetter")),
            topicName(at(t, "kafka.topics.sessions"))),
        new InternalTopicLayout(at(t, "kafka.internalTopics.partitions").integer(1, Integer.MAX_VALUE),
            replicationFactor(at(t, "kafka.internalTopics.replicationFactor"))),
        new Embedded(at(t, "kafka.embedded.dataDir").path(), at(t, "kafka.embedded.port").integer(0, 65535),
            at(t, "kafka.embedded.controllerPort").integer(0, 65535)));
  }

  /** {@code base}, then {@code own} over it. */
  private static Map<String, String> overlay(Map<String, String> base, Map<String, String> own) {
    Map<String, String> merged = new LinkedHashMap<>(base);
    merged.putAll(own);
    return merged;
  }

  private static String topicName(ConfigValue v) throws ConfigException {
    String topic = v.string();
    if (!UplinkRule.isValidKafkaTopic(topic)) {
      throw v.wrong("must be a Kafka topic name: 1 to 249 letters, digits, '.', '_' or '-'");
    }
    return topic;
  }

  private static short replicationFactor(ConfigValue v) throws ConfigException {
    String expected = "must be -1 (the broker's default) or an integer between 1 and " + Short.MAX_VALUE;
    int factor = v.integer(-1, Short.MAX_VALUE, expected);
    if (factor == 0) {
      throw v.wrong(expected);
    }
    return (short) factor;
  }

  private static Map<String, String> masked(Map<String, String> properties) {
    Map<String, String> shown = new TreeMap<>();
    properties.forEach((name, value) -> shown.put(name, SECRET.matcher(name).find() ? "****" : value));
    return shown;
  }
}
