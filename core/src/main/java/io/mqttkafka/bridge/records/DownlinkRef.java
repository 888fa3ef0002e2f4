package io.mqttkafka.bridge.records;

/**
 * A downlink record as its receipts name it: where the back end wrote it, to whom and on which MQTT
 * topic, its correlation id and its trace context headers. Every field but the position and the
 * trace headers (never null, maybe {@link TraceHeaders#NONE}) may be null for a record too broken to
 * have it.
 */
public record DownlinkRef(String clientId, String mqttTopic, int partition, long offset, String correlationId,
                          TraceHeaders trace) {

  public DownlinkRef {
    trace = trace == null ? TraceHeaders.NONE : trace;
  }

  /** A record without trace context. */
  public DownlinkRef(String clientId, String mqttTopic, int partition, long offset, String correlationId) {
    this(clientId, mqttTopic, partition, offset, correlationId, TraceHeaders.NONE);
  }
}
