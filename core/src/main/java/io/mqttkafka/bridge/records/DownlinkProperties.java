package io.mqttkafka.bridge.records;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The MQTT 5 properties of a downlink PUBLISH, as the record's headers gave them (README, "Kafka
 * record contracts"), checked: {@link DownlinkRecord#parse} leaves out every record whose property
 * headers break the contract. The Message Expiry Interval is not fixed here: it is what remains of
 * {@code ttlMs} when the PUBLISH is written ({@link #expiryIntervalSeconds}). Immutable; the
 * correlation data is never written to.
 *
 * @param contentType     Content Type, or null
 * @param payloadFormat   Payload Format Indicator 0 or 1, or {@link #NO_FORMAT}
 * @param responseTopic   Response Topic (a valid topic name), or null
 * @param correlationData Correlation Data, bytes unchanged, or null
 * @param userProperties  the record's other headers that {@link UserPropertyRules} let through, in order
 * @param ttlMs           the record's {@code ttl.ms}: it expires this long after its timestamp; -1 for never
 */
public record DownlinkProperties(String contentType, int payloadFormat, String responseTopic, byte[] correlationData,
                                 List<UserProperty> userProperties, long ttlMs) {

  /** No Payload Format Indicator. */
  public static final int NO_FORMAT = -1;
  /** No property and no expiry: what a record with the contract's basic headers only gets. */
  public static final DownlinkProperties NONE = new DownlinkProperties(null, NO_FORMAT, null, null, List.of(), -1);
  /** The largest Message Expiry Interval, a Four Byte Integer of seconds. */
  private static final long MAX_EXPIRY_SECONDS = 0xFFFF_FFFFL;

  /** One user property: a header's name and its value as text. */
  public record UserProperty(String name, String value) {
    public UserProperty {
      Objects.requireNonNull(name);
      Objects.requireNonNull(value);
    }
  }

  public DownlinkProperties {
    userProperties = List.copyOf(userProperties);
  }

  /** No property, and the record's TTL. */
  public static DownlinkProperties ttlOnly(long ttlMs) {
    return ttlMs < 0 ? NONE : new DownlinkProperties(null, NO_FORMAT, null, null, List.of(), ttlMs);
  }

  /** True when any property is set that an MQTT 3.1.1 device cannot receive (the expiry the bridge applies itself). */
  public boolean hasMqtt5Only() {
    return contentType != null || payloadFormat != NO_FORMAT || responseTopic != null || correlationData != null
        || !userProperties.isEmpty();
  }

  /** True when a record with this TTL and {@code timestamp} has expired at {@code nowMillis}. */
  public boolean expiredAt(long timestamp, long nowMillis) {
    return ttlMs >= 0 && timestamp + ttlMs < nowMillis;
  }

  /**
   * The Message Expiry Interval to send at {@code nowMillis}: the rest of the TTL in whole seconds,
   * rounded up (at least 1, at most 2^32 - 1); -1 when the record never expires. The server sends
   * what is left of the interval, not the whole of it [MQTT-3.3.2-6].
   */
  public long expiryIntervalSeconds(long timestamp, long nowMillis) {
    if (ttlMs < 0) {
      return -1;
    }
    long leftMs = Math.max(0, timestamp + ttlMs - nowMillis);
    return Math.min(MAX_EXPIRY_SECONDS, Math.max(1, (leftMs + 999) / 1000));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DownlinkProperties p && payloadFormat == p.payloadFormat && ttlMs == p.ttlMs
        && Objects.equals(contentType, p.contentType) && Objects.equals(responseTopic, p.responseTopic)
        && Arrays.equals(correlationData, p.correlationData) && userProperties.equals(p.userProperties);
  }

  @Override
  public int hashCode() {
    return Objects.hash(contentType, payloadFormat, responseTopic, Arrays.hashCode(correlationData), userProperties,
        ttlMs);
  }

  @Override
  public String toString() {
    return "DownlinkProperties[contentType=" + contentType + ", payloadFormat=" + payloadFormat + ", responseTopic="
        + responseTopic + ", correlationData=" + (correlationData == null ? "null" : correlationData.length + " bytes")
        + ", userProperties=" + userProperties.size() + ", ttlMs=" + ttlMs + "]";
  }
}
