package io.mqttkafka.bridge.downlink;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@link DeliveryClock} whose time moves only when the test says so ({@link #advance}); timers due
 * by then run in the order of their deadlines, on the test's thread.
 */
final class ManualClock implements DeliveryClock {

  private record Timer(long id, long dueNanos, Runnable task) {
  }

  /** Where {@link #currentTimeMillis} starts. */
  static final long WALL_START_MS = 1_763_700_000_000L;
  private static final long START_NANOS = TimeUnit.HOURS.toNanos(1);

  private final List<Timer> timers = new ArrayList<>();
  private long now = START_NANOS;
  private long nextId;

  @Override
  public long nanoTime() {
    return now;
  }

  /** Wall-clock time: starts at {@link #WALL_START_MS} and moves with {@link #advance}. */
  @Override
  public long currentTimeMillis() {
    return WALL_START_MS + TimeUnit.NANOSECONDS.toMillis(now - START_NANOS);
  }

  @Override
  public long setTimer(long delayMs, Runnable task) {
    long id = nextId++;
    timers.add(new Timer(id, now + TimeUnit.MILLISECONDS.toNanos(delayMs), task));
    return id;
  }

  @Override
  public void cancelTimer(long id) {
    timers.removeIf(t -> t.id == id);
  }

  /** Moves the time on by {@code ms}, running each timer that comes due on the way, at its time. */
  void advance(long ms) {
    long target = now + TimeUnit.MILLISECONDS.toNanos(ms);
    while (true) {
      Timer next = null;
      for (Timer timer : timers) {
        if (timer.dueNanos - target <= 0 && (next == null || timer.dueNanos - next.dueNanos < 0)) {
          next = timer;
        }
      }
      if (next == null) {
        break;
      }
      timers.remove(next);
      now = Math.max(now, next.dueNanos);
      next.task.run();
    }
    now = target;
  }

  /** Timers armed and not yet run or cancelled. */
  int armed() {
    return timers.size();
  }
}
