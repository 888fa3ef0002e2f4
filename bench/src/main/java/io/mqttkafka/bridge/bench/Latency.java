package io.mqttkafka.bridge.bench;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * A latency distribution in microseconds (HdrHistogram, 3 significant digits, up to an hour). Any
 * thread may record; {@link #interval()} takes what was recorded since the last call (for progress
 * lines) and adds it to the total that {@link #describe} reports.
 */
final class Latency {

  private static final long MAX_MICROS = 3_600_000_000L;

  private final Recorder recorder = new Recorder(MAX_MICROS, 3);
  private final Histogram total = new Histogram(MAX_MICROS, 3);
  private Histogram reuse;

  /** Records one value, clamped to [0, 1 h]. */
  void recordNanos(long nanos) {
    recorder.recordValue(Math.min(MAX_MICROS, Math.max(0, nanos / 1_000)));
  }

  /** What was recorded since the previous call; also added to the total. */
  synchronized Histogram interval() {
    reuse = recorder.getIntervalHistogram(reuse);
    total.add(reuse);
    return reuse;
  }

  /** Everything recorded so far. */
  synchronized Histogram total() {
    interval();
    return total.copy();
  }

  /** The percentiles of {@code distribution_ms}: evenly spaced on a log scale of 1 / (1 - p), up to the max. */
  static final double[] DISTRIBUTION = {0, 10, 25, 50, 68, 75, 82, 90, 93, 95, 96.8, 98, 99, 99.3, 99.5, 99.68, 99.8,
      99.9, 99.93, 99.95, 99.968, 99.98, 99.99, 99.999, 100};

  /**
   * Count, p50, p90, p99, p99.9, max and mean in milliseconds, into {@code out}; and the distribution
   * (percentile to milliseconds) for the pictures of {@code bench report --html}.
   */
  static void describe(Histogram h, Map<String, Object> out) {
    out.put("count", h.getTotalCount());
    if (h.getTotalCount() == 0) {
      return;
    }
    out.put("p50_ms", millis(h.getValueAtPercentile(50)));
    out.put("p90_ms", millis(h.getValueAtPercentile(90)));
    out.put("p99_ms", millis(h.getValueAtPercentile(99)));
    out.put("p99_9_ms", millis(h.getValueAtPercentile(99.9)));
    out.put("max_ms", millis(h.getMaxValue()));
    out.put("mean_ms", Summary.value(h.getMean() / 1_000.0));
    Map<String, Object> distribution = new LinkedHashMap<>();
    for (double p : DISTRIBUTION) {
      distribution.put(BigDecimal.valueOf(p).stripTrailingZeros().toPlainString(), millis(h.getValueAtPercentile(p)));
    }
    out.put("distribution_ms", distribution);
  }

  /** "p50 1.2 ms p99 8.0 ms" for progress lines; "-" when empty. */
  static String brief(Histogram h) {
    if (h.getTotalCount() == 0) {
      return "-";
    }
    return String.format(java.util.Locale.ROOT, "p50 %.1f p99 %.1f max %.1f ms", h.getValueAtPercentile(50) / 1e3,
        h.getValueAtPercentile(99) / 1e3, h.getMaxValue() / 1e3);
  }

  private static Double millis(long micros) {
    return Summary.value(micros / 1_000.0);
  }
}
