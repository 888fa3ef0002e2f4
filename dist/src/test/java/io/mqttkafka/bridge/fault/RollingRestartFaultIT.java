package io.mqttkafka.bridge.fault;

import io.mqttkafka.bridge.records.Receipt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.testsupport.DownlinkLoad;
import io.mqttkafka.bridge.testkit.LoadDevices;
import io.mqttkafka.bridge.testkit.KafkaTopics;
import io.mqttkafka.bridge.testkit.LoadDevice;
import io.mqttkafka.bridge.process.ProcessCluster;
import io.mqttkafka.bridge.testkit.ReliabilityReport;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A rolling restart of a three-instance cluster (SIGTERM, drain, start again, wait until ready, next)
 * under uplink (QoS 1 and 2) and downlink (QoS 1) load. No acknowledged uplink message is lost, and
 * every downlink record has a receipt.
 */
class RollingRestartFaultIT {

  private static final int MEMBERS = 3;
  private static final int DEVICES_PER_QOS = 6;
  private static final double UPLINK_RATE = 40;
  private static final double DOWNLINK_RATE = 40;

  @Test
  void rollingRestartUnderLoadLosesNoAcknowledgedUplinkAndLeavesNoDownlinkWithoutReceipt() throws Exception {
    String topic = TestKafka.uniqueTopic("rolling-uplink");
    TestKafka.createTopic(topic, 3);
    String yaml = """
        mappings:
          uplink:
            - { match: "^UL/(.+)$", topic: "%s" }
          downlink: { filters: ["DL/#"], ackTimeout: 5s }
        shutdown: { drainPeriod: 2s }
        """.formatted(topic);
    int rounds = ReliabilityReport.scale();
    int maxMessages = (int) UPLINK_RATE * 300;
    try (ProcessCluster cluster = new ProcessCluster("rolling", yaml, TestKafka.bootstrapServers(), MEMBERS)
        .heap("192m"); LoadDevices fleet = new LoadDevices(cluster.mqttPorts(), Duration.ofMinutes(8))) {
      cluster.startAll();
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < DEVICES_PER_QOS * 2; i++) {
        int qos = i < DEVICES_PER_QOS ? 1 : 2;
        String id = "car-rolling-q" + qos + "-" + i;
        ids.add(id);
        fleet.add(id, LoadDevice.Options.publisher(qos, 10, maxMessages).rate(UPLINK_RATE).subscribing(), i);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> fleet.devices().stream().allMatch(d -> d.connections() > 0));

      try (DownlinkLoad downlink = new DownlinkLoad(TestKafka.bootstrapServers(), cluster.downlinkTopic(), ids,
          DOWNLINK_RATE, 100_000, Duration.ofMinutes(6))) {
        downlink.start();
        Thread.sleep(3_000);
        long startedAt = System.currentTimeMillis();
        List<Long> steps = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
          for (int i = 0; i < MEMBERS; i++) {
            long stepStart = System.currentTimeMillis();
            assertThat(cluster.stop(i)).as("exit status of member " + i + " after SIGTERM").isZero();
            cluster.start(i);
            cluster.awaitRouted();
            steps.add(System.currentTimeMillis() - stepStart);
          }
        }
        long restartTook = System.currentTimeMillis() - startedAt;
        Thread.sleep(3_000);
        downlink.stop();
        assertThat(fleet.settle(Duration.ofSeconds(60))).as("every uplink message acknowledged in the end").isTrue();

        AtomicReference<DownlinkLoad.Tally> receipts = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> {
          receipts.set(downlink.verify(KafkaTopics.readAll(TestKafka.bootstrapServers(), cluster.receiptsTopic(),
              Duration.ofSeconds(30)), fleet.devices()));
          return receipts.get().missing() == 0 && receipts.get().unfinished() == 0;
        });
        fleet.stop();
        LoadDevices.Tally[] tally = fleet.verify(TestKafka.bootstrapServers(), topic, Duration.ofSeconds(60));
        long maxGap = 0;
        int moves = 0;
        for (LoadDevice d : fleet.devices()) {
          for (long[] outage : d.outages()) {
            moves++;
            maxGap = Math.max(maxGap, outage[1] == 0 ? Long.MAX_VALUE : outage[1] - outage[0]);
          }
        }
        String fault = "Rolling restart of " + MEMBERS + " instances (SIGTERM, drain 2 s, restart, ready; "
            + rounds + " round(s))";
        for (int qos = 1; qos <= 2; qos++) {
          LoadDevices.Tally t = tally[qos];
          ReliabilityReport.row(fault + ", uplink QoS " + qos + " (" + t.devices() + " devices x " + (int) UPLINK_RATE
                  + "/s)", Long.toString(t.sent()), Long.toString(t.acknowledged()), Long.toString(t.found()),
              t.lost(), t.duplicated() + " (of resent messages: " + t.resent() + ")",
              maxGap + " ms longest device reconnect",
              moves + " reconnects; restart steps " + steps + " ms, whole restart " + restartTook + " ms");
          ReliabilityReport.note(t.toString());
        }
        DownlinkLoad.Tally r = receipts.get();
        ReliabilityReport.row(fault + ", downlink QoS 1 (" + (int) DOWNLINK_RATE + "/s)", r.records() + " records",
            r.byStatus().getOrDefault(io.mqttkafka.bridge.records.Receipt.Status.ACKED, 0) + " acked",
            r.withReceipt() + " with a receipt", r.missing(), r.duplicateDeliveries() + " delivered twice", "-",
            "statuses " + r.byStatus() + "; " + r.receivedByDevices() + " received by devices");
        ReliabilityReport.note(r.toString());

        for (LoadDevices.Tally t : tally) {
          assertThat(t.lost()).as("acknowledged but not in Kafka: " + t).isZero();
          assertThat(t.duplicatesNeverResent()).as("duplicates of messages sent once: " + t).isZero();
          assertThat(t.orderViolations()).as("order per client: " + t).isZero();
          assertThat(t.phantoms() + t.wrongRecords()).as(t.toString()).isZero();
        }
        assertThat(tally[3].acknowledged()).isEqualTo(tally[3].sent());
        assertThat(moves).as("devices moved between instances").isPositive();
        assertThat(downlink.failed()).isZero();
        assertThat(r.missing()).as("downlink records without a receipt: " + r).isZero();
        assertThat(r.unfinished()).as("delivered without acked/timeout: " + r).isZero();
      }
    }
  }
}
