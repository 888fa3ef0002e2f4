package io.mqttkafka.bridge.mqtt;

/**
 * mqtt.limits.maxTopicLength (UTF-8 bytes) and maxTopicLevels for PUBLISH topics and SUBSCRIBE
 * filters. Pure, and free of allocation: it runs for every PUBLISH.
 */
final class TopicLimits {

  static final String LENGTH = "topic_length";
  static final String LEVELS = "topic_levels";

  private TopicLimits() {
  }

  /** The limit the topic (or filter) breaks, {@link #LENGTH} or {@link #LEVELS}; null when it keeps both. */
  static String check(String topic, int maxBytes, int maxLevels) {
    int chars = topic.length();
    if (chars > maxBytes) {
      return LENGTH; // a UTF-8 encoding has at least one byte per UTF-16 char
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
      return LENGTH;
    }
    return levels > maxLevels ? LEVELS : null;
  }
}
