package io.mqttkafka.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.testkit.Clients;
import io.mqttkafka.bridge.testkit.Metrics;
import io.mqttkafka.bridge.testkit.TestKafka;
import io.mqttkafka.bridge.testkit.WarningLog;
import io.mqttkafka.bridge.testsupport.TestBridge;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Hot reload of the configuration file against a running bridge: what reloads applies to the next
 * packet of connections that stay open; a change that does not validate is refused whole; a key that
 * needs a restart is named in a warning and keeps its value.
 */
class ConfigReloadIT {

  private static final Duration WAIT = Duration.ofSeconds(20);

  /** The file's fixed part; each test adds the rest. */
  private static final String HEAD = "bridge: { reloadInterval: 100ms }\n";

  @TempDir
  Path dir;
  private final String first = TestKafka.uniqueTopic("reload-first");
  private final String second = TestKafka.uniqueTopic("reload-second");
  private Path file;
  private Bridge bridge;
  private final WarningLog warnings = new WarningLog();

  @BeforeEach
  void start() throws Exception {
    TestKafka.createTopic(first, 1);
    TestKafka.createTopic(second, 1);
    warnings.install();
    file = dir.resolve("bridge.yaml");
    Files.writeString(file, HEAD + rules(first, "telemetry"));
    bridge = TestBridge.startWatching(file);
  }

  @AfterEach
  void stop() {
    if (bridge != null) {
      bridge.stop();
    }
    warnings.uninstall();
  }

  @Test
  void aChangedRuleTakesTheNextPublishOfAConnectionThatStaysOpen() throws Exception {
    String id = bridge.config().bridge().id();
    MqttAsyncClient car = Clients.v3(bridge.mqttPort(), "car-reload");
    car.publish("UL/before", bytes("1"), 1, false).waitForCompletion(10_000);
    assertThat(keysOf(first, 1)).containsExactly("car-reload");

    reload(HEAD + rules(second, "telemetry"));
    car.publish("UL/after", bytes("2"), 1, false).waitForCompletion(10_000);

    assertThat(keysOf(second, 1)).containsExactly("car-reload");
    assertThat(car.isConnected()).isTrue();
    assertThat(bridge.config().mappings().uplink().get(0).topic()).isEqualTo(second);
    assertThat(bridge.config().bridge().id()).as("an empty bridge.id keeps the running id").isEqualTo(id);
    String scrape = Metrics.scrape(bridge.httpPort());
    assertThat(Metrics.value(scrape, "mqtt_bridge_uplink_rule_messages_total", "rule=\"telemetry\",outcome=\"written\""))
        .as("a rule that keeps its name keeps its series").isEqualTo(2);
    car.disconnect().waitForCompletion();
  }

  @Test
  void aRenamedRuleGetsANewSeriesAndTheOldOneIsRemoved() throws Exception {
    MqttAsyncClient car = Clients.v3(bridge.mqttPort(), "car-rename");
    car.publish("UL/x", bytes("1"), 1, false).waitForCompletion(10_000);
    assertThat(Metrics.scrape(bridge.httpPort())).contains("rule=\"telemetry\"");

    reload(HEAD + rules(first, "positions"));
    car.publish("UL/x", bytes("2"), 1, false).waitForCompletion(10_000);

    String scrape = Metrics.scrape(bridge.httpPort());
    assertThat(scrape).doesNotContain("rule=\"telemetry\"");
    assertThat(Metrics.value(scrape, "mqtt_bridge_uplink_rule_messages_total", "rule=\"positions\",outcome=\"matched\""))
        .isEqualTo(1);
    car.disconnect().waitForCompletion();
  }

  @Test
  void aChangeThatDoesNotValidateIsRefusedWholeAndTheRunningRulesStay() throws Exception {
    MqttAsyncClient car = Clients.v3(bridge.mqttPort(), "car-refused");
    Files.writeString(file, HEAD + rules(second, "telemetry") + "mqtt: { limits: { maxTopicLength: 0 } }\n");

    await().atMost(WAIT).until(() -> Metrics.value(Metrics.scrape(bridge.httpPort()),
        "mqtt_bridge_config_reloads_total", "outcome=\"refused\"") == 1);
    car.publish("UL/still-first", bytes("1"), 1, false).waitForCompletion(10_000);

    assertThat(keysOf(first, 1)).containsExactly("car-refused");
    assertThat(warnings.matching("Configuration change refused")).singleElement().asString()
        .contains("mqtt.limits.maxTopicLength: must be an integer between 1 and 65535, was \"0\"");
    assertThat(bridge.config().mappings().uplink().get(0).topic()).isEqualTo(first);
    car.disconnect().waitForCompletion();
  }

  @Test
  void aKeyThatNeedsARestartIsNamedInAWarningAndKeepsItsValue() throws Exception {
    int maxMessageSize = bridge.config().mqtt().maxMessageSize();

    reload(HEAD + rules(first, "telemetry") + "mqtt: { maxMessageSize: 2048 }\n");

    assertThat(warnings.matching("apply only at the next start")).singleElement().asString()
        .endsWith("the running values stay): mqtt.maxMessageSize");
    assertThat(bridge.config().mqtt().maxMessageSize()).isEqualTo(maxMessageSize);
  }

  @Test
  void limitsAndDownlinkFiltersApplyToTheNextPacketOfAnOpenConnection() throws Exception {
    org.eclipse.paho.mqttv5.client.MqttAsyncClient car = Clients.v5(bridge.mqttPort(), "car-limits");
    assertThat(granted(car, "CMD/#")).as("not allowed yet: SUBACK 0x87").isEqualTo(0x87);

    reload(HEAD + """
        mqtt: { limits: { maxTopicLength: 8 } }
        mappings:
          uplink: [{ name: telemetry, match: "^UL/(.+)$", topic: "%s" }]
          downlink: { filters: ["DL/#", "CMD/#"] }
        """.formatted(first));

    assertThat(granted(car, "CMD/#")).isEqualTo(1);
    IMqttToken published = car.publish("UL/far-too-long", bytes("x"), 1, false);
    published.waitForCompletion(10_000);
    int[] codes = published.getReasonCodes();
    assertThat(codes).as("PUBACK 0x90: longer than the new mqtt.limits.maxTopicLength").containsExactly(0x90);
    assertThat(car.isConnected()).isTrue();
    car.disconnect().waitForCompletion();
  }

  @Test
  void logLevelsChangeWhileRunningAndGoBackWhenRemoved() throws Exception {
    String logger = "io.mqttkafka.bridge.uplink.ReloadProbe";
    assertThat(LoggerFactory.getLogger(logger).isTraceEnabled()).isFalse();

    reload(HEAD + rules(first, "telemetry") + "logging: { levels: { " + logger + ": TRACE } }\n");
    assertThat(LoggerFactory.getLogger(logger).isTraceEnabled()).isTrue();

    reload(HEAD + rules(first, "telemetry"));
    assertThat(LoggerFactory.getLogger(logger).isTraceEnabled()).isFalse();
  }

  @Test
  void anonymousAccessTurnedOffRefusesNewAnonymousClientsAndKeepsTheConnectedOnes() throws Exception {
    Path passwd = Files.copy(Path.of("src/test/resources/auth/mosquitto.passwd"), dir.resolve("passwd"));
    MqttAsyncClient early = Clients.v3(bridge.mqttPort(), "car-early");

    reload(HEAD + rules(first, "telemetry") + "auth: { passwordFile: " + passwd + ", failureDelay: 10ms }\n");

    assertThat(early.isConnected()).isTrue();
    early.publish("UL/x", bytes("1"), 1, false).waitForCompletion(10_000);
    assertThatThrownBy(() -> Clients.v3(bridge.mqttPort(), "car-late"))
        .hasMessageContaining("Not authorized");
    early.disconnect().waitForCompletion();
  }

  /** Writes the file and waits until the bridge applied it. */
  private void reload(String yaml) throws Exception {
    double before = Metrics.value(Metrics.scrape(bridge.httpPort()), "mqtt_bridge_config_reloads_total",
        "outcome=\"applied\"");
    Files.writeString(file, yaml);
    await().atMost(WAIT).until(() -> Metrics.value(Metrics.scrape(bridge.httpPort()),
        "mqtt_bridge_config_reloads_total", "outcome=\"applied\"") > before);
  }

  private static int granted(org.eclipse.paho.mqttv5.client.MqttAsyncClient client, String filter) throws Exception {
    IMqttToken token = client.subscribe(new MqttSubscription(filter, 1));
    token.waitForCompletion(10_000);
    return token.getReasonCodes()[0];
  }

  private static String rules(String topic, String name) {
    return """
        mappings:
          uplink: [{ name: %s, match: "^UL/(.+)$", topic: "%s" }]
        """.formatted(name, topic);
  }

  private static List<String> keysOf(String topic, int count) {
    return TestKafka.consume(topic, count, Duration.ofSeconds(10)).stream().map(ConsumerRecord::key).toList();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
