package io.mqttkafka.bridge.http;

import static io.mqttkafka.bridge.testkit.Metrics.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.testkit.Clients;
import io.mqttkafka.bridge.testsupport.Downlink;
import io.mqttkafka.bridge.testkit.Metrics;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.RawMqttClient;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testkit.TestKafka;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.junit.jupiter.api.Test;

/** /metrics after real traffic moves by exactly what happened; /health answers as documented. */
class MetricsIT {

  @Test
  void countersMoveByTheTrafficThatWasSent() throws Exception {
    Map<String, String> deployment = TestBridge.isolated();
    String topic = TestKafka.uniqueTopic("metrics");
    Bridge bridge = TestBridge.start("""
        mappings:
          uplink:
            - { match: "^UL/(.+)$", topic: "%s" }
        """.formatted(topic), deployment);
    try {
      MqttAsyncClient v3 = Clients.v3(bridge.mqttPort(), "car-metrics");
      for (int i = 0; i < 3; i++) {
        v3.publish("UL/a", new byte[10], 1, false).waitForCompletion(10_000);
      }
      v3.publish("UL/b", new byte[7], 0, false);
      v3.publish("UL/b", new byte[7], 0, false);
      org.eclipse.paho.mqttv5.client.MqttAsyncClient v5 = Clients.v5(bridge.mqttPort(), "car-metrics5");
      v5.publish("elsewhere", new byte[1], 1, false).waitForCompletion(10_000); // rejected: 0x90
      try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
        raw.send(MqttPackets.connect("")); // refused: empty client id
        raw.read();
      }
      Downlink.send(TestBridge.downlinkTopic(deployment), "car-nobody", new byte[] {1}, "mqtt.topic", "DL/X");
      assertThat(TestKafka.consume(topic, 5, Duration.ofSeconds(20))).hasSize(5);

      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        String m = Metrics.scrape(bridge.httpPort());
        assertThat(value(m, "mqtt_bridge_uplink_messages_total", "qos=\"1\",outcome=\"produced\"")).isEqualTo(3);
        assertThat(value(m, "mqtt_bridge_uplink_messages_total", "qos=\"0\",outcome=\"produced\"")).isEqualTo(2);
        assertThat(value(m, "mqtt_bridge_uplink_messages_total", "qos=\"1\",outcome=\"rejected\"")).isEqualTo(1);
        assertThat(value(m, "mqtt_bridge_uplink_bytes_sum", "")).isEqualTo(44);
        assertThat(value(m, "mqtt_bridge_uplink_bytes_count", "")).isEqualTo(5);
        assertThat(value(m, "mqtt_bridge_uplink_latency_seconds_count", "")).isEqualTo(5);
        // Per rule by name (an unnamed rule is rule-<position>), not by index any more.
        assertThat(value(m, "mqtt_bridge_uplink_rule_messages_total", "rule=\"rule-0\",outcome=\"written\""))
            .isEqualTo(5);
        assertThat(value(m, "mqtt_bridge_uplink_rule_messages_total", "rule=\"rule-0\",outcome=\"matched\""))
            .isEqualTo(5);
        assertThat(value(m, "mqtt_bridge_connections_opened_total", "")).isEqualTo(2);
        assertThat(value(m, "mqtt_bridge_connections", "")).isEqualTo(2);
        assertThat(value(m, "mqtt_bridge_connections_refused_total", "reason=\"client_id_invalid\"")).isEqualTo(1);
        assertThat(value(m, "mqtt_bridge_downlink_messages_total", "outcome=\"offline\"")).isEqualTo(1);
        assertThat(value(m, "mqtt_bridge_router_partitions", "")).isEqualTo(3);
        assertThat(m).contains("kafka_producer_", "jvm_memory_used_bytes", "vertx_net_server_");
        // Off: a counter look-up per downlink message for what the mqtt_bridge_downlink_* meters show.
        assertThat(m).doesNotContain("vertx_eventbus_");
      });
      v3.disconnect().waitForCompletion();
      v5.disconnect().waitForCompletion();
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
          value(Metrics.scrape(bridge.httpPort()), "mqtt_bridge_connections_closed_total", "reason=\"disconnect\""))
          .isEqualTo(2));
    } finally {
      bridge.stop();
    }
  }

  @Test
  void healthEndpointsAnswerWithJson() throws Exception {
    Bridge bridge = TestBridge.start("");
    try {
      HttpResponse<String> live = Metrics.get(bridge.httpPort(), "/health/live");
      assertThat(live.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(live.body()).getString("status")).isEqualTo("UP");
      await().atMost(Duration.ofSeconds(30)).until(() -> Metrics.get(bridge.httpPort(), "/health/ready")
          .statusCode() == 200);
      JsonObject ready = new JsonObject(Metrics.get(bridge.httpPort(), "/health/ready").body());
      assertThat(ready.getJsonObject("checks").getMap()).containsOnlyKeys("mqtt", "kafka", "router")
          .allSatisfy((name, status) -> assertThat(status).isEqualTo("UP"));
    } finally {
      bridge.stop();
    }
  }
}
