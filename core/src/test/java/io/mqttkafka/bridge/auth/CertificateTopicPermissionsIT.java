package io.mqttkafka.bridge.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.mqtt.Listener.Transport;
import io.mqttkafka.bridge.testkit.ListenerClients;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testkit.TestCertificates;
import io.mqttkafka.bridge.testkit.TestCertificates.Credential;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client certificate authentication (auth.certificate.enabled on a TLS listener that requires client
 * certificates) with topic permissions: the certificate's identity is the user name that fills
 * ${username}, so a car publishes and subscribes under its own certificate's name only.
 */
class CertificateTopicPermissionsIT {

  private static final String TOPIC = TestKafka.uniqueTopic("cert-own");
  @TempDir
  static Path dir;
  private static Credential serverCa;
  private static Credential car;
  private static Bridge bridge;

  @BeforeAll
  static void start() throws Exception {
    serverCa = TestCertificates.ca("Server CA");
    Credential clientCa = TestCertificates.ca("Device CA");
    car = TestCertificates.client(clientCa, "car-cert");
    Credential server = TestCertificates.server(serverCa, "bridge-cert");
    TestKafka.createTopic(TOPIC, 1);
    bridge = TestBridge.start("""
        mqtt:
          plain: { enabled: false }
          tls: { enabled: true, port: 0, certFile: "%s", keyFile: "%s", caFile: "%s", clientAuth: required }
        auth:
          certificate: { enabled: true }
        mappings:
          uplink: [{ match: "^UL/${username}/(.+)$", topic: "%s" }]
          downlink: { filters: ["DL/${username}/#"] }
        """.formatted(server.writeCertificate(dir.resolve("tls.crt")), server.writeKey(dir.resolve("tls.key")),
        clientCa.writeCertificate(dir.resolve("ca.crt")), TOPIC));
  }

  @AfterAll
  static void stop() {
    if (bridge != null) {
      bridge.stop();
    }
  }

  private static MqttAsyncClient connect() throws Exception {
    return ListenerClients.connect("ssl://127.0.0.1:" + bridge.port(Transport.TLS), "car-cert",
        TestCertificates.socketFactory(serverCa, car));
  }

  @Test
  void theCertificatesIdentityFillsUsername() throws Exception {
    MqttAsyncClient client = connect();
    IMqttToken own = client.subscribe("DL/car-cert/#", 1);
    own.waitForCompletion(10_000);
    IMqttToken other = client.subscribe("DL/car-other/#", 1);
    other.waitForCompletion(10_000);
    assertThat(own.getGrantedQos()).containsExactly(1);
    assertThat(other.getGrantedQos()).containsExactly(0x80);

    client.publish("UL/car-cert/pos", "own".getBytes(StandardCharsets.UTF_8), 1, false).waitForCompletion(10_000);
    List<ConsumerRecord<String, byte[]>> records = TestKafka.consume(TOPIC, 1, Duration.ofSeconds(20));
    assertThat(records).singleElement().satisfies(r -> assertThat(r.key()).isEqualTo("car-cert"));

    client.publish("UL/car-other/pos", "forged".getBytes(StandardCharsets.UTF_8), 1, false);
    await().atMost(Duration.ofSeconds(10)).until(() -> !client.isConnected());
    client.close();

    MqttAsyncClient again = connect();
    again.publish("UL/car-cert/pos", "again".getBytes(StandardCharsets.UTF_8), 1, false).waitForCompletion(10_000);
    ListenerClients.disconnect(again);
    // One partition, one client: a written "forged" would be between "own" and "again".
    assertThat(TestKafka.consume(TOPIC, 2, Duration.ofSeconds(20)))
        .extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).containsExactly("own", "again");
  }
}
