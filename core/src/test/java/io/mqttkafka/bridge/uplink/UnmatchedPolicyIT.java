package io.mqttkafka.bridge.uplink;

import static io.mqttkafka.bridge.uplink.UplinkIT.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.testkit.Clients;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.RawMqttClient;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.junit.jupiter.api.Test;

/** mappings.unmatched: reject (the default), deadletter, drop. */
class UnmatchedPolicyIT {

  private static final String MAPPED = "^UL/(.+)$";

  @Test
  void rejectGivesMqtt5PubackTopicNameInvalidAndKeepsTheConnection() throws Exception {
    Bridge bridge = start("reject");
    try {
      org.eclipse.paho.mqttv5.client.MqttAsyncClient client = Clients.v5(bridge.mqttPort(), "car-reject5");
      IMqttToken token = client.publish("other/x", "p".getBytes(StandardCharsets.UTF_8), 1, false);
      token.waitForCompletion(10_000);
      assertThat(token.getReasonCodes()).containsExactly(0x90);
      assertThat(client.isConnected()).isTrue();
      client.disconnect().waitForCompletion();
    } finally {
      bridge.stop();
    }
  }

  @Test
  void rejectDisconnectsMqtt311ClientsWithoutPuback() throws Exception {
    Bridge bridge = start("reject");
    try {
      MqttAsyncClient client = Clients.v3(bridge.mqttPort(), "car-reject3");
      IMqttDeliveryToken token = client.publish("other/x", new byte[] {1}, 1, false);
      await().atMost(Duration.ofSeconds(10)).until(() -> !client.isConnected());
      assertThat(token.isComplete() && token.getException() == null).as("PUBACK").isFalse();
    } finally {
      bridge.stop();
    }
  }

  @Test
  void rejectOfAQos0PublishDisconnectsMqtt5WithTopicNameInvalid() throws Exception {
    Bridge bridge = start("reject");
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.send(MqttPackets.connect("car-reject0", 5, null, null, 0, false));
      assertThat(raw.read().body()[1]).isEqualTo((byte) 0);
      raw.send(MqttPackets.packet(0x30, MqttPackets.concat(MqttPackets.string("other/x"), new byte[] {0, 1})));
      RawMqttClient.Packet disconnect = raw.read();
      assertThat(disconnect.type()).isEqualTo(RawMqttClient.DISCONNECT);
      assertThat(disconnect.body()[0] & 0xFF).isEqualTo(0x90);
    } finally {
      bridge.stop();
    }
  }

  @Test
  void deadletterWritesTheMessageToTheDeadLetterTopicAndAcknowledges() throws Exception {
    Map<String, String> deployment = TestBridge.isolated();
    Bridge bridge = TestBridge.start(yaml("deadletter", TestKafka.uniqueTopic("mapped")), deployment);
    try {
      MqttAsyncClient client = Clients.v3(bridge.mqttPort(), "car-dead");
      client.publish("other/x", "lost?".getBytes(StandardCharsets.UTF_8), 1, false).waitForCompletion(10_000);
      List<ConsumerRecord<String, byte[]>> records = TestKafka.consume(
          deployment.get("MQTT_BRIDGE_KAFKA_TOPICS_DEAD_LETTER"), 1, Duration.ofSeconds(20));
      assertThat(records).hasSize(1);
      assertThat(records.get(0).key()).isEqualTo("car-dead");
      assertThat(records.get(0).value()).isEqualTo("lost?".getBytes(StandardCharsets.UTF_8));
      assertThat(header(records.get(0), "mqtt.topic")).isEqualTo("other/x");
      assertThat(header(records.get(0), "mqtt.client.id")).isEqualTo("car-dead");
      assertThat(header(records.get(0), "reason")).isEqualTo("unmatched");
      client.disconnect().waitForCompletion();
    } finally {
      bridge.stop();
    }
  }

  @Test
  void dropAcknowledgesAndWritesNothing() throws Exception {
    Map<String, String> deployment = TestBridge.isolated();
    String mapped = TestKafka.uniqueTopic("drop-mapped");
    Bridge bridge = TestBridge.start(yaml("drop", mapped), deployment);
    try {
      MqttAsyncClient client = Clients.v3(bridge.mqttPort(), "car-drop");
      IMqttDeliveryToken token = client.publish("other/x", new byte[] {1}, 1, false);
      token.waitForCompletion(10_000);
      assertThat(token.getException()).isNull();
      client.publish("UL/kept", new byte[] {2}, 1, false).waitForCompletion(10_000);
      assertThat(TestKafka.consume(mapped, 1, Duration.ofSeconds(20))).hasSize(1);
      assertThat(TestKafka.consumeFor(deployment.get("MQTT_BRIDGE_KAFKA_TOPICS_DEAD_LETTER"), Duration.ofSeconds(2)))
          .isEmpty();
      client.disconnect().waitForCompletion();
    } finally {
      bridge.stop();
    }
  }

  private static Bridge start(String policy) throws Exception {
    return TestBridge.start(yaml(policy, TestKafka.uniqueTopic("mapped")));
  }

  private static String yaml(String policy, String mappedTopic) {
    return """
        mappings:
          uplink:
            - { match: "%s", topic: "%s" }
          unmatched: %s
        """.formatted(MAPPED, mappedTopic, policy);
  }
}
