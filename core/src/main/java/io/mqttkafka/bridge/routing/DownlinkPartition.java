package io.mqttkafka.bridge.routing;

import org.apache.kafka.common.TopicPartition;

/**
 * One partition number the router owns, of both topics: the subscription state rebuilt from
 * {@code mqtt.subscriptions}, and the life of its {@code mqtt.downlink} records: held by the
 * {@link PresenceGate}, then routed and settled in the {@link OffsetLedger}. The router thread only;
 * a settlement completed elsewhere names the partition object it was routed in, so one that arrives
 * after the partition was dropped (and perhaps assigned again: a new object) changes nothing.
 */
final class DownlinkPartition {

  final int number;
  final TopicPartition presence;
  final TopicPartition downlink;
  final SubscriptionTable table = new SubscriptionTable();
  final PresenceGate gate = new PresenceGate();
  final OffsetLedger ledger = new OffsetLedger();
  /** The subscriptions offset to read up to before routing (the end offset at assignment); 0: nothing. */
  private final long rebuildUntil;
  private final long rebuildStartNanos;
  private boolean ready;

  DownlinkPartition(int number, String presenceTopic, String downlinkTopic, long rebuildUntil, long nowNanos) {
    this.number = number;
    this.presence = new TopicPartition(presenceTopic, number);
    this.downlink = new TopicPartition(downlinkTopic, number);
    this.rebuildUntil = rebuildUntil;
    this.rebuildStartNanos = nowNanos;
  }

  /** True once the subscription state is rebuilt: its downlink records may be routed. */
  boolean ready() {
    return ready;
  }

  /**
   * Marks the partition rebuilt once the router has read the subscriptions partition up to where it
   * ended at assignment (at once when it was empty). Returns how long the rebuild took, or -1 when it
   * is not done (or was before).
   *
   * @param presencePosition the router's position in the subscriptions partition, -1 when not known
   */
  long checkRebuilt(long presencePosition, long nowNanos) {
    if (ready || (rebuildUntil > 0 && presencePosition < rebuildUntil)) {
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
