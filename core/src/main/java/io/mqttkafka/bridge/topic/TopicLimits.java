package io.mqttkafka.bridge.topic;

import io.mqttkafka.bridge.metrics.MetricTags.Limit;

/**
 * mqtt.limits.maxTopicLength (UTF-8 bytes) and maxTopicLevels for PUBLISH topics and SUBSCRIBE
 * filters. Pure, and free of allocation: it runs for every PUBLISH.
 */
public final class TopicLimits {

  private TopicLimits() {
  }

  /**
   * The limit the topic (or filter) breaks, {@link Limit#TOPIC_LENGTH} or {@link Limit#TOPIC_LEVELS};
   * null when it keeps both.
   */
  public static Limit check(String topic, int maxBytes, int maxLevels) {
    int chars = topic.length();
    if (chars > maxBytes) {
      return Limit.TOPIC_LENGTH; // a UTF-8 encoding has at least one byte per UTF-16 char
    }
    boolean surelyShort = chars <= maxBytes / 3; // and at most three
    int bytes = 0;
    int levels = 1;
    for (int i = 0; i < chars; i++) {
      char c = topic.charAt(i);
      if (c == '/') {
        levels++;
      }
      if (!surelyShort) {
        // Surrogate pairs: two chars, four bytes; each half counts 2 here.
        bytes += c < 0x80 ? 1 : c < 0x800 || Character.isSurrogate(c) ? 2 : 3;
      }
    }
    if (!surelyShort && bytes > maxBytes) {
      return Limit.TOPIC_LENGTH;
    }
    return levels > maxLevels ? Limit.TOPIC_LEVELS : null;
  }
}
