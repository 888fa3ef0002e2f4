package io.mqttkafka.bridge.mqtt;

import static io.mqttkafka.bridge.testkit.MqttPackets.concat;
import static io.mqttkafka.bridge.testkit.MqttPackets.packet;
import static io.mqttkafka.bridge.testkit.MqttPackets.string;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.testkit.Clients;
import io.mqttkafka.bridge.testkit.Metrics;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.RawMqttClient;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.time.Duration;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bad input as raw bytes, where no client library would send it: each closes only the offending
 * connection, is counted, and a well-behaved client on the same bridge goes on publishing.
 */
class BadInputIT {

  private static final String TOPIC = TestKafka.uniqueTopic("badinput");
  private static Bridge bridge;
  private static MqttAsyncClient good;
  private static int goodSent;

  @BeforeAll
  static void start() throws Exception {
    // Topic Alias Maximum 0: any alias is invalid (TopicAliasTest covers a maximum above 0).
    bridge = TestBridge.start("""
        mqtt:
          maxMessageSize: 1024
          connectTimeout: 1s
          receiveMaximum: 2
          topicAliasMaximum: 0
        mappings:
          uplink:
            - { match: "^UL/(.+)$", topic: "%s" }
        """.formatted(TOPIC));
    good = Clients.v3(bridge.mqttPort(), "good-car");
  }

  @AfterAll
  static void stop() throws Exception {
    assertThat(TestKafka.consume(TOPIC, goodSent, Duration.ofSeconds(20))).hasSize(goodSent);
    good.disconnect().waitForCompletion();
    bridge.stop();
  }

  @AfterEach
  void goodClientIsUnaffected() throws Exception {
    assertThat(good.isConnected()).isTrue();
    good.publish("UL/good", new byte[] {(byte) goodSent}, 1, false).waitForCompletion(10_000);
    goodSent++;
  }

  @Test
  void remainingLengthOfMoreThanFourBytesClosesTheConnection() throws Exception {
    assertClosedAfter("bad-length", new byte[] {0x30, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F});
  }

  @Test
  void wildcardInPublishTopicClosesTheConnection() throws Exception {
    assertClosedAfter("bad-wildcard", MqttPackets.publish("UL/+", new byte[] {1}, 1, 1, false));
    assertClosedAfter("bad-wildcard2", MqttPackets.publish("UL/#", new byte[] {1}, 0, 0, false));
  }

  @Test
  void invalidUtf8InTopicClosesTheConnection() throws Exception {
    byte[] badTopic = {0, 5, 'U', 'L', '/', (byte) 0xC3, 0x28};
    assertClosedAfter("bad-utf8", packet(0x32, concat(badTopic, new byte[] {0, 1}, new byte[] {1})));
  }

  @Test
  void nullCharacterInTopicClosesTheConnection() throws Exception {
    byte[] badTopic = {0, 4, 'U', 'L', '/', 0};
    assertClosedAfter("bad-null", packet(0x30, concat(badTopic, new byte[] {1})));
  }

  @Test
  void packetOverMaxMessageSizeClosesTheConnection() throws Exception {
    assertClosedAfter("bad-size", MqttPackets.publish("UL/big", new byte[2000], 1, 1, false));
  }

  @Test
  void qos3PublishClosesTheConnection() throws Exception {
    assertClosedAfter("bad-qos", packet(0x36, concat(string("UL/q"), new byte[] {0, 1, 1})));
  }

  @Test
  void reservedPacketTypeClosesTheConnection() throws Exception {
    assertClosedAfter("bad-type", new byte[] {0x00, 0x00});
  }

  @Test
  void secondConnectClosesTheConnection() throws Exception {
    // [MQTT-3.1.0-2] counted as bad input since the connection guard checks it before vert.x does.
    assertClosedAfter("bad-reconnect", MqttPackets.connect("bad-reconnect"));
  }

  @Test
  void secondConnectWithAnUnacceptableProtocolVersionLeavesNoSession() throws Exception {
    // Found by FuzzIT (seed 20261122, connection 922): vert.x answered the second CONNECT with CONNACK
    // 0x01 on a new endpoint, and the accepted session was never told that its connection closed.
    byte[] secondConnect = packet(0x10, concat(string("MQTT"), new byte[] {9, 2, 0, 60}, string("bad-version")));
    assertClosedAfter("bad-version", secondConnect);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(bridge.sessions().get("bad-version")).isNull());
  }

  @Test
  void aliasOnlyPublishOnMqtt5IsDisconnectedWithTopicAliasInvalid() throws Exception {
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.send(MqttPackets.connect("bad-alias", 5, null, null, 0, false));
      assertThat(raw.read().body()[1]).isEqualTo((byte) 0);
      // PUBLISH with an empty topic and a Topic Alias property (0x23) of 1.
      raw.send(packet(0x30, concat(string(""), new byte[] {3, 0x23, 0, 1}, new byte[] {1})));
      RawMqttClient.Packet disconnect = raw.read();
      assertThat(disconnect.type()).isEqualTo(RawMqttClient.DISCONNECT);
      assertThat(disconnect.body()[0] & 0xFF).isEqualTo(0x94);
      assertThat(raw.closedByPeer()).isTrue();
    }
  }

  @Test
  void mqtt5ClientExceedingReceiveMaximumIsDisconnected() throws Exception {
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.send(MqttPackets.connect("bad-inflight", 5, null, null, 0, false));
      assertThat(raw.read().body()[1]).isEqualTo((byte) 0);
      // Three QoS 1 PUBLISH packets in one write: the third arrives before Kafka acknowledged the first.
      byte[] noProperties = {0};
      raw.send(concat(
          packet(0x32, concat(string("UL/a"), new byte[] {0, 1}, noProperties, new byte[] {1})),
          packet(0x32, concat(string("UL/a"), new byte[] {0, 2}, noProperties, new byte[] {2})),
          packet(0x32, concat(string("UL/a"), new byte[] {0, 3}, noProperties, new byte[] {3}))));
      RawMqttClient.Packet packet;
      do {
        packet = raw.read();
      } while (packet.type() == RawMqttClient.PUBACK);
      assertThat(packet.type()).isEqualTo(RawMqttClient.DISCONNECT);
      assertThat(packet.body()[0] & 0xFF).isEqualTo(0x93);
    }
    goodSent += 2; // the first two are written to Kafka and counted in stop()
  }

  @Test
  void publishBeforeConnectClosesTheConnection() throws Exception {
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.send(MqttPackets.publish("UL/early", new byte[] {1}, 1, 1, false));
      assertThat(raw.closedByPeer()).isTrue();
    }
  }

  @Test
  void garbageInsteadOfConnectClosesTheConnection() throws Exception {
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      assertThat(raw.closedByPeer()).isTrue();
    }
  }

  @Test
  void connectionWithoutConnectIsClosedAfterConnectTimeout() throws Exception {
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.setTimeoutMillis(5_000);
      assertThat(raw.closedByPeer()).isTrue();
    }
  }

  @Test
  void packetOnlyAServerSendsClosesTheConnection() throws Exception {
    // Found by FuzzIT: vert.x 5.0.8 passed these to the pipeline tail (a WARN with a stack trace)
    // and left the connection open.
    assertClosedAfter("bad-pingresp", new byte[] {(byte) 0xD0, 0});
    assertClosedAfter("bad-connack", new byte[] {0x20, 2, 0, 0});
    assertClosedAfter("bad-suback", new byte[] {(byte) 0x90, 3, 0, 1, 0});
  }

  @Test
  void serverPacketsInsteadOfConnectDoNotKeepTheConnectionOpen() throws Exception {
    // Found by FuzzIT (slow-loris): a PINGRESP every 300 ms reset the CONNECT timeout for ever.
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.setTimeoutMillis(300);
      boolean closed = false;
      for (int i = 0; i < 20 && !closed; i++) {
        try {
          raw.send(new byte[] {(byte) 0xD0, 0});
          closed = raw.closedByPeer();
        } catch (java.io.IOException e) {
          closed = true; // reset: the bridge closed it before this write
        }
      }
      assertThat(closed).as("closed within 20 PINGRESPs").isTrue();
    }
  }

  @Test
  void willQos3ClosesTheConnection() throws Exception {
    // [MQTT-3.1.2-14] Found by FuzzIT: accepted, and publishing the Will failed on close.
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.send(MqttPackets.connect("bad-will", 4, "UL/will", new byte[] {1}, 3, false));
      assertThat(raw.closedByPeer()).isTrue();
    }
  }

  @Test
  void subscribeWithoutTopicFilterClosesTheConnection() throws Exception {
    // [MQTT-3.8.3-3] Found by FuzzIT: answered with an empty SUBACK.
    assertClosedAfter("bad-subscribe", packet(0x82, new byte[] {0, 7}));
  }

  @Test
  void unknownMqtt5ReasonCodeClosesTheConnection() throws Exception {
    // Found by FuzzIT: vert.x 5.0.8 threw IllegalArgumentException and left the connection open.
    assertClosedAfterMqtt5("bad-pubrel-code", packet(0x62, new byte[] {0, 1, 0x05, 0}));
    assertClosedAfterMqtt5("bad-disconnect-code", packet(0xE0, new byte[] {0x7F, 0}));
  }

  @Test
  void authAfterConnectClosesTheConnection() throws Exception {
    // Found by FuzzIT: ignored; the bridge supports no enhanced authentication.
    assertClosedAfterMqtt5("bad-auth", packet(0xF0, concat(new byte[] {0x18, 6, 0x15}, string("abc"))));
  }

  @Test
  void topicAliasOnMqtt5IsDisconnectedWithTopicAliasInvalid() throws Exception {
    // [MQTT-3.3.2-9] CONNACK says Topic Alias Maximum 0. Found by FuzzIT: an alias next to a topic
    // was accepted.
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.send(MqttPackets.connect("bad-alias2", 5, null, null, 0, false));
      assertThat(raw.read().body()[1]).isEqualTo((byte) 0);
      raw.send(packet(0x30, concat(string("UL/alias"), new byte[] {3, 0x23, 0, 1}, new byte[] {1})));
      RawMqttClient.Packet disconnect = raw.read();
      assertThat(disconnect.type()).isEqualTo(RawMqttClient.DISCONNECT);
      assertThat(disconnect.body()[0] & 0xFF).isEqualTo(0x94);
      assertThat(raw.closedByPeer()).isTrue();
    }
  }

  private void assertClosedAfterMqtt5(String clientId, byte[] bad) throws Exception {
    double before = Metrics.value(Metrics.scrape(bridge.httpPort()), "mqtt_bridge_protocol_errors_total", "");
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.send(MqttPackets.connect(clientId, 5, null, null, 0, false));
      assertThat(raw.read().body()[1]).isEqualTo((byte) 0);
      raw.send(bad);
      assertThat(raw.closedByPeer()).as("connection closed").isTrue();
    }
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
        Metrics.value(Metrics.scrape(bridge.httpPort()), "mqtt_bridge_protocol_errors_total", ""))
        .as("counted").isEqualTo(before + 1));
  }

  private void assertClosedAfter(String clientId, byte[] bad) throws Exception {
    double before = Metrics.value(Metrics.scrape(bridge.httpPort()), "mqtt_bridge_protocol_errors_total", "");
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.connected(clientId);
      raw.send(bad);
      assertThat(raw.closedByPeer()).as("connection closed").isTrue();
    }
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
        Metrics.value(Metrics.scrape(bridge.httpPort()), "mqtt_bridge_protocol_errors_total", ""))
        .as("counted").isEqualTo(before + 1));
  }
}
