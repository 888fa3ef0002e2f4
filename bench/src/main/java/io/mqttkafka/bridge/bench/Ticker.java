package io.mqttkafka.bridge.bench;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Waits through a phase of a run and prints a progress line every {@code --progress} interval.
 * The line supplier is called once per interval and may keep interval state of its own.
 */
final class Ticker {

  private static final long STEP_MS = 50;
  private static final Duration STALL = Duration.ofSeconds(10);

  private final Common common;
  private final Supplier<String> line;
  private final long startNanos = System.nanoTime();
  private long nextLineNanos;

  Ticker(Common common, Supplier<String> line) {
    this.common = common;
    this.line = line;
    this.nextLineNanos = startNanos + common.progress().toNanos();
  }

  /** Waits for {@code duration} or until {@code done}. */
  void runFor(Duration duration, BooleanSupplier done) throws InterruptedException {
    long end = System.nanoTime() + duration.toNanos();
    while (System.nanoTime() < end && !done.getAsBoolean()) {
      step();
    }
  }

  /**
   * Waits until {@code complete}, or until {@code progress} stood still for 10 s, or the timeout;
   * returns whether it completed.
   */
  boolean drain(Duration timeout, BooleanSupplier complete, LongSupplier progress) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    long last = progress.getAsLong();
    long lastMove = System.nanoTime();
    while (!complete.getAsBoolean()) {
      long now = System.nanoTime();
      if (now > end) {
        common.progress("drain: gave up after %d s", timeout.toSeconds());
        return false;
      }
      long p = progress.getAsLong();
      if (p != last) {
        last = p;
        lastMove = now;
      } else if (now - lastMove > STALL.toNanos()) {
        common.progress("drain: nothing moved for %d s, giving up", STALL.toSeconds());
        return false;
      }
      step();
    }
    return true;
  }

  private void step() throws InterruptedException {
    Thread.sleep(STEP_MS);
    long now = System.nanoTime();
    if (now >= nextLineNanos) {
      nextLineNanos = now + common.progress().toNanos();
      common.progress("%3ds %s", (now - startNanos) / 1_000_000_000L, line.get());
    }
  }
}
