package io.mqttkafka.bridge.mqtt;

import static io.mqttkafka.bridge.mqtt.TlsDevices.connectAndClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.testkit.Fleet;
import io.mqttkafka.bridge.testkit.TestCertificates;
import io.mqttkafka.bridge.testkit.TestCertificates.Credential;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both TLS engines ({@code mqtt.tls.engine}) serve TLS 1.3 and 1.2, and a device that connects again
 * resumes its TLS session instead of a full handshake.
 */
class TlsEnginesIT {

  private static final int DEVICES = 3;
  @TempDir
  static Path dir;
  private static Credential ca;
  private static Bridge openssl;
  private static Bridge jdk;

  @BeforeAll
  static void start() throws Exception {
    ca = TestCertificates.ca("Engines CA");
    Credential server = TestCertificates.server(ca, "bridge-engines");
    Path cert = server.writeCertificate(dir.resolve("tls.crt"));
    Path key = server.writeKey(dir.resolve("tls.key"));
    String yaml = """
        mqtt:
          tls: { enabled: true, port: 0, certFile: "%s", keyFile: "%s", engine: %s }
        """;
    jdk = TestBridge.start(yaml.formatted(cert, key, "jdk"));
    if (OpenSsl.isAvailable()) {
      openssl = TestBridge.start(yaml.formatted(cert, key, "openssl"));
    }
  }

  @AfterAll
  static void stop() {
    jdk.stop();
    if (openssl != null) {
      openssl.stop();
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"openssl, TLSv1.3", "openssl, TLSv1.2", "jdk, TLSv1.3", "jdk, TLSv1.2"})
  void aDeviceConnectsAndResumesItsSessionWhenItConnectsAgain(String engine, String protocol) throws Exception {
    assumeTrue(OpenSsl.isAvailable(), "the test's client resumes sessions with netty-tcnative's OpenSSL");
    Bridge bridge = engine.equals("jdk") ? jdk : openssl;
    // The client's session cache is the context's: the second fleet offers what the first was given.
    SslContext client = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
        .trustManager(ca.certificate()).protocols(protocol).endpointIdentificationAlgorithm(null).build();
    Fleet.Tls tls = new Fleet.Tls(client, true);

    long[] first = connectAndClose(bridge, tls, engine + protocol + "-a-", DEVICES);
    long[] second = connectAndClose(bridge, tls, engine + protocol + "-b-", DEVICES);

    assertThat(first).containsExactly(DEVICES, 0);
    assertThat(second[0]).isEqualTo(DEVICES);
    // Every TLS 1.2 session is resumed; of TLS 1.3 ones this OpenSSL client offers again all but the
    // ticket of one device of three (the bench's larger fleets resume every one).
    assertThat(second[1]).isGreaterThanOrEqualTo(protocol.equals("TLSv1.2") ? DEVICES : 1);
  }

}
