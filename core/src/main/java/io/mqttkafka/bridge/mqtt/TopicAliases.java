package io.mqttkafka.bridge.mqtt;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;

/**
 * The MQTT 5 Topic Aliases a client set on one connection (uplink only: the bridge sets none towards
 * devices). A PUBLISH with a topic and an alias sets the alias; one with an empty topic and an alias
 * means the alias's topic. Every alias from 1 to the {@code maximum} CONNACK advertised
 * ({@code mqtt.topicAliasMaximum}) is accepted [MQTT-3.3.2-12]; the table is made on the first alias and
 * lives as long as the connection, never carried to another [MQTT-3.3.2-7]. Event loop only.
 */
final class TopicAliases {

  private final int maximum;
  /** The topic of alias {@code a} at {@code a - 1}; null until the client sets one. */
  private String[] topics;
  private MqttDisconnectReasonCode violation;

  /** @param maximum the Topic Alias Maximum of CONNACK (0: the client may set none) */
  TopicAliases(int maximum) {
    this.maximum = maximum;
  }

  /**
   * The topic of a PUBLISH: its own, or its alias's. Null when the PUBLISH breaks the rules; then
   * {@link #violation} says how to close.
   *
   * @param topic      the PUBLISH's topic name, empty when it carries only an alias
   * @param properties its properties
   */
  String resolve(String topic, MqttProperties properties) {
    MqttProperties.MqttProperty<?> property = properties.getProperty(MqttProperties.TOPIC_ALIAS);
    if (property == null) {
      // An empty topic name without an alias: a Protocol Error, closed as an invalid alias.
      return topic.isEmpty() ? fail(MqttDisconnectReasonCode.TOPIC_ALIAS_INVALID) : topic;
    }
    int alias = (Integer) property.value();
    if (alias == 0 || alias > maximum) {
      // [MQTT-3.3.2-8] alias 0; [MQTT-3.3.2-9] above the Topic Alias Maximum of CONNACK.
      return fail(MqttDisconnectReasonCode.TOPIC_ALIAS_INVALID);
    }
    if (!topic.isEmpty()) {
      if (topics == null) {
        topics = new String[maximum];
      }
      topics[alias - 1] = topic;
      return topic;
    }
    String known = topics == null ? null : topics[alias - 1];
    // An alias the client never set: a Protocol Error.
    return known != null ? known : fail(MqttDisconnectReasonCode.PROTOCOL_ERROR);
  }

  /** How to close after {@link #resolve} returned null. */
  MqttDisconnectReasonCode violation() {
    return violation;
  }

  private String fail(MqttDisconnectReasonCode code) {
    violation = code;
    return null;
  }
}
