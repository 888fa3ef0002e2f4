package io.mqttkafka.bridge.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The result of one bench run: named figures in sections, in the order they were put. Printed as
 * indented text for people and as JSON ({@code --json}) for scripts and {@code bench report}.
 */
final class Summary {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Map<String, Object> root = new LinkedHashMap<>();

  Summary(String mode, String label) {
    root.put("mode", mode);
    root.put("label", label);
  }

  /** A value at the top level. */
  Summary put(String key, Object value) {
    root.put(key, value);
    return this;
  }

  /** The section with this name, created on first use. */
  @SuppressWarnings("unchecked")
  Map<String, Object> section(String name) {
    return (Map<String, Object>) root.computeIfAbsent(name, k -> new LinkedHashMap<String, Object>());
  }

  /** The nested section {@code name} of {@code parent}, created on first use. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> child(Map<String, Object> parent, String name) {
    return (Map<String, Object>) parent.computeIfAbsent(name, k -> new LinkedHashMap<String, Object>());
  }

  Object get(String key) {
    return root.get(key);
  }

  /** A number from a section (or the top level when section is null); NaN when absent. */
  @SuppressWarnings("unchecked")
  double number(String section, String key) {
    Object container = section == null ? root : root.get(section);
    if (!(container instanceof Map)) {
      return Double.NaN;
    }
    Object v = ((Map<String, Object>) container).get(key);
    return v instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  Map<String, Object> asMap() {
    return root;
  }

  String toJson() {
    try {
      return JSON.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  String toText() {
    StringBuilder out = new StringBuilder();
    write(out, root, "");
    return out.toString();
  }

  @SuppressWarnings("unchecked")
  private static void write(StringBuilder out, Map<String, Object> map, String indent) {
    for (Map.Entry<String, Object> e : map.entrySet()) {
      if (e.getValue() instanceof Map<?, ?> nested) {
        out.append(indent).append(e.getKey()).append(":\n");
        write(out, (Map<String, Object>) nested, indent + "  ");
      } else {
        out.append(indent).append(e.getKey()).append(": ").append(format(e.getValue())).append('\n');
      }
    }
  }

  static String format(Object value) {
    if (value == null) {
      return "n/a";
    }
    if (value instanceof Double d) {
      if (d.isNaN()) {
        return "n/a";
      }
      double abs = Math.abs(d);
      return String.format(Locale.ROOT, abs >= 100 ? "%,.0f" : abs >= 1 ? "%.2f" : "%.3f", d);
    }
    if (value instanceof Long || value instanceof Integer) {
      return String.format(Locale.ROOT, "%,d", ((Number) value).longValue());
    }
    return String.valueOf(value);
  }

  /** A figure for the output: rounded to 3 decimals, {@code null} (shown as n/a) when unknown. */
  static Double value(double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      return null;
    }
    return Math.round(value * 1000.0) / 1000.0;
  }
}
