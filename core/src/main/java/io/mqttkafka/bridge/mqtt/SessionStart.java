package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.records.PresenceRecord;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.mqtt.MqttEndpoint;
import java.util.List;

/**
 * What an accepted connection starts with and keeps while it lasts, whatever a reload changes later:
 * who it is, what its CONNACK told it (keep-alive, Receive Maximum), and its session: the Session
 * Expiry Interval granted (0: none outlives the connection) and, when it resumes one, that session's
 * last record.
 *
 * @param username         the authenticated user name (fills ${username}), or null for an anonymous client
 * @param keepAliveSeconds the keep-alive the bridge enforces for this connection (0: none)
 * @param receiveMaximum   the Receive Maximum in force when it connected (MQTT 5: told in CONNACK)
 * @param sessionExpiry    the granted Session Expiry Interval, in seconds
 * @param resumed          the session resumed, or null (none present, or a clean start)
 */
record SessionStart(String username, int keepAliveSeconds, int receiveMaximum, long sessionExpiry,
                    PresenceRecord resumed) {

  private static final int MQTT_5 = 5;

  /** True when a session outlives the connection. */
  boolean persistent() {
    return sessionExpiry > 0;
  }

  /** The filters the resumed session had; empty for a new session. */
  List<PresenceRecord.Subscription> resumedFilters() {
    return resumed == null ? List.of() : resumed.filters();
  }

  /** The QoS 2 packet ids the resumed session received and did not release yet. */
  List<Integer> resumedQos2() {
    return resumed == null || resumed.session() == null ? List.of() : resumed.session().qos2Received();
  }

  /**
   * The Session Expiry Interval the client asks for, at most {@code maxSeconds}: MQTT 5 says it in
   * CONNECT (absent: 0); an MQTT 3.1.1 session with CleanSession 0 lasts the longest the bridge grants.
   */
  static long grantedExpiry(MqttEndpoint endpoint, long maxSeconds) {
    if (endpoint.protocolVersion() != MQTT_5) {
      return endpoint.isCleanSession() ? 0 : maxSeconds;
    }
    MqttProperties properties = endpoint.connectProperties();
    MqttProperties.MqttProperty<?> requested = properties == null ? null
        : properties.getProperty(MqttProperties.SESSION_EXPIRY_INTERVAL);
    long asked = requested == null ? 0 : Integer.toUnsignedLong((Integer) requested.value());
    return Math.min(asked, maxSeconds);
  }
}
