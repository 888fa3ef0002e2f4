package io.mqttkafka.bridge.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bench report DIR --compare MODE}: the goals of {@code scripts/uplink-limits.sh MODE}, each a
 * figure beside its reference measured in the same round ({@code r<N>-<label>.json}), with the ratio
 * per round, their median and spread. On a shared machine absolute figures move by several times
 * between runs; a ratio within one round, and the median of several rounds, moves much less.
 */
final class Comparisons {

  /**
   * One goal: {@code figure} (label suffix and path) against {@code reference} (the same, or null for a
   * goal on the figure itself), and the bound on the ratio (or on the figure).
   */
  record Goal(String name, String figureLabel, String figurePath, String referenceLabel, String referencePath,
              double bound, boolean atLeast) {

    boolean ratio() {
      return referenceLabel != null;
    }
  }

  /** One goal's outcome over the rounds. */
  record Outcome(Goal goal, List<Double> values, List<Double> figures, List<Double> references) {

    double median() {
      return Comparisons.median(values);
    }

    boolean met() {
      double m = median();
      return !Double.isNaN(m) && (goal.atLeast() ? m >= goal.bound() : m <= goal.bound());
    }
  }

  private static final String RATE = "throughput.arrived_per_s";
  private static final String CPU = "cpu.bridge_us_per_msg";
  private static final String CONNECT_CPU = "cpu_connecting.bridge_us_per_msg";
  private static final String HEAP = "memory.heap_bytes_per_connection";

  private Comparisons() {
  }

  /** The goals of a mode; engines name the bridges of the TLS modes ({@code r<N>-<engine>-...}). */
  static List<Goal> goals(String mode, List<String> engines) {
    List<Goal> goals = new ArrayList<>();
    switch (mode) {
      case "producer" -> {
        goals.add(new Goal("uplink QoS 1 rate ÷ Kafka producer's rate, same records", "q1", RATE, "ref",
            "throughput.records_per_s", 0.9, true));
        goals.add(new Goal("bridge CPU per QoS 0 message (µs)", "q0", CPU, null, null, 2.0, false));
        goals.add(new Goal("bridge CPU per QoS 1 message ÷ Kafka producer's CPU per record", "q1", CPU, "ref",
            "cpu.bench_us_per_msg", Double.NaN, false));
        goals.add(new Goal("bridge CPU per QoS 0 message ÷ Kafka producer's CPU per record", "q0", CPU, "ref",
            "cpu.bench_us_per_msg", Double.NaN, false));
      }
      case "tls" -> {
        for (String e : engines) {
          for (String v : List.of("tls13", "tls12")) {
            String name = e + " " + (v.equals("tls13") ? "TLS 1.3" : "TLS 1.2");
            goals.add(new Goal(name + ": QoS 1 rate ÷ plaintext rate", e + "-" + v, RATE, e + "-plain", RATE, 0.9,
                true));
            goals.add(new Goal(name + ": bridge CPU per message ÷ plaintext's", e + "-" + v, CPU, e + "-plain", CPU,
                1.15, false));
          }
        }
        if (engines.size() == 2) {
          for (String v : List.of("tls13", "tls12")) {
            goals.add(new Goal(v + ": bridge CPU per message, " + engines.get(0) + " ÷ " + engines.get(1),
                engines.get(0) + "-" + v, CPU, engines.get(1) + "-" + v, CPU, Double.NaN, false));
          }
        }
      }
      case "handshakes" -> {
        for (String e : engines) {
          for (String v : List.of("tls13", "tls12")) {
            String name = e + " " + (v.equals("tls13") ? "TLS 1.3" : "TLS 1.2");
            goals.add(new Goal(name + ": bridge CPU per full handshake (µs; 1e6 ÷ it = handshakes/s per core)",
                e + "-" + v + "-full", CONNECT_CPU, null, null, Double.NaN, false));
            goals.add(new Goal(name + ": bridge CPU per resumed connect ÷ per full one", e + "-" + v + "-resumed",
                CONNECT_CPU, e + "-" + v + "-full", CONNECT_CPU, Double.NaN, false));
            goals.add(new Goal(name + ": bridge heap per connection (bytes)", e + "-" + v + "-full", HEAP, null, null,
                Double.NaN, false));
            goals.add(new Goal(name + ": bridge heap per connection ÷ plaintext's", e + "-" + v + "-full", HEAP,
                e + "-plain", HEAP, Double.NaN, false));
          }
        }
      }
      case "fleet" -> {
        for (String q : List.of("q1", "q0")) {
          String qos = q.equals("q1") ? "QoS 1" : "QoS 0";
          goals.add(new Goal("bridge CPU per " + qos + " message, many connections (µs)", q + "-many", CPU, null, null,
              Double.NaN, false));
          goals.add(new Goal("bridge CPU per " + qos + " message, many slow connections ÷ few fast ones, same rate",
              q + "-many", CPU, q + "-few", CPU, Double.NaN, false));
        }
      }
      default -> throw new Args.UsageException("--compare is producer, tls, handshakes or fleet");
    }
    return goals;
  }

  /** The rounds present ({@code r<N>-}) and the engines named in labels {@code r<N>-<engine>-...}. */
  static List<Outcome> evaluate(String mode, Map<String, Map<String, Object>> results) {
    TreeSet<Integer> rounds = new TreeSet<>();
    TreeSet<String> engines = new TreeSet<>();
    Pattern label = Pattern.compile("r(\\d+)-(?:(openssl|jdk)-)?.*");
    for (String l : results.keySet()) {
      Matcher m = label.matcher(l);
      if (m.matches()) {
        rounds.add(Integer.parseInt(m.group(1)));
        if (m.group(2) != null) {
          engines.add(m.group(2));
        }
      }
    }
    List<String> engineList = new ArrayList<>(engines.descendingSet()); // openssl first
    List<Outcome> outcomes = new ArrayList<>();
    for (Goal g : goals(mode, engineList)) {
      List<Double> values = new ArrayList<>();
      List<Double> figures = new ArrayList<>();
      List<Double> references = new ArrayList<>();
      for (int r : rounds) {
        double figure = ReportTable.number(results.get("r" + r + "-" + g.figureLabel()), g.figurePath());
        double reference = g.ratio()
            ? ReportTable.number(results.get("r" + r + "-" + g.referenceLabel()), g.referencePath()) : Double.NaN;
        if (Double.isNaN(figure) || g.ratio() && Double.isNaN(reference)) {
          continue;
        }
        figures.add(figure);
        references.add(reference);
        values.add(g.ratio() ? figure / reference : figure);
      }
      outcomes.add(new Outcome(g, values, figures, references));
    }
    return outcomes;
  }

  /** The markdown table of the outcomes. */
  static String table(List<Outcome> outcomes) {
    StringBuilder out = new StringBuilder();
    out.append("| figure | goal | per round (figure / reference) | median | spread | met |\n");
    out.append("|---|---|---|---|---|---|\n");
    for (Outcome o : outcomes) {
      Goal g = o.goal();
      List<String> rounds = new ArrayList<>();
      for (int i = 0; i < o.values().size(); i++) {
        rounds.add(g.ratio() ? fmt(o.values().get(i)) + " (" + fmt(o.figures().get(i)) + " / "
            + fmt(o.references().get(i)) + ")" : fmt(o.values().get(i)));
      }
      String goal = Double.isNaN(g.bound()) ? "(measured)" : (g.atLeast() ? ">= " : "<= ") + fmt(g.bound());
      String spread = o.values().isEmpty() ? "" : fmt(min(o.values())) + " to " + fmt(max(o.values()));
      String met = Double.isNaN(g.bound()) || o.values().isEmpty() ? "" : o.met() ? "yes" : "**no**";
      out.append("| ").append(g.name()).append(" | ").append(goal).append(" | ").append(String.join("; ", rounds))
          .append(" | ").append(fmt(o.median())).append(" | ").append(spread).append(" | ").append(met)
          .append(" |\n");
    }
    return out.toString();
  }

  static double median(List<Double> values) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static double min(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
  }

  private static double max(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
  }

  static String fmt(double v) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    double abs = Math.abs(v);
    return String.format(Locale.ROOT, abs >= 1000 ? "%,.0f" : abs >= 10 ? "%.1f" : abs >= 1 ? "%.2f" : "%.3f", v);
  }
}
