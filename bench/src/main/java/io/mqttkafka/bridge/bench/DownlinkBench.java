package io.mqttkafka.bridge.bench;

import io.mqttkafka.bridge.records.Receipt;
import io.vertx.core.Vertx;
import io.vertx.mqtt.messages.MqttPublishMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * {@code bench downlink}: N devices subscribe; a Kafka producer (the back end) writes downlink
 * records for them at a rate; the devices count what they receive and the latency from the
 * back end's {@code send} to the PUBLISH arriving; a consumer counts the bridge's receipts by status.
 */
final class DownlinkBench {

  static final String USAGE = """
        bench downlink [options]     devices subscribe; a producer writes downlink records at a rate
          --devices N                subscribed MQTT connections (default 1000)
          --rate MSG_PER_S           records per second, round-robin over devices (default 5000)
          --duration D | --messages N  measured phase (default 30s)
          --warmup D                 (default 5s; 0 with --messages)
          --qos 0|1                  mqtt.qos header and subscription QoS (default 1)
          --payload BYTES            (default 100)
          --topic-pattern P          mqtt.topic header, {i} = device index (default DL/{i}/cmd)
          --subscribe F              filter each device subscribes, {i} allowed (default DL/#)
          --downlink-topic T         (default mqtt.downlink)
          --receipts-topic T         (default mqtt.receipts)
          --linger-ms N              the back end producer's linger.ms (default 0)
          --drain-timeout D          (default 30s)
      """;

  private DownlinkBench() {
  }

  /** What the devices received. Called on the bench's event loops. */
  private static final class Received {
    private final int runId;
    private final SeqTracker seq;
    private final Latency latency = new Latency();
    private final Payload.Header h = new Payload.Header();
    private long total;
    private long measured;
    private long foreign;

    Received(int runId, int devices) {
      this.runId = runId;
      this.seq = new SeqTracker(devices);
    }

    synchronized void on(MqttPublishMessage message) {
      long now = System.nanoTime();
      int outcome = Payload.decode(message.payload().getBytes(), runId, h) ? seq.arrived(h.source, h.seq)
          : SeqTracker.FOREIGN;
      if (outcome == SeqTracker.FOREIGN) {
        foreign++;
        return;
      }
      if (outcome == SeqTracker.NEW) {
        total++;
        if (h.phase == Payload.MEASURED) {
          measured++;
          latency.recordNanos(now - h.sendNanos);
        }
      }
    }

    synchronized long total() {
      return total;
    }

    synchronized void describe(Map<String, Object> out) {
      out.put("received_unique", total);
      out.put("received_unique_measured", measured);
      out.put("duplicates", seq.duplicates());
      out.put("reordered", seq.reordered());
      out.put("foreign", foreign);
    }
  }

  static Summary run(Args args) throws Exception {
    Common common = Common.from(args, "downlink");
    Fleet.Config fleetConfig = Fleet.Config.from(args, "bench-dl-", 2_000);
    int devices = args.integer("devices", 1000);
    double rate = args.number("rate", 5000);
    long messages = args.number("messages", 0);
    Duration duration = args.duration("duration", Duration.ofSeconds(30));
    Duration warmup = args.duration("warmup", messages > 0 ? Duration.ZERO : Duration.ofSeconds(5));
    int qos = args.integer("qos", 1);
    int payload = args.integer("payload", 100);
    String topicPattern = args.string("topic-pattern", "DL/{i}/cmd");
    String filter = args.string("subscribe", "DL/#");
    String downlinkTopic = args.string("downlink-topic", "mqtt.downlink");
    String receiptsTopic = args.string("receipts-topic", "mqtt.receipts");
    int linger = args.integer("linger-ms", 0);
    Duration drainTimeout = args.duration("drain-timeout", Duration.ofSeconds(30));
    args.checkAllUsed();
    if (qos < 0 || qos > 1 || payload < Payload.HEADER || devices < 1 || rate <= 0) {
      throw new Args.UsageException("need --qos 0|1, --payload >= " + Payload.HEADER + ", --devices >= 1, --rate > 0");
    }

    Summary summary = new Summary("downlink", common.label());
    Map<String, Object> config = summary.section("config");
    config.put("devices", devices);
    config.put("rate_per_s", rate);
    config.put(messages > 0 ? "messages" : "duration_s", messages > 0 ? messages : duration.toSeconds());
    config.put("warmup_s", warmup.toSeconds());
    config.put("qos", qos);
    config.put("payload_bytes", payload);
    config.put("topic_pattern", topicPattern);
    config.put("subscribe", filter);
    config.put("producer_linger_ms", linger);

    int runId = ThreadLocalRandom.current().nextInt(1, Integer.MAX_VALUE);
    String correlationPrefix = "bench-" + runId + "-";
    Vertx vertx = common.vertx();
    Received received = new Received(runId, devices);
    AtomicLong subacked = new AtomicLong();
    AtomicLong refused = new AtomicLong();
    Consumer<Fleet.Connection> setup = c -> {
      c.client().publishHandler(received::on);
      c.client().subscribeCompletionHandler(suback -> {
        boolean ok = suback.grantedQoSLevels().stream().allMatch(q -> q < 0x80);
        (ok ? subacked : refused).incrementAndGet();
      });
    };
    Fleet fleet = new Fleet(vertx, fleetConfig);
    ReceiptCounter receipts = new ReceiptCounter(common.bootstrap(), receiptsTopic, correlationPrefix);
    var producerProps = KafkaClients.producerProperties(common.bootstrap(), "bench-downlink-backend",
        List.of(ProducerConfig.LINGER_MS_CONFIG + "=" + linger));
    KafkaProducer<byte[], byte[]> kafka = new KafkaProducer<>(producerProps);
    try {
      List<Fleet.Connection> open = fleet.open(devices, setup, 120_000, () -> { });
      fleet.stats().describe(summary.section("connect"));
      if (open.isEmpty()) {
        throw new IllegalStateException("no MQTT connection could be opened: is the bridge running?");
      }
      Pacer pacer = new Pacer(fleetConfig.connectRate());
      pacer.start(System.nanoTime());
      for (Fleet.Connection c : open) {
        while (pacer.due(System.nanoTime()) == 0) {
          Pacer.pause();
        }
        c.client().subscribe(filter.replace("{i}", Integer.toString(c.index())), qos);
        pacer.sent(1);
      }
      long subDeadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (subacked.get() + refused.get() < open.size() && System.nanoTime() < subDeadline) {
        Thread.sleep(20);
      }
      Map<String, Object> subs = summary.section("subscriptions");
      subs.put("subacked", subacked.get());
      subs.put("refused", refused.get());
      common.progress("%d devices subscribed (%d refused); warm-up %d s", subacked.get(), refused.get(),
          warmup.toSeconds());

      receipts.start();
      kafka.partitionsFor(downlinkTopic);
      List<Integer> indexes = new ArrayList<>();
      open.forEach(c -> indexes.add(c.index()));
      DownlinkProducer producer = new DownlinkProducer(kafka, downlinkTopic, indexes, fleetConfig.clientIdPrefix(),
          topicPattern, qos, payload, runId, correlationPrefix, rate, devices);
      String scrapeBefore = common.bridge().scrape();
      CpuMeter cpu = common.cpuMeter();
      Ticker ticker = new Ticker(common, line(producer, received, receipts));
      if (warmup.isZero()) {
        producer.measure(messages);
      }
      CpuMeter.Snapshot cpuStart = cpu.snapshot();
      long measuredStart = System.nanoTime();
      producer.start();
      if (!warmup.isZero()) {
        ticker.runFor(warmup, () -> false);
        cpuStart = cpu.snapshot();
        measuredStart = System.nanoTime();
        producer.measure(messages);
      }
      ticker.runFor(messages > 0 ? Duration.ofDays(1) : duration, producer::budgetUsed);
      producer.stop();
      long sendEnd = System.nanoTime();
      long expected = producer.producedTotal() - producer.failed();
      long producedMeasured = producer.produced(Payload.MEASURED);
      ticker.drain(drainTimeout, () -> received.total() >= expected
              && receipts.count(Payload.MEASURED, Receipt.Status.DELIVERED) >= producedMeasured
              && (qos == 0 || receipts.count(Payload.MEASURED, Receipt.Status.ACKED) >= producedMeasured),
          () -> received.total() + receipts.count(Payload.MEASURED, Receipt.Status.ACKED));
      CpuMeter.Snapshot cpuEnd = cpu.snapshot();

      Map<String, Object> m = summary.section("messages");
      m.put("produced_measured", producedMeasured);
      m.put("produced_warmup", producer.produced(Payload.WARMUP));
      m.put("produce_failures", producer.failed());
      received.describe(m);
      long lost = producer.producedTotal() - received.total();
      m.put("lost", lost);
      m.put("loss_ratio", Summary.value((double) lost / Math.max(1, producer.producedTotal())));
      m.put("connections_closed_by_bridge", fleet.stats().closedByPeer());
      Map<String, Object> t = summary.section("throughput");
      double seconds = (sendEnd - measuredStart) / 1e9;
      t.put("send_window_s", Summary.value(seconds));
      t.put("produced_per_s", Summary.value(producedMeasured / seconds));
      Map<String, Object> lat = summary.section("latency_kafka_to_device");
      lat.put("method", "device received PUBLISH minus the back end's time just before KafkaProducer.send");
      Latency.describe(received.latency.total(), lat);
      Map<String, Object> ack = summary.section("latency_backend_send_to_kafka_ack");
      ack.put("method", "part of the above spent before the bridge: send to the back end producer's callback");
      Latency.describe(producer.ackLatency().total(), ack);
      receipts.describe(summary.section("receipts_measured"));
      CpuMeter.describe(cpuStart, cpuEnd, producedMeasured, summary.section("cpu"));
      BridgeCounters.describe(scrapeBefore, common.bridge().scrape(), summary.section("bridge_counters"));
      return summary;
    } finally {
      fleet.close(30_000);
      receipts.close();
      kafka.close(Duration.ofSeconds(10));
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }

  private static java.util.function.Supplier<String> line(DownlinkProducer producer, Received received,
                                                          ReceiptCounter receipts) {
    long[] last = {System.nanoTime(), 0, 0};
    return () -> {
      long now = System.nanoTime();
      long p = producer.producedTotal();
      long r = received.total();
      double s = (now - last[0]) / 1e9;
      String out = String.format(java.util.Locale.ROOT,
          "produced %,.0f/s  received %,.0f/s  backlog %,d  latency %s  kafka ack %s  receipts delivered %,d acked %,d",
          (p - last[1]) / s, (r - last[2]) / s, p - r, Latency.brief(received.latency.interval()),
          Latency.brief(producer.ackLatency().interval()),
          receipts.count(Payload.MEASURED, Receipt.Status.DELIVERED),
          receipts.count(Payload.MEASURED, Receipt.Status.ACKED));
      last[0] = now;
      last[1] = p;
      last[2] = r;
      return out;
    };
  }
}
