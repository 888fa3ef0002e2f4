package io.mqttkafka.bridge.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqttkafka.bridge.config.ConfigException;
import io.mqttkafka.bridge.config.MqttSettings;
import io.mqttkafka.bridge.config.MqttSettings.ClientAuth;
import io.mqttkafka.bridge.testkit.TestCertificates;
import io.mqttkafka.bridge.testkit.TestCertificates.Credential;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ticket keys file ({@code mqtt.tls.ticketKeysFile}): what it holds, and every way it can be wrong. */
class TicketKeysTest {

  @TempDir
  Path dir;

  @Test
  void oneKeyPerLineFirstMakesTicketsCommentsAndBlankLinesSkipped() throws Exception {
    Path file = write("# rotated 2026-12-07\n" + key(48) + "\n\n  " + key(48) + "  \n");

    assertThat(TicketKeys.read(file)).hasSize(2);
  }

  @Test
  void aKeyOfAnotherLengthIsRefusedWithItsLine() throws Exception {
    Path file = write(key(48) + "\n" + key(32) + "\n");

    assertThatThrownBy(() -> TicketKeys.read(file)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("mqtt.tls.ticketKeysFile").hasMessageContaining("line 2")
        .hasMessageContaining("holds 32 bytes, a key is 48");
  }

  @Test
  void aLineThatIsNotBase64IsRefused() throws Exception {
    Path file = write("not a key!\n");

    assertThatThrownBy(() -> TicketKeys.read(file)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("line 1: is not base64");
  }

  @Test
  void aFileWithoutKeysOrWithoutAFileIsRefused() throws Exception {
    Path empty = write("# nothing yet\n\n");

    assertThatThrownBy(() -> TicketKeys.read(empty)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("holds no key").hasMessageContaining("head -c 48 /dev/urandom | base64");
    assertThatThrownBy(() -> TicketKeys.read(dir.resolve("missing"))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("cannot be read");
  }

  @Test
  void theJdkEngineCannotBeGivenKeys() throws Exception {
    Credential ca = TestCertificates.ca("Tickets CA");
    Credential server = TestCertificates.server(ca, "tickets");
    MqttSettings.Tls tls = new MqttSettings.Tls(true, 0, Optional.of(server.writeCertificate(dir.resolve("tls.crt"))),
        Optional.of(server.writeKey(dir.resolve("tls.key"))), Optional.empty(), ClientAuth.NONE, List.of("TLSv1.3"),
        List.of(), Duration.ofSeconds(10), MqttSettings.TlsEngine.JDK, Optional.of(write(key(48))));

    assertThatThrownBy(() -> ServerTls.load(tls)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("mqtt.tls.ticketKeysFile").hasMessageContaining("needs the OpenSSL engine");
  }

  private Path write(String content) throws Exception {
    return Files.writeString(Files.createTempFile(dir, "tickets", ".keys"), content);
  }

  static String key(int bytes) {
    byte[] key = new byte[bytes];
    new SecureRandom().nextBytes(key);
    return Base64.getEncoder().encodeToString(key);
  }
}
