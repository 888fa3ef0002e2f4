package io.mqttkafka.bridge.fault;

import io.mqttkafka.bridge.process.BridgeProcess;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;

/**
 * Looks at a bridge from outside every 250 ms, as a monitoring system would: readiness, heap used,
 * bytes awaiting Kafka. Its thread stops by itself after 10 minutes at the latest.
 */
final class Sampler implements AutoCloseable {

  /** One look. */
  record Sample(long at, boolean ready, double heapBytes, double inFlightBytes) {
  }

  private final List<Sample> samples = new ArrayList<>();
  private final Thread thread;

  Sampler(BridgeProcess bridge) {
    thread = new Thread(() -> {
      long end = System.currentTimeMillis() + 600_000;
      while (!Thread.currentThread().isInterrupted() && System.currentTimeMillis() < end) {
        Sample s = new Sample(System.currentTimeMillis(), bridge.ready(),
            bridge.metric("jvm_memory_used_bytes", "area=\"heap\""),
            bridge.metric("mqtt_bridge_uplink_inflight_bytes", ""));
        synchronized (samples) {
          samples.add(s);
        }
        try {
          Thread.sleep(250);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "sampler-" + bridge.id());
    thread.setDaemon(true);
    thread.start();
  }

  /** Whether any sample taken in [from, to) matches. */
  boolean any(long from, long to, Predicate<Sample> match) {
    synchronized (samples) {
      return samples.stream().anyMatch(s -> s.at() >= from && s.at() < to && match.test(s));
    }
  }

  /** The largest value over all samples (NaN ignored); 0 with none. */
  double max(ToDoubleFunction<Sample> value) {
    synchronized (samples) {
      return samples.stream().mapToDouble(value).filter(v -> !Double.isNaN(v)).max().orElse(0);
    }
  }

  /** The first time at or after {@code from} a sample matched; -1 if none did. */
  long firstAtOrAfter(long from, Predicate<Sample> match) {
    synchronized (samples) {
      return samples.stream().filter(s -> s.at() >= from && match.test(s)).mapToLong(Sample::at).findFirst()
          .orElse(-1);
    }
  }

  @Override
  public void close() {
    thread.interrupt();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static String mib(double bytes) {
    return String.format("%.1f MiB", bytes / (1024 * 1024));
  }
}
