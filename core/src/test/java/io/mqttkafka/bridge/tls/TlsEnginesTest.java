package io.mqttkafka.bridge.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mqttkafka.bridge.config.ConfigException;
import io.mqttkafka.bridge.config.MqttSettings;
import io.mqttkafka.bridge.config.MqttSettings.ClientAuth;
import io.mqttkafka.bridge.config.MqttSettings.TlsEngine;
import io.netty.handler.ssl.OpenSsl;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TlsEnginesTest {

  private static final TicketKeys NO_SHARED_KEYS = new TicketKeys(null);

  private static MqttSettings.Tls tls(TlsEngine engine, String... ciphers) {
    return new MqttSettings.Tls(true, 0, Optional.of(Path.of("/a.crt")), Optional.of(Path.of("/a.key")),
        Optional.empty(), ClientAuth.NONE, List.of("TLSv1.3", "TLSv1.2"), List.of(ciphers), Duration.ofSeconds(10),
        engine, Optional.empty());
  }

  @Test
  void autoTakesOpenSslWhereItsLibraryLoadsAndNamesTheJdkAsFallback() throws Exception {
    assumeTrue(OpenSsl.isAvailable(), "netty-tcnative has no library for this platform");

    TlsEngines.Choice choice = TlsEngines.choose(tls(TlsEngine.AUTO));

    assertThat(choice.engine()).isEqualTo(TlsEngine.OPENSSL);
    assertThat(choice.options(NO_SHARED_KEYS)).isInstanceOf(OpenSSLEngineOptions.class);
    assertThat(choice.options(NO_SHARED_KEYS).copy()).isInstanceOf(OpenSSLEngineOptions.class);
    assertThat(choice.description()).startsWith("OpenSSL (").contains("fallback");
  }

  @Test
  void jdkCanBeForced() throws Exception {
    TlsEngines.Choice choice = TlsEngines.choose(tls(TlsEngine.JDK));

    assertThat(choice.engine()).isEqualTo(TlsEngine.JDK);
    assertThat(choice.options(NO_SHARED_KEYS)).isInstanceOf(JdkSSLEngineOptions.class);
    assertThat(choice.description()).isEqualTo("JDK (mqtt.tls.engine is jdk)");
  }

  @Test
  void autoFallsBackToTheJdkForACipherSuiteOpenSslLacks() throws Exception {
    assumeTrue(OpenSsl.isAvailable(), "netty-tcnative has no library for this platform");
    // A suite the JDK knows and BoringSSL does not.
    String jdkOnly = "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256";
    assumeTrue(!OpenSsl.isCipherSuiteAvailable(jdkOnly));

    TlsEngines.Choice choice = TlsEngines.choose(tls(TlsEngine.AUTO, "TLS_AES_128_GCM_SHA256", jdkOnly));

    assertThat(choice.engine()).isEqualTo(TlsEngine.JDK);
    assertThat(choice.description()).contains(jdkOnly).doesNotContain("TLS_AES_128_GCM_SHA256");
  }

  @Test
  void forcedOpenSslRefusesACipherSuiteItLacks() {
    assumeTrue(OpenSsl.isAvailable(), "netty-tcnative has no library for this platform");
    String jdkOnly = "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256";
    assumeTrue(!OpenSsl.isCipherSuiteAvailable(jdkOnly));

    ConfigException e = catchThrowableOfType(ConfigException.class,
        () -> TlsEngines.choose(tls(TlsEngine.OPENSSL, jdkOnly)));

    assertThat(e.key()).isEqualTo("mqtt.tls.engine");
    assertThat(e.getMessage()).contains("is openssl, but OpenSSL does not support the cipher suites " + jdkOnly);
  }
}
