package io.mqttkafka.bridge.bench;

import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU used during a measurement by the bridge, the Kafka broker and the bench itself, per message.
 * The bridge's figure comes from {@code /proc/<pid>} when its pid is known (also per thread group),
 * else from its {@code process_cpu_time_ns_total} meter; the broker's only from its pid.
 */
final class CpuMeter {

  /** CPU times at one moment, in nanoseconds (NaN where unknown). */
  record Snapshot(long wallNanos, double bridge, double broker, double bench, Map<String, Double> bridgeThreads,
                  Map<String, Double> benchThreads) {
  }

  private final long bridgePid;
  private final long brokerPid;
  private final BridgeEndpoint bridge;

  /** @param bridgePid 0 when unknown; @param brokerPid 0 when unknown or in the bridge process */
  CpuMeter(long bridgePid, long brokerPid, BridgeEndpoint bridge) {
    this.bridgePid = bridgePid;
    this.brokerPid = brokerPid;
    this.bridge = bridge;
  }

  Snapshot snapshot() {
    double bridgeCpu = bridgePid > 0 ? ProcessStats.cpuNanos(bridgePid)
        : bridge.value("process_cpu_time_ns_total");
    return new Snapshot(System.nanoTime(), bridgeCpu,
        brokerPid > 0 ? ProcessStats.cpuNanos(brokerPid) : Double.NaN,
        ProcessStats.cpuNanos(ProcessHandle.current().pid()),
        bridgePid > 0 ? ProcessStats.threadCpuNanos(bridgePid) : Map.of(),
        ProcessStats.threadCpuNanos(ProcessHandle.current().pid()));
  }

  /**
   * Writes, for the interval between the snapshots: each process's cores used (CPU seconds per
   * second) and microseconds of CPU per message (or connection), and the busiest thread groups of
   * the bridge and of the bench.
   */
  static void describe(Snapshot from, Snapshot to, long messages, Map<String, Object> out) {
    double wall = to.wallNanos() - from.wallNanos();
    out.put("source", "bridge: " + (to.bridgeThreads().isEmpty() ? "process_cpu_time metric" : "/proc/<pid>/stat"));
    out.put("interval_s", Summary.value(wall / 1e9));
    put(out, "bridge", to.bridge() - from.bridge(), wall, messages);
    put(out, "broker", to.broker() - from.broker(), wall, messages);
    put(out, "bench", to.bench() - from.bench(), wall, messages);
    if (!to.bridgeThreads().isEmpty()) {
      out.put("bridge_threads_cores", busiest(from.bridgeThreads(), to.bridgeThreads(), wall));
    }
    if (!to.benchThreads().isEmpty()) {
      out.put("bench_threads_cores", busiest(from.benchThreads(), to.benchThreads(), wall));
    }
  }

  /** The eight thread groups that used the most CPU between the snapshots, in cores. */
  private static Map<String, Object> busiest(Map<String, Double> from, Map<String, Double> to, double wallNanos) {
    Map<String, Double> delta = new HashMap<>();
    to.forEach((k, v) -> delta.put(k, v - from.getOrDefault(k, 0.0)));
    Map<String, Object> threads = new LinkedHashMap<>();
    delta.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder()))
        .limit(8).filter(e -> e.getValue() > 0)
        .forEach(e -> threads.put(e.getKey(), Summary.value(e.getValue() / wallNanos)));
    return threads;
  }

  /** Cores the bridge used between the snapshots; NaN if unknown. */
  static double bridgeCores(Snapshot from, Snapshot to) {
    return (to.bridge() - from.bridge()) / (to.wallNanos() - from.wallNanos());
  }

  private static void put(Map<String, Object> out, String who, double cpuNanos, double wallNanos, long messages) {
    out.put(who + "_cores", Summary.value(cpuNanos / wallNanos));
    out.put(who + "_us_per_msg", Summary.value(messages > 0 ? cpuNanos / 1e3 / messages : Double.NaN));
  }
}
