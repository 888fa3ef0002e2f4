package io.mqttkafka.bridge.config;

import static io.mqttkafka.bridge.config.ConfigValue.at;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The {@code logging} section. {@code levels}: logger name to level. */
public record LoggingSettings(boolean json, String level, Map<String, String> levels) {

  private static final List<String> LOG_LEVELS = List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");

  public LoggingSettings {
    levels = Map.copyOf(levels);
  }

  /** Reads and validates {@code logging.*} from a tree that holds every key of the defaults. */
  static LoggingSettings parse(JsonNode t) throws ConfigException {
    boolean json = at(t, "logging.json").bool();
    String level = level(at(t, "logging.level"));
    Map<String, String> levels = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigValue> e : at(t, "logging.levels").entries().entrySet()) {
      levels.put(e.getKey(), level(e.getValue()));
    }
    return new LoggingSettings(json, level, levels);
  }

  private static String level(ConfigValue v) throws ConfigException {
    String level = v.string().toUpperCase(Locale.ROOT);
    if (level.equals("FALSE")) {
      level = "OFF"; // YAML 1.1 reads a bare `off` as false
    }
    if (!LOG_LEVELS.contains(level)) {
      throw v.wrong("must be one of " + String.join(", ", LOG_LEVELS));
    }
    return level;
  }
}
