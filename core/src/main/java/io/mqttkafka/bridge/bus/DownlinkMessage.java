package io.mqttkafka.bridge.bus;

import io.mqttkafka.bridge.records.DownlinkProperties;
import io.mqttkafka.bridge.records.DownlinkRef;
import io.mqttkafka.bridge.records.TraceHeaders;
import io.vertx.core.buffer.Buffer;

/**
 * A deliver: a downlink record on its way from the router to the instance that holds the device, the
 * event-bus body itself ({@link DownlinkMessageCodec}). Immutable; the payload is never written to.
 *
 * @param partition       the partition of the record the router routed (its position is the message's
 *                        name in the protocol: an await asks about it)
 * @param offset          that record's offset
 * @param originPartition the partition the back end wrote the record to, which its receipts name: the
 *                        same as {@code partition} unless the router moved the record to its client's
 *                        partition ({@code mqtt.original.*} headers)
 * @param originOffset    the offset the back end's record got there
 * @param qos             the QoS to publish with: min(requested, granted)
 * @param timestamp       the record's Kafka timestamp, for the Kafka-to-device latency and the expiry
 * @param payload         the record's value
 * @param properties      the MQTT 5 properties to publish with, and the record's TTL
 * @param sent            -1 for a first send; else the message was sent to an earlier connection of
 *                        the client's persistent session and is resent with DUP [MQTT-4.4.0-1]: with
 *                        that packet id, or a new one when 0 (not known)
 * @param kept            the record is kept for its client until delivered ({@code mqtt.offline}
 *                        {@code queue} or {@code latest}, the default of a persistent session): if it
 *                        cannot be sent over this connection, the router is handed it back to keep
 *                        rather than told {@code offline}, whether the session is persistent or not
 * @param trace           the record's trace context headers, for its receipts and its span
 */
public record DownlinkMessage(String clientId, String connectionId, String mqttTopic, int qos, String correlationId,
                              int partition, long offset, int originPartition, long originOffset, long timestamp,
                              Buffer payload, DownlinkProperties properties, int sent, boolean kept,
                              TraceHeaders trace) {

  /** {@link #sent} of a message sent for the first time. */
  public static final int FIRST_SEND = -1;

  public DownlinkMessage {
    trace = trace == null ? TraceHeaders.NONE : trace;
  }

  /** The record as its receipts name it: where the back end wrote it. */
  public DownlinkRef receiptRef() {
    return new DownlinkRef(clientId, mqttTopic, originPartition, originOffset, correlationId, trace);
  }
}
