package io.mqttkafka.bridge.downlink;

import io.vertx.core.Vertx;

/**
 * The time and the timer of {@link DeviceDelivery}'s ack timeouts, and the wall clock of its message
 * expiry: {@link System#nanoTime()}, {@link System#currentTimeMillis()} and Vert.x timers in the
 * bridge ({@link #of}), a clock set by hand in unit tests. Called once per QoS 1 message (the
 * deadline), once per message with a TTL and once per timer, on the connection's event loop.
 */
interface DeliveryClock {

  /** The time, on the scale of {@link System#nanoTime()}. */
  long nanoTime();

  /** The wall-clock time in epoch milliseconds, for records' TTLs, which count from their timestamps. */
  default long currentTimeMillis() {
    return System.currentTimeMillis();
  }

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
