package io.mqttkafka.bridge.metrics;

/**
 * A value of a low-cardinality metric tag, from a closed set: implemented by the enums whose constants
 * are the only values a tag takes (a close reason, a receipt status, a limit), never by a client id or
 * a topic. The value is a fixed lower-case word.
 */
public interface MetricTag {

  /** The tag's value, such as {@code slow_consumer}. */
  String metricTag();
}
