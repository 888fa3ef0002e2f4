package io.mqttkafka.bridge.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The pacer on a clock given by hand. */
class PacerTest {

  private static final long MS = 1_000_000;

  @Test
  void grantsTheRateOverTimeLessWhatWasSent() {
    Pacer pacer = new Pacer(10_000); // 10 per ms
    pacer.start(0);

    assertThat(pacer.due(0)).isZero();
    assertThat(pacer.due(2 * MS)).isEqualTo(20);
    pacer.sent(15);
    assertThat(pacer.due(2 * MS)).isEqualTo(5);
    pacer.sent(5);
    assertThat(pacer.due(3 * MS)).isEqualTo(10);
  }

  @Test
  void aSenderThatFellBehindCatchesUpByAtMostFiveMillisecondsWorth() {
    Pacer pacer = new Pacer(10_000);
    pacer.start(0);

    assertThat(pacer.due(1_000 * MS)).isEqualTo(50);
    pacer.sent(50);
    assertThat(pacer.due(1_000 * MS)).isZero();
    assertThat(pacer.due(1_001 * MS)).isEqualTo(10);
  }

  @Test
  void rateZeroIsUnlimited() {
    Pacer pacer = new Pacer(0);
    pacer.start(0);

    assertThat(pacer.unlimited()).isTrue();
    assertThat(pacer.due(0)).isEqualTo(Long.MAX_VALUE);
  }
}
