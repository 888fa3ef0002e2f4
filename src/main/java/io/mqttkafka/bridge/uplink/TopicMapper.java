package io.mqttkafka.bridge.uplink;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.internals.Topic;

/**
 * Maps an MQTT topic to a Kafka topic and record key by an ordered list of rules: the first rule
 * whose regex matches the whole MQTT topic wins.
 *
 * <p>Templates are compiled once into literal parts and references:
 * <ul>
 *   <li>{@code $n}: capturing group n of the match ({@code $0} is the whole MQTT topic); a group
 *       that did not take part renders as "". Like {@link Matcher#appendReplacement}, the first digit
 *       is always part of the reference and each further digit is taken only while the number is
 *       still a group of the regex: with 12 or more groups {@code $12} is group 12, with fewer it is
 *       group 1 followed by "2" (so with 12 or more groups, group 1 then a digit cannot be written).
 *   <li>{@code ${clientId}}: the MQTT client id.
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
  private static final int CLIENT_ID_REF = -1;

  /**
   * One mapping rule. {@code index} is its position in the configuration, used with {@code name}
   * in error messages; a {@code null} key template means {@link #DEFAULT_KEY_TEMPLATE}.
   */
  public record Rule(int index, String name, Pattern match, String topicTemplate, String keyTemplate) {
    public Rule {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(match, "match");
      Objects.requireNonNull(topicTemplate, "topicTemplate");
      keyTemplate = keyTemplate == null ? DEFAULT_KEY_TEMPLATE : keyTemplate;
    }
  }

  /** The rule that matched and what it rendered; check {@code kafkaTopic} with {@link #isValidKafkaTopic}. */
  public record Mapping(Rule rule, String kafkaTopic, String key) {}

  private final CompiledRule[] rules;

  /**
   * @throws IllegalArgumentException naming the rule, when a template is malformed, refers to a
   *     group its regex does not have, or its topic template can never render a legal Kafka topic
   */
  public TopicMapper(List<Rule> rules) {
    this.rules = rules.stream().map(CompiledRule::new).toArray(CompiledRule[]::new);
  }

  /**
   * @param clientId the MQTT client id, never {@code null}
   * @return the mapping of the first rule whose regex matches all of {@code mqttTopic}, or {@code null}
   */
  public Mapping map(String mqttTopic, String clientId) {
    Objects.requireNonNull(clientId, "clientId");
    for (CompiledRule compiled : rules) {
      Matcher m = compiled.rule.match().matcher(mqttTopic);
      if (m.matches()) {
        return new Mapping(compiled.rule, compiled.topic.render(m, clientId), compiled.key.render(m, clientId));
      }
    }
    return null;
  }

  /** Whether Kafka accepts {@code name} as a topic name: 1..249 of [a-zA-Z0-9._-], not "." or "..". */
  public static boolean isValidKafkaTopic(String name) {
    // Kafka's own check (kafka-clients' internals package, not public API: an upgrade that moves it
    // fails the build), so the bridge and the broker never disagree; allocates only when invalid.
    return name != null && Topic.isValid(name);
  }

  private static final class CompiledRule {
    final Rule rule;
    final Template topic;
    final Template key;

    CompiledRule(Rule rule) {
      this.rule = rule;
      int groups = rule.match().matcher("").groupCount();
      this.topic = Template.compile(rule, "topic", rule.topicTemplate(), groups);
      this.key = Template.compile(rule, "key", rule.keyTemplate(), groups);
      // Render each reference as "x" (taken to be non-empty): a literal that Kafka refuses ('/', '$',
      // ' ', more than 249 chars) is a configuration error found at start-up, not per publish.
      String probe = topic.render(null, "x");
      if (!isValidKafkaTopic(probe)) {
        throw error(rule, "topic template '" + rule.topicTemplate() + "' cannot render a legal Kafka topic"
            + " name (1..249 of a-z A-Z 0-9 . _ -); with every reference as 'x' it renders '" + probe + "'");
      }
    }
  }

  /** Literal parts around references: {@code literals[i]} precedes {@code refs[i]}, one literal more. */
  private static final class Template {
    final String[] literals;
    final int[] refs; // group number, or CLIENT_ID_REF
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
              + "; the only one is " + CLIENT_ID);
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

    /** {@code m} may be {@code null} only to probe: then every reference renders as {@code clientId}. */
    String render(Matcher m, String clientId) {
      if (refs.length == 0) {
        return literals[0];
      }
      if (refs.length == 1 && literalLength == 0) {
        return value(refs[0], m, clientId);
      }
      StringBuilder out = new StringBuilder(literalLength + 16 * refs.length);
      for (int i = 0; i < refs.length; i++) {
        out.append(literals[i]).append(value(refs[i], m, clientId));
      }
      return out.append(literals[refs.length]).toString();
    }

    private static String value(int ref, Matcher m, String clientId) {
      if (ref == CLIENT_ID_REF || m == null) {
        return clientId;
      }
      String group = m.group(ref);
      return group == null ? "" : group;
    }
  }

  private static IllegalArgumentException error(Rule rule, String problem) {
    return new IllegalArgumentException("mapping rule " + rule.index() + " '" + rule.name() + "': " + problem);
  }
}
