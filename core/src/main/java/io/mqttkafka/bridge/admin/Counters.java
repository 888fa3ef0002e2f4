package io.mqttkafka.bridge.admin;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.Search;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The running totals of an instance's main meters, read from its registry for the admin API: a console
 * turns two answers into rates. The names are the admin API's (its OpenAPI document lists them), not
 * the meters'.
 */
final class Counters {

  /** Downlink outcomes that mean the message did not reach the device. */
  private static final List<String> UNDELIVERED = List.of("offline", "not_subscribed", "expired", "rejected",
      "timeout");

  private Counters() {
  }

  static Map<String, Double> read(MeterRegistry registry) {
    Map<String, Double> counters = new LinkedHashMap<>();
    counters.put("uplink.written", count(registry.find("mqtt.bridge.uplink.messages").tag("outcome", "produced")));
    counters.put("uplink.refused", count(registry.find("mqtt.bridge.uplink.messages").tag("outcome", "rejected")));
    counters.put("uplink.failed", count(registry.find("mqtt.bridge.uplink.messages").tag("outcome", "failed"))
        + count(registry.find("mqtt.bridge.uplink.messages").tag("outcome", "overloaded")));
    DistributionSummary bytes = registry.find("mqtt.bridge.uplink.bytes").summary();
    counters.put("uplink.bytes", bytes == null ? 0 : bytes.totalAmount());
    counters.put("downlink.delivered", count(registry.find("mqtt.bridge.downlink.messages")
        .tag("outcome", "delivered")));
    double undelivered = 0;
    for (String outcome : UNDELIVERED) {
      undelivered += count(registry.find("mqtt.bridge.downlink.messages").tag("outcome", outcome));
    }
    counters.put("downlink.undelivered", undelivered);
    counters.put("connections.opened", count(registry.find("mqtt.bridge.connections.opened")));
    counters.put("connections.closed", count(registry.find("mqtt.bridge.connections.closed")));
    counters.put("connections.refused", count(registry.find("mqtt.bridge.connections.refused")));
    counters.put("auth.failures", count(registry.find("mqtt.bridge.auth.failures")));
    Gauge inflight = registry.find("mqtt.bridge.uplink.inflight.bytes").gauge();
    counters.put("uplink.inflight.bytes", inflight == null ? 0 : inflight.value());
    return counters;
  }

  private static double count(Search search) {
    double sum = 0;
    for (Counter counter : search.counters()) {
      sum += counter.count();
    }
    return sum;
  }
}
