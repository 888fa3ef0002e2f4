package io.mqttkafka.bridge.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The goals of uplink-limits.sh's modes, evaluated per round from the runs' JSON. */
class ComparisonsTest {

  @Test
  void fleetComparesManySlowConnectionsWithFewFastOnesRoundByRound() {
    Map<String, Map<String, Object>> results = new HashMap<>();
    results.put("r1-q1-many", cpu(9.0));
    results.put("r1-q1-few", cpu(3.0));
    results.put("r2-q1-many", cpu(8.0));
    results.put("r2-q1-few", cpu(4.0));
    results.put("prewarm-none", cpu(100.0)); // not a round: left out

    List<Comparisons.Outcome> outcomes = Comparisons.evaluate("fleet", results);

    Comparisons.Outcome absolute = outcomes.get(0);
    assertThat(absolute.goal().name()).isEqualTo("bridge CPU per QoS 1 message, many connections (µs)");
    assertThat(absolute.values()).containsExactly(9.0, 8.0);
    Comparisons.Outcome ratio = outcomes.get(1);
    assertThat(ratio.values()).containsExactly(3.0, 2.0);
    assertThat(ratio.median()).isEqualTo(2.5);
    assertThat(outcomes.get(2).values()).as("no QoS 0 runs: no values").isEmpty();
  }

  @Test
  void producerGoalsAreMetByTheMedianOfTheRounds() {
    Map<String, Map<String, Object>> results = new HashMap<>();
    results.put("r1-ref", Map.of("throughput", Map.of("records_per_s", 100.0)));
    results.put("r1-q1", Map.of("throughput", Map.of("arrived_per_s", 80.0)));
    results.put("r2-ref", Map.of("throughput", Map.of("records_per_s", 100.0)));
    results.put("r2-q1", Map.of("throughput", Map.of("arrived_per_s", 95.0)));
    results.put("r3-ref", Map.of("throughput", Map.of("records_per_s", 100.0)));
    results.put("r3-q1", Map.of("throughput", Map.of("arrived_per_s", 91.0)));

    Comparisons.Outcome rate = Comparisons.evaluate("producer", results).get(0);

    assertThat(rate.values()).containsExactly(0.8, 0.95, 0.91);
    assertThat(rate.median()).isEqualTo(0.91);
    assertThat(rate.met()).isTrue();
  }

  @Test
  void anUnknownModeIsAUsageError() {
    assertThatThrownBy(() -> Comparisons.goals("storm", List.of())).isInstanceOf(Args.UsageException.class)
        .hasMessageContaining("fleet");
  }

  private static Map<String, Object> cpu(double usPerMessage) {
    return Map.of("cpu", Map.of("bridge_us_per_msg", usPerMessage));
  }
}
