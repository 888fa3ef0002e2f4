package io.mqttkafka.bridge.config;

import static io.mqttkafka.bridge.config.ConfigValue.at;

import com.fasterxml.jackson.databind.JsonNode;
import io.mqttkafka.bridge.records.UserPropertyRules;
import io.mqttkafka.bridge.topic.TopicTemplate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code mappings} section: the uplink rules, compiled ({@link UplinkRule}); what happens to an uplink
 * message no rule matches; and the downlink topic filters devices may subscribe to.
 */
public record MappingSettings(List<UplinkRule> uplink, Unmatched unmatched, Downlink downlink) {

  private static final List<String> RULE_KEYS = List.of("name", "match", "topic", "key");
  /** The user properties of one PUBLISH at most: the largest packet MQTT can express. */
  private static final int MAX_USER_PROPERTY_BYTES = 268_435_455;

  public MappingSettings {
    uplink = List.copyOf(uplink);
  }

  /** What happens to an uplink message that no rule matches. */
  public enum Unmatched { REJECT, DEADLETTER, DROP }

  /**
   * {@code filters}: the topic filters devices may subscribe to; a level may be ${clientId} or ${username}.
   * {@code userProperties}: which other headers of a downlink record become MQTT 5 user properties.
   */
  public record Downlink(List<String> filters, Duration ackTimeout, UserPropertyRules userProperties) {
    public Downlink {
      filters = List.copyOf(filters);
    }

    /** With the default user property rules. */
    public Downlink(List<String> filters, Duration ackTimeout) {
      this(filters, ackTimeout, UserPropertyRules.DEFAULT);
    }
  }

  /** The Kafka topics of the uplink rules whose topic template has no reference, sorted. */
  public Set<String> constantUplinkTopics() {
    Set<String> topics = new TreeSet<>();
    uplink.forEach(rule -> rule.constantTopic().ifPresent(topics::add));
    return topics;
  }

  /**
   * Reads and validates {@code mappings.*} from a tree that holds every key of the defaults. Default deny
   * when authentication is on: no built-in uplink rule (only configured rules allow a topic), and no
   * dead-lettering of unmatched topics (a device must reach no Kafka topic that no rule allows).
   */
  static MappingSettings parse(JsonNode t, AuthSettings auth) throws ConfigException {
    ConfigValue uplink = at(t, "mappings.uplink");
    List<UplinkRule> rules;
    if (!uplink.absent()) {
      rules = uplinkRules(uplink);
    } else if (auth.anyMethod()) {
      rules = List.of();
    } else {
      rules = uplinkRules(new ConfigValue(ConfigTree.parseYaml(Defaults.UPLINK_RULES), uplink.key()));
    }
    ConfigValue unmatchedValue = at(t, "mappings.unmatched");
    Unmatched unmatched = unmatched(unmatchedValue);
    if (unmatched == Unmatched.DEADLETTER && auth.anyMethod()) {
      throw unmatchedValue.fail("is deadletter, which is refused while authentication is on (" + auth.methodKeys()
          + "): it would let every device write to the dead-letter topic, which no rule allows; use reject or drop");
    }
    return new MappingSettings(rules, unmatched, new Downlink(topicFilters(at(t, "mappings.downlink.filters")),
        at(t, "mappings.downlink.ackTimeout").duration(), userProperties(t)));
  }

  private static UserPropertyRules userProperties(JsonNode t) throws ConfigException {
    return new UserPropertyRules(headerPatterns(at(t, "mappings.downlink.userProperties.allow")),
        headerPatterns(at(t, "mappings.downlink.userProperties.deny")),
        at(t, "mappings.downlink.userProperties.maxBytes").integer(1, MAX_USER_PROPERTY_BYTES));
  }

  /** Header names, each whole or a prefix followed by '*'. */
  private static List<String> headerPatterns(ConfigValue list) throws ConfigException {
    List<String> patterns = new ArrayList<>();
    for (ConfigValue v : list.items()) {
      String pattern = v.nonBlank();
      if (pattern.indexOf('*') >= 0 && pattern.indexOf('*') != pattern.length() - 1) {
        throw v.wrong("must be a header name, or a prefix followed by '*' (such as x-trace-*)");
      }
      patterns.add(pattern);
    }
    return patterns;
  }

  private static Unmatched unmatched(ConfigValue v) throws ConfigException {
    try {
      return Unmatched.valueOf(v.string().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw v.wrong("must be one of reject, deadletter, drop");
    }
  }

  private static List<UplinkRule> uplinkRules(ConfigValue list) throws ConfigException {
    List<UplinkRule> rules = new ArrayList<>();
    for (ConfigValue rule : list.items()) {
      if (!rule.node().isObject()) {
        throw rule.wrong("must be a map with match, topic and optionally name and key");
      }
      for (String name : rule.entries().keySet()) {
        if (!RULE_KEYS.contains(name)) {
          throw new ConfigException(rule.key() + "." + name, "unknown key (a rule has: name, match, topic, key)");
        }
      }
      String match = rule.field("match").string();
      String topic = rule.field("topic").nonBlank();
      ConfigValue key = rule.field("key");
      String keyTemplate = key.absent() ? UplinkRule.DEFAULT_KEY : key.string();
      ConfigValue name = rule.field("name");
      int index = rules.size();
      String ruleName = name.absent() ? "rule-" + index : name.nonBlank();
      for (UplinkRule earlier : rules) {
        if (earlier.name().equals(ruleName)) {
          // The name tags the rule's metrics: two rules under one name would share their series.
          throw name.fail("names the rule \"" + ruleName + "\", as mappings.uplink["
              + earlier.index() + "] does already: each rule needs a name of its own"
              + (name.absent() ? " (a rule without name is named rule-<position>)" : ""));
        }
      }
      try {
        rules.add(UplinkRule.compile(index, ruleName, match, topic, keyTemplate));
      } catch (UplinkRule.InvalidRule e) {
        throw rule.field(e.part().key()).fail(e.problem());
      }
    }
    return rules;
  }

  private static List<String> topicFilters(ConfigValue list) throws ConfigException {
    List<String> filters = new ArrayList<>();
    for (ConfigValue v : list.items()) {
      String filter = v.string();
      if (filter.isEmpty()) {
        throw v.fail("must not be empty"); // [MQTT-4.7.3-1]
      }
      if (filter.indexOf('\u0000') >= 0) {
        throw v.fail("must not contain the null character"); // [MQTT-4.7.3-2]
      }
      String[] levels = filter.split("/", -1);
      for (int i = 0; i < levels.length; i++) {
        if (levels[i].contains("#") && (!levels[i].equals("#") || i < levels.length - 1)) {
          throw v.wrong("must be an MQTT topic filter: '#' only as the whole last level"); // [MQTT-4.7.1-2]
        }
        if (levels[i].contains("+") && !levels[i].equals("+")) {
          throw v.wrong("must be an MQTT topic filter: '+' only as a whole level"); // [MQTT-4.7.1-3]
        }
      }
      try {
        TopicTemplate.checkPlaceholders(filter);
      } catch (IllegalArgumentException e) {
        throw v.fail(e.getMessage());
      }
      filters.add(filter);
    }
    return filters;
  }
}
