package io.mqttkafka.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a reload builds on: which keys change while the bridge runs, which changed, and the running
 * configuration with a new one's live settings; and the new keys' validation.
 */
class ConfigReloadTest {

  @TempDir
  Path dir;

  @Test
  void rulesAuthLimitsClientIdRulesLogLevelsAndTheDrainPeriodReloadTheRestNeedsARestart() {
    for (String live : new String[] {"mappings.uplink", "mappings.downlink.filters", "auth.passwordFile",
        "auth.jwt.issuer", "mqtt.limits.publishRate", "mqtt.receiveMaximum", "mqtt.clientIdPattern",
        "mqtt.maxClientIdLength", "mqtt.topicAliasMaximum", "logging.level", "logging.levels.io.vertx",
        "shutdown.drainPeriod"}) {
      assertThat(ConfigChange.isLive(live)).as(live).isTrue();
    }
    for (String restart : new String[] {"bridge.id", "bridge.reloadInterval", "mqtt.port", "mqtt.tls.certFile",
        "mqtt.maxMessageSize", "http.port", "http.admin.enabled", "kafka.bootstrapServers", "kafka.producer.linger.ms",
        "cluster.members", "logging.json", "mqtt.limitsX", "sessions.maxExpiry", "sessions.queue.maxMessages",
        "mappings.downlink.userProperties.allow", "kafka.topics.sessions"}) {
      assertThat(ConfigChange.isLive(restart)).as(restart).isFalse();
    }
  }

  @Test
  void changedKeysNameTheLeavesThatDifferAndAListAsAWhole() throws Exception {
    ConfigChange before = load("mqtt: { port: 1884 }\nkafka: { producer: { linger.ms: 5 } }\n");
    ConfigChange after = load("mqtt: { port: 1885, limits: { publishRate: 10 } }\n"
        + "kafka: { producer: { linger.ms: 5, acks: all } }\nmappings: { downlink: { filters: [\"A/#\"] } }\n");

    assertThat(after.changedSince(before)).containsExactly("kafka.producer.acks", "mappings.downlink.filters",
        "mqtt.limits.publishRate", "mqtt.port");
    assertThat(after.changedSince(after)).isEmpty();
  }

  @Test
  void theRunningConfigurationTakesOnlyTheLiveSettingsAndKeepsItsInstanceId() throws Exception {
    BridgeConfig running = load("mqtt: { port: 1884 }\n").config();
    BridgeConfig next = load("""
        mqtt: { port: 1999, receiveMaximum: 7, limits: { maxConnections: 3 } }
        mappings: { uplink: [{ name: a, match: "^A$", topic: t }] }
        logging: { json: true, level: DEBUG }
        """).config();

    BridgeConfig applied = running.withLiveSettingsOf(next);

    assertThat(next.bridge().id()).as("an empty id is new at every validation").isNotEqualTo(running.bridge().id());
    assertThat(applied.bridge()).isEqualTo(running.bridge());
    assertThat(applied.mqtt().port()).isEqualTo(1884);
    assertThat(applied.mqtt().receiveMaximum()).isEqualTo(7);
    assertThat(applied.mqtt().limits().maxConnections()).isEqualTo(3);
    assertThat(applied.mappings()).isEqualTo(next.mappings());
    assertThat(applied.logging().level()).isEqualTo("DEBUG");
    assertThat(applied.logging().json()).as("the log layout is set once, at start").isFalse();
    assertThat(applied.kafka()).isEqualTo(running.kafka());
  }

  @Test
  void twoRulesMayNotShareAName() {
    assertThatThrownBy(() -> load("""
        mappings: { uplink: [{ name: a, match: "^A$", topic: t }, { name: a, match: "^B$", topic: u }] }
        """)).isInstanceOf(ConfigException.class).hasMessage("mappings.uplink[1].name: names the rule \"a\", as"
        + " mappings.uplink[0] does already: each rule needs a name of its own");
    assertThatThrownBy(() -> load("""
        mappings: { uplink: [{ match: "^A$", topic: t }, { name: rule-0, match: "^B$", topic: u }] }
        """)).hasMessageStartingWith("mappings.uplink[1].name: names the rule \"rule-0\"");
  }

  @Test
  void theAdminApiIsNeverUnprotected() throws Exception {
    assertThatThrownBy(() -> load("http: { admin: { enabled: true } }\n")).hasMessageStartingWith(
        "http.admin.enabled: is true, but nothing protects the admin API");
    assertThatThrownBy(() -> load("http: { admin: { enabled: true, clientCertificate: true } }\n"))
        .hasMessageStartingWith("http.admin.clientCertificate: is true, but the management port asks for no client"
            + " certificate");
    assertThatThrownBy(() -> load("http: { admin: { enabled: true, tokenFile: " + dir.resolve("none") + " } }\n"))
        .hasMessageEndingWith("none: no such file");
    Path token = Files.writeString(dir.resolve("token"), "t\n");
    HttpSettings http = load("http: { admin: { enabled: true, tokenFile: " + token + " } }\n").config().http();
    assertThat(http.admin()).isEqualTo(new HttpSettings.Admin(true, java.util.Optional.of(token),
        Duration.ofSeconds(5), false));
  }

  @Test
  void theNewKeysHaveTheirDefaults() throws Exception {
    BridgeConfig config = load("").config();

    assertThat(config.bridge().reloadInterval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.auth().disconnectRevoked()).isFalse();
    assertThat(config.auth().jwt().reloadInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.http().admin().enabled()).isFalse();
    assertThat(config.http().tls().enabled()).isFalse();
    assertThat(load("bridge: { reloadInterval: 0s }\n").config().bridge().reloadInterval()).isZero();
  }

  private ConfigChange load(String yaml) throws Exception {
    Path file = Files.writeString(Files.createTempFile(dir, "bridge", ".yaml"), yaml);
    Vertx vertx = Vertx.vertx();
    try {
      return ConfigLoader.create(vertx, file, Map.of(), Duration.ZERO).readTree().toCompletionStage()
          .toCompletableFuture().get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw (Exception) e.getCause();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }
}
