package io.mqttkafka.bridge.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;

/**
 * The counters of one uplink mapping rule, {@code mqtt.bridge.uplink.rule.messages} tagged with the
 * rule's {@code name} and an {@code outcome}: {@code matched} when the rule is the first whose regex
 * matches a PUBLISH topic, then one of {@code written} (Kafka acknowledged the record), {@code refused}
 * (the rule rendered a topic name Kafka does not accept), {@code dropped} (the bridge held as many
 * unacknowledged bytes as it may and did not send it) and {@code failed} (Kafka failed it). So matched
 * is the sum of the other four plus the messages in flight. Obtained from
 * {@link BridgeMetrics#ruleMeters}; counting is one increment, no look-up.
 */
public final class RuleMeters {

  static final String NAME = "mqtt.bridge.uplink.rule.messages";
  private static final String DESCRIPTION = "Uplink messages per mapping rule (by name) and outcome";

  private final String rule;
  private final Counter matched;
  private final Counter written;
  private final Counter refused;
  private final Counter dropped;
  private final Counter failed;

  RuleMeters(MeterRegistry registry, String rule) {
    this.rule = rule;
    matched = counter(registry, rule, "matched");
    written = counter(registry, rule, "written");
    refused = counter(registry, rule, "refused");
    dropped = counter(registry, rule, "dropped");
    failed = counter(registry, rule, "failed");
  }

  private static Counter counter(MeterRegistry registry, String rule, String outcome) {
    return Counter.builder(NAME).tag("rule", rule).tag("outcome", outcome).description(DESCRIPTION)
        .register(registry);
  }

  /** The rule's name: the value of its {@code rule} tag. */
  public String rule() {
    return rule;
  }

  public void matched() {
    matched.increment();
  }

  public void written() {
    written.increment();
  }

  public void refused() {
    refused.increment();
  }

  public void dropped() {
    dropped.increment();
  }

  public void failed() {
    failed.increment();
  }

  /** The rule's series; removed from the registry when the rule is gone. */
  List<Meter> meters() {
    return List.of(matched, written, refused, dropped, failed);
  }
}
