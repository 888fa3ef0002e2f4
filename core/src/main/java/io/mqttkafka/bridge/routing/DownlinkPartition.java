package io.mqttkafka.bridge.routing;

import org.apache.kafka.common.TopicPartition;

/**
 * One partition number the router owns, of its three co-partitioned topics: the subscription state
 * rebuilt from {@code mqtt.subscriptions}; the messages parked for its clients, rebuilt from
 * {@code mqtt.sessions}; and the life of its {@code mqtt.downlink} records: held by the
 * {@link PresenceGate}, then routed and settled in the {@link OffsetLedger}. The router thread only;
 * a settlement completed elsewhere names the partition object it was routed in, so one that arrives
 * after the partition was dropped (and perhaps assigned again: a new object) changes nothing.
 */
final class DownlinkPartition {

  final int number;
  final TopicPartition presence;
  final TopicPartition downlink;
  final TopicPartition sessions;
  final SubscriptionTable table = new SubscriptionTable();
  final ParkedQueues queues = new ParkedQueues();
  final PresenceGate gate = new PresenceGate();
  final OffsetLedger ledger = new OffsetLedger();
  /** The subscriptions offset to read up to before routing (the end offset at assignment); 0: nothing. */
  private final long rebuildUntil;
  /** The same for the sessions partition. */
  private final long sessionsRebuildUntil;
  private final long rebuildStartNanos;
  private boolean ready;
  private boolean dropped;
  /** True while the consumer reads the sessions partition for drains (not paused). */
  boolean reading;

  /** The three topics' names, the subscriptions and sessions end offsets at assignment. */
  DownlinkPartition(int number, RouterVerticle.Topics topics, long rebuildUntil, long sessionsRebuildUntil,
                    long nowNanos) {
    this.number = number;
    this.presence = new TopicPartition(topics.subscriptions(), number);
    this.downlink = new TopicPartition(topics.downlink(), number);
    this.sessions = new TopicPartition(topics.sessions(), number);
    this.rebuildUntil = rebuildUntil;
    this.sessionsRebuildUntil = sessionsRebuildUntil;
    this.rebuildStartNanos = nowNanos;
  }

  /** True once the subscription state and the queues are rebuilt: its downlink records may be routed. */
  boolean ready() {
    return ready;
  }

  /** True while the router owns the partition and it is rebuilt: what it routes and drains counts. */
  boolean routes() {
    return ready && !dropped;
  }

  /** The router no longer owns the partition: what completes for it later changes nothing it sends. */
  void dropped() {
    dropped = true;
  }

  /** A revoked partition the router kept was assigned back to it. */
  void restored() {
    dropped = false;
  }

  /**
   * Marks the partition rebuilt once the router has read the subscriptions and sessions partitions
   * up to where they ended at assignment (at once when they were empty). Returns how long the rebuild
   * took, or -1 when it is not done (or was before).
   *
   * @param presencePosition the router's position in the subscriptions partition, -1 when not known
   * @param sessionsPosition the same in the sessions partition
   */
  long checkRebuilt(long presencePosition, long sessionsPosition, long nowNanos) {
    if (ready || (rebuildUntil > 0 && presencePosition < rebuildUntil)
        || (sessionsRebuildUntil > 0 && sessionsPosition < sessionsRebuildUntil)) {
      return -1;
    }
    ready = true;
    return nowNanos - rebuildStartNanos;
  }

  /** The offset to commit for the downlink partition, or -1 (see {@link OffsetLedger#commitPoint}). */
  long commitPoint(long downlinkPosition) {
    return ledger.commitPoint(downlinkPosition, gate.firstHeld());
  }

  long rebuildUntil() {
    return rebuildUntil;
  }
}
