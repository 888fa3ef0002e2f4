package io.mqttkafka.bridge.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.mqttkafka.bridge.testsupport.DownlinkLoad;
import io.mqttkafka.bridge.testkit.LoadDevices;
import io.mqttkafka.bridge.testkit.KafkaTopics;
import io.mqttkafka.bridge.testkit.LoadDevice;
import io.mqttkafka.bridge.process.ProcessCluster;
import io.mqttkafka.bridge.testkit.ReliabilityReport;
import io.mqttkafka.bridge.testsupport.TestCluster;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The instance that routes part of the downlink partitions is killed with SIGKILL while a back end
 * keeps writing downlink records to devices. Its partitions move to the survivor as soon as the
 * cluster sees it gone (the survivor removes it from the router group), which rebuilds their state
 * from mqtt.subscriptions and resumes routing. Every downlink record ends with at least one receipt: none vanishes. The moved partitions
 * are routed again from the killed router's last commit, so some records reach their device twice;
 * the survivor's own partitions, which it keeps through that rebalance, deliver nothing twice (#6).
 */
class RouterCrashFaultIT {

  private static final int DEVICES = 12;
  private static final double RATE = 60;

  @Test
  void routerKilledItsPartitionsMoveAndEveryDownlinkRecordGetsAReceipt() throws Exception {
    int scale = ReliabilityReport.scale();
    String yaml = """
        mappings:
          downlink: { filters: ["DL/#"], ackTimeout: 5s }
        """;
    try (ProcessCluster cluster = new ProcessCluster("router", yaml, TestKafka.bootstrapServers(), 2);
         LoadDevices fleet = new LoadDevices(cluster.mqttPorts(), Duration.ofMinutes(5))) {
      cluster.startAll();
      // Devices in every router partition; three of them connected to the instance that is killed.
      List<String> ids = new ArrayList<>();
      for (int n = 0; ids.size() < DEVICES; n++) {
        String id = "car-router-" + n;
        if (TestCluster.partitionOf(id) == ids.size() % TestCluster.PARTITIONS) {
          ids.add(id);
        }
      }
      for (int i = 0; i < DEVICES; i++) {
        fleet.add(ids.get(i), LoadDevice.Options.subscriber(), i < 3 ? 0 : 1);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> fleet.devices().stream().allMatch(d -> d.connections() > 0));

      long before = 5_000L * scale;
      long after = 15_000L * scale;
      int max = (int) (RATE * (before + after) / 1000);
      try (DownlinkLoad load = new DownlinkLoad(TestKafka.bootstrapServers(), cluster.downlinkTopic(), ids, RATE,
          max, Duration.ofMinutes(3))) {
        load.start();
        Thread.sleep(before);
        double ownedByKilled = cluster.get(0).metric("mqtt_bridge_router_partitions", "");
        Set<Integer> ownedBySurvivor = cluster.routerPartitions(cluster.get(1));
        long killedAt = System.currentTimeMillis();
        cluster.kill(0);
        Thread.sleep(after);
        load.stop();

        AtomicReference<Map<Integer, List<Receipt>>> receipts = new AtomicReference<>();
        AtomicReference<DownlinkLoad.Tally> tally = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> {
          var records = KafkaTopics.readAll(TestKafka.bootstrapServers(), cluster.receiptsTopic(),
              Duration.ofSeconds(30));
          receipts.set(load.receiptsByRecord(records));
          tally.set(load.verify(records, fleet.devices()));
          return tally.get().missing() == 0 && tally.get().unfinished() == 0;
        });
        Map<String, Integer> deliveries = new HashMap<>();
        for (LoadDevice device : fleet.devices()) {
          device.received().forEach((payload, count) -> deliveries.merge(payload, count.get(), Integer::sum));
        }
        Map<Integer, Integer> twiceByPartition = new TreeMap<>();
        load.sent().forEach((n, sent) -> {
          if (deliveries.getOrDefault("dl-" + n, 0) > 1) {
            twiceByPartition.merge(sent.partition(), 1, Integer::sum);
          }
        });
        fleet.stop();

        // Per partition: when the first record written after the kill was delivered.
        Map<Integer, Long> resumedAt = new TreeMap<>();
        Map<Integer, Long> writtenAfter = new HashMap<>();
        load.sent().forEach((n, sent) -> {
          if (sent.sentAt() > killedAt) {
            writtenAfter.merge(sent.partition(), 1L, Long::sum);
            for (Receipt r : receipts.get().getOrDefault(n, List.of())) {
              if (r.status() == Status.DELIVERED) {
                resumedAt.merge(sent.partition(), r.timestamp(), Math::min);
              }
            }
          }
        });
        long recovery = resumedAt.values().stream().mapToLong(t -> t - killedAt).max().orElse(-1);
        DownlinkLoad.Tally t = tally.get();
        ReliabilityReport.row("SIGKILL of the router instance (owned " + (int) ownedByKilled + " of "
                + TestCluster.PARTITIONS + " partitions), downlink QoS 1 at " + (int) RATE + "/s to " + DEVICES
                + " devices", t.records() + " downlink records", t.byStatus().getOrDefault(Status.ACKED, 0) + " acked",
            t.withReceipt() + " with a receipt", t.missing(), t.duplicateDeliveries() + " delivered twice",
            recovery + " ms (kill to delivery resumed in every partition)",
            "statuses " + t.byStatus() + "; " + t.receivedByDevices() + " received by devices");
        ReliabilityReport.note(t.toString());
        ReliabilityReport.note("resumed per partition (ms after the kill): " + resumedAt.entrySet().stream()
            .map(e -> e.getKey() + "=" + (e.getValue() - killedAt)).toList());
        ReliabilityReport.note("delivered twice per partition: " + twiceByPartition + "; the survivor routed "
            + ownedBySurvivor + " before the kill");

        assertThat(ownedByKilled).as("the killed instance routed partitions").isPositive();
        assertThat(load.failed()).isZero();
        assertThat(t.missing()).as("downlink records without any receipt: " + t).isZero();
        assertThat(t.unfinished()).as("delivered QoS 1 records without acked/timeout: " + t).isZero();
        assertThat(resumedAt.keySet()).as("partitions where delivery resumed after the kill")
            .containsExactlyInAnyOrderElementsOf(writtenAfter.keySet());
        assertThat(writtenAfter).hasSize(TestCluster.PARTITIONS);
        assertThat(ownedBySurvivor).as("partitions the survivor routed before the kill").isNotEmpty();
        assertThat(twiceByPartition.keySet()).as("partitions with records delivered twice; the survivor kept "
            + ownedBySurvivor + " through the rebalance and routes them on from where it was")
            .doesNotContainAnyElementsOf(ownedBySurvivor);
        // The partitions moved because the cluster saw the member go and the survivor removed it from the
        // router group, not because the group waited for its session to time out.
        assertThat(Files.readString(cluster.get(1).log())).as("the survivor's log")
            .contains("left the cluster and is removed from group");
      }
    }
  }
}
