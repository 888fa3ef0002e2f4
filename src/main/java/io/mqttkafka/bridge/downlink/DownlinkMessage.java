package io.mqttkafka.bridge.downlink;

import io.mqttkafka.bridge.bus.Addresses;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;

/**
 * A downlink record on its way from the router to the instance that holds the device: the payload is
 * the event-bus body, everything else travels as headers.
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

  public DeliveryOptions toDeliveryOptions(long sendTimeoutMs) {
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(sendTimeoutMs)
        .addHeader(Addresses.ACTION, Addresses.ACTION_DELIVER)
        .addHeader(Addresses.CLIENT_ID, clientId)
        .addHeader(Addresses.CONNECTION_ID, connectionId)
        .addHeader(Addresses.MQTT_TOPIC, mqttTopic)
        .addHeader(Addresses.QOS, Integer.toString(qos))
        .addHeader(Addresses.PARTITION, Integer.toString(partition))
        .addHeader(Addresses.OFFSET, Long.toString(offset))
        .addHeader(Addresses.TIMESTAMP, Long.toString(timestamp));
    if (correlationId != null) {
      options.addHeader(Addresses.CORRELATION_ID, correlationId);
    }
    return options;
  }

  /** The options of an await: the instance answers once this message's first receipt is in Kafka. */
  public DeliveryOptions toAwaitOptions(long sendTimeoutMs) {
    return new DeliveryOptions().setSendTimeout(sendTimeoutMs)
        .addHeader(Addresses.ACTION, Addresses.ACTION_AWAIT)
        .addHeader(Addresses.CLIENT_ID, clientId)
        .addHeader(Addresses.CONNECTION_ID, connectionId)
        .addHeader(Addresses.PARTITION, Integer.toString(partition))
        .addHeader(Addresses.OFFSET, Long.toString(offset));
  }

  public static DownlinkMessage from(MultiMap headers, Buffer body) {
    return new DownlinkMessage(headers.get(Addresses.CLIENT_ID), headers.get(Addresses.CONNECTION_ID),
        headers.get(Addresses.MQTT_TOPIC), Integer.parseInt(headers.get(Addresses.QOS)),
        headers.get(Addresses.CORRELATION_ID), Integer.parseInt(headers.get(Addresses.PARTITION)),
        Long.parseLong(headers.get(Addresses.OFFSET)), Long.parseLong(headers.get(Addresses.TIMESTAMP)), body);
  }
}
