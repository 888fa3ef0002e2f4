package io.mqttkafka.bridge.routing;

import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.records.PresenceRecord;
import io.mqttkafka.bridge.kafka.PresenceWriter;
import io.mqttkafka.bridge.kafka.ReceiptWriter;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.bus.DownlinkMessage;
import io.mqttkafka.bridge.downlink.DeliveryTarget;
import io.mqttkafka.bridge.downlink.FirstReceiptNotWritten;
import io.vertx.core.Future;
import io.mqttkafka.bridge.bus.InstanceProtocol;
import io.mqttkafka.bridge.bus.InstanceProtocol.Await;
import io.mqttkafka.bridge.bus.InstanceProtocol.Outcome;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.records.PresenceRecord.Event;
import io.mqttkafka.bridge.records.PresenceRecord.Subscription;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.mqttkafka.bridge.testkit.WarningLog;
import io.mqttkafka.bridge.kafka.BufferSerializer;
import io.mqttkafka.bridge.kafka.KafkaSender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The stage of the router's tests: {@link RouterLoop} on its own thread with a mock consumer ({@link EagerMockConsumer}: eager
 * rebalances, a log per partition) and a real, unclustered Vert.x whose event bus has two device
 * instances: {@code alive} answers every forward, {@code dead} never does until the test says so.
 */
abstract class RouterLoopHarness {

  static final String SUBSCRIPTIONS = "test.subscriptions";
  static final String DOWNLINK = "test.downlink";
  static final String SESSIONS = "test.sessions";
  static final String ALIVE = "alive";
  static final String DEAD = "dead";
  /** The router's own instance: its connections are delivered to without the event bus. */
  static final String HERE = "here";
  static final int PARTITIONS = 2;
  static final int MIB = 1024 * 1024;

  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final BridgeMetrics metrics = new BridgeMetrics(registry);
  final EagerMockConsumer consumer = new EagerMockConsumer();
  /** How many of the next receipts the producer refuses (Kafka did not take them). */
  final AtomicInteger receiptsToRefuse = new AtomicInteger();
  final MockProducer<String, Buffer> producer =
      new MockProducer<>(true, null, new StringSerializer(), new BufferSerializer()) {
        @Override
        public synchronized java.util.concurrent.Future<RecordMetadata> send(ProducerRecord<String, Buffer> record,
                                                                            Callback callback) {
          if (record.topic().equals("test.receipts") && receiptsToRefuse.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            KafkaException refused = new KafkaException("refused by the test");
            callback.onCompletion(null, refused);
            return CompletableFuture.failedFuture(refused);
          }
          if (record.topic().equals(SESSIONS)) {
            // The sessions topic is read back by the router: what is written there lands in the consumer's log.
            byte[] value = record.value() == null ? null : record.value().getBytes();
            long offset = consumer.append(SESSIONS, record.partition(), record.key(), value, record.headers(),
                value == null ? -1 : value.length);
            TopicPartition tp = new TopicPartition(SESSIONS, record.partition());
            return super.send(record, (metadata, failure) -> callback.onCompletion(failure != null ? null
                : new RecordMetadata(tp, offset, 0, metadata.timestamp(), -1, -1), failure));
          }
          return super.send(record, callback);
        }
      };
  /** Per instance, the forwards it got, as "partition/offset", in order of arrival. */
  final Map<String, List<String>> forwarded = new ConcurrentHashMap<>();
  /** Every notice an instance got, as "instance ACTION connection", in order of arrival. */
  final List<String> notices = new CopyOnWriteArrayList<>();
  /** This instance's connections, by client id. */
  final Map<String, LocalTarget> here = new ConcurrentHashMap<>();
  /** Every deliver, in order of arrival. */
  final List<DownlinkMessage> delivered = new CopyOnWriteArrayList<>();
  /** The forwards the dead instance got, unanswered. */
  final List<Message<Object>> unanswered = new CopyOnWriteArrayList<>();
  final WarningLog warnings = new WarningLog();
  /** The test ended the router thread with a failure on purpose. */
  boolean stoppedByTheTest;
  Vertx vertx;
  RouterLoop loop;
  Thread thread;

  @BeforeEach
  void start() throws Exception {
    warnings.install();
    vertx = Vertx.vertx();
    vertx.eventBus().<Object>consumer(InstanceProtocol.address(ALIVE), message -> {
      got(ALIVE, message);
      message.reply(Outcome.RECEIPT_WRITTEN);
    }).completion().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    vertx.eventBus().<Object>consumer(InstanceProtocol.address(DEAD), message -> {
      got(DEAD, message);
      unanswered.add(message);
    }).completion().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);

    consumer.updatePartitions(DOWNLINK, List.of(new PartitionInfo(DOWNLINK, 0, null, null, null),
        new PartitionInfo(DOWNLINK, 1, null, null, null)));
    for (int p = 0; p < PARTITIONS; p++) {
      consumer.updateBeginningOffsets(Map.of(presence(p), 0L, downlink(p), 0L, sessions(p), 0L));
      consumer.updateEndOffsets(Map.of(presence(p), 0L, downlink(p), 0L, sessions(p), 0L));
    }
    KafkaSender sender = new KafkaSender(vertx, producer, 64L * MIB, 30_000);
    loop = new RouterLoop(consumer, new OffsetReader(consumer), vertx, new RouterVerticle.Topics(SUBSCRIPTIONS, DOWNLINK, SESSIONS),
        new RouterVerticle.Writers(sender, new ReceiptWriter(sender, "test.receipts", "router", metrics),
            new PresenceWriter(sender, SUBSCRIPTIONS), metrics), new RouterVerticle.Local(HERE, here::get),
        new RouterLoop.Settings(500, queueLimits()));
    thread = new Thread(loop, "router-test");
    thread.start();
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (stoppedByTheTest) {
        assertThat(warnings.errorsFrom("io.mqttkafka", "io.vertx")).singleElement().asString()
            .contains("Router stopped by an unexpected failure");
        return;
      }
      assertThat(thread.isAlive()).as("the router thread still runs").isTrue();
      loop.stop();
      thread.join(5_000);
      assertThat(thread.isAlive()).as("the router thread stopped").isFalse();
      assertThat(warnings.errorsFrom("io.mqttkafka", "io.vertx")).isEmpty();
    } finally {
      warnings.uninstall();
      vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
  }

  /** A connection of the router's own instance whose deliveries end as the test says. */
  static final class LocalTarget implements DeliveryTarget {
    final String connectionId;
    final Future<Void> answer;
    final List<DownlinkMessage> delivered = new CopyOnWriteArrayList<>();

    LocalTarget(String connectionId, Future<Void> answer) {
      this.connectionId = connectionId;
      this.answer = answer;
    }

    @Override
    public String connectionId() {
      return connectionId;
    }

    @Override
    public Future<Void> deliver(DownlinkMessage message) {
      delivered.add(message);
      return answer;
    }

    @Override
    public void takeOver() {
    }

    @Override
    public void refreshPresence() {
    }
  }

  List<ProducerRecord<String, Buffer>> copies() {
    return producer.history().stream().filter(r -> r.topic().equals(DOWNLINK)).toList();
  }

  static String header(ProducerRecord<String, Buffer> record, String name) {
    return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  void got(String instance, Message<Object> message) {
    if (message.body() instanceof DownlinkMessage forwarded) {
      delivered.add(forwarded);
      forwards(instance).add(forwarded.partition() + "/" + forwarded.offset());
    } else if (message.body() instanceof Await await) {
      forwards(instance).add("await " + await.partition() + "/" + await.offset());
    } else if (message.body() instanceof InstanceProtocol.Notice notice) {
      notices.add(instance + " " + notice.action() + " " + notice.connectionId());
    }
  }

  List<String> forwards(String instance) {
    return forwarded.computeIfAbsent(instance, k -> new CopyOnWriteArrayList<>());
  }

  /** The receipts written with the status, as "partition/offset". */
  List<String> receipts(Status status) {
    return producer.history().stream().filter(r -> r.topic().equals("test.receipts"))
        .map(r -> Receipt.fromJson(r.value().getBytes())).filter(r -> r.status() == status)
        .map(r -> r.partition() + "/" + r.offset()).toList();
  }

  OptionalLong committed(int partition) {
    return consumer.lastCommitted(downlink(partition));
  }

  long rebuilds() {
    return registry.get("mqtt.bridge.router.rebuild").timer().count();
  }

  double presenceWaitExceeded() {
    return registry.get("mqtt.bridge.router.presence.wait.exceeded").counter().count();
  }

  /** Assigns the partitions and waits until the router has rebuilt them and is ready. */
  void routing(int... partitions) {
    assign(partitions);
    await().atMost(Duration.ofSeconds(5)).until(loop::ready);
  }

  void assign(int... partitions) {
    List<TopicPartition> assignment = Arrays.stream(partitions).boxed()
        .flatMap(p -> List.of(presence(p), downlink(p), sessions(p)).stream()).toList();
    onLoop(c -> c.eagerRebalance(assignment));
  }

  /** Runs the action on the router's thread, inside a poll, as Kafka runs rebalance callbacks; waits for it. */
  void onLoop(Consumer<EagerMockConsumer> action) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    consumer.schedulePollTask(() -> {
      action.accept(consumer);
      done.complete(null);
    });
    done.orTimeout(5, TimeUnit.SECONDS).join();
  }

  /** A presence record of {@code event} for the client's connection {@code connectionId} on {@code instanceId}. */
  void presence(String clientId, Event event, String instanceId, String connectionId) {
    PresenceRecord record = new PresenceRecord(event, instanceId, connectionId, event != Event.DISCONNECTED,
        List.of(new Subscription("DL/#", 1)), 4, System.currentTimeMillis());
    byte[] json = record.toJson();
    consumer.append(SUBSCRIPTIONS, partitionOf(clientId), clientId, json, new RecordHeaders(), json.length);
  }

  void subscribed(String clientId, String instanceId) {
    PresenceRecord record = new PresenceRecord(Event.SUBSCRIBED, instanceId, "connection-" + clientId, true,
        List.of(new Subscription("DL/#", 1)), 4, System.currentTimeMillis());
    byte[] json = record.toJson();
    consumer.append(SUBSCRIPTIONS, partitionOf(clientId), clientId, json, new RecordHeaders(), json.length);
  }

  /** The client's persistent session (an hour), connected through {@code instanceId}, subscribed to DL/#. */
  void connectedSession(String clientId, String instanceId) {
    PresenceRecord record = new PresenceRecord(Event.CONNECTED, instanceId, instanceId + "-" + clientId, true,
        List.of(new Subscription("DL/#", 1)), 4, System.currentTimeMillis(),
        new PresenceRecord.Session(3_600, 0, List.of()));
    byte[] json = record.toJson();
    consumer.append(SUBSCRIPTIONS, partitionOf(clientId), clientId, json, new RecordHeaders(), json.length);
  }

  /** The receipts of {@code status} as "partition/offset detail". */
  List<String> receiptDetails(Status status) {
    return producer.history().stream().filter(r -> r.topic().equals("test.receipts"))
        .map(r -> Receipt.fromJson(r.value().getBytes())).filter(r -> r.status() == status)
        .map(r -> r.partition() + "/" + r.offset() + " " + r.detail()).toList();
  }

  void downlink(String clientId) {
    downlink(clientId, 10);
  }

  /** A downlink record that claims {@code size} bytes (what the held-bytes limit counts). */
  void downlink(String clientId, int size) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(HeaderNames.TOPIC, "DL/command".getBytes(StandardCharsets.UTF_8));
    consumer.append(DOWNLINK, partitionOf(clientId), clientId, new byte[10], headers, size);
  }

  static TopicPartition presence(int partition) {
    return new TopicPartition(SUBSCRIPTIONS, partition);
  }

  static TopicPartition downlink(int partition) {
    return new TopicPartition(DOWNLINK, partition);
  }

  static TopicPartition sessions(int partition) {
    return new TopicPartition(SESSIONS, partition);
  }

  /** What the router keeps for offline clients; a test class may keep less. */
  QueueRouter.Limits queueLimits() {
    return new QueueRouter.Limits(1_000, 1024 * 1024, TimeUnit.DAYS.toMillis(30));
  }

  /** A client id in the partition, by Kafka's default partitioner, as the router checks. */
  static String client(int partition, String prefix) {
    for (int n = 0; ; n++) {
      String id = prefix + "-" + n;
      if (partitionOf(id) == partition) {
        return id;
      }
    }
  }

  static int partitionOf(String clientId) {
    return Utils.toPositive(Utils.murmur2(clientId.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
  }

  /**
   * The router's end-offsets consumer: assigned, never polled, answering with the end offsets set on
   * (and the timeouts armed in) the group consumer, so that each test sets them in one place.
   */
  static final class OffsetReader extends MockConsumer<String, byte[]> {
    private final EagerMockConsumer source;

    OffsetReader(EagerMockConsumer source) {
      super("earliest");
      this.source = source;
    }

    @Override
    public synchronized Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions) {
      assertThat(assignment()).as("end offsets asked for assigned partitions only").containsAll(partitions);
      return source.endOffsets(partitions);
    }

    @Override
    public synchronized Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions, Duration timeout) {
      assertThat(assignment()).as("end offsets asked for assigned partitions only").containsAll(partitions);
      return source.endOffsets(partitions, timeout);
    }
  }
}
