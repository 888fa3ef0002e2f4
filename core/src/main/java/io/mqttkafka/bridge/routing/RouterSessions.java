package io.mqttkafka.bridge.routing;

import io.mqttkafka.bridge.bus.AdminProtocol;
import io.mqttkafka.bridge.bus.InstanceProtocol;
import io.mqttkafka.bridge.bus.InstanceProtocol.SessionAnswer;
import io.mqttkafka.bridge.bus.InstanceProtocol.SessionQuery;
import io.mqttkafka.bridge.records.DownlinkRecord;
import io.mqttkafka.bridge.records.PresenceRecord;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * The router's persistent-session duties beside routing, each turn of its loop on the router thread:
 * answers the session queries of connecting clients for the partitions it owns (after reading every
 * presence record written before the query, as downlink records wait in the {@link PresenceGate});
 * expires offline sessions and parked messages ({@link QueueRouter#sweep}); asks the instances its
 * clients are connected through whether they are still there, and ends the connections of those
 * gone, so that their sessions expire and their messages are kept; and points the consumer at the
 * parked copies the drains ask for.
 */
final class RouterSessions {

  private static final long SWEEP_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final long PROBE_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);
  /** How far ahead of its position the reader of parked copies reads on rather than seeks. */
  private static final long READ_AHEAD_RECORDS = 500;

  /** What the sessions need of the loop. */
  interface Loop {
    long positionNow(TopicPartition tp);

    /** End offsets on the end-offsets consumer; an empty map when Kafka did not answer in time. */
    Map<TopicPartition, Long> endOffsetsNow(List<TopicPartition> partitions);
  }

  /** A session query waiting for its presence records, and its end offset once sampled (-1 until then). */
  private static final class Query {
    final Message<Object> message;
    final int partition;
    final long arrivedNanos = System.nanoTime();
    long presenceEnd = -1;

    Query(Message<Object> message, int partition) {
      this.message = message;
      this.partition = partition;
    }
  }

  private final Vertx vertx;
  private final Consumer<String, byte[]> consumer;
  private final OwnedPartitions owned;
  private final QueueRouter queues;
  private final RouterOutput output;
  private final RouterVerticle.Local local;
  private final Loop loop;
  /** Connections through this instance that it did not hold at the last probe (client id to connection id). */
  private Map<String, String> suspects = Map.of();
  private final ConcurrentLinkedQueue<Query> arrived = new ConcurrentLinkedQueue<>();
  private final List<Query> waiting = new ArrayList<>();
  private final Map<Integer, MessageConsumer<Object>> addresses = new HashMap<>();
  private long lastSweepNanos = System.nanoTime();
  private long lastProbeNanos = System.nanoTime();

  RouterSessions(Vertx vertx, Consumer<String, byte[]> consumer, OwnedPartitions owned, QueueRouter queues, RouterOutput output,
                 RouterVerticle.Local local, Loop loop) {
    this.vertx = vertx;
    this.consumer = consumer;
    this.owned = owned;
    this.queues = queues;
    this.output = output;
    this.local = local;
    this.loop = loop;
  }

  /** One turn: addresses follow ownership, queries are answered, and now and then sweep and probe. */
  void turn(long nowNanos) {
    followOwnership();
    answerQueries(nowNanos);
    readParked();
    if (nowNanos - lastSweepNanos >= SWEEP_EVERY_NANOS) {
      lastSweepNanos = nowNanos;
      long nowMillis = System.currentTimeMillis();
      for (DownlinkPartition partition : owned.all()) {
        if (partition.routes()) {
          queues.sweep(partition, nowMillis);
        }
      }
    }
    if (nowNanos - lastProbeNanos >= PROBE_EVERY_NANOS) {
      lastProbeNanos = nowNanos;
      probe();
    }
  }

  /**
   * Points the consumer at the parked copies the drains ask for, in each rebuilt partition of the
   * sessions topic: it reads on from where it is while the next copy asked for is close ahead, seeks
   * when it is behind or far ahead, and pauses the partition when nothing is asked for.
   */
  private void readParked() {
    for (DownlinkPartition partition : owned.all()) {
      if (!partition.ready()) {
        continue;
      }
      long position = partition.reading ? loop.positionNow(partition.sessions) : -1;
      long next = partition.queues.nextRead(position);
      if (next < 0) {
        if (partition.reading) {
          consumer.pause(List.of(partition.sessions));
          partition.reading = false;
        }
      } else if (!partition.reading || next < position || next - position > READ_AHEAD_RECORDS) {
        consumer.seek(partition.sessions, next);
        if (!partition.reading) {
          consumer.resume(List.of(partition.sessions));
          partition.reading = true;
        }
      }
    }
  }

  /** The router stops: its addresses go, and the queries still waiting are told to ask again. */
  void stop() {
    addresses.values().forEach(MessageConsumer::unregister);
    addresses.clear();
    waiting.forEach(query -> query.message.reply(SessionAnswer.NOT_READY));
    waiting.clear();
    Query query;
    while ((query = arrived.poll()) != null) {
      query.message.reply(SessionAnswer.NOT_READY);
    }
  }

  /** Registers the sessions address of each rebuilt partition owned, unregisters the others. */
  private void followOwnership() {
    for (Iterator<Map.Entry<Integer, MessageConsumer<Object>>> it = addresses.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Integer, MessageConsumer<Object>> entry = it.next();
      DownlinkPartition partition = owned.get(entry.getKey());
      if (partition == null || !partition.routes()) {
        entry.getValue().unregister();
        it.remove();
      }
    }
    for (DownlinkPartition partition : owned.all()) {
      if (partition.routes() && !addresses.containsKey(partition.number)) {
        int number = partition.number;
        addresses.put(number, vertx.eventBus().consumer(InstanceProtocol.sessionsAddress(number),
            message -> arrived.add(new Query(message, number))));
      }
    }
  }

  private void answerQueries(long nowNanos) {
    Query query;
    while ((query = arrived.poll()) != null) {
      waiting.add(query);
    }
    if (waiting.isEmpty()) {
      return;
    }
    Set<TopicPartition> unsampled = new HashSet<>();
    for (Query q : waiting) {
      DownlinkPartition partition = owned.get(q.partition);
      if (q.presenceEnd < 0 && partition != null) {
        unsampled.add(partition.presence);
      }
    }
    Map<TopicPartition, Long> ends = unsampled.isEmpty() ? Map.of() : loop.endOffsetsNow(List.copyOf(unsampled));
    for (Iterator<Query> it = waiting.iterator(); it.hasNext(); ) {
      Query q = it.next();
      DownlinkPartition partition = owned.get(q.partition);
      if (partition == null || !partition.routes()) {
        q.message.reply(SessionAnswer.NOT_READY);
        it.remove();
        continue;
      }
      if (q.presenceEnd < 0) {
        q.presenceEnd = ends.getOrDefault(partition.presence, -1L);
      }
      boolean presenceRead = q.presenceEnd >= 0 && loop.positionNow(partition.presence) >= q.presenceEnd;
      if (presenceRead || nowNanos - q.arrivedNanos >= PresenceGate.MAX_WAIT_NANOS) {
        q.message.reply(answer(partition, q.message.body()));
        it.remove();
      }
    }
  }

  private static SessionAnswer answer(DownlinkPartition partition, Object body) {
    if (!(body instanceof SessionQuery query) || query.clientId() == null) {
      return SessionAnswer.NONE;
    }
    if (partition.table.session(query.clientId()) == null) {
      return SessionAnswer.NONE;
    }
    PresenceRecord session = partition.table.offlineRecord(query.clientId(), System.currentTimeMillis());
    return new SessionAnswer(SessionAnswer.Kind.FOUND, session);
  }

  /**
   * Ends the connections through this instance that it does not hold, two probes in a row: left by an
   * earlier run under the same instance id ({@code bridge.id} set), whose end nobody wrote. One probe
   * is not enough: a connection that just closed has its {@code disconnected} record on its way.
   */
  private void probeLocal() {
    Map<String, String> notHeld = new HashMap<>();
    for (DownlinkPartition partition : owned.all()) {
      if (!partition.routes()) {
        continue;
      }
      for (String clientId : partition.table.connectedThrough(local.instanceId())) {
        SubscriptionTable.Connection connection = partition.table.connection(clientId);
        var held = local.connections().get(clientId);
        if (held == null || !held.connectionId().equals(connection.connectionId())) {
          if (connection.connectionId().equals(suspects.get(clientId))) {
            queues.connectionGone(partition, clientId, connection.connectionId());
          } else {
            notHeld.put(clientId, connection.connectionId());
          }
        }
      }
    }
    suspects = notHeld;
  }

  /** Pings every other instance that connected clients of these partitions are connected through. */
  private void probe() {
    Set<String> instances = new HashSet<>();
    for (DownlinkPartition partition : owned.all()) {
      if (partition.routes()) {
        instances.addAll(partition.table.instances());
      }
    }
    if (instances.remove(local.instanceId())) {
      probeLocal();
    }
    for (String instanceId : instances) {
      output.ping(instanceId, () -> {
        for (DownlinkPartition partition : owned.all()) {
          if (partition.routes()) {
            queues.instanceGone(partition, instanceId);
          }
        }
      });
    }
  }

  /** The router's view of a client if this instance routes its partition, else null. The router thread only. */
  AdminProtocol.Route route(String clientId, int partitions) {
    int partition = DownlinkRecord.homePartition(clientId, partitions);
    DownlinkPartition owner = owned.get(partition);
    if (owner == null) {
      return null;
    }
    SubscriptionTable.Connected connected = owner.table.connected(clientId);
    SubscriptionTable.SessionView session = owner.table.session(clientId);
    ClientQueue queue = owner.queues.of(clientId);
    // A client without a session may have records queued too (mqtt.offline=queue): expiry 0 says so.
    AdminProtocol.SessionState state = session == null && queue == null ? null : new AdminProtocol.SessionState(
        session == null ? 0 : session.expiryInterval(), session == null ? 0 : session.expiresAt(),
        session == null ? List.of() : session.filters(), queue == null ? 0 : queue.size(),
        queue == null ? 0 : queue.bytes());
    return connected == null ? new AdminProtocol.Route(partition, false, null, null, List.of(), state)
        : new AdminProtocol.Route(partition, true, connected.instanceId(), connected.connectionId(),
            connected.subscriptions(), state);
  }
}
