package io.mqttkafka.bridge.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.Optional;

/**
 * One configured value and its full key: typed reads whose failures are {@link ConfigException}s
 * naming the key. The ranges and rules per key live in the section that owns the key
 * ({@link MqttSettings}, {@link KafkaSettings}, ...).
 */
record ConfigValue(JsonNode node, String key) {

  /** The value of a full key, such as {@code mqtt.tls.port}, in a tree that holds every key of the defaults. */
  static ConfigValue at(JsonNode root, String key) {
    return new ConfigValue(root.at("/" + key.replace('.', '/')), key);
  }

  boolean absent() {
    return node.isMissingNode() || node.isNull();
  }

  ConfigValue field(String name) {
    return new ConfigValue(node.path(name), key + "." + name);
  }

  ConfigException fail(String problem) {
    return new ConfigException(key, problem);
  }

  ConfigException wrong(String expectation) {
    return fail(expectation + ", was " + shown(node));
  }

  String string() throws ConfigException {
    if (absent()) {
      throw fail("is required");
    }
    if (!node.isValueNode()) {
      throw wrong("must be a single value");
    }
    return node.asText();
  }

  String nonBlank() throws ConfigException {
    String value = string();
    if (value.isBlank()) {
      throw fail("must not be empty");
    }
    return value;
  }

  int integer(int min, int max) throws ConfigException {
    return integer(min, max, max == Integer.MAX_VALUE
        ? "must be an integer of at least " + min
        : "must be an integer between " + min + " and " + max);
  }

  int integer(int min, int max, String expectation) throws ConfigException {
    if (!node.isIntegralNumber() || !node.canConvertToLong() || node.asLong() < min || node.asLong() > max) {
      throw wrong(expectation);
    }
    return node.asInt();
  }

  boolean bool() throws ConfigException {
    if (!node.isBoolean()) {
      throw wrong("must be true or false");
    }
    return node.booleanValue();
  }

  Duration duration() throws ConfigException {
    Duration duration = parsedDuration();
    if (duration.isNegative() || duration.isZero()) {
      throw wrong("must be greater than 0");
    }
    return duration;
  }

  /** A duration that may be 0 ({@code 0s}). */
  Duration nonNegativeDuration() throws ConfigException {
    Duration duration = parsedDuration();
    if (duration.isNegative()) {
      throw wrong("must not be negative");
    }
    return duration;
  }

  private Duration parsedDuration() throws ConfigException {
    try {
      return node.isIntegralNumber() ? Duration.ofMillis(node.asLong()) : Durations.parse(string());
    } catch (IllegalArgumentException e) {
      throw wrong("must be a duration such as 250ms, 10s, 2m, 1h or 30d (a plain number is milliseconds)");
    }
  }

  Pattern regex() throws ConfigException {
    String value = string();
    try {
      return Pattern.compile(value);
    } catch (PatternSyntaxException e) {
      throw fail("is not a valid regular expression: " + e.getDescription() + " near index " + e.getIndex()
          + " of \"" + value + "\"");
    }
  }

  Path path() throws ConfigException {
    try {
      return Path.of(nonBlank());
    } catch (InvalidPathException e) {
      throw wrong("must be a file system path");
    }
  }

  List<ConfigValue> items() throws ConfigException {
    if (!node.isArray()) {
      throw wrong("must be a list such as [a, b]");
    }
    List<ConfigValue> items = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      items.add(new ConfigValue(node.get(i), key + "[" + i + "]"));
    }
    return items;
  }

  Map<String, ConfigValue> entries() throws ConfigException {
    if (!node.isObject()) {
      throw wrong("must be a map");
    }
    Map<String, ConfigValue> entries = new LinkedHashMap<>();
    node.properties().forEach(e -> entries.put(e.getKey(), new ConfigValue(e.getValue(), key + "." + e.getKey())));
    return entries;
  }

  /** Empty or blank: not set. */
  Optional<String> optionalString() throws ConfigException {
    String value = string().strip();
    return value.isEmpty() ? Optional.empty() : Optional.of(value);
  }

  /** A list of values none of which is blank. */
  List<String> nonBlankList() throws ConfigException {
    List<String> values = new ArrayList<>();
    for (ConfigValue v : items()) {
      values.add(v.nonBlank());
    }
    return values;
  }

  Map<String, String> stringMap() throws ConfigException {
    Map<String, String> map = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigValue> e : entries().entrySet()) {
      map.put(e.getKey(), e.getValue().string());
    }
    return map;
  }

  /** How a value is quoted in messages: "text", a list or a map. */
  static String shown(JsonNode node) {
    if (node.isMissingNode() || node.isNull()) {
      return "empty";
    }
    return node.isArray() ? "a list" : node.isObject() ? "a map" : "\"" + node.asText() + "\"";
  }
}
