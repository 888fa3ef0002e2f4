package io.mqttkafka.bridge.records;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * A record of the compacted topic {@code mqtt.sessions}: a copy of a downlink record parked for its
 * client (offline, or not subscribed to its topic, and its {@code mqtt.offline} keeps it), written by
 * the router to the client's partition (the same number as in {@code mqtt.downlink}), and deleted (a
 * tombstone) once the record is delivered, expires or is superseded.
 *
 * <p>Key: the client id, a NUL character, and the record's offset in the client's downlink partition
 * (its place in the client's queue). Value: the record's payload. Timestamp: the record's. Headers:
 * the record's own (so that it reads as the same downlink record, receipts naming where the back end
 * wrote it), then {@link #DEADLINE}, {@link #POLICY} and, once it was sent to a connection, {@link #SENT}.
 */
public final class ParkedRecord {

  /** When the parked record expires unless delivered, in epoch milliseconds. */
  public static final String DEADLINE = "mqtt.parked.deadline";
  /** {@code queue} or {@code latest}: the policy it was parked under. */
  public static final String POLICY = "mqtt.parked.policy";
  /**
   * Present once the record was sent to a connection that went away before its PUBACK: the packet id
   * it was sent with, or 0 when that is not known (the instance died). It is resent with DUP, in its place.
   */
  public static final String SENT = "mqtt.parked.sent";
  /** {@link Meta#sent()} of a record never sent. */
  public static final int NEVER_SENT = -1;

  private static final char SEPARATOR = '\0';

  /**
   * What the bridge's headers say of a parked record; null fields are not there.
   *
   * @param sent {@link #NEVER_SENT}, 0 (sent, packet id unknown) or the packet id it was sent with
   */
  public record Meta(long deadline, OfflinePolicy policy, int sent) {
  }

  private ParkedRecord() {
  }

  /** The key of the copy of the record at {@code offset} of the client's downlink partition. */
  public static String key(String clientId, long offset) {
    return clientId + SEPARATOR + offset;
  }

  /** The client id of a key, or null when the key is not one of {@link #key}. */
  public static String clientId(String key) {
    int at = key == null ? -1 : key.lastIndexOf(SEPARATOR);
    return at <= 0 ? null : key.substring(0, at);
  }

  /** The downlink offset of a key, or -1 when the key is not one of {@link #key}. */
  public static long offset(String key) {
    int at = key == null ? -1 : key.lastIndexOf(SEPARATOR);
    if (at <= 0 || at == key.length() - 1 || key.length() - at > 19) {
      return -1;
    }
    long offset = 0;
    for (int i = at + 1; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      offset = offset * 10 + (c - '0');
    }
    return offset;
  }

  /** The copy's headers: the downlink record's own, without any of the bridge's parking headers, then these. */
  public static Headers headers(Headers original, Meta meta) {
    RecordHeaders headers = new RecordHeaders();
    for (Header header : original) {
      if (!header.key().equals(DEADLINE) && !header.key().equals(POLICY) && !header.key().equals(SENT)) {
        headers.add(header);
      }
    }
    headers.add(DEADLINE, ascii(Long.toString(meta.deadline())));
    headers.add(POLICY, ascii(meta.policy().header()));
    if (meta.sent() != NEVER_SENT) {
      headers.add(SENT, ascii(Integer.toString(meta.sent())));
    }
    return headers;
  }

  /** The parking headers of a copy, or null when they are missing or broken. */
  public static Meta meta(Headers headers) {
    try {
      Header deadline = headers.lastHeader(DEADLINE);
      Header policy = headers.lastHeader(POLICY);
      Header sent = headers.lastHeader(SENT);
      OfflinePolicy parsed = policy == null ? null : OfflinePolicy.parse(text(policy));
      if (deadline == null || parsed == null || !parsed.keeps()) {
        return null;
      }
      int sentWith = sent == null ? NEVER_SENT : Integer.parseInt(text(sent));
      if (sent != null && (sentWith < 0 || sentWith > 65_535)) {
        return null;
      }
      return new Meta(Long.parseLong(text(deadline)), parsed, sentWith);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static String text(Header header) {
    return header.value() == null ? "" : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static byte[] ascii(String value) {
    return value.getBytes(StandardCharsets.US_ASCII);
  }
}
