package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.mqtt.Listener.Transport;
import io.mqttkafka.bridge.testkit.ListenerClients;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.RawMqttClient;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testkit.TestCertificates;
import io.mqttkafka.bridge.testkit.TestCertificates.Credential;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Certificate reload without restart: replacing the files of mqtt.tls changes what new connections
 * get, connections made before stay up, and a replacement that does not load changes nothing.
 */
class TlsCertificateReloadIT {

  private static final Duration RELOAD_WAIT = Duration.ofSeconds(15);
  private static Credential serverCa;

  @TempDir
  Path dir;

  @BeforeAll
  static void ca() throws Exception {
    serverCa = TestCertificates.ca("Reload server CA");
  }

  private Bridge start(Credential server, String topic, String extraTls) throws Exception {
    Path cert = server.writeCertificate(dir.resolve("tls.crt"));
    Path key = server.writeKey(dir.resolve("tls.key"));
    return TestBridge.start("""
        mqtt:
          tls: { enabled: true, port: 0, certFile: "%s", keyFile: "%s", reloadInterval: 100ms %s }
        mappings:
          uplink: [{ match: "^UL/.+$", topic: "%s" }]
        """.formatted(cert, key, extraTls, topic));
  }

  @Test
  void newConnectionsGetTheReplacedCertificateWhileEarlierOnesStayUp() throws Exception {
    String topic = TestKafka.uniqueTopic("reload");
    Bridge bridge = start(TestCertificates.server(serverCa, "bridge-before"), topic, "");
    try {
      int port = bridge.port(Transport.TLS);
      MqttAsyncClient early = ListenerClients.connect("ssl://127.0.0.1:" + port, "car-early",
          TestCertificates.socketFactory(serverCa, null));
      early.publish("UL/a", bytes("before"), 1, false).waitForCompletion(10_000);
      assertThat(subjectSeenBy(port, TestCertificates.sslContext(serverCa, null))).isEqualTo("CN=bridge-before");

      Credential replacement = TestCertificates.server(serverCa, "bridge-after");
      replacement.writeCertificate(dir.resolve("tls.crt"));
      replacement.writeKey(dir.resolve("tls.key"));

      await().atMost(RELOAD_WAIT).until(() ->
          subjectSeenBy(port, TestCertificates.sslContext(serverCa, null)).equals("CN=bridge-after"));
      assertThat(early.isConnected()).as("the connection made before the reload").isTrue();
      early.publish("UL/a", bytes("after, same connection"), 1, false).waitForCompletion(10_000);
      MqttAsyncClient late = ListenerClients.connect("ssl://127.0.0.1:" + port, "car-late",
          TestCertificates.socketFactory(serverCa, null));
      late.publish("UL/a", bytes("after, new connection"), 1, false).waitForCompletion(10_000);

      List<ConsumerRecord<String, byte[]>> records = TestKafka.consume(topic, 3, Duration.ofSeconds(10));
      assertThat(records).extracting(r -> r.key() + ": " + new String(r.value(), StandardCharsets.UTF_8))
          .containsExactlyInAnyOrder("car-early: before", "car-early: after, same connection",
              "car-late: after, new connection");
      ListenerClients.disconnect(early);
      ListenerClients.disconnect(late);
    } finally {
      bridge.stop();
    }
  }

  @Test
  void replacementThatDoesNotLoadKeepsTheCurrentCertificate() throws Exception {
    Bridge bridge = start(TestCertificates.server(serverCa, "bridge-good"), TestKafka.uniqueTopic("reload"), "");
    try {
      int port = bridge.port(Transport.TLS);
      SSLContext client = TestCertificates.sslContext(serverCa, null);
      Credential next = TestCertificates.server(serverCa, "bridge-next");
      Credential unrelated = TestCertificates.server(serverCa, "bridge-unrelated");
      // The certificate arrives first, with a key that is not its own (a half-done update).
      next.writeCertificate(dir.resolve("tls.crt"));
      unrelated.writeKey(dir.resolve("tls.key"));

      Thread.sleep(1_000); // ten reload intervals
      assertThat(subjectSeenBy(port, client)).isEqualTo("CN=bridge-good");

      next.writeKey(dir.resolve("tls.key"));
      await().atMost(RELOAD_WAIT).until(() -> subjectSeenBy(port, client).equals("CN=bridge-next"));
    } finally {
      bridge.stop();
    }
  }

  @Test
  void replacedClientCaDecidesWhichClientCertificatesNewConnectionsMayUse() throws Exception {
    Credential oldDevices = TestCertificates.ca("Old device CA");
    Credential newDevices = TestCertificates.ca("New device CA");
    Credential oldCar = TestCertificates.client(oldDevices, "car-old");
    Credential newCar = TestCertificates.client(newDevices, "car-new");
    Path caFile = oldDevices.writeCertificate(dir.resolve("ca.crt"));
    Bridge bridge = start(TestCertificates.server(serverCa, "bridge-mtls"), TestKafka.uniqueTopic("reload"),
        ", clientAuth: required, caFile: \"" + caFile + "\"");
    try {
      int port = bridge.port(Transport.TLS);
      assertThat(connackOverTls(port, TestCertificates.sslContext(serverCa, oldCar))).isTrue();
      assertThat(connackOverTls(port, TestCertificates.sslContext(serverCa, newCar))).isFalse();

      newDevices.writeCertificate(caFile);

      await().atMost(RELOAD_WAIT).until(() -> connackOverTls(port, TestCertificates.sslContext(serverCa, newCar)));
      assertThat(connackOverTls(port, TestCertificates.sslContext(serverCa, oldCar))).isFalse();
    } finally {
      bridge.stop();
    }
  }

  private static String subjectSeenBy(int port, SSLContext context) throws IOException {
    return ListenerClients.serverCertificate(port, context).getSubjectX500Principal().getName();
  }

  /** True when CONNECT over a fresh TLS connection gets its CONNACK. */
  private static boolean connackOverTls(int port, SSLContext context) {
    try (SSLSocket socket = ListenerClients.tlsSocket(port, context)) {
      socket.startHandshake();
      socket.getOutputStream().write(MqttPackets.connect("car-probe"));
      socket.getOutputStream().flush();
      return socket.getInputStream().read() == RawMqttClient.CONNACK << 4;
    } catch (IOException e) {
      return false;
    }
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
