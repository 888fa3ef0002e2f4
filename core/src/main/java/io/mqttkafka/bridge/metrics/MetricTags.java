package io.mqttkafka.bridge.metrics;

import java.util.Locale;

/** The tag values that only metrics need: each a closed set, named as the meters' docs list them. */
public final class MetricTags {

  private MetricTags() {
  }

  /** Why a connection was closed for the client's fault ({@code mqtt.bridge.protocol.errors}, tag {@code type}). */
  public enum ProtocolError implements MetricTag {
    /** Oversized or malformed packets, invalid UTF-8, a wildcard in a PUBLISH topic: the decoder failed. */
    MALFORMED_PACKET,
    /** A packet from a connection whose CONNECT was not accepted (yet). */
    NOT_CONNECTED,
    /** A Topic Alias, which CONNACK did not offer. */
    TOPIC_ALIAS,
    /** More unacknowledged QoS 1/2 PUBLISH packets than CONNACK's Receive Maximum. */
    RECEIVE_MAXIMUM,
    /** A SUBSCRIBE or UNSUBSCRIBE with a filter that is not a valid MQTT topic filter. */
    INVALID_FILTER,
    /** A DISCONNECT that sets a Session Expiry Interval for a session that was to end with the connection. */
    SESSION_EXPIRY;

    @Override
    public String metricTag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Which limit of {@code mqtt.limits} refused something ({@code mqtt.bridge.limit.rejections}, tag {@code limit}). */
  public enum Limit implements MetricTag {
    MAX_CONNECTIONS, CONNECT_RATE, TOPIC_LENGTH, TOPIC_LEVELS, PUBLISH_RATE;

    @Override
    public String metricTag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Which bound replaced a CONNECT's keep-alive ({@code mqtt.bridge.keepalive.adjusted}, tag {@code bound}). */
  public enum KeepAliveBound implements MetricTag {
    MIN, MAX;

    @Override
    public String metricTag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Why reading from a connection was paused ({@code mqtt.bridge.read.pauses}, tag {@code reason}). */
  public enum ReadPause implements MetricTag {
    /** The bytes awaiting Kafka passed half their limit. */
    UPLINK,
    /** An MQTT 3.1.1 client has mqtt.receiveMaximum QoS 1/2 PUBLISH packets unacknowledged. */
    INFLIGHT;

    @Override
    public String metricTag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }
}
