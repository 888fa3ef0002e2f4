package io.mqttkafka.bridge.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench report --html: each figure run drawn with its reference run, from the runs' JSON. */
class HtmlReportTest {

  @Test
  void eachFigureIsDrawnBesideItsReferenceWithTheRatios(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("r1-ref.json"), json(run("kafka-producer", "r1-ref", "latency_send_to_ack", 2.0,
        Map.of("records_per_s", 100_000.0), Map.of("bench_us_per_msg", 4.0), "bench_cores")));
    Files.writeString(dir.resolve("r1-q1.json"), json(run("uplink", "r1-q1", "latency_puback", 5.0,
        Map.of("arrived_per_s", 50_000.0), Map.of("bridge_us_per_msg", 6.0), "bridge_cores")));
    Files.writeString(dir.resolve("machine.txt"), "nproc: 2 <shared>\n");

    Path written = HtmlReport.write(dir, "producer");

    assertThat(written).isEqualTo(dir.resolve("report.html"));
    String html = Files.readString(written);
    assertThat(html).startsWith("<!DOCTYPE html>").contains("nproc: 2 &lt;shared&gt;");
    assertThat(html).contains("<h2>r1-q1 beside its reference r1-ref</h2>");
    assertThat(html).as("the goal's ratio, figure ÷ reference").contains("0.500 (50,000 / 100,000)");
    assertThat(html).as("the rate row: figure, reference, ratio")
        .contains("<td>rate (per second)</td><td>50,000</td><td>100,000</td><td>0.500</td>");
    assertThat(count(html, "<svg")).as("latency, rate and CPU of q1; q0 was not run").isEqualTo(3);
    Matcher latencyChart = Pattern.compile("latency distribution</text>(.*?)</svg>").matcher(html);
    assertThat(latencyChart.find()).isTrue();
    assertThat(count(latencyChart.group(1), "<polyline")).as("figure and reference on the same axes").isEqualTo(2);
    assertThat(latencyChart.group(1)).contains("r1-q1 (puback)").contains("r1-ref (send_to_ack)");
    assertThat(html).contains("r1-ref (Kafka producer: bench process)").contains("r1-q1 (bridge)");
    assertThat(html).doesNotContain("<h2>r1-q0");
  }

  @Test
  void aRunsCurveFollowsItsPoints() {
    SvgChart chart = new SvgChart("rate", "seconds", "per second")
        .add(new SvgChart.Series("a<b", "#000", new double[] {0, 10}, new double[] {0, 100}));

    String svg = chart.render();

    assertThat(svg).contains("a&lt;b");
    assertThat(svg).as("from the bottom left to the top right of the plot")
        .contains("points=\"62.0,212.0 428.0,28.0\"");
    assertThat(new SvgChart("x", "s", "y").render()).contains("no data in this run");
  }

  @Test
  void ticksLieAtRoundValues() {
    assertThat(SvgChart.niceCeiling(3.2)).isEqualTo(5);
    assertThat(SvgChart.niceCeiling(0.013)).isEqualTo(0.02);
    assertThat(SvgChart.roundTicks(0, 250_000)).extracting(SvgChart.Tick::label)
        .containsExactly("0", "50k", "100k", "150k", "200k", "250k");
  }

  @Test
  void aLatencySummaryCarriesItsDistribution() {
    Histogram h = new Histogram(3_600_000_000L, 3);
    for (int i = 1; i <= 1000; i++) {
      h.recordValue(i * 1000L);
    }
    Map<String, Object> out = new LinkedHashMap<>();

    Latency.describe(h, out);

    @SuppressWarnings("unchecked")
    Map<String, Object> distribution = (Map<String, Object>) out.get("distribution_ms");
    assertThat(distribution).containsKeys("0", "50", "99.9", "99.968", "100");
    assertThat((Double) distribution.get("50")).isBetween(499.0, 501.0);
    assertThat((Double) distribution.get("100")).isBetween(999.0, 1001.0);
  }

  @Test
  void aTimelinePointIsTheRateAndCoresOverItsInterval() {
    CpuMeter.Snapshot from = new CpuMeter.Snapshot(0, 0, 0, 0, Map.of(), Map.of());
    CpuMeter.Snapshot to = new CpuMeter.Snapshot(2_000_000_000L, 1e9, 5e8, 3e9, Map.of(), Map.of());

    assertThat(Timeline.point(2, 40_000, from, to)).containsExactly(Map.entry("t_s", 2.0),
        Map.entry("per_s", 20_000.0), Map.entry("bridge_cores", 0.5), Map.entry("broker_cores", 0.25),
        Map.entry("bench_cores", 1.5));
  }

  private static Map<String, Object> run(String mode, String label, String latency, double p50,
                                         Map<String, Object> throughput, Map<String, Object> cpu, String cores) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("mode", mode);
    r.put("label", label);
    r.put("throughput", throughput);
    r.put("cpu", cpu);
    Map<String, Object> distribution = new LinkedHashMap<>();
    distribution.put("50", p50);
    distribution.put("99", p50 * 3);
    distribution.put("100", p50 * 10);
    r.put(latency, Map.of("p50_ms", p50, "p99_ms", p50 * 3, "distribution_ms", distribution));
    r.put("timeline", List.of(Map.of("t_s", 1.0, "per_s", 90_000.0, cores, 0.8),
        Map.of("t_s", 2.0, "per_s", 95_000.0, cores, 0.9)));
    return r;
  }

  private static String json(Map<String, Object> run) throws Exception {
    return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(run);
  }

  private static int count(String s, String part) {
    return s.split(Pattern.quote(part), -1).length - 1;
  }
}
