package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The token bucket, on a clock the test moves: no wall clock. */
class RateLimiterTest {

  private static final long START = 123_456_789L;
  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

  @Test
  void aFullBucketLetsTheBurstThroughAtOnceAndThenNoMore() {
    RateLimiter limiter = new RateLimiter(10, 5, START);
    for (int i = 0; i < 5; i++) {
      assertThat(limiter.tryAcquire(START)).as("token %d", i).isTrue();
    }
    assertThat(limiter.tryAcquire(START)).isFalse();
  }

  @Test
  void tokensComeBackAtTheRate() {
    RateLimiter limiter = new RateLimiter(10, 1, START);
    assertThat(limiter.tryAcquire(START)).isTrue();
    assertThat(limiter.tryAcquire(START + 99 * MS)).isFalse();
    assertThat(limiter.tryAcquire(START + 100 * MS)).isTrue();
    assertThat(limiter.tryAcquire(START + 150 * MS)).isFalse();
    assertThat(limiter.tryAcquire(START + 200 * MS)).isTrue();
  }

  @Test
  void aSteadyStreamAtTheRateIsNeverRefusedAndFasterIsCutToTheRate() {
    RateLimiter limiter = new RateLimiter(100, 10, START);
    int accepted = 0;
    // 1,000 attempts spread evenly over 1 s at 1,000/s: the burst plus 100 per second get through.
    for (int i = 0; i < 1000; i++) {
      if (limiter.tryAcquire(START + i * MS)) {
        accepted++;
      }
    }
    assertThat(accepted).isBetween(100, 111);
    RateLimiter steady = new RateLimiter(100, 1, START);
    for (int i = 0; i < 500; i++) {
      assertThat(steady.tryAcquire(START + i * 10 * MS)).isTrue();
    }
  }

  @Test
  void anIdleBucketRefillsOnlyUpToTheBurst() {
    RateLimiter limiter = new RateLimiter(1, 3, START);
    long later = START + TimeUnit.HOURS.toNanos(1);
    int accepted = 0;
    while (limiter.tryAcquire(later)) {
      accepted++;
    }
    assertThat(accepted).isEqualTo(3);
  }

  @Test
  void theSharedLimiterCountsTheSameAcrossThreads() throws Exception {
    RateLimiter shared = RateLimiter.shared(1, 1000, START);
    int[] accepted = new int[4];
    Thread[] threads = new Thread[4];
    for (int t = 0; t < threads.length; t++) {
      int n = t;
      threads[t] = new Thread(() -> {
        for (int i = 0; i < 1000; i++) {
          if (shared.tryAcquire(START)) {
            accepted[n]++;
          }
        }
      });
      threads[t].start();
    }
    for (Thread thread : threads) {
      thread.join();
    }
    assertThat(accepted[0] + accepted[1] + accepted[2] + accepted[3]).isEqualTo(1000);
  }

  @Test
  void worksAcrossTheSignOfNanoTime() {
    RateLimiter limiter = new RateLimiter(1, 1, -500 * MS);
    assertThat(limiter.tryAcquire(-500 * MS)).isTrue();
    assertThat(limiter.tryAcquire(400 * MS)).isFalse();
    assertThat(limiter.tryAcquire(500 * MS)).isTrue();
  }
}
