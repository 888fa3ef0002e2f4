package io.mqttkafka.bridge.config;

import io.mqttkafka.bridge.topic.TopicPattern;
import io.mqttkafka.bridge.topic.TopicTemplate;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.apache.kafka.common.internals.Topic;

/**
 * Entry {@code index} of {@code mappings.uplink}, compiled: its regex ({@link TopicPattern}) and its topic
 * and key templates ({@link TopicTemplate}), checked against each other once, when the configuration is
 * loaded. {@code match} may contain ${clientId} and ${username}, which stand for the connection's own
 * values; {@code topic} and {@code key} may use $0..$n, ${clientId}, ${username} and $$.
 *
 * <p>Immutable; equal when index, name and the three texts are.
 */
public final class UplinkRule {

  /** The key template of a rule that sets none: records of one client keep their order. */
  public static final String DEFAULT_KEY = TopicTemplate.CLIENT_ID;

  private final int index;
  private final String name;
  private final TopicPattern match;
  private final TopicTemplate topic;
  private final TopicTemplate key;

  private UplinkRule(int index, String name, TopicPattern match, TopicTemplate topic, TopicTemplate key) {
    this.index = index;
    this.name = name;
    this.match = match;
    this.topic = topic;
    this.key = key;
  }

  /** The part of a rule that is wrong: its configuration key and how messages name it. */
  public enum Part {
    MATCH("match", "match"), TOPIC("topic", "topic template"), KEY("key", "key template");

    private final String key;
    private final String title;

    Part(String key, String title) {
      this.key = key;
      this.title = title;
    }

    /** The key inside the rule: match, topic or key. */
    public String key() {
      return key;
    }
  }

  /** A rule that cannot be compiled; {@link #part} says where, {@link #problem} what is wrong. */
  public static final class InvalidRule extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final Part part;
    private final String problem;

    InvalidRule(int index, String name, Part part, String problem, Throwable cause) {
      super("mapping rule " + index + " '" + name + "' is invalid: " + part.title + " " + problem, cause);
      this.part = part;
      this.problem = problem;
    }

    public Part part() {
      return part;
    }

    /** What is wrong, phrased to follow the part's name: "uses $3 but match ... has 2 group(s)". */
    public String problem() {
      return problem;
    }
  }

  /**
   * Compiles one rule.
   *
   * @param key the key template, or {@code null} for {@link #DEFAULT_KEY}
   * @throws InvalidRule when the regex or a template is malformed, a template refers to a group the regex
   *     does not have, or the topic template can never render a legal Kafka topic name
   */
  public static UplinkRule compile(int index, String name, String match, String topic, String key) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(topic, "topic");
    TopicPattern pattern = part(index, name, Part.MATCH, TopicPattern::compile, Objects.requireNonNull(match));
    TopicTemplate topicTemplate = part(index, name, Part.TOPIC, t -> TopicTemplate.compile(t, pattern), topic);
    TopicTemplate keyTemplate = part(index, name, Part.KEY, t -> TopicTemplate.compile(t, pattern),
        key == null ? DEFAULT_KEY : key);
    // Every reference rendered as "x" (taken to be non-empty): a literal that Kafka refuses ('/', '$',
    // ' ', more than 249 chars) is a configuration error found at start-up, not per publish.
    String probe = topicTemplate.probe();
    if (!isValidKafkaTopic(probe)) {
      throw new InvalidRule(index, name, Part.TOPIC, "must be a Kafka topic name (1 to 249 letters, digits, '.',"
          + " '_', '-') apart from placeholders, but it cannot render a legal Kafka topic: with every reference"
          + " as \"x\" it renders \"" + probe + "\"", null);
    }
    return new UplinkRule(index, name, pattern, topicTemplate, keyTemplate);
  }

  private static <T> T part(int index, String name, Part part, Function<String, T> compiler, String text) {
    try {
      return compiler.apply(text);
    } catch (IllegalArgumentException e) {
      throw new InvalidRule(index, name, part, e.getMessage(), e);
    }
  }

  /** Whether Kafka accepts {@code name} as a topic name: 1..249 of [a-zA-Z0-9._-], not "." or "..". */
  public static boolean isValidKafkaTopic(String name) {
    // Kafka's own check (kafka-clients' internals package, not public API: an upgrade that moves it
    // fails the build), so the bridge and the broker never disagree; allocates only when invalid.
    return name != null && Topic.isValid(name);
  }

  /** The position in mappings.uplink; with {@link #name}, it names the rule in metrics and messages. */
  public int index() {
    return index;
  }

  public String name() {
    return name;
  }

  /** The regex as configured. */
  public String match() {
    return match.regex();
  }

  /** The topic template as configured. */
  public String topic() {
    return topic.text();
  }

  /** The key template as configured ({@link #DEFAULT_KEY} when none was). */
  public String key() {
    return key.text();
  }

  public TopicPattern pattern() {
    return match;
  }

  public TopicTemplate topicTemplate() {
    return topic;
  }

  public TopicTemplate keyTemplate() {
    return key;
  }

  /** ${username} appears in the regex, topic or key: the rule never matches an anonymous client. */
  public boolean usesUsername() {
    return match.usesUsername() || topic.usesUsername() || key.usesUsername();
  }

  /** The Kafka topic when the topic template has no reference: known before any message. */
  public Optional<String> constantTopic() {
    return topic.isConstant() ? Optional.of(topic.probe()) : Optional.empty();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof UplinkRule other && index == other.index && name.equals(other.name)
        && match().equals(other.match()) && topic().equals(other.topic()) && key().equals(other.key());
  }

  @Override
  public int hashCode() {
    return Objects.hash(index, name, match(), topic(), key());
  }

  @Override
  public String toString() {
    return "UplinkRule[index=" + index + ", name=" + name + ", match=" + match() + ", topic=" + topic()
        + ", key=" + key() + "]";
  }
}
