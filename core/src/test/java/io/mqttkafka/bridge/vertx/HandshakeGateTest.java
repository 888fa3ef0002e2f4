package io.mqttkafka.bridge.vertx;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The gate on a listening channel (an {@link EmbeddedChannel} standing in for it; each inbound message
 * is an accepted connection): it stops accepting at the maximum and accepts again when a connection
 * gets its CONNACK, closes, or has counted for a second.
 */
class HandshakeGateTest {

  private final AtomicInteger max = new AtomicInteger(2);
  private final EmbeddedChannel listening = new EmbeddedChannel();
  private final HandshakeGate gate = HandshakeGate.on(listening, max::get);

  @Test
  void theListenerStopsAcceptingAtTheMaximumAndAcceptsAgainWhenAConnectionIsAnswered() {
    Channel first = accept();
    assertThat(listening.config().isAutoRead()).isTrue();
    Channel second = accept();

    assertThat(gate.pending()).isEqualTo(2);
    assertThat(listening.config().isAutoRead()).isFalse();
    assertThat(gate.pauses()).isEqualTo(1);
    assertThat(listening.<Channel>readInbound()).as("accepted connections go on to vert.x").isSameAs(first);

    HandshakeGate.release(second);
    HandshakeGate.release(second); // counted once

    assertThat(gate.pending()).isEqualTo(1);
    assertThat(listening.config().isAutoRead()).isTrue();
  }

  @Test
  void aConnectionThatClosesDuringItsHandshakeGivesItsPlaceBack() {
    accept();
    Channel closing = accept();

    closing.close();

    assertThat(gate.pending()).isEqualTo(1);
    assertThat(listening.config().isAutoRead()).isTrue();
  }

  @Test
  void aConnectionCountsForOneSecondAtMostSoStalledHandshakesCannotHoldTheListenerShut() {
    accept();
    accept();
    assertThat(listening.config().isAutoRead()).isFalse();

    listening.advanceTimeBy(HandshakeGate.COUNTED_FOR_MILLIS, TimeUnit.MILLISECONDS);
    listening.runScheduledPendingTasks();

    assertThat(gate.pending()).isZero();
    assertThat(listening.config().isAutoRead()).isTrue();
  }

  @Test
  void noMaximumNeverStopsAcceptingAndALowerOneAppliesAtTheNextAccept() {
    max.set(0);
    for (int i = 0; i < 5; i++) {
      accept();
    }
    assertThat(listening.config().isAutoRead()).isTrue();

    max.set(6);
    accept();

    assertThat(listening.config().isAutoRead()).isFalse();
  }

  @Test
  void aChannelTheGateNeverCountedChangesNothing() {
    accept();
    accept();

    HandshakeGate.release(new EmbeddedChannel());
    HandshakeGate.release(null);

    assertThat(gate.pending()).isEqualTo(2);
    assertThat(listening.config().isAutoRead()).isFalse();
  }

  @Test
  void theChannelHasOneGateWhoeverAsks() {
    assertThat(HandshakeGate.on(listening, () -> 1)).isSameAs(gate);
  }

  private Channel accept() {
    EmbeddedChannel child = new EmbeddedChannel();
    listening.writeInbound(child);
    return child;
  }
}
