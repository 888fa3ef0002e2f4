package io.mqttkafka.bridge.bench;

import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.testkit.Fleet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * {@code bench downlink}: N devices subscribe; a Kafka producer (the back end) writes downlink
 * records for them at a rate; the devices count what they receive and the latency from the
 * back end's {@code send} to the PUBLISH arriving; a consumer counts the bridge's receipts by status.
 * The devices are plain Netty connections of a {@link Fleet} ({@link DownlinkDevices}) on
 * {@code --event-loops} threads.
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
          --partitioner P            the back end's: default (Kafka's murmur2), crc32 (librdkafka's
                                     default), round-robin (default default); the bridge moves the
                                     records another partitioner puts elsewhere than their client's
          --drain-timeout D          (default 30s)
          --kafka-reference          first the floor: the same records at the same rate to
                                     <downlink-topic>.reference, read by a plain KafkaConsumer
                                     (Kafka's end-to-end latency), for --warmup and then --duration
                                     or --messages
      """;

  private DownlinkBench() {
  }

  /** The back end producer's options with its partitioner. */
  private static List<String> partitionerOption(String partitioner, List<String> options) {
    String type = switch (partitioner) {
      case "default" -> null;
      case "crc32" -> Crc32Partitioner.class.getName();
      case "round-robin" -> org.apache.kafka.clients.producer.RoundRobinPartitioner.class.getName();
      default -> throw new Args.UsageException("--partitioner must be default, crc32 or round-robin");
    };
    List<String> all = new java.util.ArrayList<>(options);
    if (type != null) {
      all.add(ProducerConfig.PARTITIONER_CLASS_CONFIG + "=" + type);
    }
    return all;
  }

  static Summary run(Args args) throws Exception {
    Common common = Common.from(args, "downlink");
    Fleet.Config fleetConfig = Common.fleetConfig(args, "bench-dl-", 2_000);
    Fleet.Tls tls = Common.fleetTls(args);
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
    String partitioner = args.string("partitioner", "default");
    Duration drainTimeout = args.duration("drain-timeout", Duration.ofSeconds(30));
    boolean reference = args.flag("kafka-reference");
    args.checkAllUsed();
    if (qos < 0 || qos > 1 || payload < Payload.HEADER || devices < 1 || rate <= 0) {
      throw new Args.UsageException("need --qos 0|1, --payload >= " + Payload.HEADER + ", --devices >= 1, --rate > 0");
    }

    Summary summary = new Summary("downlink", common.label());
    Map<String, Object> config = summary.section("config");
    config.put("tls", Common.describe(tls));
    config.put("devices", devices);
    config.put("rate_per_s", rate);
    config.put(messages > 0 ? "messages" : "duration_s", messages > 0 ? messages : duration.toSeconds());
    config.put("warmup_s", warmup.toSeconds());
    config.put("qos", qos);
    config.put("payload_bytes", payload);
    config.put("topic_pattern", topicPattern);
    config.put("subscribe", filter);
    config.put("producer_linger_ms", linger);
    config.put("producer_partitioner", partitioner);

    int runId = ThreadLocalRandom.current().nextInt(1, Integer.MAX_VALUE);
    String correlationPrefix = "bench-" + runId + "-";
    DownlinkDevices received = new DownlinkDevices(runId, devices, filter, qos);
    ConnectStats stats = new ConnectStats(fleetConfig.connectRate());
    Fleet fleet = new Fleet(fleetConfig, common.eventLoops(), received::session, stats).tls(tls);
    ReceiptCounter receipts = new ReceiptCounter(common.bootstrap(), receiptsTopic, correlationPrefix);
    var producerProps = KafkaClients.producerProperties(common.bootstrap(), "bench-downlink-backend",
        partitionerOption(partitioner, List.of(ProducerConfig.LINGER_MS_CONFIG + "=" + linger)));
    KafkaProducer<byte[], byte[]> kafka = new KafkaProducer<>(producerProps);
    try {
      // Each device subscribes as soon as its CONNACK came: the SUBSCRIBEs follow the paced CONNECTs.
      fleet.open(devices, 120_000, () -> { });
      stats.describe(summary.section("connect"));
      List<Integer> open = received.opened();
      if (open.isEmpty()) {
        throw new IllegalStateException("no MQTT connection could be opened: is the bridge running?");
      }
      long subDeadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (received.subacked() + received.refused() < open.size() && System.nanoTime() < subDeadline) {
        Thread.sleep(20);
      }
      Map<String, Object> subs = summary.section("subscriptions");
      subs.put("subacked", received.subacked());
      subs.put("refused", received.refused());
      common.progress("%d devices subscribed (%d refused); warm-up %d s", received.subacked(), received.refused(),
          warmup.toSeconds());

      java.util.function.BiFunction<KafkaProducer<byte[], byte[]>, String, DownlinkProducer> producerFor =
          (backEnd, topic) -> new DownlinkProducer(backEnd, topic, open, fleetConfig.clientIdPrefix(),
              topicPattern, qos, payload, runId, correlationPrefix, rate, devices);
      if (reference) {
        KafkaReference.Result floor = KafkaReference.run(common, downlinkTopic + ".reference",
            kafka.partitionsFor(downlinkTopic).size(), producerProps, producerFor, runId, messages, warmup,
            messages > 0 ? Duration.ofMinutes(5) : duration);
        Map<String, Object> ref = summary.section("latency_kafka_reference");
        ref.put("method", "the same records, rate and producer to " + downlinkTopic + ".reference, read by a plain"
            + " KafkaConsumer (Kafka defaults): back end send to poll");
        ref.put("produced", floor.produced());
        ref.put("received", floor.received());
        Latency.describe(floor.latency().total(), ref);
      }
      receipts.start();
      kafka.partitionsFor(downlinkTopic);
      DownlinkProducer producer = producerFor.apply(kafka, downlinkTopic);
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
      m.put("unexpected_packets", received.unexpected());
      m.put("connections_closed_by_bridge", stats.closedByBridge());
      Map<String, Object> t = summary.section("throughput");
      double seconds = (sendEnd - measuredStart) / 1e9;
      t.put("send_window_s", Summary.value(seconds));
      t.put("produced_per_s", Summary.value(producedMeasured / seconds));
      Map<String, Object> lat = summary.section("latency_kafka_to_device");
      lat.put("method", "device received PUBLISH minus the back end's time just before KafkaProducer.send");
      Latency.describe(received.latency().total(), lat);
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
    }
  }

  private static java.util.function.Supplier<String> line(DownlinkProducer producer, DownlinkDevices received,
                                                          ReceiptCounter receipts) {
    long[] last = {System.nanoTime(), 0, 0};
    return () -> {
      long now = System.nanoTime();
      long p = producer.producedTotal();
      long r = received.total();
      double s = (now - last[0]) / 1e9;
      String out = String.format(java.util.Locale.ROOT,
          "produced %,.0f/s  received %,.0f/s  backlog %,d  latency %s  kafka ack %s  receipts delivered %,d acked %,d",
          (p - last[1]) / s, (r - last[2]) / s, p - r, Latency.brief(received.latency().interval()),
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
