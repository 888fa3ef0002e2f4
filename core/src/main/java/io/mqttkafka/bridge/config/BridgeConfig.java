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
                           ShutdownSettings shutdown, AuthSettings auth, SessionSettings sessions,
                           TracingSettings tracing) {

  /** The configuration with nothing overridden. */
  public static BridgeConfig defaults() {
    try {
      return ConfigLoader.load(null, Map.of());
    } catch (ConfigException e) {
      throw new IllegalStateException("the built-in defaults are invalid: " + e.getMessage(), e);
    }
  }

  /**
   * This running configuration with what a reload applies taken from {@code next} (the keys of
   * {@link ConfigChange#LIVE}); everything else stays as it is, the instance id included (an empty
   * {@code bridge.id} is given a new random suffix at each validation).
   */
  public BridgeConfig withLiveSettingsOf(BridgeConfig next) {
    MqttSettings m = mqtt;
    MqttSettings n = next.mqtt;
    MqttSettings liveMqtt = new MqttSettings(m.host(), m.port(), m.maxMessageSize(), m.connectTimeout(),
        n.maxClientIdLength(), n.clientIdPattern(), n.receiveMaximum(), n.topicAliasMaximum(), m.instances(),
        m.plainEnabled(), m.tls(), m.websocket(), n.limits());
    LoggingSettings liveLogging = new LoggingSettings(logging.json(), next.logging.level(), next.logging.levels());
    return new BridgeConfig(bridge, liveMqtt, http, kafka, next.mappings, cluster, liveLogging, next.shutdown,
        next.auth, sessions, tracing);
  }

  /** A summary for the start-up log, one line per section ("Mqtt[host=..., ...]"); secrets masked. */
  public String describe() {
    return String.join("\n", section("Bridge", bridge), section("Mqtt", mqtt), section("Http", http),
        section("Kafka", kafka), section("Mappings", mappings), section("Cluster", cluster),
        section("Logging", logging), section("Shutdown", shutdown), section("Auth", auth),
        section("Sessions", sessions), section("Tracing", tracing));
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
        ShutdownSettings.parse(t), auth, SessionSettings.parse(t), TracingSettings.parse(t));
  }
}
