package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.mqtt.Listener.Transport;
import io.mqttkafka.bridge.testkit.ListenerClients;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testkit.TestCertificates;
import io.mqttkafka.bridge.testkit.TestCertificates.Credential;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each listener is on or off: an enabled one listens on its configured port, a disabled one does not. */
class ListenerSwitchIT {

  @TempDir
  static Path dir;
  private static Credential ca;
  private static Path cert;
  private static Path key;

  @BeforeAll
  static void certificates() throws Exception {
    ca = TestCertificates.ca("Switch CA");
    Credential server = TestCertificates.server(ca, "bridge-switch");
    cert = server.writeCertificate(dir.resolve("tls.crt"));
    key = server.writeKey(dir.resolve("tls.key"));
  }

  @Test
  void byDefaultOnlyPlainTcpListens() throws Exception {
    Ports ports = new Ports();
    Bridge bridge = start(ports, "");
    try {
      assertThat(bridge.mqttPort()).isEqualTo(ports.plain);
      assertThat(ListenerClients.listening(ports.plain)).isTrue();
      assertThat(ListenerClients.listening(ports.tls)).as("TLS port").isFalse();
      assertThat(ListenerClients.listening(ports.ws)).as("WebSocket port").isFalse();
      assertThat(ListenerClients.listening(ports.wss)).as("secure WebSocket port").isFalse();
      assertThat(bridge.port(Transport.TLS)).isEqualTo(-1);
    } finally {
      bridge.stop();
    }
  }

  @Test
  void plainAndWebSocketOffTlsAndSecureWebSocketOn() throws Exception {
    Ports ports = new Ports();
    Bridge bridge = start(ports, """
        mqtt:
          plain: { enabled: false }
          tls: { enabled: true, certFile: "%s", keyFile: "%s" }
          websocket: { tls: { enabled: true } }
        """.formatted(cert, key));
    try {
      assertThat(ListenerClients.listening(ports.plain)).as("plain port").isFalse();
      assertThat(ListenerClients.listening(ports.ws)).as("WebSocket port").isFalse();
      assertThat(bridge.mqttPort()).isEqualTo(-1);
      assertThat(bridge.port(Transport.TLS)).isEqualTo(ports.tls);
      assertThat(bridge.port(Transport.WEBSOCKET_TLS)).isEqualTo(ports.wss);
      ListenerClients.disconnect(ListenerClients.connect("ssl://127.0.0.1:" + ports.tls, "car-switch-tls",
          TestCertificates.socketFactory(ca, null)));
      ListenerClients.disconnect(ListenerClients.connect("wss://127.0.0.1:" + ports.wss + "/mqtt", "car-switch-wss",
          TestCertificates.socketFactory(ca, null)));
    } finally {
      bridge.stop();
    }
  }

  @Test
  void webSocketAlone() throws Exception {
    Ports ports = new Ports();
    Bridge bridge = start(ports, "mqtt: { plain: { enabled: false }, websocket: { enabled: true } }");
    try {
      assertThat(ListenerClients.listening(ports.plain)).as("plain port").isFalse();
      assertThat(ListenerClients.listening(ports.tls)).as("TLS port").isFalse();
      assertThat(ListenerClients.listening(ports.wss)).as("secure WebSocket port").isFalse();
      ListenerClients.disconnect(ListenerClients.connect("ws://127.0.0.1:" + ports.ws + "/mqtt", "car-switch-ws",
          null));
    } finally {
      bridge.stop();
    }
  }

  /** Four ports that were free, one per listener, configured whether the listener is on or not. */
  private static final class Ports {
    final int plain = free();
    final int tls = free();
    final int ws = free();
    final int wss = free();

    Map<String, String> env() {
      Map<String, String> env = new HashMap<>(TestBridge.isolated());
      env.put("MQTT_BRIDGE_MQTT_PORT", String.valueOf(plain));
      env.put("MQTT_BRIDGE_MQTT_TLS_PORT", String.valueOf(tls));
      env.put("MQTT_BRIDGE_MQTT_WEBSOCKET_PORT", String.valueOf(ws));
      env.put("MQTT_BRIDGE_MQTT_WEBSOCKET_TLS_PORT", String.valueOf(wss));
      return env;
    }

    private static int free() {
      try {
        return ListenerClients.freePort();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static Bridge start(Ports ports, String yaml) throws Exception {
    return TestBridge.start(yaml, ports.env());
  }
}
