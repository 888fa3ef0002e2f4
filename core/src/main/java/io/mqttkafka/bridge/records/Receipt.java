package io.mqttkafka.bridge.records;

import io.mqttkafka.bridge.records.PresenceRecord;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.mqttkafka.bridge.metrics.MetricTag;

/**
 * The value of a record in {@code mqtt.receipts} (key: the client id): the outcome of one downlink
 * record, found again by its partition and offset in {@code mqtt.downlink} and by its correlation id.
 *
 * <p>Part of the public Kafka contract: the JSON field names are the component names, statuses are
 * lower-case strings, {@code null} fields are left out, unknown fields are ignored when reading.
 *
 * @param clientId the downlink record's key; {@code null} when it had none
 * @param mqttTopic the downlink record's {@code mqtt.topic} header; {@code null} when it had none
 * @param instanceId the instance that holds (or held) the connection; {@code null} when there is none
 * @param correlationId the downlink record's {@code correlation.id} header, if any
 * @param detail a short human reason for a failure, e.g. {@code "missing header mqtt.topic"}
 * @param timestamp when the outcome was known, in epoch milliseconds
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Receipt(
    @JsonProperty(required = true) Status status,
    String clientId,
    String mqttTopic,
    String instanceId,
    @JsonProperty(required = true) int partition,
    @JsonProperty(required = true) long offset,
    String correlationId,
    String detail,
    @JsonProperty(required = true) long timestamp) {

  public enum Status implements MetricTag {
    /** Handed to the device's connection as a PUBLISH. */
    @JsonProperty("delivered") DELIVERED("delivered"),
    /** The device acknowledged the PUBLISH (QoS 1 PUBACK). */
    @JsonProperty("acked") ACKED("acked"),
    /** The client has no connection. */
    @JsonProperty("offline") OFFLINE("offline"),
    /** The client is connected but subscribed to no filter that matches the topic. */
    @JsonProperty("not_subscribed") NOT_SUBSCRIBED("not_subscribed"),
    /** Its {@code ttl.ms} had passed before it could be delivered. */
    @JsonProperty("expired") EXPIRED("expired"),
    /** The downlink record itself is invalid; {@code detail} says why. */
    @JsonProperty("rejected") REJECTED("rejected"),
    /** The owning instance or the device did not answer in time. */
    @JsonProperty("timeout") TIMEOUT("timeout"),
    /**
     * Kept for the client while it is offline or not subscribed (its {@code mqtt.offline} is
     * {@code queue} or {@code latest}); later {@code delivered}, {@code expired} or {@code superseded}.
     */
    @JsonProperty("queued") QUEUED("queued"),
    /** Queued as {@code latest}, then replaced by a newer record for the same client and MQTT topic. */
    @JsonProperty("superseded") SUPERSEDED("superseded"),
    /** Not queued: the client's queue holds as many messages or bytes as it may. */
    @JsonProperty("queue_full") QUEUE_FULL("queue_full");

    /** The JSON value, as in the annotation. */
    final String json;

    Status(String json) {
      this.json = json;
    }

    /** The metric tag is the JSON value. */
    @Override
    public String metricTag() {
      return json;
    }
  }

  /**
   * @throws IllegalArgumentException when the status is missing or the position is negative
   */
  public Receipt {
    if (status == null) {
      throw new IllegalArgumentException("status is missing");
    }
    if (partition < 0 || offset < 0) {
      throw new IllegalArgumentException(
          "partition and offset must not be negative, got " + partition + " and " + offset);
    }
  }

  /**
   * The JSON Jackson would write for this record (same fields, order and escapes), written by hand
   * straight into UTF-8 ({@link JsonBytes}): one receipt or two per downlink message, and Jackson's
   * generic path was a tenth of the device's event loop at 5,000 downlink messages per second.
   */
  public byte[] toJson() {
    JsonBytes json = new JsonBytes(96 + length(clientId) + length(mqttTopic) + length(instanceId)
        + length(correlationId) + length(detail));
    json.raw("{\"status\":\"").raw(status.json).raw("\"");
    field(json, ",\"clientId\":", clientId);
    field(json, ",\"mqttTopic\":", mqttTopic);
    field(json, ",\"instanceId\":", instanceId);
    json.raw(",\"partition\":").number(partition).raw(",\"offset\":").number(offset);
    field(json, ",\"correlationId\":", correlationId);
    field(json, ",\"detail\":", detail);
    return json.raw(",\"timestamp\":").number(timestamp).raw("}").toArray();
  }

  private static void field(JsonBytes json, String name, String value) {
    if (value != null) {
      json.raw(name).string(value);
    }
  }

  private static int length(String value) {
    return value == null ? 0 : value.length() + 16;
  }

  /**
   * @throws IllegalArgumentException when {@code json} is not JSON or a field is missing or invalid
   */
  public static Receipt fromJson(byte[] json) {
    return PresenceRecord.read(json, Receipt.class, "receipt");
  }
}
