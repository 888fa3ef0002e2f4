package io.mqttkafka.bridge.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.testkit.LoadDevices;
import io.mqttkafka.bridge.testkit.LoadDevice;
import io.mqttkafka.bridge.process.ProcessCluster;
import io.mqttkafka.bridge.testkit.ReliabilityReport;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A bridge process is killed with SIGKILL (no drain, no producer flush) while many devices publish
 * at QoS 1 and QoS 2 through it and through a second clustered instance. The devices reconnect to
 * the survivor and resend what was not acknowledged. Record by record: everything acknowledged is in
 * Kafka, in order per client; duplicates only of messages that had to be resent.
 */
class BridgeCrashFaultIT {

  private static final int DEVICES_PER_QOS = 8;
  private static final int WINDOW = 20;

  @Test
  void sigkillDuringQos1AndQos2LoadLosesNothingAcknowledged() throws Exception {
    int messages = 400 * ReliabilityReport.scale();
    String topic = TestKafka.uniqueTopic("crash-uplink");
    TestKafka.createTopic(topic, 3);
    String yaml = """
        mappings:
          uplink:
            - { match: "^UL/(.+)$", topic: "%s" }
        """.formatted(topic);
    try (ProcessCluster cluster = new ProcessCluster("crash", yaml, TestKafka.bootstrapServers(), 2);
         LoadDevices fleet = new LoadDevices(cluster.mqttPorts(), Duration.ofMinutes(5))) {
      cluster.startAll();
      for (int i = 0; i < DEVICES_PER_QOS * 2; i++) {
        int qos = i < DEVICES_PER_QOS ? 1 : 2;
        fleet.add("car-crash-q" + qos + "-" + i, LoadDevice.Options.publisher(qos, WINDOW, messages), i % 2);
      }
      long total = (long) messages * DEVICES_PER_QOS * 2;
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
          .until(() -> fleet.acknowledged() >= total / 4);

      int killedPort = cluster.mqttPorts().get(0);
      List<LoadDevice> onKilled = fleet.devices(d -> d.connectedPort() == killedPort);
      long ackedBefore = fleet.acknowledged();
      long killedAt = System.currentTimeMillis();
      cluster.kill(0);

      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
          .until(() -> fleet.devices().stream().allMatch(d -> d.sent() == messages));
      assertThat(fleet.settle(Duration.ofSeconds(60))).as("every message acknowledged in the end").isTrue();
      fleet.stop();

      LoadDevices.Tally[] tally = fleet.verify(TestKafka.bootstrapServers(), topic, Duration.ofSeconds(60));
      long recovery = 0;
      for (LoadDevice d : onKilled) {
        recovery = Math.max(recovery, d.firstAckAtOrAfter(killedAt) - killedAt);
      }
      for (int qos = 1; qos <= 2; qos++) {
        LoadDevices.Tally t = tally[qos];
        ReliabilityReport.row("SIGKILL of 1 of 2 clustered instances, QoS " + qos + " (" + t.devices()
                + " devices, window " + WINDOW + ")", Long.toString(t.sent()), Long.toString(t.acknowledged()),
            Long.toString(t.found()), t.lost(), t.duplicated() + " (of resent messages: " + t.resent() + ")",
            recovery + " ms (kill to first ack of every moved device)",
            onKilled.size() + " devices moved; " + ackedBefore + " acks before the kill");
        ReliabilityReport.note(t.toString());
      }
      assertThat(onKilled).as("devices connected to the killed instance").isNotEmpty();
      assertThat(onKilled).allSatisfy(d -> assertThat(d.connections()).isGreaterThan(1));
      for (LoadDevices.Tally t : tally) {
        assertThat(t.lost()).as("acknowledged but not in Kafka: " + t).isZero();
        assertThat(t.duplicatesNeverResent()).as("duplicates of messages sent once: " + t).isZero();
        assertThat(t.orderViolations()).as("order per client: " + t).isZero();
        assertThat(t.phantoms() + t.wrongRecords()).as("records no device sent as such: " + t).isZero();
      }
      assertThat(tally[3].acknowledged()).isEqualTo(total);
      assertThat(tally[3].found()).isEqualTo(total);
    }
  }
}
