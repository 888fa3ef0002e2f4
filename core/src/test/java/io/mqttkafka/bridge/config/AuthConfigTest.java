package io.mqttkafka.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.mqttkafka.bridge.config.AuthSettings.CertificateIdentity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The auth.* keys: defaults, the anonymous rule, and one-line errors naming the key. */
class AuthConfigTest {

  @TempDir
  Path dir;

  @BeforeEach
  void files() throws IOException {
    Files.writeString(dir.resolve("passwd"), "alice:$2y$05$IZwgITogLMX6IvasEcsf2OQGle7XQyKTcG/VVaCVA9zsjaoBRVNUm\n");
    Files.writeString(dir.resolve("key.pem"), "not checked here\n");
    Files.createDirectory(dir.resolve("folder"));
  }

  /** A TLS listener that asks for client certificates: what auth.certificate.enabled needs. */
  private static final String CLIENT_CERT_LISTENER = "mqtt: { tls: { enabled: true, certFile: DIR/server.pem,"
      + " keyFile: DIR/server.key, caFile: DIR/ca.pem, clientAuth: required } }\n";

  /** Loads YAML in which DIR stands for the temporary directory. */
  private BridgeConfig load(String yaml) throws IOException, ConfigException {
    return ConfigLoader.load(Files.writeString(dir.resolve("bridge.yaml"), yaml.replace("DIR", dir.toString())),
        Map.of());
  }

  private ConfigException failure(String yaml) {
    return catchThrowableOfType(ConfigException.class, () -> load(yaml));
  }

  @Test
  void defaultsLetEveryClientInAnonymously() {
    AuthSettings auth = BridgeConfig.defaults().auth();

    assertThat(auth.allowAnonymous()).isTrue();
    assertThat(auth.anyMethod()).isFalse();
    assertThat(auth.failureDelay()).isEqualTo(Duration.ofSeconds(1));
    assertThat(auth.passwordFile()).isEmpty();
    assertThat(auth.passwordFilePollInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(auth.jwt().enabled()).isFalse();
    assertThat(auth.jwt().clientIdClaim()).isEqualTo("sub");
    assertThat(auth.jwt().leeway()).isEqualTo(Duration.ofSeconds(30));
    assertThat(auth.certificate().enabled()).isFalse();
    assertThat(auth.certificate().identity()).isEqualTo(CertificateIdentity.CN);
  }

  @Test
  void configuringAnyMethodTurnsAnonymousOff() throws Exception {
    assertThat(load("auth: { passwordFile: DIR/passwd }").auth().allowAnonymous()).isFalse();
    assertThat(load("auth: { jwt: { publicKeyFile: DIR/key.pem } }").auth().allowAnonymous()).isFalse();
    assertThat(load(CLIENT_CERT_LISTENER + "auth: { certificate: { enabled: true } }").auth().allowAnonymous())
        .isFalse();
  }

  @Test
  void anonymousSetExplicitlyWins() throws Exception {
    AuthSettings auth = load("auth: { passwordFile: DIR/passwd, allowAnonymous: true }").auth();

    assertThat(auth.allowAnonymous()).isTrue();
    assertThat(auth.passwordFile()).contains(dir.resolve("passwd"));
  }

  @Test
  void allKeysAreRead() throws Exception {
    AuthSettings auth = load(CLIENT_CERT_LISTENER + """
        auth:
          failureDelay: 250ms
          passwordFile: DIR/passwd
          passwordFilePollInterval: 2s
          jwt: { publicKeyFile: DIR/key.pem, issuer: " https://idp.example ", audience: mqtt, clientIdClaim: cid,
                 leeway: 0s }
          certificate: { enabled: true, identity: SAN-DNS }
        """).auth();

    assertThat(auth.failureDelay()).isEqualTo(Duration.ofMillis(250));
    assertThat(auth.passwordFilePollInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(auth.jwt().publicKeyFile()).contains(dir.resolve("key.pem"));
    assertThat(auth.jwt().jwksFile()).isEmpty();
    assertThat(auth.jwt().issuer()).contains("https://idp.example");
    assertThat(auth.jwt().audience()).contains("mqtt");
    assertThat(auth.jwt().clientIdClaim()).isEqualTo("cid");
    assertThat(auth.jwt().leeway()).isZero();
    assertThat(auth.certificate().identity()).isEqualTo(CertificateIdentity.SAN_DNS);
  }

  @Test
  void environmentSetsAuthKeys() throws Exception {
    AuthSettings auth = ConfigLoader.load(null, Map.of(
        "MQTT_BRIDGE_AUTH_PASSWORD_FILE", dir.resolve("passwd").toString(),
        "MQTT_BRIDGE_AUTH_ALLOW_ANONYMOUS", "true",
        "MQTT_BRIDGE_AUTH_CERTIFICATE_IDENTITY", "san-uri",
        "MQTT_BRIDGE_AUTH_JWT_CLIENT_ID_CLAIM", "client_id")).auth();

    assertThat(auth.passwordFile()).contains(dir.resolve("passwd"));
    assertThat(auth.allowAnonymous()).isTrue();
    assertThat(auth.certificate().identity()).isEqualTo(CertificateIdentity.SAN_URI);
    assertThat(auth.jwt().clientIdClaim()).isEqualTo("client_id");
  }

  @Test
  void describeShowsAuthWithoutSecrets() throws Exception {
    assertThat(load("auth: { passwordFile: DIR/passwd }").describe())
        .contains("Auth[allowAnonymous=false", "passwd").doesNotContain("$2y$");
  }

  @ParameterizedTest(name = "{1}: {0}")
  @CsvSource(delimiter = '|', textBlock = """
      auth: { passwordFile: DIR/missing }                          | auth.passwordFile             | /missing: no such file
      auth: { passwordFile: DIR/folder }                           | auth.passwordFile             | /folder: not a regular file
      auth: { passwordFile: [a] }                                  | auth.passwordFile             | must be a single value
      auth: { passwordFilePollInterval: 0s }                       | auth.passwordFilePollInterval | must be greater than 0
      auth: { failureDelay: 0 }                                    | auth.failureDelay             | must be greater than 0
      auth: { failureDelay: 11s }                                  | auth.failureDelay             | must be at most 10s, was "11s"
      auth: { failureDelay: later }                                | auth.failureDelay             | must be a duration
      auth: { allowAnonymous: maybe }                              | auth.allowAnonymous           | must be true or false, was "maybe"
      auth: { allowAnonymous: false }                              | auth.allowAnonymous           | no authentication is configured
      auth: { jwt: { jwksFile: DIR/missing.json } }                | auth.jwt.jwksFile             | /missing.json: no such file
      auth: { jwt: { publicKeyFile: DIR/missing.pem } }            | auth.jwt.publicKeyFile        | /missing.pem: no such file
      auth: { jwt: { jwksFile: DIR/key.pem, publicKeyFile: DIR/key.pem } } | auth.jwt.publicKeyFile | must not be set together with auth.jwt.jwksFile
      auth: { jwt: { issuer: https://idp } }                       | auth.jwt.issuer               | needs auth.jwt.jwksFile or auth.jwt.publicKeyFile
      auth: { jwt: { audience: mqtt } }                            | auth.jwt.audience             | needs auth.jwt.jwksFile or auth.jwt.publicKeyFile
      auth: { jwt: { clientIdClaim: " " } }                        | auth.jwt.clientIdClaim        | must not be empty
      auth: { jwt: { leeway: -1 } }                                | auth.jwt.leeway               | must not be negative
      auth: { certificate: { identity: ou } }                      | auth.certificate.identity     | must be one of cn, san-dns, san-uri, san-email, was "ou"
      auth: { certificate: { enabled: yes-please } }               | auth.certificate.enabled      | must be true or false
      auth: { passwd: x }                                          | auth.passwd                   | unknown key
      auth: { certificate: { enabled: true } }                     | auth.certificate.enabled      | no listener asks for client certificates: it needs mqtt.tls.enabled
      """)
  void invalidValueIsAOneLineErrorNamingTheKey(String yaml, String key, String problem) {
    ConfigException e = failure(yaml);

    assertThat(e).as("no error for %s", yaml).isNotNull();
    assertThat(e.key()).isEqualTo(key);
    assertThat(e.getMessage()).startsWith(key + ": ").contains(problem).doesNotContain("\n");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      mqtt: { tls: { enabled: true, certFile: DIR/s.pem, keyFile: DIR/s.key, clientAuth: none } }
      mqtt: { websocket: { tls: { enabled: true } }, tls: { certFile: DIR/s.pem, keyFile: DIR/s.key } }
      mqtt: { tls: { enabled: false, certFile: DIR/s.pem, keyFile: DIR/s.key, caFile: DIR/ca.pem, clientAuth: required } }
      """)
  void certificateAuthenticationNeedsAListenerThatAsksForClientCertificates(String listeners) {
    ConfigException e = failure(listeners + "\nauth: { certificate: { enabled: true } }");

    assertThat(e).isNotNull();
    assertThat(e.getMessage()).isEqualTo("auth.certificate.enabled: is true, but no listener asks for client"
        + " certificates: it needs mqtt.tls.enabled (or mqtt.websocket.tls.enabled) with mqtt.tls.clientAuth request"
        + " or required");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      mqtt: { tls: { enabled: true, certFile: DIR/s.pem, keyFile: DIR/s.key, caFile: DIR/ca.pem, clientAuth: request } }
      mqtt: { websocket: { tls: { enabled: true } }, tls: { certFile: DIR/s.pem, keyFile: DIR/s.key, caFile: DIR/ca.pem, clientAuth: required } }
      """)
  void certificateAuthenticationIsAcceptedOnATlsListenerWithClientAuth(String listeners) throws Exception {
    assertThat(load(listeners + "\nauth: { certificate: { enabled: true } }").auth().certificate().enabled()).isTrue();
  }

  @Test
  void anonymousFalseIsAcceptedWithAMethod() throws Exception {
    assertThat(load(CLIENT_CERT_LISTENER + "auth: { allowAnonymous: false, certificate: { enabled: true } }")
        .auth().certificate())
        .isEqualTo(new AuthSettings.CertificateAuth(true, CertificateIdentity.CN));
    assertThat(load("auth: { jwt: { jwksFile: DIR/key.pem } }").auth().jwt().publicKeyFile()).isEqualTo(Optional.empty());
  }
}
