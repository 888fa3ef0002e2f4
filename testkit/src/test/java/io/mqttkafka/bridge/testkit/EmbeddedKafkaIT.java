package io.mqttkafka.bridge.testkit;

import io.mqttkafka.bridge.devkafka.EmbeddedKafka;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @Test
  void recordsAndClientsSurviveARestartOnTheSameDataDirAndPort(@TempDir Path dataDir) throws Exception {
    String topic = "restart-test";
    EmbeddedKafka kafka = EmbeddedKafka.start(dataDir, 0, 0);
    int port = kafka.port();
    try (KafkaProducer<String, byte[]> producer = idempotentProducer(kafka.bootstrapServers())) {
      try {
        assertThat(port).isPositive();
        assertThat(kafka.bootstrapServers()).isEqualTo("127.0.0.1:" + port);
        assertThat(kafka.dataDir()).isEqualTo(dataDir.toAbsolutePath().normalize());

        for (int i = 0; i < 10; i++) {
          producer.send(new ProducerRecord<>(topic, "car1", ("before-" + i).getBytes(UTF_8))).get(30, TimeUnit.SECONDS);
        }
        assertThat(values(read(kafka.bootstrapServers(), topic, 10))).containsExactlyElementsOf(numbered("before-", 10));
      } finally {
        kafka.close();
        kafka.close(); // idempotent
      }

      kafka = EmbeddedKafka.start(dataDir, port, 0);
      try {
        assertThat(kafka.port()).isEqualTo(port);
        assertThat(values(read(kafka.bootstrapServers(), topic, 10))).containsExactlyElementsOf(numbered("before-", 10));

        // A client that lived through the outage reconnects to the same address on its own.
        producer.send(new ProducerRecord<>(topic, "car1", "after".getBytes(UTF_8))).get(30, TimeUnit.SECONDS);
        List<String> all = new ArrayList<>(numbered("before-", 10));
        all.add("after");
        assertThat(values(read(kafka.bootstrapServers(), topic, 11))).containsExactlyElementsOf(all);
      } finally {
        kafka.close();
      }
    }
  }

  @Test
  void startFailsNamingThePortWhenItIsTaken(@TempDir Path dataDir) throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      assertThatThrownBy(() -> EmbeddedKafka.start(dataDir, taken.getLocalPort(), 0))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("127.0.0.1:" + taken.getLocalPort());
    }
    // The failed attempt released the directory lock and its ports: the same directory starts.
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dataDir, 0, 0)) {
      assertThat(kafka.port()).isPositive();
    }
  }

  @Test
  void keyedRecordsKeepTheirOrderPerKeyAcrossPartitions() throws Exception {
    String topic = TestKafka.uniqueTopic("keyed");
    TestKafka.createTopic(topic, 3);
    assertThat(TestKafka.admin().describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()).hasSize(3);

    List<String> keys = List.of("car1", "car2", "car3", "car4", "car5", "car6");
    KafkaProducer<String, byte[]> producer = TestKafka.producer();
    for (int i = 0; i < 20; i++) {
      for (String key : keys) {
        producer.send(new ProducerRecord<>(topic, key, (key + ":" + i).getBytes(UTF_8)));
      }
    }
    producer.flush();

    List<ConsumerRecord<String, byte[]>> records = TestKafka.consume(topic, 120, TIMEOUT);
    assertThat(records).hasSize(120);
    Map<String, List<ConsumerRecord<String, byte[]>>> byKey = records.stream()
        .collect(Collectors.groupingBy(ConsumerRecord::key, LinkedHashMap::new, Collectors.toList()));
    for (String key : keys) {
      assertThat(values(byKey.get(key))).as("order of %s", key).containsExactlyElementsOf(numbered(key + ":", 20));
      assertThat(byKey.get(key)).extracting(ConsumerRecord::partition).as("partitions of %s", key).containsOnly(byKey.get(key).get(0).partition());
    }
    assertThat(records).extracting(ConsumerRecord::partition).as("keys spread over partitions").contains(0, 1, 2);
    assertThat(TestKafka.consumeFor(topic, Duration.ofMillis(500))).as("nothing extra").hasSize(120);
  }

  @Test
  void transactionsAndConsumerGroupsWorkOnOneNode() throws Exception {
    String topic = TestKafka.uniqueTopic("txn");
    TestKafka.createTopic(topic, 1);
    Map<String, Object> config = new HashMap<>(producerConfig(TestKafka.bootstrapServers()));
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, topic + "-tx");
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config)) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, "car1", "committed".getBytes(UTF_8)));
      producer.commitTransaction();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, "car1", "aborted".getBytes(UTF_8)));
      producer.abortTransaction();
    }

    String group = topic + "-group";
    List<ConsumerRecord<String, byte[]>> seen = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, group,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (seen.isEmpty() && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
      }
      // A short extra read: an aborted record would show up now if isolation were broken.
      consumer.poll(Duration.ofMillis(500)).forEach(seen::add);
      assertThat(values(seen)).containsExactly("committed");
      consumer.commitSync(Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(seen.get(0).offset() + 1)));
    }

    Map<TopicPartition, OffsetAndMetadata> committed = TestKafka.admin()
        .listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
    assertThat(committed).containsOnlyKeys(new TopicPartition(topic, 0));
    assertThat(committed.get(new TopicPartition(topic, 0)).offset()).isEqualTo(1);
  }

  private static KafkaProducer<String, byte[]> idempotentProducer(String bootstrapServers) {
    return new KafkaProducer<>(producerConfig(bootstrapServers));
  }

  private static Map<String, Object> producerConfig(String bootstrapServers) {
    return Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
  }

  /** Reads a single-partition topic from the start of a broker other than TestKafka's. */
  private static List<ConsumerRecord<String, byte[]>> read(String bootstrapServers, String topic, int expected) {
    List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false))) {
      Set<TopicPartition> partition = Set.of(new TopicPartition(topic, 0));
      consumer.assign(partition);
      consumer.seekToBeginning(partition);
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (records.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
    }
    return records;
  }

  private static List<String> values(List<ConsumerRecord<String, byte[]>> records) {
    return records.stream().map(r -> new String(r.value(), UTF_8)).toList();
  }

  private static List<String> numbered(String prefix, int count) {
    return IntStream.range(0, count).mapToObj(i -> prefix + i).toList();
  }
}
