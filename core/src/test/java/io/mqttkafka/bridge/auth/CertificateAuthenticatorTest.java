package io.mqttkafka.bridge.auth;

import static io.mqttkafka.bridge.auth.Outcomes.identity;
import static io.mqttkafka.bridge.auth.Outcomes.refusal;
import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.auth.AuthenticationException.Reason;
import io.mqttkafka.bridge.config.AuthSettings.CertificateIdentity;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client id must be the certificate's CN or one of its subjectAltNames. Certificates are made by
 * the JDK's keytool in the test, as an operator's CA tooling would (only the leaf is read: the TLS
 * listener verifies the chain).
 */
class CertificateAuthenticatorTest {

  @TempDir
  static Path dir;
  private static X509Certificate car1;
  private static X509Certificate twoCns;
  private static X509Certificate cnOnly;

  @BeforeAll
  static void certificates() throws Exception {
    car1 = certificate("CN=car1, OU=Cars, O=Fleet",
        "SAN=dns:car1.fleet.example,dns:car1-alias,uri:urn:dev:car1,email:car1@fleet.example");
    twoCns = certificate("CN=car1, CN=admin, O=Fleet", null);
    cnOnly = certificate("CN=car3", null);
  }

  /** A self-signed certificate made by {@code keytool -genkeypair}. */
  private static X509Certificate certificate(String dname, String extension) throws Exception {
    Path store = Files.createTempFile(dir, "cert", ".p12");
    Files.delete(store);
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "device", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", dname,
        "-validity", "2", "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", "changeit"));
    if (extension != null) {
      command.addAll(List.of("-ext", extension));
    }
    Process keytool = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(keytool.getInputStream().readAllBytes());
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).as(output).isZero();
    KeyStore keyStore = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      keyStore.load(in, "changeit".toCharArray());
    }
    return (X509Certificate) keyStore.getCertificate("device");
  }

  private static ConnectInfo connect(String clientId, X509Certificate... chain) {
    return new ConnectInfo(clientId, null, null, List.of(chain));
  }

  @Test
  void commonNameEqualToTheClientIdLetsTheClientIn() throws Exception {
    CertificateAuthenticator cn = new CertificateAuthenticator(CertificateIdentity.CN);

    assertThat(identity(cn.authenticate(connect("car1", car1)))).isEqualTo(new Identity("car1", "car1"));
    assertThat(identity(cn.authenticate(connect("car3", cnOnly))).clientId()).isEqualTo("car3");
  }

  @Test
  void commonNameOfAnotherClientIsAMismatch() throws Exception {
    CertificateAuthenticator cn = new CertificateAuthenticator(CertificateIdentity.CN);

    assertThat(refusal(cn.authenticate(connect("car2", car1))).reason()).isEqualTo(Reason.CLIENT_ID_MISMATCH);
    // Exact match only: no case folding, no prefix.
    assertThat(refusal(cn.authenticate(connect("CAR1", car1))).reason()).isEqualTo(Reason.CLIENT_ID_MISMATCH);
    assertThat(refusal(cn.authenticate(connect("car", car1))).reason()).isEqualTo(Reason.CLIENT_ID_MISMATCH);
  }

  @Test
  void certificateWithTwoCommonNamesNamesNoClient() throws Exception {
    CertificateAuthenticator cn = new CertificateAuthenticator(CertificateIdentity.CN);

    assertThat(refusal(cn.authenticate(connect("car1", twoCns))).reason()).isEqualTo(Reason.CLIENT_ID_MISMATCH);
    assertThat(refusal(cn.authenticate(connect("admin", twoCns))).reason()).isEqualTo(Reason.CLIENT_ID_MISMATCH);
  }

  @Test
  void subjectAltNamesOfTheConfiguredKindAreMatched() throws Exception {
    CertificateAuthenticator dns = new CertificateAuthenticator(CertificateIdentity.SAN_DNS);
    CertificateAuthenticator uri = new CertificateAuthenticator(CertificateIdentity.SAN_URI);
    CertificateAuthenticator email = new CertificateAuthenticator(CertificateIdentity.SAN_EMAIL);

    assertThat(identity(dns.authenticate(connect("car1.fleet.example", car1))).username())
        .isEqualTo("car1.fleet.example");
    assertThat(identity(dns.authenticate(connect("car1-alias", car1))).clientId()).isEqualTo("car1-alias");
    assertThat(identity(uri.authenticate(connect("urn:dev:car1", car1))).clientId()).isEqualTo("urn:dev:car1");
    assertThat(identity(email.authenticate(connect("car1@fleet.example", car1))).clientId())
        .isEqualTo("car1@fleet.example");
    // A name of another kind does not count: the CN is not a DNS name, a DNS name is not a URI.
    assertThat(refusal(dns.authenticate(connect("car1", car1))).reason()).isEqualTo(Reason.CLIENT_ID_MISMATCH);
    assertThat(refusal(uri.authenticate(connect("car1.fleet.example", car1))).reason())
        .isEqualTo(Reason.CLIENT_ID_MISMATCH);
  }

  @Test
  void certificateWithoutTheConfiguredNameIsAMismatch() throws Exception {
    AuthenticationException e = refusal(new CertificateAuthenticator(CertificateIdentity.SAN_DNS)
        .authenticate(connect("car3", cnOnly)));

    assertThat(e.reason()).isEqualTo(Reason.CLIENT_ID_MISMATCH);
    assertThat(e).hasMessageContaining("san-dns is missing");
  }

  @Test
  void onlyTheLeafCertificateCounts() throws Exception {
    CertificateAuthenticator cn = new CertificateAuthenticator(CertificateIdentity.CN);

    assertThat(refusal(cn.authenticate(connect("car3", car1, cnOnly))).reason()).isEqualTo(Reason.CLIENT_ID_MISMATCH);
  }

  @Test
  void connectionWithoutClientCertificateIsLeftToOtherMethods() throws Exception {
    assertThat(refusal(new CertificateAuthenticator(CertificateIdentity.CN).authenticate(connect("car1"))).reason())
        .isEqualTo(Reason.NO_CREDENTIALS);
  }
}
