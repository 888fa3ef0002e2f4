package io.mqttkafka.bridge.bench;

import io.mqttkafka.bridge.config.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The options of one bench command: {@code --name value}, {@code --name=value} and bare flags, plus
 * positional arguments. Each mode reads what it knows with a default; {@link #checkAllUsed} then
 * refuses anything left over, so a typo is an error rather than a silently ignored option.
 */
final class Args {

  /** Thrown for unusable command lines; the message is shown with the usage hint. */
  static final class UsageException extends RuntimeException {
    UsageException(String message) {
      super(message, null, false, false);
    }
  }

  private final Map<String, List<String>> values = new LinkedHashMap<>();
  private final List<String> positional = new ArrayList<>();
  private final Set<String> used = new LinkedHashSet<>();

  /** @param flags option names that take no value */
  Args(List<String> args, Set<String> flags) {
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("--")) {
        positional.add(arg);
        continue;
      }
      String name = arg.substring(2);
      String value;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (!flags.contains(name) && i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
        value = args.get(++i);
      } else {
        value = null; // a flag
      }
      values.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    }
  }

  List<String> positional() {
    return positional;
  }

  boolean flag(String name) {
    List<String> v = take(name);
    if (v == null) {
      return false;
    }
    String last = v.get(v.size() - 1);
    return last == null || Boolean.parseBoolean(last);
  }

  String string(String name, String def) {
    List<String> v = take(name);
    if (v == null) {
      return def;
    }
    String last = v.get(v.size() - 1);
    if (last == null) {
      throw new UsageException("--" + name + " needs a value");
    }
    return last;
  }

  /** Every value of a repeatable option, in order. */
  List<String> strings(String name) {
    List<String> v = take(name);
    if (v == null) {
      return List.of();
    }
    for (String s : v) {
      if (s == null) {
        throw new UsageException("--" + name + " needs a value");
      }
    }
    return v;
  }

  /** A whole number; accepts the suffixes k and m (thousands, millions) and '_' separators. */
  long number(String name, long def) {
    String s = string(name, null);
    if (s == null) {
      return def;
    }
    try {
      return parseNumber(s);
    } catch (NumberFormatException e) {
      throw new UsageException("--" + name + ": '" + s + "' is not a whole number (e.g. 5000, 5k, 3m)");
    }
  }

  int integer(String name, int def) {
    long n = number(name, def);
    if (n > Integer.MAX_VALUE || n < Integer.MIN_VALUE) {
      throw new UsageException("--" + name + ": " + n + " is too large");
    }
    return (int) n;
  }

  /** A duration such as 500ms, 20s, 2m; a bare number is seconds. */
  Duration duration(String name, Duration def) {
    String s = string(name, null);
    if (s == null) {
      return def;
    }
    try {
      return s.chars().allMatch(Character::isDigit) ? Duration.ofSeconds(Long.parseLong(s)) : Durations.parse(s);
    } catch (RuntimeException e) {
      throw new UsageException("--" + name + ": '" + s + "' is not a duration (e.g. 500ms, 20s, 2m)");
    }
  }

  boolean has(String name) {
    return values.containsKey(name);
  }

  /** Fails on options no one read. */
  void checkAllUsed() {
    for (String name : values.keySet()) {
      if (!used.contains(name)) {
        throw new UsageException("unknown option --" + name);
      }
    }
  }

  static long parseNumber(String s) {
    String t = s.trim().replace("_", "").toLowerCase(java.util.Locale.ROOT);
    long factor = 1;
    if (t.endsWith("k")) {
      factor = 1_000;
      t = t.substring(0, t.length() - 1);
    } else if (t.endsWith("m")) {
      factor = 1_000_000;
      t = t.substring(0, t.length() - 1);
    }
    if (t.contains(".")) {
      return Math.round(Double.parseDouble(t) * factor);
    }
    return Long.parseLong(t) * factor;
  }

  private List<String> take(String name) {
    used.add(name);
    return values.get(name);
  }
}
