package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.mqtt.Listener.Transport;
import io.mqttkafka.bridge.testkit.Clients;
import io.mqttkafka.bridge.testkit.ListenerClients;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testkit.TestCertificates;
import io.mqttkafka.bridge.testkit.TestCertificates.Credential;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TLS listener beside the plain one: a real client over TLS, QoS 1 into Kafka, the configured protocols. */
class TlsListenerIT {

  private static final String TOPIC = TestKafka.uniqueTopic("tls");
  @TempDir
  static Path dir;
  private static Credential ca;
  private static Credential serverCertificate;
  private static Bridge bridge;

  @BeforeAll
  static void start() throws Exception {
    ca = TestCertificates.ca("TLS listener CA");
    serverCertificate = TestCertificates.server(ca, "bridge-tls");
    Path cert = serverCertificate.writeCertificate(dir.resolve("tls.crt"));
    Path key = serverCertificate.writeKey(dir.resolve("tls.key"));
    bridge = TestBridge.start("""
        mqtt:
          tls: { enabled: true, port: 0, certFile: "%s", keyFile: "%s", protocols: [TLSv1.3] }
        mappings:
          uplink: [{ match: "^UL/([a-z-]+)$", topic: "%s.$1" }]
        """.formatted(cert, key, TOPIC));
  }

  @AfterAll
  static void stop() {
    bridge.stop();
  }

  @Test
  void qos1OverTlsIsAcknowledgedAndLandsInKafka() throws Exception {
    MqttAsyncClient client = ListenerClients.connect("ssl://127.0.0.1:" + bridge.port(Transport.TLS), "car-tls",
        TestCertificates.socketFactory(ca, null));
    client.publish("UL/tls", "over tls".getBytes(StandardCharsets.UTF_8), 1, false).waitForCompletion(10_000);

    assertThat(recordOf("tls", "car-tls").value()).asString(StandardCharsets.UTF_8).isEqualTo("over tls");
    ListenerClients.disconnect(client);
  }

  @Test
  void plainTcpStillWorksBesideTls() throws Exception {
    assertThat(bridge.mqttPort()).isPositive().isNotEqualTo(bridge.port(Transport.TLS));
    MqttAsyncClient client = Clients.v3(bridge.mqttPort(), "car-plain");
    client.publish("UL/plain", "plain".getBytes(StandardCharsets.UTF_8), 1, false).waitForCompletion(10_000);

    assertThat(recordOf("plain", "car-plain").value()).asString(StandardCharsets.UTF_8).isEqualTo("plain");
    ListenerClients.disconnect(client);
  }

  @Test
  void serverPresentsTheConfiguredCertificate() throws Exception {
    assertThat(ListenerClients.serverCertificate(bridge.port(Transport.TLS), TestCertificates.sslContext(ca, null)))
        .isEqualTo(serverCertificate.certificate());
  }

  @Test
  void clientThatDoesNotTrustTheServersCaCannotConnect() throws Exception {
    Credential stranger = TestCertificates.ca("Some other CA");

    assertThatThrownBy(() -> ListenerClients.connect("ssl://127.0.0.1:" + bridge.port(Transport.TLS),
        "car-distrust", TestCertificates.socketFactory(stranger, null))).isInstanceOf(MqttException.class);
  }

  @Test
  void protocolsOutsideTheConfiguredOnesAreRefused() throws Exception {
    SSLContext context = TestCertificates.sslContext(ca, null);
    try (SSLSocket socket = ListenerClients.tlsSocket(bridge.port(Transport.TLS), context)) {
      socket.setEnabledProtocols(new String[] {"TLSv1.2"});

      assertThatThrownBy(socket::startHandshake).isInstanceOf(SSLException.class);
    }
    try (SSLSocket socket = ListenerClients.tlsSocket(bridge.port(Transport.TLS), context)) {
      socket.startHandshake();
      assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.3");
    }
  }

  @Test
  void plainMqttOnTheTlsPortGetsNoConnack() throws Exception {
    MqttAsyncClient client = new MqttAsyncClient("tcp://127.0.0.1:" + bridge.port(Transport.TLS), "car-no-tls",
        new MemoryPersistence());
    MqttConnectOptions options = new MqttConnectOptions();
    options.setConnectionTimeout(5);

    assertThatThrownBy(() -> client.connect(options).waitForCompletion(10_000)).isInstanceOf(MqttException.class);
    client.close(true);
  }

  /** The one record of the Kafka topic for UL/{@code level}, whose key must be {@code clientId}. */
  private static ConsumerRecord<String, byte[]> recordOf(String level, String clientId) {
    List<ConsumerRecord<String, byte[]>> records = TestKafka.consume(TOPIC + "." + level, 1, Duration.ofSeconds(10));
    assertThat(records).hasSize(1);
    assertThat(records.get(0).key()).isEqualTo(clientId);
    return records.get(0);
  }
}
