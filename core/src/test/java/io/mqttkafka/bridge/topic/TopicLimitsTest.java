package io.mqttkafka.bridge.topic;

import io.mqttkafka.bridge.metrics.MetricTags.Limit;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TopicLimitsTest {

  @Test
  void lengthCountsUtf8Bytes() {
    assertThat(TopicLimits.check("a".repeat(10), 10, 5)).isNull();
    assertThat(TopicLimits.check("a".repeat(11), 10, 5)).isEqualTo(Limit.TOPIC_LENGTH);
    String umlauts = "ü".repeat(5); // 5 chars, 10 bytes
    assertThat(TopicLimits.check(umlauts, 10, 5)).isNull();
    assertThat(TopicLimits.check(umlauts + "a", 10, 5)).isEqualTo(Limit.TOPIC_LENGTH);
    String euro = "€€€"; // 3 chars, 9 bytes
    assertThat(TopicLimits.check(euro, 9, 5)).isNull();
    assertThat(TopicLimits.check(euro, 8, 5)).isEqualTo(Limit.TOPIC_LENGTH);
    String emoji = "\uD83D\uDE97"; // one code point, 4 bytes
    assertThat(emoji.getBytes(StandardCharsets.UTF_8)).hasSize(4);
    assertThat(TopicLimits.check(emoji, 4, 5)).isNull();
    assertThat(TopicLimits.check(emoji, 3, 5)).isEqualTo(Limit.TOPIC_LENGTH);
  }

  @Test
  void levelsAreSlashesPlusOne() {
    assertThat(TopicLimits.check("a/b/c", 100, 3)).isNull();
    assertThat(TopicLimits.check("a/b/c/", 100, 3)).isEqualTo(Limit.TOPIC_LEVELS);
    assertThat(TopicLimits.check("/", 100, 2)).isNull();
    assertThat(TopicLimits.check("UL/#", 100, 1)).isEqualTo(Limit.TOPIC_LEVELS);
    assertThat(TopicLimits.check("a", 100, 1)).isNull();
  }

  @Test
  void lengthIsReportedBeforeLevels() {
    assertThat(TopicLimits.check("a/b/c/d", 3, 2)).isEqualTo(Limit.TOPIC_LENGTH);
  }
}
