package io.mqttkafka.bridge.records;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.mqttkafka.bridge.topic.TopicFilter;
import java.io.IOException;
import java.util.List;
import java.util.Objects;

/**
 * The value of a record in the compacted topic {@code mqtt.subscriptions} (key: the client id): the
 * whole state of one connection of that client, written whenever it changes.
 *
 * <p>Every record carries the full state (instance, connection, all filters), not a change, because
 * compaction keeps only the last record per client: that record alone must rebuild the client.
 * {@code connected} is false exactly when the event is {@code disconnected}.
 *
 * <p>A connection with a persistent MQTT session (MQTT 3.1.1 CleanSession 0, MQTT 5 Session Expiry
 * Interval above 0) carries its {@link Session}: then the {@code disconnected} record keeps the
 * filters, and the session lives on, offline, until it {@linkplain Session#expiresAt() expires} (the
 * router then writes {@code expired}) or the client connects again.
 *
 * <p>Part of the public Kafka contract: the JSON field names are the component names, events are
 * lower-case strings, unknown fields are ignored so that newer writers can add fields; {@code session}
 * is left out for a connection without a persistent session.
 *
 * @param session the connection's persistent session; null when it has none (a clean session)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PresenceRecord(
    @JsonProperty(required = true) Event event,
    @JsonProperty(required = true) String instanceId,
    @JsonProperty(required = true) String connectionId,
    @JsonProperty(required = true) boolean connected,
    @JsonProperty(required = true) List<Subscription> filters,
    @JsonProperty(required = true) int protocolVersion,
    @JsonProperty(required = true) long timestamp,
    Session session) {

  /** The longest Session Expiry Interval MQTT 5 can say, in seconds (2^32 - 1: "never expires"). */
  public static final long MAX_EXPIRY_INTERVAL = 0xFFFF_FFFFL;
  private static final int MAX_PACKET_ID = 65_535;

  /** The protocol version of a connection that a router, not its instance, declared gone. */
  public static final int UNKNOWN_PROTOCOL_VERSION = 0;

  /**
   * The routing package's one mapper, also used by {@link Receipt}. Strict about numbers and booleans
   * ({@code "4"} is not 4, {@code 1.5} is not an int), lenient about unknown fields (forward
   * compatibility).
   */
  static final ObjectMapper JSON = JsonMapper.builder()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
      .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
      .build();

  public enum Event {
    /** A new connection of the client; it takes over any older one. */
    @JsonProperty("connected") CONNECTED,
    @JsonProperty("subscribed") SUBSCRIBED,
    @JsonProperty("unsubscribed") UNSUBSCRIBED,
    @JsonProperty("disconnected") DISCONNECTED,
    /** The connection's unchanged state, written again on the router's request. */
    @JsonProperty("refreshed") REFRESHED,
    /** The connection's session changed apart from its filters: the QoS 2 packet ids it received. */
    @JsonProperty("updated") UPDATED,
    /**
     * Written by a router: the offline session of the named connection expired. Applies only while
     * that connection is the client's last (a newer connection makes it stale).
     */
    @JsonProperty("expired") EXPIRED
  }

  /**
   * A persistent session, as of this record.
   *
   * @param expiryInterval the granted Session Expiry Interval in seconds, above 0
   * @param expiresAt      when the session expires, in epoch milliseconds: set in {@code disconnected}
   *                       records (the disconnect time plus the interval), 0 while connected
   * @param qos2Received   packet ids of QoS 2 PUBLISH packets written to Kafka and not yet released
   *                       (PUBREL): a resend of one after a reconnect is not written again
   */
  public record Session(
      @JsonProperty(required = true) long expiryInterval,
      @JsonProperty(required = true) long expiresAt,
      List<Integer> qos2Received) {

    public Session {
      if (expiryInterval <= 0 || expiryInterval > MAX_EXPIRY_INTERVAL) {
        throw new IllegalArgumentException("session.expiryInterval must be 1 to " + MAX_EXPIRY_INTERVAL
            + " seconds, not " + expiryInterval);
      }
      if (expiresAt < 0) {
        throw new IllegalArgumentException("session.expiresAt must not be negative, not " + expiresAt);
      }
      qos2Received = qos2Received == null ? List.of() : List.copyOf(qos2Received);
      for (int id : qos2Received) {
        if (id < 1 || id > MAX_PACKET_ID) {
          throw new IllegalArgumentException("session.qos2Received holds " + id + ", not a packet id (1 to 65535)");
        }
      }
    }

    /** This session as it is once its connection ended at {@code nowMillis}: it expires one interval later. */
    public Session disconnectedAt(long nowMillis) {
      return new Session(expiryInterval, nowMillis + expiryInterval * 1000, qos2Received);
    }
  }

  /** A granted subscription: a valid MQTT topic filter and its QoS (0, 1 or 2). */
  public record Subscription(
      @JsonProperty(required = true) String filter,
      @JsonProperty(required = true) int qos) {

    public Subscription {
      if (filter == null || !TopicFilter.isValidFilter(filter)) {
        throw new IllegalArgumentException("filter '" + filter + "' is not a valid MQTT topic filter");
      }
      if (qos < 0 || qos > 2) {
        throw new IllegalArgumentException("qos of filter '" + filter + "' must be 0, 1 or 2, not " + qos);
      }
    }
  }

  /**
   * @throws IllegalArgumentException naming the missing or inconsistent component
   */
  public PresenceRecord {
    if (event == null) {
      throw new IllegalArgumentException("event is missing");
    }
    requireText(instanceId, "instanceId");
    requireText(connectionId, "connectionId");
    boolean ended = event == Event.DISCONNECTED || event == Event.EXPIRED;
    if (connected == ended) {
      throw new IllegalArgumentException("connected must be " + !connected + " for event " + event);
    }
    if (filters == null || filters.stream().anyMatch(Objects::isNull)) {
      throw new IllegalArgumentException("filters must be a list of subscriptions (may be empty)");
    }
    filters = List.copyOf(filters);
    // 0: unknown, in the "disconnected" record a router writes for a connection it found gone.
    boolean unknownVersion = protocolVersion == UNKNOWN_PROTOCOL_VERSION && ended;
    if (!unknownVersion && (protocolVersion < 3 || protocolVersion > 5)) {
      throw new IllegalArgumentException(
          "protocolVersion must be 3 (MQTT 3.1), 4 (3.1.1) or 5, not " + protocolVersion);
    }
  }

  /** A record of a connection without a persistent session. */
  public PresenceRecord(Event event, String instanceId, String connectionId, boolean connected,
                        List<Subscription> filters, int protocolVersion, long timestamp) {
    this(event, instanceId, connectionId, connected, filters, protocolVersion, timestamp, null);
  }

  /** True when the record ends a persistent session's connection: the session lives on, offline. */
  public boolean leavesSession() {
    return event == Event.DISCONNECTED && session != null && session.expiresAt() > 0;
  }

  private static void requireText(String value, String name) {
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException(name + " is missing or empty");
    }
  }

  public byte[] toJson() {
    return write(this);
  }

  /**
   * Parses a record value. A {@code null} value (a tombstone) is not a presence record: the caller
   * passes it to {@link SubscriptionTable#applyTombstone}.
   *
   * @throws IllegalArgumentException when {@code json} is not JSON or a field is missing or invalid
   */
  public static PresenceRecord fromJson(byte[] json) {
    return read(json, PresenceRecord.class, "presence record");
  }

  static byte[] write(Object value) {
    try {
      return JSON.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize " + value, e); // records of strings and numbers
    }
  }

  static <T> T read(byte[] json, Class<T> type, String what) {
    if (json == null) {
      throw new IllegalArgumentException("a " + what + " must not be null");
    }
    T value;
    try {
      value = JSON.readValue(json, type);
    } catch (IOException e) {
      throw new IllegalArgumentException("invalid " + what + ": " + reason(e), e);
    }
    if (value == null) {
      throw new IllegalArgumentException("invalid " + what + ": JSON null instead of an object");
    }
    return value;
  }

  /** Where and why, without Jackson's source excerpt: "filters[0].qos: Cannot coerce ...". */
  private static String reason(IOException e) {
    String why;
    if (e instanceof ValueInstantiationException && e.getCause() instanceof IllegalArgumentException refused) {
      why = refused.getMessage(); // a compact constructor's message names the component
    } else {
      why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
    }
    StringBuilder at = new StringBuilder();
    if (e instanceof JsonMappingException m) {
      for (JsonMappingException.Reference step : m.getPath()) {
        if (step.getFieldName() != null) {
          at.append(at.length() == 0 ? "" : ".").append(step.getFieldName());
        } else if (step.getIndex() >= 0) {
          at.append('[').append(step.getIndex()).append(']');
        }
      }
    }
    return at.length() == 0 ? why : at + ": " + why;
  }
}
