package io.mqttkafka.bridge.bench;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiFunction;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The floor of the downlink latency: the same records at the same rate (the downlink's back end,
 * {@link DownlinkProducer}, unchanged) to a topic with the downlink topic's partition count, read by
 * a plain {@link KafkaConsumer} at Kafka's default fetch settings; latency from the back end's send
 * time in the payload to the record's arrival in {@code poll}. Kafka's own end-to-end latency on
 * this machine, measured in the same bench run as the bridge's, just before it.
 */
final class KafkaReference {

  private KafkaReference() {
  }

  /** What the reference measured. */
  record Result(Latency latency, long produced, long received) {
  }

  /**
   * Runs the reference for {@code warmup} then {@code duration}.
   *
   * @param topic         the reference topic, created with {@code partitions} partitions if missing
   * @param producerProps the back end producer's settings, as in the downlink run
   * @param producerFor   the downlink run's back end, writing to a given topic with a given producer
   * @param runId         the run id in the payloads
   * @param messages      measured records to send, as the downlink run's {@code --messages}; 0: for {@code duration}
   */
  static Result run(Common common, String topic, int partitions, Map<String, Object> producerProps,
                    BiFunction<KafkaProducer<byte[], byte[]>, String, DownlinkProducer> producerFor, int runId,
                    long messages, Duration warmup, Duration duration) throws Exception {
    try (Admin admin = KafkaClients.admin(common.bootstrap())) {
      KafkaClients.ensureTopic(admin, topic, partitions);
    }
    Reader reader = new Reader(runId);
    KafkaProducer<byte[], byte[]> kafka = new KafkaProducer<>(producerProps);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(plainConsumer(common.bootstrap()))) {
      KafkaClients.assignAtEnd(consumer, topic);
      DownlinkProducer producer = producerFor.apply(kafka, topic);
      common.progress("Kafka reference: %s warm-up, %s measured, to %s", warmup, duration, topic);
      producer.start();
      long measureAt = System.nanoTime() + warmup.toNanos();
      long stopAt = measureAt + duration.toNanos();
      boolean measuring = false;
      while (System.nanoTime() < stopAt && !(measuring && producer.budgetUsed())) {
        if (!measuring && System.nanoTime() >= measureAt) {
          producer.measure(messages);
          measuring = true;
        }
        reader.poll(consumer);
      }
      producer.stop();
      long expected = producer.produced(Payload.MEASURED);
      long drainUntil = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (reader.received < expected && System.nanoTime() < drainUntil) {
        reader.poll(consumer);
      }
      return new Result(reader.latency, expected, reader.received);
    } finally {
      kafka.close(Duration.ofSeconds(10));
    }
  }

  /** Reads this run's measured records and their latency. */
  private static final class Reader {
    final Latency latency = new Latency();
    final Payload.Header header = new Payload.Header();
    final int runId;
    long received;

    Reader(int runId) {
      this.runId = runId;
    }

    void poll(KafkaConsumer<byte[], byte[]> consumer) {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
        long now = System.nanoTime();
        if (Payload.decode(r.value(), runId, header) && header.phase == Payload.MEASURED) {
          latency.recordNanos(now - header.sendNanos);
          received++;
        }
      }
    }
  }

  /** A consumer as a back end would write one: Kafka's defaults, assigned rather than in a group. */
  private static Map<String, Object> plainConsumer(String bootstrap) {
    Map<String, Object> p = new HashMap<>();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-kafka-reference");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    return p;
  }
}
