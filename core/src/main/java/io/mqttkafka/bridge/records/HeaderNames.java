package io.mqttkafka.bridge.records;

/**
 * Every Kafka record header name of the public contract (README, "Kafka record contracts"), for the
 * bridge, the benchmark tool and the tests alike.
 */
public final class HeaderNames {

  /** Uplink and dead letter: the full MQTT topic. Downlink (required): the topic to publish to. */
  public static final String TOPIC = "mqtt.topic";
  /** Uplink and dead letter: {@code 0}, {@code 1} or {@code 2}. Downlink: {@code 0} or {@code 1} (default 1). */
  public static final String QOS = "mqtt.qos";
  /** Uplink and dead letter: the publishing client's id. */
  public static final String CLIENT_ID = "mqtt.client.id";
  /** Uplink: {@code true}, present only when the PUBLISH had RETAIN set. */
  public static final String RETAIN = "mqtt.retain";
  /** Dead letter: why the message was not mapped ({@code unmatched}). */
  public static final String REASON = "reason";
  /** Downlink: copied to every receipt of the record, as this header and in the JSON. */
  public static final String CORRELATION_ID = "correlation.id";
  /** Downlink: the record expires this many milliseconds after its timestamp. */
  public static final String TTL_MS = "ttl.ms";
  /**
   * Downlink: what happens while the client is offline: {@code drop} (receipt {@code offline}; the
   * default for a client without a persistent session), {@code queue} (kept until it can be delivered
   * or expires; the default for a persistent session) or {@code latest} (queued, keeping only the
   * newest record per client and MQTT topic).
   */
  public static final String OFFLINE = "mqtt.offline";
  /**
   * Downlink, set by the bridge: a record a back end wrote to another partition than its client's
   * (any partitioner but Kafka's default) is copied to its client's partition with these, the
   * partition and offset the back end's record got, which its receipts name.
   */
  public static final String ORIGINAL_PARTITION = "mqtt.original.partition";
  /** See {@link #ORIGINAL_PARTITION}. */
  public static final String ORIGINAL_OFFSET = "mqtt.original.offset";
  /**
   * Uplink, from an MQTT 5 PUBLISH or Will: its Response Topic, where the device wants the answer.
   * Downlink: sent to the device as the Response Topic (a valid MQTT topic name in UTF-8).
   */
  public static final String RESPONSE_TOPIC = "mqtt.response.topic";
  /** Uplink and downlink: the MQTT 5 Correlation Data, bytes unchanged (at most 65,535 of them). */
  public static final String CORRELATION_DATA = "mqtt.correlation.data";
  /** Uplink and downlink: the MQTT 5 Content Type (UTF-8), e.g. {@code application/json}. */
  public static final String CONTENT_TYPE = "mqtt.content.type";
  /**
   * Uplink and downlink: the MQTT 5 Payload Format Indicator, {@code 0} (unspecified bytes) or
   * {@code 1} (UTF-8 text).
   */
  public static final String PAYLOAD_FORMAT = "mqtt.payload.format";
  /**
   * Uplink: the MQTT 5 Message Expiry Interval the device set, in whole seconds. (Downlink records
   * use {@link #TTL_MS}, which the bridge sends as the remaining Message Expiry Interval.)
   */
  public static final String MESSAGE_EXPIRY = "mqtt.message.expiry";
  /**
   * W3C Trace Context. Uplink: an MQTT 5 user property of this name is copied like any other (with
   * {@code tracing.*} on, only when it is valid, and a record without one may get a new one).
   * Downlink: sent to an MQTT 5 device as a user property like any other header, and copied to every
   * receipt of the record as this header.
   */
  public static final String TRACEPARENT = "traceparent";
  /** W3C Trace Context: vendor-specific trace state; goes where {@link #TRACEPARENT} goes. */
  public static final String TRACESTATE = "tracestate";
  /**
   * The bridge's own header names start with this: MQTT 5 user properties with such names are not
   * copied to uplink records, so a device cannot forge them.
   */
  public static final String RESERVED_PREFIX = "mqtt.";

  private HeaderNames() {
  }
}
