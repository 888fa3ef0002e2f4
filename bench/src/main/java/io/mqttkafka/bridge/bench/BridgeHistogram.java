package io.mqttkafka.bridge.bench;

import java.util.Map;
import java.util.TreeMap;

/**
 * A Prometheus histogram of the bridge between two scrapes: its {@code _bucket} lines (summed over
 * every other label) give the count, the mean and upper bounds of the percentiles of what was
 * recorded in between. For figures the bench cannot see from outside, such as the bridge's own
 * PUBLISH-to-Kafka-acknowledgement time beside the PUBACK latency the devices saw.
 */
final class BridgeHistogram {

  private final TreeMap<Double, Double> cumulative = new TreeMap<>();
  private final double sum;
  private final double count;

  private BridgeHistogram(String scrape, String name) {
    String bucket = name + "_bucket{";
    for (String line : scrape == null ? new String[0] : scrape.split("\n")) {
      int le = line.indexOf("le=\"");
      if (!line.startsWith(bucket) || le < 0) {
        continue;
      }
      String bound = line.substring(le + 4, line.indexOf('"', le + 4));
      double upper = bound.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(bound);
      cumulative.merge(upper, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)), Double::sum);
    }
    this.sum = BridgeEndpoint.sample(scrape, name + "_sum");
    this.count = BridgeEndpoint.sample(scrape, name + "_count");
  }

  /** The histogram {@code name} (e.g. {@code mqtt_bridge_uplink_latency_seconds}) in a scrape. */
  static BridgeHistogram of(String scrape, String name) {
    return new BridgeHistogram(scrape, name);
  }

  /**
   * What was recorded between {@code before} and {@code after}: count, mean and the bucket bounds
   * that p50 and p99 fall under, in milliseconds, into {@code out}.
   */
  static void describe(BridgeHistogram before, BridgeHistogram after, Map<String, Object> out) {
    double n = after.count - before.count;
    out.put("count", Summary.value(n));
    if (!(n > 0)) {
      return;
    }
    out.put("mean_ms", Summary.value((after.sum - before.sum) / n * 1e3));
    out.put("p50_at_most_ms", Summary.value(before.bound(after, 0.50) * 1e3));
    out.put("p99_at_most_ms", Summary.value(before.bound(after, 0.99) * 1e3));
  }

  /** The least bucket bound under which {@code fraction} of what {@code later} recorded since this lies. */
  private double bound(BridgeHistogram later, double fraction) {
    double n = later.count - count;
    for (Map.Entry<Double, Double> e : later.cumulative.entrySet()) {
      double delta = e.getValue() - cumulative.getOrDefault(e.getKey(), 0.0);
      if (delta >= fraction * n) {
        return e.getKey();
      }
    }
    return Double.NaN;
  }
}
