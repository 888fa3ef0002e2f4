package io.mqttkafka.bridge.topic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The one template language of the uplink rules; TopicMapperTest covers it inside the mapper. */
class TopicTemplateTest {

  private static final TopicPattern TWO_GROUPS = TopicPattern.compile("^UL/([^/]+)/(.+)$");

  private static String render(String template, String topic) {
    Matcher m = TWO_GROUPS.shape().matcher(topic);
    assertThat(m.matches()).isTrue();
    return TopicTemplate.compile(template, TWO_GROUPS).render(m, "car1", "alice");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      cs.$1                        | cs.POS
      $2                           | gps/x
      $0                           | UL/POS/gps/x
      ${clientId}.$1               | car1.POS
      ${username}/${clientId}      | alice/car1
      $$1=$1$$                     | $1=POS$
      plain                        | plain
      """)
  void rendersGroupsPlaceholdersAndDollars(String template, String rendered) {
    assertThat(render(template, "UL/POS/gps/x")).isEqualTo(rendered);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      t.$3            | uses $3 but match "^UL/([^/]+)/(.+)$" has 2 group(s)
      t.$21           | uses $21 but match
      t.$10           | uses $10 but match
      ${clientid}     | has unknown placeholder ${clientid} (known: ${clientId}, ${username})
      x${1}           | has unknown placeholder ${1}
      ${clientId      | has unknown placeholder ${clientId (known
      key$            | at index 3 without a group number after it (write $$ for a literal
      $x              | at index 0 without a group number after it
      """)
  void malformedTemplateIsRefusedSayingWhy(String template, String problem) {
    assertThatIllegalArgumentException().isThrownBy(() -> TopicTemplate.compile(template, TWO_GROUPS))
        .withMessageContaining(problem);
  }

  @Test
  void digitsAreReadGreedilyUpToNineAndTheNumberMustBeAGroup() {
    TopicPattern twelve = TopicPattern.compile("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(l)");
    Matcher m = twelve.shape().matcher("abcdefghijkl");
    assertThat(m.matches()).isTrue();

    assertThat(TopicTemplate.compile("$12|$1|$011", twelve).render(m, "c", null)).isEqualTo("l|a|k");
    assertThatIllegalArgumentException().isThrownBy(() -> TopicTemplate.compile("$123", twelve))
        .withMessageContaining("uses $123 but match");
    // At most nine digits: the tenth is literal text, "$000000000" (group 0) then "1".
    assertThat(TopicTemplate.compile("$0000000001", twelve).render(m, "c", null)).isEqualTo("abcdefghijkl1");
  }

  @Test
  void constantTemplateAndProbe() {
    TopicTemplate constant = TopicTemplate.compile("cs.uplink$$", TWO_GROUPS);
    assertThat(constant.isConstant()).isTrue();
    assertThat(constant.probe()).isEqualTo("cs.uplink$");
    TopicTemplate references = TopicTemplate.compile("t.$1.${username}", TWO_GROUPS);
    assertThat(references.isConstant()).isFalse();
    assertThat(references.usesUsername()).isTrue();
    assertThat(references.probe()).isEqualTo("t.x.x");
    assertThat(references.text()).isEqualTo("t.$1.${username}");
  }

  @Test
  void placeholdersInARegexStandForOneLevelAndMatchTheirValueLiterally() {
    TopicPattern own = TopicPattern.compile("^UL/${clientId}/(.+)$");

    assertThat(own.hasPlaceholders()).isTrue();
    assertThat(own.shared()).isNull();
    assertThat(own.groups()).isEqualTo(1);
    assertThat(own.shape().matcher("UL/anyone/x").matches()).isTrue();
    assertThat(own.forSubject("car.1", null).matcher("UL/car.1/x").matches()).isTrue();
    assertThat(own.forSubject("car.1", null).matcher("UL/carX1/x").matches()).isFalse();
    assertThatIllegalArgumentException().isThrownBy(() -> TopicPattern.compile("^UL/${device}$"))
        .withMessage("has unknown placeholder ${device} (known: ${clientId}, ${username})");
    assertThatIllegalArgumentException().isThrownBy(() -> TopicPattern.compile("^UL/(.+$"))
        .withMessageStartingWith("is not a valid regular expression: Unclosed group");
  }
}
