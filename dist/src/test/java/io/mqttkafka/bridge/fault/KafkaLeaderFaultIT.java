package io.mqttkafka.bridge.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.process.BridgeProcess;
import io.mqttkafka.bridge.process.ProcessCluster;
import io.mqttkafka.bridge.testkit.LoadDevice;
import io.mqttkafka.bridge.testkit.ReliabilityReport;
import io.mqttkafka.bridge.testkit.ReplicatedKafka;
import io.mqttkafka.bridge.testsupport.TestCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A three-node Kafka (KRaft, replication factor 3, {@code min.insync.replicas} 2) loses the leader of
 * the busiest uplink partition to SIGKILL while devices publish at QoS 1 and QoS 2 and a back end
 * writes downlink records to subscribed devices; the killed node also leads downlink partitions. The
 * bridge (its own process, acks=all as always) stays up. Kafka elects new leaders once it has fenced
 * the dead node; acknowledgements stall until then and flow again by themselves. The node comes back
 * under load. Record by record: nothing acknowledged lost, order per client kept, no duplicates (no
 * device had to resend), every downlink record with a receipt, none to a wrong device.
 */
class KafkaLeaderFaultIT {

  private static final int UPLINK_PARTITIONS = 3;
  private static final double RATE = 30;
  private static final double DOWNLINK_RATE = 30;

  @TempDir
  Path dataDir;

  @Test
  @Timeout(value = 15, unit = TimeUnit.MINUTES)
  void leaderOfTheBusiestUplinkPartitionKilledNothingAcknowledgedLostAndDownlinkAllReceipted() throws Exception {
    int scale = ReliabilityReport.scale();
    String topic = "leader-uplink";
    try (ReplicatedKafka kafka = ReplicatedKafka.start(dataDir, 3);
         ProcessCluster bridges = new ProcessCluster("leader", FaultLoad.uplinkYaml(topic), kafka.bootstrapServers(), 1);
         FaultLoad load = new FaultLoad(bridges, kafka.bootstrapServers(), topic, Duration.ofMinutes(6))) {
      // The node to kill: not the active controller (its own test). It leads partition 0 of the uplink
      // topic, which carries half of the devices, and partition 0 of the downlink topic; the other two
      // nodes lead the other partitions.
      int controller = kafka.activeController();
      int victim = kafka.nodeIds().stream().filter(n -> n != controller).findFirst().orElseThrow();
      List<Integer> others = kafka.nodeIds().stream().filter(n -> n != victim).toList();
      Map<Integer, List<Integer>> layout = Map.of(0, List.of(victim, others.get(0), others.get(1)),
          1, List.of(others.get(0), others.get(1), victim), 2, List.of(others.get(1), others.get(0), victim));
      kafka.createTopic(topic, layout);
      kafka.createTopic(bridges.downlinkTopic(), layout);
      bridges.startAll();
      BridgeProcess bridge = bridges.get(0);
      Map<Integer, Integer> downlinkLeaders = kafka.leaders(bridges.downlinkTopic());

      int seconds = 120 * scale;
      for (int qos = 1; qos <= 2; qos++) {
        int[] perPartition = {4, 2, 2};
        for (int p = 0; p < UPLINK_PARTITIONS; p++) {
          for (String id : FaultLoad.idsIn("car-leader-q" + qos + "-p" + p + "-", p, UPLINK_PARTITIONS,
              perPartition[p])) {
            load.uplink(id, qos, RATE, seconds, 0);
          }
        }
      }
      for (int p = 0; p < TestCluster.PARTITIONS; p++) {
        for (String id : FaultLoad.idsIn("car-leader-sub-p" + p + "-", p, TestCluster.PARTITIONS, 2)) {
          load.subscriber(id, 0);
        }
      }
      load.startDownlink(DOWNLINK_RATE, seconds);
      try (Sampler sampler = new Sampler(bridge)) {
        Thread.sleep(5_000L * scale);
        Map<Integer, Long> records = kafka.endOffsets(topic);
        int busiest = records.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        Map<Integer, Integer> leadersBefore = kafka.leaders(topic);
        Set<Integer> victimLeads = leadersBefore.entrySet().stream().filter(e -> e.getValue() == victim)
            .map(Map.Entry::getKey).collect(Collectors.toSet());
        Set<Integer> victimDownlink = downlinkLeaders.entrySet().stream().filter(e -> e.getValue() == victim)
            .map(Map.Entry::getKey).collect(Collectors.toSet());

        long killedAt = System.currentTimeMillis();
        kafka.kill(victim);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
            .until(() -> !kafka.leaders(topic).containsValue(victim));
        long electedAt = System.currentTimeMillis();
        load.awaitAcksAfter(killedAt, Duration.ofSeconds(60));
        long onVictim = load.ackRecovery(d -> victimLeads.contains(partitionOf(d)), killedAt);
        long elsewhere = load.ackRecovery(d -> !victimLeads.contains(partitionOf(d)), killedAt);
        Thread.sleep(5_000L * scale);
        boolean stayedReady = !sampler.any(killedAt, Long.MAX_VALUE, s -> !s.ready());

        FaultLoad.Outcome o = load.finish(Duration.ofSeconds(90));
        String fault = "Kafka (3 nodes, RF 3, min ISR 2): SIGKILL of node " + victim + ", leader of the busiest uplink"
            + " partition";
        FaultLoad.report(fault, o, onVictim + " ms kill to acks again on its partitions (" + elsewhere
                + " ms on the others)",
            "new leaders " + (electedAt - killedAt) + " ms after the kill; records per partition before the kill "
                + records + "; it led uplink " + victimLeads + ", downlink " + victimDownlink + "; readiness "
                + (stayedReady ? "stayed up" : "went down") + "; max heap " + Sampler.mib(sampler.max(Sampler.Sample::heapBytes)));

        assertThat(busiest).as("the busiest uplink partition, records " + records).isZero();
        assertThat(victimLeads).as("uplink partitions the killed node led").contains(busiest);
        assertThat(victimDownlink).as("downlink partitions the killed node led").isNotEmpty();
        assertThat(onVictim).as("acks flowed again on the killed leader's partitions").isPositive();
        FaultLoad.assertNothingLost(o);
        assertThat(o.uplink()[1].resent() + o.uplink()[2].resent()).as("messages devices had to resend").isZero();
        assertThat(o.downlink().records()).isPositive();
        assertThat(stayedReady).as("readiness with two of three Kafka nodes up").isTrue();
      }
    }
  }

  private static int partitionOf(LoadDevice device) {
    return FaultLoad.partitionOf(device.clientId(), UPLINK_PARTITIONS);
  }
}
