package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import org.eclipse.paho.client.mqttv3.MqttException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client certificates ({@code mqtt.tls.clientAuth}): {@code required} refuses a client without one
 * during the handshake, {@code request} lets it in; both refuse a certificate the client CA did not sign.
 */
class MutualTlsIT {

  private static final String TOPIC = TestKafka.uniqueTopic("mtls");
  @TempDir
  static Path dir;
  private static Credential serverCa;
  private static Credential clientCa;
  private static Credential car;
  private static Credential stranger;
  private static Bridge required;
  private static Bridge requested;

  @BeforeAll
  static void start() throws Exception {
    serverCa = TestCertificates.ca("Server CA");
    clientCa = TestCertificates.ca("Device CA");
    car = TestCertificates.client(clientCa, "car-mtls");
    stranger = TestCertificates.client(TestCertificates.ca("Unknown CA"), "car-stranger");
    Credential server = TestCertificates.server(serverCa, "bridge-mtls");
    Path cert = server.writeCertificate(dir.resolve("tls.crt"));
    Path key = server.writeKey(dir.resolve("tls.key"));
    Path ca = clientCa.writeCertificate(dir.resolve("ca.crt"));
    String yaml = """
        mqtt:
          tls: { enabled: true, port: 0, certFile: "%s", keyFile: "%s", caFile: "%s", clientAuth: %s }
        mappings:
          uplink: [{ match: "^UL/([a-z-]+)$", topic: "%s.$1" }]
        """;
    required = TestBridge.start(yaml.formatted(cert, key, ca, "required", TOPIC));
    requested = TestBridge.start(yaml.formatted(cert, key, ca, "request", TOPIC));
  }

  @AfterAll
  static void stop() {
    required.stop();
    requested.stop();
  }

  @Test
  void requiredRefusesAClientWithoutCertificateDuringTheHandshake() throws Exception {
    int port = required.port(Transport.TLS);
    assertThat(mqttOverTls(port, TestCertificates.sslContext(serverCa, null))).isFalse();
    assertThatThrownBy(() -> ListenerClients.connect("ssl://127.0.0.1:" + port, "car-none",
        TestCertificates.socketFactory(serverCa, null))).isInstanceOf(MqttException.class);
  }

  @Test
  void requiredAcceptsAClientWithACertificateOfTheClientCa() throws Exception {
    MqttAsyncClient client = ListenerClients.connect("ssl://127.0.0.1:" + required.port(Transport.TLS), "car-mtls",
        TestCertificates.socketFactory(serverCa, car));
    client.publish("UL/required", "with cert".getBytes(StandardCharsets.UTF_8), 1, false).waitForCompletion(10_000);

    assertThat(recordOf("required", "car-mtls").value()).asString(StandardCharsets.UTF_8).isEqualTo("with cert");
    ListenerClients.disconnect(client);
  }

  @Test
  void requiredRefusesACertificateOfAnotherCa() throws Exception {
    assertThat(mqttOverTls(required.port(Transport.TLS), TestCertificates.sslContext(serverCa, stranger))).isFalse();
  }

  @Test
  void requestAcceptsClientsWithAndWithoutCertificate() throws Exception {
    int port = requested.port(Transport.TLS);
    assertThat(mqttOverTls(port, TestCertificates.sslContext(serverCa, null))).isTrue();
    assertThat(mqttOverTls(port, TestCertificates.sslContext(serverCa, car))).isTrue();

    MqttAsyncClient client = ListenerClients.connect("ssl://127.0.0.1:" + port, "car-request",
        TestCertificates.socketFactory(serverCa, null));
    client.publish("UL/requested", "no cert".getBytes(StandardCharsets.UTF_8), 1, false).waitForCompletion(10_000);
    assertThat(recordOf("requested", "car-request").value()).asString(StandardCharsets.UTF_8).isEqualTo("no cert");
    ListenerClients.disconnect(client);
  }

  @Test
  void requestStillRefusesACertificateOfAnotherCa() throws Exception {
    assertThat(mqttOverTls(requested.port(Transport.TLS), TestCertificates.sslContext(serverCa, stranger))).isFalse();
  }

  /**
   * Handshake, CONNECT, CONNACK over one raw TLS socket: true when the CONNACK arrives, false when the
   * TLS layer fails (with TLS 1.3 the server refuses a client certificate after the client's side of
   * the handshake, so the failure shows on the first read).
   */
  private static boolean mqttOverTls(int port, SSLContext context) throws IOException {
    try (SSLSocket socket = ListenerClients.tlsSocket(port, context)) {
      socket.startHandshake();
      socket.getOutputStream().write(MqttPackets.connect("car-raw-" + System.nanoTime() % 100000));
      socket.getOutputStream().flush();
      int first = socket.getInputStream().read();
      return first == RawMqttClient.CONNACK << 4;
    } catch (IOException e) {
      return false;
    }
  }

  private static ConsumerRecord<String, byte[]> recordOf(String level, String clientId) {
    List<ConsumerRecord<String, byte[]>> records = TestKafka.consume(TOPIC + "." + level, 1, Duration.ofSeconds(10));
    assertThat(records).hasSize(1);
    assertThat(records.get(0).key()).isEqualTo(clientId);
    return records.get(0);
  }
}
