package io.mqttkafka.bridge.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.process.ProcessCluster;
import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.mqttkafka.bridge.testkit.KafkaTopics;
import io.mqttkafka.bridge.testkit.ReliabilityReport;
import io.mqttkafka.bridge.testkit.TestKafka;
import io.mqttkafka.bridge.testsupport.DownlinkLoad;
import io.mqttkafka.bridge.testsupport.TestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Devices with persistent sessions receive QoS 1 downlink at a steady rate on a cluster of two bridge
 * processes; one of them is killed with SIGKILL. The devices reconnect to the survivor, resume their
 * sessions (no SUBSCRIBE after the first connection) and get what came meanwhile. Record by record:
 * every downlink record written is received by its device at least once, or has a final receipt that
 * says why not (lost must be 0), and each device receives its records, first receptions counted, in
 * the order they were written. Two faults: the instance killed holds the devices' connections (their
 * router survives), or it is the router of the devices' partitions (and holds half of them).
 */
class SessionCrashFaultIT {

  private static final int DEVICES = 12;
  private static final double RATE = 40;
  private static final String YAML = """
      mappings:
        downlink: { filters: ["DL/#"], ackTimeout: 5s }
      sessions:
        maxExpiry: 600s
      """;
  /** Receipts that explain why a record did not reach its device. */
  private static final Set<Status> EXPLAINED = EnumSet.of(Status.EXPIRED, Status.QUEUE_FULL, Status.SUPERSEDED,
      Status.OFFLINE, Status.NOT_SUBSCRIBED, Status.REJECTED);

  @Test
  void theInstanceHoldingPersistentDevicesIsKilledTheyResumeOnTheSurvivorAndLoseNothing() throws Exception {
    run(false);
  }

  @Test
  void theRouterOfPersistentDevicesIsKilledTheirSessionsMoveWithItsPartitionsAndLoseNothing() throws Exception {
    run(true);
  }

  /**
   * @param routerKilled false: the devices are routed by the survivor and all connected to the instance
   *                     killed; true: routed by the instance killed, half of them connected to it
   */
  private static void run(boolean routerKilled) throws Exception {
    int scale = ReliabilityReport.scale();
    try (ProcessCluster cluster = new ProcessCluster("sessions", YAML, TestKafka.bootstrapServers(), 2)) {
      cluster.startAll();
      Set<Integer> routedBy = cluster.routerPartitions(cluster.get(routerKilled ? 0 : 1));
      assertThat(routedBy).as("partitions of the devices' router").isNotEmpty();
      List<String> ids = new ArrayList<>();
      for (int n = 0; ids.size() < DEVICES; n++) {
        String id = "car-session-" + n;
        if (routedBy.contains(TestCluster.partitionOf(id))) {
          ids.add(id);
        }
      }
      long before = 3_000L * scale;
      long after = 10_000L * scale;
      int max = (int) (RATE * (before + after) / 1000);
      try (SessionDevices fleet = new SessionDevices(new CopyOnWriteArrayList<>(cluster.mqttPorts()), 300_000);
           DownlinkLoad load = new DownlinkLoad(TestKafka.bootstrapServers(), cluster.downlinkTopic(), ids, RATE,
               max, Duration.ofMinutes(3))) {
        for (int i = 0; i < DEVICES; i++) {
          fleet.add(ids.get(i), routerKilled && i % 2 == 1 ? 1 : 0);
        }
        fleet.start();
        load.start();
        Thread.sleep(before);
        long killedAt = System.currentTimeMillis();
        cluster.kill(0);
        Thread.sleep(after);
        load.stop();

        AtomicReference<Accounting> accounting = new AtomicReference<>();
        AtomicReference<Map<String, Integer>> queuedWhy = new AtomicReference<>();
        AtomicLong longestWait = new AtomicLong();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).until(() -> {
          var receipts = KafkaTopics.readAll(TestKafka.bootstrapServers(), cluster.receiptsTopic(),
              Duration.ofSeconds(30));
          Map<Integer, List<Receipt>> byRecord = load.receiptsByRecord(receipts);
          accounting.set(Accounting.of(load, byRecord, fleet.devices()));
          Map<String, Integer> why = new HashMap<>();
          byRecord.values().stream().flatMap(List::stream).filter(r -> r.status() == Status.QUEUED)
              .forEach(r -> why.merge(String.valueOf(r.detail()).replaceAll(" address: .*", ""), 1,
                  Integer::sum));
          queuedWhy.set(why);
          longestWait.set(byRecord.entrySet().stream().mapToLong(e -> e.getValue().stream()
              .filter(r -> r.status() == Status.DELIVERED).mapToLong(Receipt::timestamp).min()
              .orElse(0) - load.sent().get(e.getKey()).sentAt()).max().orElse(-1));
          return accounting.get().lost() == 0 && accounting.get().withoutReceipt() == 0;
        });
        Accounting a = accounting.get();
        List<Long> resumed = new ArrayList<>();
        for (SessionDevices.Device d : fleet.devices()) {
          if (d.reconnectedAt() > 0) {
            resumed.add(d.reconnectedAt() - killedAt);
          }
        }
        resumed.sort(null);
        long movedDevices = fleet.devices().stream().filter(d -> d.connections() > 1).count();
        long withSession = fleet.devices().stream().filter(d -> d.connections() > 1)
            .filter(d -> d.sessionsPresent() == d.connections() - 1).count();
        ReliabilityReport.row("SIGKILL of the instance " + (routerKilled ? "routing the persistent devices' partitions "
                + routedBy + " (and holding half of their connections)" : "holding the connections of the persistent "
                + "devices (their router survives)") + ", downlink QoS 1 at " + (int) RATE + "/s to " + DEVICES
                + " devices", a.sent() + " downlink records", a.received() + " received by their device",
            a.withReceipt() + " with a receipt", a.lost(), a.duplicates() + " received twice",
            (resumed.isEmpty() ? -1 : resumed.get(resumed.size() - 1))
                + " ms (kill to the last device's session resumed)",
            "statuses " + a.byStatus() + "; " + a.explained() + " not received with a receipt saying why; "
                + a.orderViolations() + " order violations");
        ReliabilityReport.note("devices that reconnected: " + movedDevices + ", with session present every time: "
            + withSession + "; resumed (ms after the kill): " + resumed + "; queued because " + queuedWhy.get()
            + "; longest from written to delivered: " + longestWait.get() + " ms");

        assertThat(load.failed()).isZero();
        assertThat(a.lost()).as("records neither received nor explained: " + a).isZero();
        assertThat(a.withoutReceipt()).as("records without any receipt: " + a).isZero();
        assertThat(a.orderViolations()).as("first receptions out of order: " + a).isZero();
        assertThat(movedDevices).as("devices that lost their connection and came back")
            .isEqualTo(routerKilled ? DEVICES / 2 : DEVICES);
        assertThat(withSession).as("reconnects with session present").isEqualTo(movedDevices);
      }
    }
  }

  /**
   * What became of the downlink records of one run.
   *
   * @param explained       not received, with a receipt saying why ({@link #EXPLAINED})
   * @param lost            not received and no such receipt: must be 0
   * @param orderViolations first receptions of a device out of the order its records were written
   */
  record Accounting(int sent, int received, int duplicates, int explained, int lost, int withReceipt,
                    int withoutReceipt, long orderViolations, Map<Status, Integer> byStatus, String violations) {

    static Accounting of(DownlinkLoad load, Map<Integer, List<Receipt>> receipts, List<SessionDevices.Device> devices) {
      Map<String, SessionDevices.Device> byId = new HashMap<>();
      devices.forEach(d -> byId.put(d.clientId, d));
      Map<Status, Integer> byStatus = new EnumMap<>(Status.class);
      int received = 0;
      int duplicates = 0;
      int explained = 0;
      int lost = 0;
      int withReceipt = 0;
      for (Map.Entry<Integer, DownlinkLoad.Sent> entry : load.sent().entrySet()) {
        String payload = "dl-" + entry.getKey();
        var count = byId.get(entry.getValue().clientId()).received().get(payload);
        List<Receipt> list = receipts.getOrDefault(entry.getKey(), List.of());
        Set<Status> statuses = EnumSet.noneOf(Status.class);
        list.forEach(r -> statuses.add(r.status()));
        statuses.forEach(s -> byStatus.merge(s, 1, Integer::sum));
        withReceipt += list.isEmpty() ? 0 : 1;
        if (count != null) {
          received++;
          duplicates += count.get() > 1 ? 1 : 0;
        } else if (statuses.stream().anyMatch(EXPLAINED::contains)) {
          explained++;
        } else {
          lost++;
        }
      }
      long violations = 0;
      StringBuilder detail = new StringBuilder();
      for (SessionDevices.Device d : devices) {
        int last = -1;
        for (String payload : d.firstReceptions()) {
          int n = Integer.parseInt(payload.substring("dl-".length()));
          if (n < last) {
            violations++;
            detail.append("\n").append(d.clientId).append(": dl-").append(n).append(" after dl-").append(last)
                .append(", receipts of dl-").append(n).append(' ').append(story(receipts.get(n)))
                .append(", of dl-").append(last).append(' ').append(story(receipts.get(last)));
          }
          last = Math.max(last, n);
        }
      }
      int sent = load.sent().size();
      return new Accounting(sent, received, duplicates, explained, lost, withReceipt, sent - withReceipt, violations,
          byStatus, detail.toString());
    }

    /** A record's receipts as status (detail) at instance, in the order written. */
    private static String story(List<Receipt> receipts) {
      List<String> story = new ArrayList<>();
      for (Receipt r : receipts == null ? List.<Receipt>of() : receipts) {
        story.add(r.status().metricTag() + (r.detail() == null ? "" : " (" + r.detail() + ")") + " @" + r.instanceId()
            + " " + r.timestamp() % 100_000);
      }
      return story.toString();
    }
  }
}
