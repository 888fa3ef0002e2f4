package io.mqttkafka.bridge.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark tool's modes, a few hundred messages each, against a bridge in this JVM: the
 * summaries count every message and report no loss. Speed is not asserted (BENCHMARKS.md has it).
 */
class BenchSmokeIT {

  private static final String UPLINK = TestKafka.uniqueTopic("bench-uplink");
  private static final Map<String, String> DEPLOYMENT = TestBridge.isolated();
  private static Bridge bridge;

  @TempDir
  Path results;

  @BeforeAll
  static void start() throws Exception {
    TestKafka.createTopic(UPLINK, 3);
    bridge = TestBridge.start("""
        mappings:
          uplink:
            - { match: "^UL/(.+)$", topic: "%s" }
          downlink: { filters: ["DL/#"] }
        """.formatted(UPLINK), DEPLOYMENT);
  }

  @AfterAll
  static void stop() {
    bridge.stop();
  }

  @Test
  void uplinkQos1CountsEveryMessageAndItsPuback() throws Exception {
    Summary s = run("uplink", "--connections", "4", "--qos", "1", "--messages", "300", "--kafka-topic", UPLINK);

    assertThat(s.number("connect", "connected")).isEqualTo(4);
    assertThat(s.number("messages", "published_measured")).isEqualTo(300);
    assertThat(s.number("messages", "published_warmup")).isZero();
    assertThat(s.number("messages", "arrived_unique_measured")).isEqualTo(300);
    assertThat(s.number("messages", "acknowledged")).isEqualTo(300);
    assertThat(s.number("messages", "duplicates")).isZero();
    assertThat(s.number("messages", "lost")).isZero();
    assertThat(s.number("latency_end_to_end", "count")).isEqualTo(300);
    assertThat(s.number("latency_puback", "count")).isEqualTo(300);
    assertThat(s.number("messages", "unexpected_packets")).isZero();
    assertThat(s.number("bridge_counters", "uplink_produced")).isEqualTo(300);
    assertThat(s.get("error")).isNull();
  }

  @Test
  void uplinkQos2CountsEveryMessageAndItsPubcompAtARate() throws Exception {
    Summary s = run("uplink", "--connections", "3", "--qos", "2", "--messages", "250", "--rate", "500",
        "--inflight", "5", "--threads", "2", "--kafka-topic", UPLINK);

    assertThat(s.number("messages", "published_measured")).isEqualTo(250);
    assertThat(s.number("messages", "arrived_unique_measured")).isEqualTo(250);
    assertThat(s.number("messages", "acknowledged")).isEqualTo(250);
    assertThat(s.number("messages", "duplicates")).isZero();
    assertThat(s.number("messages", "lost")).isZero();
    assertThat(s.number("messages", "unexpected_packets")).isZero();
    assertThat(s.number("latency_pubcomp", "count")).isEqualTo(250);
    // The two event loops share the rate: a slow machine sends slower, never faster than asked.
    assertThat(s.number("throughput", "offered_per_s")).isLessThan(550);
    assertThat(s.get("error")).isNull();
  }

  @Test
  void uplinkQos0VerifiedAfterTheRunReportsNoLoss() throws Exception {
    Summary s = run("uplink", "--connections", "3", "--qos", "0", "--messages", "200", "--kafka-topic", UPLINK,
        "--verify", "after", "--source-addresses", "127.0.0.1-127.0.0.2", "--connections-per-address", "2");

    assertThat(s.number("messages", "published_measured")).isEqualTo(200);
    assertThat(s.number("messages", "arrived_unique_measured")).isEqualTo(200);
    assertThat(s.number("messages", "lost")).isZero();
    assertThat(s.number("latency_end_to_end", "count")).isEqualTo(200);
  }

  @Test
  void downlinkDevicesReceiveEveryRecordAndReceiptsSayDeliveredAndAcked() throws Exception {
    Summary s = run("downlink", "--devices", "5", "--rate", "500", "--messages", "200", "--qos", "1",
        "--downlink-topic", TestBridge.downlinkTopic(DEPLOYMENT), "--receipts-topic",
        TestBridge.receiptsTopic(DEPLOYMENT));

    assertThat(s.number("subscriptions", "subacked")).isEqualTo(5);
    assertThat(s.number("messages", "produced_measured")).isEqualTo(200);
    assertThat(s.number("messages", "received_unique_measured")).isEqualTo(200);
    assertThat(s.number("messages", "duplicates")).isZero();
    assertThat(s.number("messages", "lost")).isZero();
    assertThat(s.number("receipts_measured", "delivered")).isEqualTo(200);
    assertThat(s.number("receipts_measured", "acked")).isEqualTo(200);
    assertThat(s.number("receipts_measured", "offline")).isZero();
    assertThat(s.number("latency_kafka_to_device", "count")).isEqualTo(200);
    assertThat(s.number("messages", "unexpected_packets")).isZero();
  }

  @Test
  void downlinkWithTheKafkaReferenceMeasuresKafkasOwnLatencyForTheSameRecordsFirst() throws Exception {
    Summary s = run("downlink", "--devices", "3", "--rate", "200", "--messages", "60", "--qos", "1",
        "--kafka-reference", "--downlink-topic", TestBridge.downlinkTopic(DEPLOYMENT),
        "--receipts-topic", TestBridge.receiptsTopic(DEPLOYMENT));

    assertThat(s.number("latency_kafka_reference", "produced")).as("the same --messages").isEqualTo(60);
    assertThat(s.number("latency_kafka_reference", "received"))
        .isEqualTo(s.number("latency_kafka_reference", "produced"));
    assertThat(s.number("latency_kafka_reference", "count")).isEqualTo(s.number("latency_kafka_reference", "received"));
    assertThat(s.number("messages", "received_unique_measured")).isEqualTo(60);
    assertThat(s.number("latency_kafka_to_device", "count")).isEqualTo(60);
  }

  @Test
  void connectionsModeHoldsEveryConnectionAndReadsTheBridgeHeap() throws Exception {
    Summary s = run("connections", "--connections", "20", "--connect-rate", "200", "--hold", "1s");

    assertThat(s.number("connect", "connected")).isEqualTo(20);
    assertThat(s.number("connect", "failed")).isZero();
    assertThat(s.number("held", "connections_held")).isEqualTo(20);
    assertThat(s.number("held", "bridge_connections_gauge")).isEqualTo(20);
    assertThat(s.number("memory", "heap_after_bytes")).isPositive();
  }

  @Test
  void connectionsModeClosesItsWarmUpConnectionsBeforeTheMeasuredOnes() throws Exception {
    Summary s = run("connections", "--connections", "10", "--warmup-connections", "15", "--connect-rate", "200",
        "--hold", "1s");

    assertThat(s.number("warmup", "connected")).isEqualTo(15);
    assertThat(s.number("warmup", "bridge_connections_after_close"))
        .isEqualTo(s.number("warmup", "bridge_connections_before"));
    assertThat(s.number("connect", "connected")).isEqualTo(10);
    assertThat(s.number("held", "bridge_connections_gauge")).isEqualTo(10);
    assertThat(s.number("bridge_counters", "connections_opened")).isEqualTo(10);
  }

  @Test
  void routerModeWritesPresenceRecordsTheRouterThenHolds() throws Exception {
    Summary s = run("router", "--clients", "500", "--subscriptions-topic",
        DEPLOYMENT.get("MQTT_BRIDGE_KAFKA_TOPICS_SUBSCRIPTIONS"), "--wait", "60s");

    assertThat(s.number("write", "records_written")).isEqualTo(500);
    assertThat(s.number("write", "router_clients_added")).isEqualTo(500);
    assertThat(s.get("error")).isNull();
  }

  @Test
  void referenceProducerAndReportTableReadTheResults() throws Exception {
    Summary ref = run("kafka-producer", "--records", "1000", "--topic", TestKafka.uniqueTopic("bench-ref"),
        "--partitions", "2", "--label", "ref-start");
    assertThat(ref.number("throughput", "records_acked")).isEqualTo(1000);
    assertThat(ref.number("throughput", "records_failed")).isZero();

    Files.writeString(results.resolve("ref-start.json"), ref.toJson());
    String table = ReportTable.targets(ReportTable.load(results));
    assertThat(table).contains("| uplink QoS 1 throughput | >= 100,000 msg/s | not run |");
    assertThat(ReportTable.runs(ReportTable.load(results))).contains("| ref-start | ");
  }

  @Test
  void referenceRecordsSentFromAnEventLoopThroughVertxKafkaClientAndTheBridgeSenderAreAllAcked() throws Exception {
    String topic = TestKafka.uniqueTopic("bench-ref-loop");
    for (String client : List.of("vertx", "bridge")) {
      Summary s = run("kafka-producer", "--client", client, "--records", "3000", "--keys", "10", "--window", "500",
          "--topic", topic, "--partitions", "2");

      assertThat(s.number("throughput", "records_acked")).as(client).isEqualTo(3000);
      assertThat(s.number("throughput", "records_failed")).as(client).isZero();
      assertThat(s.number("latency_send_to_ack", "count")).as(client).isEqualTo(3000);
    }
  }

  private static Summary run(String mode, String... options) throws Exception {
    List<String> argv = new ArrayList<>(List.of(options));
    if (Set.of("uplink", "downlink", "connections").contains(mode)) {
      argv.addAll(List.of("--port", Integer.toString(bridge.mqttPort())));
    }
    argv.addAll(List.of("--metrics-url", "http://127.0.0.1:" + bridge.httpPort(),
        "--bootstrap", TestKafka.bootstrapServers(), "--progress", "1s", "--event-loops", "1"));
    Summary summary = BenchMain.runMode(mode, new Args(argv, Set.of("json", "rebuild")));
    System.out.println(summary.toText());
    return summary;
  }
}
