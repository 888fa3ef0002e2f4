package io.mqttkafka.bridge.routing;

import io.mqttkafka.bridge.routing.OffsetLedger.Routed;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The partition numbers the router owns now, and those a rebalance under way revoked with the
 * router's positions in them (a partition assigned back continues from there). Changed by the router
 * thread only; the counts other threads read (readiness, gauges) are published after each change and
 * each turn of the loop.
 */
final class OwnedPartitions {

  /** A partition revoked by the rebalance under way, and the positions of its topic partitions then. */
  record Kept(DownlinkPartition partition, long presencePosition, long downlinkPosition, long sessionsPosition) {
  }

  private final Map<Integer, DownlinkPartition> owned = new HashMap<>();
  private final Map<Integer, Kept> kept = new HashMap<>();
  private volatile Set<Integer> numbers = Set.of();
  private volatile int rebuilding;
  private static final Routed[] KINDS = Routed.values();

  private volatile int clients;
  private volatile int offlineSessions;
  private volatile int held;
  private volatile long parked;
  private volatile long parkedBytes;
  private volatile int[] routed = new int[KINDS.length];

  DownlinkPartition get(int number) {
    return owned.get(number);
  }

  Collection<DownlinkPartition> all() {
    return owned.values();
  }

  void put(DownlinkPartition partition) {
    owned.put(partition.number, partition);
  }

  void remove(int number) {
    DownlinkPartition gone = owned.remove(number);
    if (gone != null) {
      gone.dropped();
    }
  }

  /** Sets a revoked partition aside with the router's positions in it. */
  void keep(Kept partition) {
    kept.put(partition.partition().number, partition);
  }

  /** The kept partition of that number, no longer kept; null when there is none. */
  Kept takeKept(int number) {
    return kept.remove(number);
  }

  /** Forgets every kept partition (they moved elsewhere, or this consumer was out of the group); their numbers. */
  Set<Integer> dropKept() {
    Set<Integer> dropped = Set.copyOf(kept.keySet());
    kept.clear();
    return dropped;
  }

  /** After an assignment, a revocation or a rebuild: which partitions, how many still rebuild, and the counts. */
  void publish() {
    int notReady = 0;
    for (DownlinkPartition partition : owned.values()) {
      notReady += partition.ready() ? 0 : 1;
    }
    numbers = Collections.unmodifiableSortedSet(new TreeSet<>(owned.keySet()));
    rebuilding = notReady;
    publishCounts();
  }

  /** Every turn of the loop (records come and settle): sums, no allocation. */
  void publishCounts() {
    int known = 0;
    int offline = 0;
    int waiting = 0;
    long messages = 0;
    long messageBytes = 0;
    int[] waitingFor = new int[KINDS.length];
    for (DownlinkPartition partition : owned.values()) {
      known += partition.table.size();
      offline += partition.table.offlineSessions();
      waiting += partition.gate.records();
      messages += partition.queues.messages();
      messageBytes += partition.queues.bytes();
      for (Routed kind : KINDS) {
        waitingFor[kind.ordinal()] += partition.ledger.unsettled(kind);
      }
    }
    clients = known - offline;
    offlineSessions = offline;
    held = waiting;
    parked = messages;
    parkedBytes = messageBytes;
    routed = waitingFor;
  }

  Set<Integer> numbers() {
    return numbers;
  }

  int rebuilding() {
    return rebuilding;
  }

  /** Connected clients. */
  int clients() {
    return clients;
  }

  /** Persistent sessions whose client is offline. */
  int offlineSessions() {
    return offlineSessions;
  }

  /** Messages parked for clients. */
  long parked() {
    return parked;
  }

  /** Key and value bytes of the parked messages (kept in Kafka; the router keeps an index entry each). */
  long parkedBytes() {
    return parkedBytes;
  }

  /** Downlink records held by the presence gates. */
  int held() {
    return held;
  }

  /** Downlink records routed and not settled, waiting for {@code kind}. */
  int routed(Routed kind) {
    return routed[kind.ordinal()];
  }

  /** The partitions owned now, for a task outside the loop's turn (a copy). */
  List<DownlinkPartition> snapshot() {
    return List.copyOf(owned.values());
  }
}
