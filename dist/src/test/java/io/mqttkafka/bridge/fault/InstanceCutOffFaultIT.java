package io.mqttkafka.bridge.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.process.BridgeProcess;
import io.mqttkafka.bridge.process.ProcessCluster;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.mqttkafka.bridge.testkit.LoadDevice;
import io.mqttkafka.bridge.testkit.NetLab;
import io.mqttkafka.bridge.testkit.ReplicatedKafka;
import io.mqttkafka.bridge.testsupport.TestCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One instance of a two-instance cluster is cut off from Kafka (iptables DROP between its network
 * namespace and Kafka's) but still reaches its devices and the other instance, for 30 s, under QoS 1
 * uplink and downlink load to devices on both. The cut-off instance acknowledges nothing meanwhile and
 * is not ready; the other carries on, and takes over the cut-off one's router partitions once the
 * group gives up on it, routing to its devices over the cluster. Afterwards the instance recovers by
 * itself; nothing acknowledged is lost and every downlink record has a receipt. Needs root.
 */
@Tag("reliability")
class InstanceCutOffFaultIT {

  private static final double RATE = 20;

  @TempDir
  Path dataDir;

  @Test
  @Timeout(value = 15, unit = TimeUnit.MINUTES)
  void oneInstanceCutOffFromKafkaAcknowledgesNothingTheOtherCarriesOnNothingLost() throws Exception {
    NetLab.assumeAvailable();
    int cutSeconds = Integer.getInteger("reliability.cutOffSeconds", 30);
    String topic = "cutoff-uplink";
    try (NetLab lab = NetLab.create("kafka", "a", "b");
         ReplicatedKafka kafka = LabPlacement.kafkaAt(lab.node("kafka"), dataDir);
         ProcessCluster bridges = new ProcessCluster("cutoff", FaultLoad.uplinkYaml(topic), kafka.bootstrapServers(), 2)
             .placement(i -> LabPlacement.at(lab.node(i == 0 ? "a" : "b")));
         FaultLoad load = new FaultLoad(bridges, kafka.bootstrapServers(), topic, Duration.ofMinutes(8))) {
      kafka.createTopic(topic, 3);
      bridges.startAll();
      BridgeProcess a = bridges.get(0);
      BridgeProcess b = bridges.get(1);
      int seconds = cutSeconds + 180;
      for (int i = 0; i < 8; i++) {
        load.uplink("car-cutoff-q1-" + i, 1, RATE, seconds, i % 2);
      }
      for (int p = 0; p < TestCluster.PARTITIONS; p++) {
        List<String> ids = FaultLoad.idsIn("car-cutoff-sub-p" + p + "-", p, TestCluster.PARTITIONS, 2);
        load.subscriber(ids.get(0), 0);
        load.subscriber(ids.get(1), 1);
      }
      load.startDownlink(RATE, seconds);
      try (Sampler onA = new Sampler(a); Sampler onB = new Sampler(b)) {
        Thread.sleep(5_000);
        double routedByA = a.metric("mqtt_bridge_router_partitions", "");
        NetLab.Fault cut = lab.cut(lab.node("a"), lab.node("kafka").address(), Duration.ofSeconds(cutSeconds + 60L));
        long cutAt = System.currentTimeMillis();
        double[] routedByB = {0};
        long deadline = cutAt + cutSeconds * 1_000L;
        while (System.currentTimeMillis() < deadline) {
          routedByB[0] = Math.max(routedByB[0], b.metric("mqtt_bridge_router_partitions", ""));
          Thread.sleep(250);
        }
        long healAt = System.currentTimeMillis();
        cut.heal();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).until(a::ready);
        long readyAt = System.currentTimeMillis();
        load.awaitAcksAfter(healAt, Duration.ofSeconds(120));
        long recovery = load.ackRecovery(d -> true, healAt);
        Thread.sleep(10_000);

        long falseAcks = 0;
        long viaA = 0;
        long viaB = 0;
        for (LoadDevice d : load.fleet().devices(d -> d.qos() > 0)) {
          for (int seq = 0; seq < d.sent(); seq++) {
            long acked = d.ackedAt(seq);
            boolean during = acked > cutAt + 1_000 && acked < healAt;
            falseAcks += d.firstSentAt(seq) > cutAt && acked > 0 && acked < healAt && d.ackedVia(seq) == a.mqttPort()
                ? 1 : 0;
            viaA += during && d.ackedVia(seq) == a.mqttPort() ? 1 : 0;
            viaB += during && d.ackedVia(seq) == b.mqttPort() ? 1 : 0;
          }
        }
        boolean aNotReady = onA.any(cutAt, healAt, s -> !s.ready());
        boolean bStayedReady = !onB.any(cutAt, Long.MAX_VALUE, s -> !s.ready());
        FaultLoad.Outcome o = load.finish(Duration.ofSeconds(120));
        long deliveredDuring = load.downlinkSent().entrySet().stream()
            .filter(e -> e.getValue().sentAt() >= cutAt && e.getValue().sentAt() < healAt)
            .filter(e -> load.receipts().getOrDefault(e.getKey(), List.of()).stream()
                .anyMatch(r -> r.status() == Status.DELIVERED)).count();
        FaultLoad.report("One of 2 instances cut off from Kafka (DROP), not from devices or the cluster, for "
                + cutSeconds + " s", o, recovery + " ms heal to acks again on every device; ready again after "
                + (readyAt - healAt) + " ms",
            "acks during the cut: " + viaA + " via the cut-off instance, " + viaB + " via the other; it was "
                + (aNotReady ? "not ready" : "ready") + ", the other " + (bStayedReady ? "stayed ready" : "went down")
                + "; router partitions: the cut-off one had " + (int) routedByA + ", the other up to "
                + (int) routedByB[0] + " during the cut; " + deliveredDuring + " downlink records written during the"
                + " cut delivered");

        assertThat(falseAcks).as("QoS 1 acknowledged by the cut-off instance for messages sent after the cut").isZero();
        assertThat(viaA).as("acknowledgements by the cut-off instance during the cut").isZero();
        assertThat(viaB).as("acknowledgements by the other instance during the cut").isPositive();
        assertThat(aNotReady).as("the cut-off instance not ready").isTrue();
        assertThat(bStayedReady).as("the other instance stayed ready").isTrue();
        assertThat(routedByB[0]).as("router partitions of the other instance during the cut")
            .isEqualTo(TestCluster.PARTITIONS);
        FaultLoad.assertNothingLost(o);
      }
    }
  }
}
