package io.mqttkafka.bridge.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.process.BridgeProcess;
import io.mqttkafka.bridge.testkit.LoadDevices;
import io.mqttkafka.bridge.testkit.KafkaProcess;
import io.mqttkafka.bridge.testkit.LoadDevice;
import io.mqttkafka.bridge.process.ProcessCluster;
import io.mqttkafka.bridge.testkit.ReliabilityReport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka broker (its own process) is killed under QoS 0 and QoS 1 load and restarted after an
 * outage (10 s here; {@code -Dreliability.outageSeconds=30} in scripts/reliability.sh). The bridge
 * (its own process, small heap) stays up; no QoS 1 message is acknowledged while Kafka is away; the
 * bytes waiting for Kafka stay under the limit, QoS 0 beyond it is dropped and counted; readiness
 * goes down and comes back; throughput recovers by itself; everything acknowledged is in Kafka.
 */
class KafkaOutageFaultIT {

  private static final int QOS1_DEVICES = 8;
  private static final double QOS1_RATE = 150;
  private static final int QOS0_DEVICES = 2;
  private static final double QOS0_RATE = 2_000;
  /** Half of it is the bridge's limit of bytes awaiting Kafka. */
  private static final long BUFFER_MEMORY = 2 * 1024 * 1024;
  private static final String HEAP = "192m";

  @TempDir
  Path dataDir;

  /** One look at the bridge from outside. */
  private record Sample(long at, boolean ready, double heapBytes, double inFlightBytes) {
  }

  @Test
  void brokerDownUnderLoadNoFalseAckBoundedBuffersAndRecoveryByItself() throws Exception {
    int outageSeconds = Integer.getInteger("reliability.outageSeconds", 10);
    String topic = "outage-uplink";
    String yaml = """
        mappings:
          uplink:
            - { match: "^UL/(.+)$", topic: "%s" }
        kafka:
          producer: { buffer.memory: %d }
        """.formatted(topic, BUFFER_MEMORY);
    try (KafkaProcess kafka = KafkaProcess.start(dataDir);
         ProcessCluster deployment = new ProcessCluster("outage", yaml, kafka.bootstrapServers(), 1).heap(HEAP)) {
      kafka.createTopic(topic, 3);
      deployment.startAll();
      BridgeProcess bridge = deployment.get(0);
      List<Sample> samples = new ArrayList<>();
      Thread sampler = new Thread(() -> {
        long end = System.currentTimeMillis() + 300_000;
        while (!Thread.currentThread().isInterrupted() && System.currentTimeMillis() < end) {
          Sample s = new Sample(System.currentTimeMillis(), bridge.ready(),
              bridge.metric("jvm_memory_used_bytes", "area=\"heap\""),
              bridge.metric("mqtt_bridge_uplink_inflight_bytes", ""));
          synchronized (samples) {
            samples.add(s);
          }
          try {
            Thread.sleep(250);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "sampler");
      sampler.setDaemon(true);

      // Enough sequence numbers for the whole run at the given rates; the run ends long before.
      int seconds = outageSeconds + 60;
      try (LoadDevices fleet = new LoadDevices(deployment.mqttPorts(), Duration.ofMinutes(5))) {
        for (int i = 0; i < QOS1_DEVICES; i++) {
          fleet.add("car-outage-q1-" + i, LoadDevice.Options.publisher(1, 10, (int) QOS1_RATE * seconds)
              .rate(QOS1_RATE), 0);
        }
        for (int i = 0; i < QOS0_DEVICES; i++) {
          fleet.add("car-outage-q0-" + i, LoadDevice.Options.publisher(0, 100, (int) QOS0_RATE * seconds)
              .rate(QOS0_RATE), 0);
        }
        sampler.start();
        Thread.sleep(5_000);
        long rateBefore = fleet.acknowledgedBetween(System.currentTimeMillis() - 3_000, System.currentTimeMillis()) / 3;

        kafka.kill();
        long downAt = System.currentTimeMillis();
        Thread.sleep(outageSeconds * 1_000L);
        long restartAt = System.currentTimeMillis();
        kafka.restart();
        long upAt = System.currentTimeMillis();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
            .until(() -> fleet.acknowledgedBetween(restartAt, Long.MAX_VALUE) > 0);
        long firstAckAfter = System.currentTimeMillis();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(bridge::ready);
        long readyAgainAt = System.currentTimeMillis();
        Thread.sleep(8_000);
        long now = System.currentTimeMillis();
        long rateAfter = fleet.acknowledgedBetween(now - 3_000, now) / 3;
        assertThat(fleet.settle(Duration.ofSeconds(60))).as("every QoS 1 message acknowledged in the end").isTrue();
        sampler.interrupt();
        sampler.join(5_000);
        fleet.stop();
        assertThat(bridge.alive()).as("bridge process alive").isTrue();

        // No acknowledgement can come from a broker that is not there: none for a message first
        // sent after the kill, and none at all from one second after the kill until the restart.
        long falseAcks = 0;
        long acksDuringOutage = 0;
        for (LoadDevice d : fleet.devices(d -> d.qos() == 1)) {
          for (int seq = 0; seq < d.sent(); seq++) {
            long acked = d.ackedAt(seq);
            falseAcks += d.firstSentAt(seq) > downAt && acked > 0 && acked < restartAt ? 1 : 0;
            acksDuringOutage += acked > downAt + 1_000 && acked < restartAt ? 1 : 0;
          }
        }
        LoadDevices.Tally[] tally = fleet.verify(kafka.bootstrapServers(), topic, Duration.ofSeconds(60));
        // Read after the devices stopped and Kafka has all there is: paused connections still had
        // PUBLISH packets in their socket buffers when the load ended, dropped or written only now.
        double overloaded = bridge.metric("mqtt_bridge_uplink_messages_total", "qos=\"0\",outcome=\"overloaded\"");
        double failed = bridge.metric("mqtt_bridge_uplink_messages_total", "outcome=\"failed\"");
        LoadDevices.Tally q1 = tally[1];
        LoadDevices.Tally q0 = tally[0];
        boolean wentDown;
        double maxHeap;
        double maxInFlight;
        synchronized (samples) {
          wentDown = samples.stream().anyMatch(s -> s.at() > downAt && s.at() < restartAt && !s.ready());
          maxHeap = samples.stream().mapToDouble(Sample::heapBytes).filter(v -> !Double.isNaN(v)).max().orElse(0);
          maxInFlight = samples.stream().mapToDouble(Sample::inFlightBytes).filter(v -> !Double.isNaN(v)).max()
              .orElse(0);
        }
        String outage = "Kafka broker SIGKILLed for " + outageSeconds + " s under load";
        ReliabilityReport.row(outage + ", QoS 1 (" + QOS1_DEVICES + " devices x " + (int) QOS1_RATE + "/s)",
            Long.toString(q1.sent()), q1.acknowledged() + " (" + falseAcks + " while Kafka was down)",
            Long.toString(q1.found()), q1.lost(), Long.toString(q1.duplicated()),
            (firstAckAfter - upAt) + " ms broker ready to first ack; ready again after " + (readyAgainAt - upAt) + " ms",
            "acks/s before " + rateBefore + ", after " + rateAfter + "; max heap used " + mb(maxHeap) + " of " + HEAP
                + "; max bytes awaiting Kafka " + mb(maxInFlight) + " (limit " + mb(BUFFER_MEMORY / 2.0) + ")");
        ReliabilityReport.row(outage + ", QoS 0 (" + QOS0_DEVICES + " devices x " + (int) QOS0_RATE + "/s)",
            Long.toString(q0.sent()), "n/a (QoS 0)", Long.toString(q0.found()), 0,
            Long.toString(q0.duplicated()), "as above",
            (q0.sent() - q0.found()) + " dropped; metrics: overloaded " + (long) overloaded + ", failed "
                + (long) failed);
        ReliabilityReport.note(q1.toString());
        ReliabilityReport.note(q0.toString());

        assertThat(falseAcks).as("QoS 1 messages sent after the kill and acknowledged before the restart").isZero();
        assertThat(acksDuringOutage).as("acknowledgements while Kafka was down").isZero();
        assertThat(q1.lost()).as(q1.toString()).isZero();
        assertThat(q1.duplicatesNeverResent() + q1.orderViolations() + q1.phantoms() + q1.wrongRecords())
            .as(q1.toString()).isZero();
        assertThat(q0.duplicated() + q0.orderViolations() + q0.phantoms() + q0.wrongRecords()).as(q0.toString())
            .isZero();
        assertThat(wentDown).as("readiness down during the outage").isTrue();
        assertThat(maxInFlight).as("bytes awaiting Kafka").isLessThanOrEqualTo(BUFFER_MEMORY / 2.0 + 64 * 1024);
        assertThat(overloaded).as("QoS 0 dropped under overload, counted").isPositive();
        assertThat(q0.sent() - q0.found()).as("QoS 0 messages missing in Kafka").isPositive();
        assertThat(rateAfter).as("throughput after recovery (acks/s; before: " + rateBefore + ")")
            .isGreaterThanOrEqualTo(rateBefore / 2);
      }
    }
  }

  private static String mb(double bytes) {
    return String.format("%.1f MiB", bytes / (1024 * 1024));
  }
}
