package io.mqttkafka.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Topic permissions (${clientId} and ${username} in rules and filters), default deny when
 * authentication is on, and kafka.common, the Kafka settings every client shares.
 */
class AuthorisationConfigTest {

  private static final String PASSWORD_FILE = "auth: { passwordFile: DIR/passwd }\n";

  @TempDir
  Path dir;

  @BeforeEach
  void passwordFile() throws IOException {
    Files.writeString(dir.resolve("passwd"), "alice:$2y$05$IZwgITogLMX6IvasEcsf2OQGle7XQyKTcG/VVaCVA9zsjaoBRVNUm\n");
  }

  /** Loads YAML in which DIR stands for the temporary directory. */
  private BridgeConfig load(String yaml, Map<String, String> env) throws IOException, ConfigException {
    return ConfigLoader.load(Files.writeString(dir.resolve("bridge.yaml"), yaml.replace("DIR", dir.toString())), env);
  }

  private BridgeConfig load(String yaml) throws IOException, ConfigException {
    return load(yaml, Map.of());
  }

  private ConfigException failure(String yaml) {
    return catchThrowableOfType(ConfigException.class, () -> load(yaml));
  }

  @Test
  void placeholdersInTheRegexAreKeptForEachConnectionToFill() throws Exception {
    UplinkRule rule = load("""
        mappings:
          uplink: [{ match: "^UL/${clientId}/${username}/(.+)$", topic: "t.$1", key: "${username}" }]
          downlink: { filters: ["DL/${username}/#", "DL/${clientId}/+"] }
        """).mappings().uplink().get(0);

    assertThat(rule.match()).isEqualTo("^UL/${clientId}/${username}/(.+)$");
    assertThat(rule.topic()).isEqualTo("t.$1");
    assertThat(rule.key()).isEqualTo("${username}");
  }

  @ParameterizedTest(name = "{1}: {0}")
  @CsvSource(delimiter = '|', textBlock = """
      mappings: { uplink: [{match: "^UL/${device}/(.+)$", topic: t}] }          | mappings.uplink[0].match | has unknown placeholder ${device} (known: ${clientId}, ${username})
      mappings: { uplink: [{match: "^UL/${clientid}$", topic: t}] }             | mappings.uplink[0].match | has unknown placeholder ${clientid}
      mappings: { uplink: [{match: "^UL/${clientId}/(.+$", topic: t}] }         | mappings.uplink[0].match | is not a valid regular expression: Unclosed group in "^UL/${clientId}/(.+$"
      mappings: { uplink: [{match: "^UL/${clientId}/(.+)$", topic: "t.$2"}] }   | mappings.uplink[0].topic | uses $2 but match "^UL/${clientId}/(.+)$" has 1 group(s)
      mappings: { uplink: [{match: a, topic: "t.${user}"}] }                    | mappings.uplink[0].topic | has unknown placeholder ${user} (known: ${clientId}, ${username})
      mappings: { uplink: [{match: a, topic: t, key: "${userName}"}] }          | mappings.uplink[0].key   | has unknown placeholder ${userName}
      mappings: { downlink: { filters: ["DL/${user}/#"] } }                     | mappings.downlink.filters[0] | has unknown placeholder ${user} (known: ${clientId}, ${username})
      """)
  void unknownPlaceholdersAndBrokenRegexesAreOneLineErrorsNamingTheKey(String yaml, String key, String problem) {
    ConfigException e = failure(yaml);

    assertThat(e).as("no error for %s", yaml).isNotNull();
    assertThat(e.key()).isEqualTo(key);
    assertThat(e.getMessage()).startsWith(key + ": ").contains(problem).doesNotContain("\n");
  }

  @Test
  void withoutAuthenticationTheBuiltInRuleMapsEveryUlTopic() throws Exception {
    MappingSettings mappings = load("").mappings();

    assertThat(mappings.uplink()).singleElement().satisfies(rule -> {
      assertThat(rule.match()).isEqualTo("^UL/(.+)$");
      assertThat(rule.topic()).isEqualTo("cs.uplink");
      assertThat(rule.key()).isEqualTo("${clientId}");
    });
    assertThat(mappings.unmatched()).isEqualTo(MappingSettings.Unmatched.REJECT);
  }

  @Test
  void withAuthenticationThereIsNoBuiltInRule() throws Exception {
    assertThat(load(PASSWORD_FILE).mappings().uplink()).isEmpty();
    assertThat(load(PASSWORD_FILE + "mappings: { uplink: [{ match: \"^UL/${username}/(.+)$\", topic: t }] }")
        .mappings().uplink()).singleElement().extracting(UplinkRule::match)
        .isEqualTo("^UL/${username}/(.+)$");
    assertThat(load(PASSWORD_FILE, Map.of("MQTT_BRIDGE_MAPPINGS_UPLINK", "[{match: \"^UL/(.+)$\", topic: t}]"))
        .mappings().uplink()).singleElement().extracting(UplinkRule::topic).isEqualTo("t");
  }

  @Test
  void deadLetteringIsRefusedWhileAuthenticationIsOn() throws Exception {
    ConfigException e = failure(PASSWORD_FILE + "mappings: { unmatched: deadletter }");

    assertThat(e).isNotNull();
    assertThat(e.getMessage()).isEqualTo("mappings.unmatched: is deadletter, which is refused while authentication"
        + " is on (auth.passwordFile): it would let every device write to the dead-letter topic, which no rule"
        + " allows; use reject or drop");
    assertThat(load(PASSWORD_FILE + "mappings: { unmatched: drop }").mappings().unmatched())
        .isEqualTo(MappingSettings.Unmatched.DROP);
    assertThat(load("mappings: { unmatched: deadletter }").mappings().unmatched())
        .isEqualTo(MappingSettings.Unmatched.DEADLETTER);
  }

  @Test
  void kafkaCommonReachesProducerAndConsumerWhichMayOverrideIt() throws Exception {
    KafkaSettings kafka = load("""
        kafka:
          common: { security.protocol: SASL_SSL, sasl.mechanism: SCRAM-SHA-512, client.dns.lookup: use_all_dns_ips }
          producer: { linger.ms: 20 }
          consumer: { sasl.mechanism: PLAIN }
        """, Map.of("MQTT_BRIDGE_KAFKA_COMMON_SASL_JAAS_CONFIG", "org.Scram required username=\"bridge\";")).kafka();

    assertThat(kafka.producer()).containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512").containsEntry("linger.ms", "20")
        .containsEntry("sasl.jaas.config", "org.Scram required username=\"bridge\";");
    assertThat(kafka.consumer()).containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "PLAIN").containsEntry("client.dns.lookup", "use_all_dns_ips")
        .containsEntry("sasl.jaas.config", "org.Scram required username=\"bridge\";");
    assertThat(kafka.toString()).doesNotContain("bridge\"").contains("sasl.jaas.config=****");
  }
}
