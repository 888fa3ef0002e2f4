package io.mqttkafka.bridge.testkit;

import java.util.concurrent.locks.LockSupport;

/**
 * Paces a sender to a target rate, or lets it run free (rate 0). The sender asks how many sends
 * are due now; a sender that fell behind catches up by at most {@link #MAX_BURST_SECONDS} worth, so
 * a stall does not turn into an unbounded burst.
 */
public final class Pacer {

  private static final double MAX_BURST_SECONDS = 0.005;
  private static final long PARK_NANOS = 50_000;

  private final double perNano;
  private final long maxBurst;
  private long startNanos;
  private long granted;

  /** @param ratePerSecond sends per second; 0 or less: as fast as possible */
  public Pacer(double ratePerSecond) {
    this.perNano = ratePerSecond / 1e9;
    this.maxBurst = ratePerSecond <= 0 ? Long.MAX_VALUE : Math.max(1, (long) (ratePerSecond * MAX_BURST_SECONDS));
  }

  public void start(long nowNanos) {
    startNanos = nowNanos;
    granted = 0;
  }

  public boolean unlimited() {
    return perNano <= 0;
  }

  /** Sends allowed now (Long.MAX_VALUE when unlimited); the caller reports what it sent with {@link #sent}. */
  public long due(long nowNanos) {
    if (perNano <= 0) {
      return Long.MAX_VALUE;
    }
    long target = (long) ((nowNanos - startNanos) * perNano);
    long behind = target - granted;
    if (behind > maxBurst) {
      granted = target - maxBurst; // forget what cannot be caught up without a burst
      behind = maxBurst;
    }
    return Math.max(0, behind);
  }

  public void sent(long n) {
    granted += n;
  }

  /** Waits a little: nothing is due or nothing can be sent. */
  public static void pause() {
    LockSupport.parkNanos(PARK_NANOS);
  }
}
