package io.mqttkafka.bridge.records;

import java.util.List;

/**
 * Which headers of a downlink record go to the device as MQTT 5 user properties
 * ({@code mappings.downlink.userProperties}): those the contract does not read (topic, QoS,
 * correlation id, TTL and the property headers become parts of the PUBLISH or of its receipts, never
 * user properties), that {@code deny} does not name, and, when {@code allow} is not empty, that it
 * names. A name is matched whole, or by a prefix when the pattern ends with {@code *} ({@code *}
 * alone matches every name). Other names of the bridge's own form ({@code mqtt.*}) are copied only
 * when {@code allow} names them exactly: a back end that forwards an uplink record's headers does not
 * send {@code mqtt.client.id} and the like by accident.
 *
 * @param allow    the names copied; empty: every name
 * @param deny     names never copied, even when {@code allow} names them
 * @param maxBytes the most UTF-8 bytes that the copied names and values of one record may take
 *                 together; a record with more is rejected, none of it sent
 */
public record UserPropertyRules(List<String> allow, List<String> deny, int maxBytes) {

  /** Every header the contract does not read, up to 4 KiB. */
  public static final UserPropertyRules DEFAULT = new UserPropertyRules(List.of(), List.of(), 4096);

  public UserPropertyRules {
    allow = List.copyOf(allow);
    deny = List.copyOf(deny);
  }

  /** Whether a header of this name (not one the contract reads) becomes a user property. */
  public boolean copies(String name) {
    if (matchesAny(deny, name)) {
      return false;
    }
    if (name.startsWith(HeaderNames.RESERVED_PREFIX)) {
      return allow.contains(name);
    }
    return allow.isEmpty() || matchesAny(allow, name);
  }

  private static boolean matchesAny(List<String> patterns, String name) {
    for (String pattern : patterns) {
      int prefix = pattern.length() - 1;
      if (pattern.endsWith("*") ? name.regionMatches(0, pattern, 0, prefix) : name.equals(pattern)) {
        return true;
      }
    }
    return false;
  }
}
