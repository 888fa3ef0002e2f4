package io.mqttkafka.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Validation and the start-up summary; each error must be one line that names the full key. */
class BridgeConfigTest {

  @TempDir
  Path dir;

  private BridgeConfig load(String yaml) throws IOException, ConfigException {
    return ConfigLoader.load(Files.writeString(dir.resolve("bridge.yaml"), yaml), Map.of());
  }

  private ConfigException failure(String yaml) {
    return catchThrowableOfType(ConfigException.class, () -> load(yaml));
  }

  @ParameterizedTest(name = "{1}: {0}")
  @CsvSource(delimiter = '|', textBlock = """
      mqtt: { port: 70000 }                                 | mqtt.port                       | must be an integer between 0 and 65535, was "70000"
      mqtt: { port: -1 }                                    | mqtt.port                       | between 0 and 65535
      mqtt: { port: abc }                                   | mqtt.port                       | must be an integer between 0 and 65535, was "abc"
      mqtt: { port: "1884" }                                | mqtt.port                       | was "1884"
      mqtt: { port: 1.5 }                                   | mqtt.port                       | was "1.5"
      mqtt: { port: [1884] }                                | mqtt.port                       | was a list
      http: { port: 65536 }                                 | http.port                       | between 0 and 65535
      kafka: { embedded: { port: 70000 } }                  | kafka.embedded.port             | between 0 and 65535
      kafka: { embedded: { controllerPort: -1 } }           | kafka.embedded.controllerPort   | between 0 and 65535
      cluster: { port: 0 }                                  | cluster.port                    | between 1 and 65535
      mqtt: { maxMessageSize: 0 }                           | mqtt.maxMessageSize             | between 1 and 268435455
      mqtt: { maxMessageSize: 268435456 }                   | mqtt.maxMessageSize             | between 1 and 268435455
      mqtt: { connectTimeout: 0s }                          | mqtt.connectTimeout             | must be greater than 0, was "0s"
      mqtt: { connectTimeout: -5 }                          | mqtt.connectTimeout             | must be greater than 0
      mqtt: { connectTimeout: soon }                        | mqtt.connectTimeout             | must be a duration such as 250ms, 10s, 2m, 1h or 30d
      mqtt: { maxClientIdLength: 22 }                       | mqtt.maxClientIdLength          | between 23 and 65535
      mqtt: { clientIdPattern: "[a-z" }                     | mqtt.clientIdPattern            | is not a valid regular expression
      mqtt: { receiveMaximum: 0 }                           | mqtt.receiveMaximum             | between 1 and 65535
      mqtt: { receiveMaximum: 65536 }                       | mqtt.receiveMaximum             | between 1 and 65535
      mqtt: { limits: { maxConnections: -1 } }              | mqtt.limits.maxConnections      | must be an integer of at least 0
      mqtt: { limits: { connectRate: -1 } }                 | mqtt.limits.connectRate         | between 0 and 1000000
      mqtt: { limits: { connectBurst: many } }              | mqtt.limits.connectBurst        | between 0 and 1000000, was "many"
      mqtt: { limits: { maxTopicLength: 0 } }               | mqtt.limits.maxTopicLength      | between 1 and 65535
      mqtt: { limits: { maxTopicLength: 65536 } }           | mqtt.limits.maxTopicLength      | between 1 and 65535
      mqtt: { limits: { maxTopicLevels: 0 } }               | mqtt.limits.maxTopicLevels      | between 1 and 65535
      mqtt: { limits: { publishRate: 1.5 } }                | mqtt.limits.publishRate         | between 0 and 1000000
      mqtt: { limits: { publishBurst: -2 } }                | mqtt.limits.publishBurst        | between 0 and 1000000
      mqtt: { limits: { maxKeepAlive: 65536s } }            | mqtt.limits.maxKeepAlive        | must be whole seconds between 0s and 65535s
      mqtt: { limits: { maxKeepAlive: 1500ms } }            | mqtt.limits.maxKeepAlive        | must be whole seconds
      mqtt: { limits: { minKeepAlive: -1000 } }             | mqtt.limits.minKeepAlive        | must not be negative
      mqtt: { limits: { minKeepAlive: 120s, maxKeepAlive: 60s } } | mqtt.limits.minKeepAlive  | must not be greater than mqtt.limits.maxKeepAlive (60s)
      mqtt: { limits: { maxReadPause: 0s } }                | mqtt.limits.maxReadPause        | must be greater than 0
      mqtt: { limits: { maxSessions: 5 } }                  | mqtt.limits.maxSessions         | unknown
      mqtt: { instances: -1 }                               | mqtt.instances                  | must be an integer of at least 0
      mqtt: { host: "" }                                    | mqtt.host                       | must not be empty
      mqtt: 5                                               | mqtt                            | must be a map, was "5"
      bridge: { id: [a] }                                   | bridge.id                       | must be a single value, was a list
      cluster: { enabled: maybe }                           | cluster.enabled                 | must be true or false, was "maybe"
      cluster: { name: "" }                                 | cluster.name                    | must not be empty
      cluster: { members: [a, ""] }                         | cluster.members[1]              | must not be empty
      cluster: { members: a }                               | cluster.members                 | must be a list
      cluster: { host: 0.0.0.0 }                            | cluster.host                    | must be an address the other members can reach
      cluster: { host: "::" }                               | cluster.host                    | not a wildcard, was "::"
      cluster: { kubernetes: { enabled: true } }            | cluster.kubernetes.serviceDns   | is required when cluster.kubernetes.enabled is true
      cluster: { kubernetes: { enabled: true, serviceDns: " " } } | cluster.kubernetes.serviceDns | is required when cluster.kubernetes.enabled is true
      cluster: { kubernetes: { enabled: yes-please } }      | cluster.kubernetes.enabled      | must be true or false
      cluster: { kubernetes: { enabled: true, serviceDns: b.ns.svc.cluster.local } } | cluster.host | must be the pod IP (status.podIP)
      cluster: { host: localhost, kubernetes: { enabled: true, serviceDns: b.ns.svc.cluster.local } } | cluster.host | was "localhost"
      cluster: { kubernetes: { serviceDns: [a] } }          | cluster.kubernetes.serviceDns   | must be a single value
      mappings: { uplink: [{match: a, topic: b}, {match: c, topic: d}, {match: "(", topic: e}] } | mappings.uplink[2].match | is not a valid regular expression
      mappings: { uplink: [{match: a, topic: b}, {match: c, topic: d}, {match: e, topic: ""}] }  | mappings.uplink[2].topic | must not be empty
      mappings: { uplink: [{match: "^(a)$", topic: "t.$2"}] }                 | mappings.uplink[0].topic | uses $2 but match "^(a)$" has 1 group(s)
      mappings: { uplink: [{match: a, topic: "t.${device}"}] }               | mappings.uplink[0].topic | has unknown placeholder ${device}
      mappings: { uplink: [{match: "(.+)", topic: "cs/$1"}] }                 | mappings.uplink[0].topic | must be a Kafka topic name
      mappings: { uplink: [{match: a, topic: t, key: "$1"}] }                 | mappings.uplink[0].key   | uses $1 but match "a" has 0 group(s)
      mappings: { uplink: [{match: a, topic: t, key: "${deviceId}"}] }       | mappings.uplink[0].key   | has unknown placeholder ${deviceId}
      mappings: { uplink: [{match: a, topic: t, name: ""}] }                  | mappings.uplink[0].name  | must not be empty
      mappings: { uplink: [{topic: t}] }                                      | mappings.uplink[0].match | is required
      mappings: { uplink: [{match: a}] }                                      | mappings.uplink[0].topic | is required
      mappings: { uplink: [x] }                                               | mappings.uplink[0]       | must be a map with match, topic
      mappings: { uplink: x }                                                 | mappings.uplink          | must be a list
      mappings: { unmatched: ignore }                       | mappings.unmatched              | must be one of reject, deadletter, drop, was "ignore"
      mappings: { downlink: { filters: [""] } }             | mappings.downlink.filters[0]    | must not be empty
      mappings: { downlink: { filters: ["DL/#", "DL/#/x"] } } | mappings.downlink.filters[1]  | only as the whole last level
      mappings: { downlink: { filters: ["DL/a#"] } }        | mappings.downlink.filters[0]    | only as the whole last level
      mappings: { downlink: { filters: ["DL/a+/b"] } }      | mappings.downlink.filters[0]    | only as a whole level
      mappings: { downlink: { filters: ["DL/${device}"] } } | mappings.downlink.filters[0]    | has unknown placeholder ${device}
      mappings: { downlink: { ackTimeout: 0 } }             | mappings.downlink.ackTimeout    | must be greater than 0
      mappings: { downlink: { userProperties: { allow: ["a*b"] } } } | mappings.downlink.userProperties.allow[0] | must be a header name, or a prefix followed by '*'
      mappings: { downlink: { userProperties: { deny: ["ok", " "] } } } | mappings.downlink.userProperties.deny[1] | must not be empty
      mappings: { downlink: { userProperties: { deny: x-* } } } | mappings.downlink.userProperties.deny | must be a list
      mappings: { downlink: { userProperties: { maxBytes: 0 } } } | mappings.downlink.userProperties.maxBytes | between 1 and 268435455
      mqtt: { topicAliasMaximum: 65536 }                    | mqtt.topicAliasMaximum          | between 0 and 65535
      mqtt: { topicAliasMaximum: -1 }                       | mqtt.topicAliasMaximum          | between 0 and 65535
      shutdown: { drainPeriod: -1 }                         | shutdown.drainPeriod            | must not be negative
      shutdown: { drainPeriod: later }                      | shutdown.drainPeriod            | must be a duration
      kafka: { internalTopics: { partitions: 0 } }          | kafka.internalTopics.partitions | must be an integer of at least 1
      kafka: { internalTopics: { replicationFactor: 0 } }   | kafka.internalTopics.replicationFactor | must be -1
      kafka: { internalTopics: { replicationFactor: -2 } }  | kafka.internalTopics.replicationFactor | must be -1
      kafka: { internalTopics: { replicationFactor: 32768 } } | kafka.internalTopics.replicationFactor | or an integer between 1 and 32767
      kafka: { topics: { downlink: "" } }                   | kafka.topics.downlink           | must be a Kafka topic name
      kafka: { topics: { receipts: "bad topic" } }          | kafka.topics.receipts           | was "bad topic"
      kafka: { topics: { subscriptions: ".." } }            | kafka.topics.subscriptions      | must be a Kafka topic name
      kafka: { embedded: { dataDir: "" } }                  | kafka.embedded.dataDir          | must not be empty
      kafka: { producer: 5 }                                | kafka.producer                  | must be a map of names to values
      logging: { level: verbose }                           | logging.level                   | must be one of TRACE, DEBUG, INFO, WARN, ERROR, OFF, was "verbose"
      logging: { levels: { io.vertx: LOUD } }               | logging.levels.io.vertx         | must be one of TRACE
      """)
  void invalidValueIsAOneLineErrorNamingTheKey(String yaml, String key, String problem) {
    ConfigException e = failure(yaml);

    assertThat(e).as("no error for %s", yaml).isNotNull();
    assertThat(e.key()).isEqualTo(key);
    assertThat(e.getMessage()).startsWith(key + ": ").contains(problem).doesNotContain("\n");
  }

  /** The rule templates' language is topic.TopicTemplate's: what the mapper refuses, loading refuses. */
  @ParameterizedTest(name = "{1}: {0}")
  @CsvSource(delimiter = '|', textBlock = """
      mappings: { uplink: [{match: a, topic: t, key: "a$b"}] }               | mappings.uplink[0].key   | at index 1 without a group number after it
      mappings: { uplink: [{match: a, topic: t, key: "x$"}] }                | mappings.uplink[0].key   | without a group number after it
      mappings: { uplink: [{match: "(a)(b)", topic: "t.$12"}] }              | mappings.uplink[0].topic | uses $12 but match "(a)(b)" has 2 group(s)
      mappings: { uplink: [{match: a, topic: t, key: "${clientId"}] }        | mappings.uplink[0].key   | has unknown placeholder ${clientId (known
      mappings: { uplink: [{match: a, topic: "."}] }                         | mappings.uplink[0].topic | cannot render a legal Kafka topic
      mappings: { uplink: [{match: "(.+)", topic: "t.$1$$"}] }               | mappings.uplink[0].topic | it renders "t.x$"
      mappings: { downlink: { filters: ["DL/${clientId"] } }                 | mappings.downlink.filters[0] | has unknown placeholder ${clientId
      """)
  void uplinkTemplatesAreCheckedByTheOneTemplateLanguage(String yaml, String key, String problem) {
    ConfigException e = failure(yaml);

    assertThat(e).as("no error for %s", yaml).isNotNull();
    assertThat(e.key()).isEqualTo(key);
    assertThat(e.getMessage()).startsWith(key + ": ").contains(problem).doesNotContain("\n");
  }

  @Test
  void topicsKnownAtStartAreTheConstantRuleTopicsAndTheBridgesOwn() throws Exception {
    BridgeConfig c = load("""
        mappings:
          uplink: [{ match: "^A/(.+)$", topic: a.fixed }, { match: "^B/(.+)$", topic: "b.$1" }]
        """);

    assertThat(c.topicsKnownAtStart())
        .containsExactly("a.fixed", "mqtt.deadletter", "mqtt.receipts", "mqtt.sessions", "mqtt.subscriptions");
  }

  @Test
  void topicNameLongerThan249CharactersIsRejected() {
    ConfigException e = failure("kafka: { topics: { deadLetter: " + "d".repeat(250) + " } }");

    assertThat(e.key()).isEqualTo("kafka.topics.deadLetter");
  }

  @Test
  void environmentValueIsValidatedLikeTheFile() {
    ConfigException e = catchThrowableOfType(ConfigException.class,
        () -> ConfigLoader.load(null, Map.of("MQTT_BRIDGE_MQTT_PORT", "70000")));

    assertThat(e).hasMessage("mqtt.port: must be an integer between 0 and 65535, was \"70000\"");
  }

  @Test
  void boundaryValuesAreAccepted() throws Exception {
    BridgeConfig c = load("""
        mqtt: { port: 65535, maxMessageSize: 268435455, maxClientIdLength: 23, receiveMaximum: 65535, instances: 4 }
        http: { port: 0 }
        cluster: { port: 1 }
        kafka: { internalTopics: { partitions: 1, replicationFactor: 32767 }, topics: { downlink: a-b_c.D9 } }
        mappings:
          uplink: [{ match: "^(a)/(b)$", topic: "$2.$1", key: "$0-$2-${clientId}" }]
          downlink: { filters: ["#", "+", "/", "a//b", "+/DL/${clientId}/+/#"] }
        """);

    assertThat(c.mqtt().port()).isEqualTo(65535);
    assertThat(c.mqtt().maxMessageSize()).isEqualTo(268_435_455);
    assertThat(c.mqtt().maxClientIdLength()).isEqualTo(23);
    assertThat(c.http().port()).isZero();
    assertThat(c.cluster().port()).isEqualTo(1);
    assertThat(c.kafka().internalTopics().replicationFactor()).isEqualTo(Short.MAX_VALUE);
    assertThat(c.mappings().uplink().get(0).key()).isEqualTo("$0-$2-${clientId}");
    assertThat(c.mappings().downlink().filters()).hasSize(5);
  }

  @Test
  void unmatchedIsCaseInsensitive() throws Exception {
    assertThat(load("mappings: { unmatched: DROP }").mappings().unmatched()).isEqualTo(MappingSettings.Unmatched.DROP);
    assertThat(load("mappings: { unmatched: deadletter }").mappings().unmatched())
        .isEqualTo(MappingSettings.Unmatched.DEADLETTER);
  }

  @Test
  void plainNumberDurationIsMilliseconds() throws Exception {
    assertThat(load("mqtt: { connectTimeout: 1500 }").mqtt().connectTimeout()).isEqualTo(Duration.ofMillis(1500));
    assertThat(load("").shutdown().drainPeriod()).isEqualTo(Duration.ofSeconds(10));
    assertThat(load("shutdown: { drainPeriod: 0s }").shutdown().drainPeriod()).isZero();
  }

  @Test
  void describeMasksSecretKafkaPropertiesAndShowsTheRest() throws Exception {
    BridgeConfig c = load("""
        bridge: { id: edge-7 }
        kafka:
          bootstrapServers: k1:9093
          producer:
            sasl.jaas.config: "PlainLoginModule required password=hunter2;"
            ssl.keystore.password: hunter3
            linger.ms: 5
          consumer:
            sasl.oauthbearer.token.endpoint.url: https://idp/hunter4
            ssl.key.Secret: hunter5
            group.instance.id: g1
        """);

    String summary = c.describe();

    assertThat(summary).contains("edge-7", "k1:9093", "linger.ms=5", "group.instance.id=g1", "port=1883",
        "cs.uplink", "sasl.jaas.config=****", "ssl.keystore.password=****",
        "sasl.oauthbearer.token.endpoint.url=****", "ssl.key.Secret=****");
    assertThat(summary).doesNotContain("hunter");
    assertThat(c.toString()).doesNotContain("hunter");
  }

  @Test
  void describeSaysWhenKafkaIsEmbedded() {
    assertThat(BridgeConfig.defaults().describe()).contains("embedded", "./data");
  }
}
