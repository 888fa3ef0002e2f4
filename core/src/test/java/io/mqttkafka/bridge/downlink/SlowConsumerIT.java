package io.mqttkafka.bridge.downlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.testsupport.Downlink;
import io.mqttkafka.bridge.testkit.Metrics;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.RawMqttClient;
import io.mqttkafka.bridge.testkit.ReliabilityReport;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A device that stops reading while downlink keeps coming: closed, buffers bounded, every record receipted. */
class SlowConsumerIT {

  @Test
  void deviceThatStopsReadingIsClosedAndEveryRecordStillGetsAReceipt() throws Exception {
    Map<String, String> deployment = TestBridge.isolated();
    Bridge bridge = TestBridge.start("", deployment);
    try (RawMqttClient device = new RawMqttClient(bridge.mqttPort(), 4096)) {
      device.connected("car-slow");
      device.send(MqttPackets.packet(0x82, MqttPackets.concat(new byte[] {0, 1}, MqttPackets.string("DL/#"),
          new byte[] {0})));
      assertThat(device.read().type()).isEqualTo(RawMqttClient.SUBACK);
      // From here on the device reads nothing. 120 x 64 KiB at QoS 0: far more than socket buffers hold.
      int records = 120;
      byte[] payload = new byte[64 * 1024];
      long start = System.currentTimeMillis();
      for (int i = 0; i < records; i++) {
        Downlink.send(TestBridge.downlinkTopic(deployment), "car-slow", payload, "mqtt.topic", "DL/BIG",
            "mqtt.qos", "0", "correlation.id", "slow");
      }
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(Metrics.value(
          Metrics.scrape(bridge.httpPort()), "mqtt_bridge_connections_closed_total", "reason=\"slow_consumer\""))
          .isEqualTo(1));
      long closedAfter = System.currentTimeMillis() - start;
      device.setTimeoutMillis(10_000);
      assertThat(device.closedByPeer()).isTrue();
      List<Receipt> receipts = Downlink.receipts(TestBridge.receiptsTopic(deployment), "slow", records,
          Duration.ofSeconds(30));
      report("QoS 0", records, receipts.size(), receipts.stream().map(Receipt::status).toList(), closedAfter);
      assertThat(receipts).hasSize(records);
      assertThat(receipts).extracting(Receipt::status).contains(Receipt.Status.OFFLINE);
    } finally {
      bridge.stop();
    }
  }

  @Test
  void qos1DeviceThatStopsReadingIsClosedAndEveryDeliveredRecordEndsWithTimeout() throws Exception {
    Map<String, String> deployment = TestBridge.isolated();
    Bridge bridge = TestBridge.start("", deployment);
    try (RawMqttClient device = new RawMqttClient(bridge.mqttPort(), 4096)) {
      device.connected("car-slow1");
      device.send(MqttPackets.packet(0x82, MqttPackets.concat(new byte[] {0, 1}, MqttPackets.string("DL/#"),
          new byte[] {1})));
      assertThat(device.read().type()).isEqualTo(RawMqttClient.SUBACK);
      // MQTT 3.1.1: no Receive Maximum, so only the unwritten bytes bound what is published to it.
      int records = 120;
      byte[] payload = new byte[64 * 1024];
      long start = System.currentTimeMillis();
      for (int i = 0; i < records; i++) {
        Downlink.send(TestBridge.downlinkTopic(deployment), "car-slow1", payload, "mqtt.topic", "DL/BIG",
            "mqtt.qos", "1", "correlation.id", "slow1-" + i);
      }
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(Metrics.value(
          Metrics.scrape(bridge.httpPort()), "mqtt_bridge_connections_closed_total", "reason=\"slow_consumer\""))
          .isEqualTo(1));
      long closedAfter = System.currentTimeMillis() - start;
      device.setTimeoutMillis(10_000);
      assertThat(device.closedByPeer()).isTrue();
      Map<String, List<Receipt.Status>> byRecord = new HashMap<>();
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
        byRecord.clear();
        for (var r : TestKafka.consumeFor(TestBridge.receiptsTopic(deployment), Duration.ofMillis(500))) {
          Receipt receipt = Receipt.fromJson(r.value());
          byRecord.computeIfAbsent(receipt.correlationId(), k -> new ArrayList<>()).add(receipt.status());
        }
        return byRecord.size() == records && byRecord.values().stream().allMatch(s ->
            !s.contains(Receipt.Status.DELIVERED) || s.contains(Receipt.Status.TIMEOUT));
      });
      // Bounded: only about 1 MiB (16 records of 64 KiB) plus what the sockets hold was ever written.
      long delivered = byRecord.values().stream().filter(s -> s.contains(Receipt.Status.DELIVERED)).count();
      report("QoS 1", records, byRecord.size(), byRecord.values().stream().flatMap(List::stream).toList(),
          closedAfter);
      assertThat(delivered).isLessThan(records / 2);
      assertThat(byRecord.values()).allSatisfy(s -> assertThat(s).containsAnyOf(Receipt.Status.TIMEOUT,
          Receipt.Status.OFFLINE));
    } finally {
      bridge.stop();
    }
  }

  private static void report(String qos, int records, int withReceipt, List<Receipt.Status> statuses, long closedAfter) {
    Map<Receipt.Status, Long> counts = new java.util.EnumMap<>(Receipt.Status.class);
    statuses.forEach(st -> counts.merge(st, 1L, Long::sum));
    ReliabilityReport.row("Device stops reading, downlink " + qos + " keeps coming (" + records + " x 64 KiB)",
        records + " downlink records", "-", withReceipt + " with a receipt", records - withReceipt, "0",
        closedAfter + " ms first record to closed as slow consumer",
        "receipts " + counts + "; at most 1 MiB unwritten per connection");
  }
}
