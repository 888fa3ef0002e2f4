package io.mqttkafka.bridge.routing;

import io.mqttkafka.bridge.records.PresenceRecord;
import io.mqttkafka.bridge.topic.TopicFilter;
import io.mqttkafka.bridge.records.PresenceRecord.Subscription;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The subscription state of one partition of {@code mqtt.subscriptions}: for each connected client,
 * its current connection (instance, connection id) and its filters.
 *
 * <p>Rebuilt by replaying the partition from its start and then kept current with live records, so
 * {@link #apply} depends only on the order of the records. Kafka's log order decides between two
 * connections of one client: a {@code connected} record always takes over, and any other record of a
 * connection that is no longer the current one is stale and ignored. Compaction keeps only the last
 * record per client, so a {@code subscribed}, {@code unsubscribed} or {@code refreshed} record for a
 * client with no state restores it: every record carries the connection's whole state.
 *
 * <p>Holds only connected clients, in a compact form: equal instance ids and equal filter lists are
 * shared between clients (most devices subscribe to the same filters) and forgotten with their last
 * user; filters are kept parsed, so {@link #lookup} parses nothing.
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
      STALE
    }

    static final Applied NONE = new Applied(Action.NONE, null, null);
  }

  /** Where a downlink message for a client goes; {@code grantedQos} is -1 unless {@code DELIVER}. */
  public record Route(Kind kind, String instanceId, String connectionId, int grantedQos) {

    public enum Kind {
      /** Send it to {@code connectionId} on {@code instanceId} at QoS min(requested, grantedQos). */
      DELIVER,
      /** The client has no connection; instance and connection are {@code null}. */
      OFFLINE,
      /** The client is connected (instance and connection set) but no filter matches the topic. */
      NOT_SUBSCRIBED
    }

    static final Route OFFLINE = new Route(Kind.OFFLINE, null, null, -1);
  }

  private final Map<String, Client> clients = new HashMap<>();
  private final Interner<String> instanceIds = new Interner<>();
  private final Interner<Filters> filterSets = new Interner<>();

  /** Applies a presence record, the value of the record with key {@code clientId}. */
  public Applied apply(String clientId, PresenceRecord record) {
    Client current = clients.get(clientId);
    return switch (record.event()) {
      case CONNECTED -> connect(clientId, current, record);
      case SUBSCRIBED, UNSUBSCRIBED, REFRESHED -> update(clientId, current, record);
      case DISCONNECTED -> disconnect(clientId, current, record);
    };
  }

  private Applied connect(String clientId, Client current, PresenceRecord record) {
    put(clientId, current, record);
    return isOther(current, record)
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
      return Applied.NONE; // nothing to end, e.g. replaying a client whose last record ended it
    }
    if (isOther(current, record)) {
      return stale(current); // the old connection's late "disconnected" after a takeover
    }
    remove(clientId, current);
    return Applied.NONE;
  }

  /** Whether the table holds a connection of the client other than the record's. */
  private static boolean isOther(Client current, PresenceRecord record) {
    return current != null && !current.connectionId.equals(record.connectionId());
  }

  private static Applied stale(Client current) {
    return new Applied(Applied.Action.STALE, current.instanceId, current.connectionId);
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
    int granted = client.filters.grantedQos(mqttTopic);
    return granted < 0
        ? new Route(Route.Kind.NOT_SUBSCRIBED, client.instanceId, client.connectionId, -1)
        : new Route(Route.Kind.DELIVER, client.instanceId, client.connectionId, granted);
  }

  /** A connected client as the table holds it: its connection and its filters with their QoS. */
  public record Connected(String instanceId, String connectionId, List<Subscription> subscriptions) {
  }

  /** The client's connection and filters, or null when it is not connected. */
  public Connected connected(String clientId) {
    Client client = clients.get(clientId);
    return client == null ? null
        : new Connected(client.instanceId, client.connectionId, client.filters.subscriptions());
  }

  /** The number of connected clients. */
  public int size() {
    return clients.size();
  }

  public void clear() {
    clients.clear();
    instanceIds.clear();
    filterSets.clear();
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
    Client client = new Client(instanceIds.acquire(record.instanceId()), record.connectionId(),
        filterSets.acquire(Filters.of(record.filters())));
    if (current != null) {
      release(current);
    }
    clients.put(clientId, client);
  }

  private void remove(String clientId, Client current) {
    clients.remove(clientId);
    release(current);
  }

  private void release(Client client) {
    instanceIds.release(client.instanceId);
    filterSets.release(client.filters);
  }

  /** One connected client: three references (the instance id and filters are shared). */
  private static final class Client {
    final String instanceId;
    final String connectionId;
    final Filters filters;

    Client(String instanceId, String connectionId, Filters filters) {
      this.instanceId = instanceId;
      this.connectionId = connectionId;
      this.filters = filters;
    }
  }

  /** A client's parsed filters with their QoS, compared by value so equal lists can be shared. */
  static final class Filters {
    private final TopicFilter[] filters;
    private final byte[] qos;
    private final int hash;

    private Filters(TopicFilter[] filters, byte[] qos) {
      this.filters = filters;
      this.qos = qos;
      this.hash = 31 * Arrays.hashCode(filters) + Arrays.hashCode(qos);
    }

    static Filters of(List<Subscription> subscriptions) {
      int n = subscriptions.size();
      TopicFilter[] filters = new TopicFilter[n];
      byte[] qos = new byte[n];
      for (int i = 0; i < n; i++) {
        filters[i] = TopicFilter.parse(subscriptions.get(i).filter());
        qos[i] = (byte) subscriptions.get(i).qos();
      }
      return new Filters(filters, qos);
    }

    List<Subscription> subscriptions() {
      List<Subscription> list = new ArrayList<>(filters.length);
      for (int i = 0; i < filters.length; i++) {
        list.add(new Subscription(filters[i].value(), qos[i]));
      }
      return list;
    }

    /** The highest QoS among the filters that match {@code topic}, or -1 when none does. */
    int grantedQos(String topic) {
      int granted = -1;
      for (int i = 0; i < filters.length; i++) {
        if (qos[i] > granted && filters[i].matches(topic)) {
          granted = qos[i];
        }
      }
      return granted;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Filters other && hash == other.hash
          && Arrays.equals(filters, other.filters) && Arrays.equals(qos, other.qos);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  /** Shares equal values and forgets each one when its last user releases it. */
  private static final class Interner<T> {
    private final Map<T, Shared<T>> shared = new HashMap<>();

    T acquire(T value) {
      Shared<T> entry = shared.computeIfAbsent(value, Shared::new);
      entry.users++;
      return entry.value;
    }

    void release(T value) {
      Shared<T> entry = shared.get(value);
      if (--entry.users == 0) {
        shared.remove(value);
      }
    }

    int size() {
      return shared.size();
    }

    void clear() {
      shared.clear();
    }
  }

  private static final class Shared<T> {
    final T value;
    int users;

    Shared(T value) {
      this.value = value;
    }
  }
}
