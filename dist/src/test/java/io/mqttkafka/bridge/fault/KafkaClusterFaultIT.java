package io.mqttkafka.bridge.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.process.ProcessCluster;
import io.mqttkafka.bridge.testkit.ReliabilityReport;
import io.mqttkafka.bridge.testkit.ReplicatedKafka;
import io.mqttkafka.bridge.testsupport.TestCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A three-node Kafka (KRaft, combined broker and controller nodes, replication factor 3,
 * {@code min.insync.replicas} 2) under QoS 1, QoS 2 and downlink load through one bridge process:
 * the active controller is SIGKILLed (a new one is elected; the node was also a broker, so its
 * replicas leave the in-sync sets), and all three nodes are restarted one after the other (SIGTERM,
 * a controlled shutdown, start, wait until every partition is fully replicated again), as an
 * operator upgrades Kafka. Nothing acknowledged is lost, order is kept, every downlink record has a
 * receipt. Both share one Kafka cluster, whole again after each. Long: {@code -Preliability}.
 */
@Tag("reliability")
class KafkaClusterFaultIT {

  private static final double RATE = 30;
  private static final int DEVICES_PER_QOS = 6;

  @TempDir
  static Path dataDir;

  private static ReplicatedKafka kafka;

  @BeforeAll
  static void startKafka() {
    kafka = ReplicatedKafka.start(dataDir, 3);
  }

  @AfterAll
  static void stopKafka() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  @Timeout(value = 15, unit = TimeUnit.MINUTES)
  void activeControllerKilledUnderLoadNothingAcknowledgedLost() throws Exception {
    int scale = ReliabilityReport.scale();
    String topic = "controller-uplink";
    int controller = kafka.activeController();
    List<Integer> others = kafka.nodeIds().stream().filter(n -> n != controller).toList();
    // Uplink leaders on the other nodes: what is measured is the controller's failover and its replicas
    // leaving the in-sync sets, not a leader election of the uplink partitions.
    kafka.createTopic(topic, Map.of(0, List.of(others.get(0), others.get(1), controller),
        1, List.of(others.get(1), others.get(0), controller), 2, List.of(others.get(0), controller, others.get(1))));
    try (ProcessCluster bridges = new ProcessCluster("ctrl", FaultLoad.uplinkYaml(topic), kafka.bootstrapServers(), 1);
         FaultLoad load = new FaultLoad(bridges, kafka.bootstrapServers(), topic, Duration.ofMinutes(6))) {
      bridges.startAll();
      startLoad(load, "ctrl", 120 * scale);
      Thread.sleep(5_000L * scale);
      long killedAt = System.currentTimeMillis();
      kafka.kill(controller);
      int[] next = new int[1];
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() -> {
        next[0] = kafka.activeController();
        return next[0] >= 0 && next[0] != controller;
      });
      long electedAt = System.currentTimeMillis();
      load.awaitAcksAfter(killedAt, Duration.ofSeconds(60));
      long recovery = load.ackRecovery(d -> true, killedAt);
      Thread.sleep(5_000L * scale);
      long restartAt = System.currentTimeMillis();
      kafka.restart(controller);
      kafka.awaitFullyReplicated(Duration.ofSeconds(120));
      long backAt = System.currentTimeMillis();
      Thread.sleep(3_000L * scale);

      FaultLoad.Outcome o = load.finish(Duration.ofSeconds(90));
      FaultLoad.report("Kafka (3 nodes, RF 3, min ISR 2): SIGKILL of the active controller (node " + controller
              + ", also a broker)", o, recovery + " ms kill to acks again on every device",
          "node " + next[0] + " active controller " + (electedAt - killedAt) + " ms after the kill; the killed node"
              + " back and in sync " + (backAt - restartAt) + " ms after its restart; longest gap between two acks of"
              + " one device " + load.longestAckGap(killedAt - 1_000, backAt) + " ms");
      FaultLoad.assertNothingLost(o);
      assertThat(next[0]).as("the new active controller").isNotEqualTo(controller);
      assertThat(recovery).as("acks flowed again on every device").isPositive();
    }
  }

  @Test
  @Timeout(value = 40, unit = TimeUnit.MINUTES)
  void rollingRestartOfAllThreeNodesUnderLoadNothingAcknowledgedLost() throws Exception {
    int scale = ReliabilityReport.scale();
    String topic = "rolling-kafka-uplink";
    kafka.createTopic(topic, 3);
    try (ProcessCluster bridges = new ProcessCluster("kroll", FaultLoad.uplinkYaml(topic), kafka.bootstrapServers(), 1);
         FaultLoad load = new FaultLoad(bridges, kafka.bootstrapServers(), topic, Duration.ofMinutes(10))) {
      bridges.startAll();
      startLoad(load, "kroll", 400 * scale);
      Thread.sleep(5_000L * scale);
      // The active controller last, as operators do: one controller move instead of up to three.
      int controller = kafka.activeController();
      List<Integer> order = new ArrayList<>(kafka.nodeIds().stream().filter(n -> n != controller).toList());
      order.add(controller);
      long startedAt = System.currentTimeMillis();
      List<String> steps = new ArrayList<>();
      for (int round = 0; round < scale; round++) {
        for (int node : order) {
          long stepAt = System.currentTimeMillis();
          int status = kafka.stop(node);
          long stoppedAt = System.currentTimeMillis();
          kafka.restart(node);
          kafka.awaitFullyReplicated(Duration.ofSeconds(120));
          steps.add("node " + node + ": stopped in " + (stoppedAt - stepAt) + " ms (exit " + status + "), in sync "
              + (System.currentTimeMillis() - stoppedAt) + " ms later");
        }
      }
      long doneAt = System.currentTimeMillis();
      Thread.sleep(3_000L * scale);

      FaultLoad.Outcome o = load.finish(Duration.ofSeconds(90));
      FaultLoad.report("Kafka (3 nodes, RF 3, min ISR 2): rolling restart of all nodes (SIGTERM, start, in sync; "
              + scale + " round(s))", o, load.longestAckGap(startedAt, doneAt)
              + " ms longest gap between two acks of one device",
          "whole restart " + (doneAt - startedAt) + " ms; " + String.join("; ", steps));
      FaultLoad.assertNothingLost(o);
    }
  }

  /** QoS 1 and QoS 2 devices in every partition, and downlink to subscribers in every partition. */
  private static void startLoad(FaultLoad load, String name, int seconds) {
    for (int qos = 1; qos <= 2; qos++) {
      for (int i = 0; i < DEVICES_PER_QOS; i++) {
        load.uplink("car-" + name + "-q" + qos + "-" + i, qos, RATE, seconds, 0);
      }
    }
    for (int p = 0; p < TestCluster.PARTITIONS; p++) {
      for (String id : FaultLoad.idsIn("car-" + name + "-sub-p" + p + "-", p, TestCluster.PARTITIONS, 2)) {
        load.subscriber(id, 0);
      }
    }
    load.startDownlink(RATE, seconds);
  }
}
