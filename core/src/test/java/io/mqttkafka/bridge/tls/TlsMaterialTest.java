package io.mqttkafka.bridge.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.mqttkafka.bridge.config.MqttSettings.ClientAuth;
import io.mqttkafka.bridge.config.MqttSettings;
import io.mqttkafka.bridge.config.ConfigException;
import io.mqttkafka.bridge.testkit.TestCertificates;
import io.mqttkafka.bridge.testkit.TestCertificates.Credential;
import io.mqttkafka.bridge.testkit.TestCertificates.KeyFormat;
import io.mqttkafka.bridge.testkit.TestCertificates.KeyType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Reading mqtt.tls's PEM files: the key formats in use, and one-line errors naming the key and the file. */
class TlsMaterialTest {

  private static Credential ca;
  private static Credential server;

  @TempDir
  Path dir;

  @BeforeAll
  static void issue() throws Exception {
    ca = TestCertificates.ca("Material CA");
    server = TestCertificates.server(ca, "server");
  }

  private static MqttSettings.Tls tls(Path cert, Path key, Path caFile) {
    return new MqttSettings.Tls(true, 0, Optional.of(cert), Optional.of(key), Optional.ofNullable(caFile),
        caFile == null ? ClientAuth.NONE : ClientAuth.REQUIRED, List.of("TLSv1.3"), List.of(), Duration.ofSeconds(10),
        MqttSettings.TlsEngine.AUTO, Optional.empty());
  }

  private ConfigException failure(Path cert, Path key, Path caFile) {
    return catchThrowableOfType(ConfigException.class, () -> TlsMaterial.load(tls(cert, key, caFile)));
  }

  @ParameterizedTest(name = "{0} key as {1}")
  @CsvSource({"EC, PKCS8", "EC, TRADITIONAL", "RSA, PKCS8", "RSA, TRADITIONAL"})
  void readsPkcs8Pkcs1AndSec1Keys(KeyType type, KeyFormat format) throws Exception {
    Credential credential = TestCertificates.server(ca, "server-" + type, type);
    Path cert = credential.writeCertificate(dir.resolve("tls.crt"));
    Path key = credential.writeKey(dir.resolve("tls.key"), format);

    TlsMaterial material = TlsMaterial.load(tls(cert, key, null));

    assertThat(material.certificate()).isEqualTo(credential.certificate());
    assertThat(material.key().getAlgorithm()).isEqualTo(type.name());
    assertThat(Files.readString(key)).startsWith(format == KeyFormat.PKCS8 ? "-----BEGIN PRIVATE KEY-----"
        : "-----BEGIN " + type + " PRIVATE KEY-----");
    assertThat(material.clientCas()).isEmpty();
    assertThat(material.validityProblem(Instant.now())).isEmpty();
    assertThat(material.describe()).contains("CN=server-" + type, "valid until");
  }

  @Test
  void chainKeepsItsOrderAndCaFileMayHoldSeveralCas() throws Exception {
    Credential otherCa = TestCertificates.ca("Other CA");
    Path cert = TestCertificates.writePem(dir.resolve("chain.pem"), server.certificate(), ca.certificate());
    Path cas = TestCertificates.writePem(dir.resolve("ca.pem"), ca.certificate(), otherCa.certificate());

    TlsMaterial material = TlsMaterial.load(tls(cert, server.writeKey(dir.resolve("k.pem")), cas));

    assertThat(material.chain()).containsExactly(server.certificate(), ca.certificate());
    assertThat(material.clientCas()).containsExactly(ca.certificate(), otherCa.certificate());
  }

  @Test
  void missingFileNamesTheKeyAndTheFile() throws Exception {
    Path key = server.writeKey(dir.resolve("tls.key"));
    ConfigException e = failure(dir.resolve("nope.crt"), key, null);

    assertThat(e.key()).isEqualTo("mqtt.tls.certFile");
    assertThat(e).hasMessage("mqtt.tls.certFile: " + dir.resolve("nope.crt") + ": no such file");
  }

  @Test
  void fileWithoutACertificateIsRefused() throws Exception {
    Path cert = Files.writeString(dir.resolve("tls.crt"), "hello\n");
    ConfigException e = failure(cert, server.writeKey(dir.resolve("tls.key")), null);

    assertThat(e.key()).isEqualTo("mqtt.tls.certFile");
    assertThat(e.getMessage()).contains("holds no PEM certificate").doesNotContain("\n");
  }

  @Test
  void derCertificateIsNotPem() throws Exception {
    Path cert = Files.write(dir.resolve("tls.der"), server.certificate().getEncoded());
    ConfigException e = failure(cert, server.writeKey(dir.resolve("tls.key")), null);

    assertThat(e.key()).isEqualTo("mqtt.tls.certFile");
    assertThat(e.getMessage()).contains("holds no PEM certificate");
  }

  @Test
  void brokenPemIsAOneLineError() throws Exception {
    Path cert = Files.writeString(dir.resolve("tls.crt"),
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
    ConfigException e = failure(cert, server.writeKey(dir.resolve("tls.key")), null);

    assertThat(e.key()).isEqualTo("mqtt.tls.certFile");
    assertThat(e.getMessage()).contains("not valid PEM").doesNotContain("\n");
  }

  @Test
  void keyFileWithoutAKeyIsRefused() throws Exception {
    Path cert = server.writeCertificate(dir.resolve("tls.crt"));
    ConfigException e = failure(cert, cert, null);

    assertThat(e.key()).isEqualTo("mqtt.tls.keyFile");
    assertThat(e.getMessage()).contains("holds no PEM private key");
  }

  @Test
  void keyOfAnotherCertificateIsRefused() throws Exception {
    Credential other = TestCertificates.server(ca, "other");
    ConfigException e = failure(server.writeCertificate(dir.resolve("tls.crt")), other.writeKey(dir.resolve("tls.key")),
        null);

    assertThat(e.key()).isEqualTo("mqtt.tls.keyFile");
    assertThat(e.getMessage()).contains("is not the private key of the certificate in mqtt.tls.certFile", "CN=server");
  }

  @Test
  void rsaKeyForAnEcCertificateIsRefused() throws Exception {
    Credential rsa = TestCertificates.server(ca, "rsa", KeyType.RSA);
    ConfigException e = failure(server.writeCertificate(dir.resolve("tls.crt")), rsa.writeKey(dir.resolve("tls.key")),
        null);

    assertThat(e.key()).isEqualTo("mqtt.tls.keyFile");
  }

  @Test
  void encryptedKeyIsRefusedWithAReason() throws Exception {
    Path key = TestCertificates.writePem(dir.resolve("tls.key"), new JcaPKCS8Generator(server.key(),
        new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC).setProvider(new BouncyCastleProvider())
            .setPassword("pw".toCharArray()).build())
        .generate());
    ConfigException e = failure(server.writeCertificate(dir.resolve("tls.crt")), key, null);

    assertThat(e.key()).isEqualTo("mqtt.tls.keyFile");
    assertThat(e.getMessage()).contains("encrypted");
  }

  @Test
  void caFileWithoutCertificatesIsRefused() throws Exception {
    Path cas = server.writeKey(dir.resolve("ca.pem"));
    ConfigException e = failure(server.writeCertificate(dir.resolve("tls.crt")), server.writeKey(dir.resolve("k")),
        cas);

    assertThat(e.key()).isEqualTo("mqtt.tls.caFile");
  }
}
