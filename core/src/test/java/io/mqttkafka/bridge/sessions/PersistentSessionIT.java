package io.mqttkafka.bridge.sessions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.records.PresenceRecord;
import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.RawMqttClient;
import io.mqttkafka.bridge.testkit.Received;
import io.mqttkafka.bridge.testkit.TestKafka;
import io.mqttkafka.bridge.testsupport.Downlink;
import io.mqttkafka.bridge.testsupport.TestBridge;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Persistent sessions and offline delivery on one instance, with real clients (Paho 3.1.1 and 5) and
 * raw packets where a library will not misbehave on demand: the session outlives the connection,
 * what arrives meanwhile is queued and delivered in order on reconnect with session present,
 * unacknowledged messages are resent with DUP and their packet id, QoS 2 is written once across a
 * reconnect, sessions expire, and every record ends with a receipt.
 */
class PersistentSessionIT {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Map<String, String> DEPLOYMENT = TestBridge.isolated();
  private static final String DOWNLINK = TestBridge.downlinkTopic(DEPLOYMENT);
  private static final String RECEIPTS = TestBridge.receiptsTopic(DEPLOYMENT);
  private static final String SUBSCRIPTIONS = TestBridge.subscriptionsTopic(DEPLOYMENT);
  private static final String UPLINK = TestKafka.uniqueTopic("sessions-uplink");
  private static Bridge bridge;

  @BeforeAll
  static void start() throws Exception {
    TestKafka.createTopic(UPLINK, 1);
    bridge = TestBridge.start("""
        mappings:
          uplink: [{ match: "^UL/(.+)$", topic: %s }]
          downlink: { filters: ["DL/#"], ackTimeout: 2s }
        sessions:
          maxExpiry: 60s
          queue: { maxMessages: 5 }
        """.formatted(UPLINK), DEPLOYMENT);
  }

  @AfterAll
  static void stop() {
    bridge.stop();
  }

  @Test
  void aSessionOutlivesItsConnectionAndGetsWhatCameMeanwhileInOrderWithoutSubscribing() throws Exception {
    V3 car = v3("car-tunnel", false, new Received());
    assertThat(car.sessionPresent()).as("a new session").isFalse();
    car.subscribe("DL/car-tunnel/#", 1);
    car.disconnect();
    String correlation = UUID.randomUUID().toString();

    for (int i = 0; i < 4; i++) {
      Downlink.send(DOWNLINK, "car-tunnel", bytes("cmd-" + i), "mqtt.topic", "DL/car-tunnel/cmd",
          "correlation.id", correlation);
    }
    assertThat(Downlink.receipts(RECEIPTS, correlation, 4, WAIT)).extracting(Receipt::status)
        .containsOnly(Status.QUEUED);

    Received received = new Received();
    V3 back = v3("car-tunnel", false, received);

    assertThat(back.sessionPresent()).isTrue();
    assertThat(payloads(received, 4)).containsExactly("cmd-0", "cmd-1", "cmd-2", "cmd-3");
    List<Receipt> receipts = Downlink.receipts(RECEIPTS, correlation, 12, WAIT);
    assertThat(receipts).filteredOn(r -> r.status() == Status.ACKED).hasSize(4);
    back.disconnect();
  }

  @Test
  void aCleanSessionDiscardsTheSubscriptionsAndGetsOfflineByDefault() throws Exception {
    V3 car = v3("car-clean", false, new Received());
    car.subscribe("DL/#", 1);
    car.disconnect();
    V3 clean = v3("car-clean", true, new Received());
    assertThat(clean.sessionPresent()).isFalse();
    clean.disconnect();
    // The clean connection's records are written after its CONNACK: a record a back end writes before
    // they are in Kafka is routed under the old session's rules (queued, for a later subscription).
    awaitDisconnected("car-clean", false);
    String correlation = UUID.randomUUID().toString();

    Downlink.send(DOWNLINK, "car-clean", bytes("x"), "mqtt.topic", "DL/x", "correlation.id", correlation);

    assertThat(Downlink.receipts(RECEIPTS, correlation, 1, WAIT)).extracting(Receipt::status)
        .containsExactly(Status.OFFLINE);
  }

  @Test
  void aRecordThatSaysQueueWaitsForAClientWithoutASessionUntilItSubscribes() throws Exception {
    String correlation = UUID.randomUUID().toString();
    Downlink.send(DOWNLINK, "phone-q", bytes("hello"), "mqtt.topic", "DL/phone-q/msg", "mqtt.offline", "queue",
        "correlation.id", correlation);
    assertThat(Downlink.receipts(RECEIPTS, correlation, 1, WAIT)).extracting(Receipt::status)
        .containsExactly(Status.QUEUED);

    Received received = new Received();
    V3 phone = v3("phone-q", true, received);
    phone.subscribe("DL/phone-q/#", 1);

    assertThat(payloads(received, 1)).containsExactly("hello");
    phone.disconnect();
  }

  @Test
  void latestKeepsTheNewestRecordPerTopicAndTheQueueIsBounded() throws Exception {
    V3 car = v3("car-latest", false, new Received());
    car.subscribe("DL/#", 1);
    car.disconnect();
    // Else the router may forward the first records to the closing connection, which sends one
    // (it is then resent, not superseded) or says it is gone.
    awaitDisconnected("car-latest", true);
    String correlation = UUID.randomUUID().toString();
    for (int i = 0; i < 3; i++) {
      Downlink.send(DOWNLINK, "car-latest", bytes("route-" + i), "mqtt.topic", "DL/route", "mqtt.offline", "latest",
          "correlation.id", correlation);
    }
    for (int i = 0; i < 6; i++) {
      Downlink.send(DOWNLINK, "car-latest", bytes("cmd-" + i), "mqtt.topic", "DL/cmd", "correlation.id", correlation);
    }

    // A superseded record the router took in an earlier batch than its successor was queued first:
    // 9 to 11 receipts, of which two say superseded once all are in.
    List<Receipt> receipts = Downlink.receipts(RECEIPTS, correlation, 9, WAIT);
    long until = System.nanoTime() + WAIT.toNanos();
    while (receipts.stream().filter(r -> r.status() == Status.SUPERSEDED).count() < 2 && System.nanoTime() < until) {
      receipts = Downlink.receipts(RECEIPTS, correlation, 9, WAIT);
    }
    assertThat(receipts).filteredOn(r -> r.status() == Status.SUPERSEDED).hasSize(2);
    assertThat(receipts).filteredOn(r -> r.status() == Status.QUEUE_FULL).hasSize(2)
        .allSatisfy(r -> assertThat(r.detail()).contains("maxMessages 5"));
    Received received = new Received();
    V3 back = v3("car-latest", false, received);

    assertThat(payloads(received, 5)).containsExactly("route-2", "cmd-0", "cmd-1", "cmd-2", "cmd-3");
    back.disconnect();
  }

  @Test
  void anUnacknowledgedMessageIsResentWithDupAndItsPacketIdOnReconnect() throws Exception {
    int port = bridge.mqttPort();
    String correlation = UUID.randomUUID().toString();
    int packetId;
    try (RawMqttClient car = new RawMqttClient(port)) {
      car.send(MqttPackets.connect("car-dup", false));
      assertThat(car.read().type()).isEqualTo(RawMqttClient.CONNACK);
      car.send(MqttPackets.subscribe(1, "DL/#", 1));
      assertThat(car.read().type()).isEqualTo(RawMqttClient.SUBACK);
      Downlink.send(DOWNLINK, "car-dup", bytes("once"), "mqtt.topic", "DL/x", "correlation.id", correlation);
      RawMqttClient.Packet publish = car.read();
      assertThat(publish.flags() & 0x08).as("DUP").isZero();
      packetId = packetIdOfPublish(publish);
    } // closed without PUBACK
    Downlink.receipts(RECEIPTS, correlation, 2, WAIT); // delivered, queued

    try (RawMqttClient car = new RawMqttClient(port)) {
      car.send(MqttPackets.connect("car-dup", false));
      RawMqttClient.Packet connack = car.read();
      assertThat(connack.body()[0] & 0x01).as("session present").isEqualTo(1);
      RawMqttClient.Packet resent = car.read();
      assertThat(resent.type()).isEqualTo(3);
      assertThat(resent.flags() & 0x08).as("DUP").isEqualTo(0x08);
      assertThat(packetIdOfPublish(resent)).isEqualTo(packetId);
      car.send(MqttPackets.puback(packetId));

      List<Receipt> receipts = Downlink.receipts(RECEIPTS, correlation, 4, WAIT);
      assertThat(receipts).extracting(Receipt::status)
          .containsExactly(Status.DELIVERED, Status.QUEUED, Status.DELIVERED, Status.ACKED);
    }
  }

  @Test
  void aQos2PublishResentAfterAReconnectIsWrittenOnce() throws Exception {
    int port = bridge.mqttPort();
    byte[] payload = bytes("exactly-once-" + UUID.randomUUID());
    try (RawMqttClient car = new RawMqttClient(port)) {
      car.send(MqttPackets.connect("car-qos2", false));
      assertThat(car.read().type()).isEqualTo(RawMqttClient.CONNACK);
      car.send(MqttPackets.publish("UL/car-qos2/event", payload, 2, 9, false));
      assertThat(car.read().type()).isEqualTo(RawMqttClient.PUBREC);
    } // gone before PUBREL: the device cannot know its PUBREC arrived

    try (RawMqttClient car = new RawMqttClient(port)) {
      car.send(MqttPackets.connect("car-qos2", false));
      assertThat(car.read().body()[0] & 0x01).as("session present").isEqualTo(1);
      car.send(MqttPackets.publish("UL/car-qos2/event", payload, 2, 9, true));
      RawMqttClient.Packet pubrec = car.read();
      assertThat(pubrec.type()).isEqualTo(RawMqttClient.PUBREC);
      assertThat(pubrec.packetId()).isEqualTo(9);
      car.send(MqttPackets.pubrel(9));
      assertThat(car.read().type()).isEqualTo(RawMqttClient.PUBCOMP);
    }

    long written = TestKafka.consumeFor(UPLINK, Duration.ofSeconds(3)).stream()
        .filter(r -> Arrays.equals(r.value(), payload)).count();
    assertThat(written).isEqualTo(1);
  }

  /**
   * Found by the fleet churn test: a record queued for a clean client, drained to it when it
   * subscribed, ended {@code offline} when the connection closed before it was sent, and was not
   * delivered on the next subscription.
   */
  @Test
  void aQueuedRecordTheConnectionEndsBeforeSendingWaitsForTheNextSubscription() throws Exception {
    String correlation = UUID.randomUUID().toString();
    for (int i = 0; i < 3; i++) {
      Downlink.send(DOWNLINK, "phone-gone", bytes("m-" + i), "mqtt.topic", "DL/phone-gone/msg", "mqtt.offline",
          "queue", "correlation.id", correlation);
    }
    assertThat(Downlink.receipts(RECEIPTS, correlation, 3, WAIT)).extracting(Receipt::status)
        .containsOnly(Status.QUEUED);
    try (RawMqttClient phone = new RawMqttClient(bridge.mqttPort())) {
      phone.setTimeoutMillis((int) WAIT.toMillis());
      // MQTT 5, Clean Start, no session, Receive Maximum 1: m-1 and m-2 wait behind m-0, never acknowledged.
      phone.send(MqttPackets.packet(0x10, new MqttPackets.Writer().str("MQTT").u8(MqttPackets.V5).u8(0x02).u16(60)
          .varint(3).u8(0x21).u16(1).str("phone-gone").toByteArray()));
      assertThat(phone.read().type()).isEqualTo(RawMqttClient.CONNACK);
      phone.send(MqttPackets.packet(0x82, new MqttPackets.Writer().u16(1).u8(0).str("DL/phone-gone/#").u8(1)
          .toByteArray()));
      assertThat(phone.read().type()).isEqualTo(RawMqttClient.SUBACK);
      assertThat(phone.read().type()).as("m-0").isEqualTo(3);
      Thread.sleep(500); // m-1 and m-2 reach the connection's queue
    }
    Received received = new Received();
    V3 again = v3("phone-gone", true, received);
    again.subscribe("DL/phone-gone/#", 1);

    assertThat(payloads(received, 2)).containsExactly("m-1", "m-2");
    again.disconnect();
    assertThat(Downlink.receipts(RECEIPTS, correlation, 10, Duration.ofSeconds(2))).extracting(Receipt::status)
        .doesNotContain(Status.OFFLINE);
  }

  @Test
  void anMqtt5SessionExpiryAboveTheMaximumIsCappedAndSaidInConnack() throws Exception {
    V5 car = v5("car-capped", false, 3_600L);

    assertThat(car.token.getSessionPresent()).isFalse();
    assertThat(car.token.getResponseProperties().getSessionExpiryInterval()).isEqualTo(60L);
    car.close();
  }

  @Test
  void anExpiredSessionIsGoneWithAnExpiredRecordAndItsQueuedRecordsExpire() throws Exception {
    V5 car = v5("car-short", false, 2L);
    car.client.subscribe("DL/#", 1).waitForCompletion(WAIT.toMillis());
    car.close();
    String correlation = UUID.randomUUID().toString();

    Downlink.send(DOWNLINK, "car-short", bytes("late"), "mqtt.topic", "DL/x", "correlation.id", correlation);

    assertThat(Downlink.receipts(RECEIPTS, correlation, 2, WAIT)).extracting(Receipt::status)
        .containsExactly(Status.QUEUED, Status.EXPIRED);
    await().atMost(WAIT).until(() -> TestKafka.consumeFor(TestBridge.subscriptionsTopic(DEPLOYMENT),
            Duration.ofMillis(500)).stream()
        .filter(r -> "car-short".equals(r.key()) && r.value() != null)
        .anyMatch(r -> PresenceRecord.fromJson(r.value()).event() == PresenceRecord.Event.EXPIRED));
    V5 again = v5("car-short", false, 2L);
    assertThat(again.token.getSessionPresent()).isFalse();
    again.close();
  }

  /**
   * Waits until the client's newest presence record says it disconnected, keeping its session or not:
   * the router reads it before any downlink record written after it (its presence gate).
   */
  private static void awaitDisconnected(String clientId, boolean sessionKept) {
    await().atMost(WAIT).until(() -> TestKafka.consume(SUBSCRIPTIONS, Integer.MAX_VALUE, Duration.ofMillis(500))
        .stream().filter(r -> clientId.equals(r.key()) && r.value() != null)
        .reduce((first, second) -> second).map(r -> PresenceRecord.fromJson(r.value()))
        .filter(p -> p.event() == PresenceRecord.Event.DISCONNECTED && (p.session() != null) == sessionKept)
        .isPresent());
  }

  /** A connected MQTT 5 client and the token of its CONNECT (CONNACK's flag and properties). */
  private record V5(org.eclipse.paho.mqttv5.client.MqttAsyncClient client,
                    org.eclipse.paho.mqttv5.client.IMqttToken token) {
    void close() throws Exception {
      client.disconnect().waitForCompletion(WAIT.toMillis());
      client.close();
    }
  }

  /** A connected MQTT 3.1.1 client and the token of its CONNECT (CONNACK's session present). */
  private record V3(MqttAsyncClient client, IMqttToken token) {
    boolean sessionPresent() {
      return token.getSessionPresent();
    }

    void subscribe(String filter, int qos) throws Exception {
      client.subscribe(filter, qos).waitForCompletion(WAIT.toMillis());
    }

    void disconnect() throws Exception {
      client.disconnect().waitForCompletion(WAIT.toMillis());
      client.close();
    }
  }

  private static V3 v3(String clientId, boolean cleanSession, Received received) throws Exception {
    MqttAsyncClient client = new MqttAsyncClient("tcp://127.0.0.1:" + bridge.mqttPort(), clientId,
        new MemoryPersistence());
    client.setCallback(received);
    MqttConnectOptions options = new MqttConnectOptions();
    options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    options.setCleanSession(cleanSession);
    options.setAutomaticReconnect(false);
    IMqttToken token = client.connect(options);
    token.waitForCompletion(WAIT.toMillis());
    return new V3(client, token);
  }

  private static V5 v5(String clientId, boolean cleanStart, long expirySeconds) throws Exception {
    org.eclipse.paho.mqttv5.client.MqttAsyncClient client = new org.eclipse.paho.mqttv5.client.MqttAsyncClient(
        "tcp://127.0.0.1:" + bridge.mqttPort(), clientId,
        new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
    MqttConnectionOptions options = new MqttConnectionOptions();
    options.setCleanStart(cleanStart);
    options.setSessionExpiryInterval(expirySeconds);
    options.setAutomaticReconnect(false);
    org.eclipse.paho.mqttv5.client.IMqttToken token = client.connect(options);
    token.waitForCompletion(WAIT.toMillis());
    return new V5(client, token);
  }

  private static List<String> payloads(Received received, int count) throws InterruptedException {
    List<String> payloads = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Received.Message message = received.next(WAIT.toMillis());
      assertThat(message).as("message %d of %d", i + 1, count).isNotNull();
      payloads.add(new String(message.payload(), StandardCharsets.UTF_8));
    }
    return payloads;
  }

  /** The packet id of a QoS 1 PUBLISH: after the topic name. */
  private static int packetIdOfPublish(RawMqttClient.Packet publish) {
    byte[] body = publish.body();
    int topicLength = ((body[0] & 0xFF) << 8) | (body[1] & 0xFF);
    return ((body[2 + topicLength] & 0xFF) << 8) | (body[3 + topicLength] & 0xFF);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
