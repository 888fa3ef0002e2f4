package io.mqttkafka.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.mqttkafka.bridge.config.MappingSettings.Unmatched;
import io.mqttkafka.bridge.config.UplinkRule;
import io.mqttkafka.bridge.records.UserPropertyRules;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {

  @TempDir
  Path dir;

  private Path file(String yaml) throws IOException {
    return Files.writeString(dir.resolve("bridge.yaml"), yaml);
  }

  private BridgeConfig load(String yaml, Map<String, String> env) throws Exception {
    return ConfigLoader.load(file(yaml), env);
  }

  @Test
  void withoutFileOrEnvironmentEveryKeyHasItsDefault() throws Exception {
    BridgeConfig c = ConfigLoader.load(null, Map.of());

    assertThat(c.bridge().id()).matches(".+-[0-9a-f]{6}");
    assertThat(c.mqtt().host()).isEqualTo("0.0.0.0");
    assertThat(c.mqtt().port()).isEqualTo(1883);
    assertThat(c.mqtt().maxMessageSize()).isEqualTo(1_048_576);
    assertThat(c.mqtt().connectTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.mqtt().maxClientIdLength()).isEqualTo(128);
    assertThat(c.mqtt().clientIdPattern().pattern()).isEqualTo("[A-Za-z0-9_.:@-]+");
    assertThat(c.mqtt().receiveMaximum()).isEqualTo(100);
    assertThat(c.mqtt().topicAliasMaximum()).isEqualTo(10);
    assertThat(c.mqtt().limits()).isEqualTo(new MqttSettings.Limits(100_000, 2000, 4000, 256, 16, 0, 0, 0, 3600,
        Duration.ofSeconds(5), 100));
    assertThat(c.mqtt().instances()).isZero();
    assertThat(c.http()).isEqualTo(new HttpSettings("0.0.0.0", 9090));
    assertThat(c.kafka().bootstrapServers()).isEmpty();
    assertThat(c.kafka().embeddedMode()).isTrue();
    assertThat(c.kafka().producer()).isEmpty();
    assertThat(c.kafka().consumer()).isEmpty();
    assertThat(c.kafka().topics()).isEqualTo(
        new KafkaSettings.Topics("mqtt.subscriptions", "mqtt.downlink", "mqtt.receipts", "mqtt.deadletter",
            "mqtt.sessions"));
    assertThat(c.kafka().internalTopics()).isEqualTo(new KafkaSettings.InternalTopicLayout(12, (short) -1));
    assertThat(c.kafka().embedded()).isEqualTo(new KafkaSettings.Embedded(Path.of("./data"), 9092, 9093));
    assertThat(c.mappings().uplink()).hasSize(1);
    UplinkRule rule = c.mappings().uplink().get(0);
    assertThat(rule.index()).isZero();
    assertThat(rule.name()).isEqualTo("rule-0");
    assertThat(rule.match()).isEqualTo("^UL/(.+)$");
    assertThat(rule.topic()).isEqualTo("cs.uplink");
    assertThat(rule.key()).isEqualTo("${clientId}");
    assertThat(c.mappings().unmatched()).isEqualTo(Unmatched.REJECT);
    assertThat(c.mappings().downlink()).isEqualTo(new MappingSettings.Downlink(List.of("DL/#"), Duration.ofSeconds(30)));
    assertThat(c.mappings().downlink().userProperties()).isEqualTo(new UserPropertyRules(List.of(), List.of(), 4096));
    assertThat(c.cluster()).isEqualTo(
        new ClusterSettings(false, "mqtt-kafka-bridge", "127.0.0.1", 5701, List.of()));
    assertThat(c.cluster().kubernetes()).isEqualTo(new ClusterSettings.Kubernetes(false, ""));
    assertThat(c.logging()).isEqualTo(new LoggingSettings(false, "INFO", Map.of()));
  }

  @Test
  void defaultsEqualLoadingNothing() {
    BridgeConfig c = BridgeConfig.defaults();

    assertThat(c.mqtt().port()).isEqualTo(1883);
    assertThat(c.mappings().uplink()).extracting(UplinkRule::topic).containsExactly("cs.uplink");
  }

  @Test
  void emptyOrCommentOnlyFileMeansAllDefaults() throws Exception {
    assertThat(load("", Map.of()).mqtt().port()).isEqualTo(1883);
    assertThat(load("# nothing here\n", Map.of()).kafka().topics().downlink()).isEqualTo("mqtt.downlink");
  }

  @Test
  void fileOverridesDefaultsAndKeepsTheRest() throws Exception {
    BridgeConfig c = load("""
        bridge: { id: edge-1 }
        mqtt:
          port: 1884
          connectTimeout: 250ms
          clientIdPattern: "[a-z]+"
          topicAliasMaximum: 0
        kafka:
          bootstrapServers: "k1:9092,k2:9092"
          topics: { downlink: cars.downlink }
          internalTopics: { partitions: 3, replicationFactor: 3 }
        mappings:
          uplink:
            - { name: position, match: "^UL/([^/]+)/(.+)$", topic: "cs.$1", key: "${clientId}-$2" }
            - { match: "^X/(.+)$", topic: x.raw }
          unmatched: DeadLetter
          downlink: { filters: ["DL/${clientId}/#", "+/cmd", "#"], ackTimeout: 2m,
                      userProperties: { allow: [x-trace-*, unit], deny: [x-trace-secret], maxBytes: 512 } }
        cluster: { enabled: true, members: [a:5701, b] }
        logging: { json: true, level: debug, levels: { io.vertx: warn, org: { apache: off } } }
        """, Map.of());

    assertThat(c.bridge().id()).isEqualTo("edge-1");
    assertThat(c.mqtt().port()).isEqualTo(1884);
    assertThat(c.mqtt().host()).isEqualTo("0.0.0.0");
    assertThat(c.mqtt().connectTimeout()).isEqualTo(Duration.ofMillis(250));
    assertThat(c.mqtt().clientIdPattern().matcher("car").matches()).isTrue();
    assertThat(c.kafka().embeddedMode()).isFalse();
    assertThat(c.kafka().topics().downlink()).isEqualTo("cars.downlink");
    assertThat(c.kafka().topics().receipts()).isEqualTo("mqtt.receipts");
    assertThat(c.kafka().internalTopics()).isEqualTo(new KafkaSettings.InternalTopicLayout(3, (short) 3));
    assertThat(c.mappings().uplink())
        .extracting(UplinkRule::index, UplinkRule::name, UplinkRule::topic, UplinkRule::key)
        .containsExactly(
            tuple(0, "position", "cs.$1", "${clientId}-$2"),
            tuple(1, "rule-1", "x.raw", "${clientId}"));
    assertThat(c.mappings().unmatched()).isEqualTo(Unmatched.DEADLETTER);
    assertThat(c.mappings().downlink().filters()).containsExactly("DL/${clientId}/#", "+/cmd", "#");
    assertThat(c.mappings().downlink().ackTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(c.mappings().downlink().userProperties())
        .isEqualTo(new UserPropertyRules(List.of("x-trace-*", "unit"), List.of("x-trace-secret"), 512));
    assertThat(c.mqtt().topicAliasMaximum()).isEqualTo(0);
    assertThat(c.cluster().enabled()).isTrue();
    assertThat(c.cluster().members()).containsExactly("a:5701", "b");
    assertThat(c.cluster().port()).isEqualTo(5701);
    assertThat(c.logging().json()).isTrue();
    assertThat(c.logging().level()).isEqualTo("DEBUG");
    assertThat(c.logging().levels()).containsExactlyInAnyOrderEntriesOf(Map.of("io.vertx", "WARN", "org.apache", "OFF"));
  }

  @Test
  void keyWithoutValueKeepsTheDefault() throws Exception {
    assertThat(load("mqtt:\n  port:\nkafka:\n", Map.of()).mqtt().port()).isEqualTo(1883);
  }

  @Test
  void kubernetesDiscoveryIsSetFromTheEnvironmentAsTheHelmChartDoes() throws Exception {
    BridgeConfig c = ConfigLoader.load(null, Map.of(
        "MQTT_BRIDGE_CLUSTER_ENABLED", "true",
        "MQTT_BRIDGE_CLUSTER_HOST", "10.1.2.3",
        "MQTT_BRIDGE_CLUSTER_KUBERNETES_ENABLED", "true",
        "MQTT_BRIDGE_CLUSTER_KUBERNETES_SERVICE_DNS", "bridge-hz.iot.svc.cluster.local"));

    assertThat(c.cluster().host()).isEqualTo("10.1.2.3");
    assertThat(c.cluster().kubernetes())
        .isEqualTo(new ClusterSettings.Kubernetes(true, "bridge-hz.iot.svc.cluster.local"));
    assertThat(c.cluster().members()).isEmpty();
  }

  @Test
  void environmentOverridesFile() throws Exception {
    BridgeConfig c = load("mqtt: { port: 1884, host: 10.0.0.1 }\nkafka: { bootstrapServers: file:9092 }",
        Map.of("MQTT_BRIDGE_MQTT_PORT", "1885", "MQTT_BRIDGE_KAFKA_BOOTSTRAP_SERVERS", "env:9092"));

    assertThat(c.mqtt().port()).isEqualTo(1885);
    assertThat(c.mqtt().host()).isEqualTo("10.0.0.1");
    assertThat(c.kafka().bootstrapServers()).isEqualTo("env:9092");
  }

  @Test
  void environmentValuesAreYaml() throws Exception {
    BridgeConfig c = ConfigLoader.load(null, Map.of(
        "MQTT_BRIDGE_MQTT_PORT", "1884",
        "MQTT_BRIDGE_CLUSTER_ENABLED", "true",
        "MQTT_BRIDGE_CLUSTER_MEMBERS", "[a:5701, b:5701]",
        "MQTT_BRIDGE_MAPPINGS_UPLINK", "[{match: \"^A/(.+)$\", topic: t}]",
        "MQTT_BRIDGE_MAPPINGS_DOWNLINK_FILTERS", "[\"C/#\"]",
        "MQTT_BRIDGE_LOGGING_LEVELS", "{io.netty: error}",
        "MQTT_BRIDGE_KAFKA_INTERNAL_TOPICS_REPLICATION_FACTOR", "2"));

    assertThat(c.mqtt().port()).isEqualTo(1884);
    assertThat(c.cluster().enabled()).isTrue();
    assertThat(c.cluster().members()).containsExactly("a:5701", "b:5701");
    assertThat(c.mappings().uplink()).singleElement().satisfies(rule -> {
      assertThat(rule.match()).isEqualTo("^A/(.+)$");
      assertThat(rule.topic()).isEqualTo("t");
      assertThat(rule.key()).isEqualTo("${clientId}");
      assertThat(rule.name()).isEqualTo("rule-0");
    });
    assertThat(c.mappings().downlink().filters()).containsExactly("C/#");
    assertThat(c.logging().levels()).isEqualTo(Map.of("io.netty", "ERROR"));
    assertThat(c.kafka().internalTopics().replicationFactor()).isEqualTo((short) 2);
  }

  @Test
  void environmentValuesForStringKeysAreVerbatim() throws Exception {
    BridgeConfig c = ConfigLoader.load(null, Map.of(
        "MQTT_BRIDGE_BRIDGE_ID", "007",
        "MQTT_BRIDGE_MQTT_CLIENT_ID_PATTERN", "[a-z]+",
        "MQTT_BRIDGE_MQTT_CONNECT_TIMEOUT", "5000",
        "MQTT_BRIDGE_LOGGING_LEVEL", "off"));

    assertThat(c.bridge().id()).isEqualTo("007");
    assertThat(c.mqtt().clientIdPattern().pattern()).isEqualTo("[a-z]+");
    assertThat(c.mqtt().connectTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.logging().level()).isEqualTo("OFF");
  }

  @Test
  void emptyEnvironmentValueForBootstrapServersMeansEmbeddedKafka() throws Exception {
    BridgeConfig c = load("kafka: { bootstrapServers: k:9092 }", Map.of("MQTT_BRIDGE_KAFKA_BOOTSTRAP_SERVERS", ""));

    assertThat(c.kafka().embeddedMode()).isTrue();
  }

  @Test
  void otherPrefixedVariablesAreIgnored() throws Exception {
    BridgeConfig c = ConfigLoader.load(null, Map.of(
        "MQTT_BRIDGE_CONFIG", "/does/not/exist.yaml",
        "MQTT_BRIDGE_MQTT_PROT", "1",
        "MQTT_BRIDGE_", "x",
        "PATH", "/bin"));

    assertThat(c.mqtt().port()).isEqualTo(1883);
  }

  @Test
  void producerPropertiesFromNestedAndFlatYaml() throws Exception {
    BridgeConfig c = load("""
        kafka:
          producer:
            linger: { ms: 5 }
            batch.size: 65536
            acks: all
            enable.idempotence: true
            interceptor.classes: [a.B, c.D]
          consumer:
            max: { poll: { records: 100 } }
        """, Map.of());

    assertThat(c.kafka().producer()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "linger.ms", "5", "batch.size", "65536", "acks", "all", "enable.idempotence", "true",
        "interceptor.classes", "a.B,c.D"));
    assertThat(c.kafka().consumer()).isEqualTo(Map.of("max.poll.records", "100"));
  }

  @Test
  void producerAndConsumerPropertiesFromEnvironment() throws Exception {
    BridgeConfig c = load("kafka: { producer: { linger.ms: 1, acks: \"1\" } }", Map.of(
        "MQTT_BRIDGE_KAFKA_PRODUCER_LINGER_MS", "5",
        "MQTT_BRIDGE_KAFKA_PRODUCER_SASL_JAAS_CONFIG", "org.Plain required username=\"u\" password=\"p # q\";",
        "MQTT_BRIDGE_KAFKA_CONSUMER_MAX_POLL_RECORDS", "100",
        "MQTT_BRIDGE_KAFKA_CONSUMER", "{fetch.min.bytes: 1}"));

    assertThat(c.kafka().producer()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "linger.ms", "5", "acks", "1",
        "sasl.jaas.config", "org.Plain required username=\"u\" password=\"p # q\";"));
    assertThat(c.kafka().consumer()).containsExactlyInAnyOrderEntriesOf(
        Map.of("max.poll.records", "100", "fetch.min.bytes", "1"));
  }

  @Test
  void unknownKeyInFileIsAnErrorNamingIt() {
    assertThatThrownBy(() -> load("mqtt: { prot: 1884 }", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("mqtt.prot: unknown key")
        .hasMessageContaining("port")
        .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo("mqtt.prot"));
    assertThatThrownBy(() -> load("mqqt: { port: 1884 }", Map.of())).hasMessageStartingWith("mqqt: unknown key");
    assertThatThrownBy(() -> load("kafka: { topics: { deadletter: x } }", Map.of()))
        .hasMessageStartingWith("kafka.topics.deadletter: unknown key");
    assertThatThrownBy(() -> load("mappings: { uplink: [{ match: a, topic: b, kee: c }] }", Map.of()))
        .hasMessageStartingWith("mappings.uplink[0].kee: unknown key");
  }

  @Test
  void anyNameIsAllowedInsideOpenMaps() throws Exception {
    BridgeConfig c = load("""
        kafka: { producer: { anything.goes: 1 }, consumer: { so.does: this } }
        logging: { levels: { com.example.Foo: TRACE } }
        """, Map.of());

    assertThat(c.kafka().producer()).containsEntry("anything.goes", "1");
    assertThat(c.kafka().consumer()).containsEntry("so.does", "this");
    assertThat(c.logging().levels()).containsEntry("com.example.Foo", "TRACE");
  }

  @Test
  void missingFileIsAConfigErrorWithThePath() {
    Path missing = dir.resolve("nope.yaml");

    assertThatThrownBy(() -> ConfigLoader.load(missing, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("config: " + missing + ": no such file")
        .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo("config"));
  }

  @Test
  void directoryIsAConfigError() {
    assertThatThrownBy(() -> ConfigLoader.load(dir, Map.of())).hasMessageStartingWith("config: " + dir + ": cannot read");
  }

  @Test
  void unparsableFileIsAOneLineConfigErrorWithThePathAndPosition() throws IOException {
    Path bad = file("mqtt:\n  port: [1884\n");

    assertThatThrownBy(() -> ConfigLoader.load(bad, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config: " + bad + ": not valid YAML: ")
        .hasMessageContaining("line 2")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void duplicateKeyInFileIsAConfigError() throws IOException {
    Path dup = file("mqtt:\n  port: 1\n  port: 2\n");

    assertThatThrownBy(() -> ConfigLoader.load(dup, Map.of())).hasMessageStartingWith("config: " + dup)
        .hasMessageContaining("Duplicate field 'port'");
  }

  @Test
  void fileThatIsNotAMapIsAConfigError() {
    assertThatThrownBy(() -> load("- a\n- b\n", Map.of())).hasMessageEndingWith("must be a YAML map of keys, was a list");
  }

  @Test
  void unparsableEnvironmentValueNamesTheKeyAndVariable() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("MQTT_BRIDGE_CLUSTER_MEMBERS", "[a, b")))
        .hasMessageStartingWith("cluster.members: environment variable MQTT_BRIDGE_CLUSTER_MEMBERS is not valid YAML");
  }

  @ParameterizedTest
  @CsvSource({
      "kafka.bootstrapServers, MQTT_BRIDGE_KAFKA_BOOTSTRAP_SERVERS",
      "mqtt.port, MQTT_BRIDGE_MQTT_PORT",
      "mqtt.maxClientIdLength, MQTT_BRIDGE_MQTT_MAX_CLIENT_ID_LENGTH",
      "kafka.topics.deadLetter, MQTT_BRIDGE_KAFKA_TOPICS_DEAD_LETTER",
      "kafka.internalTopics.replicationFactor, MQTT_BRIDGE_KAFKA_INTERNAL_TOPICS_REPLICATION_FACTOR",
      "mappings.downlink.ackTimeout, MQTT_BRIDGE_MAPPINGS_DOWNLINK_ACK_TIMEOUT",
      "mappings.downlink.userProperties.maxBytes, MQTT_BRIDGE_MAPPINGS_DOWNLINK_USER_PROPERTIES_MAX_BYTES",
      "mqtt.topicAliasMaximum, MQTT_BRIDGE_MQTT_TOPIC_ALIAS_MAXIMUM",
      "bridge.id, MQTT_BRIDGE_BRIDGE_ID"
  })
  void envNameIsPrefixedUpperSnakeCase(String key, String env) {
    assertThat(ConfigLoader.envName(key)).isEqualTo(env);
  }
}
