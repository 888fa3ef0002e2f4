package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.metrics.MetricTag;
import java.util.Locale;

/**
 * Why a device connection ended: the tag of {@code mqtt.bridge.connections.closed}. Whether the Will
 * is published is decided apart ({@link SessionLifecycle}): a {@link #DISCONNECT} with reason 0x04
 * keeps it, and a takeover or shutdown cancels it even when the connection then closes as {@link #LOST}.
 */
public enum CloseReason implements MetricTag {
  /** The client sent DISCONNECT. */
  DISCONNECT,
  /** A newer connection with the same client id took over [MQTT-3.1.4-3]. */
  TAKEOVER,
  /** The bridge is shutting down. */
  SHUTDOWN,
  /** The client broke the protocol (a Topic Alias, too many in flight, an invalid filter). */
  PROTOCOL_ERROR,
  /** The decoder failed: an oversized or malformed packet, a second CONNECT. */
  BAD_INPUT,
  /** A QoS 1/2 PUBLISH failed where MQTT cannot say so in its acknowledgement. */
  UPLINK_FAILURE,
  /** The device does not read its downlink. */
  SLOW_CONSUMER,
  /** The client publishes faster than mqtt.limits.publishRate. */
  LIMIT,
  /** An operator disconnected it through the admin API. */
  ADMIN,
  /** Its user was removed from the password file, or its password changed (auth.disconnectRevoked). */
  REVOKED,
  /** Closed without DISCONNECT: the network, or keep-alive expiry. */
  LOST;

  @Override
  public String metricTag() {
    return name().toLowerCase(Locale.ROOT);
  }
}
