package io.mqttkafka.bridge.routing;

import io.mqttkafka.bridge.records.PresenceRecord;
import io.mqttkafka.bridge.records.PresenceRecord.Event;
import io.mqttkafka.bridge.records.PresenceRecord.Session;
import io.mqttkafka.bridge.topic.TopicFilter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The subscription state of one partition of {@code mqtt.subscriptions}: for each connected client,
 * its current connection (instance, connection id) and its filters; for each client whose persistent
 * session outlives its connection, that offline session (filters, expiry, QoS 2 packet ids) until it
 * expires ({@link SessionExpiry}).
 *
 * <p>Rebuilt by replaying the partition from its start and then kept current with live records, so
 * {@link #apply} depends only on the order of the records. Kafka's log order decides between two
 * connections of one client: a {@code connected} record always takes over, and any other record of a
 * connection that is no longer the current one is stale and ignored. Compaction keeps only the last
 * record per client, so a {@code subscribed}, {@code unsubscribed}, {@code refreshed} or
 * {@code updated} record for a client with no state restores it: every record carries the
 * connection's whole state.
 *
 * <p>Compact: equal instance ids and equal filter lists are shared between clients and forgotten with
 * their last user; filters are kept parsed, so {@link #lookup} parses nothing; a client without a
 * persistent session holds no session fields.
 *
 * <p>Not thread-safe: one table per partition, used by the one thread that consumes that partition.
 */
public final class SubscriptionTable {

  /** What the router must do after {@link #apply}, and for which connection. */
  public record Applied(Action action, String instanceId, String connectionId) {

    public enum Action {
      /** Nothing: the record was applied, or it ended a connection the table did not hold. */
      NONE,
      /** A newer connection took over: tell {@code instanceId} to close {@code connectionId}. */
      TAKEOVER,
      /**
       * The record came from a connection that is no longer current and was ignored: ask
       * {@code instanceId} to write the state of {@code connectionId} again, so that the client's last
       * record, the one compaction keeps, is the current connection's.
       */
      STALE,
      /**
       * Like {@link #STALE}, but the current state is an offline session, which no instance holds:
       * the router writes its {@code disconnected} record again ({@link #offlineRecord}).
       */
      RESTATE
    }

    static final Applied NONE = new Applied(Action.NONE, null, null);
  }

  /**
   * Where a downlink message for a client goes; {@code grantedQos} is -1 unless {@code DELIVER}.
   *
   * @param persistent whether the client has a persistent session (connected or not)
   */
  public record Route(Kind kind, String instanceId, String connectionId, int grantedQos, boolean persistent) {

    public enum Kind {
      /** Send it to {@code connectionId} on {@code instanceId} at QoS min(requested, grantedQos). */
      DELIVER,
      /** The client has no connection; instance and connection are {@code null}. */
      OFFLINE,
      /** The client is connected (instance and connection set) but no filter matches the topic. */
      NOT_SUBSCRIBED
    }

    static final Route OFFLINE = new Route(Kind.OFFLINE, null, null, -1, false);
    static final Route SESSION_OFFLINE = new Route(Kind.OFFLINE, null, null, -1, true);
  }

  /** A client's current connection, for the router's drains. */
  record Connection(String instanceId, String connectionId, boolean persistent, Filters filters) {
  }

  /** A client's persistent session, connected or not: what a resuming connection takes over. */
  public record SessionView(String connectionId, boolean connected, long expiryInterval, long expiresAt,
                            List<PresenceRecord.Subscription> filters, List<Integer> qos2Received) {
  }

  private final Map<String, Client> clients = new HashMap<>();
  /** The instance ids of connected clients: the instances the router probes ({@link #instances}). */
  private final Interner<String> instanceIds = new Interner<>();
  /** The instance ids offline sessions were last connected through. */
  private final Interner<String> formerInstanceIds = new Interner<>();
  private final Interner<Filters> filterSets = new Interner<>();
  private final SessionExpiry expiry = new SessionExpiry();

  /** Applies a presence record, the value of the record with key {@code clientId}. */
  public Applied apply(String clientId, PresenceRecord record) {
    Client current = clients.get(clientId);
    return switch (record.event()) {
      case CONNECTED -> connect(clientId, current, record);
      case SUBSCRIBED, UNSUBSCRIBED, REFRESHED, UPDATED -> update(clientId, current, record);
      case DISCONNECTED -> disconnect(clientId, current, record);
      case EXPIRED -> expire(clientId, current, record);
    };
  }

  private Applied connect(String clientId, Client current, PresenceRecord record) {
    put(clientId, current, record);
    return current != null && current.connected() && isOther(current, record)
        ? new Applied(Applied.Action.TAKEOVER, current.instanceId, current.connectionId)
        : Applied.NONE;
  }

  private Applied update(String clientId, Client current, PresenceRecord record) {
    if (isOther(current, record)) {
      return stale(current); // e.g. the old connection's late "subscribed" after a takeover
    }
    put(clientId, current, record); // with no current state: the last record compaction kept
    return Applied.NONE;
  }

  private Applied disconnect(String clientId, Client current, PresenceRecord record) {
    if (current == null) {
      if (record.leavesSession()) {
        put(clientId, null, record); // replaying an offline session
      }
      return Applied.NONE; // else nothing to end, e.g. replaying a client whose last record ended it
    }
    if (isOther(current, record)) {
      return stale(current); // the old connection's late "disconnected" after a takeover
    }
    if (record.leavesSession()) {
      put(clientId, current, record);
    } else {
      remove(clientId, current);
    }
    return Applied.NONE;
  }

  /** An offline session expired: applied only while the named connection is still the client's last. */
  private Applied expire(String clientId, Client current, PresenceRecord record) {
    if (current != null && !current.connected() && !isOther(current, record)) {
      remove(clientId, current);
    }
    return Applied.NONE;
  }

  /** Whether the table holds a connection of the client other than the record's. */
  private static boolean isOther(Client current, PresenceRecord record) {
    return current != null && !current.connectionId.equals(record.connectionId());
  }

  private static Applied stale(Client current) {
    return current.connected() ? new Applied(Applied.Action.STALE, current.instanceId, current.connectionId)
        : new Applied(Applied.Action.RESTATE, current.instanceId, current.connectionId);
  }

  /** Applies a tombstone (a {@code null} value): the client's state is deleted. */
  public void applyTombstone(String clientId) {
    Client current = clients.get(clientId);
    if (current != null) {
      remove(clientId, current);
    }
  }

  /**
   * Where a downlink message with MQTT topic {@code mqttTopic} for {@code clientId} goes. The caller
   * has checked the topic with {@link TopicFilter#isValidTopicName}.
   */
  public Route lookup(String clientId, String mqttTopic) {
    Client client = clients.get(clientId);
    if (client == null) {
      return Route.OFFLINE;
    }
    if (!client.connected()) {
      return Route.SESSION_OFFLINE;
    }
    int granted = client.filters.grantedQos(mqttTopic);
    boolean persistent = client instanceof SessionClient;
    return granted < 0
        ? new Route(Route.Kind.NOT_SUBSCRIBED, client.instanceId, client.connectionId, -1, persistent)
        : new Route(Route.Kind.DELIVER, client.instanceId, client.connectionId, granted, persistent);
  }

  /** The client's connection, or null when it is not connected. */
  Connection connection(String clientId) {
    Client client = clients.get(clientId);
    return client == null || !client.connected() ? null
        : new Connection(client.instanceId, client.connectionId, client instanceof SessionClient, client.filters);
  }

  /** The client's persistent session, or null when it has none. */
  public SessionView session(String clientId) {
    return clients.get(clientId) instanceof SessionClient s ? new SessionView(s.connectionId, s.connected(),
        s.expiryInterval, s.expiresAt, s.filters.subscriptions(), qos2List(s.qos2)) : null;
  }

  /**
   * The {@code disconnected} record of a client's offline session, or of its connection (with its
   * session, if persistent) as the router writes it when that connection's instance is gone; null
   * when the client has no state.
   */
  PresenceRecord offlineRecord(String clientId, long nowMillis) {
    Client client = clients.get(clientId);
    if (client == null) {
      return null;
    }
    Session session = null;
    if (client instanceof SessionClient s) {
      session = new Session(s.expiryInterval, s.connected() ? nowMillis + s.expiryInterval * 1000 : s.expiresAt,
          qos2List(s.qos2));
    }
    return new PresenceRecord(Event.DISCONNECTED, client.instanceId, client.connectionId, false,
        session == null ? List.of() : client.filters.subscriptions(), PresenceRecord.UNKNOWN_PROTOCOL_VERSION,
        nowMillis, session);
  }

  /** The instance ids of the connected clients. */
  Set<String> instances() {
    return Set.copyOf(instanceIds.values());
  }

  /** The clients connected through {@code instanceId}. */
  List<String> connectedThrough(String instanceId) {
    List<String> found = new ArrayList<>();
    clients.forEach((clientId, client) -> {
      if (client.connected() && client.instanceId.equals(instanceId)) {
        found.add(clientId);
      }
    });
    return found;
  }

  /**
   * Removes every offline session whose expiry passed at {@code nowMillis} and returns their
   * {@code expired} records (key: the client id), for the router to write.
   */
  Map<String, PresenceRecord> expireDue(long nowMillis) {
    Map<String, PresenceRecord> expired = new HashMap<>();
    for (String clientId : expiry.due(nowMillis)) {
      Client client = clients.get(clientId);
      if (client instanceof SessionClient s && !s.connected() && s.expiresAt <= nowMillis) {
        expired.put(clientId, new PresenceRecord(Event.EXPIRED, s.instanceId, s.connectionId, false, List.of(),
            PresenceRecord.UNKNOWN_PROTOCOL_VERSION, nowMillis));
        remove(clientId, s);
      }
    }
    return expired;
  }

  /** A connected client as the table holds it: its connection and its filters with their QoS. */
  public record Connected(String instanceId, String connectionId, List<PresenceRecord.Subscription> subscriptions) {
  }

  /** The client's connection and filters, or null when it is not connected. */
  public Connected connected(String clientId) {
    Client client = clients.get(clientId);
    return client == null || !client.connected() ? null
        : new Connected(client.instanceId, client.connectionId, client.filters.subscriptions());
  }

  /** The number of clients held: connected ones and offline sessions. */
  public int size() {
    return clients.size();
  }

  /** The number of offline sessions held. */
  public int offlineSessions() {
    return expiry.size();
  }

  public void clear() {
    clients.clear();
    instanceIds.clear();
    formerInstanceIds.clear();
    filterSets.clear();
    expiry.clear();
  }

  /** For tests: the client's filters, the same instance for clients with equal filter lists. */
  Filters filtersOf(String clientId) {
    Client client = clients.get(clientId);
    return client == null ? null : client.filters;
  }

  /** For tests: how many distinct filter lists are held. */
  int filterSetCount() {
    return filterSets.size();
  }

  private void put(String clientId, Client current, PresenceRecord record) {
    // Acquire before releasing: a client keeping its filters must not drop the shared copy.
    String instanceId = (record.connected() ? instanceIds : formerInstanceIds).acquire(record.instanceId());
    Filters filters = filterSets.acquire(Filters.of(record.filters()));
    Session session = record.session();
    Client client = session == null ? new Client(instanceId, record.connectionId(), filters)
        : new SessionClient(instanceId, record.connectionId(), filters, session.expiryInterval(),
            record.connected() ? 0 : session.expiresAt(), qos2Array(session.qos2Received()));
    if (current != null) {
      release(clientId, current);
    }
    clients.put(clientId, client);
    if (!client.connected()) {
      expiry.add(clientId, client.expiresAt());
    }
  }

  private void remove(String clientId, Client current) {
    clients.remove(clientId);
    release(clientId, current);
  }

  private void release(String clientId, Client client) {
    filterSets.release(client.filters);
    if (client.connected()) {
      instanceIds.release(client.instanceId);
    } else {
      formerInstanceIds.release(client.instanceId);
      expiry.remove(clientId, client.expiresAt());
    }
  }

  private static int[] qos2Array(List<Integer> ids) {
    return ids.isEmpty() ? null : ids.stream().mapToInt(Integer::intValue).toArray();
  }

  private static List<Integer> qos2List(int[] ids) {
    return ids == null ? List.of() : Arrays.stream(ids).boxed().toList();
  }

  /** One client without a persistent session: connected, three references (instance id and filters shared). */
  private static class Client {
    final String instanceId;
    final String connectionId;
    final Filters filters;

    Client(String instanceId, String connectionId, Filters filters) {
      this.instanceId = instanceId;
      this.connectionId = connectionId;
      this.filters = filters;
    }

    boolean connected() {
      return true;
    }

    long expiresAt() {
      return 0;
    }
  }

  /** A client with a persistent session, connected ({@code expiresAt} 0) or offline. */
  private static final class SessionClient extends Client {
    final long expiryInterval;
    final long expiresAt;
    /** The QoS 2 packet ids received and not released; null when none. */
    final int[] qos2;

    SessionClient(String instanceId, String connectionId, Filters filters, long expiryInterval, long expiresAt,
                  int[] qos2) {
      super(instanceId, connectionId, filters);
      this.expiryInterval = expiryInterval;
      this.expiresAt = expiresAt;
      this.qos2 = qos2;
    }

    @Override
    boolean connected() {
      return expiresAt == 0;
    }

    @Override
    long expiresAt() {
      return expiresAt;
    }
  }
}
