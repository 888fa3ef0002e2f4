package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The transitions of a connection's state: a shutdown keeps draining whatever closes it, nothing leaves CLOSED. */
class SessionStateTest {

  @Test
  void aCloseThatBeginsMakesAnOpenConnectionClosingAndLeavesTheOthersAsTheyAre() {
    assertThat(SessionState.OPEN.closeBegun()).isEqualTo(SessionState.CLOSING);
    assertThat(SessionState.CLOSING.closeBegun()).isEqualTo(SessionState.CLOSING);
    assertThat(SessionState.DRAINING.closeBegun()).as("takes no new QoS 1/2 PUBLISH until closed")
        .isEqualTo(SessionState.DRAINING);
    assertThat(SessionState.CLOSED.closeBegun()).isEqualTo(SessionState.CLOSED);
  }

  @Test
  void aShutdownDrainsEveryConnectionNotClosedYet() {
    assertThat(SessionState.OPEN.shutdownBegun()).isEqualTo(SessionState.DRAINING);
    assertThat(SessionState.CLOSING.shutdownBegun()).isEqualTo(SessionState.DRAINING);
    assertThat(SessionState.DRAINING.shutdownBegun()).isEqualTo(SessionState.DRAINING);
    assertThat(SessionState.CLOSED.shutdownBegun()).isEqualTo(SessionState.CLOSED);
  }
}
