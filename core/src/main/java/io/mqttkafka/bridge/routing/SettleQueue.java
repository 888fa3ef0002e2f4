package io.mqttkafka.bridge.routing;

import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Work on its way to the router thread: a forward's answer, a receipt's or a copy's acknowledgement
 * completes on an event loop, and only the router thread changes a partition's {@link OffsetLedger}
 * and queues. Any thread may {@link #settled} a record or {@link #run} a task; the router thread
 * {@link #apply}s them each turn of its loop, in the order they came, before it commits.
 */
final class SettleQueue {

  private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();

  /** The record at {@code offset}, routed in {@code partition}, is settled. Any thread. */
  void settled(DownlinkPartition partition, long offset) {
    queue.add(() -> partition.ledger.settle(offset));
  }

  /** Runs {@code task} on the router thread, on its next turn. Any thread. */
  void run(Runnable task) {
    queue.add(task);
  }

  /**
   * Applies everything queued so far; a partition the router no longer owns keeps its old ledger and
   * queues, which nothing reads any more. The router thread only.
   */
  void apply() {
    Runnable task;
    while ((task = queue.poll()) != null) {
      task.run();
    }
  }
}
