package io.mqttkafka.bridge.mqtt;

import static io.mqttkafka.bridge.mqtt.TlsDevices.connectAndClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.testkit.Fleet;
import io.mqttkafka.bridge.testkit.TestCertificates;
import io.mqttkafka.bridge.testkit.TestCertificates.Credential;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.security.SecureRandom;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * mqtt.tls.ticketKeysFile: instances that read the same keys resume each other's TLS sessions, so a
 * device that moves to another instance (a failover) skips the full handshake; an instance with its
 * own keys cannot, and the device does a full one; keys written to the file apply without a restart.
 * Over TLS 1.2 and 1.3.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // the second gives the instance with its own keys the shared ones
class SharedTicketKeysIT {

  private static final int DEVICES = 3;
  @TempDir
  static Path dir;
  private static Credential ca;
  private static Bridge first;
  private static Bridge sameKeys;
  private static Bridge ownKeys;
  private static Path shared;
  private static Path other;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(OpenSsl.isAvailable(), "ticket keys are the OpenSSL engine's");
    ca = TestCertificates.ca("Tickets CA");
    Credential server = TestCertificates.server(ca, "bridge-tickets");
    Path cert = server.writeCertificate(dir.resolve("tls.crt"));
    Path key = server.writeKey(dir.resolve("tls.key"));
    shared = Files.writeString(dir.resolve("shared.keys"), "# both instances\n" + ticketKey() + "\n");
    other = Files.writeString(dir.resolve("other.keys"), ticketKey() + "\n");
    String yaml = """
        mqtt:
          tls: { enabled: true, port: 0, certFile: "%s", keyFile: "%s", engine: openssl, ticketKeysFile: "%s",
                 reloadInterval: 500ms }
        """;
    first = TestBridge.start(yaml.formatted(cert, key, shared));
    sameKeys = TestBridge.start(yaml.formatted(cert, key, shared));
    ownKeys = TestBridge.start(yaml.formatted(cert, key, other));
  }

  @AfterAll
  static void stop() {
    for (Bridge bridge : new Bridge[] {first, sameKeys, ownKeys}) {
      if (bridge != null) {
        bridge.stop();
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
  @Order(1)
  void anotherInstanceWithTheSameKeysResumesTheSessionAndOneWithItsOwnKeysCannot(String protocol) throws Exception {
    Fleet.Tls client = client(protocol);
    assertThat(connectAndClose(first, client, "a-", DEVICES)).as("first connect: full handshakes")
        .containsExactly(DEVICES, 0);

    long[] failover = connectAndClose(sameKeys, client, "b-", DEVICES);
    assertThat(failover[0]).isEqualTo(DEVICES);
    // TLS 1.2: every session offered again is resumed; TLS 1.3 tickets arrive after the handshake, and
    // this client may not have kept each device's by the time it closes.
    assertThat(failover[1]).as("failover to an instance with the same keys")
        .isGreaterThanOrEqualTo(protocol.equals("TLSv1.2") ? DEVICES : 1);

    Fleet.Tls fresh = client(protocol);
    connectAndClose(first, fresh, "c-", DEVICES);
    assertThat(connectAndClose(ownKeys, fresh, "d-", DEVICES)).as("an instance with its own keys: full handshakes")
        .containsExactly(DEVICES, 0);
  }

  @Test
  @Order(2)
  void keysWrittenToTheFileWhileTheInstanceRunsApplyToItsNextHandshakes() throws Exception {
    // The instance with its own keys is given the shared ones (a rename, as a Secret volume swaps files);
    // it opens tickets that another instance made from then on, without a restart.
    Path next = Files.writeString(dir.resolve("other.keys.next"), "# rotated\n" + Files.readString(shared));
    Files.move(next, other, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
      Fleet.Tls fresh = client();
      connectAndClose(first, fresh, "e-", DEVICES);
      return connectAndClose(ownKeys, fresh, "f-", DEVICES)[1] == DEVICES;
    });
  }

  private static Fleet.Tls client() throws Exception {
    return client("TLSv1.2");
  }

  private static Fleet.Tls client(String protocol) throws Exception {
    // The client's session cache is the context's; Fleet caches by device, whichever instance it reaches.
    return new Fleet.Tls(SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
        .trustManager(ca.certificate()).protocols(protocol).endpointIdentificationAlgorithm(null).build(), true);
  }

  private static String ticketKey() {
    byte[] key = new byte[48];
    new SecureRandom().nextBytes(key);
    return Base64.getEncoder().encodeToString(key);
  }
}
