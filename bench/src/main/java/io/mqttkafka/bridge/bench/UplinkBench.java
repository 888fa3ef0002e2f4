package io.mqttkafka.bridge.bench;

import io.mqttkafka.bridge.testkit.Fleet;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.admin.Admin;

/**
 * {@code bench uplink}: N MQTT connections publish to the bridge; a Kafka consumer on the mapped
 * topic counts what arrived and the end-to-end latency. A warm-up phase (JIT, connections, Kafka
 * metadata) runs the same load and is counted for loss but not for rates and latencies. After the
 * measured phase the bench waits for the stragglers, then reports loss: published minus arrived.
 */
final class UplinkBench {

  static final String USAGE = """
        bench uplink [options]       N connections publish; a Kafka consumer counts arrivals and latency
          --connections N            MQTT connections (default 100)
          --qos 0|1|2                (default 0)
          --payload BYTES            payload size, at least 29 (default 100)
          --rate MSG_PER_S           total target rate; 0 = as fast as possible (default 0)
          --duration D | --messages N  measured phase: time (default 20s) or message count
          --warmup D                 same load before measuring (default 5s; 0 with --messages)
          --topic-pattern P          MQTT topic, {i} = connection index (default UL/{i}/pos)
          --kafka-topic T            Kafka topic the bridge maps P to (default bench.uplink)
          --partitions N             create T with N partitions if missing (default 12)
          --inflight N               QoS 1/2 window per connection, at most 65535 (default 100)
          --threads N                event loops the connections are spread over (default 1)
          --drain-timeout D          wait for stragglers at most (default 60s)
          --verify live|after        live: a consumer counts while the load runs (default); after: only
                                     end offsets are watched during the run and every record is read
                                     afterwards (latency from LogAppendTime, which this sets on the topic),
                                     so the consumer does not compete for the cores
      """;

  private UplinkBench() {
  }

  static Summary run(Args args) throws Exception {
    Common common = Common.from(args, "uplink");
    Fleet.Config fleetConfig = Common.fleetConfig(args, "bench-ul-", 0);
    Fleet.Tls tls = Common.fleetTls(args);
    int connections = args.integer("connections", 100);
    int qos = args.integer("qos", 0);
    int payload = args.integer("payload", 100);
    double rate = args.number("rate", 0);
    long messages = args.number("messages", 0);
    Duration duration = args.duration("duration", Duration.ofSeconds(20));
    Duration warmup = args.duration("warmup", messages > 0 ? Duration.ZERO : Duration.ofSeconds(5));
    String topicPattern = args.string("topic-pattern", "UL/{i}/pos");
    String kafkaTopic = args.string("kafka-topic", "bench.uplink");
    int partitions = args.integer("partitions", 12);
    int threads = args.integer("threads", 1);
    int inflight = args.integer("inflight", 100);
    Duration drainTimeout = args.duration("drain-timeout", Duration.ofSeconds(60));
    String verify = args.string("verify", "live");
    args.checkAllUsed();
    if (!verify.equals("live") && !verify.equals("after")) {
      throw new Args.UsageException("--verify is live or after");
    }
    if (qos < 0 || qos > 2 || payload < Payload.HEADER || connections < 1 || threads < 1) {
      throw new Args.UsageException("need --qos 0..2, --payload >= " + Payload.HEADER
          + ", --connections >= 1, --threads >= 1");
    }
    if (inflight < 1 || inflight > 65_535) {
      throw new Args.UsageException("--inflight is 1 to 65535 (the packet ids)");
    }

    Summary summary = new Summary("uplink", common.label());
    Map<String, Object> config = summary.section("config");
    config.put("connections", connections);
    config.put("qos", qos);
    config.put("payload_bytes", payload);
    config.put("target_rate_per_s", rate > 0 ? rate : "unlimited");
    config.put(messages > 0 ? "messages" : "duration_s", messages > 0 ? messages : duration.toSeconds());
    config.put("warmup_s", warmup.toSeconds());
    config.put("topic_pattern", topicPattern);
    config.put("kafka_topic", kafkaTopic);
    config.put("inflight_window", qos == 0 ? "n/a" : inflight);
    config.put("verify", verify);
    config.put("tls", Common.describe(tls));

    Admin admin = KafkaClients.admin(common.bootstrap());
    config.put("partitions", KafkaClients.ensureTopic(admin, kafkaTopic, partitions));
    if (verify.equals("after")) {
      KafkaClients.useLogAppendTime(admin, kafkaTopic);
    }
    int runId = ThreadLocalRandom.current().nextInt();
    UplinkCounter counter = new UplinkCounter(common.bootstrap(), admin, kafkaTopic, runId, connections,
        verify.equals("live"));
    UplinkSender sender = new UplinkSender(qos, payload, runId, rate, inflight, topicPattern);
    ConnectStats stats = new ConnectStats(fleetConfig.connectRate());
    Fleet fleet = new Fleet(fleetConfig, threads, sender::session, stats).tls(tls);
    Timeline timeline = new Timeline(counter::arrived, common.cpuMeter());
    try {
      counter.start();
      fleet.open(connections, 120_000, () -> { });
      stats.describe(summary.section("connect"));
      Common.describeHandshakes(fleet, summary.section("connect"));
      if (sender.connections() == 0) {
        throw new IllegalStateException("no MQTT connection to " + fleetConfig.host() + ":" + fleetConfig.port()
            + " could be opened: is the bridge running?");
      }
      common.progress("%d connections open; warm-up %d s, then %s", sender.connections(), warmup.toSeconds(),
          messages > 0 ? messages + " messages" : duration.toSeconds() + " s measured");
      String scrapeBefore = common.bridge().scrape();
      CpuMeter cpu = common.cpuMeter();
      Ticker ticker = new Ticker(common, new Line(sender, counter, cpu));
      CpuMeter.Snapshot cpuStart = null;
      long measuredStart = 0;
      if (warmup.isZero()) {
        timeline.start();
        cpuStart = cpu.snapshot();
        measuredStart = System.nanoTime();
        sender.measure(measuredStart, messages);
      }
      sender.start();
      if (!warmup.isZero()) {
        ticker.runFor(warmup, () -> false);
        timeline.start();
        cpuStart = cpu.snapshot();
        measuredStart = System.nanoTime();
        sender.measure(measuredStart, messages);
      }
      ticker.runFor(messages > 0 ? Duration.ofDays(1) : duration, sender::budgetUsed);
      sender.stop();
      long sendEnd = System.nanoTime();
      timeline.close();
      long publishedMeasured = sender.published(Payload.MEASURED);

      // Stragglers: until everything arrived, nothing moved for 10 s, or the drain timeout.
      long expected = sender.publishedTotal() - sender.writeFailures();
      ticker.drain(drainTimeout, () -> counter.arrived() >= expected && (qos == 0 || sender.outstanding() == 0),
          () -> counter.arrived() + sender.acked());
      CpuMeter.Snapshot cpuEnd = cpu.snapshot();
      String scrapeAfter = common.bridge().scrape();
      counter.finish(drainTimeout);

      Map<String, Object> m = summary.section("messages");
      m.put("published_measured", publishedMeasured);
      m.put("published_warmup", sender.published(Payload.WARMUP));
      m.put("write_failures", sender.writeFailures());
      if (qos > 0) {
        m.put("acknowledged", sender.acked());
      }
      m.put("unexpected_packets", sender.unexpected());
      counter.describe(m);
      long lost = sender.publishedTotal() - counter.uniqueTotal();
      m.put("lost", lost);
      m.put("loss_ratio", Summary.value((double) lost / Math.max(1, sender.publishedTotal())));
      m.put("connections_closed_by_bridge", stats.closedByBridge());

      Map<String, Object> t = summary.section("throughput");
      double sendSeconds = (sendEnd - measuredStart) / 1e9;
      double arriveSeconds = (Math.max(counter.lastMeasuredArrivalNanos(), sendEnd) - measuredStart) / 1e9;
      t.put("send_window_s", Summary.value(sendSeconds));
      t.put("offered_per_s", Summary.value(publishedMeasured / sendSeconds));
      t.put("arrived_per_s", Summary.value(counter.uniqueMeasured() / arriveSeconds));
      t.put("arrived_mb_per_s", Summary.value(counter.uniqueMeasured() * (double) payload / arriveSeconds / 1e6));

      Map<String, Object> e2e = summary.section("latency_end_to_end");
      e2e.put("method", counter.latencyMethod());
      Latency.describe(counter.latency().total(), e2e);
      if (qos > 0) {
        Latency.describe(sender.ackLatency().total(), summary.section(qos == 1 ? "latency_puback" : "latency_pubcomp"));
      }
      CpuMeter.describe(cpuStart, cpuEnd, counter.uniqueMeasured(), summary.section("cpu"));
      BridgeCounters.describe(scrapeBefore, scrapeAfter, summary.section("bridge_counters"));
      timeline.describe(summary);
      if (counter.failure() != null) {
        summary.put("error", "Kafka consumer failed: " + counter.failure());
      }
      return summary;
    } finally {
      timeline.close();
      fleet.close(30_000);
      counter.close();
      admin.close();
    }
  }

  /** One progress line: rates over the last interval, backlog, latencies, bridge cores. */
  private static final class Line implements java.util.function.Supplier<String> {
    private final UplinkSender sender;
    private final UplinkCounter counter;
    private final CpuMeter cpu;
    private long lastNanos = System.nanoTime();
    private long lastSent;
    private long lastArrived;
    private CpuMeter.Snapshot lastCpu;

    Line(UplinkSender sender, UplinkCounter counter, CpuMeter cpu) {
      this.sender = sender;
      this.counter = counter;
      this.cpu = cpu;
      this.lastCpu = cpu.snapshot();
    }

    @Override
    public String get() {
      long now = System.nanoTime();
      long sent = sender.publishedTotal();
      long arrived = counter.arrived();
      CpuMeter.Snapshot snap = cpu.snapshot();
      double s = (now - lastNanos) / 1e9;
      String line = String.format(java.util.Locale.ROOT,
          "sent %,.0f/s  arrived %,.0f/s  backlog %,d  e2e %s  ack %s  bridge %.2f cores",
          (sent - lastSent) / s, (arrived - lastArrived) / s, sent - arrived,
          Latency.brief(counter.latency().interval()), Latency.brief(sender.ackLatency().interval()),
          CpuMeter.bridgeCores(lastCpu, snap));
      lastNanos = now;
      lastSent = sent;
      lastArrived = arrived;
      lastCpu = snap;
      return line;
    }
  }
}
