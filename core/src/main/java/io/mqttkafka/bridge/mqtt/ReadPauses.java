package io.mqttkafka.bridge.mqtt;

import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The connections of one event loop whose reading is paused (backpressure), and the timer that resumes
 * them: once the uplink has drained, or once a pause has lasted its bound, whichever comes first, so
 * that no pause lasts for ever. Every connection of the instance holds one of the shared
 * {@link ConnectionLimits} slots; this class also gives it back when the connection ends. Event loop
 * only; the timer runs only while a connection is paused.
 */
final class ReadPauses {

  /** How often paused connections are checked: the delay of a resume after the uplink drained. */
  static final long CHECK_INTERVAL_MS = 20;

  private final Vertx vertx;
  private final ConnectionLimits limits;
  private final BooleanSupplier uplinkDrained;
  /** mqtt.limits.maxReadPause in force now (a reload changes it for connections made after). */
  private final LongSupplier maxPauseNanos;
  private final Set<SocketReading> paused = new LinkedHashSet<>();
  private long timer = -1;

  ReadPauses(Vertx vertx, ConnectionLimits limits, BooleanSupplier uplinkDrained, LongSupplier maxPauseNanos) {
    this.vertx = vertx;
    this.limits = limits;
    this.uplinkDrained = uplinkDrained;
    this.maxPauseNanos = maxPauseNanos;
  }

  /**
   * The longest one pause of a connection with this keep-alive may last: mqtt.limits.maxReadPause, and
   * at most half the keep-alive, so that neither the bridge's keep-alive timeout (1.5 times) nor the
   * client, waiting for the PINGRESP to a PINGREQ the bridge is not reading, gives up on it.
   */
  long maxPauseNanos(int keepAliveSeconds) {
    long configured = maxPauseNanos.getAsLong();
    return keepAliveSeconds == 0 ? configured : Math.min(configured, keepAliveSeconds * 500_000_000L);
  }

  void paused(SocketReading reading) {
    if (paused.add(reading)) {
      limits.pausedChanged(1);
      if (timer < 0) {
        timer = vertx.setPeriodic(CHECK_INTERVAL_MS, id -> check());
      }
    }
  }

  void resumed(SocketReading reading) {
    if (paused.remove(reading)) {
      limits.pausedChanged(-1);
      if (paused.isEmpty() && timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
    }
  }

  /** A connection ended: free its connection slot. */
  void connectionClosed() {
    limits.release();
  }

  private void check() {
    boolean drained = uplinkDrained.getAsBoolean();
    long now = System.nanoTime();
    List<SocketReading> due = new ArrayList<>();
    for (SocketReading reading : paused) {
      if (reading.mayResume(drained, now)) {
        due.add(reading);
      }
    }
    for (SocketReading reading : due) {
      reading.resume();
    }
  }
}
