package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.mqtt.Listener.Transport;
import io.mqttkafka.bridge.testkit.Metrics;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.TestCertificates;
import io.mqttkafka.bridge.testkit.TestCertificates.Credential;
import io.mqttkafka.bridge.testsupport.TestBridge;
import java.io.DataInputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * mqtt.limits.maxPendingHandshakes through the bridge: each listener's gate counts accepted
 * connections until their CONNACK (metrics) and stops accepting at the maximum, but a connection that
 * never sends its ClientHello or its CONNECT holds it shut for a second at most, and a connection
 * answered gives its place back. The gate's own rules are {@code HandshakeGateTest}'s.
 */
class HandshakeGateIT {

  @TempDir
  static Path dir;
  private static Credential ca;
  private static Bridge bridge;

  @BeforeAll
  static void start() throws Exception {
    ca = TestCertificates.ca("Gate CA");
    Credential server = TestCertificates.server(ca, "bridge-gate");
    bridge = TestBridge.start("""
        mqtt:
          tls: { enabled: true, port: 0, certFile: "%s", keyFile: "%s" }
          limits: { maxPendingHandshakes: 1 }
        """.formatted(server.writeCertificate(dir.resolve("tls.crt")), server.writeKey(dir.resolve("tls.key"))));
  }

  @AfterAll
  static void stop() {
    bridge.stop();
  }

  @Test
  void connectionsThatNeverSendTheirClientHelloDelayTheNextDeviceBrieflyAndDoNotShutTheListener() throws Exception {
    int tlsPort = bridge.port(Transport.TLS);
    double pausesBefore = metric("mqtt_bridge_accept_pauses_total");
    try (Socket stalled = new Socket("127.0.0.1", tlsPort)) { // TCP only: its handshake never goes on
      assertThat(stalled.isConnected()).isTrue();
      await().atMost(Duration.ofSeconds(10)).until(() -> metric("mqtt_bridge_accept_pauses_total") > pausesBefore);

      // The listener was shut by the stalled connection; once it stops counting, the device gets in.
      assertThat(connectOverTls(tlsPort, "gate-after-stall")).containsExactly(0x20, 2, 0, 0);
      assertThat(connectPlain(bridge.mqttPort(), "gate-plain")).as("another listener, another gate")
          .containsExactly(0x20, 2, 0, 0);
      assertThat(stalled.isClosed()).isFalse();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> metric("mqtt_bridge_handshakes_pending") == 0);
  }

  @Test
  void aPlainConnectionCountsUntilItsConnackSoOneThatNeverSendsConnectShutsTheListenerBriefly() throws Exception {
    int port = bridge.mqttPort();
    await().atMost(Duration.ofSeconds(10)).until(() -> metric("mqtt_bridge_handshakes_pending") == 0);
    try (Socket answered = new Socket("127.0.0.1", port)) {
      assertThat(exchange(answered, "gate-answered")).containsExactly(0x20, 2, 0, 0);
      // Still open, but answered: its place is given back at CONNACK (else it would count for a second).
      assertThat(metric("mqtt_bridge_handshakes_pending")).isZero();
    }
    double pausesBefore = metric("mqtt_bridge_accept_pauses_total");
    try (Socket silent = new Socket("127.0.0.1", port)) { // connected, but never sends CONNECT
      await().atMost(Duration.ofSeconds(10)).until(() -> metric("mqtt_bridge_accept_pauses_total") > pausesBefore);

      assertThat(connectPlain(port, "gate-after-silent")).containsExactly(0x20, 2, 0, 0);
      assertThat(silent.isClosed()).isFalse();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> metric("mqtt_bridge_handshakes_pending") == 0);
  }

  /** CONNECT over TLS; returns the 4 bytes of the CONNACK. */
  private static byte[] connectOverTls(int port, String clientId) {
    try {
      SSLSocketFactory factory = TestCertificates.socketFactory(ca, null);
      try (SSLSocket socket = (SSLSocket) factory.createSocket("127.0.0.1", port)) {
        socket.setSoTimeout(60_000);
        return exchange(socket, clientId);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] connectPlain(int port, String clientId) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      return exchange(socket, clientId);
    }
  }

  private static byte[] exchange(Socket socket, String clientId) throws Exception {
    socket.getOutputStream().write(MqttPackets.connect(clientId));
    socket.getOutputStream().flush();
    byte[] connack = new byte[4];
    new DataInputStream(socket.getInputStream()).readFully(connack);
    return connack;
  }

  private static double metric(String name) throws Exception {
    return Metrics.value(Metrics.scrape(bridge.httpPort()), name, "");
  }
}
