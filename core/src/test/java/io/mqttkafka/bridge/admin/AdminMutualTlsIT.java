package io.mqttkafka.bridge.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.testkit.TestCertificates;
import io.mqttkafka.bridge.testkit.TestCertificates.Credential;
import io.mqttkafka.bridge.testsupport.AdminHttp;
import io.mqttkafka.bridge.testsupport.TestBridge;
import java.net.http.HttpClient;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API behind mTLS (http.admin.clientCertificate): the management port speaks HTTPS and asks
 * for a client certificate without requiring one, so probes and scrapers still work; the admin API
 * answers only a client whose certificate the CAs of http.tls.caFile signed.
 */
class AdminMutualTlsIT {

  @TempDir
  static Path dir;
  private static Credential serverCa;
  private static Credential operator;
  private static Credential stranger;
  private static Bridge bridge;

  @BeforeAll
  static void start() throws Exception {
    serverCa = TestCertificates.ca("Management CA");
    Credential adminCa = TestCertificates.ca("Operators CA");
    operator = TestCertificates.client(adminCa, "operator-1");
    stranger = TestCertificates.client(TestCertificates.ca("Unknown CA"), "someone");
    Credential server = TestCertificates.server(serverCa, "bridge-management");
    bridge = TestBridge.start("""
        http:
          tls: { enabled: true, certFile: "%s", keyFile: "%s", caFile: "%s" }
          admin: { enabled: true, clientCertificate: true }
        """.formatted(server.writeCertificate(dir.resolve("http.crt")), server.writeKey(dir.resolve("http.key")),
        adminCa.writeCertificate(dir.resolve("operators.crt"))));
  }

  @AfterAll
  static void stop() {
    bridge.stop();
  }

  @Test
  void anOperatorsCertificateOpensTheAdminApi() throws Exception {
    AdminHttp admin = https(operator);

    assertThat(admin.json("/admin/v1/cluster").path("instances").get(0).path("instanceId").asText())
        .isEqualTo(bridge.config().bridge().id());
  }

  @Test
  void withoutACertificateTheHealthAndMetricsAnswerButTheAdminApiDoesNot() throws Exception {
    AdminHttp anonymous = https(null);

    assertThat(anonymous.get("/health/live").statusCode()).isEqualTo(200);
    assertThat(anonymous.get("/metrics").statusCode()).isEqualTo(200);
    assertThat(anonymous.get("/admin/v1/cluster").statusCode()).isEqualTo(401);
    assertThat(AdminHttp.parse(anonymous.get("/admin/v1/cluster").body()).path("message").asText())
        .contains("client certificate");
  }

  @Test
  void aCertificateOfAnotherCaIsRefusedInTheHandshake() throws Exception {
    AdminHttp foreign = https(stranger);

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> foreign.get("/admin/v1/cluster"))
        .isInstanceOf(java.io.IOException.class);
  }

  private static AdminHttp https(Credential client) throws Exception {
    HttpClient http = HttpClient.newBuilder().sslContext(TestCertificates.sslContext(serverCa, client)).build();
    return new AdminHttp(http, "https://localhost:" + bridge.httpPort(), null);
  }
}
