package io.mqttkafka.bridge.routing;

import io.mqttkafka.bridge.routing.OwnedPartitions.Kept;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps, restores, rebuilds and drops the router's partitions as Kafka assigns and revokes them (on
 * the router thread, inside a poll). Kafka assigns the same partition numbers of
 * {@code mqtt.subscriptions}, {@code mqtt.downlink} and {@code mqtt.sessions} together (range
 * assignment over co-partitioned topics).
 *
 * <p>A partition that an (eager) rebalance revokes and gives back is not new: the router keeps its
 * table, held records and ledger and continues from its own positions, not from the committed offset
 * (which an unanswered forward may hold far behind). The eager protocol revokes everything from
 * everyone before it assigns, so nobody else routed it in between, and everything below those
 * positions was routed or is held: nothing is routed twice or skipped. (Had another member owned it
 * meanwhile, in a generation this one missed, continuing still skips nothing; at worst records are
 * routed twice, as a rebuild would.) Any other partition is new: its table is rebuilt from the start
 * of the subscriptions partition, and its parked messages from the start of the sessions partition,
 * with its downlink partition paused meanwhile and then read from the committed offset.
 */
final class RouterRebalanceListener implements ConsumerRebalanceListener {

  private static final Logger LOG = LoggerFactory.getLogger(RouterRebalanceListener.class);

  /** What the listener needs of the loop. */
  interface Loop {
    /** Commits every owned partition up to its commit point, synchronously. */
    void commitNow();

    /** The consumer's position in {@code tp}, or -1 when it is not known; never waits. */
    long positionNow(TopicPartition tp);

    /**
     * The subscriptions and sessions partitions assigned now: the ones the end-offsets consumer may be
     * asked about.
     */
    void rebuiltTopicsAssigned(List<TopicPartition> partitions);

    /** The end offsets of subscriptions and sessions partitions, asked on the end-offsets consumer (a round trip). */
    Map<TopicPartition, Long> endOffsets(List<TopicPartition> partitions);

    /** Marks partitions rebuilt as their presence is read; called after every change of ownership. */
    void checkRebuilt();

    /** A rebuilt partition was assigned back: what waited meanwhile (drains) goes on. */
    void restored(DownlinkPartition partition);
  }

  private final Consumer<?, ?> consumer;
  private final RouterVerticle.Topics topics;
  private final String subscriptionsTopic;
  private final OwnedPartitions owned;
  private final Loop loop;
  private volatile boolean assignedOnce;

  RouterRebalanceListener(Consumer<?, ?> consumer, RouterVerticle.Topics topics, OwnedPartitions owned, Loop loop) {
    this.consumer = consumer;
    this.topics = topics;
    this.subscriptionsTopic = topics.subscriptions();
    this.owned = owned;
    this.loop = loop;
  }

  /** True once the router took part in an assignment. */
  boolean assignedOnce() {
    return assignedOnce;
  }

  @Override
  public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
    List<TopicPartition> rebuild = new ArrayList<>();
    for (TopicPartition tp : assigned) {
      if (!tp.topic().equals(subscriptionsTopic)) {
        continue;
      }
      Kept before = owned.takeKept(tp.partition());
      if (!assigned.contains(new TopicPartition(topics.downlink(), tp.partition()))
          || !assigned.contains(new TopicPartition(topics.sessions(), tp.partition()))) {
        LOG.warn("Router got {} without partition {} of {} and {}: the three topics must be co-partitioned", tp,
            tp.partition(), topics.downlink(), topics.sessions());
      } else if (before != null) {
        restore(before);
        continue;
      }
      rebuild.add(tp);
    }
    Set<Integer> moved = owned.dropKept(); // their forwards still settle, in ledgers nothing reads any more
    if (!moved.isEmpty()) {
      LOG.debug("Router partitions {} moved to other instances", moved);
    }
    loop.rebuiltTopicsAssigned(assigned.stream().filter(tp -> !tp.topic().equals(topics.downlink())).toList());
    List<TopicPartition> rebuilt = new ArrayList<>();
    for (TopicPartition tp : rebuild) {
      rebuilt.add(tp);
      rebuilt.add(new TopicPartition(topics.sessions(), tp.partition()));
    }
    Map<TopicPartition, Long> ends = rebuild.isEmpty() ? Map.of() : loop.endOffsets(rebuilt);
    long now = System.nanoTime();
    for (TopicPartition tp : rebuild) {
      TopicPartition sessions = new TopicPartition(topics.sessions(), tp.partition());
      DownlinkPartition partition = new DownlinkPartition(tp.partition(), topics, ends.getOrDefault(tp, 0L),
          ends.getOrDefault(sessions, 0L), now);
      owned.put(partition);
      consumer.seekToBeginning(List.of(tp));
      if (assigned.contains(sessions)) {
        consumer.seekToBeginning(List.of(sessions));
      }
      if (assigned.contains(partition.downlink)) {
        consumer.pause(List.of(partition.downlink));
      }
    }
    owned.publish();
    // Only now: readiness read between the two (the end offsets above are a network round trip)
    // would see an assignment with nothing left to rebuild, and /health/ready would be UP too early.
    assignedOnce = true;
    if (rebuild.isEmpty() && !owned.all().isEmpty()) {
      LOG.info("Router routes partitions {}: {} connected clients, state kept through the rebalance",
          owned.numbers(), owned.clients());
    }
    loop.checkRebuilt();
  }

  /** Takes a kept partition back: the consumer forgot its positions and pauses with the revocation. */
  private void restore(Kept before) {
    DownlinkPartition partition = before.partition();
    owned.put(partition);
    partition.restored();
    consumer.seek(partition.presence, before.presencePosition());
    consumer.seek(partition.downlink, before.downlinkPosition());
    if (!partition.ready() || partition.gate.paused()) {
      consumer.pause(List.of(partition.downlink));
    }
    if (partition.ready()) {
      consumer.pause(List.of(partition.sessions)); // read again for drains only (RouterLoop)
      partition.reading = false;
      loop.restored(partition);
    } else {
      consumer.seek(partition.sessions, before.sessionsPosition());
    }
    LOG.debug("Router partition {} kept: {} clients, presence from {}, downlink from {}, {} batches held",
        partition.number, partition.table.size(), before.presencePosition(), before.downlinkPosition(),
        partition.gate.batches());
  }

  /**
   * Commits, then sets the partitions aside with the router's positions: if this rebalance assigns
   * them back, {@link #onPartitionsAssigned} continues from there.
   */
  @Override
  public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
    loop.commitNow();
    for (TopicPartition tp : revoked) {
      DownlinkPartition partition = tp.topic().equals(subscriptionsTopic) ? owned.get(tp.partition()) : null;
      if (partition == null || !revoked.contains(partition.downlink)) {
        continue;
      }
      long presencePosition = loop.positionNow(partition.presence);
      long downlinkPosition = loop.positionNow(partition.downlink);
      long sessionsPosition = loop.positionNow(partition.sessions);
      if (presencePosition >= 0 && downlinkPosition >= 0 && (sessionsPosition >= 0 || partition.ready())) {
        owned.keep(new Kept(partition, presencePosition, downlinkPosition, sessionsPosition));
      } // else it cannot continue without its positions: rebuilt if assigned back
    }
    drop(revoked);
  }

  /**
   * The consumer was out of the group: another member may have routed these partitions meanwhile,
   * so nothing of them is kept, nor of any partition set aside by a revocation.
   */
  @Override
  public void onPartitionsLost(Collection<TopicPartition> lost) {
    owned.dropKept();
    drop(lost);
  }

  private void drop(Collection<TopicPartition> gone) {
    for (TopicPartition tp : gone) {
      if (tp.topic().equals(subscriptionsTopic)) {
        owned.remove(tp.partition());
      }
    }
    owned.publish();
  }
}
