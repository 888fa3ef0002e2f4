package io.mqttkafka.bridge.bench;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * {@code bench kafka-producer}: the reference. A plain {@link KafkaProducer} sends records of the
 * given size as fast as it can, the way Kafka's own {@code ProducerPerformance} does (which is in
 * the kafka-tools artifact, not on this jar's class path): one thread, {@code send} with a callback
 * that records the latency, the same payload bytes every time. It shows what this machine's broker
 * takes from one producer, with the bridge's producer settings unless overridden.
 */
final class KafkaProducerBench {

  static final String USAGE = """
        bench kafka-producer [options]   reference: a plain KafkaProducer as fast as possible
          --records N                (default 3m)
          --record-size BYTES        value size (default 100)
          --topic T                  (default bench.reference)
          --partitions N             create T with N partitions if missing (default 12)
          --keys N                   0 = no key, like ProducerPerformance (default); N = N distinct keys
          --producer-prop K=V        producer setting, repeatable (defaults: the bridge's acks=all,
                                     enable.idempotence=true, linger.ms=5, batch.size=65536)
      """;

  private KafkaProducerBench() {
  }

  static Summary run(Args args) throws Exception {
    Common common = Common.from(args, "kafka-producer");
    long records = args.number("records", 3_000_000);
    int size = args.integer("record-size", 100);
    String topic = args.string("topic", "bench.reference");
    int partitions = args.integer("partitions", 12);
    int keys = args.integer("keys", 0);
    List<String> props = args.strings("producer-prop");
    args.checkAllUsed();

    Summary summary = new Summary("kafka-producer", common.label());
    Map<String, Object> config = summary.section("config");
    config.put("records", records);
    config.put("record_size_bytes", size);
    config.put("topic", topic);
    config.put("keys", keys == 0 ? "none (sticky partitioner)" : keys);
    Map<String, Object> producerProps = KafkaClients.producerProperties(common.bootstrap(), "bench-reference", props);
    config.put("producer", new java.util.TreeMap<>(Map.of(
        "acks", String.valueOf(producerProps.get("acks")),
        "linger.ms", String.valueOf(producerProps.get("linger.ms")),
        "batch.size", String.valueOf(producerProps.get("batch.size")),
        "enable.idempotence", String.valueOf(producerProps.get("enable.idempotence")))));
    try (Admin admin = KafkaClients.admin(common.bootstrap())) {
      config.put("partitions", KafkaClients.ensureTopic(admin, topic, partitions));
    }

    byte[] value = new byte[size];
    byte[][] keyBytes = new byte[Math.max(keys, 1)][];
    for (int k = 0; k < keyBytes.length; k++) {
      keyBytes[k] = ("bench-ref-" + k).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
    Latency latency = new Latency();
    LongAdder acked = new LongAdder();
    LongAdder failed = new LongAdder();
    CpuMeter cpu = common.cpuMeter();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps)) {
      producer.partitionsFor(topic); // metadata before the clock starts, as ProducerPerformance's warm start
      CpuMeter.Snapshot before = cpu.snapshot();
      long start = System.nanoTime();
      long nextProgress = start + common.progress().toNanos();
      long lastAcked = 0;
      long lastProgress = start;
      for (long i = 0; i < records; i++) {
        long sendNanos = System.nanoTime();
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, keys == 0 ? null : keyBytes[(int) (i % keys)],
            value);
        producer.send(r, (metadata, e) -> {
          if (e == null) {
            acked.increment();
            latency.recordNanos(System.nanoTime() - sendNanos);
          } else {
            failed.increment();
          }
        });
        if ((i & 0xFFF) == 0 && System.nanoTime() > nextProgress) {
          long now = System.nanoTime();
          long a = acked.sum();
          common.progress("%3ds acked %,.0f/s  %s", (now - start) / 1_000_000_000L,
              (a - lastAcked) / ((now - lastProgress) / 1e9), Latency.brief(latency.interval()));
          lastAcked = a;
          lastProgress = now;
          nextProgress = now + common.progress().toNanos();
        }
      }
      producer.flush();
      long end = System.nanoTime();
      CpuMeter.Snapshot after = cpu.snapshot();
      double seconds = (end - start) / 1e9;
      Map<String, Object> t = summary.section("throughput");
      t.put("records_acked", acked.sum());
      t.put("records_failed", failed.sum());
      t.put("seconds", Summary.value(seconds));
      t.put("records_per_s", Summary.value(acked.sum() / seconds));
      t.put("mb_per_s", Summary.value(acked.sum() * (double) size / seconds / 1e6));
      Latency.describe(latency.total(), summary.section("latency_send_to_ack"));
      CpuMeter.describe(before, after, acked.sum(), summary.section("cpu"));
      ProducerStats.describe(producer.metrics(), summary.section("producer_metrics"));
      producer.close(Duration.ofSeconds(10));
    }
    return summary;
  }
}
