package io.mqttkafka.bridge.records;

/**
 * A downlink record as its receipts name it: where the back end wrote it, to whom and on which MQTT
 * topic, and its correlation id. Every field but the position may be null for a record too broken to
 * have it.
 */
public record DownlinkRef(String clientId, String mqttTopic, int partition, long offset, String correlationId) {
}
