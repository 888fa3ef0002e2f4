package io.mqttkafka.bridge.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One counter per value of one tag: a counter is registered the first time its value is counted and
 * then found by the value (enum constants hash by identity), so counting never builds a key.
 * Thread-safe.
 */
final class TaggedCounter {

  private final MeterRegistry registry;
  private final String name;
  private final String tag;
  private final String description;
  private final Map<MetricTag, Counter> counters = new ConcurrentHashMap<>();

  TaggedCounter(MeterRegistry registry, String name, String tag, String description) {
    this.registry = registry;
    this.name = name;
    this.tag = tag;
    this.description = description;
  }

  /** Registers the counters of these values now, so that their series exist before the first count. */
  void register(MetricTag... values) {
    for (MetricTag value : values) {
      counters.computeIfAbsent(value, v -> Counter.builder(name).tag(tag, v.metricTag())
          .description(description).register(registry));
    }
  }

  void increment(MetricTag value) {
    Counter counter = counters.get(value);
    if (counter == null) {
      counter = counters.computeIfAbsent(value, v -> Counter.builder(name).tag(tag, v.metricTag())
          .description(description).register(registry));
    }
    counter.increment();
  }
}
