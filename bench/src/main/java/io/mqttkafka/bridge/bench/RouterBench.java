package io.mqttkafka.bridge.bench;

import io.mqttkafka.bridge.records.PresenceRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * {@code bench router}: the router's subscription state at scale, in two steps around a bridge
 * restart.
 * <ol>
 *   <li>Default: writes N presence records (connected, subscribed to one filter, on an instance
 *       that does not exist) to {@code mqtt.subscriptions}, waits until the running bridge's router
 *       holds them ({@code mqtt_bridge_router_clients}) and reports heap per client after a full
 *       GC, and the baseline heap for step 2.</li>
 *   <li>{@code --rebuild}, run right after the bridge was restarted: waits until it is ready and
 *       reports how long rebuilding its partitions from Kafka took ({@code mqtt_bridge_router_rebuild_seconds_max}:
 *       one consumer rebuilds all its partitions at once, so the slowest one is the whole rebuild)
 *       and heap per client against {@code --baseline-heap}.</li>
 * </ol>
 */
final class RouterBench {

  static final String USAGE = """
        bench router [options]       router state: N subscription records, heap per client, rebuild time
          --clients N                presence records to write (default 1m)
          --subscriptions-topic T    (default mqtt.subscriptions)
          --filter F                 each client's one subscription (default DL/#)
          --wait D                   for the router to hold them / to be ready (default 300s)
          --rebuild                  step 2, after a bridge restart: rebuild time and heap per client
          --baseline-heap BYTES      step 1's heap_before_bytes, for step 2's heap per client
      """;

  private static final String INSTANCE = "bench-router-absent-instance";

  private RouterBench() {
  }

  static Summary run(Args args) throws Exception {
    Common common = Common.from(args, "router");
    long clients = args.number("clients", 1_000_000);
    String topic = args.string("subscriptions-topic", "mqtt.subscriptions");
    String filter = args.string("filter", "DL/#");
    Duration wait = args.duration("wait", Duration.ofSeconds(300));
    boolean rebuild = args.flag("rebuild");
    double baselineHeap = args.number("baseline-heap", -1);
    args.checkAllUsed();
    if (!common.bridge().known()) {
      throw new Args.UsageException("the router bench reads the bridge's /metrics: give --metrics-url");
    }
    Summary summary = new Summary("router", common.label());
    summary.section("config").put("clients", clients);
    summary.section("config").put("step", rebuild ? "rebuild after restart" : "write and apply live");
    return rebuild ? rebuild(common, clients, baselineHeap, wait, summary)
        : write(common, clients, topic, filter, wait, summary);
  }

  private static Summary write(Common common, long clients, String topic, String filter, Duration wait,
                               Summary summary) throws Exception {
    HeapProbe heap = new HeapProbe(common);
    HeapProbe.Reading before = heap.read();
    double known = orZero(common.bridge().value("mqtt_bridge_router_clients"));
    var props = KafkaClients.producerProperties(common.bootstrap(), "bench-router-writer",
        List.of("linger.ms=20", "batch.size=524288"));
    LongAdder failed = new LongAdder();
    long start = System.nanoTime();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      List<PresenceRecord.Subscription> filters = List.of(new PresenceRecord.Subscription(filter, 1));
      long now = System.currentTimeMillis();
      for (long i = 0; i < clients; i++) {
        // Like a real connection id: instance, start time, sequence; unique per client.
        PresenceRecord record = new PresenceRecord(PresenceRecord.Event.SUBSCRIBED, INSTANCE,
            INSTANCE + "/" + now + "-" + i, true, filters, 4, now);
        producer.send(new ProducerRecord<>(topic, ("bench-router-" + i).getBytes(StandardCharsets.UTF_8),
            record.toJson()), (m, e) -> {
              if (e != null) {
                failed.increment();
              }
            });
      }
      producer.flush();
    }
    double writeSeconds = (System.nanoTime() - start) / 1e9;
    common.progress("wrote %,d presence records in %.1f s; waiting for the router to hold them", clients, writeSeconds);
    long deadline = System.nanoTime() + wait.toNanos();
    double held = 0;
    long nextLine = System.nanoTime();
    while (System.nanoTime() < deadline) {
      held = orZero(common.bridge().value("mqtt_bridge_router_clients")) - known;
      if (held >= clients - failed.sum()) {
        break;
      }
      if (System.nanoTime() > nextLine) {
        common.progress("router holds %,.0f of %,d", held, clients);
        nextLine = System.nanoTime() + common.progress().toNanos();
      }
      Thread.sleep(250);
    }
    double applySeconds = (System.nanoTime() - start) / 1e9;
    HeapProbe.Reading after = heap.read();
    Map<String, Object> w = summary.section("write");
    w.put("records_written", clients - failed.sum());
    w.put("write_failures", failed.sum());
    w.put("write_seconds", Summary.value(writeSeconds));
    w.put("router_clients_added", (long) held);
    w.put("applied_live_within_s", Summary.value(applySeconds));
    HeapProbe.describe(before, after, (long) Math.max(1, held), "client", summary.section("memory"));
    if (held < clients - failed.sum()) {
      summary.put("error", "the router held " + (long) held + " of " + clients + " clients after " + wait.toSeconds() + " s");
    }
    return summary;
  }

  private static Summary rebuild(Common common, long clients, double baselineHeap, Duration wait, Summary summary)
      throws Exception {
    long start = System.nanoTime();
    long deadline = start + wait.toNanos();
    // Ready, and every owned partition counted as rebuilt (not merely "nothing assigned yet").
    while (!rebuilt(common) && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    double readyAfter = (System.nanoTime() - start) / 1e9;
    String scrape = common.bridge().scrape();
    Map<String, Object> r = summary.section("rebuild");
    r.put("ready", common.bridge().ready());
    r.put("ready_after_bench_start_s", Summary.value(readyAfter));
    double slowest = BridgeEndpoint.sample(scrape, "mqtt_bridge_router_rebuild_seconds_max");
    double clientsHeld = BridgeEndpoint.sample(scrape, "mqtt_bridge_router_clients");
    r.put("rebuild_seconds", Summary.value(slowest));
    r.put("partitions", Summary.value(BridgeEndpoint.sample(scrape, "mqtt_bridge_router_partitions")));
    r.put("partition_rebuild_seconds_sum", Summary.value(BridgeEndpoint.sample(scrape,
        "mqtt_bridge_router_rebuild_seconds_sum")));
    r.put("router_clients", Summary.value(clientsHeld));
    r.put("clients_per_s", Summary.value(clientsHeld / slowest));
    HeapProbe.Reading after = new HeapProbe(common).read();
    Map<String, Object> memory = summary.section("memory");
    if (baselineHeap > 0) {
      HeapProbe.describe(new HeapProbe.Reading(baselineHeap, Double.NaN, true), after, (long) clientsHeld, "client",
          memory);
    } else {
      memory.put("heap_after_bytes", Summary.value(after.heapBytes()));
      memory.put("note", "give --baseline-heap (step 1's heap_before_bytes) for heap per client");
    }
    if (clients > 0 && clientsHeld < clients) {
      summary.put("error", "the router holds " + (long) clientsHeld + " clients, expected at least " + clients);
    }
    return summary;
  }

  private static boolean rebuilt(Common common) {
    if (!common.bridge().ready()) {
      return false;
    }
    String scrape = common.bridge().scrape();
    double partitions = BridgeEndpoint.sample(scrape, "mqtt_bridge_router_partitions");
    double rebuilds = BridgeEndpoint.sample(scrape, "mqtt_bridge_router_rebuild_seconds_count");
    return partitions > 0 && rebuilds >= partitions;
  }

  private static double orZero(double v) {
    return Double.isNaN(v) ? 0 : v;
  }
}
