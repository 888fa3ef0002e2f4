package io.mqttkafka.bridge.routing;

import io.mqttkafka.bridge.bus.AdminProtocol;
import io.mqttkafka.bridge.bus.InstanceProtocol;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.util.LogThrottle;
import io.mqttkafka.bridge.vertx.Contexts;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CloseOptions.GroupMembershipOperation;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The router's consumer thread: polls {@code mqtt.subscriptions} and {@code mqtt.downlink} together,
 * hands presence records and released downlink records to the {@link RecordRouter}, applies the
 * settlements other threads queued, and commits each downlink partition up to its first record not
 * settled ({@link OffsetLedger}), so a crash or a stop routes again rather than loses. Ownership of
 * partitions is the {@link RouterRebalanceListener}'s; what a partition holds is its
 * {@link DownlinkPartition}'s.
 *
 * <p>Downlink records wait in their partition's {@link PresenceGate} for the presence records written
 * before them. This loop asks for the end offsets of the subscriptions partitions those records wait
 * for: on a consumer of their own, after they were fetched, so that the answer covers every presence
 * record written before them; while polls come back full (a backlog), only once the oldest records
 * without a sample have waited {@link #SAMPLE_AFTER_NANOS}, so one round trip covers many polls.
 */
final class RouterLoop implements Runnable, RouterRebalanceListener.Loop, RouterSessions.Loop {

  private static final Logger LOG = LoggerFactory.getLogger(RouterLoop.class);
  private static final Duration POLL = Duration.ofMillis(100);
  private static final long COMMIT_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final long SAMPLE_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  /** How long one end-offsets request may block the consumer thread; after a timeout it is asked again. */
  private static final Duration END_OFFSETS_TIMEOUT = Duration.ofSeconds(1);

  private final Consumer<String, byte[]> consumer;
  /**
   * End offsets are asked for on a consumer of their own, which has no group and never fetches. A
   * broker answers one request per connection at a time, in order, and {@link #consumer} always has a
   * fetch waiting there for new data (up to {@code fetch.max.wait.ms}, 500 ms by default): asked on
   * its connection, the end offsets after a lone downlink record came only when that fetch returned.
   */
  private final Consumer<?, ?> offsetReader;
  private final RouterVerticle.Topics topics;
  private final BridgeMetrics metrics;
  private final int maxPollRecords;
  private final Context context;
  private final OwnedPartitions owned = new OwnedPartitions();
  private final SettleQueue settlements = new SettleQueue();
  private final RouterRebalanceListener rebalance;
  private final RecordRouter router;
  private final RouterOutput output;
  private final QueueRouter queues;
  private final RouterSessions sessions;
  /** A router far behind on presence would warn for every batch: once in 10 s, the rest at DEBUG. */
  private final LogThrottle waitWarnings = new LogThrottle(Duration.ofSeconds(10));
  private volatile boolean running = true;
  /** True once the loop ended on an unexpected failure. */
  private volatile boolean failed;
  private long lastCommitNanos = System.nanoTime();
  /** True while held downlink records wait for an end-offsets sample (deferred during a backlog). */
  private boolean awaitingSample;
  /** Read and written on the router thread only (admin look-ups run there too); volatile for the checker. */
  private volatile int downlinkPartitions;

  /** How many records a poll returns at most, and what the router keeps for offline clients. */
  record Settings(int maxPollRecords, QueueRouter.Limits queues) {
  }

  RouterLoop(Consumer<String, byte[]> consumer, Consumer<?, ?> offsetReader, Vertx vertx, RouterVerticle.Topics topics,
             RouterVerticle.Writers writers, RouterVerticle.Local local, Settings settings) {
    this.consumer = consumer;
    this.offsetReader = offsetReader;
    this.topics = topics;
    this.metrics = writers.metrics();
    this.maxPollRecords = settings.maxPollRecords();
    this.context = Contexts.newEventLoopContext(vertx);
    InstanceProtocol.register(vertx.eventBus());
    this.rebalance = new RouterRebalanceListener(consumer, topics, owned, this);
    this.output = new RouterOutput(vertx, writers, local, settlements, () -> running, topics.sessions());
    this.queues = new QueueRouter(output, settlements, settings.queues(), topics.userProperties());
    this.router = new RecordRouter(output, queues, this::downlinkPartitions, topics.userProperties());
    this.sessions = new RouterSessions(vertx, consumer, owned, queues, output, local, this);
  }

  /** Ready once it took part in an assignment and every partition it owns is rebuilt. */
  boolean ready() {
    return rebalance.assignedOnce() && owned.rebuilding() == 0 && !failed;
  }

  Set<Integer> partitionsOwned() {
    return owned.numbers();
  }

  /** An instance left the cluster: what waits for its answers ends now. Any thread. */
  void instanceGone(String instanceId) {
    output.instanceGone(instanceId);
  }

  /** The counts other threads read (gauges). */
  OwnedPartitions owned() {
    return owned;
  }

  void stop() {
    running = false;
    consumer.wakeup();
  }

  /**
   * Runs the loop as an event of one vert.x context: its event-bus requests and Kafka writes all
   * belong to that context (a thread outside vert.x would otherwise get a new context for each).
   */
  @Override
  public void run() {
    Contexts.dispatch(context, this::loop);
  }

  private void loop() {
    try {
      consumer.subscribe(List.of(topics.subscriptions(), topics.downlink(), topics.sessions()), rebalance);
      while (running) {
        turn();
      }
    } catch (WakeupException e) {
      if (running) {
        throw e;
      }
    } catch (RuntimeException e) {
      // The consumer leaves the group below, so other instances take the partitions over; this one
      // reports itself not ready rather than ready with no router.
      failed = true;
      LOG.error("Router stopped by an unexpected failure", e);
    } finally {
      try {
        sessions.stop();
        commit(true);
      } finally {
        Utils.closeQuietly(offsetReader, "router end-offsets consumer");
        // A static member (clustered) does not leave the group on a plain close: leave, so that the
        // others take its partitions over at once when this instance stops.
        consumer.close(CloseOptions.groupMembershipOperation(GroupMembershipOperation.LEAVE_GROUP));
      }
    }
  }

  private void turn() {
    // Held records not yet covered by end offsets: take what is buffered, do not wait for more.
    ConsumerRecords<String, byte[]> records = consumer.poll(awaitingSample ? Duration.ZERO : POLL);
    // Presence first: a downlink record fetched in the same poll sees the newest state.
    for (ConsumerRecord<String, byte[]> record : records.records(topics.subscriptions())) {
      DownlinkPartition partition = owned.get(record.partition());
      if (partition != null) {
        router.presence(partition, record);
      }
    }
    for (ConsumerRecord<String, byte[]> record : records.records(topics.sessions())) {
      DownlinkPartition partition = owned.get(record.partition());
      if (partition != null && !partition.ready()) {
        queues.rebuild(partition, record);
      } else if (partition != null) {
        queues.drain().copyRead(partition, record);
      }
    }
    long now = System.nanoTime();
    for (TopicPartition tp : records.partitions()) {
      DownlinkPartition partition = tp.topic().equals(topics.downlink()) ? owned.get(tp.partition()) : null;
      if (partition != null && partition.gate.hold(records.records(tp), now)) {
        consumer.pause(List.of(partition.downlink));
      }
    }
    routeHeld(records.count() < maxPollRecords);
    checkRebuilt();
    settlements.apply();
    sessions.turn(System.nanoTime());
    owned.publishCounts();
    if (System.nanoTime() - lastCommitNanos > COMMIT_EVERY_NANOS) {
      commit(false);
    }
  }

  /**
   * Routes the held downlink records, in order, whose presence records are read: first one
   * end-offsets request for the subscriptions partitions of the records not sampled yet, then per
   * partition every held batch its gate releases.
   */
  private void routeHeld(boolean caughtUpOnFetched) {
    sampleEndOffsets(caughtUpOnFetched);
    long now = System.nanoTime();
    long nowMillis = System.currentTimeMillis();
    awaitingSample = false;
    for (DownlinkPartition partition : owned.all()) {
      if (partition.gate.batches() == 0) {
        continue;
      }
      long position = positionNow(partition.presence); // -1: not known yet, so not reached
      boolean resume = partition.gate.release(position, now, (batch, waited, early) -> {
        if (early) {
          presenceWaitExceeded(partition, batch, waited, position);
        }
        metrics.routerPresenceWait(waited);
        for (ConsumerRecord<String, byte[]> record : batch.records) {
          router.downlink(partition, record, nowMillis);
        }
      });
      if (resume) {
        consumer.resume(List.of(partition.downlink));
      }
      awaitingSample |= partition.gate.awaitsSample();
    }
  }

  private void sampleEndOffsets(boolean caughtUpOnFetched) {
    List<TopicPartition> unsampled = new ArrayList<>();
    long oldest = Long.MAX_VALUE;
    for (DownlinkPartition partition : owned.all()) {
      if (partition.gate.awaitsSample()) {
        unsampled.add(partition.presence);
        oldest = Math.min(oldest, partition.gate.oldestUnsampledNanos());
      }
    }
    if (unsampled.isEmpty() || (!caughtUpOnFetched && System.nanoTime() - oldest < SAMPLE_AFTER_NANOS)) {
      return;
    }
    try {
      Map<TopicPartition, Long> ends = offsetReader.endOffsets(unsampled, END_OFFSETS_TIMEOUT);
      for (TopicPartition tp : unsampled) {
        Long end = ends.get(tp);
        DownlinkPartition partition = owned.get(tp.partition());
        if (end != null && partition != null) {
          partition.gate.sampled(end);
        }
      }
    } catch (TimeoutException e) {
      // Asked again on the next turn of the loop; the wait stays bounded by the gate's longest wait.
      LOG.debug("Router: end offsets of {} not known yet: {}", unsampled, e.toString());
    }
  }

  private void presenceWaitExceeded(DownlinkPartition partition, PresenceGate.Batch batch, long waited,
                                    long position) {
    metrics.routerPresenceWaitExceeded(batch.records.size());
    long suppressed = waitWarnings.warn(System.nanoTime());
    LOG.atLevel(suppressed >= 0 ? Level.WARN : Level.DEBUG).log("Router routes {} downlink records of partition {}"
            + " after waiting {} ms for the presence records written before them (read up to {} of {}): they may"
            + " get offline or not_subscribed{}", batch.records.size(), partition.number,
        TimeUnit.NANOSECONDS.toMillis(waited), position, batch.presenceEnd, LogThrottle.since(suppressed));
  }

  @Override
  public void restored(DownlinkPartition partition) {
    for (String clientId : partition.queues.clients()) {
      queues.drain().drain(partition, clientId);
    }
  }

  @Override
  public void checkRebuilt() {
    long slowestNanos = -1;
    long now = System.nanoTime();
    for (DownlinkPartition partition : owned.all()) {
      if (partition.ready()) {
        continue;
      }
      long took = partition.checkRebuilt(positionNow(partition.presence), positionNow(partition.sessions), now);
      if (took >= 0) {
        slowestNanos = Math.max(slowestNanos, took);
        metrics.routerRebuilt(took);
        LOG.debug("Router partition {} rebuilt: {} clients ({} offline sessions) from {} records, {} parked"
            + " messages, in {} ms", partition.number, partition.table.size(), partition.table.offlineSessions(),
            partition.rebuildUntil(), partition.queues.messages(), TimeUnit.NANOSECONDS.toMillis(took));
        consumer.resume(List.of(partition.downlink));
        consumer.pause(List.of(partition.sessions)); // read again for drains only (readParked)
        partition.reading = false;
        restored(partition);
      }
    }
    if (slowestNanos < 0) {
      return;
    }
    owned.publish();
    if (owned.rebuilding() == 0) {
      owned.publishCounts();
      LOG.info("Router routes partitions {}: {} connected clients, {} offline sessions, {} parked messages, state"
          + " rebuilt in {} ms", owned.numbers(), owned.clients(), owned.offlineSessions(), owned.parked(),
          TimeUnit.NANOSECONDS.toMillis(slowestNanos));
    }
  }

  @Override
  public void commitNow() {
    commit(true);
  }

  private void commit(boolean sync) {
    lastCommitNanos = System.nanoTime();
    settlements.apply();
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (DownlinkPartition partition : owned.all()) {
      long point = partition.commitPoint(positionNow(partition.downlink));
      if (point >= 0) { // else nothing read of it yet, so nothing to commit
        offsets.put(partition.downlink, new OffsetAndMetadata(point));
      }
    }
    if (offsets.isEmpty()) {
      return;
    }
    if (sync) {
      try {
        consumer.commitSync(offsets);
      } catch (RuntimeException e) {
        LOG.warn("Router offsets not committed: {}", e.toString());
      }
    } else {
      consumer.commitAsync(offsets, (done, failure) -> {
        if (failure != null) {
          LOG.debug("Router offsets not committed: {}", failure.toString());
        }
      });
    }
  }

  /**
   * The consumer's position in {@code tp}, or -1 when it is not known yet (its committed or reset
   * offset not fetched: Kafka unreachable, say). Never waits: asking with the default timeout blocks
   * the loop (or a rebalance callback) for up to {@code default.api.timeout.ms}, then throws, which
   * ended the loop. Every position the router reads goes through here.
   */
  @Override
  public long positionNow(TopicPartition tp) {
    try {
      return consumer.position(tp, Duration.ZERO);
    } catch (KafkaException e) {
      LOG.debug("Router: position of {} not known yet: {}", tp, e.toString());
      return -1;
    }
  }

  @Override
  public void rebuiltTopicsAssigned(List<TopicPartition> partitions) {
    // The reader never fetches; it holds what it asks about only because Kafka's consumer warns on
    // every end-offsets answer for a partition it is not assigned.
    offsetReader.assign(partitions);
    downlinkPartitions = 0; // asked again: the topic may have grown
  }

  @Override
  public Map<TopicPartition, Long> endOffsetsNow(List<TopicPartition> partitions) {
    try {
      return offsetReader.endOffsets(partitions, END_OFFSETS_TIMEOUT);
    } catch (TimeoutException e) {
      return Map.of();
    }
  }

  @Override
  public Map<TopicPartition, Long> endOffsets(List<TopicPartition> partitions) {
    return offsetReader.endOffsets(partitions);
  }

  /** Runs {@code question} on the router thread at its next turn (within a poll, 100 ms). Any thread. */
  void ask(Runnable question) {
    settlements.run(question);
  }

  /**
   * The router's view of a client if this instance routes its partition, else null. The router thread
   * only ({@link #ask}).
   */
  AdminProtocol.Route route(String clientId) {
    return sessions.route(clientId, downlinkPartitions());
  }

  /** How many partitions the downlink topic has: where a client's downlink records belong. */
  private int downlinkPartitions() {
    if (downlinkPartitions <= 0) {
      downlinkPartitions = consumer.partitionsFor(topics.downlink()).size();
    }
    return downlinkPartitions;
  }
}
