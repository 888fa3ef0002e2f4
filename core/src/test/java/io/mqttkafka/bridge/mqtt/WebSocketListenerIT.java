package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.mqtt.Listener.Transport;
import io.mqttkafka.bridge.testkit.ListenerClients;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testkit.TestCertificates;
import io.mqttkafka.bridge.testkit.TestCertificates.Credential;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MQTT over WebSocket (ws://) and secure WebSocket (wss://) with a real client: QoS 1 into Kafka. */
class WebSocketListenerIT {

  private static final String TOPIC = TestKafka.uniqueTopic("ws");
  /** Larger than vert.x's default WebSocket frame limit of 64 KiB. */
  private static final int BIG = 200 * 1024;
  @TempDir
  static Path dir;
  private static Credential ca;
  private static Bridge bridge;

  @BeforeAll
  static void start() throws Exception {
    ca = TestCertificates.ca("WebSocket CA");
    Credential server = TestCertificates.server(ca, "bridge-wss");
    bridge = TestBridge.start("""
        mqtt:
          tls: { certFile: "%s", keyFile: "%s" }
          websocket: { enabled: true, port: 0, tls: { enabled: true, port: 0 } }
        mappings:
          uplink: [{ match: "^UL/([a-z-]+)$", topic: "%s.$1" }]
        """.formatted(server.writeCertificate(dir.resolve("tls.crt")), server.writeKey(dir.resolve("tls.key")),
        TOPIC));
  }

  @AfterAll
  static void stop() {
    bridge.stop();
  }

  @Test
  void qos1OverWebSocketIsAcknowledgedAndLandsInKafka() throws Exception {
    MqttAsyncClient client = ListenerClients.connect(wsUri(), "car-ws", null);
    client.publish("UL/ws", "over ws".getBytes(StandardCharsets.UTF_8), 1, false).waitForCompletion(10_000);

    assertThat(recordOf("ws", "car-ws").value()).asString(StandardCharsets.UTF_8).isEqualTo("over ws");
    ListenerClients.disconnect(client);
  }

  @Test
  void qos1OverSecureWebSocketIsAcknowledgedAndLandsInKafka() throws Exception {
    MqttAsyncClient client = ListenerClients.connect("wss://127.0.0.1:" + bridge.port(Transport.WEBSOCKET_TLS)
        + "/mqtt", "car-wss", TestCertificates.socketFactory(ca, null));
    client.publish("UL/wss", "over wss".getBytes(StandardCharsets.UTF_8), 1, false).waitForCompletion(10_000);

    assertThat(recordOf("wss", "car-wss").value()).asString(StandardCharsets.UTF_8).isEqualTo("over wss");
    ListenerClients.disconnect(client);
  }

  @Test
  void packetLargerThanVertxDefaultFrameLimitArrives() throws Exception {
    byte[] payload = new byte[BIG];
    Arrays.fill(payload, (byte) 'x');
    MqttAsyncClient client = ListenerClients.connect(wsUri(), "car-big", null);
    client.publish("UL/big", payload, 1, false).waitForCompletion(10_000);

    assertThat(recordOf("big", "car-big").value()).isEqualTo(payload);
    ListenerClients.disconnect(client);
  }

  @Test
  void handshakeAgreesOnTheMqttSubprotocol() throws Exception {
    WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder().subprotocols("mqtt")
        .buildAsync(URI.create(wsUri()), new WebSocket.Listener() { }).get(10, TimeUnit.SECONDS);

    assertThat(socket.getSubprotocol()).isEqualTo("mqtt");
    socket.abort();
  }

  @Test
  void otherPathsGetNoWebSocket() {
    // vert.x-mqtt 5.0.8 answers the handshake on /mqtt only; other paths get no answer at all.
    URI other = URI.create("ws://127.0.0.1:" + bridge.port(Transport.WEBSOCKET) + "/other");

    assertThatThrownBy(() -> HttpClient.newHttpClient().newWebSocketBuilder().subprotocols("mqtt")
        .connectTimeout(Duration.ofSeconds(3))
        .buildAsync(other, new WebSocket.Listener() { }).get(15, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class);
  }

  private static String wsUri() {
    return "ws://127.0.0.1:" + bridge.port(Transport.WEBSOCKET) + "/mqtt";
  }

  private static ConsumerRecord<String, byte[]> recordOf(String level, String clientId) {
    List<ConsumerRecord<String, byte[]>> records = TestKafka.consume(TOPIC + "." + level, 1, Duration.ofSeconds(10));
    assertThat(records).hasSize(1);
    assertThat(records.get(0).key()).isEqualTo(clientId);
    return records.get(0);
  }
}
