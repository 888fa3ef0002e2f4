package io.mqttkafka.bridge.uplink;

import io.mqttkafka.bridge.topic.TopicFilter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.kafka.common.internals.Topic;

/**
 * Maps an MQTT topic to a Kafka topic and record key by an ordered list of rules: the first rule
 * whose regex matches the whole MQTT topic wins.
 *
 * <p>A rule's regex may contain {@code ${clientId}} and {@code ${username}}: each stands for the
 * literal (regex-quoted) value of the connection the message comes from, so that a device can only
 * publish under its own topics. A rule without them is compiled once and shared; a rule with them is
 * compiled for a connection when that connection first reaches it ({@link Subject}). A rule that uses
 * {@code ${username}} anywhere (regex, topic or key) never matches an anonymous client, and a value
 * that is not exactly one topic level (empty, or containing '/', '+', '#' or U+0000) fills no
 * placeholder: such a rule never matches that connection either.
 *
 * <p>Templates are compiled once into literal parts and references:
 * <ul>
 *   <li>{@code $n}: capturing group n of the match ({@code $0} is the whole MQTT topic); a group
 *       that did not take part renders as "". Like {@link Matcher#appendReplacement}, the first digit
 *       is always part of the reference and each further digit is taken only while the number is
 *       still a group of the regex: with 12 or more groups {@code $12} is group 12, with fewer it is
 *       group 1 followed by "2" (so with 12 or more groups, group 1 then a digit cannot be written).
 *   <li>{@code ${clientId}}: the MQTT client id; {@code ${username}}: the authenticated user name.
 *   <li>{@code $$}: a literal '$'.
 * </ul>
 * Anything else after a '$' is a configuration error. Rendering uses at most one StringBuilder,
 * and none for a constant template or a template that is a single reference.
 *
 * <p>A topic template that uses references can still render an illegal Kafka topic name (say $1
 * captured "a/b"); callers check {@link #isValidKafkaTopic} and reject that publish.
 */
public final class TopicMapper {

  /** The key template of a rule that sets none: records of one client keep their order. */
  public static final String DEFAULT_KEY_TEMPLATE = "${clientId}";

  private static final String CLIENT_ID = "${clientId}";
  private static final String USERNAME = "${username}";
  private static final int CLIENT_ID_REF = -1;
  private static final int USERNAME_REF = -2;
  /** What a placeholder stands for in a rule's shape: any one topic level. */
  private static final String ANY_LEVEL = "(?:[^/]+)";
  /** Every reference rendered as "x" when probing a topic template at start-up. */
  private static final Subject PROBE = new Subject(null, "x", "x");

  /**
   * One mapping rule. {@code index} is its position in the configuration, used with {@code name}
   * in error messages; {@code match} is the regex, which may contain {@code ${clientId}} and
   * {@code ${username}}; a {@code null} key template means {@link #DEFAULT_KEY_TEMPLATE}.
   */
  public record Rule(int index, String name, String match, String topicTemplate, String keyTemplate) {
    public Rule {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(match, "match");
      Objects.requireNonNull(topicTemplate, "topicTemplate");
      keyTemplate = keyTemplate == null ? DEFAULT_KEY_TEMPLATE : keyTemplate;
    }

    public Rule(int index, String name, Pattern match, String topicTemplate, String keyTemplate) {
      this(index, name, match.pattern(), topicTemplate, keyTemplate);
    }
  }

  /**
   * The values the placeholders stand for on one connection, and the rules of one mapper compiled for
   * them. One per connection; used on that connection's event loop only. It also keeps what would
   * otherwise be made anew for every message of the connection: one {@link Matcher} per rule, reset
   * for each topic, and the UTF-8 of the client id and of the last topic for the record's headers.
   */
  public static final class Subject {
    private final TopicMapper mapper;
    private final String clientId;
    private final String username;
    /** Per rule position: the rule's regex compiled for this subject; null until first needed. */
    private Pattern[] own;
    /** Per rule position: a matcher of the rule's regex for this subject; null until first needed. */
    private Matcher[] matchers;
    private byte[] clientIdUtf8;
    private String lastTopic;
    private byte[] lastTopicUtf8;

    private Subject(TopicMapper mapper, String clientId, String username) {
      this.mapper = mapper;
      this.clientId = Objects.requireNonNull(clientId, "clientId");
      this.username = username;
    }

    public String clientId() {
      return clientId;
    }

    /** The client id in UTF-8; the caller must not change the array. */
    byte[] clientIdUtf8() {
      if (clientIdUtf8 == null) {
        clientIdUtf8 = clientId.getBytes(StandardCharsets.UTF_8);
      }
      return clientIdUtf8;
    }

    /**
     * {@code topic} in UTF-8, from a one-entry cache: a device sends to the same topic again and
     * again. The caller must not change the array.
     */
    byte[] topicUtf8(String topic) {
      if (!topic.equals(lastTopic)) {
        lastTopicUtf8 = topic.getBytes(StandardCharsets.UTF_8);
        lastTopic = topic;
      }
      return lastTopicUtf8;
    }

    /** The regex of a rule with placeholders, compiled for this subject on first use; the caller checked canFill. */
    private Pattern pattern(CompiledRule compiled) {
      if (own == null) {
        own = new Pattern[mapper.rules.length];
      }
      Pattern pattern = own[compiled.position];
      if (pattern == null) {
        pattern = Pattern.compile(TopicFilter.substitute(compiled.rule.match(),
            "(?:" + Pattern.quote(clientId) + ")", username == null ? null : "(?:" + Pattern.quote(username) + ")"));
        own[compiled.position] = pattern;
      }
      return pattern;
    }

    /** This subject's matcher of the rule's {@code pattern}, reset to {@code topic}. */
    private Matcher matcher(CompiledRule compiled, Pattern pattern, String topic) {
      if (matchers == null) {
        matchers = new Matcher[mapper.rules.length];
      }
      Matcher m = matchers[compiled.position];
      if (m == null) {
        m = pattern.matcher(topic);
        matchers[compiled.position] = m;
        return m;
      }
      return m.reset(topic);
    }
  }

  /** The rule that matched and what it rendered; check {@code kafkaTopic} with {@link #isValidKafkaTopic}. */
  public record Mapping(Rule rule, String kafkaTopic, String key) {}

  private final CompiledRule[] rules;

  /**
   * @throws IllegalArgumentException naming the rule, when a regex or template is malformed, refers to
   *     a group its regex does not have, or its topic template can never render a legal Kafka topic
   */
  public TopicMapper(List<Rule> rules) {
    CompiledRule[] compiled = new CompiledRule[rules.size()];
    for (int i = 0; i < compiled.length; i++) {
      compiled[i] = new CompiledRule(rules.get(i), i);
    }
    this.rules = compiled;
  }

  /**
   * The subject of one connection's messages, for this mapper only.
   *
   * @param clientId the MQTT client id, never {@code null}
   * @param username the authenticated user name, or {@code null} for an anonymous client
   */
  public Subject subject(String clientId, String username) {
    return new Subject(this, clientId, username);
  }

  /** {@link #map(String, Subject)} for an anonymous client, for the tests; allocates a {@link Subject} per call. */
  Mapping map(String mqttTopic, String clientId) {
    return map(mqttTopic, subject(clientId, null));
  }

  /**
   * @return the mapping of the first rule whose regex matches all of {@code mqttTopic} for
   *     {@code subject}, or {@code null}
   */
  public Mapping map(String mqttTopic, Subject subject) {
    if (subject.mapper != this) {
      throw new IllegalArgumentException("the subject belongs to another TopicMapper");
    }
    for (CompiledRule compiled : rules) {
      Pattern pattern = compiled.match;
      if (pattern == null || compiled.needsUsername) {
        if (!compiled.canFill(subject)) {
          continue;
        }
        if (pattern == null) {
          pattern = subject.pattern(compiled);
        }
      }
      Matcher m = subject.matcher(compiled, pattern, mqttTopic);
      if (m.matches()) {
        return new Mapping(compiled.rule, compiled.topic.render(m, subject), compiled.key.render(m, subject));
      }
    }
    return null;
  }

  /**
   * Whether a rule with placeholders would match {@code mqttTopic} for some other client id or user
   * name, or for a client with a user name: an unmapped topic that belongs to someone else, so its
   * refusal is a matter of authorisation. Only for the refusal path: it matches the topic against
   * every such rule.
   */
  public boolean isSomeoneElsesTopic(String mqttTopic) {
    for (CompiledRule compiled : rules) {
      if (compiled.shape != null && compiled.shape.matcher(mqttTopic).matches()) {
        return true;
      }
    }
    return false;
  }

  /** Whether Kafka accepts {@code name} as a topic name: 1..249 of [a-zA-Z0-9._-], not "." or "..". */
  public static boolean isValidKafkaTopic(String name) {
    // Kafka's own check (kafka-clients' internals package, not public API: an upgrade that moves it
    // fails the build), so the bridge and the broker never disagree; allocates only when invalid.
    return name != null && Topic.isValid(name);
  }

  private static final class CompiledRule {
    final Rule rule;
    final int position;
    /** The shared regex; null when the regex has placeholders (compiled per {@link Subject}). */
    final Pattern match;
    /** The regex with each placeholder as any one level; null when the rule has no placeholders. */
    final Pattern shape;
    final boolean matchUsesClientId;
    /** ${username} appears in the regex, topic or key: the rule never matches an anonymous client. */
    final boolean needsUsername;
    final Template topic;
    final Template key;

    CompiledRule(Rule rule, int position) {
      this.rule = rule;
      this.position = position;
      String regex = rule.match();
      checkPlaceholders(rule, regex);
      boolean placeholders = regex.contains(CLIENT_ID) || regex.contains(USERNAME);
      Pattern shapePattern = compile(rule, TopicFilter.substitute(regex, ANY_LEVEL, ANY_LEVEL));
      this.match = placeholders ? null : shapePattern;
      this.matchUsesClientId = regex.contains(CLIENT_ID);
      int groups = shapePattern.matcher("").groupCount();
      this.topic = Template.compile(rule, "topic", rule.topicTemplate(), groups);
      this.key = Template.compile(rule, "key", rule.keyTemplate(), groups);
      this.needsUsername = regex.contains(USERNAME) || topic.usesUsername() || key.usesUsername();
      this.shape = placeholders || needsUsername ? shapePattern : null;
      // Render each reference as "x" (taken to be non-empty): a literal that Kafka refuses ('/', '$',
      // ' ', more than 249 chars) is a configuration error found at start-up, not per publish.
      String probe = topic.render(null, PROBE);
      if (!isValidKafkaTopic(probe)) {
        throw error(rule, "topic template '" + rule.topicTemplate() + "' cannot render a legal Kafka topic"
            + " name (1..249 of a-z A-Z 0-9 . _ -); with every reference as 'x' it renders '" + probe + "'");
      }
    }

    /** Whether the subject has the values this rule's placeholders need. */
    boolean canFill(Subject subject) {
      return (!needsUsername || TopicFilter.isSafeLevelValue(subject.username))
          && (!matchUsesClientId || TopicFilter.isSafeLevelValue(subject.clientId));
    }

    private static void checkPlaceholders(Rule rule, String regex) {
      int at = regex.indexOf("${");
      while (at >= 0) {
        if (!regex.startsWith(CLIENT_ID, at) && !regex.startsWith(USERNAME, at)) {
          throw error(rule, "regex '" + regex + "' has an unknown placeholder at index " + at + "; the only ones are "
              + CLIENT_ID + " and " + USERNAME);
        }
        at = regex.indexOf("${", at + 2);
      }
    }

    private static Pattern compile(Rule rule, String regex) {
      try {
        return Pattern.compile(regex);
      } catch (PatternSyntaxException e) {
        throw error(rule, "regex '" + rule.match() + "' is invalid: " + e.getDescription());
      }
    }
  }

  /** Literal parts around references: {@code literals[i]} precedes {@code refs[i]}, one literal more. */
  private static final class Template {
    final String[] literals;
    final int[] refs; // group number, CLIENT_ID_REF or USERNAME_REF
    final int literalLength;

    private Template(String[] literals, int[] refs) {
      this.literals = literals;
      this.refs = refs;
      int length = 0;
      for (String literal : literals) {
        length += literal.length();
      }
      this.literalLength = length;
    }

    static Template compile(Rule rule, String what, String template, int groups) {
      List<String> literals = new ArrayList<>();
      List<Integer> refs = new ArrayList<>();
      StringBuilder literal = new StringBuilder();
      int i = 0;
      while (i < template.length()) {
        char c = template.charAt(i);
        char next = i + 1 < template.length() ? template.charAt(i + 1) : 0;
        if (c != '$') {
          literal.append(c);
          i++;
        } else if (next == '$') {
          literal.append('$');
          i += 2;
        } else if (template.startsWith(CLIENT_ID, i)) {
          literals.add(literal.toString());
          literal.setLength(0);
          refs.add(CLIENT_ID_REF);
          i += CLIENT_ID.length();
        } else if (template.startsWith(USERNAME, i)) {
          literals.add(literal.toString());
          literal.setLength(0);
          refs.add(USERNAME_REF);
          i += USERNAME.length();
        } else if (isDigit(next)) {
          int group = next - '0';
          if (group > groups) {
            throw error(rule, what + " template '" + template + "' refers to $" + group
                + " but the regex has " + groups + " group(s)");
          }
          i += 2;
          // Greedy while the longer number is still a group, as Matcher.appendReplacement does.
          while (i < template.length() && isDigit(template.charAt(i))
              && group * 10 + (template.charAt(i) - '0') <= groups) {
            group = group * 10 + (template.charAt(i) - '0');
            i++;
          }
          literals.add(literal.toString());
          literal.setLength(0);
          refs.add(group);
        } else if (next == '{') {
          throw error(rule, what + " template '" + template + "' has an unknown placeholder at index " + i
              + "; the only ones are " + CLIENT_ID + " and " + USERNAME);
        } else {
          throw error(rule, what + " template '" + template + "' has a '$' at index " + i
              + " without a group number after it (write $$ for a literal '$')");
        }
      }
      literals.add(literal.toString());
      return new Template(literals.toArray(String[]::new), refs.stream().mapToInt(Integer::intValue).toArray());
    }

    private static boolean isDigit(char c) {
      return c >= '0' && c <= '9';
    }

    boolean usesUsername() {
      for (int ref : refs) {
        if (ref == USERNAME_REF) {
          return true;
        }
      }
      return false;
    }

    /** {@code m} may be {@code null} only to probe: then every reference renders as the client id. */
    String render(Matcher m, Subject subject) {
      if (refs.length == 0) {
        return literals[0];
      }
      if (refs.length == 1 && literalLength == 0) {
        return value(refs[0], m, subject);
      }
      StringBuilder out = new StringBuilder(literalLength + 16 * refs.length);
      for (int i = 0; i < refs.length; i++) {
        out.append(literals[i]).append(value(refs[i], m, subject));
      }
      return out.append(literals[refs.length]).toString();
    }

    private static String value(int ref, Matcher m, Subject subject) {
      if (ref == CLIENT_ID_REF || m == null) {
        return subject.clientId;
      }
      if (ref == USERNAME_REF) {
        return subject.username;
      }
      String group = m.group(ref);
      return group == null ? "" : group;
    }
  }

  private static IllegalArgumentException error(Rule rule, String problem) {
    return new IllegalArgumentException("mapping rule " + rule.index() + " '" + rule.name() + "': " + problem);
  }
}
