package io.mqttkafka.bridge.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Rate and CPU over the measured phase of a run, for the pictures of {@code bench report --html}: once
 * a second, on a thread of its own, the count of {@code done} (messages, records, connections) and the
 * CPU of bridge, broker and bench, each point the rate and cores since the previous one.
 */
final class Timeline implements AutoCloseable {

  private final LongSupplier done;
  private final CpuMeter cpu;
  private final List<Map<String, Object>> points = new ArrayList<>();
  private final ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "bench-timeline");
    t.setDaemon(true);
    return t;
  });
  private long startNanos;
  private long lastCount;
  private CpuMeter.Snapshot last;

  Timeline(LongSupplier done, CpuMeter cpu) {
    this.done = done;
    this.cpu = cpu;
  }

  /** Starts sampling: the first point comes a second from now. */
  Timeline start() {
    last = cpu.snapshot();
    startNanos = last.wallNanos();
    lastCount = done.getAsLong();
    clock.scheduleAtFixedRate(this::sample, 1, 1, TimeUnit.SECONDS);
    return this;
  }

  private void sample() {
    try {
      long count = done.getAsLong();
      CpuMeter.Snapshot now = cpu.snapshot();
      synchronized (points) {
        points.add(point((now.wallNanos() - startNanos) / 1e9, count - lastCount, last, now));
      }
      lastCount = count;
      last = now;
    } catch (RuntimeException e) {
      // A point missing from a picture is no reason to fail the run.
    }
  }

  /** One point: seconds since the start, the rate and each process's cores over the interval. */
  static Map<String, Object> point(double seconds, long count, CpuMeter.Snapshot from, CpuMeter.Snapshot to) {
    double wall = to.wallNanos() - from.wallNanos();
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("t_s", Summary.value(seconds));
    p.put("per_s", Summary.value(count / (wall / 1e9)));
    p.put("bridge_cores", Summary.value((to.bridge() - from.bridge()) / wall));
    p.put("broker_cores", Summary.value((to.broker() - from.broker()) / wall));
    p.put("bench_cores", Summary.value((to.bench() - from.bench()) / wall));
    return p;
  }

  /** Stops sampling (idempotent) and puts the points into the summary as {@code timeline}. */
  void describe(Summary summary) {
    close();
    synchronized (points) {
      summary.put("timeline", List.copyOf(points));
    }
  }

  @Override
  public void close() {
    clock.shutdownNow();
    try {
      clock.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
