package io.mqttkafka.bridge.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The configuration as a tree of keys, before it is typed: YAML parsing, the keys and their environment
 * variables (derived from {@link Defaults#YAML}), and the schema check that turns what the stores gave
 * into a tree holding exactly the keys of the defaults.
 *
 * <p>Each key has an environment variable {@code MQTT_BRIDGE_} + the key in upper snake case
 * ({@link #envName}). Its value is read as YAML ({@code 1884}, {@code [a:5701, b:5701]},
 * {@code [{match: "^A/(.+)$", topic: t}]}), except for keys whose default is a string, which take the
 * value verbatim (a regex such as {@code [a-z]+} is not YAML, and {@code 007} should stay {@code 007}).
 * {@code MQTT_BRIDGE_KAFKA_PRODUCER_LINGER_MS=5} sets the producer property {@code linger.ms}, and
 * likewise for the consumer and for kafka.common (every client). Other {@code MQTT_BRIDGE_*} variables
 * are ignored.
 */
final class ConfigTree {

  private static final String ENV_PREFIX = "MQTT_BRIDGE_";
  private static final YAMLMapper YAML =
      YAMLMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Maps with free-form names (flattened to "a.b" -> "value") instead of keys from the defaults. */
  private static final Set<String> OPEN_MAPS =
      Set.of("kafka.common", "kafka.producer", "kafka.consumer", "logging.levels");
  /** Kafka property names are lower-case and dotted, so LINGER_MS -> linger.ms loses nothing; logger names are not. */
  private static final Set<String> PROPERTY_ENV_MAPS = Set.of("kafka.common", "kafka.producer", "kafka.consumer");
  private static final ObjectNode DEFAULTS = (ObjectNode) parseYaml(Defaults.YAML);
  /** Every settable key: the leaves, lists and open maps of the defaults. */
  private static final List<String> KEYS = leafKeys(DEFAULTS, "");

  private ConfigTree() {
  }

  /** The variable for a key: {@code kafka.bootstrapServers} -> {@code MQTT_BRIDGE_KAFKA_BOOTSTRAP_SERVERS}. */
  static String envName(String key) {
    return ENV_PREFIX + key.replaceAll("([a-z0-9])([A-Z])", "$1_$2").replace('.', '_').toUpperCase(Locale.ROOT);
  }

  /** The built-in defaults, as the first configuration store takes them. */
  static JsonObject defaults() {
    return toJson(DEFAULTS);
  }

  /** Parses built-in YAML (kept in code); a failure is a defect, not a configuration error. */
  static JsonNode parseYaml(String yaml) {
    try {
      return YAML.readTree(yaml);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("built-in YAML is invalid", e);
    }
  }

  /**
   * Parses a configuration file: a YAML map of keys, in which no key appears twice. Empty (or only
   * comments): no keys.
   *
   * @param file the file as the user named it, for messages
   */
  static JsonObject parseFile(String text, String file) throws ConfigException {
    JsonNode root;
    try {
      root = YAML.readTree(text);
    } catch (JsonProcessingException e) {
      throw new ConfigException("config", file + ": not valid YAML: " + problem(e));
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      return new JsonObject();
    }
    if (!root.isObject()) {
      throw new ConfigException("config", file + ": must be a YAML map of keys, was " + ConfigValue.shown(root));
    }
    return toJson(root);
  }

  /** The keys the {@code MQTT_BRIDGE_*} variables of {@code env} set, as a tree; a variable set to null sets none. */
  static JsonObject fromEnv(Map<String, String> env) throws ConfigException {
    ObjectNode tree = YAML.createObjectNode();
    for (String key : KEYS) {
      String name = envName(key);
      String raw = env.get(name);
      if (raw != null) {
        JsonNode value = DEFAULTS.at(pointer(key)).isTextual() ? TextNode.valueOf(raw) : parseEnv(key, name, raw);
        if (!value.isNull()) {
          parentOf(tree, key).set(leaf(key), value);
        }
      }
      if (PROPERTY_ENV_MAPS.contains(key)) {
        ObjectNode properties = YAML.createObjectNode();
        new TreeMap<>(env).forEach((variable, value) -> {
          if (variable.startsWith(name + "_") && variable.length() > name.length() + 1) {
            properties.put(variable.substring(name.length() + 1).toLowerCase(Locale.ROOT).replace('_', '.'), value);
          }
        });
        JsonNode given = parentOf(tree, key).get(leaf(key));
        if (given instanceof ObjectNode map) {
          map.setAll(properties); // after the map variable's own entries: flattening lets them win
        } else if (given == null && !properties.isEmpty()) {
          parentOf(tree, key).set(leaf(key), properties);
        }
      }
    }
    return toJson(tree);
  }

  /**
   * Checks what the stores gave, merged, against the defaults: every key must be one of theirs (any
   * name inside the open maps, which are flattened to dotted names), a map stays a map, and a key
   * without a value keeps its default.
   *
   * @return a tree that holds every key of the defaults
   * @throws ConfigException naming the first unknown key or misplaced value
   */
  static ObjectNode normalize(JsonObject merged) throws ConfigException {
    ObjectNode tree = DEFAULTS.deepCopy();
    try {
      merge(tree, JSON.readTree(merged.encode()), "");
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Vert.x wrote JSON that Jackson cannot read", e);
    }
    return tree;
  }

  private static JsonObject toJson(JsonNode node) {
    try {
      return new JsonObject(JSON.writeValueAsString(node));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a parsed tree cannot be written as JSON", e);
    }
  }

  private static JsonNode parseEnv(String key, String name, String raw) throws ConfigException {
    if (raw.isEmpty()) {
      return TextNode.valueOf("");
    }
    try {
      JsonNode value = YAML.readTree(raw);
      return value == null || value.isMissingNode() ? NullNode.getInstance() : value;
    } catch (JsonProcessingException e) {
      throw new ConfigException(key, "environment variable " + name + " is not valid YAML: " + problem(e));
    }
  }

  /** The parser's message without its source excerpts, and where the problem is. */
  private static String problem(JsonProcessingException e) {
    String message = e.getOriginalMessage().lines()
        .filter(line -> !line.isBlank() && !Character.isWhitespace(line.charAt(0)))
        .collect(Collectors.joining(": "));
    JsonLocation at = e.getLocation();
    return at == null ? message : message + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
  }

  private static List<String> leafKeys(JsonNode node, String path) {
    List<String> keys = new ArrayList<>();
    node.properties().forEach(field -> {
      String key = join(path, field.getKey());
      if (field.getValue().isObject() && !OPEN_MAPS.contains(key)) {
        keys.addAll(leafKeys(field.getValue(), key));
      } else {
        keys.add(key);
      }
    });
    return keys;
  }

  /** Overlays {@code source} on {@code target}, which holds every known key below {@code path}. */
  private static void merge(ObjectNode target, JsonNode source, String path) throws ConfigException {
    if (!source.isObject()) {
      throw new ConfigException(path, "must be a map, was " + ConfigValue.shown(source));
    }
    for (Map.Entry<String, JsonNode> field : source.properties()) {
      String name = field.getKey();
      String key = join(path, name);
      JsonNode value = field.getValue();
      JsonNode current = target.get(name);
      if (current == null) {
        throw new ConfigException(key, "unknown key (" + (path.isEmpty() ? "top-level keys" : path + " has") + ": "
            + String.join(", ", fieldNames(target)) + ")");
      }
      if (value.isNull()) {
        continue; // `key:` with nothing after it keeps the default
      }
      if (OPEN_MAPS.contains(key)) {
        flatten((ObjectNode) current, value, key, "");
      } else if (current.isObject()) {
        merge((ObjectNode) current, value, key);
      } else {
        target.set(name, value);
      }
    }
  }

  /** Adds a nested YAML map as dotted names: {@code linger: {ms: 5}} and {@code linger.ms: 5} both give "linger.ms". */
  private static void flatten(ObjectNode target, JsonNode source, String key, String prefix) throws ConfigException {
    if (!source.isObject()) {
      throw new ConfigException(key, "must be a map of names to values, was " + ConfigValue.shown(source));
    }
    for (Map.Entry<String, JsonNode> field : source.properties()) {
      String name = prefix + field.getKey();
      JsonNode value = field.getValue();
      if (value.isObject()) {
        flatten(target, value, key, name + ".");
      } else if (value.isArray()) {
        target.put(name, commaSeparated(value, key + "." + name));
      } else if (!value.isNull()) {
        target.put(name, value.asText());
      }
    }
  }

  /** Kafka takes lists as comma-separated strings. */
  private static String commaSeparated(JsonNode list, String key) throws ConfigException {
    List<String> items = new ArrayList<>();
    for (JsonNode item : list) {
      if (!item.isValueNode()) {
        throw new ConfigException(key, "must be a value or a list of values");
      }
      items.add(item.asText());
    }
    return String.join(",", items);
  }

  /** The object that holds {@code key} in {@code tree}, made where missing. */
  private static ObjectNode parentOf(ObjectNode tree, String key) {
    ObjectNode node = tree;
    String[] parts = key.split("\\.");
    for (int i = 0; i < parts.length - 1; i++) {
      JsonNode child = node.get(parts[i]);
      node = child instanceof ObjectNode object ? object : node.putObject(parts[i]);
    }
    return node;
  }

  private static String leaf(String key) {
    return key.substring(key.lastIndexOf('.') + 1);
  }

  private static String pointer(String key) {
    return "/" + key.replace('.', '/');
  }

  private static String join(String path, String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
