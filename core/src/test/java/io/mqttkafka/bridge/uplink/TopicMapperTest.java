package io.mqttkafka.bridge.uplink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.mqttkafka.bridge.uplink.TopicMapper.Mapping;
import io.mqttkafka.bridge.uplink.TopicMapper.Subject;
import io.mqttkafka.bridge.config.UplinkRule;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TopicMapperTest {

  private static UplinkRule rule(int index, String regex, String topic, String key) {
    return UplinkRule.compile(index, "rule" + index, regex, topic, key);
  }

  private static TopicMapper mapper(UplinkRule... rules) {
    return new TopicMapper(List.of(rules));
  }

  @Test
  void firstMatchingRuleWins() {
    UplinkRule special = rule(0, "^UL/ALARM/(.+)$", "cs.alarm", null);
    UplinkRule general = rule(1, "^UL/(.+)$", "cs.uplink", null);

    TopicMapper mapper = mapper(special, general);
    assertThat(mapper.map("UL/ALARM/fire", "car1").rule()).isSameAs(special);
    assertThat(mapper.map("UL/POS", "car1").rule()).isSameAs(general);

    TopicMapper reversed = mapper(general, special);
    assertThat(reversed.map("UL/ALARM/fire", "car1").rule()).isSameAs(general);
    assertThat(reversed.map("UL/ALARM/fire", "car1").kafkaTopic()).isEqualTo("cs.uplink");
  }

  @Test
  void aRegexMustMatchTheWholeTopic() {
    TopicMapper mapper = mapper(rule(0, "UL/[A-Z]+", "cs.uplink", null));
    assertThat(mapper.map("UL/POS", "car1")).isNotNull();
    assertThat(mapper.map("UL/POS/extra", "car1")).isNull(); // a prefix match is not enough
    assertThat(mapper.map("x/UL/POS", "car1")).isNull(); // nor a match inside
    assertThat(mapper(rule(0, "UL", "cs.uplink", null)).map("UL/POS", "car1")).isNull();
  }

  @Test
  void unmatchedTopicMapsToNull() {
    TopicMapper mapper = mapper(rule(0, "^UL/(.+)$", "cs.uplink", null));
    assertThat(mapper.map("TELEMETRY/POS", "car1")).isNull();
    assertThat(mapper.map("UL/", "car1")).isNull();
    assertThat(mapper().map("UL/POS", "car1")).isNull();
  }

  @Test
  void severalMqttTopicsMapToOneKafkaTopic() {
    TopicMapper mapper = mapper(rule(0, "^UL/(.+)$", "cs.uplink", null));
    for (String topic : List.of("UL/POS", "UL/SPEED", "UL/a/b/c", "UL/ü")) {
      assertThat(mapper.map(topic, "car1").kafkaTopic()).isEqualTo("cs.uplink");
    }
  }

  @Test
  void groupsFillTopicAndKey() {
    TopicMapper mapper = mapper(rule(0, "^UL/([^/]+)/([^/]+)$", "cs.$1", "$2:$1"));
    Mapping mapping = mapper.map("UL/POS/gps", "car1");
    assertThat(mapping.kafkaTopic()).isEqualTo("cs.POS");
    assertThat(mapping.key()).isEqualTo("gps:POS");
  }

  @Test
  void aTemplateThatIsOneReferenceRendersTheValue() {
    TopicMapper mapper = mapper(rule(0, "^(.+)/(.+)$", "$2", "$1"));
    Mapping mapping = mapper.map("dev/events", "car1");
    assertThat(mapping.kafkaTopic()).isEqualTo("events");
    assertThat(mapping.key()).isEqualTo("dev");
  }

  @Test
  void clientIdFillsTopicAndKey() {
    TopicMapper mapper = mapper(rule(0, "^UL/(.+)$", "uplink.${clientId}", "${clientId}/$1"));
    Mapping mapping = mapper.map("UL/POS", "car-7");
    assertThat(mapping.kafkaTopic()).isEqualTo("uplink.car-7");
    assertThat(mapping.key()).isEqualTo("car-7/POS");
  }

  @Test
  void defaultKeyIsTheClientId() {
    UplinkRule rule = rule(0, "^UL/(.+)$", "cs.uplink", null);
    assertThat(rule.key()).isEqualTo(TopicMapper.DEFAULT_KEY_TEMPLATE).isEqualTo("${clientId}");
    assertThat(mapper(rule).map("UL/POS", "car1").key()).isEqualTo("car1");
    assertThat(mapper(rule).map("UL/POS", "car2").key()).isEqualTo("car2");
  }

  @Test
  void doubleDollarIsALiteralDollar() {
    TopicMapper mapper = mapper(rule(0, "^UL/(.+)$", "cs.uplink", "$$1=$1$$"));
    assertThat(mapper.map("UL/POS", "car1").key()).isEqualTo("$1=POS$");
    assertThat(mapper(rule(0, "^UL/(.+)$", "cs.uplink", "$$$$")).map("UL/x", "c").key()).isEqualTo("$$");
  }

  @Test
  void constantTemplateRendersOneSharedString() {
    TopicMapper mapper = mapper(rule(0, "^UL/(.+)$", "cs.uplink", "fixed"));
    Mapping first = mapper.map("UL/POS", "car1");
    Mapping second = mapper.map("UL/SPEED", "car2");
    assertThat(first.kafkaTopic()).isEqualTo("cs.uplink").isSameAs(second.kafkaTopic());
    assertThat(first.key()).isEqualTo("fixed").isSameAs(second.key());
  }

  @Test
  void oneSubjectMapsTopicAfterTopicWithNothingLeftFromTheTopicBefore() {
    TopicMapper mapper = mapper(rule(0, "^UL/(?:(vin)-)?([^/]+)$", "cs.$1x$2", "[$1]"),
        rule(1, "^EV/(.+)$", "cs.ev", "$1"));
    TopicMapper.Subject car = mapper.subject("car1", null);

    assertThat(mapper.map("UL/vin-abc", car)).extracting(TopicMapper.Mapping::kafkaTopic, TopicMapper.Mapping::key)
        .containsExactly("cs.vinxabc", "[vin]");
    assertThat(mapper.map("UL/def", car)).extracting(TopicMapper.Mapping::kafkaTopic, TopicMapper.Mapping::key)
        .containsExactly("cs.xdef", "[]");
    assertThat(mapper.map("EV/7", car).key()).isEqualTo("7");
    assertThat(mapper.map("XX/7", car)).isNull();
    assertThat(mapper.map("UL/vin-ghi", car).kafkaTopic()).isEqualTo("cs.vinxghi");
  }

  @Test
  void theSubjectsHeaderBytesFollowTheTopic() {
    TopicMapper.Subject car = mapper(rule(0, "^UL/(.+)$", "cs.uplink", null)).subject("cär1", null);

    assertThat(car.clientIdUtf8()).isEqualTo("cär1".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    byte[] first = car.topicUtf8("UL/pos");
    assertThat(car.topicUtf8(new String("UL/pos"))).isSameAs(first);
    assertThat(car.topicUtf8("UL/ö")).isEqualTo("UL/ö".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(car.topicUtf8("UL/pos")).isEqualTo("UL/pos".getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  @Test
  void theSubjectsHeadersAreReusedWhileTheTopicStaysTheSame() {
    TopicMapper.Subject car = mapper(rule(0, "^UL/(.+)$", "cs.uplink", null)).subject("cär1", null);

    org.apache.kafka.common.header.Header clientId = car.clientIdHeader();
    assertThat(clientId.key()).isEqualTo(io.mqttkafka.bridge.records.HeaderNames.CLIENT_ID);
    assertThat(clientId.value()).isEqualTo("cär1".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(car.clientIdHeader()).isSameAs(clientId);
    org.apache.kafka.common.header.Header pos = car.topicHeader("UL/pos");
    assertThat(pos.key()).isEqualTo(io.mqttkafka.bridge.records.HeaderNames.TOPIC);
    assertThat(car.topicHeader(new String("UL/pos"))).as("same topic: same header").isSameAs(pos);
    assertThat(car.topicHeader("UL/ö").value()).isEqualTo("UL/ö".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    org.apache.kafka.common.header.Header again = car.topicHeader("UL/pos");
    assertThat(again.value()).isEqualTo("UL/pos".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(pos.value()).as("an earlier record's header keeps its topic")
        .isEqualTo("UL/pos".getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  @Test
  void groupThatDidNotParticipateRendersEmpty() {
    TopicMapper mapper = mapper(rule(0, "^UL/(?:(vin)-)?([^/]+)$", "cs.$1x$2", "[$1]"));
    Mapping without = mapper.map("UL/POS", "car1");
    assertThat(without.kafkaTopic()).isEqualTo("cs.xPOS");
    assertThat(without.key()).isEqualTo("[]");
    assertThat(mapper.map("UL/vin-POS", "car1").key()).isEqualTo("[vin]");
  }

  @Test
  void groupZeroIsTheWholeTopic() {
    assertThat(mapper(rule(0, "^UL/.+$", "cs.uplink", "$0")).map("UL/a/b", "car1").key()).isEqualTo("UL/a/b");
  }

  /**
   * The digits after '$' are read greedily, and the number must be a group of the regex: $12 is group 12
   * when the regex has 12 groups, and an error with fewer (one rule for the configuration and the mapper;
   * the mapper used to read it as group 1 followed by "2", which the configuration never let through).
   */
  @Test
  void multiDigitGroupReferenceIsReadGreedilyAndMustBeAGroup() {
    String twelve = "(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(l)";
    TopicMapper many = mapper(rule(0, twelve, "t.$12", "$12|$1|$10|$11"));
    Mapping mapping = many.map("abcdefghijkl", "car1");
    assertThat(mapping.kafkaTopic()).isEqualTo("t.l");
    assertThat(mapping.key()).isEqualTo("l|a|j|k");
    assertThatIllegalArgumentException().isThrownBy(() -> rule(0, twelve, "t.$1", "$123"))
        .withMessageContaining("key template uses $123 but match").withMessageContaining("has 12 group(s)");
    assertThatIllegalArgumentException().isThrownBy(() -> rule(0, twelve, "t.$1", "$13"))
        .withMessageContaining("uses $13");

    assertThatIllegalArgumentException().isThrownBy(() -> rule(0, "(a)(b)", "t.$12", "$1"))
        .withMessageContaining("topic template uses $12 but match \"(a)(b)\" has 2 group(s)");
    assertThatIllegalArgumentException().isThrownBy(() -> rule(0, "(a)(b)", "t.$1", "$21"))
        .withMessageContaining("key template uses $21");
    Mapping fewer = mapper(rule(0, "(a)(b)", "t.$2$1", "$2$1|$$1")).map("ab", "car1");
    assertThat(fewer.kafkaTopic()).isEqualTo("t.ba");
    assertThat(fewer.key()).isEqualTo("ba|$1");
  }

  @Test
  void renderedTopicThatKafkaRefusesIsDetectable() {
    TopicMapper mapper = mapper(rule(0, "^UL/(.+)$", "cs.$1", null));
    Mapping slash = mapper.map("UL/a/b", "car1");
    assertThat(slash.kafkaTopic()).isEqualTo("cs.a/b");
    assertThat(TopicMapper.isValidKafkaTopic(slash.kafkaTopic())).isFalse();
    assertThat(TopicMapper.isValidKafkaTopic(mapper.map("UL/POS", "car1").kafkaTopic())).isTrue();
    assertThat(TopicMapper.isValidKafkaTopic(mapper.map("UL/" + "x".repeat(247), "car1").kafkaTopic())).isFalse();

    TopicMapper byClient = mapper(rule(0, "^UL/.+$", "uplink.${clientId}", null));
    assertThat(TopicMapper.isValidKafkaTopic(byClient.map("UL/POS", "car 1").kafkaTopic())).isFalse();
    assertThat(TopicMapper.isValidKafkaTopic(byClient.map("UL/POS", "car_1").kafkaTopic())).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "cs.uplink", "A-Z_a-z.0-9", "...", "_", "-"})
  void legalKafkaTopics(String name) {
    assertThat(TopicMapper.isValidKafkaTopic(name)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ".", "..", "a/b", "a b", "a$", "ä", "a:b", "a\u0000", "a\n"})
  void illegalKafkaTopics(String name) {
    assertThat(TopicMapper.isValidKafkaTopic(name)).isFalse();
  }

  @Test
  void kafkaTopicLengthLimitIs249() {
    assertThat(TopicMapper.isValidKafkaTopic("x".repeat(249))).isTrue();
    assertThat(TopicMapper.isValidKafkaTopic("x".repeat(250))).isFalse();
    assertThat(TopicMapper.isValidKafkaTopic(null)).isFalse();
  }

  @Test
  void kafkaTopicAllowsOnlyAsciiLettersDigitsDotUnderscoreAndDash() {
    for (char c = 0; c < 0x300; c++) {
      boolean legal = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '.' || c == '_' || c == '-';
      assertThat(TopicMapper.isValidKafkaTopic("a" + c)).as("U+%04X", (int) c).isEqualTo(legal);
    }
  }

  @Test
  void referenceToAMissingGroupIsRejectedNamingTheRule() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> mapper(UplinkRule.compile(3, "positions", "^UL/(.+)/(.+)$", "cs.$3", null)))
        .withMessageContaining("mapping rule 3 'positions'")
        .withMessageContaining("$3")
        .withMessageContaining("2 group(s)");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> mapper(rule(0, "^UL/.+$", "cs.uplink", "$1")))
        .withMessageContaining("mapping rule 0 'rule0'")
        .withMessageContaining("key template");
  }

  @Test
  void laterRuleErrorsAreReportedToo() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> mapper(rule(0, "^UL/(.+)$", "cs.$1", null), rule(1, "^X/(.+)$", "cs.$2", null)))
        .withMessageContaining("mapping rule 1 'rule1'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"${clientid}", "${userName}", "${foo}", "${clientId", "${}", "x${1}"})
  void unknownPlaceholderIsRejected(String key) {
    assertThatIllegalArgumentException().isThrownBy(() -> mapper(rule(0, "^UL/(.+)$", "cs.uplink", key)))
        .withMessageContaining("mapping rule 0")
        .withMessageContaining("unknown placeholder");
  }

  @ParameterizedTest
  @ValueSource(strings = {"$", "key$", "$x", "$-1", "$ 1"})
  void loneDollarIsRejected(String key) {
    assertThatIllegalArgumentException().isThrownBy(() -> mapper(rule(0, "^UL/(.+)$", "cs.uplink", key)))
        .withMessageContaining("mapping rule 0")
        .withMessageContaining("write $$ for a literal '$'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "cs/uplink", "cs.$1/x", "cs uplink", "$$", ".", "..", "cs:${clientId}"})
  void topicTemplateThatCanNeverBeALegalKafkaTopicIsRejected(String topic) {
    assertThatIllegalArgumentException().isThrownBy(() -> mapper(rule(2, "^UL/(.+)$", topic, null)))
        .withMessageContaining("mapping rule 2 'rule2'")
        .withMessageContaining("cannot render a legal Kafka topic");
  }

  @Test
  void topicTemplateLongerThanKafkaAllowsIsRejected() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> mapper(rule(0, "^UL/(.+)$", "x".repeat(250), null)))
        .withMessageContaining("cannot render a legal Kafka topic");
  }

  @Test
  void rulesAreCopiedAtConstruction() {
    List<UplinkRule> rules = new ArrayList<>(List.of(rule(0, "^UL/(.+)$", "cs.uplink", null)));
    TopicMapper mapper = new TopicMapper(rules);
    rules.clear();
    assertThat(mapper.map("UL/POS", "car1")).isNotNull();
  }

  // ---- ${clientId} and ${username} in the regex: a device's own topics ----

  private static UplinkRule own(int index, String regex, String topic, String key) {
    return UplinkRule.compile(index, "own" + index, regex, topic, key);
  }

  @Test
  void clientIdInTheRegexStandsForTheConnectionsOwnClientId() {
    TopicMapper mapper = mapper(own(0, "^UL/${clientId}/(.+)$", "cs.uplink", "$1"));
    Subject car1 = mapper.subject("car-1", null);
    Subject car2 = mapper.subject("car-2", null);

    assertThat(mapper.map("UL/car-1/pos", car1).key()).isEqualTo("pos");
    assertThat(mapper.map("UL/car-2/pos", car1)).isNull();
    assertThat(mapper.map("UL/car-2/pos", car2).key()).isEqualTo("pos");
    assertThat(mapper.map("UL/car-1/pos", car2)).isNull();
  }

  @Test
  void usernameInTheRegexStandsForTheAuthenticatedUserAndNeverMatchesAnonymousClients() {
    TopicMapper mapper = mapper(own(0, "^UL/${username}/(.+)$", "cs.uplink", null));

    assertThat(mapper.map("UL/alice/x", mapper.subject("car-1", "alice"))).isNotNull();
    assertThat(mapper.map("UL/bob/x", mapper.subject("car-1", "alice"))).isNull();
    assertThat(mapper.map("UL/alice/x", mapper.subject("alice", null))).isNull();
    assertThat(mapper.map("UL/null/x", mapper.subject("car-1", null))).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"car.1", "c(1)", "a\\Eb", "a\\Q.b", "x|y", "[a]", "$1", "^z$"})
  void aPlaceholderMatchesTheValueLiterallyNotAsARegex(String clientId) {
    TopicMapper mapper = mapper(own(0, "^UL/${clientId}/(.+)$", "cs.uplink", null));
    Subject subject = mapper.subject(clientId, null);

    assertThat(mapper.map("UL/" + clientId + "/x", subject)).isNotNull();
    assertThat(mapper.map("UL/" + clientId.replace('.', 'X').replace('(', 'Y') + "Z/x", subject)).isNull();
    assertThat(mapper.map("UL/car1/x", subject)).isNull();
    assertThat(mapper.map("UL/y/x", subject)).isNull();
  }

  @Test
  void theValueTakesPartInBacktrackingLikeLiteralText() {
    // A capture-and-compare approach would take "a/b" for the client id and fail; the literal "a" matches.
    TopicMapper first = mapper(own(0, "^UL/${clientId}/(.+)$", "cs.uplink", "$1"));
    assertThat(first.map("UL/a/b/c", first.subject("a", null)).key()).isEqualTo("b/c");
    TopicMapper last = mapper(own(0, "^UL/(.+)/${clientId}$", "cs.uplink", "$1"));
    assertThat(last.map("UL/x/a/a", last.subject("a", null)).key()).isEqualTo("x/a");
    // The value is one unit: a quantifier after the placeholder repeats all of it.
    TopicMapper repeated = mapper(own(0, "^UL/${clientId}+$", "cs.uplink", null));
    assertThat(repeated.map("UL/car1car1", repeated.subject("car1", null))).isNotNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "a/b", "a+", "#", "a\u0000b"})
  void aValueThatIsNotExactlyOneTopicLevelFillsNoPlaceholder(String value) {
    TopicMapper byUser = mapper(own(0, "^UL/${username}/(.+)$", "cs.uplink", null));
    TopicMapper byClient = mapper(own(0, "^UL/${clientId}/(.+)$", "cs.uplink", null));

    assertThat(byUser.map("UL/" + value + "/x", byUser.subject("car-1", value))).isNull();
    assertThat(byClient.map("UL/" + value + "/x", byClient.subject(value, "alice"))).isNull();
  }

  @Test
  void usernameInATemplateRendersTheUserAndKeepsAnonymousClientsOut() {
    TopicMapper mapper = mapper(own(0, "^FLEET/(.+)$", "fleet.${username}", "${username}/${clientId}"),
        own(1, "^(.+)$", "cs.other", null));

    Mapping alice = mapper.map("FLEET/pos", mapper.subject("car-1", "alice"));
    assertThat(alice.kafkaTopic()).isEqualTo("fleet.alice");
    assertThat(alice.key()).isEqualTo("alice/car-1");
    assertThat(mapper.map("FLEET/pos", mapper.subject("car-1", null)).rule().index()).isEqualTo(1);
  }

  @Test
  void aTopicIsSomeoneElsesWhenARuleWithPlaceholdersHasItsShape() {
    TopicMapper mapper = mapper(own(0, "^UL/${clientId}/(.+)$", "cs.uplink", null),
        own(1, "^FLEET/(.+)$", "fleet.${username}", null), rule(2, "^PUBLIC/(.+)$", "cs.public", null));

    assertThat(mapper.isSomeoneElsesTopic("UL/car-2/x")).isTrue();
    assertThat(mapper.isSomeoneElsesTopic("FLEET/x")).isTrue(); // needs a user name
    assertThat(mapper.isSomeoneElsesTopic("UL/car-2")).isFalse(); // no rule has this shape
    assertThat(mapper.isSomeoneElsesTopic("UL/a/b/c")).isTrue();
    assertThat(mapper.isSomeoneElsesTopic("PUBLIC/x")).isFalse(); // a rule without placeholders
    assertThat(mapper.isSomeoneElsesTopic("OTHER/x")).isFalse();
  }

  @Test
  void rulesWithAndWithoutPlaceholdersKeepTheirOrder() {
    TopicMapper mapper = mapper(rule(0, "^UL/ALARM/(.+)$", "cs.alarm", null),
        own(1, "^UL/${clientId}/(.+)$", "cs.own", null), rule(2, "^UL/(.+)$", "cs.uplink", null));
    Subject alarm = mapper.subject("ALARM", null);
    Subject car1 = mapper.subject("car1", null);

    assertThat(mapper.map("UL/ALARM/x", alarm).kafkaTopic()).isEqualTo("cs.alarm");
    assertThat(mapper.map("UL/car1/x", car1).kafkaTopic()).isEqualTo("cs.own");
    assertThat(mapper.map("UL/car2/x", car1).kafkaTopic()).isEqualTo("cs.uplink");
  }

  @ParameterizedTest
  @ValueSource(strings = {"^UL/${clientid}/(.+)$", "^UL/${user}/(.+)$", "^UL/${}$"})
  void unknownPlaceholderInTheRegexIsRejected(String regex) {
    assertThatIllegalArgumentException().isThrownBy(() -> mapper(own(0, regex, "cs.uplink", null)))
        .withMessageContaining("mapping rule 0")
        .withMessageContaining("unknown placeholder");
  }

  @Test
  void aSubjectWorksOnlyWithTheMapperThatMadeIt() {
    TopicMapper one = mapper(own(0, "^UL/${clientId}/(.+)$", "cs.uplink", null));
    TopicMapper other = mapper(own(0, "^DL/${clientId}/(.+)$", "cs.uplink", null));

    assertThatIllegalArgumentException().isThrownBy(() -> other.map("UL/a/x", one.subject("a", null)));
  }

  @Test
  void invalidRegexIsRejectedNamingTheRule() {
    assertThatIllegalArgumentException().isThrownBy(() -> mapper(own(3, "^UL/${clientId}/(.+$", "cs.uplink", null)))
        .withMessageContaining("mapping rule 3 'own3'")
        .withMessageContaining("is invalid");
  }
}
