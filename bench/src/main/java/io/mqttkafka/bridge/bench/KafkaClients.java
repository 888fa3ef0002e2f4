package io.mqttkafka.bridge.bench;

import io.mqttkafka.bridge.kafka.ProducerVerticle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** The bench's Kafka settings and topic handling, in one place. */
final class KafkaClients {

  private static final long ADMIN_TIMEOUT_S = 30;

  private KafkaClients() {
  }

  /** A reader without a group (assign + seek): low fetch wait, large batches, byte[] keys and values. */
  static KafkaConsumer<byte[], byte[]> consumer(String bootstrap, String clientId) {
    Map<String, Object> p = new HashMap<>();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20);
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 20_000);
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
    p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    return new KafkaConsumer<>(p);
  }

  /**
   * Producer settings: the bridge's own defaults (acks=all, idempotent, its {@code linger.ms} and
   * {@code batch.size}), then {@code overrides} ({@code key=value}).
   */
  static Map<String, Object> producerProperties(String bootstrap, String clientId, List<String> overrides) {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.LINGER_MS_CONFIG, ProducerVerticle.DEFAULT_LINGER_MS);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, ProducerVerticle.DEFAULT_BATCH_SIZE);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    for (String o : overrides) {
      int eq = o.indexOf('=');
      if (eq <= 0) {
        throw new Args.UsageException("--producer-prop needs key=value, got '" + o + "'");
      }
      p.put(o.substring(0, eq), o.substring(eq + 1));
    }
    return p;
  }

  static Admin admin(String bootstrap) {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
  }

  /**
   * Creates the topic with {@code partitions} partitions unless it exists, and waits until every
   * partition's leader answers; returns the partition count it has.
   */
  static int ensureTopic(Admin admin, String topic, int partitions) throws Exception {
    try {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) -1))).all()
          .get(ADMIN_TIMEOUT_S, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw e;
      }
    }
    int count = partitionCount(admin, topic);
    Map<TopicPartition, OffsetSpec> latest = IntStream.range(0, count).boxed()
        .collect(Collectors.toMap(p -> new TopicPartition(topic, p), p -> OffsetSpec.latest()));
    admin.listOffsets(latest).all().get(ADMIN_TIMEOUT_S, TimeUnit.SECONDS);
    return count;
  }

  /**
   * Has the broker stamp each record with the time it appended it ({@code LogAppendTime}), so that
   * a reader can tell when a record became readable after the fact.
   */
  static void useLogAppendTime(Admin admin, String topic) throws Exception {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
            new ConfigEntry("message.timestamp.type", "LogAppendTime"), AlterConfigOp.OpType.SET))))
        .all().get(ADMIN_TIMEOUT_S, TimeUnit.SECONDS);
  }

  /** The topic's partition count; -1 when it does not exist. */
  static int partitionCount(Admin admin, String topic) throws Exception {
    try {
      TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(ADMIN_TIMEOUT_S, TimeUnit.SECONDS)
          .get(topic);
      return d.partitions().size();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return -1;
      }
      throw e;
    }
  }

  /** Assigns every partition of the topic and moves to its end, so only records written from now on are read. */
  static void assignAtEnd(KafkaConsumer<byte[], byte[]> consumer, String topic) {
    List<TopicPartition> partitions = new ArrayList<>();
    consumer.partitionsFor(topic, Duration.ofSeconds(ADMIN_TIMEOUT_S))
        .forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    for (TopicPartition tp : partitions) {
      consumer.position(tp, Duration.ofSeconds(ADMIN_TIMEOUT_S)); // resolve now, before anything is sent
    }
  }
}
