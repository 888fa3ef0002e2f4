package io.mqttkafka.bridge.topic;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The regex of an uplink rule, which must match a whole MQTT topic. It may contain
 * {@value TopicTemplate#CLIENT_ID} and {@value TopicTemplate#USERNAME}: each stands for the literal
 * (regex-quoted) value of the connection the message comes from, so that a device can only publish
 * under its own topics. A regex without them is compiled once and shared ({@link #shared()}); one with
 * them is compiled per connection ({@link #forSubject}).
 *
 * <p>Immutable.
 */
public final class TopicPattern {

  /** What a placeholder stands for in the rule's {@link #shape()}: any one topic level. */
  private static final String ANY_LEVEL = "(?:[^/]+)";

  private final String regex;
  private final Pattern shape;
  private final int groups;
  private final boolean usesClientId;
  private final boolean usesUsername;

  private TopicPattern(String regex, Pattern shape) {
    this.regex = regex;
    this.shape = shape;
    this.groups = shape.matcher("").groupCount();
    this.usesClientId = regex.contains(TopicTemplate.CLIENT_ID);
    this.usesUsername = regex.contains(TopicTemplate.USERNAME);
  }

  /**
   * @throws IllegalArgumentException whose message says what is wrong, phrased to follow the word
   *     "match" ("is not a valid regular expression: ...")
   */
  public static TopicPattern compile(String regex) {
    TopicTemplate.checkPlaceholders(regex);
    try {
      return new TopicPattern(regex, Pattern.compile(TopicTemplate.fill(regex, ANY_LEVEL, ANY_LEVEL)));
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException("is not a valid regular expression: " + e.getDescription() + " in \""
          + regex + "\"", e);
    }
  }

  /** The regex as configured. */
  public String regex() {
    return regex;
  }

  /** The regex with each placeholder as any one topic level: what topics the rule may match for someone. */
  public Pattern shape() {
    return shape;
  }

  /** The number of capturing groups, the highest {@code $n} a template may use. */
  public int groups() {
    return groups;
  }

  public boolean hasPlaceholders() {
    return usesClientId || usesUsername;
  }

  public boolean usesClientId() {
    return usesClientId;
  }

  public boolean usesUsername() {
    return usesUsername;
  }

  /** The regex shared by every connection; null when it has placeholders (see {@link #forSubject}). */
  public Pattern shared() {
    return hasPlaceholders() ? null : shape;
  }

  /**
   * The regex for one connection, each placeholder matching its value literally (as one unit: a
   * quantifier after a placeholder repeats all of it). The caller checked with
   * {@link TopicFilter#isSafeLevelValue} that the values the regex uses are there.
   */
  public Pattern forSubject(String clientId, String username) {
    return Pattern.compile(TopicTemplate.fill(regex, "(?:" + Pattern.quote(clientId) + ")",
        username == null ? null : "(?:" + Pattern.quote(username) + ")"));
  }

  @Override
  public String toString() {
    return regex;
  }
}
