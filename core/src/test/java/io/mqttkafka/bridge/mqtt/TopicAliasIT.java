package io.mqttkafka.bridge.mqtt;

import static io.mqttkafka.bridge.testkit.MqttPackets.concat;
import static io.mqttkafka.bridge.testkit.MqttPackets.packet;
import static io.mqttkafka.bridge.testkit.MqttPackets.string;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.testkit.Clients;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.RawMqttClient;
import io.mqttkafka.bridge.testkit.TestKafka;
import io.mqttkafka.bridge.testsupport.TestBridge;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * MQTT 5 Topic Aliases on real connections: CONNACK advertises mqtt.topicAliasMaximum, an alias-only
 * PUBLISH (empty topic) reaches Kafka under the full topic, and Eclipse Paho 5, which uses aliases as
 * soon as the server allows them, publishes without a hitch.
 */
class TopicAliasIT {

  private static final String TOPIC = TestKafka.uniqueTopic("alias");
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static Bridge bridge;

  @BeforeAll
  static void start() throws Exception {
    bridge = TestBridge.start("""
        mqtt: { topicAliasMaximum: 4 }
        mappings:
          uplink:
            - { match: "^UL/(.+)$", topic: "%s" }
        """.formatted(TOPIC));
  }

  @AfterAll
  static void stop() {
    bridge.stop();
  }

  @Test
  void connackAdvertisesTheMaximumAndAnAliasOnlyPublishIsWrittenUnderItsTopic() throws Exception {
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.send(MqttPackets.connect("alias-raw", 5, null, null, 0, false));
      RawMqttClient.Packet connack = raw.read();
      assertThat(connack.body()[1]).as("accepted").isEqualTo((byte) 0);
      assertThat(connackProperty(connack.body(), 0x22)).as("Topic Alias Maximum").isEqualTo(4);

      // QoS 1 PUBLISH UL/alias-raw/pos with Topic Alias (0x23) 4, then one with the alias alone.
      raw.send(packet(0x32, concat(string("UL/alias-raw/pos"), new byte[] {0, 1}, new byte[] {3, 0x23, 0, 4},
          bytes("first"))));
      raw.send(packet(0x32, concat(string(""), new byte[] {0, 2}, new byte[] {3, 0x23, 0, 4}, bytes("second"))));

      assertThat(List.of(raw.read(), raw.read())).extracting(RawMqttClient.Packet::type, RawMqttClient.Packet::packetId)
          .containsExactly(tuple(RawMqttClient.PUBACK, 1),
              tuple(RawMqttClient.PUBACK, 2));
    }
    List<ConsumerRecord<String, byte[]>> records = TestKafka.consume(TOPIC, Integer.MAX_VALUE, Duration.ofSeconds(2))
        .stream().filter(r -> "alias-raw".equals(r.key())).toList();
    assertThat(records).extracting(r -> text(r.value()), r -> text(r.headers().lastHeader(HeaderNames.TOPIC).value()))
        .containsExactly(tuple("first", "UL/alias-raw/pos"),
            tuple("second", "UL/alias-raw/pos"));
  }

  @Test
  void paho5PublishesWithTheAliasesItChoosesAndEveryRecordNamesTheFullTopic() throws Exception {
    MqttAsyncClient car = Clients.v5(bridge.mqttPort(), "alias-paho");
    for (int i = 0; i < 12; i++) {
      String topic = "UL/alias-paho/" + (i % 6); // more topics than aliases: Paho sends the rest in full
      car.publish(topic, bytes(Integer.toString(i)), 1, false).waitForCompletion(WAIT.toMillis());
    }
    car.disconnect().waitForCompletion(WAIT.toMillis());

    List<ConsumerRecord<String, byte[]>> records = TestKafka.consume(TOPIC, Integer.MAX_VALUE, Duration.ofSeconds(2))
        .stream().filter(r -> "alias-paho".equals(r.key())).toList();
    assertThat(records).hasSize(12);
    for (int i = 0; i < 12; i++) {
      assertThat(text(records.get(i).headers().lastHeader(HeaderNames.TOPIC).value()))
          .isEqualTo("UL/alias-paho/" + (i % 6));
      assertThat(text(records.get(i).value())).isEqualTo(Integer.toString(i));
    }
  }

  /** The value of a two-byte CONNACK property. */
  private static int connackProperty(byte[] body, int id) {
    int i = 3; // flags, reason code, then a one-byte properties length (enough for the bridge's)
    int end = 3 + body[2];
    while (i < end) {
      int property = body[i++] & 0xFF;
      int size = switch (property) {
        case 0x11, 0x27 -> 4;
        case 0x13, 0x21, 0x22 -> 2;
        default -> 1;
      };
      if (property == id) {
        return ((body[i] & 0xFF) << 8) | (body[i + 1] & 0xFF);
      }
      i += size;
    }
    throw new AssertionError("no CONNACK property " + id);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
