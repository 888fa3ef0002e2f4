package io.mqttkafka.bridge.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code bench report DIR}: the table of issue #7's targets from the JSON results of one
 * {@code scripts/benchmarks.sh} run (files {@code <label>.json}), with the Kafka producer reference
 * measured in the same run, and a table of every run's main figures.
 */
final class ReportTable {

  static final String USAGE = """
        bench report DIR             markdown tables of the targets from DIR/<label>.json results
        bench report DIR --value LABEL PATH   one figure, e.g. uplink-q1-max throughput.arrived_per_s
        bench report DIR --compare MODE   the goals of scripts/uplink-limits.sh MODE (producer, tls,
                                     handshakes, fleet): each figure ÷ its reference per round, median, spread
          --html                     also write DIR/report.html: each run's latency distribution, rate
                                     and CPU over time, its reference run on the same axes
      """;

  /**
   * One target: which run, which figure, the bound, and which way it must lie. {@code label} may
   * list several runs ({@code a|b|c}): the best figure among those without loss counts. With
   * {@code noLoss} the run must also have lost nothing (its loss is shown beside the figure).
   */
  private record Target(String name, String label, String path, double bound, boolean atLeast, String unit,
                        boolean noLoss) {
  }

  private static final List<Target> TARGETS = List.of(
      new Target("uplink QoS 0 throughput with zero loss (best QoS 0 run without loss)",
          "uplink-q0-260k|uplink-q0-at-q1max|uplink-q0-max", "throughput.arrived_per_s", 260_000, true, "msg/s", true),
      new Target("uplink QoS 0 loss at 260k msg/s offered", "uplink-q0-260k", "messages.lost", 0, false, "msgs", false),
      new Target("bridge CPU per QoS 0 message at 260k msg/s offered", "uplink-q0-260k", "cpu.bridge_us_per_msg", 3.5,
          false, "µs", true),
      new Target("uplink QoS 1 throughput", "uplink-q1-max", "throughput.arrived_per_s", 100_000, true, "msg/s", true),
      new Target("QoS 1 PUBACK p99 at half the QoS 1 max", "uplink-q1-half", "latency_puback.p99_ms", 20, false, "ms",
          false),
      new Target("downlink Kafka->device p50 (1,000 devices, 5,000 msg/s)", "downlink", "latency_kafka_to_device.p50_ms",
          5, false, "ms", false),
      new Target("downlink Kafka->device p99", "downlink", "latency_kafka_to_device.p99_ms", 20, false, "ms", false),
      new Target("idle connections held by one instance", "connections", "held.connections_held", 100_000, true,
          "conns", false),
      new Target("bridge heap per idle connection", "connections", "memory.heap_bytes_per_connection", 10_240, false,
          "bytes", false),
      new Target("connect rate", "connections", "connect.connect_rate_per_s", 5_000, true, "conn/s", false),
      new Target("router rebuild of 1,000,000 subscription records", "router-rebuild", "rebuild.rebuild_seconds", 10,
          false, "s", false),
      new Target("router heap per client", "router-write", "memory.heap_bytes_per_client", 300, false, "bytes", false));

  private ReportTable() {
  }

  static void run(Args args) throws IOException {
    String label = args.string("value", null);
    String compare = args.string("compare", null);
    boolean html = args.flag("html");
    List<String> dirs = args.positional();
    args.checkAllUsed();
    if (html && label == null && dirs.size() == 1) {
      System.err.println("wrote " + HtmlReport.write(Path.of(dirs.get(0)), compare));
    }
    if (compare != null) {
      if (dirs.size() != 1) {
        throw new Args.UsageException("report --compare needs one results directory");
      }
      System.out.print(Comparisons.table(Comparisons.evaluate(compare, load(Path.of(dirs.get(0))))));
      return;
    }
    if (dirs.size() != (label == null ? 1 : 2)) {
      throw new Args.UsageException("report needs one results directory (and with --value LABEL one PATH)");
    }
    Map<String, Map<String, Object>> results = load(Path.of(dirs.get(0)));
    if (label != null) {
      double v = number(results.get(label), dirs.get(1));
      System.out.println(Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.3f", v));
      return;
    }
    System.out.print(targets(results));
    System.out.println();
    System.out.print(runs(results));
  }

  @SuppressWarnings("unchecked")
  static Map<String, Map<String, Object>> load(Path dir) throws IOException {
    Map<String, Map<String, Object>> results = new LinkedHashMap<>();
    ObjectMapper json = new ObjectMapper();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
        try {
          Map<String, Object> r = json.readValue(f.toFile(), Map.class);
          results.put(String.valueOf(r.getOrDefault("label", f.getFileName().toString())), r);
        } catch (IOException e) {
          System.err.println("skipping " + f + ": " + e.getMessage());
        }
      }
    }
    return results;
  }

  static String targets(Map<String, Map<String, Object>> results) {
    double refStart = number(results.get("ref-start"), "throughput.records_per_s");
    double refEnd = number(results.get("ref-end"), "throughput.records_per_s");
    StringBuilder out = new StringBuilder();
    out.append("| target | bound | measured | figure ÷ bound | met | reference, same run |\n");
    out.append("|---|---|---|---|---|---|\n");
    for (Target t : TARGETS) {
      String label = pick(results, t);
      Map<String, Object> r = label == null ? null : results.get(label);
      double figure = number(r, t.path());
      double lost = t.noLoss() ? number(r, "messages.lost") : Double.NaN;
      String measured = r == null ? "not run" : Double.isNaN(figure) ? "n/a" : fmt(figure) + " " + t.unit();
      if (r != null && t.label().contains("|")) {
        measured += " (" + label + ")";
      }
      if (!Double.isNaN(lost)) {
        measured += ", " + fmt(lost) + " lost";
      }
      double offered = number(r, "throughput.offered_per_s");
      if (t.path().equals("messages.lost") && !Double.isNaN(offered)) {
        measured += " (offered " + fmt(offered) + " msg/s)";
      }
      String ratio = Double.isNaN(figure) || t.bound() == 0 ? "" : String.format(Locale.ROOT, "%.2f", figure / t.bound());
      boolean ok = (t.atLeast() ? figure >= t.bound() : figure <= t.bound()) && !(lost > 0);
      String met = Double.isNaN(figure) ? "?" : ok ? "yes" : "**no**";
      String reference = "";
      if (t.unit().equals("msg/s") && !Double.isNaN(refStart)) {
        reference = "Kafka producer " + fmt(refStart) + (Double.isNaN(refEnd) ? "" : " / " + fmt(refEnd))
            + " rec/s; bridge = " + String.format(Locale.ROOT, "%.2f", figure / Math.max(refStart, refEnd))
            + "x of the better";
      }
      out.append("| ").append(t.name()).append(" | ").append(t.atLeast() ? ">= " : "<= ").append(fmt(t.bound()))
          .append(' ').append(t.unit()).append(" | ").append(measured).append(" | ").append(ratio).append(" | ")
          .append(met).append(" | ").append(reference).append(" |\n");
    }
    return out.toString();
  }

  /** The run a target reads: its label, or among several the best without loss (else the best). */
  private static String pick(Map<String, Map<String, Object>> results, Target t) {
    String best = null;
    boolean bestClean = false;
    double bestFigure = Double.NaN;
    for (String label : t.label().split("\\|")) {
      Map<String, Object> r = results.get(label);
      double figure = number(r, t.path());
      if (r == null || Double.isNaN(figure)) {
        continue;
      }
      boolean clean = !(number(r, "messages.lost") > 0);
      boolean better = best == null || (clean && !bestClean)
          || (clean == bestClean && (t.atLeast() ? figure > bestFigure : figure < bestFigure));
      if (better) {
        best = label;
        bestClean = clean;
        bestFigure = figure;
      }
    }
    return best == null && !t.label().contains("|") ? t.label() : best;
  }

  static String runs(Map<String, Map<String, Object>> results) {
    StringBuilder out = new StringBuilder();
    out.append("| run | rate | lost | latency p50 / p99 / max ms | bridge µs/msg | cores: bridge / broker / bench |\n");
    out.append("|---|---|---|---|---|---|\n");
    for (Map.Entry<String, Map<String, Object>> e : results.entrySet()) {
      Map<String, Object> r = e.getValue();
      String rate = first(r, "throughput.arrived_per_s", "throughput.records_per_s", "throughput.produced_per_s",
          "connect.connect_rate_per_s", "rebuild.clients_per_s", "write.records_written");
      String latencyPath = firstPath(r, "latency_puback", "latency_kafka_to_device", "latency_end_to_end",
          "latency_send_to_ack", "connect.connack_latency");
      String latency = latencyPath == null ? "" : fmt(number(r, latencyPath + ".p50_ms")) + " / "
          + fmt(number(r, latencyPath + ".p99_ms")) + " / " + fmt(number(r, latencyPath + ".max_ms"))
          + " (" + latencyPath.replace("latency_", "").replace("connect.connack_latency", "connack") + ")";
      if (!Double.isNaN(number(r, "latency_kafka_reference.p50_ms"))) {
        // The downlink's floor, measured in the same run: Kafka's own produce-to-consumer latency.
        latency += "; Kafka's own " + fmt(number(r, "latency_kafka_reference.p50_ms")) + " / "
            + fmt(number(r, "latency_kafka_reference.p99_ms")) + " / " + fmt(number(r, "latency_kafka_reference.max_ms"));
      }
      out.append("| ").append(e.getKey()).append(" | ").append(rate).append(" | ")
          .append(first(r, "messages.lost")).append(" | ").append(latency).append(" | ")
          .append(first(r, "cpu.bridge_us_per_msg")).append(" | ")
          .append(first(r, "cpu.bridge_cores")).append(" / ").append(first(r, "cpu.broker_cores")).append(" / ")
          .append(first(r, "cpu.bench_cores")).append(" |\n");
    }
    return out.toString();
  }

  private static String first(Map<String, Object> r, String... paths) {
    for (String p : paths) {
      double v = number(r, p);
      if (!Double.isNaN(v)) {
        return fmt(v);
      }
    }
    return "";
  }

  private static String firstPath(Map<String, Object> r, String... paths) {
    for (String p : paths) {
      if (!Double.isNaN(number(r, p + ".p50_ms"))) {
        return p;
      }
    }
    return null;
  }

  @SuppressWarnings("unchecked")
  static double number(Map<String, Object> r, String path) {
    if (r == null) {
      return Double.NaN;
    }
    Object node = r;
    for (String part : path.split("\\.")) {
      if (!(node instanceof Map)) {
        return Double.NaN;
      }
      node = ((Map<String, Object>) node).get(part);
    }
    return node instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  private static String fmt(double v) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    double abs = Math.abs(v);
    if (abs >= 100 || v == Math.rint(v)) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    return String.format(Locale.ROOT, abs >= 10 ? "%.1f" : "%.2f", v);
  }
}
