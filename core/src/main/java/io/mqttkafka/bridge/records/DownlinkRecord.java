package io.mqttkafka.bridge.records;

import io.mqttkafka.bridge.topic.TopicFilter;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Utils;

/**
 * A downlink record of the public contract (README, "Kafka record contracts"), read once: key = the
 * target client id, header {@code mqtt.topic} (required, a valid MQTT topic name), {@code mqtt.qos}
 * ({@code 0} or {@code 1}, default 1), {@code correlation.id}, {@code ttl.ms}; and, on a record the
 * bridge moved to its client's partition, {@code mqtt.original.partition}/{@code mqtt.original.offset},
 * where the back end wrote it; the MQTT 5 property headers and the other headers that become user
 * properties ({@link DownlinkProperties}). Pure: {@link #parse} never throws, a record that breaks the
 * contract comes back with {@link #invalid()} saying why (the receipt's detail). The benchmark tool
 * writes its records with {@link #headers}.
 *
 * @param partition       where the record sits now
 * @param offset          its offset there
 * @param originPartition where the back end wrote it: {@code partition} unless the bridge moved it
 * @param originOffset    its offset there
 * @param ttlMs           milliseconds it lives after {@code timestamp}, or -1 for ever
 * @param offline         its {@code mqtt.offline} header; null when it has none (the client's default)
 * @param properties      what the PUBLISH carries as MQTT 5 properties; {@link DownlinkProperties#NONE}
 *                        when the record is invalid
 * @param invalid         null when the record can be routed, else why not
 * @param trace           its {@code traceparent} and {@code tracestate} headers, as written (also when
 *                        invalid: its receipts carry them)
 */
public record DownlinkRecord(String clientId, String mqttTopic, int qos, String correlationId, long ttlMs,
                             int partition, long offset, int originPartition, long originOffset, long timestamp,
                             OfflinePolicy offline, DownlinkProperties properties, String invalid,
                             TraceHeaders trace) {

  /** Downlink QoS when the record has no mqtt.qos header: commands are worth an acknowledgement. */
  public static final int DEFAULT_QOS = 1;
  private static final long FOR_EVER = -1;

  /** Reads a record's key and headers, its other headers becoming user properties by the default rules. */
  public static DownlinkRecord parse(String key, Headers headers, int partition, long offset, long timestamp) {
    return parse(key, headers, partition, offset, timestamp, UserPropertyRules.DEFAULT);
  }

  /**
   * Reads a record's key and headers.
   *
   * @param key            the record's key (the client id), or null
   * @param userProperties which of the headers the contract does not read become user properties
   */
  public static DownlinkRecord parse(String key, Headers headers, int partition, long offset, long timestamp,
                                     UserPropertyRules userProperties) {
    String topic = null;
    String qos = null;
    String ttl = null;
    String correlationId = null;
    String originPartition = null;
    String originOffset = null;
    String offline = null;
    String traceparent = null;
    String tracestate = null;
    PropertyHeaderReader mqtt5 = null;
    // One pass over the headers (a record carries a handful); the last of a name wins, as lastHeader,
    // except for user properties, which MQTT 5 lets repeat.
    for (Header header : headers) {
      switch (header.key()) {
        case HeaderNames.TOPIC -> topic = text(header);
        case HeaderNames.QOS -> qos = text(header);
        case HeaderNames.TTL_MS -> ttl = text(header);
        case HeaderNames.CORRELATION_ID -> correlationId = text(header);
        case HeaderNames.ORIGINAL_PARTITION -> originPartition = text(header);
        case HeaderNames.ORIGINAL_OFFSET -> originOffset = text(header);
        case HeaderNames.OFFLINE -> offline = text(header);
        case HeaderNames.RESPONSE_TOPIC, HeaderNames.CORRELATION_DATA, HeaderNames.CONTENT_TYPE,
             HeaderNames.PAYLOAD_FORMAT -> mqtt5 = reader(mqtt5, userProperties).take(header);
        default -> {
          // The trace context headers are read for the receipts, and go on as user properties like any other.
          if (header.key().equals(HeaderNames.TRACEPARENT)) {
            traceparent = text(header);
          } else if (header.key().equals(HeaderNames.TRACESTATE)) {
            tracestate = text(header);
          }
          if (userProperties.copies(header.key())) {
            mqtt5 = reader(mqtt5, userProperties).take(header);
          }
        }
      }
    }
    int fromPartition = partition;
    long fromOffset = offset;
    if (originPartition != null && originOffset != null && isNumber(originPartition, 9) && isNumber(originOffset, 18)) {
      fromPartition = Integer.parseInt(originPartition);
      fromOffset = Long.parseLong(originOffset);
    }
    OfflinePolicy policy = offline == null ? null : OfflinePolicy.parse(offline);
    String invalid = validate(key, topic, qos, ttl);
    if (invalid == null && offline != null && policy == null) {
      invalid = "header " + HeaderNames.OFFLINE + " must be drop, queue or latest";
    }
    int qosLevel = invalid != null || qos == null ? DEFAULT_QOS : qos.charAt(0) - '0';
    long ttlMs = invalid != null || ttl == null ? FOR_EVER : Long.parseLong(ttl);
    DownlinkProperties properties = DownlinkProperties.NONE;
    if (invalid == null) {
      properties = mqtt5 == null ? DownlinkProperties.ttlOnly(ttlMs) : mqtt5.read(ttlMs);
      if (properties == null) {
        invalid = mqtt5.problem();
        properties = DownlinkProperties.NONE;
      }
    }
    return new DownlinkRecord(key, topic, qosLevel, correlationId, ttlMs, partition, offset, fromPartition,
        fromOffset, timestamp, policy, properties, invalid, TraceHeaders.of(traceparent, tracestate));
  }

  private static PropertyHeaderReader reader(PropertyHeaderReader reader, UserPropertyRules rules) {
    return reader != null ? reader : new PropertyHeaderReader(rules);
  }

  /** True when {@link #ttlMs} has passed at {@code nowMillis}. */
  public boolean expiredAt(long nowMillis) {
    return ttlMs >= 0 && timestamp + ttlMs < nowMillis;
  }

  /** What happens to the record while its client cannot take it. */
  public OfflinePolicy offlinePolicy(boolean persistentSession) {
    return offline != null ? offline : OfflinePolicy.defaultFor(persistentSession);
  }

  /** True when the bridge moved this record from where the back end wrote it. */
  public boolean moved() {
    return originPartition != partition || originOffset != offset;
  }

  /** The record as its receipts name it: where the back end wrote it. */
  public DownlinkRef ref() {
    return new DownlinkRef(clientId, mqttTopic, originPartition, originOffset, correlationId, trace);
  }

  /**
   * The partition of the client's presence records, where its downlink records are routed: what
   * Kafka's default partitioner (murmur2 of the key) gives its id.
   */
  public static int homePartition(String clientId, int partitions) {
    return Utils.toPositive(Utils.murmur2(clientId.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  /**
   * The contract's headers for a record to {@code mqttTopic} (the benchmark tool's, and tests').
   *
   * @param correlationId null for none
   */
  public static Headers headers(String mqttTopic, int qos, String correlationId) {
    Headers headers = new RecordHeaders().add(HeaderNames.TOPIC, mqttTopic.getBytes(StandardCharsets.UTF_8))
        .add(HeaderNames.QOS, new byte[] {(byte) ('0' + qos)});
    if (correlationId != null) {
      headers.add(HeaderNames.CORRELATION_ID, correlationId.getBytes(StandardCharsets.UTF_8));
    }
    return headers;
  }

  /** Null when the record is routable, otherwise why not (the receipt's detail). */
  private static String validate(String clientId, String topic, String qos, String ttl) {
    if (clientId == null || clientId.isEmpty()) {
      return "no key: the key must be the target client id";
    }
    if (topic == null) {
      return "missing header " + HeaderNames.TOPIC;
    }
    if (!TopicFilter.isValidTopicName(topic)) {
      return "header " + HeaderNames.TOPIC + " is not a valid MQTT topic name";
    }
    if (qos != null && !qos.equals("0") && !qos.equals("1")) {
      return "header " + HeaderNames.QOS + " must be 0 or 1";
    }
    if (ttl != null && !isNumber(ttl, 18)) {
      return "header " + HeaderNames.TTL_MS + " must be a whole number of milliseconds";
    }
    return null;
  }

  /** 1 to {@code maxDigits} ASCII digits. */
  private static boolean isNumber(String value, int maxDigits) {
    if (value.isEmpty() || value.length() > maxDigits) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  private static String text(Header header) {
    return header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }
}
