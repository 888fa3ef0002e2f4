package io.mqttkafka.bridge.routing;

import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Settlements on their way to the router thread: a forward's answer, a receipt's or a copy's
 * acknowledgement completes on an event loop, and only the router thread changes a partition's
 * {@link OffsetLedger}. Any thread may {@link #settled}; the router thread {@link #apply}s them each
 * turn of its loop, before it commits.
 */
final class SettleQueue {

  private record Settled(DownlinkPartition partition, long offset) {
  }

  private final ConcurrentLinkedQueue<Settled> queue = new ConcurrentLinkedQueue<>();

  /** The record at {@code offset}, routed in {@code partition}, is settled. Any thread. */
  void settled(DownlinkPartition partition, long offset) {
    queue.add(new Settled(partition, offset));
  }

  /**
   * Applies every settlement queued so far to its partition's ledger; a partition the router no longer
   * owns keeps its old ledger, which nothing reads any more. The router thread only.
   */
  void apply() {
    Settled settled;
    while ((settled = queue.poll()) != null) {
      settled.partition.ledger.settle(settled.offset);
    }
  }
}
