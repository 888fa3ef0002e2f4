package io.mqttkafka.bridge.bench;

import io.mqttkafka.bridge.testkit.Fleet;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What opening a {@link Fleet} came to: connections pending, connected and failed (with reasons),
 * closed by the bridge, CONNACK latency, and the connect phase's length. Counters are thread-safe;
 * {@link #openBegins}/{@link #openEnds} are called by the thread that opens.
 */
final class ConnectStats implements Fleet.Observer {

  private final Latency connackLatency = new Latency();
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicLong connected = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong closedByPeer = new AtomicLong();
  private final Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
  private final double targetRate;
  private long startNanos;
  private long endNanos;

  /** @param targetRate the paced connect rate, 0 or less: unlimited */
  ConnectStats(double targetRate) {
    this.targetRate = targetRate;
  }

  /** The connect phase begins. */
  @Override
  public void openBegins() {
    startNanos = System.nanoTime();
  }

  /** The connect phase is over: the fleet opened every connection it could. */
  @Override
  public void openEnds() {
    endNanos = System.nanoTime();
  }

  @Override
  public void connecting() {
    pending.incrementAndGet();
  }

  /** An attempt got its CONNACK; latency from {@code startNanos}. */
  @Override
  public void connected(long startNanos) {
    connackLatency.recordNanos(System.nanoTime() - startNanos);
    connected.incrementAndGet();
    pending.decrementAndGet();
  }

  /** An attempt failed for the reason given (counted per reason). */
  @Override
  public void failed(String reason) {
    failed.incrementAndGet();
    failures.computeIfAbsent(reason, k -> new AtomicLong()).incrementAndGet();
    pending.decrementAndGet();
  }

  /** An accepted connection was closed by the bridge (not while the fleet was closing it). */
  @Override
  public void closedByPeer() {
    closedByPeer.incrementAndGet();
  }

  long connected() {
    return connected.get();
  }

  long failed() {
    return failed.get();
  }

  int pending() {
    return pending.get();
  }

  long closedByBridge() {
    return closedByPeer.get();
  }

  /** Connect figures: counts, rate, CONNACK latency, failure reasons. */
  void describe(Map<String, Object> out) {
    double seconds = (endNanos - startNanos) / 1e9;
    out.put("connected", connected.get());
    out.put("failed", failed.get());
    out.put("connect_seconds", Summary.value(seconds));
    out.put("connect_rate_per_s", Summary.value(connected.get() / seconds));
    out.put("target_connect_rate_per_s", targetRate > 0 ? targetRate : "unlimited");
    out.put("closed_by_bridge", closedByPeer.get());
    Latency.describe(connackLatency.total(), Summary.child(out, "connack_latency"));
    if (!failures.isEmpty()) {
      Map<String, Object> reasons = Summary.child(out, "failure_reasons");
      failures.forEach((k, v) -> reasons.put(k, v.get()));
    }
  }
}
