package io.mqttkafka.bridge.util;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * At most one WARN per period for a failure that can happen once per message or per connection
 * (Kafka away: every device's publish, every receipt), the rest at DEBUG and counted, so that an
 * outage is one line every few seconds and not one per device. Thread-safe.
 */
public final class LogThrottle {

  private final long periodNanos;
  private final AtomicLong next;
  private final AtomicLong suppressed = new AtomicLong();

  public LogThrottle(Duration period) {
    this.periodNanos = period.toNanos();
    this.next = new AtomicLong(System.nanoTime());
  }

  /**
   * Whether this occurrence is the period's warning: -1 when not (log it at DEBUG; it is counted),
   * else how many were not warned about since the last warning.
   */
  public long warn(long nowNanos) {
    long due = next.get();
    if (nowNanos - due >= 0 && next.compareAndSet(due, nowNanos + periodNanos)) {
      return suppressed.getAndSet(0);
    }
    suppressed.incrementAndGet();
    return -1;
  }

  /** The suffix for a warning that follows {@code suppressed} occurrences logged at DEBUG. */
  public static String since(long suppressed) {
    return suppressed <= 0 ? "" : " (and " + suppressed + " more logged at DEBUG since the last warning)";
  }
}
