package io.mqttkafka.bridge.mqtt;

import static io.mqttkafka.bridge.testkit.MqttPackets.concat;
import static io.mqttkafka.bridge.testkit.MqttPackets.packet;
import static io.mqttkafka.bridge.testkit.MqttPackets.string;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.testkit.Metrics;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.RawMqttClient;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * mqtt.limits against a real bridge, with raw MQTT 3.1.1 and 5 packets: what the client is told, and
 * what is counted. Each test starts its own bridge with the limit it needs.
 */
class LimitsIT {

  private static final String LIMIT = "mqtt_bridge_limit_rejections_total";
  private static final byte[] NO_PROPERTIES = {0};
  private final String topic = TestKafka.uniqueTopic("limits");
  private Bridge bridge;

  @AfterEach
  void stop() {
    if (bridge != null) {
      bridge.stop();
    }
  }

  private void start(String limits) throws Exception {
    bridge = TestBridge.start("""
        mqtt:
          limits: %s
        mappings:
          uplink:
            - { match: "^UL/(.+)$", topic: "%s" }
        """.formatted(limits, topic));
  }

  @Test
  void connectBeyondMaxConnectionsIsRefusedAcrossAllEventLoopsAndASlotFreesOnClose() throws Exception {
    // Two verticles (TestBridge runs mqtt.instances 2) take turns accepting: a count per verticle would let 4 in.
    start("{ maxConnections: 2, connectRate: 0 }");
    RawMqttClient first = new RawMqttClient(bridge.mqttPort()).connected("car-1");
    RawMqttClient second = new RawMqttClient(bridge.mqttPort()).connected("car-2");
    try {
      assertThat(connackCode(MqttPackets.connect("car-3", 5, null, null, 0, false))).isEqualTo(0x97);
      assertThat(connackCode(MqttPackets.connect("car-3"))).isEqualTo(0x03);
      assertThat(connackCode(MqttPackets.connect("car-4"))).isEqualTo(0x03);

      first.close();
      await().atMost(Duration.ofSeconds(10)).until(() -> connackCode(MqttPackets.connect("car-5")) == 0);
      String scrape = Metrics.scrape(bridge.httpPort());
      assertThat(Metrics.value(scrape, LIMIT, "limit=\"max_connections\"")).isGreaterThanOrEqualTo(3);
      assertThat(Metrics.value(scrape, "mqtt_bridge_connections_refused_total", "reason=\"max_connections\""))
          .isGreaterThanOrEqualTo(3);
    } finally {
      second.close();
    }
  }

  @Test
  void connectsFasterThanTheRateAreRefusedWithConnectionRateExceeded() throws Exception {
    start("{ connectRate: 1, connectBurst: 3 }");
    // Ten CONNECTs written at once: the burst of 3 gets in, the rest is refused (1 more per second).
    List<RawMqttClient> clients = new ArrayList<>();
    List<Integer> codes = new ArrayList<>();
    try {
      for (int i = 0; i < 10; i++) {
        RawMqttClient raw = new RawMqttClient(bridge.mqttPort());
        clients.add(raw);
        raw.send(MqttPackets.connect("storm-" + i, i % 2 == 0 ? 5 : 4, null, null, 0, false));
      }
      for (int i = 0; i < 10; i++) {
        RawMqttClient.Packet connack = clients.get(i).read();
        assertThat(connack.type()).isEqualTo(RawMqttClient.CONNACK);
        codes.add(connack.body()[1] & 0xFF);
      }
    } finally {
      for (RawMqttClient raw : clients) {
        raw.close();
      }
    }
    long accepted = codes.stream().filter(c -> c == 0).count();
    assertThat(accepted).as("codes %s", codes).isBetween(3L, 5L);
    for (int i = 0; i < 10; i++) {
      if (codes.get(i) != 0) {
        assertThat(codes.get(i)).as("refusal of CONNECT %d (%s)", i, i % 2 == 0 ? "v5" : "v3.1.1")
            .isEqualTo(i % 2 == 0 ? 0x9F : 0x03);
      }
    }
    assertThat(Metrics.value(Metrics.scrape(bridge.httpPort()), LIMIT, "limit=\"connect_rate\""))
        .isEqualTo(10 - accepted);
  }

  @Test
  void publishToATopicBeyondTheLimitsGetsPubackTopicNameInvalidOnMqtt5() throws Exception {
    start("{ maxTopicLength: 20, maxTopicLevels: 3 }");
    try (RawMqttClient raw = connectV5("car-topic5")) {
      raw.send(publishV5("UL/" + "x".repeat(18), 1, 1)); // 21 bytes
      assertThat(pubackCode(raw.read(), 1)).isEqualTo(0x90);
      raw.send(publishV5("UL/a/b/c", 1, 2)); // 4 levels
      assertThat(pubackCode(raw.read(), 2)).isEqualTo(0x90);
      raw.send(publishV5("UL/" + "x".repeat(17), 1, 3)); // exactly 20 bytes, 2 levels
      assertThat(pubackCode(raw.read(), 3)).isEqualTo(0x00);
      raw.send(publishV5("UL/ü/" + "x".repeat(14), 1, 4)); // 19 chars, 20 bytes
      assertThat(pubackCode(raw.read(), 4)).isEqualTo(0x00);
      raw.send(publishV5("UL/ü/" + "x".repeat(15), 1, 5)); // 20 chars, 21 bytes
      assertThat(pubackCode(raw.read(), 5)).isEqualTo(0x90);

      // QoS 0 has no PUBACK to say it: DISCONNECT 0x90.
      raw.send(publishV5("UL/a/b/c", 0, 0));
      RawMqttClient.Packet disconnect = raw.read();
      assertThat(disconnect.type()).isEqualTo(RawMqttClient.DISCONNECT);
      assertThat(disconnect.body()[0] & 0xFF).isEqualTo(0x90);
      assertThat(raw.closedByPeer()).isTrue();
    }
    assertThat(TestKafka.consume(topic, 2, Duration.ofSeconds(20))).hasSize(2);
    String scrape = Metrics.scrape(bridge.httpPort());
    assertThat(Metrics.value(scrape, LIMIT, "limit=\"topic_length\"")).isEqualTo(2);
    assertThat(Metrics.value(scrape, LIMIT, "limit=\"topic_levels\"")).isEqualTo(2);
  }

  @Test
  void publishToATopicBeyondTheLimitsClosesAnMqtt311Connection() throws Exception {
    start("{ maxTopicLength: 20, maxTopicLevels: 3 }");
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort()).connected("car-topic3")) {
      raw.send(MqttPackets.publish("UL/" + "x".repeat(18), new byte[] {1}, 1, 1, false));
      assertThat(raw.closedByPeer()).as("closed without PUBACK").isTrue();
    }
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort()).connected("car-levels3")) {
      raw.send(MqttPackets.publish("UL/a/b/c", new byte[] {1}, 0, 0, false));
      assertThat(raw.closedByPeer()).isTrue();
    }
    String scrape = Metrics.scrape(bridge.httpPort());
    assertThat(Metrics.value(scrape, LIMIT, "limit=\"topic_length\"")).isEqualTo(1);
    assertThat(Metrics.value(scrape, LIMIT, "limit=\"topic_levels\"")).isEqualTo(1);
  }

  @Test
  void aWillWhoseTopicBreaksTheLimitsIsNotPublishedAndCounted() throws Exception {
    start("{ maxTopicLength: 20, maxTopicLevels: 3 }");
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.send(MqttPackets.connect("car-will-long", 4, "UL/" + "w".repeat(18), new byte[] {1}, 1, false));
      assertThat(raw.read().type()).isEqualTo(RawMqttClient.CONNACK);
    } // closed without DISCONNECT: the Will is due
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.send(MqttPackets.connect("car-will-ok", 4, "UL/will", new byte[] {2}, 1, false));
      assertThat(raw.read().type()).isEqualTo(RawMqttClient.CONNACK);
    }
    // The Will within the limits arrives; the other was refused, counted, and is not there.
    await().atMost(Duration.ofSeconds(20)).until(() -> !TestKafka.consume(topic, 1, Duration.ofMillis(500)).isEmpty());
    assertThat(TestKafka.consume(topic, 2, Duration.ofSeconds(2))).extracting(r -> r.headers().lastHeader("mqtt.topic"))
        .extracting(h -> new String(h.value(), java.nio.charset.StandardCharsets.UTF_8)).containsExactly("UL/will");
    await().atMost(Duration.ofSeconds(10)).until(() ->
        Metrics.value(Metrics.scrape(bridge.httpPort()), LIMIT, "limit=\"topic_length\"") == 1);
  }

  @Test
  void subscribeFiltersBeyondTheLimitsAreRefusedOneByOne() throws Exception {
    start("{ maxTopicLength: 20, maxTopicLevels: 3 }");
    try (RawMqttClient raw = connectV5("car-sub5")) {
      raw.send(packet(0x82, concat(new byte[] {0, 7}, NO_PROPERTIES, string("DL/a/b/c"), new byte[] {1},
          string("DL/#"), new byte[] {1}, string("DL/" + "y".repeat(18)), new byte[] {0})));
      RawMqttClient.Packet suback = raw.read();
      assertThat(suback.type()).isEqualTo(RawMqttClient.SUBACK);
      // packet id, property length 0, then one code per filter
      assertThat(codes(suback, 3)).containsExactly(0x8F, 0x01, 0x8F);
    }
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort()).connected("car-sub3")) {
      raw.send(packet(0x82, concat(new byte[] {0, 8}, string("DL/x"), new byte[] {0},
          string("DL/a/b/c"), new byte[] {1})));
      RawMqttClient.Packet suback = raw.read();
      assertThat(suback.type()).isEqualTo(RawMqttClient.SUBACK);
      assertThat(codes(suback, 2)).containsExactly(0x00, 0x80);
    }
    String scrape = Metrics.scrape(bridge.httpPort());
    assertThat(Metrics.value(scrape, LIMIT, "limit=\"topic_levels\"")).isEqualTo(2);
    assertThat(Metrics.value(scrape, LIMIT, "limit=\"topic_length\"")).isEqualTo(1);
  }

  @Test
  void publishingFasterThanThePublishRateDisconnects() throws Exception {
    start("{ publishRate: 1, publishBurst: 5 }");
    try (RawMqttClient raw = connectV5("car-rate5")) {
      raw.send(burst(20, true));
      RawMqttClient.Packet disconnect = raw.read();
      assertThat(disconnect.type()).isEqualTo(RawMqttClient.DISCONNECT);
      assertThat(disconnect.body()[0] & 0xFF).as("Message rate too high").isEqualTo(0x96);
      assertThat(raw.closedByPeer()).isTrue();
    }
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort()).connected("car-rate3")) {
      raw.send(burst(20, false));
      assertThat(raw.closedByPeer()).isTrue();
    }
    // Within the burst: nothing happens; PINGREQ is answered.
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort()).connected("car-calm")) {
      raw.send(burst(5, false));
      raw.send(new byte[] {(byte) 0xC0, 0});
      assertThat(raw.read().type()).as("PINGRESP").isEqualTo(13);
    }
    assertThat(Metrics.value(Metrics.scrape(bridge.httpPort()), LIMIT, "limit=\"publish_rate\"")).isEqualTo(2);
    assertThat(Metrics.value(Metrics.scrape(bridge.httpPort()), "mqtt_bridge_connections_closed_total",
        "reason=\"limit\"")).isEqualTo(2);
  }

  @Test
  void mqtt5KeepAliveAboveTheMaximumOrZeroIsReplacedInConnackAndEnforced() throws Exception {
    start("{ maxKeepAlive: 2s, minKeepAlive: 1s }");
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.send(MqttPackets.connect("car-ka0", 5, null, null, 0, false, 0));
      Map<Integer, Long> properties = connackProperties(raw.read());
      assertThat(properties).containsEntry(0x13, 2L).containsKey(0x21); // Server Keep Alive, Receive Maximum
      // Silent from now on: closed after 1.5 x 2 s, although the client asked for no keep-alive.
      assertThat(raw.closedByPeer()).isTrue();
    }
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.send(MqttPackets.connect("car-ka60", 5, null, null, 0, false, 60));
      assertThat(connackProperties(raw.read())).containsEntry(0x13, 2L);
    }
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.send(MqttPackets.connect("car-ka2", 5, null, null, 0, false, 2));
      assertThat(connackProperties(raw.read())).doesNotContainKey(0x13);
    }
    assertThat(Metrics.value(Metrics.scrape(bridge.httpPort()), "mqtt_bridge_keepalive_adjusted_total",
        "bound=\"max\"")).isEqualTo(2);
  }

  @Test
  void mqtt311KeepAliveZeroIsSilentlyBoundedByTheMaximum() throws Exception {
    start("{ maxKeepAlive: 2s }");
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.send(MqttPackets.connect("car-ka3", 0));
      RawMqttClient.Packet connack = raw.read();
      assertThat(connack.body()).containsExactly(0, 0);
      assertThat(raw.closedByPeer()).as("closed after 1.5 x 2 s of silence").isTrue();
    }
    assertThat(Metrics.value(Metrics.scrape(bridge.httpPort()), "mqtt_bridge_keepalive_adjusted_total",
        "bound=\"max\"")).isEqualTo(1);
  }

  private int connackCode(byte[] connect) throws Exception {
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.send(connect);
      RawMqttClient.Packet connack = raw.read();
      assertThat(connack.type()).isEqualTo(RawMqttClient.CONNACK);
      return connack.body()[1] & 0xFF;
    }
  }

  private RawMqttClient connectV5(String clientId) throws Exception {
    RawMqttClient raw = new RawMqttClient(bridge.mqttPort());
    raw.send(MqttPackets.connect(clientId, 5, null, null, 0, false));
    assertThat(raw.read().body()[1]).isEqualTo((byte) 0);
    return raw;
  }

  private static byte[] publishV5(String topic, int qos, int packetId) {
    byte[] id = qos > 0 ? new byte[] {(byte) (packetId >> 8), (byte) packetId} : new byte[0];
    return packet(0x30 | (qos << 1), concat(string(topic), id, NO_PROPERTIES, new byte[] {1}));
  }

  private static byte[] burst(int count, boolean v5) {
    byte[] all = new byte[0];
    for (int i = 0; i < count; i++) {
      all = concat(all, v5 ? publishV5("UL/fast", 0, 0) : MqttPackets.publish("UL/fast", new byte[] {1}, 0, 0, false));
    }
    return all;
  }

  private static int pubackCode(RawMqttClient.Packet puback, int packetId) {
    assertThat(puback.type()).isEqualTo(RawMqttClient.PUBACK);
    assertThat(puback.packetId()).isEqualTo(packetId);
    return puback.body().length > 2 ? puback.body()[2] & 0xFF : 0;
  }

  /** The reason codes at the end of a SUBACK. */
  private static List<Integer> codes(RawMqttClient.Packet suback, int count) {
    byte[] body = suback.body();
    List<Integer> codes = new ArrayList<>();
    for (int i = body.length - count; i < body.length; i++) {
      codes.add(body[i] & 0xFF);
    }
    return codes;
  }

  /** The properties of an MQTT 5 CONNACK that the bridge sends, by identifier. */
  private static Map<Integer, Long> connackProperties(RawMqttClient.Packet connack) {
    assertThat(connack.type()).isEqualTo(RawMqttClient.CONNACK);
    assertThat(connack.body()[1]).as("accepted").isEqualTo((byte) 0);
    byte[] b = connack.body();
    int i = 2;
    int length = 0;
    int shift = 0;
    while (true) {
      int digit = b[i++] & 0xFF;
      length |= (digit & 0x7F) << shift;
      shift += 7;
      if ((digit & 0x80) == 0) {
        break;
      }
    }
    Map<Integer, Long> properties = new HashMap<>();
    int end = i + length;
    while (i < end) {
      int id = b[i++] & 0xFF;
      int size = switch (id) {
        case 0x11, 0x27 -> 4; // session expiry, maximum packet size
        case 0x13, 0x21, 0x22 -> 2; // server keep alive, receive maximum, topic alias maximum
        case 0x24, 0x25, 0x28, 0x29, 0x2A -> 1;
        default -> throw new AssertionError("unexpected CONNACK property " + id);
      };
      long value = 0;
      for (int k = 0; k < size; k++) {
        value = (value << 8) | (b[i++] & 0xFF);
      }
      properties.put(id, value);
    }
    return properties;
  }
}
