package io.mqttkafka.bridge.downlink;

import io.vertx.core.Vertx;

/**
 * The time and the timer of {@link DeviceDelivery}'s ack timeouts: {@link System#nanoTime()} and
 * Vert.x timers in the bridge ({@link #of}), a clock set by hand in unit tests. Called once per QoS 1
 * message (the deadline) and once per timer, on the connection's event loop.
 */
interface DeliveryClock {

  /** The time, on the scale of {@link System#nanoTime()}. */
  long nanoTime();

  /** Runs {@code task} once, after {@code delayMs} milliseconds, on the caller's context; returns its id. */
  long setTimer(long delayMs, Runnable task);

  /** Cancels a timer {@link #setTimer} armed. */
  void cancelTimer(long id);

  /** System.nanoTime and the timers of {@code vertx}. */
  static DeliveryClock of(Vertx vertx) {
    return new DeliveryClock() {
      @Override
      public long nanoTime() {
        return System.nanoTime();
      }

      @Override
      public long setTimer(long delayMs, Runnable task) {
        return vertx.setTimer(delayMs, id -> task.run());
      }

      @Override
      public void cancelTimer(long id) {
        vertx.cancelTimer(id);
      }
    };
  }
}
