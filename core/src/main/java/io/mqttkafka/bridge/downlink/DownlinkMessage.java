package io.mqttkafka.bridge.downlink;

import io.mqttkafka.bridge.bus.Addresses;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;

/**
 * A downlink record on its way from the router to the instance that holds the device: the event-bus
 * body itself ({@link DownlinkMessageCodec}). Immutable; the payload is never written to.
 *
 * @param qos       the QoS to publish with: min(requested, granted)
 * @param timestamp the record's Kafka timestamp, for the Kafka-to-device latency
 */
public record DownlinkMessage(String clientId, String connectionId, String mqttTopic, int qos, String correlationId,
                              int partition, long offset, long timestamp, Buffer payload) {

  /**
   * How long the router waits for the device's instance to answer a forward (or an await). The
   * instance answers once the message's first receipt is in Kafka, or after half this time that it is
   * still pending; without an answer the router writes {@code offline} itself.
   */
  public static final long FORWARD_TIMEOUT_MS = 10_000;

  /**
   * The options of a deliver: the message travels as itself (see {@link DownlinkMessageCodec}), its
   * type says what to do with it, so it needs no headers. Shared by every deliver: never changed.
   */
  public static final DeliveryOptions DELIVER = new DeliveryOptions().setSendTimeout(FORWARD_TIMEOUT_MS);

  /** The options of an await: the instance answers once this message's first receipt is in Kafka. */
  public DeliveryOptions toAwaitOptions(long sendTimeoutMs) {
    return new DeliveryOptions().setSendTimeout(sendTimeoutMs)
        .addHeader(Addresses.ACTION, Addresses.ACTION_AWAIT)
        .addHeader(Addresses.CLIENT_ID, clientId)
        .addHeader(Addresses.CONNECTION_ID, connectionId)
        .addHeader(Addresses.PARTITION, Integer.toString(partition))
        .addHeader(Addresses.OFFSET, Long.toString(offset));
  }
}
