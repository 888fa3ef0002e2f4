package io.mqttkafka.bridge.routing;

import io.mqttkafka.bridge.routing.OffsetLedger.Routed;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
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

  /** A partition revoked by the rebalance under way, and the positions of its two topic partitions then. */
  record Kept(DownlinkPartition partition, long presencePosition, long downlinkPosition) {
  }

  private final Map<Integer, DownlinkPartition> owned = new HashMap<>();
  private final Map<Integer, Kept> kept = new HashMap<>();
  private volatile Set<Integer> numbers = Set.of();
  private volatile int rebuilding;
  private volatile int clients;
  private volatile int held;
  private volatile int forwarded;
  private volatile int receipts;
  private volatile int moving;

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
    owned.remove(number);
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
    int waiting = 0;
    int toInstances = 0;
    int ownReceipts = 0;
    int copies = 0;
    for (DownlinkPartition partition : owned.values()) {
      known += partition.table.size();
      waiting += partition.gate.records();
      toInstances += partition.ledger.unsettled(Routed.FORWARDED);
      ownReceipts += partition.ledger.unsettled(Routed.RECEIPT);
      copies += partition.ledger.unsettled(Routed.MOVING);
    }
    clients = known;
    held = waiting;
    forwarded = toInstances;
    receipts = ownReceipts;
    moving = copies;
  }

  Set<Integer> numbers() {
    return numbers;
  }

  int rebuilding() {
    return rebuilding;
  }

  int clients() {
    return clients;
  }

  /** Downlink records held by the presence gates. */
  int held() {
    return held;
  }

  /** Downlink records routed and not settled, waiting for {@code kind}. */
  int routed(Routed kind) {
    return switch (kind) {
      case FORWARDED -> forwarded;
      case RECEIPT -> receipts;
      case MOVING -> moving;
    };
  }
}
