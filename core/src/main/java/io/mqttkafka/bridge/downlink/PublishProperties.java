package io.mqttkafka.bridge.downlink;

import io.mqttkafka.bridge.records.DownlinkProperties;
import io.netty.handler.codec.mqtt.MqttProperties;

/**
 * A downlink message's MQTT 5 properties as Netty encodes them, and the size of the whole PUBLISH,
 * so that a packet larger than the device's Maximum Packet Size is never sent [MQTT-3.1.2-24]. Pure.
 */
final class PublishProperties {

  /** One byte of packet type and flags; the remaining length follows. */
  private static final int PACKET_TYPE_BYTES = 1;

  private PublishProperties() {
  }

  /**
   * The properties to send.
   *
   * @param expirySeconds the Message Expiry Interval, -1 for none
   */
  static MqttProperties of(DownlinkProperties p, long expirySeconds) {
    if (!p.hasMqtt5Only() && expirySeconds < 0) {
      return MqttProperties.NO_PROPERTIES;
    }
    MqttProperties properties = new MqttProperties();
    if (p.payloadFormat() != DownlinkProperties.NO_FORMAT) {
      properties.add(new MqttProperties.IntegerProperty(MqttProperties.PAYLOAD_FORMAT_INDICATOR, p.payloadFormat()));
    }
    if (expirySeconds >= 0) {
      // A Four Byte Integer: Netty writes the int's bits, so values past 2^31 - 1 go out unsigned.
      properties.add(new MqttProperties.IntegerProperty(MqttProperties.PUBLICATION_EXPIRY_INTERVAL,
          (int) expirySeconds));
    }
    if (p.contentType() != null) {
      properties.add(new MqttProperties.StringProperty(MqttProperties.CONTENT_TYPE, p.contentType()));
    }
    if (p.responseTopic() != null) {
      properties.add(new MqttProperties.StringProperty(MqttProperties.RESPONSE_TOPIC, p.responseTopic()));
    }
    if (p.correlationData() != null) {
      properties.add(new MqttProperties.BinaryProperty(MqttProperties.CORRELATION_DATA, p.correlationData()));
    }
    for (DownlinkProperties.UserProperty user : p.userProperties()) {
      properties.add(new MqttProperties.UserProperty(user.name(), user.value()));
    }
    return properties;
  }

  /**
   * The size in bytes of the MQTT 5 PUBLISH packet with these parts, fixed header included (what a
   * Maximum Packet Size bounds).
   */
  static long packetSize(String topic, int qos, DownlinkProperties p, long expirySeconds, int payloadBytes) {
    long properties = propertiesLength(p, expirySeconds);
    long remaining = 2L + utf8Length(topic) + (qos > 0 ? 2 : 0) + varIntBytes(properties) + properties + payloadBytes;
    return PACKET_TYPE_BYTES + varIntBytes(remaining) + remaining;
  }

  /** The bytes the properties take, without their own length. */
  static long propertiesLength(DownlinkProperties p, long expirySeconds) {
    long length = 0;
    if (p.payloadFormat() != DownlinkProperties.NO_FORMAT) {
      length += 1 + 1;
    }
    if (expirySeconds >= 0) {
      length += 1 + 4;
    }
    if (p.contentType() != null) {
      length += 1 + 2 + utf8Length(p.contentType());
    }
    if (p.responseTopic() != null) {
      length += 1 + 2 + utf8Length(p.responseTopic());
    }
    if (p.correlationData() != null) {
      length += 1 + 2 + p.correlationData().length;
    }
    for (DownlinkProperties.UserProperty user : p.userProperties()) {
      length += 1 + 2 + utf8Length(user.name()) + 2 + utf8Length(user.value());
    }
    return length;
  }

  /** An MQTT Variable Byte Integer takes one byte per 7 bits. */
  static int varIntBytes(long value) {
    int bytes = 1;
    for (long v = value >> 7; v > 0; v >>= 7) {
      bytes++;
    }
    return bytes;
  }

  /** The UTF-8 length of a string without surrogate halves (what the contract lets through), not allocating. */
  static long utf8Length(String s) {
    long bytes = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c)) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }
}
