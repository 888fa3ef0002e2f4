package io.mqttkafka.bridge.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import io.mqttkafka.bridge.devkafka.EmbeddedKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ForwardingAdmin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The one Kafka broker of a test JVM: an {@link EmbeddedKafka} on free loopback ports and a
 * temporary directory, started on first use and stopped (directory deleted) when the JVM exits.
 * Tests share it, so each test uses its own topics ({@link #uniqueTopic}).
 *
 * <p>{@link #admin()} and {@link #producer()} are shared clients: closing them (for example in
 * try-with-resources) does nothing but flush; they are closed at JVM exit.
 */
public final class TestKafka {

  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration POLL_STEP = Duration.ofMillis(100);
  private static final AtomicInteger TOPIC_COUNTER = new AtomicInteger();
  /** Read here, not in {@link Clients}, so the shutdown hook does not create the clients. */
  private static volatile boolean clientsCreated;

  private TestKafka() {
  }

  /** Address of the shared broker; starts it on first call. */
  public static String bootstrapServers() {
    return Broker.KAFKA.bootstrapServers();
  }

  /** A topic name no other test of this JVM uses: {@code prefix-<n>-<random>}, Kafka-legal. */
  public static String uniqueTopic(String prefix) {
    String safePrefix = prefix.replaceAll("[^a-zA-Z0-9._-]", "-");
    String suffix = "-" + TOPIC_COUNTER.incrementAndGet() + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000));
    int maxPrefix = 249 - suffix.length();
    return (safePrefix.length() > maxPrefix ? safePrefix.substring(0, maxPrefix) : safePrefix) + suffix;
  }

  /**
   * Creates a topic (replication factor 1) and returns once every partition accepts writes.
   *
   * <p>A KRaft broker publishes a new topic to its metadata cache (what describeTopics and client
   * metadata read) a moment before its replica manager becomes leader. A pipelined idempotent
   * producer that writes in that moment gets NOT_LEADER_OR_FOLLOWER for its first batch while a
   * later batch is accepted; the retried first batch then fails with OUT_OF_ORDER_SEQUENCE_NUMBER
   * until delivery.timeout.ms. So this waits for a ListOffsets answer from each partition's leader,
   * which only the replica manager gives.
   */
  public static void createTopic(String name, int partitions) {
    Admin admin = admin();
    await(admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all(), "create topic " + name);
    Map<TopicPartition, OffsetSpec> latest = IntStream.range(0, partitions).boxed()
        .collect(Collectors.toMap(p -> new TopicPartition(name, p), p -> OffsetSpec.latest()));
    // The admin client's own metadata may not know the new topic yet either (seen on a loaded machine:
    // UnknownTopicOrPartitionException right after the creation succeeded): ask until it does.
    long deadline = System.nanoTime() + ADMIN_TIMEOUT.toNanos();
    while (true) {
      try {
        await(admin.listOffsets(latest).all(), "reach the leaders of " + name);
        return;
      } catch (IllegalStateException e) {
        if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)
            || System.nanoTime() - deadline > 0) {
          throw e;
        }
        sleep(POLL_STEP);
      }
    }
  }

  /**
   * Reads {@code topic} from the beginning (all partitions, no consumer group) until
   * {@code expectedCount} records have arrived or {@code timeout} has passed; then returns what it
   * has, never waiting longer. Records of one partition keep their order.
   */
  public static List<ConsumerRecord<String, byte[]>> consume(String topic, int expectedCount, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerConfig())) {
      List<TopicPartition> partitions = awaitPartitions(consumer, topic, deadline);
      if (partitions.isEmpty()) {
        return records;
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      while (records.size() < expectedCount) {
        long remainingNanos = deadline - System.nanoTime();
        if (remainingNanos <= 0) {
          break;
        }
        Duration poll = Duration.ofNanos(Math.min(remainingNanos, POLL_STEP.toNanos()));
        consumer.poll(poll).forEach(records::add);
      }
    }
    return records;
  }

  /** Everything in {@code topic}, read for {@code duration}: to assert that nothing extra arrived. */
  public static List<ConsumerRecord<String, byte[]>> consumeFor(String topic, Duration duration) {
    return consume(topic, Integer.MAX_VALUE, duration);
  }

  /** The shared producer (idempotent, acks=all, String keys, byte[] values); close() only flushes. */
  public static KafkaProducer<String, byte[]> producer() {
    return Clients.PRODUCER;
  }

  /** The shared admin client; close() does nothing. */
  public static Admin admin() {
    return Clients.ADMIN;
  }

  private static Map<String, Object> consumerConfig() {
    return Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        // The broker otherwise holds an empty fetch for 500 ms, which every consume() pays once.
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100,
        // Reading must not create the topic: the code under test decides its partition count.
        ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
  }

  /** The topic's partitions, waiting (until deadline) for the topic to exist. */
  private static List<TopicPartition> awaitPartitions(KafkaConsumer<String, byte[]> consumer, String topic, long deadline) {
    while (true) {
      long remainingNanos = deadline - System.nanoTime();
      if (remainingNanos <= 0) {
        return List.of();
      }
      try {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofNanos(Math.min(remainingNanos, Duration.ofSeconds(1).toNanos())));
        if (infos != null && !infos.isEmpty()) {
          return infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
        }
      } catch (org.apache.kafka.common.errors.TimeoutException e) {
        // not known yet; try again until the deadline
      }
      sleep(Duration.ofNanos(Math.min(Math.max(deadline - System.nanoTime(), 0), POLL_STEP.toNanos())));
    }
  }

  private static <T> T await(org.apache.kafka.common.KafkaFuture<T> future, String what) {
    try {
      return future.get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot " + what + ": " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("cannot " + what + " within " + ADMIN_TIMEOUT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + what, e);
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Holder idiom: the broker starts on first use, once per JVM. */
  private static final class Broker {
    static final Path DATA_DIR;
    static final EmbeddedKafka KAFKA;

    static {
      try {
        DATA_DIR = Files.createTempDirectory("test-kafka-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      KAFKA = EmbeddedKafka.start(DATA_DIR, 0, 0);
      // One hook, in this order: the broker treats a vanishing log dir as fatal and halts the JVM.
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        if (clientsCreated) {
          Clients.close();
        }
        KAFKA.close();
        deleteRecursively(DATA_DIR);
      }, "test-kafka-shutdown"));
    }
  }

  /** Shared clients, created on first use. */
  private static final class Clients {
    static final SharedProducer PRODUCER;
    static final SharedAdmin ADMIN;

    static {
      PRODUCER = new SharedProducer(Map.of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
          ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
          ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
          ProducerConfig.ACKS_CONFIG, "all",
          ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
          ProducerConfig.LINGER_MS_CONFIG, 0));
      ADMIN = new SharedAdmin(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
      clientsCreated = true;
    }

    static void close() {
      PRODUCER.reallyClose();
      ADMIN.reallyClose();
    }
  }

  private static final class SharedProducer extends KafkaProducer<String, byte[]> {
    SharedProducer(Map<String, Object> config) {
      super(config);
    }

    @Override
    public void close() {
      flush();
    }

    @Override
    public void close(Duration timeout) {
      flush();
    }

    void reallyClose() {
      super.close(Duration.ofSeconds(5));
    }
  }

  private static final class SharedAdmin extends ForwardingAdmin {
    SharedAdmin(Map<String, Object> config) {
      super(config);
    }

    @Override
    public void close(Duration timeout) {
      // shared: closed at JVM exit
    }

    void reallyClose() {
      super.close(Duration.ofSeconds(5));
    }
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort at JVM exit; the directory is under java.io.tmpdir
    }
  }
}
