package io.mqttkafka.bridge.downlink;

import io.mqttkafka.bridge.bus.DownlinkMessage;
import io.vertx.core.Future;

/**
 * One device connection as {@link DownlinkDispatcher} sees it: where the routers' messages and
 * requests for that connection go. Implemented by the MQTT session; callable from any thread.
 */
public interface DeliveryTarget {

  /** The connection's id, unique across the cluster and over time. */
  String connectionId();

  /** Publishes a routed message to the device; completes once its first receipt is in Kafka. */
  Future<Void> deliver(DownlinkMessage message);

  /** Closes the connection: a newer one of the same client exists elsewhere. */
  void takeOver();

  /** Writes the connection's presence record again: the router saw a stale one after it. */
  void refreshPresence();

  /** This instance's connections, by client id. */
  @FunctionalInterface
  interface Lookup {
    /** The client's connection on this instance, or null. */
    DeliveryTarget get(String clientId);
  }
}
