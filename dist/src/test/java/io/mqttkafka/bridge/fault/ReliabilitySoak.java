package io.mqttkafka.bridge.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.process.BridgeProcess;
import io.mqttkafka.bridge.testsupport.DownlinkLoad;
import io.mqttkafka.bridge.testkit.LoadDevices;
import io.mqttkafka.bridge.testkit.KafkaTopics;
import io.mqttkafka.bridge.testkit.LoadDevice;
import io.mqttkafka.bridge.process.ProcessCluster;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.RawMqttClient;
import io.mqttkafka.bridge.testkit.ReliabilityReport;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The soak: mixed load at half of the capacity measured first, for {@code -Dreliability.soakMinutes}
 * (default 10), against a bridge process with a 256 MiB heap: QoS 0, 1 and 2 uplink, QoS 1 downlink
 * to the same devices, and connection churn (a device connects, publishes, leaves, with or without
 * DISCONNECT, every 200 ms). At the end the heap after collection and the connection count are where
 * they were after warm-up, and nothing acknowledged is missing in Kafka.
 *
 * <p>Not part of the build (its name does not end in IT): scripts/reliability.sh runs it with
 * {@code -Dit.test=ReliabilitySoak}.
 */
class ReliabilitySoak {

  private static final int QOS1 = 16;
  private static final int QOS2 = 4;
  private static final int QOS0 = 4;
  private static final int WINDOW = 10;

  private record Sample(long at, double heap, double connections, double sessions) {
  }

  @Test
  void halfCapacityMixedLoadKeepsHeapAndConnectionsFlat() throws Exception {
    int minutes = Integer.getInteger("reliability.soakMinutes", 10);
    String topic = TestKafka.uniqueTopic("soak-uplink");
    TestKafka.createTopic(topic, 3);
    String yaml = """
        mappings:
          uplink:
            - { match: "^UL/(.+)$", topic: "%s" }
          downlink: { filters: ["DL/#"], ackTimeout: 10s }
        """.formatted(topic);
    try (ProcessCluster deployment = new ProcessCluster("soak", yaml, TestKafka.bootstrapServers(), 1)) {
      deployment.startAll();
      BridgeProcess bridge = deployment.get(0);

      // Capacity: as fast as the windows allow; measured over the second 10 s.
      double capacity;
      try (LoadDevices probe = new LoadDevices(deployment.mqttPorts(), Duration.ofMinutes(2))) {
        for (int i = 0; i < QOS1 + QOS2; i++) {
          probe.add("car-probe-" + i, LoadDevice.Options.publisher(i < QOS1 ? 1 : 2, WINDOW, 100_000), 0);
        }
        Thread.sleep(10_000);
        long from = System.currentTimeMillis();
        Thread.sleep(10_000);
        capacity = probe.acknowledgedBetween(from, System.currentTimeMillis()) / 10.0;
        probe.settle(Duration.ofSeconds(30));
      }
      double perDevice = capacity / 2 / (QOS1 + QOS2);
      ReliabilityReport.note("soak: measured capacity " + (long) capacity + " acks/s; soak at half: "
          + String.format("%.1f", perDevice) + "/s per QoS 1/2 device");

      long durationMs = minutes * 60_000L;
      int maxMessages = (int) (perDevice * (durationMs / 1000 + 120));
      List<String> ids = new ArrayList<>();
      List<Sample> samples = new ArrayList<>();
      AtomicInteger churned = new AtomicInteger();
      AtomicReference<Throwable> churnFailure = new AtomicReference<>();
      try (LoadDevices fleet = new LoadDevices(deployment.mqttPorts(), Duration.ofMillis(durationMs + 180_000))) {
        for (int i = 0; i < QOS1 + QOS2 + QOS0; i++) {
          int qos = i < QOS1 ? 1 : i < QOS1 + QOS2 ? 2 : 0;
          String id = "car-soak-q" + qos + "-" + i;
          ids.add(id);
          double rate = qos == 0 ? perDevice * 2 : perDevice;
          fleet.add(id, LoadDevice.Options.publisher(qos, WINDOW, (int) (rate * (durationMs / 1000 + 120)))
              .rate(rate).subscribing(), 0);
        }
        long end = System.currentTimeMillis() + durationMs;
        Thread churn = new Thread(() -> {
          for (int n = 0; System.currentTimeMillis() < end; n++) {
            try (RawMqttClient c = new RawMqttClient(bridge.mqttPort())) {
              c.connected("car-churn-" + (n % 50));
              c.send(MqttPackets.publish("UL/churn", ("churn-" + n).getBytes(StandardCharsets.UTF_8), 1, 1, false));
              c.read();
              if (n % 2 == 0) {
                c.send(MqttPackets.disconnect());
              }
              churned.incrementAndGet();
              Thread.sleep(200);
            } catch (IOException e) {
              churnFailure.compareAndSet(null, e);
            } catch (InterruptedException e) {
              return;
            }
          }
        }, "churn");
        churn.setDaemon(true);
        try (DownlinkLoad downlink = new DownlinkLoad(TestKafka.bootstrapServers(), deployment.downlinkTopic(), ids,
            Math.max(10, capacity / 20), Integer.MAX_VALUE, Duration.ofMillis(durationMs))) {
          churn.start();
          downlink.start();
          while (System.currentTimeMillis() < end) {
            samples.add(new Sample(System.currentTimeMillis(), bridge.metric("jvm_memory_used_bytes",
                "area=\"heap\""), bridge.metric("mqtt_bridge_connections", ""),
                bridge.metric("mqtt_bridge_sessions", "")));
            Thread.sleep(5_000);
          }
          downlink.stop();
          churn.join(10_000);
          assertThat(fleet.settle(Duration.ofSeconds(60))).as("every QoS 1/2 message acknowledged").isTrue();
          Thread.sleep(2_000);
          double connectionsAtEnd = bridge.metric("mqtt_bridge_connections", "");
          double sessionsAtEnd = bridge.metric("mqtt_bridge_sessions", "");

          AtomicReference<DownlinkLoad.Tally> receipts = new AtomicReference<>();
          await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(2)).until(() -> {
            receipts.set(downlink.verify(KafkaTopics.readAll(TestKafka.bootstrapServers(),
                deployment.receiptsTopic(), Duration.ofSeconds(60)), fleet.devices()));
            return receipts.get().missing() == 0 && receipts.get().unfinished() == 0;
          });
          fleet.stop();
          LoadDevices.Tally[] tally = fleet.verify(TestKafka.bootstrapServers(), topic, Duration.ofSeconds(600));
          // Heap: the lowest value of each minute approximates the live set after collection.
          int perMinute = 12;
          double firstMin = minHeap(samples.subList(perMinute, Math.min(samples.size(), 2 * perMinute)));
          double lastMin = minHeap(samples.subList(Math.max(0, samples.size() - perMinute), samples.size()));
          double maxHeap = samples.stream().mapToDouble(Sample::heap).max().orElse(0);
          double connectionsAfterWarmUp = samples.get(Math.min(samples.size() - 1, perMinute)).connections();
          String fault = "Soak: " + minutes + " min mixed load at half capacity (" + (long) (capacity / 2)
              + " acks/s QoS 1+2, QoS 0, downlink, churn)";
          ReliabilityReport.row(fault, Long.toString(tally[3].sent()), Long.toString(tally[1].acknowledged()
                  + tally[2].acknowledged()), Long.toString(tally[3].found()), tally[3].lost(),
              Long.toString(tally[3].duplicated()), "-",
              "heap min in minute 2 " + mb(firstMin) + ", last minute " + mb(lastMin) + ", max " + mb(maxHeap)
                  + " of 256m; connections after warm-up " + (long) connectionsAfterWarmUp + ", at end "
                  + (long) connectionsAtEnd + "; " + churned.get() + " churn connections; downlink: "
                  + receipts.get());
          for (LoadDevices.Tally t : tally) {
            ReliabilityReport.note(t.toString());
          }
          assertThat(churnFailure.get()).as("churn connection failed").isNull();
          for (int qos = 1; qos <= 3; qos++) {
            LoadDevices.Tally t = tally[qos];
            assertThat(t.lost() + t.duplicatesNeverResent() + t.orderViolations() + t.phantoms() + t.wrongRecords())
                .as(t.toString()).isZero();
          }
          assertThat(connectionsAtEnd).as("connections at the end").isEqualTo(QOS1 + QOS2 + QOS0);
          assertThat(sessionsAtEnd).as("sessions at the end").isEqualTo(QOS1 + QOS2 + QOS0);
          assertThat(lastMin).as("heap after collection, last minute vs. second minute")
              .isLessThan(firstMin * 1.5 + 16 * 1024 * 1024);
        }
      }
    }
  }

  private static double minHeap(List<Sample> samples) {
    return samples.stream().mapToDouble(Sample::heap).filter(v -> !Double.isNaN(v)).min().orElse(Double.NaN);
  }

  private static String mb(double bytes) {
    return String.format("%.1f MiB", bytes / (1024 * 1024));
  }
}
