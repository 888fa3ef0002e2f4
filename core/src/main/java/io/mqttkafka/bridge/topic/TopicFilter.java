package io.mqttkafka.bridge.topic;

/**
 * An MQTT topic filter (MQTT 3.1.1 and MQTT 5, section 4.7), parsed once and matched many times.
 *
 * <p>Immutable. {@link #matches} and {@link #isCoveredBy} allocate nothing: the filter is split into
 * levels at parse time and topic names are walked in place.
 */
public final class TopicFilter {

  private static final int MAX_UTF8_BYTES = 65_535;

  private final String value;
  /** The levels before a trailing '#'; {@code null} stands for '+'. */
  private final String[] levels;
  /** The filter ends with '#' (the multi-level wildcard). */
  private final boolean multiLevel;

  private TopicFilter(String value, String[] levels, boolean multiLevel) {
    this.value = value;
    this.levels = levels;
    this.multiLevel = multiLevel;
  }

  /**
   * Parses a topic filter.
   *
   * @throws IllegalArgumentException naming the filter and the rule it breaks
   */
  public static TopicFilter parse(String filter) {
    String problem = problem(filter, true);
    if (problem != null) {
      throw new IllegalArgumentException("invalid topic filter '" + filter + "': " + problem);
    }
    String[] parts = filter.split("/", -1); // one char, not a regex metachar: String.split's fast path
    boolean multi = parts[parts.length - 1].equals("#");
    String[] levels = new String[multi ? parts.length - 1 : parts.length];
    for (int i = 0; i < levels.length; i++) {
      levels[i] = parts[i].equals("+") ? null : parts[i];
    }
    return new TopicFilter(filter, levels, multi);
  }

  public static boolean isValidFilter(String filter) {
    return problem(filter, true) == null;
  }

  /** Whether {@code topic} may be the topic name of a PUBLISH packet. */
  public static boolean isValidTopicName(String topic) {
    return problem(topic, false) == null;
  }

  /**
   * The reason {@code s} is not a valid filter (or topic name), or {@code null} when it is valid.
   * One pass; returns constant strings, so the valid path allocates nothing.
   */
  private static String problem(String s, boolean filter) {
    if (s == null) {
      return "it is missing";
    }
    int n = s.length();
    if (n == 0) {
      return "it must be at least one character long"; // [MQTT-4.7.3-1]
    }
    long bytes = 0;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c == '\u0000') {
        return "it must not contain U+0000"; // [MQTT-4.7.3-2]
      } else if (c == '+' || c == '#') {
        if (!filter) {
          return "a topic name must not contain '+' or '#'"; // [MQTT-4.7.1-1]
        }
        boolean levelStart = i == 0 || s.charAt(i - 1) == '/';
        boolean levelEnd = i == n - 1 || s.charAt(i + 1) == '/';
        if (c == '#' && !(levelStart && i == n - 1)) {
          return "'#' must be alone in the last level"; // [MQTT-4.7.1-2]
        }
        if (c == '+' && !(levelStart && levelEnd)) {
          return "'+' must occupy an entire level"; // [MQTT-4.7.1-3]
        }
      } else if (Character.isSurrogate(c)) {
        if (!Character.isHighSurrogate(c) || i == n - 1 || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return "it contains an unpaired surrogate, which has no UTF-8 encoding"; // [MQTT-1.5.3-1]
        }
        i++;
        bytes += 4;
        continue;
      }
      bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    }
    if (bytes > MAX_UTF8_BYTES) {
      return "it is longer than 65535 UTF-8 bytes"; // [MQTT-4.7.3-3]
    }
    return null;
  }

  /**
   * Whether this filter matches {@code topicName}, which the caller has already checked with
   * {@link #isValidTopicName}.
   */
  public boolean matches(String topicName) {
    int n = topicName.length();
    if (n == 0) {
      return false;
    }
    if (topicName.charAt(0) == '$' && startsWithWildcard()) {
      return false; // [MQTT-4.7.2-1]
    }
    int start = 0; // start of the current topic level; n + 1 once the topic has no more levels
    for (String level : levels) {
      if (start > n) {
        return false;
      }
      int end = topicName.indexOf('/', start);
      if (end < 0) {
        end = n;
      }
      if (level != null && !(end - start == level.length() && topicName.startsWith(level, start))) {
        return false;
      }
      start = end + 1;
    }
    // '#' also matches the parent level: "sport/#" matches "sport" (section 4.7.1.2).
    return multiLevel || start == n + 1;
  }

  /**
   * Whether every topic name this filter matches is also matched by {@code allowed}: a client
   * allowed {@code allowed} may subscribe to this filter.
   */
  public boolean isCoveredBy(TopicFilter allowed) {
    // A filter starting with a wildcard matches no '$' topic, but a filter starting with '$' only
    // matches '$' topics. [MQTT-4.7.2-1]
    if (allowed.startsWithWildcard() && value.charAt(0) == '$') {
      return false;
    }
    String[] other = allowed.levels;
    for (int i = 0; i < other.length; i++) {
      if (i < levels.length) {
        if (other[i] != null && !other[i].equals(levels[i])) {
          return false; // allowed needs a literal level that this filter does not fix
        }
      } else if (i > levels.length || other[i] != null || !(value.equals("#") || value.equals("/#"))) {
        // This filter ends here (with '#' or not) and matches a topic with no level i: "a/#" matches
        // "a". Only "#" and "/#" are exempt: their parent would be "", which is no topic name
        // [MQTT-4.7.3-1], so "#" is covered by "+/#" and "/#" by "/+/#".
        return false;
      }
    }
    return allowed.multiLevel || (!multiLevel && levels.length == other.length);
  }

  private boolean startsWithWildcard() {
    char c = value.charAt(0);
    return c == '+' || c == '#';
  }

  /**
   * Fills {@code ${clientId}} and {@code ${username}} into a filter template, in one pass (a value
   * that itself contains a placeholder stays literal).
   *
   * @return the filter text, or {@code null} when the template needs a value that is {@code null},
   *     empty, or contains '+', '#', '/' or U+0000: a value must fill exactly one level of its own
   *     (a client id "a/#" must not widen "DL/${clientId}/#", and "" would give every client with an
   *     empty value the same level)
   * @throws IllegalArgumentException when the template has any other {@code ${...}} placeholder
   */
  public static String expand(String template, String clientId, String username) {
    try {
      TopicTemplate.checkPlaceholders(template);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("topic filter template '" + template + "' " + e.getMessage(), e);
    }
    if ((template.contains(TopicTemplate.CLIENT_ID) && !isSafeLevelValue(clientId))
        || (template.contains(TopicTemplate.USERNAME) && !isSafeLevelValue(username))) {
      return null;
    }
    return TopicTemplate.fill(template, clientId, username);
  }

  /**
   * Whether a value may fill a ${clientId}/${username} placeholder: exactly one topic level of its own
   * (not empty, no '/', '+', '#' or U+0000), so that it can neither widen a filter nor reach another level.
   */
  public static boolean isSafeLevelValue(String value) {
    if (value == null || value.isEmpty()) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '+' || c == '#' || c == '/' || c == '\u0000') {
        return false;
      }
    }
    return true;
  }

  public String value() {
    return value;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TopicFilter other && value.equals(other.value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }

  @Override
  public String toString() {
    return value;
  }
}
