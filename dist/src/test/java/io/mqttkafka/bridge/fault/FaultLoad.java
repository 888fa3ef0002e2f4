package io.mqttkafka.bridge.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.process.ProcessCluster;
import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.testkit.KafkaTopics;
import io.mqttkafka.bridge.testkit.LoadDevice;
import io.mqttkafka.bridge.testkit.LoadDevices;
import io.mqttkafka.bridge.testkit.ReliabilityReport;
import io.mqttkafka.bridge.testsupport.DownlinkLoad;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.apache.kafka.common.utils.Utils;

/**
 * The load of one fault run and its accounting, shared by the fault tests of the replicated Kafka and
 * of the network: uplink devices at QoS 0, 1 or 2 ({@link LoadDevices}), downlink subscribers and a
 * back end writing to them ({@link DownlinkLoad}); then, record by record, what was acknowledged
 * against what is in Kafka, and every downlink record against its receipts. Everything it starts stops
 * by itself ({@code maxRun}).
 *
 * <p>To reuse it for another fault: start a {@link ProcessCluster}, add devices, let the load run,
 * cause the fault, measure with {@link #ackRecovery}, then {@link #finish} and {@link #report}, and
 * assert with {@link #assertNothingLost}.
 */
final class FaultLoad implements AutoCloseable {

  /** What the devices and Kafka say once the load ended. */
  record Outcome(LoadDevices.Tally[] uplink, DownlinkLoad.Tally downlink, long misdelivered,
                 long downlinkOrderViolations) {
  }

  private final ProcessCluster cluster;
  private final String bootstrap;
  private final String uplinkTopic;
  private final LoadDevices fleet;
  private final List<String> subscribers = new ArrayList<>();
  private DownlinkLoad downlink;
  private volatile Map<Integer, List<Receipt>> receipts = Map.of();

  FaultLoad(ProcessCluster cluster, String bootstrap, String uplinkTopic, Duration maxRun) {
    this.cluster = cluster;
    this.bootstrap = bootstrap;
    this.uplinkTopic = uplinkTopic;
    this.fleet = new LoadDevices(cluster.mqttPorts(), cluster::hostOf, maxRun);
  }

  /** The uplink mapping every fault test uses: {@code UL/<id>} to {@code topic}, keyed by client id. */
  static String uplinkYaml(String topic) {
    return """
        mappings:
          uplink:
            - { match: "^UL/(.+)$", topic: "%s" }
          downlink: { filters: ["DL/#"], ackTimeout: 5s }
        """.formatted(topic);
  }

  /** {@code count} client ids starting with {@code prefix} whose records go to {@code partition} of {@code partitions}. */
  static List<String> idsIn(String prefix, int partition, int partitions, int count) {
    List<String> ids = new ArrayList<>();
    for (int n = 0; ids.size() < count; n++) {
      String id = prefix + n;
      if (partitionOf(id, partitions) == partition) {
        ids.add(id);
      }
    }
    return ids;
  }

  /** The partition Kafka's default partitioner gives a client id's records in a topic of {@code partitions}. */
  static int partitionOf(String clientId, int partitions) {
    return Utils.toPositive(Utils.murmur2(clientId.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  LoadDevices fleet() {
    return fleet;
  }

  /** An uplink device at {@code qos}, {@code rate} messages per second for {@code seconds} at most. */
  LoadDevice uplink(String id, int qos, double rate, int seconds, int home) {
    return fleet.add(id, LoadDevice.Options.publisher(qos, qos == 0 ? 100 : 10, (int) (rate * seconds)).rate(rate),
        home);
  }

  /** A device that only subscribes to DL/# (QoS 1). */
  LoadDevice subscriber(String id, int home) {
    subscribers.add(id);
    return fleet.add(id, LoadDevice.Options.subscriber(), home);
  }

  /** A client the back end also writes downlink records to, connected by the test itself (not a load device). */
  void downlinkTarget(String id) {
    subscribers.add(id);
  }

  /** Waits until every device is connected (and subscribed), then starts the back end's downlink. */
  void startDownlink(double rate, int seconds) {
    await().atMost(Duration.ofSeconds(60)).until(() -> fleet.devices().stream().allMatch(d -> d.connections() > 0));
    if (!subscribers.isEmpty()) {
      downlink = new DownlinkLoad(bootstrap, cluster.downlinkTopic(), subscribers, rate, (int) (rate * seconds),
          Duration.ofSeconds(seconds + 60L)).start();
    }
  }

  /**
   * Milliseconds from {@code faultAt} until acknowledgements flowed again for the devices that match:
   * for each, the first acknowledgement of a message first sent after the fault; the largest of them.
   * -1 when a device has none.
   */
  long ackRecovery(Predicate<LoadDevice> which, long faultAt) {
    long worst = 0;
    for (LoadDevice d : fleet.devices(which.and(d -> d.qos() > 0))) {
      long first = Long.MAX_VALUE;
      for (int seq = 0; seq < d.sent(); seq++) {
        if (d.firstSentAt(seq) > faultAt && d.ackedAt(seq) > 0) {
          first = Math.min(first, d.ackedAt(seq));
        }
      }
      if (first == Long.MAX_VALUE) {
        return -1;
      }
      worst = Math.max(worst, first - faultAt);
    }
    return worst;
  }

  /**
   * The longest time, over all QoS 1/2 devices, between two consecutive acknowledgements of one device
   * where that interval overlaps [from, to]: how long a device waited at worst.
   */
  long longestAckGap(long from, long to) {
    long worst = 0;
    for (LoadDevice d : fleet.devices(d -> d.qos() > 0)) {
      long[] acks = new long[d.sent()];
      int n = 0;
      for (int seq = 0; seq < d.sent(); seq++) {
        if (d.ackedAt(seq) > 0) {
          acks[n++] = d.ackedAt(seq);
        }
      }
      Arrays.sort(acks, 0, n);
      for (int i = 1; i < n; i++) {
        if (acks[i] >= from && acks[i - 1] <= to) {
          worst = Math.max(worst, acks[i] - acks[i - 1]);
        }
      }
    }
    return worst;
  }

  /** Waits until every uplink device has acknowledgements again after {@code faultAt}. */
  void awaitAcksAfter(long faultAt, Duration timeout) {
    await().atMost(timeout).pollInterval(Duration.ofMillis(200))
        .until(() -> ackRecovery(d -> true, faultAt) >= 0);
  }

  /**
   * Ends the load: no new messages, every QoS 1/2 message acknowledged (asserted), the downlink
   * stopped and every record's receipts read (waiting until none is missing, or the timeout); then
   * the record-by-record comparison.
   */
  Outcome finish(Duration settle) {
    assertThat(fleet.settle(settle)).as("every QoS 1/2 message acknowledged in the end").isTrue();
    DownlinkLoad.Tally downlinkTally = null;
    long misdelivered = 0;
    long disorder = 0;
    if (downlink != null) {
      downlink.stop();
      AtomicReference<DownlinkLoad.Tally> tally = new AtomicReference<>();
      try {
        await().atMost(settle).pollInterval(Duration.ofSeconds(1)).until(() -> {
          var records = KafkaTopics.readAll(bootstrap, cluster.receiptsTopic(), Duration.ofSeconds(30));
          receipts = downlink.receiptsByRecord(records);
          tally.set(downlink.verify(records, fleet.devices()));
          return tally.get().missing() == 0 && tally.get().unfinished() == 0;
        });
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        // reported and asserted below, with the figures
      }
      downlinkTally = tally.get();
      misdelivered = misdelivered();
      disorder = downlinkOrderViolations();
    }
    fleet.stop();
    if (downlink != null) {
      downlink.close();
    }
    return new Outcome(fleet.verify(bootstrap, uplinkTopic, Duration.ofSeconds(60)), downlinkTally, misdelivered,
        disorder);
  }

  /** The back end's records by number ({@code dl-<n>}), once {@link #finish} ran. */
  Map<Integer, DownlinkLoad.Sent> downlinkSent() {
    return downlink == null ? Map.of() : downlink.sent();
  }

  /** The receipts of each downlink record by its number, as {@link #finish} last read them. */
  Map<Integer, List<Receipt>> receipts() {
    return receipts;
  }

  /**
   * Downlink messages that reached a device before one the back end had written to it earlier: per
   * device, the first arrivals of its messages must follow the order they were written in (one
   * producer, one partition per client). Messages that never arrived break no order.
   */
  private long downlinkOrderViolations() {
    return downlinkOrderViolations(Long.MIN_VALUE);
  }

  /**
   * As {@link #downlinkOrderViolations()}, counting only the late messages the back end wrote at or
   * after {@code writtenFrom} (epoch ms): whether order holds again once a fault is over.
   */
  long downlinkOrderViolations(long writtenFrom) {
    Map<Integer, DownlinkLoad.Sent> sent = downlinkSent();
    long violations = 0;
    for (LoadDevice d : fleet.devices(d -> subscribers.contains(d.clientId()))) {
      Set<String> seen = new HashSet<>();
      int last = -1;
      for (String payload : d.arrivals()) {
        if (payload.startsWith("dl-") && seen.add(payload)) {
          int n = Integer.parseInt(payload.substring(3));
          DownlinkLoad.Sent s = sent.get(n);
          violations += n < last && s != null && s.sentAt() >= writtenFrom ? 1 : 0;
          last = Math.max(last, n);
        }
      }
    }
    return violations;
  }

  /** Downlink messages a device received that the back end had addressed to another client. */
  private long misdelivered() {
    Map<Integer, DownlinkLoad.Sent> sent = downlink.sent();
    long wrong = 0;
    for (LoadDevice d : fleet.devices(d -> subscribers.contains(d.clientId()))) {
      for (String payload : d.received().keySet()) {
        DownlinkLoad.Sent s = payload.startsWith("dl-") ? sent.get(Integer.parseInt(payload.substring(3))) : null;
        wrong += s == null || !s.clientId().equals(d.clientId()) ? 1 : 0;
      }
    }
    return wrong;
  }

  /** One row per QoS that had devices, and one for the downlink, in target/reliability-results.md. */
  static void report(String fault, Outcome o, String recovery, String detail) {
    for (int qos = 0; qos <= 2; qos++) {
      LoadDevices.Tally t = o.uplink()[qos];
      if (t.devices() == 0) {
        continue;
      }
      ReliabilityReport.row(fault + ", uplink QoS " + qos + " (" + t.devices() + " devices)", Long.toString(t.sent()),
          qos == 0 ? "n/a (QoS 0)" : Long.toString(t.acknowledged()), Long.toString(t.found()), t.lost(),
          t.duplicated() + " (of resent messages: " + t.resent() + ")", recovery, detail);
      ReliabilityReport.note(t.toString());
    }
    DownlinkLoad.Tally d = o.downlink();
    if (d != null) {
      ReliabilityReport.row(fault + ", downlink QoS 1", d.records() + " records",
          d.byStatus().getOrDefault(Receipt.Status.ACKED, 0) + " acked", d.withReceipt() + " with a receipt",
          d.missing(), d.duplicateDeliveries() + " delivered twice", "-",
          "statuses " + d.byStatus() + "; " + d.receivedByDevices() + " received by devices; " + o.misdelivered()
              + " to a wrong device; " + o.downlinkOrderViolations() + " out of order");
      ReliabilityReport.note(d.toString());
    }
  }

  /**
   * Nothing acknowledged lost, order per client kept, duplicates only of resent messages, no phantom
   * or wrong records; QoS 0 neither duplicated nor reordered; every downlink record with a receipt,
   * every delivered QoS 1 one finished, none to a wrong device.
   */
  static void assertNothingLost(Outcome o) {
    assertNothingLost(o, true);
  }

  /**
   * As {@link #assertNothingLost(Outcome)}; with {@code downlinkOrder} false the order of downlink
   * messages is left to the test (a fault during which it need not hold).
   */
  static void assertNothingLost(Outcome o, boolean downlinkOrder) {
    for (int qos = 0; qos <= 2; qos++) {
      LoadDevices.Tally t = o.uplink()[qos];
      assertThat(t.lost()).as("acknowledged but not in Kafka: " + t).isZero();
      assertThat(qos == 0 ? t.duplicated() : t.duplicatesNeverResent()).as("duplicates of messages sent once: " + t)
          .isZero();
      assertThat(t.orderViolations()).as("order per client: " + t).isZero();
      assertThat(t.phantoms() + t.wrongRecords()).as("records no device sent as such: " + t).isZero();
    }
    if (o.downlink() != null) {
      assertThat(o.downlink().missing()).as("downlink records without any receipt: " + o.downlink()).isZero();
      assertThat(o.downlink().unfinished()).as("delivered QoS 1 records without acked/timeout: " + o.downlink())
          .isZero();
      assertThat(o.misdelivered()).as("downlink messages received by a device they were not for").isZero();
      if (downlinkOrder) {
        assertThat(o.downlinkOrderViolations()).as("downlink messages that overtook an earlier one").isZero();
      }
    }
  }

  @Override
  public void close() {
    fleet.stop();
    if (downlink != null) {
      downlink.close();
    }
  }
}
