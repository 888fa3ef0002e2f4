package io.mqttkafka.bridge.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.process.BridgeProcess;
import io.mqttkafka.bridge.process.ProcessCluster;
import io.mqttkafka.bridge.testkit.LoadDevice;
import io.mqttkafka.bridge.testkit.NetLab;
import io.mqttkafka.bridge.testkit.ReliabilityReport;
import io.mqttkafka.bridge.testkit.ReplicatedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka black-holed: every packet between the bridge and Kafka is dropped (iptables DROP in the
 * bridge's network namespace: no reset, no ICMP), for 30 s, under QoS 0, 1 and 2 load. Unlike a dead
 * broker, which refuses connections at once, this hangs: requests in flight wait for their timeouts,
 * new connections for theirs. The bridge must behave as in an outage all the same: no QoS 1/2
 * acknowledgement while Kafka is unreachable, bytes awaiting Kafka under the limit (QoS 0 beyond it
 * dropped and counted), readiness 503, and recovery by itself once packets flow again; nothing
 * acknowledged lost. Needs root (network namespaces, iptables): skipped otherwise, failed with
 * {@code -Dnetfaults.required=true}.
 */
@Tag("reliability")
class KafkaBlackholeFaultIT {

  /** Half of it is the bridge's limit of bytes awaiting Kafka. */
  private static final long BUFFER_MEMORY = 2 * 1024 * 1024;
  private static final String HEAP = "192m";

  @TempDir
  Path dataDir;

  @Test
  @Timeout(value = 15, unit = TimeUnit.MINUTES)
  void kafkaBlackHoledUnderLoadNoFalseAckBoundedMemoryNotReadyAndRecoveryByItself() throws Exception {
    NetLab.assumeAvailable();
    int holeSeconds = Integer.getInteger("reliability.blackholeSeconds", 30);
    int scale = ReliabilityReport.scale();
    String topic = "blackhole-uplink";
    String yaml = FaultLoad.uplinkYaml(topic) + """
        kafka:
          producer: { buffer.memory: %d }
        """.formatted(BUFFER_MEMORY);
    try (NetLab lab = NetLab.create("kafka", "bridge");
         ReplicatedKafka kafka = LabPlacement.kafkaAt(lab.node("kafka"), dataDir);
         ProcessCluster bridges = new ProcessCluster("blackhole", yaml, kafka.bootstrapServers(), 1).heap(HEAP)
             .placement(i -> LabPlacement.at(lab.node("bridge")));
         FaultLoad load = new FaultLoad(bridges, kafka.bootstrapServers(), topic, Duration.ofMinutes(8))) {
      kafka.createTopic(topic, 3);
      bridges.startAll();
      BridgeProcess bridge = bridges.get(0);
      int seconds = holeSeconds + 120;
      for (int i = 0; i < 4; i++) {
        load.uplink("car-hole-q1-" + i, 1, 100, seconds, 0);
        load.uplink("car-hole-q2-" + i, 2, 100, seconds, 0);
      }
      for (int i = 0; i < 2; i++) {
        load.uplink("car-hole-q0-" + i, 0, 1_000, seconds, 0);
      }
      try (Sampler sampler = new Sampler(bridge)) {
        Thread.sleep(5_000L * scale);
        long rateBefore = load.fleet().acknowledgedBetween(System.currentTimeMillis() - 3_000,
            System.currentTimeMillis()) / 3;

        // The hole is there from when cut() returns until heal() begins: both take a few iptables runs.
        NetLab.Fault hole = lab.cut(lab.node("bridge"), lab.node("kafka").address(),
            Duration.ofSeconds(holeSeconds + 30L));
        long cutAt = System.currentTimeMillis();
        Thread.sleep(holeSeconds * 1_000L);
        long healAt = System.currentTimeMillis();
        hole.heal();
        load.awaitAcksAfter(healAt, Duration.ofSeconds(120));
        long recovery = load.ackRecovery(d -> true, healAt);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(bridge::ready);
        long readyAt = System.currentTimeMillis();
        Thread.sleep(8_000L);
        long now = System.currentTimeMillis();
        long rateAfter = load.fleet().acknowledgedBetween(now - 3_000, now) / 3;

        // No acknowledgement can come from a Kafka nobody reaches: none for a message first sent after
        // the cut, and none at all from one second after the cut until the heal.
        long falseAcks = 0;
        long acksDuringHole = 0;
        for (LoadDevice d : load.fleet().devices(d -> d.qos() > 0)) {
          for (int seq = 0; seq < d.sent(); seq++) {
            long acked = d.ackedAt(seq);
            if (d.firstSentAt(seq) > cutAt && acked > 0 && acked < healAt) {
              falseAcks++;
              ReliabilityReport.note("acknowledged while black-holed: " + d.clientId() + " #" + seq + " sent "
                  + (d.firstSentAt(seq) - cutAt) + " ms after the cut (" + d.attempts(seq) + " time(s)), acknowledged "
                  + (acked - cutAt) + " ms after it");
            }
            acksDuringHole += acked > cutAt + 1_000 && acked < healAt ? 1 : 0;
          }
        }
        boolean notReady = sampler.any(cutAt, healAt, s -> !s.ready());
        long notReadyAt = sampler.firstAtOrAfter(cutAt, s -> !s.ready());
        double maxInFlight = sampler.max(Sampler.Sample::inFlightBytes);
        double maxHeap = sampler.max(Sampler.Sample::heapBytes);
        FaultLoad.Outcome o = load.finish(Duration.ofSeconds(120));
        double overloaded = bridge.metric("mqtt_bridge_uplink_messages_total", "qos=\"0\",outcome=\"overloaded\"");
        double failed = bridge.metric("mqtt_bridge_uplink_messages_total", "outcome=\"failed\"");
        FaultLoad.report("Kafka black-holed (DROP, no reset) for " + holeSeconds + " s", o, recovery
                + " ms heal to acks again on every device; ready again after " + (readyAt - healAt) + " ms",
            falseAcks + " QoS 1/2 acks while black-holed; not ready " + (notReadyAt < 0 ? "never" : (notReadyAt - cutAt)
                + " ms after the cut") + "; acks/s before " + rateBefore + ", after " + rateAfter + "; max heap used "
                + Sampler.mib(maxHeap) + " of " + HEAP + "; max bytes awaiting Kafka " + Sampler.mib(maxInFlight)
                + " (limit " + Sampler.mib(BUFFER_MEMORY / 2.0) + "); QoS 0: overloaded " + (long) overloaded
                + ", failed " + (long) failed);

        assertThat(falseAcks).as("QoS 1/2 messages sent after the cut and acknowledged before the heal").isZero();
        assertThat(acksDuringHole).as("acknowledgements while Kafka was black-holed").isZero();
        assertThat(notReady).as("readiness down while Kafka was black-holed").isTrue();
        assertThat(maxInFlight).as("bytes awaiting Kafka").isLessThanOrEqualTo(BUFFER_MEMORY / 2.0 + 64 * 1024);
        assertThat(overloaded).as("QoS 0 dropped under overload, counted").isPositive();
        assertThat(rateAfter).as("throughput after recovery (acks/s; before: " + rateBefore + ")")
            .isGreaterThanOrEqualTo(rateBefore / 2);
        assertThat(bridge.alive()).as("bridge process alive").isTrue();
        FaultLoad.assertNothingLost(o);
      }
    }
  }
}
