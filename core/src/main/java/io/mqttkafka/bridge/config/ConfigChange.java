package io.mqttkafka.bridge.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A configuration read again while the bridge runs, validated, with the tree it was built from (the
 * stores merged, the environment over the file: a key the environment overrides never changes through
 * the file). Some keys reload while the bridge runs ({@link #LIVE}); the others take effect at the
 * next start.
 */
public record ConfigChange(BridgeConfig config, JsonNode tree) {

  /**
   * The keys, and the sections whose every key, a running bridge applies: the mapping rules and
   * downlink filters, authentication (the authenticator is built again), the MQTT limits and client
   * id rules, the log levels and the drain period. What applies to which connections is said in
   * docs/operations.md ("Reload").
   */
  public static final List<String> LIVE = List.of("mappings", "auth", "mqtt.limits", "mqtt.receiveMaximum",
      "mqtt.topicAliasMaximum", "mqtt.clientIdPattern", "mqtt.maxClientIdLength", "logging.level", "logging.levels",
      "shutdown.drainPeriod");

  /** Keys inside a {@link #LIVE} section that only a restart applies: the router reads them once. */
  static final List<String> RESTART_ONLY = List.of("mappings.downlink.userProperties");

  /** Whether a running bridge applies a change of {@code key}. */
  public static boolean isLive(String key) {
    for (String fixed : RESTART_ONLY) {
      if (key.equals(fixed) || key.startsWith(fixed + ".")) {
        return false;
      }
    }
    for (String live : LIVE) {
      if (key.equals(live) || key.startsWith(live + ".")) {
        return true;
      }
    }
    return false;
  }

  /**
   * The keys whose values differ from {@code before}'s, sorted: objects are compared key by key, a list
   * or a value as a whole (so a changed rule names {@code mappings.uplink}).
   */
  public Set<String> changedSince(ConfigChange before) {
    Set<String> changed = new TreeSet<>();
    diff("", before.tree, tree, changed);
    return changed;
  }

  private static void diff(String key, JsonNode before, JsonNode after, Set<String> changed) {
    if (before != null && after != null && before.isObject() && after.isObject()) {
      Set<String> names = new TreeSet<>();
      before.fieldNames().forEachRemaining(names::add);
      after.fieldNames().forEachRemaining(names::add);
      for (String name : names) {
        diff(key.isEmpty() ? name : key + "." + name, before.get(name), after.get(name), changed);
      }
    } else if (before == null || !before.equals(after)) {
      changed.add(key);
    }
  }
}
