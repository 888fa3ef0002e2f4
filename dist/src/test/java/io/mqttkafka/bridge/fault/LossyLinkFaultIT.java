package io.mqttkafka.bridge.fault;

import io.mqttkafka.bridge.process.ProcessCluster;
import io.mqttkafka.bridge.testkit.NetLab;
import io.mqttkafka.bridge.testkit.ReplicatedKafka;
import io.mqttkafka.bridge.testsupport.TestCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Devices on lossy links, as cars on cellular networks: every TCP packet between the devices and the
 * bridge's MQTT port is dropped at random (iptables' statistic match, both ways), 5 % and then 20 %,
 * for 30 s each, under QoS 1 uplink and downlink. TCP retransmits; a device whose keep-alive runs out
 * reconnects and resends. Nothing acknowledged is lost, order is kept both ways, every downlink record
 * has a receipt. Needs root.
 */
@Tag("reliability")
class LossyLinkFaultIT {

  private static final double RATE = 20;
  private static final int DEVICES = 4;

  @TempDir
  Path dataDir;

  @Test
  @Timeout(value = 15, unit = TimeUnit.MINUTES)
  void devicesOnLinksLosingFiveAndTwentyPercentOfPacketsLoseNothingAndKeepOrder() throws Exception {
    NetLab.assumeAvailable();
    int seconds = Integer.getInteger("reliability.lossySeconds", 30);
    String topic = "lossy-uplink";
    try (NetLab lab = NetLab.create("kafka", "bridge");
         ReplicatedKafka kafka = LabPlacement.kafkaAt(lab.node("kafka"), dataDir);
         ProcessCluster bridges = new ProcessCluster("lossy", FaultLoad.uplinkYaml(topic), kafka.bootstrapServers(), 1)
             .placement(i -> LabPlacement.at(lab.node("bridge")))) {
      kafka.createTopic(topic, 3);
      bridges.startAll();
      for (double loss : new double[] {0.05, 0.2}) {
        String name = "car-lossy" + Math.round(loss * 100);
        try (FaultLoad load = new FaultLoad(bridges, kafka.bootstrapServers(), topic, Duration.ofMinutes(5));
             NetLab.Fault lossy = lab.lossy(lab.node("bridge"), bridges.get(0).mqttPort(), loss,
                 Duration.ofSeconds(seconds + 120L))) {
          for (int i = 0; i < DEVICES; i++) {
            load.uplink(name + "-q1-" + i, 1, RATE, seconds, 0);
          }
          for (int p = 0; p < TestCluster.PARTITIONS; p++) {
            for (String id : FaultLoad.idsIn(name + "-sub-p" + p + "-", p, TestCluster.PARTITIONS, 2)) {
              load.subscriber(id, 0);
            }
          }
          load.startDownlink(RATE, seconds);
          Thread.sleep(seconds * 1_000L);
          // The last messages are acknowledged on the lossy link too: the loss ends with the test.
          FaultLoad.Outcome o = load.finish(Duration.ofSeconds(180));
          int reconnects = load.fleet().devices().stream().mapToInt(d -> Math.max(0, d.connections() - 1)).sum();
          FaultLoad.report("Device links losing " + Math.round(loss * 100) + " % of packets (both ways) for "
              + seconds + " s", o, "-", reconnects + " reconnects of " + load.fleet().devices().size() + " devices ("
              + lossy + ")");
          FaultLoad.assertNothingLost(o);
        }
      }
    }
  }
}
