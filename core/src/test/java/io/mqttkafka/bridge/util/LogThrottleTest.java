package io.mqttkafka.bridge.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LogThrottleTest {

  @Test
  void oneWarningPerPeriodAndTheRestCounted() {
    LogThrottle throttle = new LogThrottle(Duration.ofSeconds(10));
    long start = System.nanoTime();
    long second = Duration.ofSeconds(1).toNanos();

    assertThat(throttle.warn(start)).as("the first warns").isZero();
    assertThat(throttle.warn(start + second)).isEqualTo(-1);
    assertThat(throttle.warn(start + 9 * second)).isEqualTo(-1);
    assertThat(throttle.warn(start + 10 * second)).as("the next period's first, after two").isEqualTo(2);
    assertThat(throttle.warn(start + 11 * second)).isEqualTo(-1);
    assertThat(LogThrottle.since(0)).isEmpty();
    assertThat(LogThrottle.since(2)).contains("2 more");
  }
}
