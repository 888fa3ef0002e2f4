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
 * {@code mqtt.subscriptions} and {@code mqtt.downlink} together (range assignment over
 * co-partitioned topics).
 *
 * <p>A partition that an (eager) rebalance revokes and gives back is not new: the router keeps its
 * table, held records and ledger and continues from its own positions, not from the committed offset
 * (which an unanswered forward may hold far behind). The eager protocol revokes everything from
 * everyone before it assigns, so nobody else routed it in between, and everything below those
 * positions was routed or is held: nothing is routed twice or skipped. (Had another member owned it
 * meanwhile, in a generation this one missed, continuing still skips nothing; at worst records are
 * routed twice, as a rebuild would.) Any other partition is new: its table is rebuilt from the start
 * of the subscriptions partition, with its downlink partition paused meanwhile and then read from the
 * committed offset.
 */
final class RouterRebalanceListener implements ConsumerRebalanceListener {

  private static final Logger LOG = LoggerFactory.getLogger(RouterRebalanceListener.class);

  /** What the listener needs of the loop. */
  interface Loop {
    /** Commits every owned partition up to its commit point, synchronously. */
    void commitNow();

    /** The consumer's position in {@code tp}, or -1 when it is not known; never waits. */
    long positionNow(TopicPartition tp);

    /** The subscriptions partitions assigned now: the ones the end-offsets consumer may be asked about. */
    void presenceAssigned(List<TopicPartition> partitions);

    /** The end offsets of subscriptions partitions, asked on the end-offsets consumer (a round trip). */
    Map<TopicPartition, Long> presenceEnds(List<TopicPartition> partitions);

    /** Marks partitions rebuilt as their presence is read; called after every change of ownership. */
    void checkRebuilt();
  }

  private final Consumer<?, ?> consumer;
  private final String subscriptionsTopic;
  private final String downlinkTopic;
  private final OwnedPartitions owned;
  private final Loop loop;
  private volatile boolean assignedOnce;

  RouterRebalanceListener(Consumer<?, ?> consumer, String subscriptionsTopic, String downlinkTopic,
                          OwnedPartitions owned, Loop loop) {
    this.consumer = consumer;
    this.subscriptionsTopic = subscriptionsTopic;
    this.downlinkTopic = downlinkTopic;
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
      if (!assigned.contains(new TopicPartition(downlinkTopic, tp.partition()))) {
        LOG.warn("Router got {} without partition {} of {}: the two topics must be co-partitioned", tp,
            tp.partition(), downlinkTopic);
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
    loop.presenceAssigned(assigned.stream().filter(tp -> tp.topic().equals(subscriptionsTopic)).toList());
    Map<TopicPartition, Long> ends = rebuild.isEmpty() ? Map.of() : loop.presenceEnds(rebuild);
    long now = System.nanoTime();
    for (TopicPartition tp : rebuild) {
      DownlinkPartition partition = new DownlinkPartition(tp.partition(), subscriptionsTopic, downlinkTopic,
          ends.getOrDefault(tp, 0L), now);
      owned.put(partition);
      consumer.seekToBeginning(List.of(tp));
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
    consumer.seek(partition.presence, before.presencePosition());
    consumer.seek(partition.downlink, before.downlinkPosition());
    if (!partition.ready() || partition.gate.paused()) {
      consumer.pause(List.of(partition.downlink));
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
      if (presencePosition >= 0 && downlinkPosition >= 0) {
        owned.keep(new Kept(partition, presencePosition, downlinkPosition));
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
