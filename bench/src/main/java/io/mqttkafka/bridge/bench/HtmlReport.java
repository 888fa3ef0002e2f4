package io.mqttkafka.bridge.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bench report DIR --html}: {@code DIR/report.html} beside the JSON results, one self-contained
 * page. For each figure run its reference run is drawn on the same axes: the latency distribution,
 * the rate and the CPU over the measured phase (the process doing the work: the bridge, or the bench
 * for Kafka's own producer), and a table of the main figures with their ratio. With {@code --compare
 * MODE} the pairs are that mode's goals (first round) and the page starts with the goals' table;
 * without, each run is paired with the run {@code ref-start} when there is one.
 */
final class HtmlReport {

  private static final String FIGURE_COLOR = "#1f5fbf";
  private static final String REFERENCE_COLOR = "#d9822b";
  private static final List<String> LATENCIES = List.of("latency_puback", "latency_pubcomp", "latency_send_to_ack",
      "latency_kafka_to_device", "latency_end_to_end", "connect.connack_latency");
  private static final List<String> RATES = List.of("throughput.arrived_per_s", "throughput.records_per_s",
      "connect.connect_rate_per_s");
  private static final List<SvgChart.Tick> PERCENTILE_TICKS = List.of(new SvgChart.Tick(0, "0"),
      new SvgChart.Tick(1, "90"), new SvgChart.Tick(2, "99"), new SvgChart.Tick(3, "99.9"),
      new SvgChart.Tick(4, "99.99"), new SvgChart.Tick(5, "99.999"), new SvgChart.Tick(5.5, "max"));

  /** A figure run and its reference run (null when it has none). */
  record Pair(String figure, String reference) {
  }

  private HtmlReport() {
  }

  /** Writes {@code dir/report.html} and returns its path. */
  static Path write(Path dir, String mode) throws IOException {
    Map<String, Map<String, Object>> results = ReportTable.load(dir);
    List<Comparisons.Outcome> outcomes = mode == null ? null : Comparisons.evaluate(mode, results);
    Path machine = dir.resolve("machine.txt");
    String about = Files.exists(machine) ? Files.readString(machine) : "";
    Path out = dir.resolve("report.html");
    String title = "bench report: " + dir.getFileName() + (mode == null ? "" : " (" + mode + ")");
    Files.writeString(out, render(title, about, results, outcomes), StandardCharsets.UTF_8);
    return out;
  }

  static String render(String title, String about, Map<String, Map<String, Object>> results,
                       List<Comparisons.Outcome> outcomes) {
    StringBuilder html = new StringBuilder();
    html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(escape(title))
        .append("</title>\n<style>\nbody{font:14px sans-serif;margin:16px;color:#222}h1{font-size:20px}"
            + "h2{font-size:16px;margin-top:28px}table{border-collapse:collapse;margin:8px 0}"
            + "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child"
            + "{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:8px}.chart{border:1px solid #ddd}"
            + ".grid{stroke:#eee}.axis{stroke:#888}.tick,.legend{font-size:11px;fill:#444}"
            + ".label{font-size:12px;fill:#444}.title{font-size:13px;font-weight:bold}.empty{fill:#999}"
            + ".no{color:#b00;font-weight:bold}pre{color:#555}\n</style></head><body>\n");
    html.append("<h1>").append(escape(title)).append("</h1>\n");
    if (!about.isBlank()) {
      html.append("<pre>").append(escape(about.strip())).append("</pre>\n");
    }
    if (outcomes != null) {
      html.append(goals(outcomes));
    }
    for (Pair pair : pairs(results, outcomes)) {
      html.append(section(pair, results.get(pair.figure()), results.get(pair.reference())));
    }
    return html.append("</body></html>\n").toString();
  }

  /** The runs to draw: the goals' figures and references of the first round, else every run. */
  static List<Pair> pairs(Map<String, Map<String, Object>> results, List<Comparisons.Outcome> outcomes) {
    Map<String, Pair> pairs = new LinkedHashMap<>();
    if (outcomes == null) {
      String reference = results.containsKey("ref-start") ? "ref-start" : null;
      for (String label : results.keySet()) {
        if (!label.equals(reference)) {
          pairs.put(label, new Pair(label, reference));
        }
      }
      return new ArrayList<>(pairs.values());
    }
    String round = results.keySet().stream().filter(l -> l.matches("r\\d+-.*")).map(l -> l.substring(0, l.indexOf('-')))
        .sorted().findFirst().orElse("r1");
    Map<String, String> referenceOf = new LinkedHashMap<>();
    for (Comparisons.Outcome o : outcomes) {
      Comparisons.Goal g = o.goal();
      String figure = round + "-" + g.figureLabel();
      String reference = g.ratio() ? round + "-" + g.referenceLabel() : null;
      if (!results.containsKey(figure)) {
        continue;
      }
      if (reference != null && !reference.equals(figure) && results.containsKey(reference)
          && referenceOf.get(figure) == null) {
        referenceOf.put(figure, reference);
      } else {
        referenceOf.putIfAbsent(figure, null);
      }
    }
    referenceOf.forEach((figure, reference) -> pairs.put(figure, new Pair(figure, reference)));
    return new ArrayList<>(pairs.values());
  }

  private static String goals(List<Comparisons.Outcome> outcomes) {
    StringBuilder out = new StringBuilder("<h2>Goals: each figure ÷ its reference in the same round</h2>\n<table>"
        + "<tr><th>figure</th><th>goal</th><th>per round (figure / reference)</th><th>median</th><th>met</th></tr>\n");
    for (Comparisons.Outcome o : outcomes) {
      Comparisons.Goal g = o.goal();
      List<String> rounds = new ArrayList<>();
      for (int i = 0; i < o.values().size(); i++) {
        rounds.add(Comparisons.fmt(o.values().get(i)) + (g.ratio() ? " (" + Comparisons.fmt(o.figures().get(i)) + " / "
            + Comparisons.fmt(o.references().get(i)) + ")" : ""));
      }
      String goal = Double.isNaN(g.bound()) ? "(measured)" : (g.atLeast() ? "≥ " : "≤ ") + Comparisons.fmt(g.bound());
      String met = Double.isNaN(g.bound()) || o.values().isEmpty() ? "" : o.met() ? "yes" : "<span class=\"no\">no</span>";
      out.append("<tr><td>").append(escape(g.name())).append("</td><td>").append(goal).append("</td><td>")
          .append(escape(String.join("; ", rounds))).append("</td><td>").append(Comparisons.fmt(o.median()))
          .append("</td><td>").append(met).append("</td></tr>\n");
    }
    return out.append("</table>\n").toString();
  }

  private static String section(Pair pair, Map<String, Object> figure, Map<String, Object> reference) {
    StringBuilder out = new StringBuilder("<h2>").append(escape(pair.figure()));
    out.append(pair.reference() == null ? "" : " beside its reference " + escape(pair.reference())).append("</h2>\n");
    out.append(figuresTable(pair, figure, reference));
    SvgChart latency = new SvgChart("latency distribution", "percentile", "ms").xTicks(PERCENTILE_TICKS);
    SvgChart rate = new SvgChart("rate over the measured phase", "seconds", "per second");
    SvgChart cpu = new SvgChart("CPU over the measured phase", "seconds", "cores");
    addRun(pair.figure(), figure, FIGURE_COLOR, latency, rate, cpu);
    if (reference != null) {
      addRun(pair.reference(), reference, REFERENCE_COLOR, latency, rate, cpu);
    }
    return out.append("<div class=\"charts\">").append(latency.render()).append(rate.render()).append(cpu.render())
        .append("</div>\n").toString();
  }

  private static void addRun(String label, Map<String, Object> run, String color, SvgChart latency, SvgChart rate,
                             SvgChart cpu) {
    String path = latencyPath(run);
    Object distribution = path == null ? null : node(run, path).get("distribution_ms");
    if (distribution instanceof Map<?, ?> d) {
      List<double[]> points = new ArrayList<>();
      d.forEach((p, ms) -> {
        double percentile = Double.parseDouble(String.valueOf(p));
        points.add(new double[] {percentile >= 100 ? 5.5 : Math.log10(100 / (100 - percentile)),
            ms instanceof Number n ? n.doubleValue() : Double.NaN});
      });
      latency.add(series(label + " (" + path.replace("latency_", "").replace("connect.", "") + ")", color, points));
    }
    boolean producer = "kafka-producer".equals(run.get("mode"));
    String cores = producer ? "bench_cores" : "bridge_cores";
    List<double[]> rates = new ArrayList<>();
    List<double[]> cpus = new ArrayList<>();
    if (run.get("timeline") instanceof List<?> timeline) {
      for (Object o : timeline) {
        if (o instanceof Map<?, ?> p && p.get("t_s") instanceof Number t) {
          rates.add(new double[] {t.doubleValue(), number(p.get("per_s"))});
          cpus.add(new double[] {t.doubleValue(), number(p.get(cores))});
        }
      }
    }
    rate.add(series(label, color, rates));
    cpu.add(series(label + (producer ? " (Kafka producer: bench process)" : " (bridge)"), color, cpus));
  }

  private static String figuresTable(Pair pair, Map<String, Object> figure, Map<String, Object> reference) {
    StringBuilder out = new StringBuilder("<table><tr><th></th><th>").append(escape(pair.figure())).append("</th>");
    if (reference != null) {
      out.append("<th>").append(escape(pair.reference())).append("</th><th>ratio</th>");
    }
    out.append("</tr>\n");
    String latency = latencyPath(figure);
    String referenceLatency = latencyPath(reference);
    row(out, "rate (per second)", value(figure, RATES), value(reference, RATES), reference != null);
    row(out, "CPU per message (µs): bridge, or the producer's process", cpuPerMessage(figure),
        cpuPerMessage(reference), reference != null);
    for (String p : List.of("p50_ms", "p99_ms", "p99_9_ms")) {
      row(out, "latency " + p.replace("_ms", "").replace('_', '.') + " (ms)",
          latency == null ? Double.NaN : ReportTable.number(figure, latency + "." + p),
          referenceLatency == null ? Double.NaN : ReportTable.number(reference, referenceLatency + "." + p),
          reference != null);
    }
    row(out, "messages lost", ReportTable.number(figure, "messages.lost"), ReportTable.number(reference, "messages.lost"),
        reference != null);
    return out.append("</table>\n").toString();
  }

  private static void row(StringBuilder out, String name, double figure, double reference, boolean withReference) {
    if (Double.isNaN(figure) && Double.isNaN(reference)) {
      return;
    }
    out.append("<tr><td>").append(escape(name)).append("</td><td>").append(fmt(figure)).append("</td>");
    if (withReference) {
      out.append("<td>").append(fmt(reference)).append("</td><td>")
          .append(Comparisons.fmt(figure / reference)).append("</td>");
    }
    out.append("</tr>\n");
  }

  /** A count as a count (no decimals), anything else as the goals' table shows it. */
  private static String fmt(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.format(java.util.Locale.ROOT, "%,.0f", v)
        : Comparisons.fmt(v);
  }

  private static double cpuPerMessage(Map<String, Object> run) {
    if (run == null) {
      return Double.NaN;
    }
    boolean producer = "kafka-producer".equals(run.get("mode"));
    double v = ReportTable.number(run, producer ? "cpu.bench_us_per_msg" : "cpu.bridge_us_per_msg");
    return Double.isNaN(v) ? ReportTable.number(run, "cpu_connecting.bridge_us_per_msg") : v;
  }

  private static double value(Map<String, Object> run, List<String> paths) {
    for (String p : paths) {
      double v = ReportTable.number(run, p);
      if (!Double.isNaN(v)) {
        return v;
      }
    }
    return Double.NaN;
  }

  private static String latencyPath(Map<String, Object> run) {
    if (run == null) {
      return null;
    }
    return LATENCIES.stream().filter(p -> node(run, p) != null).findFirst().orElse(null);
  }

  /** The section at a dotted path ({@code connect.connack_latency}), or null. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> node(Map<String, Object> run, String path) {
    Object at = run;
    for (String part : path.split("\\.")) {
      at = at instanceof Map<?, ?> m ? m.get(part) : null;
    }
    return at instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
  }

  private static SvgChart.Series series(String name, String color, List<double[]> points) {
    double[] xs = new double[points.size()];
    double[] ys = new double[points.size()];
    for (int i = 0; i < xs.length; i++) {
      xs[i] = points.get(i)[0];
      ys[i] = points.get(i)[1];
    }
    return new SvgChart.Series(name, color, xs, ys);
  }

  private static double number(Object o) {
    return o instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  /** Text for HTML content and attribute values. */
  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
