package io.mqttkafka.bridge.routing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.record.TimestampType;

/**
 * Kafka's {@link MockConsumer}, made to behave like the router's real consumer where
 * {@link RouterLoopTest} needs it:
 * <ul>
 *   <li>rebalances are eager, as the classic protocol with RangeAssignor does them: every partition is
 *       revoked, the consumer forgets its positions and pauses, then the new assignment is given in
 *       full ({@code MockConsumer.rebalance} alone calls the listener with the difference only);</li>
 *   <li>records stay in a log per partition, so that a seek back (a rebuild, a restart from the
 *       committed offset) reads them again;</li>
 *   <li>end-offsets requests with a timeout can be made to time out;</li>
 *   <li>a poll without records waits a little, as a real one does, rather than spin;</li>
 *   <li>the offset last committed is known for any partition ({@code MockConsumer.committed} says 0
 *       for one not assigned).</li>
 * </ul>
 * Rebalances call the router's listener, so run them on the consumer's thread ({@link #schedulePollTask}).
 */
final class EagerMockConsumer extends MockConsumer<String, byte[]> {

  private static final ConsumerRebalanceListener NONE = new ConsumerRebalanceListener() {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
    }
  };

  private final Map<TopicPartition, List<ConsumerRecord<String, byte[]>>> log = new HashMap<>();
  private final Map<TopicPartition, Integer> fetched = new HashMap<>();
  private final Set<TopicPartition> pausedNow = new HashSet<>();
  private final Map<TopicPartition, Long> lastCommitted = new HashMap<>();
  private ConsumerRebalanceListener listener;
  private int endOffsetsTimeouts;
  private final Set<TopicPartition> positionUnknown = new HashSet<>();

  EagerMockConsumer() {
    super("earliest");
  }

  @Override
  public void subscribe(Collection<String> topics, ConsumerRebalanceListener listener) {
    this.listener = listener;
    super.subscribe(topics, NONE); // the listener is called by the rebalances below, in eager order
  }

  /** An eager rebalance: everything owned is revoked, then {@code assignment} is assigned. */
  synchronized void eagerRebalance(Collection<TopicPartition> assignment) {
    Set<TopicPartition> owned = new HashSet<>(assignment());
    if (!owned.isEmpty()) {
      listener.onPartitionsRevoked(owned);
    }
    reassign(assignment);
    listener.onPartitionsAssigned(assignment);
  }

  /** The consumer was out of the group: everything owned is lost, then it rejoins with {@code assignment}. */
  synchronized void loseAndRejoin(Collection<TopicPartition> assignment) {
    listener.onPartitionsLost(new HashSet<>(assignment()));
    reassign(assignment);
    listener.onPartitionsAssigned(assignment);
  }

  private void reassign(Collection<TopicPartition> assignment) {
    rebalance(List.of()); // positions and pauses are forgotten, as ConsumerCoordinator.onJoinPrepare does
    pausedNow.clear();
    rebalance(assignment); // MockConsumer.rebalance also drops the records not yet polled
    for (TopicPartition tp : assignment) {
      log.getOrDefault(tp, List.of()).forEach(this::addRecord);
    }
  }

  /** Appends a record to the partition's log (fetchable if assigned) and moves its end offset; returns its offset. */
  synchronized long append(String topic, int partition, String key, byte[] value, Headers headers, int valueSize) {
    TopicPartition tp = new TopicPartition(topic, partition);
    List<ConsumerRecord<String, byte[]>> records = log.computeIfAbsent(tp, k -> new ArrayList<>());
    long offset = records.size();
    ConsumerRecord<String, byte[]> record = new ConsumerRecord<>(topic, partition, offset, System.currentTimeMillis(),
        TimestampType.CREATE_TIME, key == null ? -1 : key.length(), valueSize, key, value, headers, Optional.empty());
    records.add(record);
    updateEndOffsets(Map.of(tp, offset + 1));
    if (assignment().contains(tp)) {
      addRecord(record);
    }
    return offset;
  }

  /** A seek, as a real consumer's: the records from there on are fetched (again). */
  @Override
  public synchronized void seek(TopicPartition tp, long offset) {
    super.seek(tp, offset);
    for (ConsumerRecord<String, byte[]> record : log.getOrDefault(tp, List.of())) {
      if (record.offset() >= offset) {
        addRecord(record);
      }
    }
  }

  /** Records of the partition returned by polls so far, re-reads included. */
  synchronized int fetched(TopicPartition tp) {
    return fetched.getOrDefault(tp, 0);
  }

  /** The next {@code count} end-offsets requests with a timeout (the router's sampling) time out. */
  synchronized void timeOutEndOffsets(int count) {
    endOffsetsTimeouts = count;
  }

  synchronized int endOffsetsTimeoutsLeft() {
    return endOffsetsTimeouts;
  }

  @Override
  public ConsumerRecords<String, byte[]> poll(Duration timeout) {
    ConsumerRecords<String, byte[]> records = super.poll(timeout);
    synchronized (this) {
      for (TopicPartition tp : records.partitions()) {
        fetched.merge(tp, records.records(tp).size(), Integer::sum);
      }
    }
    if (records.isEmpty() && !timeout.isZero()) {
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return records;
  }

  /** The offset last committed for the partition, whether assigned now or not. */
  synchronized OptionalLong lastCommitted(TopicPartition tp) {
    Long offset = lastCommitted.get(tp);
    return offset == null ? OptionalLong.empty() : OptionalLong.of(offset);
  }

  /** commitSync(offsets) comes here too. */
  @Override
  public synchronized void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets, OffsetCommitCallback callback) {
    offsets.forEach((tp, offset) -> lastCommitted.put(tp, offset.offset()));
    super.commitAsync(offsets, callback);
  }

  @Override
  public synchronized Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions, Duration timeout) {
    if (endOffsetsTimeouts > 0) {
      endOffsetsTimeouts--;
      throw new TimeoutException("end offsets of " + partitions + " not known within " + timeout);
    }
    return super.endOffsets(partitions, timeout);
  }

  /** The position of {@code tp} cannot be had (as when its committed offset cannot be fetched), or again can. */
  synchronized void positionUnknown(TopicPartition tp, boolean unknown) {
    if (unknown) {
      positionUnknown.add(tp);
    } else {
      positionUnknown.remove(tp);
    }
  }

  @Override
  public synchronized long position(TopicPartition tp) {
    requireKnown(tp);
    return super.position(tp);
  }

  @Override
  public synchronized long position(TopicPartition tp, Duration timeout) {
    requireKnown(tp);
    return super.position(tp); // MockConsumer's position(tp, timeout) calls position(tp) itself
  }

  private void requireKnown(TopicPartition tp) {
    if (positionUnknown.contains(tp)) {
      throw new TimeoutException("position of " + tp + " not known");
    }
  }

  @Override
  public synchronized void pause(Collection<TopicPartition> partitions) {
    super.pause(partitions);
    pausedNow.addAll(partitions);
  }

  @Override
  public synchronized void resume(Collection<TopicPartition> partitions) {
    super.resume(partitions);
    pausedNow.removeAll(partitions);
  }

  /** The partitions paused now (MockConsumer's own set outlives a rebalance, the real consumer's does not). */
  @Override
  public synchronized Set<TopicPartition> paused() {
    return Set.copyOf(pausedNow);
  }
}
