package io.mqttkafka.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The {@code tracing} section: off by default, an OTLP endpoint that must be an http(s) URL, env names. */
class TracingConfigTest {

  @TempDir
  Path dir;

  private BridgeConfig load(String yaml, Map<String, String> env) throws IOException, ConfigException {
    return ConfigLoader.load(Files.writeString(dir.resolve("bridge.yaml"), yaml), env);
  }

  @Test
  void tracingIsOffByDefault() {
    TracingSettings tracing = BridgeConfig.defaults().tracing();

    assertThat(tracing).isEqualTo(new TracingSettings(false, true, "mqtt-kafka-bridge", ""));
    assertThat(tracing.enabled()).isFalse();
    assertThat(tracing.spans()).isFalse();
  }

  @Test
  void anEndpointTurnsSpansOnAndTheEnvironmentSetsIt() throws Exception {
    TracingSettings tracing = load("tracing: { generateTraceparent: true, sampled: false }\n",
        Map.of(ConfigLoader.envName("tracing.otlp.endpoint"), "http://collector:4318/v1/traces",
            ConfigLoader.envName("tracing.serviceName"), "edge-a")).tracing();

    assertThat(tracing).isEqualTo(new TracingSettings(true, false, "edge-a", "http://collector:4318/v1/traces"));
    assertThat(tracing.spans()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"collector:4318", "ftp://collector/x", "http://", "http://a b/"})
  void anEndpointThatIsNotAnHttpUrlIsRefused(String endpoint) {
    ConfigException failure = catchThrowableOfType(ConfigException.class,
        () -> load("tracing: { otlp: { endpoint: \"" + endpoint + "\" } }\n", Map.of()));

    assertThat(failure).isNotNull();
    assertThat(failure.getMessage()).contains("tracing.otlp.endpoint");
  }

  @Test
  void tracingIsNotReloadedLive() {
    assertThat(ConfigChange.isLive("tracing.otlp.endpoint")).isFalse();
  }
}
