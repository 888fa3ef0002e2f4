package io.mqttkafka.bridge.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.records.PresenceRecord;
import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.mqttkafka.bridge.testsupport.Downlink;
import io.mqttkafka.bridge.testkit.KafkaTopics;
import io.mqttkafka.bridge.testkit.Metrics;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.RawMqttClient;
import io.mqttkafka.bridge.testkit.ReliabilityReport;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * Devices that vanish without FIN (half-open connections: the socket stays open, nothing more is
 * sent or read). Keep-alive expiry (1.5 x the keep-alive) closes them: the connection, its session
 * and its buffers go, its Will is published, its presence says disconnected, and every downlink
 * record sent to it meanwhile gets a receipt. A device that stops reading while downlink keeps
 * coming is covered by SlowConsumerIT.
 */
class NetworkFaultIT {

  // Long enough that setting up every device on a loaded machine stays well inside one keep-alive.
  private static final int KEEP_ALIVE_SECONDS = 6;
  private static final int SILENT_DEVICES = 20;

  @Test
  void halfOpenDevicesAreClosedByKeepAliveExpiryWithWillPresenceAndReceipts() throws Exception {
    String topic = TestKafka.uniqueTopic("halfopen");
    Map<String, String> deployment = TestBridge.isolated();
    Bridge bridge = TestBridge.start("""
        mappings:
          uplink:
            - { match: "^UL/(.+)$", topic: "%s" }
          downlink: { filters: ["DL/#"], ackTimeout: 30s }
        """.formatted(topic), deployment);
    List<RawMqttClient> devices = new ArrayList<>();
    try {
      for (int i = 0; i < SILENT_DEVICES; i++) {
        RawMqttClient device = new RawMqttClient(bridge.mqttPort(), 4096);
        String id = "car-halfopen-" + i;
        device.send(MqttPackets.connect(id, 4, "UL/gone", bytes(id), 1, false, KEEP_ALIVE_SECONDS));
        assertThat(device.read().type()).isEqualTo(RawMqttClient.CONNACK);
        device.send(MqttPackets.packet(0x82, MqttPackets.concat(new byte[] {0, 1}, MqttPackets.string("DL/#"),
            new byte[] {1})));
        assertThat(device.read().type()).isEqualTo(RawMqttClient.SUBACK);
        devices.add(device);
      }
      // From here on the devices are silent: no PINGREQ, no PUBACK, no reading, no FIN.
      long silentFrom = System.currentTimeMillis();
      assertThat(bridge.sessions().size()).isEqualTo(SILENT_DEVICES);
      String downlinkTopic = TestBridge.downlinkTopic(deployment);
      for (int i = 0; i < SILENT_DEVICES; i++) {
        Downlink.send(downlinkTopic, "car-halfopen-" + i, bytes("while-silent"), "mqtt.topic", "DL/CMD",
            "correlation.id", "halfopen-before-" + i);
      }

      await().atMost(Duration.ofSeconds(KEEP_ALIVE_SECONDS * 5L)).pollInterval(Duration.ofMillis(50))
          .until(() -> bridge.sessions().size() == 0);
      long closedAfter = System.currentTimeMillis() - silentFrom;
      for (int i = 0; i < SILENT_DEVICES; i++) {
        Downlink.send(downlinkTopic, "car-halfopen-" + i, bytes("after-close"), "mqtt.topic", "DL/CMD",
            "correlation.id", "halfopen-after-" + i);
      }

      String scrape = Metrics.scrape(bridge.httpPort());
      assertThat(Metrics.value(scrape, "mqtt_bridge_connections", "")).isZero();
      assertThat(Metrics.value(scrape, "mqtt_bridge_connections_closed_total", "reason=\"lost\""))
          .isEqualTo(SILENT_DEVICES);
      // [MQTT-3.1.2-8] closed without DISCONNECT: the Will is published.
      List<String> wills = TestKafka.consume(topic, SILENT_DEVICES, Duration.ofSeconds(20)).stream()
          .map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
      assertThat(wills).hasSize(SILENT_DEVICES);
      // The router learns that they are gone.
      List<ConsumerRecord<String, byte[]>> presence = TestKafka.consumeFor(
          deployment.get("MQTT_BRIDGE_KAFKA_TOPICS_SUBSCRIPTIONS"), Duration.ofSeconds(2));
      for (int i = 0; i < SILENT_DEVICES; i++) {
        String id = "car-halfopen-" + i;
        List<ConsumerRecord<String, byte[]>> own = presence.stream().filter(r -> id.equals(r.key())).toList();
        assertThat(PresenceRecord.fromJson(own.get(own.size() - 1).value()).connected()).as(id).isFalse();
      }
      // Every downlink record has its receipts: delivered then timeout (closed before PUBACK), or offline.
      String receiptsTopic = TestBridge.receiptsTopic(deployment);
      AtomicReference<List<ConsumerRecord<String, byte[]>>> receipts = new AtomicReference<>();
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
        receipts.set(KafkaTopics.readAll(TestKafka.bootstrapServers(), receiptsTopic, Duration.ofSeconds(10)));
        return receipts.get().size() >= SILENT_DEVICES * 3;
      });
      Map<String, List<Status>> byCorrelation = new HashMap<>();
      for (ConsumerRecord<String, byte[]> r : receipts.get()) {
        Receipt receipt = Receipt.fromJson(r.value());
        byCorrelation.computeIfAbsent(receipt.correlationId(), k -> new ArrayList<>()).add(receipt.status());
      }
      Map<Status, Integer> statuses = new EnumMap<>(Status.class);
      byCorrelation.values().forEach(list -> list.forEach(st -> statuses.merge(st, 1, Integer::sum)));
      int withReceipt = 0;
      for (int i = 0; i < SILENT_DEVICES; i++) {
        assertThat(byCorrelation.get("halfopen-before-" + i)).as("receipts of the record sent while silent")
            .containsExactly(Status.DELIVERED, Status.TIMEOUT);
        assertThat(byCorrelation.get("halfopen-after-" + i)).as("receipts of the record sent after the close")
            .containsExactly(Status.OFFLINE);
        withReceipt += 2;
      }
      ReliabilityReport.row("Half-open devices (no FIN, silent, keep-alive " + KEEP_ALIVE_SECONDS + " s), "
              + SILENT_DEVICES + " at once, downlink QoS 1 to them", (SILENT_DEVICES * 2) + " downlink records",
          "0 acked (devices gone)", withReceipt + " with a receipt", SILENT_DEVICES * 2L - withReceipt, "0",
          closedAfter + " ms silent to all closed (limit 1.5 x keep-alive = " + KEEP_ALIVE_SECONDS * 1500 + " ms)",
          "receipts " + statuses + "; " + wills.size() + " Wills published; presence disconnected");
      assertThat(closedAfter).as("closed by keep-alive expiry, not earlier").isGreaterThanOrEqualTo(
          KEEP_ALIVE_SECONDS * 1000L);
    } finally {
      for (RawMqttClient device : devices) {
        device.close();
      }
      bridge.stop();
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
