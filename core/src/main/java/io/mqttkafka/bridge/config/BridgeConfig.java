package io.mqttkafka.bridge.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The bridge configuration: immutable and validated, built once at start-up by {@link ConfigLoader}
 * and handed to verticles through their constructors. One record per section, each the only home of
 * its validation; the defaults are in {@link Defaults}.
 */
public record BridgeConfig(InstanceSettings bridge, MqttSettings mqtt, HttpSettings http, KafkaSettings kafka,
                           MappingSettings mappings, ClusterSettings cluster, LoggingSettings logging,
                           ShutdownSettings shutdown, AuthSettings auth, SessionSettings sessions) {

  /** The configuration with nothing overridden. */
  public static BridgeConfig defaults() {
    try {
      return ConfigLoader.load(null, Map.of());
    } catch (ConfigException e) {
      throw new IllegalStateException("the built-in defaults are invalid: " + e.getMessage(), e);
    }
  }

  /** A summary for the start-up log, one line per section ("Mqtt[host=..., ...]"); secrets masked. */
  public String describe() {
    return String.join("\n", section("Bridge", bridge), section("Mqtt", mqtt), section("Http", http),
        section("Kafka", kafka), section("Mappings", mappings), section("Cluster", cluster),
        section("Logging", logging), section("Shutdown", shutdown), section("Auth", auth),
        section("Sessions", sessions));
  }

  /** The record's own text, titled by its section rather than its type. */
  private static String section(String title, Record settings) {
    String text = settings.toString();
    int fields = text.indexOf('[');
    return fields < 0 ? title + "[" + text + "]" : title + text.substring(fields);
  }

  /**
   * The Kafka topics the bridge writes to whose names are known before any message: the uplink rules'
   * constant topics, the dead-letter, subscriptions and receipts topics. Sorted.
   */
  public Set<String> topicsKnownAtStart() {
    Set<String> topics = new TreeSet<>(mappings.constantUplinkTopics());
    topics.addAll(kafka.topics().written());
    return topics;
  }

  /**
   * Builds and validates the configuration from a tree that holds every key of {@link Defaults#YAML};
   * the first wrong key fails it.
   */
  static BridgeConfig parse(JsonNode t) throws ConfigException {
    MqttSettings mqtt = MqttSettings.parse(t);
    AuthSettings auth = AuthSettings.parse(t, mqtt);
    KafkaSettings kafka = KafkaSettings.parse(t);
    return new BridgeConfig(InstanceSettings.parse(t), mqtt, HttpSettings.parse(t), kafka,
        MappingSettings.parse(t, auth), ClusterSettings.parse(t), LoggingSettings.parse(t),
        ShutdownSettings.parse(t), auth, SessionSettings.parse(t));
  }
}
