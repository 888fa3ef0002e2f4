package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.records.PresenceRecord.Session;
import java.util.List;
import java.util.function.Supplier;

/**
 * The part of a connection's MQTT session that outlives it, when it is persistent: its Session Expiry
 * Interval (which an MQTT 5 DISCONNECT may change) and the QoS 2 packet ids received and not released,
 * both written in the connection's presence records. Event loop only.
 */
final class KeptSession {

  private final long maxExpirySeconds;
  private long expirySeconds;
  private Supplier<List<Integer>> qos2Received = List::of;

  /** @param expirySeconds the interval granted at CONNECT; 0: nothing outlives the connection */
  KeptSession(long expirySeconds, long maxExpirySeconds) {
    this.expirySeconds = expirySeconds;
    this.maxExpirySeconds = maxExpirySeconds;
  }

  /** True while the session outlives the connection. */
  boolean persistent() {
    return expirySeconds > 0;
  }

  /** Where the QoS 2 packet ids come from (the connection's uplink). */
  void qos2From(Supplier<List<Integer>> received) {
    this.qos2Received = received;
  }

  /**
   * An MQTT 5 DISCONNECT set the interval anew (capped as at CONNECT). False, changing nothing, when
   * the CONNECT's was 0 and this one is not: a protocol error [MQTT-3.14.2-2].
   */
  boolean expiryAtDisconnect(long seconds) {
    if (expirySeconds == 0 && seconds > 0) {
      return false;
    }
    expirySeconds = Math.min(seconds, maxExpirySeconds);
    return true;
  }

  /**
   * The session as a presence record carries it, or null when it is not persistent.
   *
   * @param endedAt when the connection ended, in epoch milliseconds; 0 while it is connected
   */
  Session record(long endedAt) {
    if (!persistent()) {
      return null;
    }
    Session session = new Session(expirySeconds, 0, qos2Received.get());
    return endedAt == 0 ? session : session.disconnectedAt(endedAt);
  }
}
