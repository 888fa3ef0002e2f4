package io.mqttkafka.bridge.uplink;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.testkit.Clients;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.RawMqttClient;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** PUBLISH -> Kafka record: mapping, key, headers, payload, order, QoS 1 and 2 acknowledgements. */
class UplinkIT {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String BASE = TestKafka.uniqueTopic("uplink");
  private static final String ORDER = TestKafka.uniqueTopic("order");
  private static final String MULTI = TestKafka.uniqueTopic("multi");
  private static final String TPL = TestKafka.uniqueTopic("tpl");
  private static Bridge bridge;

  @BeforeAll
  static void start() throws Exception {
    bridge = TestBridge.start("""
        mappings:
          uplink:
            - { match: "^order/.+$", topic: "%s" }
            - { match: "^(temp|pressure)$", topic: "%s" }
            - { match: "^tpl/([^/]+)/(.+)$", topic: "%s-$1", key: "${clientId}:$2" }
            - { match: "^UL/(.+)$", topic: "%s" }
            - { match: "^UL/never$", topic: "never-used" }
        """.formatted(ORDER, MULTI, TPL, BASE));
  }

  @AfterAll
  static void stop() {
    bridge.stop();
  }

  @Test
  void qos0PublishBecomesARecordWithKeyHeadersAndUnchangedPayload() throws Exception {
    MqttAsyncClient client = Clients.v3(bridge.mqttPort(), "car-qos0");
    byte[] payload = {0, 1, 2, (byte) 0xFF, 'x'};
    client.publish("UL/POS", payload, 0, false);

    ConsumerRecord<String, byte[]> record = only(TestKafka.consume(BASE, 100, Duration.ofSeconds(5)), "car-qos0");
    assertThat(record.value()).isEqualTo(payload);
    assertThat(header(record, "mqtt.topic")).isEqualTo("UL/POS");
    assertThat(header(record, "mqtt.qos")).isEqualTo("0");
    assertThat(header(record, "mqtt.client.id")).isEqualTo("car-qos0");
    assertThat(record.headers().lastHeader("mqtt.retain")).isNull();
    client.disconnect().waitForCompletion();
  }

  @Test
  void retainFlagIsCarriedAsHeader() throws Exception {
    MqttAsyncClient client = Clients.v3(bridge.mqttPort(), "car-retain");
    client.publish("temp", "21.5".getBytes(StandardCharsets.UTF_8), 1, true).waitForCompletion(10_000);
    ConsumerRecord<String, byte[]> record = only(TestKafka.consume(MULTI, 10, Duration.ofSeconds(3)), "car-retain");
    assertThat(header(record, "mqtt.retain")).isEqualTo("true");
    assertThat(header(record, "mqtt.qos")).isEqualTo("1");
    client.disconnect().waitForCompletion();
  }

  @Test
  void firstMatchingRuleWinsAndSeveralTopicsShareOneKafkaTopic() throws Exception {
    MqttAsyncClient client = Clients.v3(bridge.mqttPort(), "car-multi");
    client.publish("temp", "t".getBytes(StandardCharsets.UTF_8), 1, false).waitForCompletion(10_000);
    client.publish("pressure", "p".getBytes(StandardCharsets.UTF_8), 1, false).waitForCompletion(10_000);

    List<ConsumerRecord<String, byte[]>> records = TestKafka.consume(MULTI, 3, Duration.ofSeconds(5)).stream()
        .filter(r -> "car-multi".equals(r.key())).toList();
    assertThat(records).extracting(r -> header(r, "mqtt.topic")).containsExactly("temp", "pressure");
    // "UL/never" matches rule 3 first, so the later, more specific rule never wins.
    client.publish("UL/never", new byte[] {1}, 1, false).waitForCompletion(10_000);
    assertThat(TestKafka.consume(BASE, 100, Duration.ofSeconds(3)))
        .anySatisfy(r -> assertThat(header(r, "mqtt.topic")).isEqualTo("UL/never"));
    client.disconnect().waitForCompletion();
  }

  @Test
  void groupsAndClientIdFillTopicAndKeyTemplates() throws Exception {
    MqttAsyncClient client = Clients.v3(bridge.mqttPort(), "car-tpl");
    client.publish("tpl/engine/rpm/1", "3000".getBytes(StandardCharsets.UTF_8), 1, false).waitForCompletion(10_000);

    List<ConsumerRecord<String, byte[]>> records = TestKafka.consume(TPL + "-engine", 1, WAIT);
    assertThat(records).hasSize(1);
    assertThat(records.get(0).key()).isEqualTo("car-tpl:rpm/1");
    assertThat(header(records.get(0), "mqtt.topic")).isEqualTo("tpl/engine/rpm/1");
    client.disconnect().waitForCompletion();
  }

  @Test
  void qos1MessagesOfOneClientKeepTheirOrder() throws Exception {
    MqttAsyncClient client = Clients.v3(bridge.mqttPort(), "car-order");
    int count = 500;
    List<IMqttDeliveryToken> tokens = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      // Alternate topics: both map to the same Kafka topic and key, so to one partition.
      tokens.add(client.publish("order/" + (i % 2), Integer.toString(i).getBytes(StandardCharsets.UTF_8), 1, false));
    }
    for (IMqttDeliveryToken token : tokens) {
      token.waitForCompletion(10_000);
    }
    List<ConsumerRecord<String, byte[]>> records = TestKafka.consume(ORDER, count, WAIT);
    assertThat(records).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
        .containsExactlyElementsOf(java.util.stream.IntStream.range(0, count).mapToObj(Integer::toString).toList());
    client.disconnect().waitForCompletion();
  }

  @Test
  void mqtt5UserPropertiesBecomeHeadersButCannotForgeTheBridgesOwn() throws Exception {
    org.eclipse.paho.mqttv5.client.MqttAsyncClient client = Clients.v5(bridge.mqttPort(), "car-props");
    MqttMessage message = new MqttMessage("p".getBytes(StandardCharsets.UTF_8), 1, false, null);
    MqttProperties properties = new MqttProperties();
    properties.setUserProperties(List.of(new UserProperty("trip", "42"), new UserProperty("mqtt.client.id", "other")));
    message.setProperties(properties);
    client.publish("tpl/props/x", message).waitForCompletion(10_000);

    ConsumerRecord<String, byte[]> record = TestKafka.consume(TPL + "-props", 1, WAIT).get(0);
    assertThat(header(record, "trip")).isEqualTo("42");
    assertThat(record.headers().headers("mqtt.client.id")).extracting(h -> new String(h.value(), StandardCharsets.UTF_8))
        .containsExactly("car-props");
    client.disconnect().waitForCompletion();
  }

  @Test
  void qos2ResentPacketIdIsWrittenOnceAndAFreshUseOfTheIdAgain() throws Exception {
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.connected("car-qos2");
      byte[] first = "first".getBytes(StandardCharsets.UTF_8);
      raw.send(MqttPackets.publish("tpl/qos2/a", first, 2, 7, false));
      raw.send(MqttPackets.publish("tpl/qos2/a", first, 2, 7, true));
      RawMqttClient.Packet pubrec = raw.read();
      assertThat(pubrec.type()).isEqualTo(RawMqttClient.PUBREC);
      assertThat(pubrec.packetId()).isEqualTo(7);
      // Resent after PUBREC, before PUBREL: still the same message, PUBREC again.
      raw.send(MqttPackets.publish("tpl/qos2/a", first, 2, 7, true));
      assertThat(raw.read().type()).isEqualTo(RawMqttClient.PUBREC);
      raw.send(MqttPackets.pubrel(7));
      RawMqttClient.Packet pubcomp = raw.read();
      assertThat(pubcomp.type()).isEqualTo(RawMqttClient.PUBCOMP);
      assertThat(pubcomp.packetId()).isEqualTo(7);
      // After PUBCOMP the id is free: a new message with it is a new record.
      raw.send(MqttPackets.publish("tpl/qos2/a", "second".getBytes(StandardCharsets.UTF_8), 2, 7, false));
      assertThat(raw.read().type()).isEqualTo(RawMqttClient.PUBREC);
    }
    List<ConsumerRecord<String, byte[]>> records = TestKafka.consumeFor(TPL + "-qos2", Duration.ofSeconds(3));
    assertThat(records).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
        .containsExactly("first", "second");
  }

  @Test
  void willIsProducedWhenTheConnectionDropsWithoutDisconnect() throws Exception {
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.send(MqttPackets.connect("car-will", 4, "tpl/will/status", "gone".getBytes(StandardCharsets.UTF_8), 1,
          true));
      assertThat(raw.read().type()).isEqualTo(RawMqttClient.CONNACK);
    }
    ConsumerRecord<String, byte[]> record = TestKafka.consume(TPL + "-will", 1, WAIT).get(0);
    assertThat(new String(record.value(), StandardCharsets.UTF_8)).isEqualTo("gone");
    assertThat(header(record, "mqtt.topic")).isEqualTo("tpl/will/status");
    assertThat(header(record, "mqtt.retain")).isEqualTo("true");
    assertThat(record.key()).isEqualTo("car-will:status");
  }

  @Test
  void willIsDiscardedOnDisconnect() throws Exception {
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.send(MqttPackets.connect("car-nowill", 4, "tpl/nowill/status", new byte[] {1}, 0, false));
      assertThat(raw.read().type()).isEqualTo(RawMqttClient.CONNACK);
      raw.send(MqttPackets.disconnect());
      assertThat(raw.closedByPeer()).isTrue();
    }
    assertThat(TestKafka.consumeFor(TPL + "-nowill", Duration.ofSeconds(3))).isEmpty();
  }

  static ConsumerRecord<String, byte[]> only(List<ConsumerRecord<String, byte[]>> records, String key) {
    List<ConsumerRecord<String, byte[]>> matching = records.stream().filter(r -> key.equals(r.key())).toList();
    assertThat(matching).hasSize(1);
    return matching.get(0);
  }

  static String header(ConsumerRecord<String, byte[]> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }
}
