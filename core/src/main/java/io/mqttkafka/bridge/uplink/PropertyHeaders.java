package io.mqttkafka.bridge.uplink;

import io.mqttkafka.bridge.records.HeaderNames;
import io.netty.handler.codec.mqtt.MqttProperties;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;

/**
 * The MQTT 5 properties of an uplink PUBLISH or Will that a back end may need, as headers of its
 * record (README, "Kafka record contracts"): Response Topic, Correlation Data (bytes unchanged),
 * Content Type, Payload Format Indicator, Message Expiry Interval, and the user properties, each
 * under its own name except those named like the bridge's own headers ({@code mqtt.*}), which a
 * device must not forge. Properties only the connection uses (Topic Alias) or that a client may not
 * send are not copied. Pure.
 */
final class PropertyHeaders {

  private PropertyHeaders() {
  }

  /** Adds the headers of {@code properties} (null or empty for MQTT 3.1.1: nothing to add). */
  static void copy(MqttProperties properties, Headers headers) {
    if (properties == null || properties.isEmpty()) {
      return;
    }
    MqttProperties.MqttProperty<?> responseTopic = properties.getProperty(MqttProperties.RESPONSE_TOPIC);
    if (responseTopic != null) {
      headers.add(HeaderNames.RESPONSE_TOPIC, utf8((String) responseTopic.value()));
    }
    MqttProperties.MqttProperty<?> correlationData = properties.getProperty(MqttProperties.CORRELATION_DATA);
    if (correlationData != null) {
      // The decoder's own array, never written to: handed over as it is.
      headers.add(HeaderNames.CORRELATION_DATA, (byte[]) correlationData.value());
    }
    MqttProperties.MqttProperty<?> contentType = properties.getProperty(MqttProperties.CONTENT_TYPE);
    if (contentType != null) {
      headers.add(HeaderNames.CONTENT_TYPE, utf8((String) contentType.value()));
    }
    MqttProperties.MqttProperty<?> format = properties.getProperty(MqttProperties.PAYLOAD_FORMAT_INDICATOR);
    if (format != null) {
      headers.add(HeaderNames.PAYLOAD_FORMAT, utf8(format.value().toString()));
    }
    MqttProperties.MqttProperty<?> expiry = properties.getProperty(MqttProperties.PUBLICATION_EXPIRY_INTERVAL);
    if (expiry != null) {
      // A Four Byte Integer: netty reads it into an int, so values past 2^31 - 1 come negative.
      headers.add(HeaderNames.MESSAGE_EXPIRY, utf8(Integer.toUnsignedString((Integer) expiry.value())));
    }
    // Netty declares the list with a raw element type; iterate as Object to keep javac quiet.
    for (Object property : properties.getProperties(MqttProperties.USER_PROPERTY)) {
      if (property instanceof MqttProperties.UserProperty userProperty) {
        String name = userProperty.value().key;
        if (!name.startsWith(HeaderNames.RESERVED_PREFIX)) {
          headers.add(name, utf8(userProperty.value().value));
        }
      }
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
