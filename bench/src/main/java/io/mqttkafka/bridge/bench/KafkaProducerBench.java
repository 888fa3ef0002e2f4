package io.mqttkafka.bridge.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongFunction;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * {@code bench kafka-producer}: the reference. A plain {@link KafkaProducer} sends records of the
 * given size as fast as it can, the way Kafka's own {@code ProducerPerformance} does (which is in
 * the kafka-tools artifact, not on this jar's class path): one thread, {@code send} with a callback
 * that records the latency, the same payload bytes every time. It shows what this machine's broker
 * takes from one producer, with the bridge's producer settings unless overridden.
 *
 * <p>{@code --client vertx} and {@code --client bridge} send the same records from one Vert.x event
 * loop instead ({@link EventLoopProducer}): through vertx-kafka-client, which hops to a worker
 * thread per record, and through the bridge's own {@code KafkaSender}, which does not. Run one after
 * the other against the same broker, the three tell what each way of calling the producer costs.
 */
final class KafkaProducerBench {

  static final String USAGE = """
        bench kafka-producer [options]   reference: a plain KafkaProducer as fast as possible
          --records N                (default 3m)
          --record-size BYTES        value size (default 100)
          --topic T                  (default bench.reference)
          --partitions N             create T with N partitions if missing (default 12)
          --keys N                   0 = no key, like ProducerPerformance (default); N = N distinct keys
          --like-uplink N            direct: the records the bridge writes for `bench uplink --connections N`
                                     (key the client id bench-ul-<i>, the contract's headers, round robin)
          --qos Q                    --like-uplink: the mqtt.qos header (default 1)
          --warmup-records N         direct: sent before the clock starts (JIT, connections; default 0)
          --producer-prop K=V        producer setting, repeatable (defaults: the bridge's acks=all,
                                     enable.idempotence=true, linger.ms=5, batch.size=65536)
          --client direct|vertx|bridge  direct: send() on one thread, blocking when the buffer is full
                                     (default); vertx: vertx-kafka-client's KafkaProducer.send from a
                                     Vert.x event loop (a worker thread per record); bridge: the
                                     bridge's KafkaSender from a Vert.x event loop (Producer.send there)
          --window N                 vertx, bridge: records awaiting acknowledgement at most (default 50k)
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
    String client = args.string("client", "direct");
    int window = args.integer("window", 50_000);
    int likeUplink = args.integer("like-uplink", 0);
    int qos = args.integer("qos", 1);
    long warmupRecords = args.number("warmup-records", 0);
    args.checkAllUsed();
    if ((likeUplink > 0 || warmupRecords > 0) && !client.equals("direct")) {
      throw new Args.UsageException("--like-uplink and --warmup-records are for --client direct");
    }
    if (likeUplink > 0 && keys > 0) {
      throw new Args.UsageException("--like-uplink sets the keys: no --keys with it");
    }
    if (!List.of("direct", "vertx", "bridge").contains(client)) {
      throw new Args.UsageException("--client is direct, vertx or bridge");
    }
    if (records < 1 || window < 1) {
      throw new Args.UsageException("need --records >= 1 and --window >= 1");
    }

    Summary summary = new Summary("kafka-producer", common.label());
    Map<String, Object> config = summary.section("config");
    config.put("records", records);
    config.put("record_size_bytes", size);
    config.put("topic", topic);
    config.put("keys", likeUplink > 0 ? "client ids of " + likeUplink + " devices"
        : keys == 0 ? "none (sticky partitioner)" : keys);
    config.put("client", client);
    if (!client.equals("direct")) {
      config.put("window", window);
    }
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
    if (client.equals("direct")) {
      LongFunction<ProducerRecord<byte[], byte[]>> make;
      if (likeUplink > 0) {
        UplinkLikeRecords like = new UplinkLikeRecords(topic, likeUplink, qos, size, "UL/{i}/pos", "bench-ul-");
        config.put("like_uplink", Map.of("devices", likeUplink, "qos", qos, "record_bytes", like.recordBytes()));
        make = like::record;
      } else {
        make = plainRecords(topic, keys, value);
      }
      config.put("warmup_records", warmupRecords);
      direct(common, producerProps, topic, make, new long[] {warmupRecords, records}, value.length, summary);
    } else {
      onEventLoop(common, client, producerProps, new Load(topic, keys, value, records, window), summary);
    }
    return summary;
  }

  /** Records of {@code value} with {@code keys} distinct keys (0: none), as before {@code --like-uplink}. */
  private static LongFunction<ProducerRecord<byte[], byte[]>> plainRecords(String topic, int keys, byte[] value) {
    byte[][] keyBytes = new byte[Math.max(keys, 1)][];
    for (int k = 0; k < keyBytes.length; k++) {
      keyBytes[k] = EventLoopProducer.key(k).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
    return i -> new ProducerRecord<>(topic, keys == 0 ? null : keyBytes[(int) (i % keys)], value);
  }

  /** @param counts the records sent before the clock starts, then those measured */
  private static void direct(Common common, Map<String, Object> producerProps, String topic,
                             LongFunction<ProducerRecord<byte[], byte[]>> make, long[] counts, int size,
                             Summary summary) {
    Latency latency = new Latency();
    LongAdder acked = new LongAdder();
    LongAdder failed = new LongAdder();
    CpuMeter cpu = common.cpuMeter();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps)) {
      producer.partitionsFor(topic); // metadata before the clock starts, as ProducerPerformance's warm start
      for (long i = 0; i < counts[0]; i++) {
        producer.send(make.apply(i));
      }
      producer.flush();
      long records = counts[1];
      Timeline timeline = new Timeline(acked::sum, common.cpuMeter()).start();
      CpuMeter.Snapshot before = cpu.snapshot();
      long start = System.nanoTime();
      long nextProgress = start + common.progress().toNanos();
      long lastAcked = 0;
      long lastProgress = start;
      for (long i = 0; i < records; i++) {
        long sendNanos = System.nanoTime();
        producer.send(make.apply(i), (metadata, e) -> {
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
      timeline.describe(summary);
      describe(summary, new Outcome(acked.sum(), failed.sum(), end - start, size, latency), before, after);
      ProducerStats.describe(producer.metrics(), summary.section("producer_metrics"));
      producer.close(Duration.ofSeconds(10));
    }
  }

  /** What the event-loop clients send. */
  private record Load(String topic, int keys, byte[] value, long records, int window) {
  }

  private static void onEventLoop(Common common, String client, Map<String, Object> producerProps, Load load,
                                  Summary summary) throws Exception {
    Vertx vertx = common.vertx();
    Context context = vertx.getOrCreateContext();
    EventLoopProducer.Reference ref = client.equals("vertx")
        ? EventLoopProducer.vertx(context, producerProps, load.topic(), load.keys(), load.value(), load.records(),
            load.window())
        : EventLoopProducer.bridge(context, producerProps, load.topic(), load.keys(), load.value(), load.records(),
            load.window());
    EventLoopProducer sender = ref.sender();
    try {
      awaitMetadata(ref.producer(), load.topic()); // before the clock starts, as for the direct client
      CpuMeter cpu = common.cpuMeter();
      long[] last = {System.nanoTime(), 0};
      Ticker ticker = new Ticker(common, () -> {
        long now = System.nanoTime();
        long a = sender.acked();
        String line = String.format(java.util.Locale.ROOT, "acked %,.0f/s  %s", (a - last[1]) / ((now - last[0]) / 1e9),
            Latency.brief(sender.latency().interval()));
        last[0] = now;
        last[1] = a;
        return line;
      });
      Timeline timeline = new Timeline(sender::acked, common.cpuMeter()).start();
      CpuMeter.Snapshot before = cpu.snapshot();
      long start = System.nanoTime();
      Future<Void> finished = sender.start();
      ticker.runFor(Duration.ofDays(1), finished::isComplete);
      long end = System.nanoTime();
      CpuMeter.Snapshot after = cpu.snapshot();
      timeline.describe(summary);
      describe(summary, new Outcome(sender.acked(), sender.failed(), end - start, load.value().length,
          sender.latency()), before, after);
      ProducerStats.describe(ref.producer().metrics(), summary.section("producer_metrics"));
    } finally {
      ref.close().run();
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }

  /** Asks for the topic's metadata until the producer has it; the bridge's producer never blocks for it. */
  private static void awaitMetadata(Producer<?, ?> producer, String topic) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try {
        producer.partitionsFor(topic);
        return;
      } catch (TimeoutException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(20);
      }
    }
  }

  /** What a client's run came to. */
  private record Outcome(long acked, long failed, long nanos, int size, Latency latency) {
  }

  private static void describe(Summary summary, Outcome o, CpuMeter.Snapshot before, CpuMeter.Snapshot after) {
    double seconds = o.nanos() / 1e9;
    Map<String, Object> t = summary.section("throughput");
    t.put("records_acked", o.acked());
    t.put("records_failed", o.failed());
    t.put("seconds", Summary.value(seconds));
    t.put("records_per_s", Summary.value(o.acked() / seconds));
    t.put("mb_per_s", Summary.value(o.acked() * (double) o.size() / seconds / 1e6));
    Latency.describe(o.latency().total(), summary.section("latency_send_to_ack"));
    CpuMeter.describe(before, after, o.acked(), summary.section("cpu"));
  }
}
