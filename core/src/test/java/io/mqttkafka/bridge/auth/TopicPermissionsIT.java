package io.mqttkafka.bridge.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.RawMqttClient;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ${clientId} and ${username} in mapping rules and downlink filters, against a real bridge with a
 * password file (alice and bob, mosquitto_passwd fixtures), anonymous access allowed, and real
 * Paho 3.1.1 and 5 clients: a device publishes and subscribes only under its own topics.
 *
 * <p>"Nothing reached Kafka" is shown without waiting for time to pass: the refused PUBLISH goes
 * first, an allowed one of the same client (same key, same partition) second; once the second is
 * in Kafka, the first would be in front of it had it been written.
 */
class TopicPermissionsIT {

  private static final Path FIXTURES = Path.of("src/test/resources/auth");
  private static final String ALICE_PASSWORD = "alice-secret";

  @TempDir
  static Path dir;
  private static String byClient;
  private static String byUser;
  private static Bridge bridge;

  @BeforeAll
  static void start() throws Exception {
    Path passwordFile = Files.copy(FIXTURES.resolve("mosquitto.passwd"), dir.resolve("passwd"));
    byClient = TestKafka.uniqueTopic("by-client");
    byUser = TestKafka.uniqueTopic("by-user");
    TestKafka.createTopic(byClient, 1);
    TestKafka.createTopic(byUser, 1);
    bridge = TestBridge.start("""
        auth:
          passwordFile: %s
          allowAnonymous: true
          failureDelay: 100ms
        mappings:
          uplink:
            - { match: "^UL/${clientId}/(.+)$", topic: "%s" }
            - { match: "^USER/${username}/(.+)$", topic: "%s", key: "${username}" }
          downlink: { filters: ["DL/${username}/#", "cmd/${clientId}/#"] }
        """.formatted(passwordFile, byClient, byUser));
  }

  @AfterAll
  static void stop() {
    if (bridge != null) {
      bridge.stop();
    }
  }

  private static org.eclipse.paho.mqttv5.client.MqttAsyncClient v5(String clientId, String user, String password)
      throws Exception {
    org.eclipse.paho.mqttv5.client.MqttAsyncClient client = new org.eclipse.paho.mqttv5.client.MqttAsyncClient(
        "tcp://127.0.0.1:" + bridge.mqttPort(), clientId, new MemoryPersistence());
    MqttConnectionOptions options = new MqttConnectionOptions();
    options.setAutomaticReconnect(false);
    if (user != null) {
      options.setUserName(user);
      options.setPassword(password.getBytes(StandardCharsets.UTF_8));
    }
    client.connect(options).waitForCompletion(10_000);
    return client;
  }

  private static MqttAsyncClient v3(String clientId, String user, String password) throws Exception {
    MqttAsyncClient client = new MqttAsyncClient("tcp://127.0.0.1:" + bridge.mqttPort(), clientId,
        new org.eclipse.paho.client.mqttv3.persist.MemoryPersistence());
    MqttConnectOptions options = new MqttConnectOptions();
    options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    options.setAutomaticReconnect(false);
    if (user != null) {
      options.setUserName(user);
      options.setPassword(password.toCharArray());
    }
    client.connect(options).waitForCompletion(10_000);
    return client;
  }

  private static int[] publish(org.eclipse.paho.mqttv5.client.MqttAsyncClient client, String topic, String payload)
      throws Exception {
    IMqttToken token = client.publish(topic, payload.getBytes(StandardCharsets.UTF_8), 1, false);
    token.waitForCompletion(10_000);
    return token.getReasonCodes();
  }

  private static int[] subscribe(org.eclipse.paho.mqttv5.client.MqttAsyncClient client, String filter)
      throws Exception {
    IMqttToken token = client.subscribe(new MqttSubscription(filter, 1));
    token.waitForCompletion(10_000);
    return token.getReasonCodes();
  }

  /** The records of {@code topic} with the given key, once one with payload {@code last} has arrived. */
  private static List<String> payloadsUpTo(String topic, String key, String last) {
    await().atMost(Duration.ofSeconds(30)).until(() -> TestKafka.consume(topic, Integer.MAX_VALUE,
        Duration.ofMillis(500)).stream().anyMatch(r -> last.equals(payload(r))));
    return TestKafka.consume(topic, Integer.MAX_VALUE, Duration.ofMillis(500)).stream()
        .filter(r -> key.equals(r.key())).map(TopicPermissionsIT::payload).toList();
  }

  private static String payload(ConsumerRecord<String, byte[]> record) {
    return new String(record.value(), StandardCharsets.UTF_8);
  }

  @Test
  void aliceAsCar1PublishesUnderItsOwnClientIdAndIsRefusedUnderAnothersOnMqtt5() throws Exception {
    org.eclipse.paho.mqttv5.client.MqttAsyncClient car1 = v5("car-1", "alice", ALICE_PASSWORD);
    try {
      assertThat(publish(car1, "UL/car-2/pos", "forged-5")).containsExactly(0x87);
      assertThat(publish(car1, "UL/car-1/pos", "own-5")).containsExactly(0x00);
      assertThat(car1.isConnected()).isTrue();
    } finally {
      car1.disconnect().waitForCompletion(5_000);
    }
    assertThat(payloadsUpTo(byClient, "car-1", "own-5")).doesNotContain("forged-5").contains("own-5");
  }

  @Test
  void anotherClientsTopicClosesAnMqtt311ConnectionWithoutPuback() throws Exception {
    MqttAsyncClient car3 = v3("car-3", "alice", ALICE_PASSWORD);
    IMqttDeliveryToken refused = car3.publish("UL/car-2/pos", "forged-3".getBytes(StandardCharsets.UTF_8), 1, false);
    await().atMost(Duration.ofSeconds(10)).until(() -> !car3.isConnected());
    assertThat(refused.isComplete() && refused.getException() == null).as("PUBACK").isFalse();
    car3.close();

    MqttAsyncClient again = v3("car-3", "alice", ALICE_PASSWORD);
    try {
      again.publish("UL/car-3/pos", "own-3".getBytes(StandardCharsets.UTF_8), 1, false).waitForCompletion(10_000);
    } finally {
      again.disconnect().waitForCompletion(5_000);
    }
    assertThat(payloadsUpTo(byClient, "car-3", "own-3")).containsExactly("own-3");
  }

  @Test
  void anotherClientsTopicAtQos0ClosesTheConnectionOnBothVersions() throws Exception {
    // MQTT 3.1.1 has no other way to say no to a QoS 0 PUBLISH.
    MqttAsyncClient car4 = v3("car-4", "alice", ALICE_PASSWORD);
    car4.publish("UL/car-2/pos", "forged-0".getBytes(StandardCharsets.UTF_8), 0, false);
    await().atMost(Duration.ofSeconds(10)).until(() -> !car4.isConnected());
    car4.close();
    // MQTT 5: DISCONNECT 0x87 first.
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.send(connect(5, "car-5", "alice", ALICE_PASSWORD));
      assertThat(raw.read().body()[1]).isEqualTo((byte) 0);
      // QoS 0 PUBLISH: topic, empty MQTT 5 property list, payload.
      raw.send(MqttPackets.packet(0x30, MqttPackets.concat(MqttPackets.string("UL/car-2/pos"), new byte[] {0},
          "forged-00".getBytes(StandardCharsets.UTF_8))));
      RawMqttClient.Packet disconnect = raw.read();
      assertThat(disconnect.type()).isEqualTo(RawMqttClient.DISCONNECT);
      assertThat(disconnect.body()[0] & 0xFF).isEqualTo(0x87);
    }
    org.eclipse.paho.mqttv5.client.MqttAsyncClient car5 = v5("car-5", "alice", ALICE_PASSWORD);
    try {
      publish(car5, "UL/car-5/pos", "own-0");
    } finally {
      car5.disconnect().waitForCompletion(5_000);
    }
    // One partition: had either forged message been written, it would be in front of own-0.
    assertThat(payloadsUpTo(byClient, "car-5", "own-0")).containsExactly("own-0");
    assertThat(TestKafka.consume(byClient, Integer.MAX_VALUE, Duration.ofMillis(500)))
        .noneMatch(r -> payload(r).startsWith("forged"));
  }

  @Test
  void usernameRulesFollowTheUserWhateverItsClientId() throws Exception {
    org.eclipse.paho.mqttv5.client.MqttAsyncClient alice = v5("any-device", "alice", ALICE_PASSWORD);
    try {
      assertThat(publish(alice, "USER/bob/x", "as-bob")).containsExactly(0x87);
      assertThat(publish(alice, "USER/alice/x", "as-alice")).containsExactly(0x00);
    } finally {
      alice.disconnect().waitForCompletion(5_000);
    }
    assertThat(payloadsUpTo(byUser, "alice", "as-alice")).containsExactly("as-alice");
    assertThat(TestKafka.consume(byUser, Integer.MAX_VALUE, Duration.ofMillis(500)))
        .noneMatch(r -> payload(r).equals("as-bob"));
  }

  @Test
  void anAnonymousClientMatchesNoUsernameRuleButItsOwnClientIdRule() throws Exception {
    // Client id "alice" without credentials: not the user alice.
    org.eclipse.paho.mqttv5.client.MqttAsyncClient anonymous = v5("alice", null, null);
    try {
      assertThat(publish(anonymous, "USER/alice/x", "anonymous-as-alice")).containsExactly(0x87);
      assertThat(subscribe(anonymous, "DL/alice/#")).containsExactly(0x87);
      assertThat(subscribe(anonymous, "cmd/alice/#")).containsExactly(0x01);
      assertThat(publish(anonymous, "UL/alice/x", "anonymous-own")).containsExactly(0x00);
    } finally {
      anonymous.disconnect().waitForCompletion(5_000);
    }
    assertThat(payloadsUpTo(byClient, "alice", "anonymous-own")).containsExactly("anonymous-own");
    assertThat(TestKafka.consume(byUser, Integer.MAX_VALUE, Duration.ofMillis(500)))
        .noneMatch(r -> payload(r).equals("anonymous-as-alice"));
  }

  @Test
  void aliceMaySubscribeToHerOwnDownlinkOnly() throws Exception {
    org.eclipse.paho.mqttv5.client.MqttAsyncClient v5 = v5("car-6", "alice", ALICE_PASSWORD);
    MqttAsyncClient v3 = v3("car-7", "alice", ALICE_PASSWORD);
    try {
      assertThat(subscribe(v5, "DL/alice/#")).containsExactly(0x01);
      assertThat(subscribe(v5, "DL/bob/#")).containsExactly(0x87);
      assertThat(subscribe(v5, "DL/#")).containsExactly(0x87);
      assertThat(subscribe(v5, "cmd/car-6/x")).containsExactly(0x01);
      assertThat(subscribe(v5, "cmd/car-7/x")).containsExactly(0x87);
      org.eclipse.paho.client.mqttv3.IMqttToken granted = v3.subscribe("DL/alice/warn", 1);
      granted.waitForCompletion(10_000);
      assertThat(granted.getGrantedQos()).containsExactly(1);
      org.eclipse.paho.client.mqttv3.IMqttToken refused = v3.subscribe("DL/bob/#", 1);
      refused.waitForCompletion(10_000);
      assertThat(refused.getGrantedQos()).containsExactly(0x80);
    } finally {
      v5.disconnect().waitForCompletion(5_000);
      v3.disconnect().waitForCompletion(5_000);
    }
  }

  @Test
  void aTopicNoRuleHasTheShapeOfIsStillTopicNameInvalid() throws Exception {
    org.eclipse.paho.mqttv5.client.MqttAsyncClient car8 = v5("car-8", "alice", ALICE_PASSWORD);
    try {
      assertThat(publish(car8, "OTHER/x", "unmapped")).containsExactly(0x90);
      assertThat(publish(car8, "UL/car-8", "no-level")).containsExactly(0x90);
    } finally {
      car8.disconnect().waitForCompletion(5_000);
    }
  }

  /** CONNECT with a user name and password, clean session, keep-alive 60 s. */
  private static byte[] connect(int level, String clientId, String user, String password) {
    byte[] props = level == 5 ? new byte[] {0} : new byte[0];
    byte[] payload = MqttPackets.concat(MqttPackets.string(clientId), MqttPackets.string(user),
        MqttPackets.string(password));
    return MqttPackets.packet(0x10, MqttPackets.concat(MqttPackets.string("MQTT"),
        new byte[] {(byte) level, (byte) 0xC2, 0, 60}, props, payload));
  }
}
