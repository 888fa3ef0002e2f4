package io.mqttkafka.bridge.bench;

import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * The Kafka producer's own view of a run (its {@code producer-metrics} group): how full the
 * batches were, how long records queued and requests took. These tell a producer limited by
 * batching and round trips from one limited by CPU.
 */
final class ProducerStats {

  private static final String[] NAMES = {
      "batch-size-avg", "records-per-request-avg", "record-queue-time-avg", "record-queue-time-max",
      "request-latency-avg", "request-latency-max", "request-rate", "record-send-rate", "bufferpool-wait-ratio",
      "io-ratio", "io-wait-ratio", "produce-throttle-time-avg",
  };

  private ProducerStats() {
  }

  static void describe(Map<MetricName, ? extends Metric> metrics, Map<String, Object> out) {
    for (String name : NAMES) {
      for (Map.Entry<MetricName, ? extends Metric> e : metrics.entrySet()) {
        if (e.getKey().group().equals("producer-metrics") && e.getKey().name().equals(name)) {
          Object v = e.getValue().metricValue();
          out.put(name, v instanceof Double d ? Summary.value(d) : v);
        }
      }
    }
  }
}
