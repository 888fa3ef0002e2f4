package io.mqttkafka.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.mqttkafka.bridge.config.MqttSettings.ClientAuth;
import io.mqttkafka.bridge.config.MqttSettings.TlsEngine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The listener keys: mqtt.plain, mqtt.tls and mqtt.websocket, their defaults and their one-line errors. */
class ListenerConfigTest {

  private static final String TLS_FILES = "certFile: /tls/tls.crt, keyFile: /tls/tls.key";

  @TempDir
  Path dir;

  private BridgeConfig load(String yaml) throws IOException, ConfigException {
    return ConfigLoader.load(Files.writeString(dir.resolve("bridge.yaml"), yaml), Map.of());
  }

  @Test
  void onlyThePlainListenerIsOnByDefault() {
    MqttSettings mqtt = BridgeConfig.defaults().mqtt();

    assertThat(mqtt.plainEnabled()).isTrue();
    assertThat(mqtt.port()).isEqualTo(1883);
    assertThat(mqtt.tlsNeeded()).isFalse();
    assertThat(mqtt.tls()).isEqualTo(new MqttSettings.Tls(false, 8883, Optional.empty(), Optional.empty(),
        Optional.empty(), ClientAuth.NONE, List.of("TLSv1.3", "TLSv1.2"), List.of(), Duration.ofSeconds(10),
        TlsEngine.AUTO, Optional.empty()));
    assertThat(mqtt.websocket()).isEqualTo(new MqttSettings.WebSocket(false, 8080, "/mqtt", 1_048_576 + 5, false,
        8443));
  }

  @Test
  void everyListenerCanBeSwitchedOnBesideThePlainOne() throws Exception {
    MqttSettings mqtt = load("""
        mqtt:
          tls: { enabled: true, port: 8884, certFile: /tls/tls.crt, keyFile: /tls/tls.key, caFile: /tls/ca.crt,
                 clientAuth: REQUIRED, protocols: [TLSv1.3], ciphers: [TLS_AES_128_GCM_SHA256], reloadInterval: 2s,
                 engine: jdk, ticketKeysFile: /tls/tickets }
          websocket: { enabled: true, port: 8081, maxFrameSize: 2000000, tls: { enabled: true, port: 8444 } }
        """).mqtt();

    assertThat(mqtt.plainEnabled()).isTrue();
    assertThat(mqtt.tls()).isEqualTo(new MqttSettings.Tls(true, 8884, Optional.of(Path.of("/tls/tls.crt")),
        Optional.of(Path.of("/tls/tls.key")), Optional.of(Path.of("/tls/ca.crt")), ClientAuth.REQUIRED,
        List.of("TLSv1.3"), List.of("TLS_AES_128_GCM_SHA256"), Duration.ofSeconds(2), TlsEngine.JDK,
        Optional.of(Path.of("/tls/tickets"))));
    assertThat(mqtt.websocket()).isEqualTo(new MqttSettings.WebSocket(true, 8081, "/mqtt", 2_000_000, true, 8444));
  }

  @Test
  void listenersOtherThanPlainAloneAreFine() throws Exception {
    MqttSettings mqtt = load("mqtt: { plain: { enabled: false }, websocket: { tls: { enabled: true } },"
        + " tls: { " + TLS_FILES + " } }").mqtt();

    assertThat(mqtt.plainEnabled()).isFalse();
    assertThat(mqtt.tls().enabled()).isFalse();
    assertThat(mqtt.tlsNeeded()).isTrue();
  }

  @Test
  void frameSizeFollowsTheMessageSize() throws Exception {
    assertThat(load("mqtt: { maxMessageSize: 300000 }").mqtt().websocket().maxFrameSize()).isEqualTo(300_005);
  }

  @Test
  void certificateFilesAreReadWhenTheBridgeStartsNotWhenTheConfigurationLoads() throws Exception {
    // A Helm chart or CI renders the configuration where the Secret's files are not mounted.
    MqttSettings.Tls tls = load("mqtt: { tls: { enabled: true, " + TLS_FILES + " } }").mqtt().tls();

    assertThat(tls.certFile()).contains(Path.of("/tls/tls.crt"));
  }

  @Test
  void environmentSwitchesListenersOn() throws Exception {
    MqttSettings mqtt = ConfigLoader.load(null, Map.of(
        "MQTT_BRIDGE_MQTT_PLAIN_ENABLED", "false",
        "MQTT_BRIDGE_MQTT_TLS_ENABLED", "true",
        "MQTT_BRIDGE_MQTT_TLS_CERT_FILE", "/etc/tls/tls.crt",
        "MQTT_BRIDGE_MQTT_TLS_KEY_FILE", "/etc/tls/tls.key",
        "MQTT_BRIDGE_MQTT_TLS_PROTOCOLS", "[TLSv1.3]",
        "MQTT_BRIDGE_MQTT_WEBSOCKET_TLS_ENABLED", "true",
        "MQTT_BRIDGE_MQTT_WEBSOCKET_TLS_PORT", "9443")).mqtt();

    assertThat(mqtt.plainEnabled()).isFalse();
    assertThat(mqtt.tls().enabled()).isTrue();
    assertThat(mqtt.tls().certFile()).contains(Path.of("/etc/tls/tls.crt"));
    assertThat(mqtt.tls().protocols()).containsExactly("TLSv1.3");
    assertThat(mqtt.websocket().tlsEnabled()).isTrue();
    assertThat(mqtt.websocket().tlsPort()).isEqualTo(9443);
  }

  @Test
  void disabledListenersAndFreePortsMayShareANumber() throws Exception {
    MqttSettings mqtt = load("mqtt: { port: 0, tls: { port: 1883 }, websocket: { enabled: true, port: 0 } }")
        .mqtt();

    assertThat(mqtt.websocket().port()).isZero();
  }

  @ParameterizedTest(name = "{1}: {0}")
  @CsvSource(delimiter = '|', textBlock = """
      mqtt: { tls: { enabled: true } }                                        | mqtt.tls.certFile     | is required when mqtt.tls.enabled is true
      mqtt: { tls: { enabled: true, certFile: "  " } }                        | mqtt.tls.certFile     | is required when mqtt.tls.enabled is true
      mqtt: { websocket: { tls: { enabled: true } } }                         | mqtt.tls.certFile     | is required when mqtt.websocket.tls.enabled is true
      mqtt: { tls: { enabled: true, certFile: /a.crt } }                      | mqtt.tls.keyFile      | is required when mqtt.tls.enabled is true
      mqtt: { tls: { clientAuth: optional } }                                 | mqtt.tls.clientAuth   | must be one of none, request, required, was "optional"
      mqtt: { tls: { enabled: true, certFile: /a, keyFile: /b, clientAuth: required } } | mqtt.tls.caFile | is required when mqtt.tls.clientAuth is required
      mqtt: { tls: { enabled: true, certFile: /a, keyFile: /b, clientAuth: request } }  | mqtt.tls.caFile | is required when mqtt.tls.clientAuth is request
      mqtt: { tls: { enabled: true, certFile: /a, keyFile: /b, caFile: /c } } | mqtt.tls.caFile       | only verifies client certificates, which mqtt.tls.clientAuth none does not ask for
      mqtt: { tls: { enabled: true, certFile: /a, keyFile: /b, protocols: [] } } | mqtt.tls.protocols | must name at least one protocol
      mqtt: { tls: { enabled: true, certFile: /a, keyFile: /b, protocols: [TLSv1.3, SSLv3] } } | mqtt.tls.protocols[1] | must be one of TLSv1.3, TLSv1.2
      mqtt: { tls: { enabled: true, certFile: /a, keyFile: /b, protocols: TLSv1.3 } } | mqtt.tls.protocols | must be a list
      mqtt: { tls: { enabled: true, certFile: /a, keyFile: /b, ciphers: [TLS_NOPE] } } | mqtt.tls.ciphers[0] | must be a cipher suite this JVM supports
      mqtt: { tls: { reloadInterval: 0s } }                                   | mqtt.tls.reloadInterval | must be greater than 0
      mqtt: { tls: { port: 65536 } }                                          | mqtt.tls.port         | between 0 and 65535
      mqtt: { tls: { enabled: yes-please } }                                  | mqtt.tls.enabled      | must be true or false
      mqtt: { tls: { sni: true } }                                            | mqtt.tls.sni          | unknown key
      mqtt: { tls: { engine: boringssl } }                                    | mqtt.tls.engine       | must be one of auto, openssl, jdk, was "boringssl"
      mqtt: { websocket: { path: /ws } }                                      | mqtt.websocket.path   | must be /mqtt: vert.x-mqtt 5.0.8, which serves the WebSocket listeners, accepts the WebSocket handshake on /mqtt only, was "/ws"
      mqtt: { websocket: { maxFrameSize: 65536 } }                            | mqtt.websocket.maxFrameSize | must be 0 (the largest packet, mqtt.maxMessageSize + 5) or at least 1048581
      mqtt: { websocket: { tls: { port: -1 } } }                              | mqtt.websocket.tls.port | between 0 and 65535
      mqtt: { plain: { enabled: false } }                                     | mqtt                  | no listener is enabled
      mqtt: { tls: { enabled: true, port: 1883, certFile: /a, keyFile: /b } } | mqtt.tls.port         | is 1883, the port of mqtt.port already
      mqtt: { websocket: { enabled: true, port: 1884, tls: { enabled: true, port: 1884 } }, tls: { certFile: /a, keyFile: /b } } | mqtt.websocket.tls.port | the port of mqtt.websocket.port already
      """)
  void invalidListenerSettingIsAOneLineErrorNamingTheKey(String yaml, String key, String problem) {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> load(yaml));

    assertThat(e).as("no error for %s", yaml).isNotNull();
    assertThat(e.key()).isEqualTo(key);
    assertThat(e.getMessage()).startsWith(key + ": ").contains(problem).doesNotContain("\n");
  }
}
