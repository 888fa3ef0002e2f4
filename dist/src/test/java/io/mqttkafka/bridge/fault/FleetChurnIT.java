package io.mqttkafka.bridge.fault;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.UnixOperatingSystemMXBean;
import io.mqttkafka.bridge.process.BridgeProcess;
import io.mqttkafka.bridge.process.ProcessCluster;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.mqttkafka.bridge.testkit.ChurnFleet;
import io.mqttkafka.bridge.testkit.ChurnFleet.Count;
import io.mqttkafka.bridge.testkit.KafkaTopics;
import io.mqttkafka.bridge.testkit.ReliabilityReport;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Fleet churn, compressed: {@code -Dchurn.devices} (default 10,000) devices against one bridge
 * process, a third with persistent sessions, coming and going at random (offline 1-20 s, online
 * 5-60 s, leaving with DISCONNECT or a reset) for {@code -Dchurn.minutes} (default 3; the script
 * runs 30) after a warm-up, with QoS 1 uplink (one message per device every 10 s online) and a
 * steady QoS 1 downlink to random devices ({@code -Dchurn.downlinkRate}, default 20/s), half with
 * {@code mqtt.offline=queue}. Then every device comes back and stays.
 *
 * <p>Checks: nothing acknowledged is lost, nothing duplicated, order kept per device; every
 * downlink record has a receipt, every record queued for a client was delivered to it once it came
 * back; no persistent session lost; and sampled every 5 s, heap (lowest per third), connections,
 * sessions, offline sessions, parked records, metric series and the router's consumer lag flat
 * between the first and the last third of the churn, offline sessions and parked records back to 0
 * once every device is back.
 */
@Tag("reliability")
class FleetChurnIT {

  private static final long SAMPLE_MILLIS = 5_000;
  private static final long MIB = 1024 * 1024;

  @Test
  void aFleetThatComesAndGoesLosesNothingAndLeaksNothing() throws Exception {
    int devices = withinFileLimit(Integer.getInteger("churn.devices", 10_000));
    int minutes = Integer.getInteger("churn.minutes", 3);
    double downlinkRate = Double.parseDouble(System.getProperty("churn.downlinkRate", "20"));
    long warmUpMillis = Long.getLong("churn.warmUpSeconds", 60) * 1000;
    String topic = TestKafka.uniqueTopic("churn-uplink");
    TestKafka.createTopic(topic, 3);
    String yaml = """
        mappings:
          uplink:
            - { match: "^UL/(.+)$", topic: "%s" }
          downlink: { filters: ["DL/#"], ackTimeout: 10s }
        """.formatted(topic);
    String bootstrap = TestKafka.bootstrapServers();
    try (ProcessCluster deployment = new ProcessCluster("churn", yaml, bootstrap, 1).heap("512m")) {
      deployment.startAll();
      BridgeProcess bridge = deployment.get(0);
      ChurnFleet.Config config = new ChurnFleet.Config("127.0.0.1", bridge.mqttPort(), "car-", devices, 3,
          1_000, 20_000, 5_000, 60_000, 10_000);
      long churnMillis = minutes * 60_000L;
      ChurnFleet fleet = new ChurnFleet(config, 2);
      try (fleet;
           ChurnGauges gauges = new ChurnGauges(bridge.httpPort(), bootstrap, deployment.downlinkTopic(),
               deployment.deployment().get("MQTT_BRIDGE_KAFKA_CONSUMER_GROUP_ID"));
           ChurnDownlink downlink = new ChurnDownlink(bootstrap, deployment.downlinkTopic(), fleet.clientIds(true),
               fleet.clientIds(false), downlinkRate, Duration.ofMillis(warmUpMillis + churnMillis))) {
        long started = System.currentTimeMillis();
        fleet.start();
        // Warm-up: every device connects once (so that a persistent one has its session before the
        // first record for it), then the online share settles; not sampled.
        boolean allConnected = within(config.offlineMax() + 60_000, () -> fleet.everConnected() == devices);
        assertThat(allConnected).as("every device connected once: " + fleet).isTrue();
        downlink.start();
        Thread.sleep(warmUpMillis);
        long end = System.currentTimeMillis() + churnMillis;
        while (System.currentTimeMillis() < end) {
          ChurnGauges.Sample s = gauges.sample();
          ReliabilityReport.note("churn " + (s.at() - started) / 1000 + " s: " + s + "; fleet: " + fleet);
          Thread.sleep(SAMPLE_MILLIS);
        }
        downlink.stop();

        // The final phase: every device comes back and stays; what does not happen in time is reported.
        fleet.hold();
        long holdAt = System.currentTimeMillis();
        boolean allBack = within(config.offlineMax() + 60_000, () -> fleet.online() == devices);
        long backAt = System.currentTimeMillis();
        AtomicReference<DownlinkFigures> figures = new AtomicReference<>();
        within(180_000, () -> {
          figures.set(DownlinkFigures.of(downlink, KafkaTopics.readAll(bootstrap, deployment.receiptsTopic(),
              Duration.ofSeconds(60)), fleet.received()));
          return figures.get().settled();
        });
        long settledAt = System.currentTimeMillis();
        fleet.stopPublishing();
        boolean uplinkSettled = within(60_000, () -> fleet.unsettled() == 0);
        within(60_000, () -> bridge.metric("mqtt_bridge_router_sessions_offline", "") == 0
            && bridge.metric("mqtt_bridge_router_parked_messages", "") == 0);
        ChurnGauges.Sample atEnd = gauges.sample();
        long testSeconds = (System.currentTimeMillis() - started) / 1000;
        fleet.close();

        ChurnUplinkTally uplink = ChurnUplinkTally.of(fleet.results(), bootstrap, topic, Duration.ofSeconds(600));
        List<ChurnGauges.Sample> samples = gauges.samples().subList(0, gauges.samples().size() - 1);
        int third = Math.max(1, samples.size() / 3);
        List<ChurnGauges.Sample> first = samples.subList(0, third);
        List<ChurnGauges.Sample> last = samples.subList(samples.size() - third, samples.size());
        String flat = "heap min " + mb(ChurnGauges.min(first, ChurnGauges.Sample::heap)) + " -> "
            + mb(ChurnGauges.min(last, ChurnGauges.Sample::heap)) + "; means first -> last third: "
            + means(first, last);
        ReliabilityReport.row("Fleet churn: " + devices + " devices (1/3 persistent sessions), " + minutes
                + " min, offline 1-20 s, online 5-60 s, uplink and downlink QoS 1",
            Long.toString(uplink.sent()), Long.toString(uplink.acknowledged()), Long.toString(uplink.found()),
            uplink.lost(), Long.toString(uplink.duplicated()), "all devices back " + (backAt - holdAt) / 1000
                + " s after the churn, every queued record delivered " + (settledAt - holdAt) / 1000 + " s after",
            flat + "; " + testSeconds + " s in all; downlink: " + figures.get() + "; at the end " + atEnd + "; fleet: " + fleet);
        ReliabilityReport.note(uplink.toString());
        ReliabilityReport.note("series that appeared during the churn: " + gauges.newSeries());

        assertThat(allBack).as("every device back: " + fleet).isTrue();
        assertThat(uplinkSettled).as("every uplink message acknowledged or left behind: " + fleet).isTrue();
        assertThat(figures.get().settled()).as(figures.get().toString()).isTrue();
        assertThat(atEnd.offlineSessions()).as("offline sessions once every device is back").isZero();
        assertThat(atEnd.parked()).as("parked records once every record was delivered").isZero();
        assertThat(uplink.lost() + uplink.duplicated() + uplink.outOfOrder() + uplink.unknown())
            .as(uplink.toString()).isZero();
        assertThat(uplink.acknowledged()).as("messages acknowledged").isGreaterThan(devices);
        assertThat(fleet.count(Count.SESSION_LOST)).as("persistent sessions lost: " + fleet).isZero();
        assertThat(fleet.count(Count.SUBSCRIBE_REFUSED) + fleet.count(Count.UNEXPECTED_PACKET))
            .as("refused subscriptions and unexpected packets: " + fleet).isZero();
        assertThat(fleet.count(Count.CLOSED_BY_BRIDGE)).as("connections the bridge closed: " + fleet).isZero();
        assertThat(downlink.failed()).as("downlink records Kafka refused").isZero();
        assertThat(figures.get().misrouted()).as("downlink messages to a device they were not for").isZero();
        assertThat(atEnd.connections()).as("connections once every device is back").isEqualTo(devices);
        assertThat(atEnd.sessions()).as("sessions once every device is back").isEqualTo(devices);
        assertFlat(first, last);
      }
    }
  }

  /** Lowest heap, and the means of the counts, of the last third against the first, with generous bounds. */
  private static void assertFlat(List<ChurnGauges.Sample> first, List<ChurnGauges.Sample> last) {
    assertThat(ChurnGauges.min(last, ChurnGauges.Sample::heap)).as("heap after collection, last vs first third")
        .isLessThan(ChurnGauges.min(first, ChurnGauges.Sample::heap) * 1.5 + 32 * MIB);
    double connections = ChurnGauges.mean(first, ChurnGauges.Sample::connections);
    assertThat(ChurnGauges.mean(last, ChurnGauges.Sample::connections)).as("connections, last vs first third")
        .isBetween(connections * 0.75 - 200, connections * 1.25 + 200);
    double sessions = ChurnGauges.mean(first, ChurnGauges.Sample::sessions);
    assertThat(ChurnGauges.mean(last, ChurnGauges.Sample::sessions)).as("sessions, last vs first third")
        .isBetween(sessions * 0.75 - 200, sessions * 1.25 + 200);
    assertThat(ChurnGauges.mean(last, ChurnGauges.Sample::offlineSessions)).as("offline sessions")
        .isLessThan(ChurnGauges.mean(first, ChurnGauges.Sample::offlineSessions) * 1.5 + 200);
    assertThat(ChurnGauges.mean(last, ChurnGauges.Sample::parked)).as("parked records")
        .isLessThan(ChurnGauges.mean(first, ChurnGauges.Sample::parked) * 1.5 + 200);
    assertThat(ChurnGauges.max(last, ChurnGauges.Sample::series)).as("metric series (cardinality)")
        .isLessThanOrEqualTo(ChurnGauges.max(first, ChurnGauges.Sample::series) * 1.1 + 20);
    assertThat(ChurnGauges.mean(last, ChurnGauges.Sample::lag)).as("router consumer lag")
        .isLessThan(ChurnGauges.mean(first, ChurnGauges.Sample::lag) * 2 + 200);
  }

  private static String means(List<ChurnGauges.Sample> first, List<ChurnGauges.Sample> last) {
    Map<String, ToDoubleFunction<ChurnGauges.Sample>> gauges = Map.of(
        "connections", ChurnGauges.Sample::connections, "sessions", ChurnGauges.Sample::sessions,
        "offline sessions", ChurnGauges.Sample::offlineSessions, "parked", ChurnGauges.Sample::parked,
        "series", ChurnGauges.Sample::series, "lag", ChurnGauges.Sample::lag);
    StringBuilder s = new StringBuilder();
    for (String name : List.of("connections", "sessions", "offline sessions", "parked", "series", "lag")) {
      s.append(s.isEmpty() ? "" : ", ").append(name).append(' ')
          .append(Math.round(ChurnGauges.mean(first, gauges.get(name)))).append(" -> ")
          .append(Math.round(ChurnGauges.mean(last, gauges.get(name))));
    }
    return s.toString();
  }

  /**
   * The devices the open-file limit allows: each holds a socket in this JVM (which also runs the
   * broker, with its log files) and one in the bridge process, which inherits the limit.
   */
  private static int withinFileLimit(int devices) {
    long limit = ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix
        ? unix.getMaxFileDescriptorCount() : Long.MAX_VALUE;
    int allowed = (int) Math.max(100, Math.min(devices, limit - 4_000));
    if (allowed < devices) {
      ReliabilityReport.note("churn: open-file limit " + limit + ", so " + allowed + " devices, not " + devices);
    }
    return allowed;
  }

  /** Polls every second until the condition holds or the time is up; says which. */
  private static boolean within(long millis, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.currentTimeMillis() + millis;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        return false;
      }
      Thread.sleep(1_000);
    }
    return true;
  }

  private static String mb(double bytes) {
    return String.format("%.0f MiB", bytes / MIB);
  }

  /** What became of the downlink records, from their receipts and what the devices received. */
  record DownlinkFigures(int records, int missing, Map<Status, Integer> byStatus, int queuedNotDelivered,
                         int persistentNotReceived, int unfinished, int duplicateDeliveries, int misrouted,
                         List<String> examples) {

    static DownlinkFigures of(ChurnDownlink downlink, List<org.apache.kafka.clients.consumer.ConsumerRecord<String,
        byte[]>> receipts, Map<String, AtomicInteger> received) {
      List<ChurnDownlink.Outcome> outcomes = downlink.outcomes(receipts, received);
      Map<Status, Integer> byStatus = new EnumMap<>(Status.class);
      int missing = 0;
      int queuedNotDelivered = 0;
      int persistentNotReceived = 0;
      int unfinished = 0;
      int duplicates = 0;
      List<String> examples = new java.util.ArrayList<>();
      for (ChurnDownlink.Outcome o : outcomes) {
        boolean unsettled = o.statuses().isEmpty() || o.queued() && !o.statuses().contains(Status.DELIVERED)
            || o.sent().persistent() && o.receivedTimes() == 0;
        if (unsettled && examples.size() < 10) {
          examples.add(o.toString());
        }
        o.statuses().forEach(s -> byStatus.merge(s, 1, Integer::sum));
        missing += o.statuses().isEmpty() ? 1 : 0;
        queuedNotDelivered += o.queued() && !o.statuses().contains(Status.DELIVERED) ? 1 : 0;
        persistentNotReceived += o.sent().persistent() && o.receivedTimes() == 0 ? 1 : 0;
        unfinished += o.statuses().contains(Status.DELIVERED) && !o.statuses().contains(Status.ACKED)
            && !o.statuses().contains(Status.TIMEOUT) ? 1 : 0;
        duplicates += o.receivedTimes() > 1 ? 1 : 0;
      }
      int misrouted = 0;
      for (String key : received.keySet()) {
        int space = key.indexOf(' ');
        ChurnDownlink.Sent s = key.startsWith("dl-", space + 1)
            ? downlink.sent().get(Integer.parseInt(key.substring(space + 4))) : null;
        misrouted += s == null || !s.clientId().equals(key.substring(0, space)) ? 1 : 0;
      }
      return new DownlinkFigures(outcomes.size(), missing, byStatus, queuedNotDelivered, persistentNotReceived,
          unfinished, duplicates, misrouted, examples);
    }

    /** Every record has a receipt, every queued one was delivered, every persistent device got its records. */
    boolean settled() {
      return missing == 0 && queuedNotDelivered == 0 && persistentNotReceived == 0;
    }

    @Override
    public String toString() {
      return ("%d records, %d without a receipt; records with each status %s; %d queued and not delivered; %d for"
          + " persistent sessions not received; %d delivered without acked or timeout; %d received more than once;"
          + " %d misrouted%s").formatted(records, missing, byStatus, queuedNotDelivered, persistentNotReceived,
          unfinished, duplicateDeliveries, misrouted, examples.isEmpty() ? "" : "; for example " + examples);
    }
  }
}
