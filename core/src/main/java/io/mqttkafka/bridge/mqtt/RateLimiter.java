package io.mqttkafka.bridge.mqtt;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A token bucket of {@code burst} tokens refilled at {@code perSecond}, kept as one long: the time at
 * which the bucket will be full again (the generic cell rate algorithm, which behaves exactly like a
 * token bucket). No allocation and no lock per call. A plain instance is for one thread (a
 * connection's event loop); {@link #shared} makes one any thread may call (CAS).
 */
class RateLimiter {

  private final long intervalNanos;
  private final long toleranceNanos;
  /** When the bucket is full again (System.nanoTime scale); behind "now" means full. */
  private long fullAt;

  /**
   * @param perSecond tokens added per second, at least 1
   * @param burst     the bucket's size: how many may come at once, at least 1
   */
  RateLimiter(int perSecond, int burst, long nowNanos) {
    if (perSecond < 1 || burst < 1) {
      throw new IllegalArgumentException("rate and burst must be at least 1");
    }
    this.intervalNanos = Math.max(1, TimeUnit.SECONDS.toNanos(1) / perSecond);
    this.toleranceNanos = intervalNanos * burst;
    this.fullAt = nowNanos;
  }

  /** A limiter several threads may share. */
  static RateLimiter shared(int perSecond, int burst, long nowNanos) {
    return new Shared(perSecond, burst, nowNanos);
  }

  /** Takes a token if there is one. */
  boolean tryAcquire(long nowNanos) {
    long next = next(fullAt, nowNanos);
    if (next == 0) {
      return false;
    }
    fullAt = next;
    return true;
  }

  /** The new full-at time after taking a token, or 0 when the bucket is empty. */
  final long next(long currentFullAt, long nowNanos) {
    long next = (currentFullAt - nowNanos < 0 ? nowNanos : currentFullAt) + intervalNanos;
    return next - nowNanos > toleranceNanos ? 0 : (next == 0 ? 1 : next);
  }

  private static final class Shared extends RateLimiter {
    private final AtomicLong sharedFullAt;

    Shared(int perSecond, int burst, long nowNanos) {
      super(perSecond, burst, nowNanos);
      sharedFullAt = new AtomicLong(nowNanos);
    }

    @Override
    boolean tryAcquire(long nowNanos) {
      while (true) {
        long current = sharedFullAt.get();
        long next = next(current, nowNanos);
        if (next == 0) {
          return false;
        }
        if (sharedFullAt.compareAndSet(current, next)) {
          return true;
        }
      }
    }
  }
}
