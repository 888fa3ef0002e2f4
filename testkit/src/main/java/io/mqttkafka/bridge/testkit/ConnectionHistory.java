package io.mqttkafka.bridge.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How often one {@link LoadDevice} connected, and each outage: when its connection was lost and
 * when it was connected again. Written by the device's thread; read from any thread.
 */
final class ConnectionHistory {

  private final AtomicInteger connections = new AtomicInteger();
  private final List<long[]> outages = new ArrayList<>();
  /** Device thread only: lost and not connected again yet. */
  private boolean down;

  /** A connection was established; ends the current outage, if any. */
  void connected() {
    connections.incrementAndGet();
    if (down) {
      synchronized (outages) {
        outages.get(outages.size() - 1)[1] = System.currentTimeMillis();
      }
      down = false;
    }
  }

  /** The connection was lost: an outage begins. */
  void lost() {
    long lostAt = System.currentTimeMillis();
    synchronized (outages) {
      outages.add(new long[] {lostAt, 0});
    }
    down = true;
  }

  int connections() {
    return connections.get();
  }

  /** (lostAt, reconnectedAt) epoch millis of each lost connection; reconnectedAt 0 if it never came back. */
  List<long[]> outages() {
    synchronized (outages) {
      return List.copyOf(outages);
    }
  }
}
