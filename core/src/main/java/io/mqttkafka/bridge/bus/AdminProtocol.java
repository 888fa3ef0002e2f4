package io.mqttkafka.bridge.bus;

import io.mqttkafka.bridge.records.PresenceRecord.Subscription;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the admin API of one instance asks every instance of the cluster (itself included) over the
 * event bus: one address per instance ({@link #address}), beside {@link InstanceProtocol}'s. Every
 * message is a typed, immutable record with its own codec ({@link JsonRecordCodec}: JSON between
 * instances, the object itself within one). Admin requests are rare and small; none is on a message path.
 *
 * <ul>
 *   <li>{@link InstanceQuery}, answered with {@link InstanceInfo}: the instance's connections, router
 *       partitions and main counters;</li>
 *   <li>{@link ClientQuery}, answered with {@link ClientAnswer}: the client's connection if it is on
 *       that instance, and the router's view of the client if that instance routes its partition;</li>
 *   <li>{@link DisconnectRequest}, answered with {@link DisconnectAnswer}: closes the client's
 *       connection if it is on that instance.</li>
 * </ul>
 * An instance that does not answer within {@link #REQUEST_TIMEOUT_MS} (gone, or stuck) fails the request
 * with vert.x's {@code ReplyException}; the asker reports it as not answering.
 */
public final class AdminProtocol {

  /** How long an instance may take to answer. */
  public static final long REQUEST_TIMEOUT_MS = 5_000;
  public static final DeliveryOptions REQUEST = new DeliveryOptions().setSendTimeout(REQUEST_TIMEOUT_MS);

  private static final String PREFIX = "mqtt.bridge.admin.";
  private static final Object REGISTERING = new Object();

  private AdminProtocol() {
  }

  /** The admin event-bus address of an instance. */
  public static String address(String instanceId) {
    return PREFIX + instanceId;
  }

  /** Registers the protocol's codecs on this event bus unless they are. */
  public static void register(EventBus bus) {
    synchronized (REGISTERING) {
      try {
        for (Class<? extends Record> type : List.of(InstanceQuery.class, InstanceInfo.class, ClientQuery.class,
            ClientAnswer.class, DisconnectRequest.class, DisconnectAnswer.class)) {
          register(bus, type);
        }
      } catch (IllegalStateException alreadyRegistered) {
        // One set per event bus.
      }
    }
  }

  private static <T extends Record> void register(EventBus bus, Class<T> type) {
    bus.registerDefaultCodec(type, new JsonRecordCodec<>(type));
  }

  /** Asks an instance about itself. */
  public record InstanceQuery() {
  }

  /**
   * One instance.
   *
   * @param startedAt        when it started, epoch milliseconds
   * @param connections      MQTT connections open on it
   * @param routerPartitions the partitions of the subscription state it routes, sorted
   * @param routerClients    connected clients its router partitions know
   * @param ready            its readiness (MQTT listening, Kafka reachable, router partitions rebuilt)
   * @param counters         running totals of its main meters, by name (see the admin API's document);
   *                         a console turns successive answers into rates
   * @param sampledAt        when the counters were read, epoch milliseconds of that instance's clock
   */
  public record InstanceInfo(String instanceId, long startedAt, int connections, List<Integer> routerPartitions,
                             int routerClients, boolean ready, Map<String, Double> counters, long sampledAt) {
    public InstanceInfo {
      Objects.requireNonNull(instanceId, "instanceId");
      routerPartitions = List.copyOf(routerPartitions);
      counters = Map.copyOf(counters);
    }
  }

  /** Asks an instance what it knows of one client. */
  public record ClientQuery(String clientId) {
    public ClientQuery {
      Objects.requireNonNull(clientId, "clientId");
    }
  }

  /**
   * A client's connection on the instance that holds it.
   *
   * @param username        the authenticated user name, or null for an anonymous client
   * @param protocolVersion 4 (MQTT 3.1.1) or 5
   * @param connectedAt     when its CONNECT was accepted, epoch milliseconds
   * @param subscriptions   the filters it holds, with the QoS granted
   */
  public record Connection(String clientId, String connectionId, String username, int protocolVersion,
                           long connectedAt, List<Subscription> subscriptions) {
    public Connection {
      subscriptions = List.copyOf(subscriptions);
    }
  }

  /**
   * The router's view of a client, from the instance that routes its partition: where its current
   * connection is (from {@code mqtt.subscriptions}), or not connected.
   *
   * @param instanceId    the instance of its connection; null when not connected
   * @param connectionId  its connection; null when not connected
   * @param subscriptions its filters as the router routes by them; empty when not connected
   * @param session       its persistent session, or null when it has none
   */
  public record Route(int partition, boolean connected, String instanceId, String connectionId,
                      List<Subscription> subscriptions, SessionState session) {
    public Route {
      subscriptions = List.copyOf(subscriptions);
    }
  }

  /**
   * A client's persistent session as its router keeps it.
   *
   * @param expiryInterval the granted Session Expiry Interval, in seconds
   * @param expiresAt      when it expires unless the client connects (epoch ms); 0 while connected
   * @param subscriptions  its subscriptions, also while the client is offline
   * @param queued         downlink records kept for it ({@code mqtt.sessions})
   * @param queuedBytes    their key and value bytes
   */
  public record SessionState(long expiryInterval, long expiresAt, List<Subscription> subscriptions, int queued,
                             long queuedBytes) {
    public SessionState {
      subscriptions = List.copyOf(subscriptions);
    }
  }

  /**
   * What one instance knows of a client.
   *
   * @param connection its connection on this instance, or null
   * @param route      the router's view, or null when this instance does not route the client's partition
   */
  public record ClientAnswer(String instanceId, Connection connection, Route route) {
  }

  /** Closes the client's connection on the instance that holds it (MQTT 5: DISCONNECT 0x98). */
  public record DisconnectRequest(String clientId) {
    public DisconnectRequest {
      Objects.requireNonNull(clientId, "clientId");
    }
  }

  /** @param connectionId the connection closed, or null when the client is not connected there */
  public record DisconnectAnswer(String instanceId, String connectionId) {
  }
}
