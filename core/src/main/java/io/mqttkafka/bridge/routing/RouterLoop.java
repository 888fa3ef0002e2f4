package io.mqttkafka.bridge.routing;

import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.kafka.PresenceWriter;
import io.mqttkafka.bridge.kafka.ReceiptWriter;
import io.mqttkafka.bridge.records.PresenceRecord;
import io.mqttkafka.bridge.util.LogThrottle;
import io.mqttkafka.bridge.bus.Addresses;
import io.mqttkafka.bridge.downlink.DownlinkDispatcher;
import io.mqttkafka.bridge.downlink.DownlinkMessage;
import io.mqttkafka.bridge.downlink.DownlinkMessageCodec;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.topic.TopicFilter;
import io.mqttkafka.bridge.kafka.BufferSerializer;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.mqttkafka.bridge.vertx.Contexts;
import io.vertx.core.Context;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The router's consumer thread. Kafka assigns it partition numbers of {@code mqtt.subscriptions} and
 * {@code mqtt.downlink} together (range assignment over co-partitioned topics). For each new
 * partition it rebuilds the {@link SubscriptionTable} by reading the subscriptions partition from the
 * start to the end offset seen at assignment, with the downlink partition paused; then it routes that
 * partition's downlink records: a receipt for what it can decide itself, the rest over the event bus
 * to the instance holding the connection. Downlink offsets are committed up to the first record that
 * is not yet settled (held, forwarded and not answered, or its receipt not yet acknowledged by
 * Kafka), so a crash or a stop re-routes rather than loses. A partition that an (eager) rebalance
 * revokes and gives back is not new: the router keeps its state and continues from its own positions
 * rather than from the committed offset, which an unanswered forward may hold far behind
 * ({@link #onPartitionsAssigned}).
 *
 * <p>The two topics are fetched independently, so a downlink record can arrive before a presence
 * record that was in Kafka before it was written (a back end writes right after the device's SUBACK,
 * which waits for its "subscribed" record). So each poll's downlink records are held, in order, until
 * the router has read the subscriptions partition up to its end offset sampled after they were
 * fetched; that sample includes every presence record written before them. The wait is bounded
 * ({@link #PRESENCE_WAIT_MAX_NANOS}): past it they are routed anyway, and counted.
 */
final class RouterLoop implements Runnable, ConsumerRebalanceListener {

  private static final Logger LOG = LoggerFactory.getLogger(RouterLoop.class);
  private static final Duration POLL = Duration.ofMillis(100);
  private static final long COMMIT_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);
  /**
   * Longest a downlink record waits for the presence records written before it. Normally it waits
   * one end-offsets round trip, or until a backlog of presence records is read; past this bound (the
   * router is far behind on presence, or cannot reach Kafka's leaders for the end offsets) it is
   * routed against the state the router has, and counted.
   */
  static final long PRESENCE_WAIT_MAX_NANOS = TimeUnit.SECONDS.toNanos(5);
  /**
   * While polls come back full (a backlog), the end offsets are asked for only once the oldest held
   * records not yet covered by them have waited this long: one round trip then covers many polls, so
   * the router's throughput does not depend on the broker's response time.
   */
  private static final long SAMPLE_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  /** How long one end-offsets request may block the consumer thread; after a timeout it is asked again. */
  private static final Duration END_OFFSETS_TIMEOUT = Duration.ofSeconds(1);
  /** Held downlink bytes of one partition beyond which its fetching pauses until they are routed. */
  private static final long HELD_BYTES_MAX = 4L * 1024 * 1024;
  /** Pause before a receipt Kafka did not take is written again. */
  private static final long RECEIPT_RETRY_MS = 1_000;
  /** Downlink QoS when the record has no mqtt.qos header: commands are worth an acknowledgement. */
  private static final int DEFAULT_QOS = 1;

  private final Consumer<String, byte[]> consumer;
  /**
   * End offsets are asked for on a consumer of their own, which has no group and never fetches. A
   * broker answers one request per connection at a time, in order, and {@link #consumer} always has a
   * fetch waiting there for new data (up to {@code fetch.max.wait.ms}, 500 ms by default): asked on
   * its connection, the end offsets after a lone downlink record came only when that fetch returned.
   */
  private final Consumer<?, ?> offsetReader;
  private final Vertx vertx;
  private final String subscriptionsTopic;
  private final String downlinkTopic;
  private final ReceiptWriter receipts;
  private final PresenceWriter presence;
  private final BridgeMetrics metrics;
  private final int maxPollRecords;
  private final Context context;
  private final Map<Integer, Partition> partitions = new HashMap<>();
  /**
   * Partitions revoked by the rebalance under way, with the positions the router had: those assigned
   * back continue from there, the others are dropped once the assignment is known.
   */
  private final Map<Integer, Kept> kept = new HashMap<>();
  private volatile boolean running = true;
  private volatile boolean assignedOnce;
  /** True once the loop ended on an unexpected failure. */
  private volatile boolean failed;
  private volatile Set<Integer> partitionsOwned = Set.of();
  private volatile int partitionsRebuilding;
  private volatile int clients;
  private long lastCommitNanos = System.nanoTime();
  /** True while held downlink records wait for an end-offsets sample (deferred during a backlog). */
  private boolean awaitingEndOffsets;
  /** A router far behind on presence would warn for every batch: once in 10 s, the rest at DEBUG. */
  private final LogThrottle waitWarnings = new LogThrottle(Duration.ofSeconds(10));
  private int downlinkPartitions;

  /**
   * One owned partition number: its table, while rebuilding the offset to reach, the downlink records
   * fetched but not yet routed, and the downlink offsets handed on but not yet settled.
   */
  private static final class Partition {
    final SubscriptionTable table;
    final TopicPartition presence;
    final TopicPartition downlink;
    /**
     * Downlink offsets forwarded or given a receipt, and not yet settled; settled from other threads.
     * Each forward and receipt settles in the set it was added to, so the late settle of a partition
     * dropped meanwhile touches only that partition's old set, never a new one of the same number.
     */
    final ConcurrentSkipListSet<Long> unsettled = new ConcurrentSkipListSet<>();
    long rebuildUntil;
    long rebuildStartNanos;
    boolean ready;
    /** Downlink records in fetch order, each poll's records with the presence offset they wait for. */
    final ArrayDeque<Held> held = new ArrayDeque<>();
    long heldBytes;
    /** True while fetching the downlink partition is paused because too much is held. */
    boolean pausedForHeld;

    Partition(SubscriptionTable table, TopicPartition presence, TopicPartition downlink) {
      this.table = table;
      this.presence = presence;
      this.downlink = downlink;
    }

    /** Offset of the first held downlink record, or -1. */
    long firstHeld() {
      Held first = held.peekFirst();
      return first == null ? -1 : first.records.get(0).offset();
    }
  }

  /** A partition revoked by the rebalance under way, and the positions of its two topic partitions then. */
  private record Kept(Partition partition, long presencePosition, long downlinkPosition) {
  }

  /** The downlink records of one partition from one poll, waiting for the presence records before them. */
  private static final class Held {
    final List<ConsumerRecord<String, byte[]>> records;
    final long fetchedNanos;
    final long bytes;
    /** End offset of the subscriptions partition, sampled after these records were fetched; -1: not yet. */
    long presenceEnd = -1;

    Held(List<ConsumerRecord<String, byte[]>> records, long fetchedNanos, long bytes) {
      this.records = records;
      this.fetchedNanos = fetchedNanos;
      this.bytes = bytes;
    }
  }

  RouterLoop(Consumer<String, byte[]> consumer, Consumer<?, ?> offsetReader, Vertx vertx, String subscriptionsTopic,
             String downlinkTopic, ReceiptWriter receipts, PresenceWriter presence, BridgeMetrics metrics,
             int maxPollRecords) {
    this.consumer = consumer;
    this.offsetReader = offsetReader;
    this.maxPollRecords = maxPollRecords;
    this.vertx = vertx;
    this.subscriptionsTopic = subscriptionsTopic;
    this.downlinkTopic = downlinkTopic;
    this.receipts = receipts;
    this.presence = presence;
    this.metrics = metrics;
    this.context = Contexts.newEventLoopContext(vertx);
    DownlinkMessageCodec.register(vertx.eventBus());
  }

  /** Ready once it took part in an assignment and every partition it owns is rebuilt. */
  boolean ready() {
    return assignedOnce && partitionsRebuilding == 0 && !failed;
  }

  Set<Integer> partitionsOwned() {
    return partitionsOwned;
  }

  int clients() {
    return clients;
  }

  void stop() {
    running = false;
    consumer.wakeup();
  }

  /**
   * Runs the loop as an event of one vert.x context: its event-bus requests and receipt writes all
   * belong to that context (a thread outside vert.x would otherwise get a new context for each).
   */
  @Override
  public void run() {
    Contexts.dispatch(context, this::loop);
  }

  private void loop() {
    try {
      consumer.subscribe(List.of(subscriptionsTopic, downlinkTopic), this);
      while (running) {
        // Held records not yet covered by end offsets: take what is buffered, do not wait for more.
        ConsumerRecords<String, byte[]> records = consumer.poll(awaitingEndOffsets ? Duration.ZERO : POLL);
        // Presence first: a downlink record fetched in the same poll sees the newest state.
        for (ConsumerRecord<String, byte[]> record : records.records(subscriptionsTopic)) {
          onPresence(record);
        }
        for (TopicPartition tp : records.partitions()) {
          if (tp.topic().equals(downlinkTopic)) {
            hold(tp.partition(), records.records(tp));
          }
        }
        routeHeld(records.count() < maxPollRecords);
        checkRebuilt();
        if (System.nanoTime() - lastCommitNanos > COMMIT_EVERY_NANOS) {
          commit(false);
        }
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
        commit(true);
      } finally {
        Utils.closeQuietly(offsetReader, "router end-offsets consumer");
        consumer.close();
      }
    }
  }

  /**
   * A partition revoked by this rebalance and assigned back continues where the router was: its
   * table, held records and unsettled offsets as they were, both topic partitions sought to the
   * positions it had. The eager protocol revokes everything from everyone before it assigns, so nobody
   * else routed it in between, and everything below those positions was routed or is held: nothing is
   * routed twice or skipped. (Had another member owned it meanwhile, in a generation this one missed,
   * continuing still skips nothing; at worst records are routed twice, as a rebuild would.) Any other
   * partition is new: its table is rebuilt from the start of the subscriptions partition, its downlink
   * partition paused meanwhile and then read from the committed offset.
   */
  @Override
  public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
    List<TopicPartition> rebuild = new ArrayList<>();
    for (TopicPartition tp : assigned) {
      if (!tp.topic().equals(subscriptionsTopic)) {
        continue;
      }
      TopicPartition downlink = new TopicPartition(downlinkTopic, tp.partition());
      Kept before = kept.remove(tp.partition());
      if (!assigned.contains(downlink)) {
        LOG.warn("Router got {} without {}: the two topics must be co-partitioned", tp, downlink);
      } else if (before != null) {
        restore(before);
        continue;
      }
      rebuild.add(tp);
    }
    if (!kept.isEmpty()) {
      LOG.debug("Router partitions {} moved to other instances", kept.keySet());
      kept.clear(); // their forwards still settle, in sets nothing reads any more
    }
    // The reader never fetches; it holds what it asks about only because Kafka's consumer warns on
    // every end-offsets answer for a partition it is not assigned.
    offsetReader.assign(assigned.stream().filter(tp -> tp.topic().equals(subscriptionsTopic)).toList());
    Map<TopicPartition, Long> ends = rebuild.isEmpty() ? Map.of() : offsetReader.endOffsets(rebuild);
    for (TopicPartition tp : rebuild) {
      TopicPartition downlink = new TopicPartition(downlinkTopic, tp.partition());
      Partition partition = new Partition(new SubscriptionTable(), tp, downlink);
      partition.rebuildUntil = ends.getOrDefault(tp, 0L);
      partition.rebuildStartNanos = System.nanoTime();
      partitions.put(tp.partition(), partition);
      consumer.seekToBeginning(List.of(tp));
      if (assigned.contains(downlink)) {
        consumer.pause(List.of(downlink));
      }
    }
    updateGauges();
    // Only now: ready() read between the two (endOffsets above is a network round trip) would see
    // an assignment with nothing left to rebuild, and /health/ready would be UP before the rebuild.
    assignedOnce = true;
    if (rebuild.isEmpty() && !partitions.isEmpty()) {
      LOG.info("Router routes partitions {}: {} connected clients, state kept through the rebalance",
          partitionsOwned, clients);
    }
    checkRebuilt();
  }

  /** Takes a kept partition back: the consumer forgot its positions and pauses with the revocation. */
  private void restore(Kept before) {
    Partition partition = before.partition();
    partitions.put(partition.presence.partition(), partition);
    consumer.seek(partition.presence, before.presencePosition());
    consumer.seek(partition.downlink, before.downlinkPosition());
    if (!partition.ready || partition.pausedForHeld) {
      consumer.pause(List.of(partition.downlink));
    }
    LOG.debug("Router partition {} kept: {} clients, presence from {}, downlink from {}, {} batches held",
        partition.presence.partition(), partition.table.size(), before.presencePosition(),
        before.downlinkPosition(), partition.held.size());
  }

  /**
   * Commits, then sets the partitions aside with the router's positions: if this rebalance assigns
   * them back, {@link #onPartitionsAssigned} continues from there.
   */
  @Override
  public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
    commit(true);
    for (TopicPartition tp : revoked) {
      if (!tp.topic().equals(subscriptionsTopic)) {
        continue;
      }
      Partition partition = partitions.get(tp.partition());
      if (partition == null || !revoked.contains(partition.downlink)) {
        continue;
      }
      long presencePosition = positionNow(partition.presence);
      long downlinkPosition = positionNow(partition.downlink);
      if (presencePosition >= 0 && downlinkPosition >= 0) {
        kept.put(tp.partition(), new Kept(partition, presencePosition, downlinkPosition));
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
    kept.clear();
    drop(lost);
  }

  private void drop(Collection<TopicPartition> gone) {
    for (TopicPartition tp : gone) {
      if (tp.topic().equals(subscriptionsTopic)) {
        partitions.remove(tp.partition());
      }
    }
    updateGauges();
  }

  private void checkRebuilt() {
    long slowestNanos = -1;
    for (Map.Entry<Integer, Partition> entry : partitions.entrySet()) {
      Partition partition = entry.getValue();
      if (partition.ready) {
        continue;
      }
      TopicPartition tp = new TopicPartition(subscriptionsTopic, entry.getKey());
      if (partition.rebuildUntil == 0 || positionNow(tp) >= partition.rebuildUntil) {
        partition.ready = true;
        long took = System.nanoTime() - partition.rebuildStartNanos;
        slowestNanos = Math.max(slowestNanos, took);
        metrics.routerRebuilt(took);
        LOG.debug("Router partition {} rebuilt: {} clients from {} records in {} ms", entry.getKey(),
            partition.table.size(), partition.rebuildUntil, TimeUnit.NANOSECONDS.toMillis(took));
        consumer.resume(List.of(partition.downlink));
      }
    }
    if (slowestNanos < 0) {
      countClients(); // nothing rebuilt this turn: ownership and rebuilding counts are as they were
      return;
    }
    updateGauges();
    if (partitionsRebuilding == 0) {
      LOG.info("Router routes partitions {}: {} connected clients, state rebuilt in {} ms", partitionsOwned,
          clients, TimeUnit.NANOSECONDS.toMillis(slowestNanos));
    }
  }

  /**
   * Takes one poll's downlink records of a partition: they wait behind those held before them until
   * {@link #routeHeld} finds the presence records written before them read. Held records are not
   * committed, so a stop or a crash while they wait loses none.
   */
  private void hold(int number, List<ConsumerRecord<String, byte[]>> records) {
    Partition partition = partitions.get(number);
    if (partition == null || records.isEmpty()) {
      return;
    }
    long bytes = 0;
    for (ConsumerRecord<String, byte[]> record : records) {
      bytes += Math.max(0, record.serializedValueSize()) + Math.max(0, record.serializedKeySize());
    }
    partition.held.addLast(new Held(records, System.nanoTime(), bytes));
    partition.heldBytes += bytes;
    if (!partition.pausedForHeld && partition.heldBytes > HELD_BYTES_MAX) {
      partition.pausedForHeld = true;
      consumer.pause(List.of(partition.downlink));
    }
  }

  /**
   * Routes the held downlink records, in order, whose presence records are read: first one
   * end-offsets request for the subscriptions partitions of the records not sampled yet (it is sent
   * after they were fetched, so the end offsets it returns cover every presence record written before
   * them; while polls come back full it waits for more, see {@link #SAMPLE_AFTER_NANOS}), then per
   * partition every held batch that the router's subscriptions position has reached,
   * or that has waited longer than {@link #PRESENCE_WAIT_MAX_NANOS}.
   */
  private void routeHeld(boolean caughtUpOnFetched) {
    List<TopicPartition> unsampled = new ArrayList<>();
    long oldestUnsampled = Long.MAX_VALUE;
    for (Partition partition : partitions.values()) {
      Held last = partition.held.peekLast();
      if (last != null && last.presenceEnd < 0) {
        unsampled.add(partition.presence);
        for (Held batch : partition.held) {
          if (batch.presenceEnd < 0) {
            oldestUnsampled = Math.min(oldestUnsampled, batch.fetchedNanos);
            break;
          }
        }
      }
    }
    if (!unsampled.isEmpty() && (caughtUpOnFetched || System.nanoTime() - oldestUnsampled >= SAMPLE_AFTER_NANOS)) {
      try {
        Map<TopicPartition, Long> ends = offsetReader.endOffsets(unsampled, END_OFFSETS_TIMEOUT);
        for (TopicPartition tp : unsampled) {
          Long end = ends.get(tp);
          Partition partition = partitions.get(tp.partition());
          if (end != null && partition != null) {
            for (Held batch : partition.held) {
              if (batch.presenceEnd < 0) {
                batch.presenceEnd = end;
              }
            }
          }
        }
      } catch (TimeoutException e) {
        // Asked again on the next turn of the loop; the wait stays bounded by PRESENCE_WAIT_MAX_NANOS.
        LOG.debug("Router: end offsets of {} not known yet: {}", unsampled, e.toString());
      }
    }
    long now = System.nanoTime();
    awaitingEndOffsets = false;
    for (Partition partition : partitions.values()) {
      if (partition.held.isEmpty()) {
        continue;
      }
      long position = positionNow(partition.presence); // -1: not known yet, so not reached
      while (!partition.held.isEmpty()) {
        Held batch = partition.held.peekFirst();
        long waited = now - batch.fetchedNanos;
        if (batch.presenceEnd < 0 || position < batch.presenceEnd) {
          if (waited < PRESENCE_WAIT_MAX_NANOS) {
            break;
          }
          metrics.routerPresenceWaitExceeded(batch.records.size());
          long suppressed = waitWarnings.warn(now);
          LOG.atLevel(suppressed >= 0 ? Level.WARN : Level.DEBUG).log("Router routes {} downlink records of"
                  + " partition {} after waiting {} ms for the presence records written before them (read up to {}"
                  + " of {}): they may get offline or not_subscribed{}",
              batch.records.size(), partition.downlink.partition(), TimeUnit.NANOSECONDS.toMillis(waited), position,
              batch.presenceEnd, LogThrottle.since(suppressed));
        }
        metrics.routerPresenceWait(waited);
        for (ConsumerRecord<String, byte[]> record : batch.records) {
          onDownlink(partition, record);
        }
        partition.held.pollFirst();
        partition.heldBytes -= batch.bytes;
      }
      Held last = partition.held.peekLast();
      awaitingEndOffsets |= last != null && last.presenceEnd < 0;
      if (partition.pausedForHeld && partition.heldBytes <= HELD_BYTES_MAX / 2) {
        partition.pausedForHeld = false;
        consumer.resume(List.of(partition.downlink));
      }
    }
  }

  private void onPresence(ConsumerRecord<String, byte[]> record) {
    Partition partition = partitions.get(record.partition());
    if (partition == null || record.key() == null) {
      return;
    }
    if (record.value() == null) {
      partition.table.applyTombstone(record.key());
      return;
    }
    PresenceRecord presenceRecord;
    try {
      presenceRecord = PresenceRecord.fromJson(record.value());
    } catch (IllegalArgumentException e) {
      LOG.warn("Skipping unreadable presence record {}/{} for client {}: {}", record.partition(), record.offset(),
          record.key(), e.getMessage());
      return;
    }
    SubscriptionTable.Applied applied = partition.table.apply(record.key(), presenceRecord);
    if (!partition.ready) {
      return; // replaying history: the instances named in old records need no word now
    }
    switch (applied.action()) {
      case TAKEOVER -> tell(applied.instanceId(), Addresses.ACTION_TAKEOVER, record.key(), applied.connectionId());
      case STALE -> tell(applied.instanceId(), Addresses.ACTION_REFRESH, record.key(), applied.connectionId());
      case NONE -> { }
    }
  }

  private void onDownlink(Partition partition, ConsumerRecord<String, byte[]> record) {
    String clientId = record.key();
    String topic = header(record, HeaderNames.TOPIC);
    String correlationId = header(record, HeaderNames.CORRELATION_ID);
    String qos = header(record, HeaderNames.QOS);
    String ttl = header(record, HeaderNames.TTL_MS);
    int partitionNumber = record.partition();
    long offset = record.offset();
    String invalid = validate(clientId, topic, qos, ttl);
    if (invalid == null) {
      invalid = checkPartition(clientId, partitionNumber);
    }
    if (invalid != null) {
      receipt(partition.unsettled, Status.REJECTED, clientId, topic, partitionNumber, offset, correlationId, invalid);
      return;
    }
    if (ttl != null && record.timestamp() + Long.parseLong(ttl) < System.currentTimeMillis()) {
      receipt(partition.unsettled, Status.EXPIRED, clientId, topic, partitionNumber, offset, correlationId, null);
      return;
    }
    SubscriptionTable.Route route = partition.table.lookup(clientId, topic);
    switch (route.kind()) {
      case OFFLINE ->
          receipt(partition.unsettled, Status.OFFLINE, clientId, topic, partitionNumber, offset, correlationId, null);
      case NOT_SUBSCRIBED -> receipt(partition.unsettled, Status.NOT_SUBSCRIBED, clientId, topic, partitionNumber,
          offset, correlationId, null);
      case DELIVER -> {
        int requested = qos == null ? DEFAULT_QOS : qos.charAt(0) - '0';
        DownlinkMessage message = new DownlinkMessage(clientId, route.connectionId(), topic,
            Math.min(requested, route.grantedQos()), correlationId, partitionNumber, offset, record.timestamp(),
            record.value() == null ? Buffer.buffer() : BufferSerializer.wrap(record.value()));
        forward(partition.unsettled, route.instanceId(), message);
      }
    }
  }

  /** Null when the record is routable, otherwise why not (the receipt's detail); headers as read once. */
  private static String validate(String clientId, String topic, String qos, String ttl) {
    if (clientId == null || clientId.isEmpty()) {
      return "no key: the key must be the target client id";
    }
    if (topic == null) {
      return "missing header " + HeaderNames.TOPIC;
    }
    if (!TopicFilter.isValidTopicName(topic)) {
      return "header " + HeaderNames.TOPIC + " is not a valid MQTT topic name";
    }
    if (qos != null && !qos.equals("0") && !qos.equals("1")) {
      return "header " + HeaderNames.QOS + " must be 0 or 1";
    }
    if (ttl != null && !isMillis(ttl)) {
      return "header " + HeaderNames.TTL_MS + " must be a whole number of milliseconds";
    }
    return null;
  }

  /** 1 to 18 ASCII digits (fits a long): what {@code ttl.ms} may be. */
  private static boolean isMillis(String ttl) {
    if (ttl.isEmpty() || ttl.length() > 18) {
      return false;
    }
    for (int i = 0; i < ttl.length(); i++) {
      char c = ttl.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  /**
   * The client's presence lives in the partition Kafka's default partitioner (murmur2) gives its id;
   * a downlink record elsewhere was written with another partitioner (librdkafka's default, say) and
   * would be routed against the wrong state.
   */
  private String checkPartition(String clientId, int partition) {
    if (downlinkPartitions <= 0) {
      downlinkPartitions = consumer.partitionsFor(downlinkTopic).size();
    }
    int expected = Utils.toPositive(Utils.murmur2(clientId.getBytes(StandardCharsets.UTF_8))) % downlinkPartitions;
    if (expected == partition) {
      return null;
    }
    return "written to partition " + partition + " but client " + clientId + " belongs to partition " + expected
        + ": write downlink records with Kafka's default (murmur2) partitioner"
        + " (librdkafka/kcat: topic.partitioner=murmur2_random)";
  }

  private void forward(ConcurrentSkipListSet<Long> pending, String instanceId, DownlinkMessage message) {
    pending.add(message.offset());
    request(instanceId, message, message, DownlinkMessage.DELIVER, pending);
  }

  /**
   * Sends a deliver (or an await) to the device's instance. Its answer settles the record once the
   * first receipt is in Kafka; "pending" means the instance still waits for that (the device's
   * in-flight window is full, or Kafka is slow): it is asked again, so a record is never settled on
   * a promise, and an instance that dies meanwhile still leaves it a receipt (written here on the
   * request's timeout).
   */
  private void request(String instanceId, DownlinkMessage message, Object body, DeliveryOptions options,
                       ConcurrentSkipListSet<Long> pending) {
    vertx.eventBus().request(Addresses.instance(instanceId), body, options).onComplete((reply, failure) -> {
      if (failure == null && Addresses.OUTCOME_PENDING.equals(reply.headers().get(Addresses.OUTCOME))) {
        metrics.routerAwait();
        request(instanceId, message, null, message.toAwaitOptions(DownlinkMessage.FORWARD_TIMEOUT_MS), pending);
      } else if (failure == null) {
        pending.remove(message.offset());
      } else if (failure instanceof ReplyException refused
          && refused.failureCode() == DownlinkDispatcher.RECEIPT_NOT_WRITTEN) {
        String[] statusAndDetail = refused.getMessage().split("\n", 2);
        receipt(pending, Status.valueOf(statusAndDetail[0]), message.clientId(), message.mqttTopic(), message.partition(),
            message.offset(), message.correlationId(), statusAndDetail.length > 1 ? statusAndDetail[1] : null);
      } else {
        notDelivered(pending, instanceId, message, failure); // settled once its receipt is in Kafka
      }
    });
  }

  /**
   * Writes a receipt the router decides itself. The record stays unsettled (its offset is not
   * committed) until Kafka has the receipt; a write that fails is tried again every
   * {@link #RECEIPT_RETRY_MS} while the router runs, and a crash or stop before it is written routes
   * the record again: no record is left without a receipt.
   */
  private void receipt(ConcurrentSkipListSet<Long> pending, Status status, String clientId, String topic, int partition,
                       long offset, String correlationId, String detail) {
    pending.add(offset);
    writeReceipt(pending, status, clientId, topic, partition, offset, correlationId, detail);
  }

  private void writeReceipt(ConcurrentSkipListSet<Long> pending, Status status, String clientId, String topic,
                            int partition, long offset, String correlationId, String detail) {
    receipts.write(status, clientId, topic, partition, offset, correlationId, detail).onComplete((ok, failure) -> {
      if (failure == null) {
        pending.remove(offset);
      } else if (running) {
        // Also for a partition that moved meanwhile: its new owner routes the record again (at worst a
        // second receipt); this router cannot tell from here, and a receipt too many loses nothing.
        vertx.setTimer(RECEIPT_RETRY_MS,
            id -> writeReceipt(pending, status, clientId, topic, partition, offset, correlationId, detail));
      }
      // Else this router stops: the record stays uncommitted and is routed again by the next owner.
    });
  }

  private void notDelivered(ConcurrentSkipListSet<Long> pending, String instanceId, DownlinkMessage m,
                            Throwable failure) {
    boolean gone = failure instanceof ReplyException reply && (reply.failureType() == ReplyFailure.NO_HANDLERS
        || reply.failureCode() == DownlinkDispatcher.NOT_CONNECTED_HERE);
    receipt(pending, Status.OFFLINE, m.clientId(), m.mqttTopic(), m.partition(), m.offset(), m.correlationId(),
        gone ? "the connection is gone" : "instance " + instanceId + " did not answer: " + failure.getMessage());
    if (gone) {
      // Its instance died, or it closed without its "disconnected" record: say so for it.
      presence.write(m.clientId(), new PresenceRecord(PresenceRecord.Event.DISCONNECTED, instanceId, m.connectionId(),
          false, List.of(), PresenceRecord.UNKNOWN_PROTOCOL_VERSION, System.currentTimeMillis()));
    }
  }

  private void tell(String instanceId, String action, String clientId, String connectionId) {
    vertx.eventBus().send(Addresses.instance(instanceId), Buffer.buffer(), new DeliveryOptions()
        .addHeader(Addresses.ACTION, action)
        .addHeader(Addresses.CLIENT_ID, clientId)
        .addHeader(Addresses.CONNECTION_ID, connectionId));
  }

  private void commit(boolean sync) {
    lastCommitNanos = System.nanoTime();
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (Partition partition : partitions.values()) {
      long offset = positionNow(partition.downlink);
      if (offset < 0) {
        continue; // nothing read of it yet, so nothing to commit
      }
      Long first = partition.unsettled.ceiling(0L);
      if (first != null) {
        offset = Math.min(offset, first);
      }
      long held = partition.firstHeld();
      if (held >= 0) {
        offset = Math.min(offset, held);
      }
      offsets.put(partition.downlink, new OffsetAndMetadata(offset));
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
  private long positionNow(TopicPartition tp) {
    try {
      return consumer.position(tp, Duration.ZERO);
    } catch (KafkaException e) {
      LOG.debug("Router: position of {} not known yet: {}", tp, e.toString());
      return -1;
    }
  }

  /** After an assignment, a revocation or a rebuild: which partitions, how many still rebuilding, clients. */
  private void updateGauges() {
    int rebuilding = 0;
    for (Partition partition : partitions.values()) {
      rebuilding += partition.ready ? 0 : 1;
    }
    partitionsOwned = Collections.unmodifiableSortedSet(new TreeSet<>(partitions.keySet()));
    partitionsRebuilding = rebuilding;
    countClients();
  }

  /** Every turn of the loop (presence records change it): a sum, no allocation. */
  private void countClients() {
    int known = 0;
    for (Partition partition : partitions.values()) {
      known += partition.table.size();
    }
    clients = known;
  }

  private static String header(ConsumerRecord<String, byte[]> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }
}
