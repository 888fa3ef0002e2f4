package io.mqttkafka.bridge.routing;

import io.mqttkafka.bridge.bus.Addresses;
import io.mqttkafka.bridge.downlink.DownlinkDispatcher;
import io.mqttkafka.bridge.downlink.DownlinkMessage;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.mqtt.TopicFilter;
import io.mqttkafka.bridge.routing.Receipt.Status;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router's consumer thread. Kafka assigns it partition numbers of {@code mqtt.subscriptions} and
 * {@code mqtt.downlink} together (range assignment over co-partitioned topics). For each new
 * partition it rebuilds the {@link SubscriptionTable} by reading the subscriptions partition from the
 * start to the end offset seen at assignment, with the downlink partition paused; then it routes that
 * partition's downlink records: a receipt for what it can decide itself, the rest over the event bus
 * to the instance holding the connection. Downlink offsets are committed up to the first record that
 * is not yet settled (forwarded and answered, or its receipt acknowledged by Kafka), so a crash
 * re-routes rather than loses.
 */
final class RouterLoop implements Runnable, ConsumerRebalanceListener {

  private static final Logger LOG = LoggerFactory.getLogger(RouterLoop.class);
  private static final Duration POLL = Duration.ofMillis(100);
  private static final long COMMIT_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final long FORWARD_TIMEOUT_MS = 10_000;
  static final String HEADER_TOPIC = "mqtt.topic";
  static final String HEADER_QOS = "mqtt.qos";
  static final String HEADER_CORRELATION_ID = "correlation.id";
  static final String HEADER_TTL_MS = "ttl.ms";
  /** Downlink QoS when the record has no mqtt.qos header: commands are worth an acknowledgement. */
  private static final int DEFAULT_QOS = 1;

  private final Consumer<String, byte[]> consumer;
  private final Vertx vertx;
  private final String subscriptionsTopic;
  private final String downlinkTopic;
  private final ReceiptWriter receipts;
  private final PresenceWriter presence;
  private final BridgeMetrics metrics;
  private final Map<Integer, Partition> partitions = new HashMap<>();
  /** Downlink offsets handed on and not yet settled, per partition; settled from other threads. */
  private final Map<Integer, ConcurrentSkipListSet<Long>> unsettled = new ConcurrentHashMap<>();
  private volatile boolean running = true;
  private volatile boolean assignedOnce;
  private volatile Set<Integer> partitionsOwned = Set.of();
  private volatile int partitionsRebuilding;
  private volatile int clients;
  private long lastCommitNanos = System.nanoTime();
  private int downlinkPartitions;

  /** One owned partition number: its table and, while rebuilding, the offset to reach. */
  private static final class Partition {
    final SubscriptionTable table;
    long rebuildUntil;
    long rebuildStartNanos;
    boolean ready;

    Partition(SubscriptionTable table) {
      this.table = table;
    }
  }

  RouterLoop(Consumer<String, byte[]> consumer, Vertx vertx, String subscriptionsTopic, String downlinkTopic,
             ReceiptWriter receipts, PresenceWriter presence, BridgeMetrics metrics) {
    this.consumer = consumer;
    this.vertx = vertx;
    this.subscriptionsTopic = subscriptionsTopic;
    this.downlinkTopic = downlinkTopic;
    this.receipts = receipts;
    this.presence = presence;
    this.metrics = metrics;
  }

  /** Ready once it took part in an assignment and every partition it owns is rebuilt. */
  boolean ready() {
    return assignedOnce && partitionsRebuilding == 0;
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

  @Override
  public void run() {
    try {
      consumer.subscribe(List.of(subscriptionsTopic, downlinkTopic), this);
      while (running) {
        ConsumerRecords<String, byte[]> records = consumer.poll(POLL);
        // Presence first: a downlink record fetched in the same poll sees the newest state.
        for (ConsumerRecord<String, byte[]> record : records.records(subscriptionsTopic)) {
          onPresence(record);
        }
        for (ConsumerRecord<String, byte[]> record : records.records(downlinkTopic)) {
          onDownlink(record);
        }
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
      LOG.error("Router stopped by an unexpected failure", e);
    } finally {
      try {
        commit(true);
      } finally {
        consumer.close();
      }
    }
  }

  @Override
  public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
    List<TopicPartition> subscriptions = new ArrayList<>();
    for (TopicPartition tp : assigned) {
      if (tp.topic().equals(subscriptionsTopic)) {
        subscriptions.add(tp);
      }
    }
    Map<TopicPartition, Long> ends = consumer.endOffsets(subscriptions);
    for (TopicPartition tp : subscriptions) {
      Partition partition = new Partition(new SubscriptionTable());
      partition.rebuildUntil = ends.getOrDefault(tp, 0L);
      partition.rebuildStartNanos = System.nanoTime();
      partitions.put(tp.partition(), partition);
      unsettled.put(tp.partition(), new ConcurrentSkipListSet<>());
      consumer.seekToBeginning(List.of(tp));
      TopicPartition downlink = new TopicPartition(downlinkTopic, tp.partition());
      if (assigned.contains(downlink)) {
        consumer.pause(List.of(downlink));
      } else {
        LOG.warn("Router got {} without {}: the two topics must be co-partitioned", tp, downlink);
      }
    }
    updateGauges();
    // Only now: ready() read between the two (endOffsets above is a network round trip) would see
    // an assignment with nothing left to rebuild, and /health/ready would be UP before the rebuild.
    assignedOnce = true;
    checkRebuilt();
  }

  @Override
  public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
    commit(true);
    drop(revoked);
  }

  @Override
  public void onPartitionsLost(Collection<TopicPartition> lost) {
    drop(lost);
  }

  private void drop(Collection<TopicPartition> gone) {
    for (TopicPartition tp : gone) {
      if (tp.topic().equals(subscriptionsTopic)) {
        partitions.remove(tp.partition());
        unsettled.remove(tp.partition());
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
      if (partition.rebuildUntil == 0 || consumer.position(tp) >= partition.rebuildUntil) {
        partition.ready = true;
        long took = System.nanoTime() - partition.rebuildStartNanos;
        slowestNanos = Math.max(slowestNanos, took);
        metrics.routerRebuilt(took);
        LOG.debug("Router partition {} rebuilt: {} clients from {} records in {} ms", entry.getKey(),
            partition.table.size(), partition.rebuildUntil, TimeUnit.NANOSECONDS.toMillis(took));
        consumer.resume(List.of(new TopicPartition(downlinkTopic, entry.getKey())));
      }
    }
    updateGauges();
    if (slowestNanos >= 0 && partitionsRebuilding == 0) {
      LOG.info("Router routes partitions {}: {} connected clients, state rebuilt in {} ms", partitionsOwned,
          clients, TimeUnit.NANOSECONDS.toMillis(slowestNanos));
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

  private void onDownlink(ConsumerRecord<String, byte[]> record) {
    String clientId = record.key();
    String topic = header(record, HEADER_TOPIC);
    String correlationId = header(record, HEADER_CORRELATION_ID);
    int partitionNumber = record.partition();
    long offset = record.offset();
    String invalid = validate(record, clientId, topic);
    if (invalid == null) {
      invalid = checkPartition(clientId, partitionNumber);
    }
    if (invalid != null) {
      receipt(Status.REJECTED, clientId, topic, partitionNumber, offset, correlationId, invalid);
      return;
    }
    String ttl = header(record, HEADER_TTL_MS);
    if (ttl != null && record.timestamp() + Long.parseLong(ttl) < System.currentTimeMillis()) {
      receipt(Status.EXPIRED, clientId, topic, partitionNumber, offset, correlationId, null);
      return;
    }
    Partition partition = partitions.get(partitionNumber);
    SubscriptionTable.Route route = partition.table.lookup(clientId, topic);
    switch (route.kind()) {
      case OFFLINE -> receipt(Status.OFFLINE, clientId, topic, partitionNumber, offset, correlationId, null);
      case NOT_SUBSCRIBED ->
          receipt(Status.NOT_SUBSCRIBED, clientId, topic, partitionNumber, offset, correlationId, null);
      case DELIVER -> {
        String qosHeader = header(record, HEADER_QOS);
        int requested = qosHeader == null ? DEFAULT_QOS : Integer.parseInt(qosHeader);
        DownlinkMessage message = new DownlinkMessage(clientId, route.connectionId(), topic,
            Math.min(requested, route.grantedQos()), correlationId, partitionNumber, offset, record.timestamp(),
            record.value() == null ? Buffer.buffer() : Buffer.buffer(record.value()));
        forward(route.instanceId(), message);
      }
    }
  }

  /** Null when the record is routable, otherwise why not (the receipt's detail). */
  private static String validate(ConsumerRecord<String, byte[]> record, String clientId, String topic) {
    if (clientId == null || clientId.isEmpty()) {
      return "no key: the key must be the target client id";
    }
    if (topic == null) {
      return "missing header " + HEADER_TOPIC;
    }
    if (!TopicFilter.isValidTopicName(topic)) {
      return "header " + HEADER_TOPIC + " is not a valid MQTT topic name";
    }
    String qos = header(record, HEADER_QOS);
    if (qos != null && !qos.equals("0") && !qos.equals("1")) {
      return "header " + HEADER_QOS + " must be 0 or 1";
    }
    String ttl = header(record, HEADER_TTL_MS);
    if (ttl != null && !ttl.matches("\\d{1,18}")) {
      return "header " + HEADER_TTL_MS + " must be a whole number of milliseconds";
    }
    return null;
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

  private void forward(String instanceId, DownlinkMessage message) {
    ConcurrentSkipListSet<Long> pending = unsettled.get(message.partition());
    pending.add(message.offset());
    DeliveryOptions options = message.toDeliveryOptions(FORWARD_TIMEOUT_MS);
    vertx.eventBus().request(Addresses.instance(instanceId), message.payload(), options)
        .onComplete((reply, failure) -> {
          if (failure != null) {
            notDelivered(instanceId, message, failure); // settled once its receipt is in Kafka
          } else {
            pending.remove(message.offset());
          }
        });
  }

  /**
   * Writes a receipt the router decides itself. The record stays unsettled (its offset is not
   * committed) until Kafka has the receipt: a crash before that routes the record again rather than
   * leaving it without any receipt.
   */
  private void receipt(Status status, String clientId, String topic, int partition, long offset, String correlationId,
                       String detail) {
    ConcurrentSkipListSet<Long> pending = unsettled.get(partition);
    if (pending != null) {
      pending.add(offset);
    }
    receipts.write(status, clientId, topic, partition, offset, correlationId, detail).onComplete(done -> {
      if (pending != null) {
        pending.remove(offset);
      }
    });
  }

  private void notDelivered(String instanceId, DownlinkMessage m, Throwable failure) {
    boolean gone = failure instanceof ReplyException reply && (reply.failureType() == ReplyFailure.NO_HANDLERS
        || reply.failureCode() == DownlinkDispatcher.NOT_CONNECTED_HERE);
    receipt(Status.OFFLINE, m.clientId(), m.mqttTopic(), m.partition(), m.offset(), m.correlationId(),
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
    for (Integer number : partitions.keySet()) {
      TopicPartition tp = new TopicPartition(downlinkTopic, number);
      ConcurrentSkipListSet<Long> pending = unsettled.get(number);
      long position = consumer.position(tp);
      Long first = pending == null ? null : pending.ceiling(0L);
      offsets.put(tp, new OffsetAndMetadata(first == null ? position : Math.min(position, first)));
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

  private void updateGauges() {
    int rebuilding = 0;
    int known = 0;
    for (Partition partition : partitions.values()) {
      rebuilding += partition.ready ? 0 : 1;
      known += partition.table.size();
    }
    partitionsOwned = Collections.unmodifiableSortedSet(new TreeSet<>(partitions.keySet()));
    partitionsRebuilding = rebuilding;
    clients = known;
  }

  private static String header(ConsumerRecord<String, byte[]> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }
}
