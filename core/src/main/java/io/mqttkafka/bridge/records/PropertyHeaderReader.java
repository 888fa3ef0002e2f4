package io.mqttkafka.bridge.records;

import io.mqttkafka.bridge.topic.TopicFilter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.Header;

/**
 * Collects the MQTT 5 property headers of one downlink record during {@link DownlinkRecord#parse}'s
 * single pass over its headers, then checks them all: {@link #invalid} says what is wrong (the
 * {@code rejected} receipt's detail) so that nothing is half-sent. Created only for a record that has
 * such headers. A header without a value counts as an empty one.
 */
final class PropertyHeaderReader {

  private static final byte[] EMPTY = new byte[0];

  private final UserPropertyRules rules;
  private byte[] responseTopic;
  private byte[] correlationData;
  private byte[] contentType;
  private byte[] payloadFormat;
  /** The headers that become user properties, in order; null while there is none. */
  private List<Header> userHeaders;
  private String problem;

  PropertyHeaderReader(UserPropertyRules rules) {
    this.rules = rules;
  }

  /** Takes a header that is a property header or that {@link UserPropertyRules#copies} lets through. */
  PropertyHeaderReader take(Header header) {
    byte[] value = header.value() == null ? EMPTY : header.value();
    switch (header.key()) {
      case HeaderNames.RESPONSE_TOPIC -> responseTopic = value;
      case HeaderNames.CORRELATION_DATA -> correlationData = value;
      case HeaderNames.CONTENT_TYPE -> contentType = value;
      case HeaderNames.PAYLOAD_FORMAT -> payloadFormat = value;
      default -> {
        if (userHeaders == null) {
          userHeaders = new ArrayList<>();
        }
        userHeaders.add(header);
      }
    }
    return this;
  }

  /**
   * The properties, or null when a header breaks the contract: then {@link #problem} says which and how.
   *
   * @param ttlMs the record's TTL, -1 for none
   */
  DownlinkProperties read(long ttlMs) {
    String topic = null;
    if (responseTopic != null) {
      topic = MqttUtf8.string(responseTopic);
      if (topic == null) {
        return fail("header " + HeaderNames.RESPONSE_TOPIC + " is not an MQTT UTF-8 string"
            + " (well-formed UTF-8, no U+0000, at most 65535 bytes)");
      }
      if (!TopicFilter.isValidTopicName(topic)) {
        // [MQTT-3.3.2-14] a topic name: not empty, no wildcards.
        return fail("header " + HeaderNames.RESPONSE_TOPIC + " is not a valid MQTT topic name");
      }
    }
    if (correlationData != null && correlationData.length > MqttUtf8.MAX_STRING_BYTES) {
      return fail("header " + HeaderNames.CORRELATION_DATA + " is longer than 65535 bytes");
    }
    String type = null;
    if (contentType != null) {
      type = MqttUtf8.string(contentType);
      if (type == null) {
        return fail("header " + HeaderNames.CONTENT_TYPE + " is not an MQTT UTF-8 string"
            + " (well-formed UTF-8, no U+0000, at most 65535 bytes)");
      }
    }
    int format = DownlinkProperties.NO_FORMAT;
    if (payloadFormat != null) {
      if (payloadFormat.length != 1 || (payloadFormat[0] != '0' && payloadFormat[0] != '1')) {
        return fail("header " + HeaderNames.PAYLOAD_FORMAT + " must be 0 or 1");
      }
      format = payloadFormat[0] - '0';
    }
    List<DownlinkProperties.UserProperty> user = userProperties();
    if (user == null) {
      return null;
    }
    return new DownlinkProperties(type, format, topic, correlationData, user, ttlMs);
  }

  private List<DownlinkProperties.UserProperty> userProperties() {
    if (userHeaders == null) {
      return List.of();
    }
    List<DownlinkProperties.UserProperty> properties = new ArrayList<>(userHeaders.size());
    long bytes = 0;
    for (Header header : userHeaders) {
      byte[] name = header.key().getBytes(StandardCharsets.UTF_8);
      byte[] valueBytes = header.value() == null ? EMPTY : header.value();
      String value = MqttUtf8.string(valueBytes);
      if (value == null || MqttUtf8.string(name) == null) {
        return fail("header " + header.key() + " is not an MQTT UTF-8 string (well-formed UTF-8, no U+0000,"
            + " at most 65535 bytes), so it cannot be a user property: leave it out with"
            + " mappings.downlink.userProperties.deny");
      }
      bytes += name.length + valueBytes.length;
      properties.add(new DownlinkProperties.UserProperty(header.key(), value));
    }
    if (bytes > rules.maxBytes()) {
      return fail("the headers sent as user properties take " + bytes + " bytes, more than"
          + " mappings.downlink.userProperties.maxBytes (" + rules.maxBytes() + ")");
    }
    return properties;
  }

  /** Why {@link #read} returned null. */
  String problem() {
    return problem;
  }

  private <T> T fail(String why) {
    problem = why;
    return null;
  }
}
