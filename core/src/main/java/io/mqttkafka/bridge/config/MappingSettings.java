package io.mqttkafka.bridge.config;

import static io.mqttkafka.bridge.config.ConfigValue.at;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The {@code mappings} section: the uplink rules ({@link UplinkRule}); what happens to an uplink
 * message no rule matches; and the downlink topic filters devices may subscribe to.
 */
public record MappingSettings(List<UplinkRule> uplink, Unmatched unmatched, Downlink downlink) {

  private static final List<String> RULE_KEYS = List.of("name", "match", "topic", "key");
  private static final Pattern KAFKA_TOPIC_CHARS = Pattern.compile("[a-zA-Z0-9._-]*");
  private static final Pattern GROUP_REF = Pattern.compile("\\$(\\d{1,9})");
  private static final Pattern NAMED_PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)}");
  private static final List<String> PLACEHOLDERS = List.of("clientId", "username");
  /** What a placeholder stands for when a rule's regex is checked: any one topic level. */
  private static final String ANY_LEVEL = "(?:[^/]+)";

  public MappingSettings {
    uplink = List.copyOf(uplink);
  }

  /** What happens to an uplink message that no rule matches. */
  public enum Unmatched { REJECT, DEADLETTER, DROP }

  /** {@code filters}: the topic filters devices may subscribe to; a level may be ${clientId} or ${username}. */
  public record Downlink(List<String> filters, Duration ackTimeout) {
    public Downlink {
      filters = List.copyOf(filters);
    }
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
      rules = uplinkRules(new ConfigValue(ConfigLoader.parseYaml(Defaults.UPLINK_RULES), uplink.key()));
    }
    ConfigValue unmatchedValue = at(t, "mappings.unmatched");
    Unmatched unmatched = unmatched(unmatchedValue);
    if (unmatched == Unmatched.DEADLETTER && auth.anyMethod()) {
      throw unmatchedValue.fail("is deadletter, which is refused while authentication is on (" + auth.methodKeys()
          + "): it would let every device write to the dead-letter topic, which no rule allows; use reject or drop");
    }
    return new MappingSettings(rules, unmatched, new Downlink(topicFilters(at(t, "mappings.downlink.filters")),
        at(t, "mappings.downlink.ackTimeout").duration()));
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
      ConfigValue matchValue = rule.field("match");
      String match = matchValue.string();
      onlyKnownPlaceholders(matchValue, match);
      int groups = ruleShape(matchValue, match).matcher("").groupCount();
      ConfigValue topic = rule.field("topic");
      checkTemplate(topic, topic.nonBlank(), match, groups);
      String literal = NAMED_PLACEHOLDER.matcher(GROUP_REF.matcher(topic.string()).replaceAll("")).replaceAll("");
      if (!KAFKA_TOPIC_CHARS.matcher(literal).matches()) {
        throw topic.wrong("must be a Kafka topic name (letters, digits, '.', '_', '-') apart from placeholders");
      }
      ConfigValue key = rule.field("key");
      String keyTemplate = key.absent() ? "${clientId}" : key.string();
      checkTemplate(key, keyTemplate, match, groups);
      ConfigValue name = rule.field("name");
      int index = rules.size();
      rules.add(new UplinkRule(index, name.absent() ? "rule-" + index : name.nonBlank(), match, topic.string(),
          keyTemplate));
    }
    return rules;
  }

  /** A rule's regex with each placeholder taken as any one topic level: checks the regex, counts its groups. */
  private static Pattern ruleShape(ConfigValue v, String match) throws ConfigException {
    try {
      return Pattern.compile(match.replace("${clientId}", ANY_LEVEL).replace("${username}", ANY_LEVEL));
    } catch (PatternSyntaxException e) {
      throw v.fail("is not a valid regular expression: " + e.getDescription() + " in \"" + match + "\"");
    }
  }

  /** A topic or key template may use $n up to the match's group count, ${clientId} and ${username}, nothing else. */
  private static void checkTemplate(ConfigValue v, String template, String match, int groups) throws ConfigException {
    Matcher ref = GROUP_REF.matcher(template);
    while (ref.find()) {
      if (Integer.parseInt(ref.group(1)) > groups) {
        throw v.fail("uses " + ref.group() + " but match \"" + match + "\" has " + groups + " group(s)");
      }
    }
    onlyKnownPlaceholders(v, template);
  }

  private static void onlyKnownPlaceholders(ConfigValue v, String text) throws ConfigException {
    Matcher named = NAMED_PLACEHOLDER.matcher(text);
    while (named.find()) {
      if (!PLACEHOLDERS.contains(named.group(1))) {
        throw v.fail("has unknown placeholder " + named.group() + " (known: ${clientId}, ${username})");
      }
    }
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
      onlyKnownPlaceholders(v, filter);
      filters.add(filter);
    }
    return filters;
  }
}
