package io.mqttkafka.bridge.topic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class TopicFilterTest {

  // ---- validity ----

  @ParameterizedTest
  @ValueSource(strings = {"#", "+", "a", "a/b", "a/+", "a/#", "+/+", "+/#", "+/a/#", "/", "//", "a//b", "/a",
      "a/", "/#", "+/", "$SYS/#", "$SYS/+/x", "a$b/c", "sport/tennis/player1/#", "sport/+/player1",
      "a b/c d", "ü/€/😀", "x/${clientId}"})
  void validFiltersParse(String filter) {
    assertThat(TopicFilter.isValidFilter(filter)).isTrue();
    assertThat(TopicFilter.parse(filter).value()).isEqualTo(filter);
  }

  static Stream<Arguments> invalidFilters() {
    return Stream.of(
        Arguments.of("", "at least one character"),
        Arguments.of("a#", "'#' must be alone in the last level"),
        Arguments.of("#a", "'#' must be alone in the last level"),
        Arguments.of("##", "'#' must be alone in the last level"),
        Arguments.of("a/#/b", "'#' must be alone in the last level"),
        Arguments.of("#/", "'#' must be alone in the last level"),
        Arguments.of("a/b#", "'#' must be alone in the last level"),
        Arguments.of("a+", "'+' must occupy an entire level"),
        Arguments.of("+a", "'+' must occupy an entire level"),
        Arguments.of("++", "'+' must occupy an entire level"),
        Arguments.of("a/+b/c", "'+' must occupy an entire level"),
        Arguments.of("a/b+", "'+' must occupy an entire level"),
        Arguments.of("+#", "'+' must occupy an entire level"),
        Arguments.of("a\u0000b", "U+0000"),
        Arguments.of("\u0000", "U+0000"),
        Arguments.of("a/\uD800", "unpaired surrogate"),
        Arguments.of("\uDC00/a", "unpaired surrogate"),
        Arguments.of("\uDE00\uD83D", "unpaired surrogate"),
        Arguments.of("a".repeat(65_536), "longer than 65535 UTF-8 bytes"),
        Arguments.of("€".repeat(21_846), "longer than 65535 UTF-8 bytes"),
        Arguments.of("😀".repeat(16_384), "longer than 65535 UTF-8 bytes"),
        Arguments.of("é".repeat(32_768), "longer than 65535 UTF-8 bytes"));
  }

  @ParameterizedTest
  @MethodSource("invalidFilters")
  void invalidFiltersAreRejectedWithTheReason(String filter, String reason) {
    assertThat(TopicFilter.isValidFilter(filter)).isFalse();
    assertThatIllegalArgumentException().isThrownBy(() -> TopicFilter.parse(filter))
        .withMessageContaining(reason);
  }

  @Test
  void nullIsNeitherAFilterNorATopicName() {
    assertThat(TopicFilter.isValidFilter(null)).isFalse();
    assertThat(TopicFilter.isValidTopicName(null)).isFalse();
    assertThatIllegalArgumentException().isThrownBy(() -> TopicFilter.parse(null)).withMessageContaining("missing");
  }

  @Test
  void lengthLimitCountsUtf8BytesNotChars() {
    assertThat(TopicFilter.isValidFilter("a".repeat(65_535))).isTrue();
    assertThat(TopicFilter.isValidFilter("€".repeat(21_845))).isTrue(); // 65,535 bytes
    assertThat(TopicFilter.isValidFilter("😀".repeat(16_383) + "abc")).isTrue(); // 65,535 bytes
    assertThat(TopicFilter.isValidFilter("😀".repeat(16_383) + "abcd")).isFalse();
    assertThat(TopicFilter.isValidFilter("é".repeat(32_767) + "a")).isTrue(); // 65,535 bytes
    assertThat(TopicFilter.isValidTopicName("a".repeat(65_535))).isTrue();
    assertThat(TopicFilter.isValidTopicName("€".repeat(21_846))).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "/", "//", "a//b", "/a", "a/", "$SYS/broker/load", "$", "a b", "ü/😀", "UL/POS",
      "a$b", "${clientId}"})
  void validTopicNames(String topic) {
    assertThat(TopicFilter.isValidTopicName(topic)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "+", "#", "a/+", "a/#", "a+b", "a#b", "+/a", "a/b/+", "a\u0000", "\uD800", "a\uDC00"})
  void invalidTopicNames(String topic) {
    assertThat(TopicFilter.isValidTopicName(topic)).isFalse();
  }

  // ---- matching ----

  static Stream<Arguments> matchCases() {
    return Stream.of(
        // The examples of MQTT 3.1.1 section 4.7.1.
        Arguments.of("sport/tennis/player1/#", "sport/tennis/player1", true),
        Arguments.of("sport/tennis/player1/#", "sport/tennis/player1/ranking", true),
        Arguments.of("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true),
        Arguments.of("sport/tennis/player1/#", "sport/tennis/player2", false),
        Arguments.of("sport/#", "sport", true),
        Arguments.of("sport/tennis/+", "sport/tennis/player1", true),
        Arguments.of("sport/tennis/+", "sport/tennis/player1/ranking", false),
        Arguments.of("sport/+", "sport", false),
        Arguments.of("sport/+", "sport/", true),
        Arguments.of("+/+", "/finance", true),
        Arguments.of("/+", "/finance", true),
        Arguments.of("+", "/finance", false),
        // '#': the rest, the parent included.
        Arguments.of("#", "a", true),
        Arguments.of("#", "a/b/c", true),
        Arguments.of("#", "/", true),
        Arguments.of("#", "//", true),
        Arguments.of("a/#", "a", true),
        Arguments.of("a/#", "a/", true),
        Arguments.of("a/#", "a/b/c", true),
        Arguments.of("a/#", "ab", false),
        Arguments.of("a/#", "b/a", false),
        Arguments.of("a/#", "/a", false),
        Arguments.of("a/+/#", "a", false),
        Arguments.of("a/+/#", "a/", true),
        Arguments.of("a/+/#", "a/b/c/d", true),
        Arguments.of("+/#", "a", true),
        Arguments.of("+/#", "/", true),
        // '+': exactly one level, possibly empty.
        Arguments.of("+", "a", true),
        Arguments.of("+", "a/b", false),
        Arguments.of("+", "/", false),
        Arguments.of("+/+", "a", false),
        Arguments.of("+/+/+", "//", true),
        Arguments.of("a/+/b", "a//b", true),
        Arguments.of("a/+/b", "a/x/y/b", false),
        Arguments.of("a/+", "a/b/", false),
        // Empty levels are levels.
        Arguments.of("a//b", "a//b", true),
        Arguments.of("a//b", "a/b", false),
        Arguments.of("a/b", "a//b", false),
        Arguments.of("/a", "/a", true),
        Arguments.of("/a", "a", false),
        Arguments.of("a/", "a/", true),
        Arguments.of("a/", "a", false),
        Arguments.of("a", "a/", false),
        Arguments.of("/", "/", true),
        // Literal levels: exact, case-sensitive, no prefixes.
        Arguments.of("a/b", "a/b", true),
        Arguments.of("a/b", "A/b", false),
        Arguments.of("a/b", "a/bc", false),
        Arguments.of("a/bc", "a/b", false),
        Arguments.of("a/b", "a/b/c", false),
        Arguments.of("a/b/c", "a/b", false),
        Arguments.of("ü/😀", "ü/😀", true),
        // '$' topics: not matched by a filter starting with a wildcard [MQTT-4.7.2-1].
        Arguments.of("#", "$SYS", false),
        Arguments.of("#", "$SYS/broker", false),
        Arguments.of("+/#", "$SYS/broker", false),
        Arguments.of("+", "$SYS", false),
        Arguments.of("+/monitor/Clients", "$SYS/monitor/Clients", false),
        Arguments.of("$SYS/#", "$SYS/monitor/Clients", true),
        Arguments.of("$SYS/#", "$SYS", true),
        Arguments.of("$SYS/monitor/+", "$SYS/monitor/Clients", true),
        Arguments.of("$", "$", true),
        Arguments.of("#", "a/$SYS", true),
        Arguments.of("a/+", "a/$x", true));
  }

  @ParameterizedTest
  @MethodSource("matchCases")
  void matches(String filter, String topic, boolean expected) {
    assertThat(TopicFilter.parse(filter).matches(topic)).as("%s matches %s", filter, topic).isEqualTo(expected);
  }

  @Test
  void emptyTopicMatchesNothing() {
    assertThat(TopicFilter.parse("#").matches("")).isFalse();
    assertThat(TopicFilter.parse("+").matches("")).isFalse();
  }

  @Test
  void matchesAgreesWithARegexTranslationOfTheSpec() {
    List<String> filters = filters();
    List<String> topics = topics();
    for (String filter : filters) {
      TopicFilter parsed = TopicFilter.parse(filter);
      Pattern reference = reference(filter);
      for (String topic : topics) {
        assertThat(parsed.matches(topic)).as("%s matches %s", filter, topic)
            .isEqualTo(reference.matcher(topic).matches());
      }
    }
  }

  // ---- isCoveredBy ----

  static Stream<Arguments> coverCases() {
    return Stream.of(
        Arguments.of("DL/car1/#", "DL/#", true),
        Arguments.of("DL/+", "DL/#", true),
        Arguments.of("#", "DL/#", false),
        Arguments.of("DL/+/x", "DL/+/+", true),
        Arguments.of("+/x", "DL/+", false),
        Arguments.of("DL/#", "DL/#", true),
        Arguments.of("DL", "DL/#", true),
        Arguments.of("DL/+/#", "DL/#", true),
        Arguments.of("DL/#", "DL", false),
        Arguments.of("DL/#", "DL/+", false),
        Arguments.of("DL/#", "DL/+/#", false), // "DL/#" matches "DL", "DL/+/#" does not
        Arguments.of("DL", "DL/+", false),
        Arguments.of("DL/", "DL/+", true),
        Arguments.of("DL/a", "DL/+", true),
        Arguments.of("DL/a/b", "DL/+", false),
        Arguments.of("DL/+", "DL/a", false),
        Arguments.of("DL//x", "DL/+/x", true),
        Arguments.of("dl/x", "DL/#", false),
        Arguments.of("a/b", "a/b", true),
        Arguments.of("a/b", "a/c", false),
        Arguments.of("a", "a/b", false),
        Arguments.of("+/+", "+", false),
        Arguments.of("/a", "+/a", true),
        Arguments.of("/a", "#", true),
        Arguments.of("#", "#", true),
        Arguments.of("+/#", "#", true),
        Arguments.of("#", "+/#", true), // every topic has a first level
        Arguments.of("/#", "/+/#", true), // "/#" matches no parent: "" is no topic name
        Arguments.of("a/#", "a/+/#", false), // "a/#" matches "a"
        Arguments.of("#", "+", false),
        Arguments.of("#", "+/+/#", false),
        Arguments.of("+", "#", true),
        Arguments.of("+", "+/#", true),
        Arguments.of("$SYS/#", "#", false),
        Arguments.of("$SYS/#", "+/#", false),
        Arguments.of("$SYS/x", "+/x", false),
        Arguments.of("$SYS/#", "$SYS/#", true),
        Arguments.of("$SYS/a", "$SYS/+", true),
        Arguments.of("$SYS", "$SYS/#", true),
        Arguments.of("#", "$SYS/#", false),
        Arguments.of("+/#", "$SYS/#", false),
        Arguments.of("a/$SYS", "+/+", true));
  }

  @ParameterizedTest
  @MethodSource("coverCases")
  void isCoveredBy(String filter, String allowed, boolean expected) {
    assertThat(TopicFilter.parse(filter).isCoveredBy(TopicFilter.parse(allowed)))
        .as("%s is covered by %s", filter, allowed).isEqualTo(expected);
  }

  /**
   * Checks isCoveredBy against its definition for every pair of small filters: covered iff every
   * topic of a universe rich enough to hold a counterexample (one more level than any filter, a
   * literal no filter names, '$' and empty levels) that the filter matches is also matched by the
   * allowed filter.
   */
  @Test
  void isCoveredByAgreesWithMatchingOverAllSmallFilters() {
    List<String> filters = filters();
    List<String> topics = topics();
    List<BitSet> matched = new ArrayList<>();
    for (String filter : filters) {
      TopicFilter parsed = TopicFilter.parse(filter);
      BitSet set = new BitSet();
      for (int t = 0; t < topics.size(); t++) {
        set.set(t, parsed.matches(topics.get(t)));
      }
      matched.add(set);
    }
    int covered = 0;
    for (int f = 0; f < filters.size(); f++) {
      for (int a = 0; a < filters.size(); a++) {
        BitSet notAllowed = (BitSet) matched.get(f).clone();
        notAllowed.andNot(matched.get(a));
        boolean expected = notAllowed.isEmpty();
        covered += expected ? 1 : 0;
        assertThat(TopicFilter.parse(filters.get(f)).isCoveredBy(TopicFilter.parse(filters.get(a))))
            .as("%s is covered by %s", filters.get(f), filters.get(a)).isEqualTo(expected);
      }
    }
    // Both outcomes occur often, so the comparison above can fail either way.
    assertThat(covered).isBetween(filters.size() + 100, filters.size() * filters.size() / 2);
  }

  /** Every valid filter of 1 to 3 levels over a, $x, "", + and #. */
  private static List<String> filters() {
    List<String> filters = new ArrayList<>();
    String[] levels = {"a", "$x", "", "+", "#"};
    for (String[] combination : combinations(levels, 3)) {
      String filter = String.join("/", combination);
      if (TopicFilter.isValidFilter(filter)) {
        filters.add(filter);
      }
    }
    return filters;
  }

  /** Every topic name of 1 to 4 levels over a, b, $x and "". */
  private static List<String> topics() {
    List<String> topics = new ArrayList<>();
    for (String[] combination : combinations(new String[] {"a", "b", "$x", ""}, 4)) {
      topics.add(String.join("/", combination));
    }
    topics.remove(""); // not a topic name [MQTT-4.7.3-1]
    return topics;
  }

  private static List<String[]> combinations(String[] levels, int maxLevels) {
    List<String[]> out = new ArrayList<>();
    List<String[]> previous = List.<String[]>of(new String[0]);
    for (int n = 1; n <= maxLevels; n++) {
      List<String[]> next = new ArrayList<>();
      for (String[] prefix : previous) {
        for (String level : levels) {
          String[] combination = Arrays.copyOf(prefix, n);
          combination[n - 1] = level;
          next.add(combination);
        }
      }
      out.addAll(next);
      previous = next;
    }
    return out;
  }

  /** The spec's rules as a regex: '+' is [^/]*, a trailing "/#" is (/.*)?, '#' alone is .+ without '$'. */
  private static Pattern reference(String filter) {
    StringBuilder regex = new StringBuilder();
    if (filter.startsWith("+") || filter.startsWith("#")) {
      regex.append("(?!\\$)");
    }
    if (filter.equals("#")) {
      return Pattern.compile(regex.append(".+").toString(), Pattern.DOTALL);
    }
    String[] levels = filter.split("/", -1);
    for (int i = 0; i < levels.length; i++) {
      String level = levels[i];
      if (level.equals("#")) {
        regex.append("(/.*)?");
      } else {
        regex.append(i == 0 ? "" : "/").append(level.equals("+") ? "[^/]*" : Pattern.quote(level));
      }
    }
    return Pattern.compile(regex.toString(), Pattern.DOTALL);
  }

  // ---- expand ----

  @Test
  void expandFillsClientIdAndUsername() {
    assertThat(TopicFilter.expand("DL/${clientId}/#", "car1", null)).isEqualTo("DL/car1/#");
    assertThat(TopicFilter.expand("DL/${username}/${clientId}/+", "car1", "fleet"))
        .isEqualTo("DL/fleet/car1/+");
    assertThat(TopicFilter.expand("${clientId}${clientId}", "c", "u")).isEqualTo("cc");
    assertThat(TopicFilter.expand("DL/${clientId}", "car$1", null)).isEqualTo("DL/car$1");
    assertThat(TopicFilter.expand("DL/${clientId}", "ü😀", null)).isEqualTo("DL/ü😀");
  }

  @Test
  void expandReturnsATemplateWithoutPlaceholdersUnchanged() {
    String template = "DL/#";
    assertThat(TopicFilter.expand(template, "a/#", null)).isSameAs(template);
  }

  @Test
  void expandCannotSatisfyAMissingUsername() {
    assertThat(TopicFilter.expand("DL/${username}/#", "car1", null)).isNull();
    assertThat(TopicFilter.expand("DL/${clientId}/#", null, "fleet")).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"#", "+", "a/#", "car1/+", "a/b", "/", "car1/", "x\u0000", "a#", "+b", ""})
  void expandRefusesValuesThatWouldNotBeExactlyOneOwnLevel(String hostile) {
    assertThat(TopicFilter.expand("DL/${clientId}/#", hostile, "fleet")).isNull();
    assertThat(TopicFilter.expand("DL/${username}/#", "car1", hostile)).isNull();
    assertThat(TopicFilter.expand("DL/${username}/${clientId}", "car1", hostile)).isNull();
  }

  @Test
  void expandIgnoresHostileValuesThatTheTemplateDoesNotUse() {
    assertThat(TopicFilter.expand("DL/${clientId}/#", "car1", "a/#")).isEqualTo("DL/car1/#");
  }

  @Test
  void expandDoesNotExpandPlaceholdersInsideValues() {
    assertThat(TopicFilter.expand("DL/${clientId}/#", "${username}", "car2")).isEqualTo("DL/${username}/#");
    assertThat(TopicFilter.expand("DL/${username}/${clientId}", "x", "${clientId}"))
        .isEqualTo("DL/${clientId}/x");
  }

  @Test
  void expandedFilterGrantsOnlyTheClientsOwnLevel() {
    TopicFilter own = TopicFilter.parse(TopicFilter.expand("DL/${clientId}/#", "car1", null));
    assertThat(own.matches("DL/car1/WARN")).isTrue();
    assertThat(own.matches("DL/car2/WARN")).isFalse();
    assertThat(TopicFilter.parse("DL/car1/+").isCoveredBy(own)).isTrue();
    assertThat(TopicFilter.parse("DL/+/WARN").isCoveredBy(own)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"DL/${clientid}/#", "DL/${foo}", "DL/${clientId", "${}", "${user}"})
  void expandRejectsUnknownPlaceholders(String template) {
    assertThatIllegalArgumentException().isThrownBy(() -> TopicFilter.expand(template, "car1", "fleet"))
        .withMessageContaining("unknown placeholder");
  }

  // ---- value semantics ----

  @Test
  void equalsHashCodeAndToStringAreByValue() {
    TopicFilter a = TopicFilter.parse("DL/+/#");
    assertThat(a).isEqualTo(TopicFilter.parse("DL/+/#")).hasSameHashCodeAs(TopicFilter.parse("DL/+/#"));
    assertThat(a).isNotEqualTo(TopicFilter.parse("DL/#")).isNotEqualTo("DL/+/#");
    assertThat(a.toString()).isEqualTo("DL/+/#");
    assertThat(a.value()).isEqualTo("DL/+/#");
  }
}
