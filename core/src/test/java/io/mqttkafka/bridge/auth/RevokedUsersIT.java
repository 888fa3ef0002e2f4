package io.mqttkafka.bridge.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.testkit.Metrics;
import io.mqttkafka.bridge.testkit.V5Callback;
import io.mqttkafka.bridge.testsupport.TestBridge;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user removed from the password file while connected: with {@code auth.disconnectRevoked} the
 * connection is closed at once (MQTT 5: DISCONNECT 0x87), without it it stays until it reconnects;
 * either way a new CONNECT of that user is refused, and the other users stay connected.
 */
class RevokedUsersIT {

  private static final Path FIXTURES = Path.of("src/test/resources/auth");

  @TempDir
  Path dir;

  @Test
  void aRemovedUsersConnectionIsClosedAtOnceWhenDisconnectRevokedIsOn() throws Exception {
    Path passwd = Files.copy(FIXTURES.resolve("mosquitto.passwd"), dir.resolve("passwd"));
    Bridge bridge = TestBridge.start(yaml(passwd, true));
    try {
      AtomicInteger aliceReason = new AtomicInteger(-1);
      MqttAsyncClient alice = connect(bridge, "car-alice", "alice", "alice-secret", aliceReason);
      MqttAsyncClient bob = connect(bridge, "car-bob", "bob", "b0b: with colon & spaces", new AtomicInteger());

      removeAlice(passwd);

      await().atMost(Duration.ofSeconds(10)).until(() -> aliceReason.get() >= 0);
      assertThat(aliceReason.get()).as("DISCONNECT 0x87 Not authorized").isEqualTo(0x87);
      assertThat(bob.isConnected()).isTrue();
      assertThat(Metrics.value(Metrics.scrape(bridge.httpPort()), "mqtt_bridge_connections_closed_total",
          "reason=\"revoked\"")).isEqualTo(1);
      assertThat(alice.isConnected()).isFalse();
      bob.disconnect().waitForCompletion(10_000);
    } finally {
      bridge.stop();
    }
  }

  @Test
  void withoutDisconnectRevokedTheConnectionStaysButTheUserCannotConnectAgain() throws Exception {
    Path passwd = Files.copy(FIXTURES.resolve("mosquitto.passwd"), dir.resolve("passwd"));
    Bridge bridge = TestBridge.start(yaml(passwd, false));
    try {
      MqttAsyncClient alice = connect(bridge, "car-alice", "alice", "alice-secret", new AtomicInteger());

      removeAlice(passwd);

      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThatThrownBy(
          () -> connect(bridge, "car-alice-2", "alice", "alice-secret", new AtomicInteger()))
          .hasMessageContaining("Bad User Name or Password"));
      assertThat(alice.isConnected()).as("the open connection was authenticated before").isTrue();
      alice.disconnect().waitForCompletion(10_000);
    } finally {
      bridge.stop();
    }
  }

  private static String yaml(Path passwd, boolean disconnectRevoked) {
    return """
        auth: { passwordFile: "%s", passwordFilePollInterval: 100ms, failureDelay: 10ms, disconnectRevoked: %s }
        mappings: { uplink: [{ match: "^UL/(.+)$", topic: cs.uplink }] }
        """.formatted(passwd, disconnectRevoked);
  }

  /** Rewrites the file without alice (bob and carol stay). */
  private static void removeAlice(Path passwd) throws Exception {
    List<String> lines = Files.readAllLines(passwd, StandardCharsets.UTF_8).stream()
        .filter(line -> !line.startsWith("alice:")).toList();
    Path next = passwd.resolveSibling("passwd.next");
    Files.write(next, lines, StandardCharsets.UTF_8);
    Files.move(next, passwd, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private static MqttAsyncClient connect(Bridge bridge, String clientId, String user, String password,
                                         AtomicInteger disconnectReason) throws Exception {
    MqttAsyncClient client = new MqttAsyncClient("tcp://127.0.0.1:" + bridge.mqttPort(), clientId,
        new MemoryPersistence());
    client.setCallback(new V5Callback() {
      @Override
      public void disconnected(MqttDisconnectResponse response) {
        disconnectReason.set(response.getReturnCode());
      }
    });
    MqttConnectionOptions options = new MqttConnectionOptions();
    options.setCleanStart(true);
    options.setAutomaticReconnect(false);
    options.setUserName(user);
    options.setPassword(password.getBytes(StandardCharsets.UTF_8));
    client.connect(options).waitForCompletion(10_000);
    return client;
  }
}
