package io.mqttkafka.bridge.uplink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.devkafka.EmbeddedKafka;
import io.mqttkafka.bridge.testkit.Clients;
import io.mqttkafka.bridge.testkit.Metrics;
import io.mqttkafka.bridge.testsupport.TestBridge;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kafka goes away under the bridge: never a false PUBACK, and delivery resumes when it is back. */
class KafkaOutageIT {

  private static final String TOPIC = "outage";

  @TempDir
  Path dataDir;
  private EmbeddedKafka kafka;
  private Bridge bridge;

  @BeforeEach
  void startKafka() {
    kafka = EmbeddedKafka.start(dataDir, 0, 0);
  }

  @AfterEach
  void stopAll() {
    if (bridge != null) {
      bridge.stop();
    }
    kafka.close();
  }

  @Test
  void qos1GetsNoPubackWhileKafkaIsDownAndGetsItOnceKafkaIsBack() throws Exception {
    bridge = TestBridge.start(mapping(""), kafka.bootstrapServers());
    MqttAsyncClient client = Clients.v3(bridge.mqttPort(), "car-outage");
    client.publish("UL/before", bytes("before"), 1, false).waitForCompletion(10_000);

    kafka.close();
    await().atMost(Duration.ofSeconds(20)).until(() ->
        Metrics.get(bridge.httpPort(), "/health/ready").statusCode() == 503);
    IMqttDeliveryToken during = client.publish("UL/during", bytes("during"), 1, false);
    Thread.sleep(3_000);
    assertThat(during.isComplete()).as("PUBACK while Kafka is down").isFalse();

    kafka = EmbeddedKafka.start(dataDir, kafka.port(), 0);
    during.waitForCompletion(60_000);
    assertThat(during.getException()).isNull();
    assertThat(readAll(kafka.bootstrapServers())).containsExactly("before", "during");
    await().atMost(Duration.ofSeconds(20)).until(() ->
        Metrics.get(bridge.httpPort(), "/health/ready").statusCode() == 200);
    client.disconnect().waitForCompletion();
  }

  @Test
  void whenKafkaStaysDownMqtt5GetsPubackUnspecifiedErrorAndMqtt311IsDisconnected() throws Exception {
    bridge = TestBridge.start(mapping("""
        kafka:
          producer:
            delivery.timeout.ms: 4000
            request.timeout.ms: 2000
        """), kafka.bootstrapServers());
    org.eclipse.paho.mqttv5.client.MqttAsyncClient v5 = Clients.v5(bridge.mqttPort(), "car-v5");
    MqttAsyncClient v3 = Clients.v3(bridge.mqttPort(), "car-v3");
    v5.publish("UL/warm", bytes("warm"), 1, false).waitForCompletion(10_000);

    kafka.close();
    IMqttToken token = v5.publish("UL/lost", bytes("lost"), 1, false);
    IMqttDeliveryToken v3token = v3.publish("UL/lost3", bytes("lost3"), 1, false);
    token.waitForCompletion(30_000);
    assertThat(token.getReasonCodes()).containsExactly(0x80);
    await().atMost(Duration.ofSeconds(30)).until(() -> !v3.isConnected());
    assertThat(v3token.isComplete() && v3token.getException() == null).as("v3 PUBACK").isFalse();
  }

  private static String mapping(String extra) {
    return """
        mappings:
          uplink:
            - { match: "^UL/(.+)$", topic: "%s" }
        """.formatted(TOPIC) + extra;
  }

  private static List<String> readAll(String bootstrap) {
    Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
      TopicPartition partition = new TopicPartition(TOPIC, 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long end = consumer.endOffsets(List.of(partition)).get(partition);
      List<String> values = new java.util.ArrayList<>();
      while (consumer.position(partition) < end) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofSeconds(1))) {
          values.add(new String(r.value(), StandardCharsets.UTF_8));
        }
      }
      return values;
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
