package io.mqttkafka.bridge.routing;

import io.mqttkafka.bridge.metrics.MetricTag;
import java.util.Arrays;
import java.util.Locale;

/**
 * The downlink records of one partition that the router handed on and that are not settled yet, in
 * offset order: a record is <em>routed</em> from the moment the router decided what to do with it
 * (forwarded to the device's instance, a receipt of its own pending, or a copy on its way to the
 * client's partition) until it is <em>settled</em> (its first receipt, or its copy, is in Kafka).
 * The offset to commit never passes the first routed record, so a crash or a stop routes it again
 * rather than losing it (Kafka Streams' and Hono's commit trackers are the same idea).
 *
 * <p>Owned by the router thread: settlements that complete on other threads are handed to it
 * ({@link SettleQueue}) and applied here. Routed offsets increase, so the ledger is a ring of
 * offsets with a settled mark each; settling finds its offset by binary search, and the head moves
 * past every settled record. No allocation while the ring is large enough.
 */
final class OffsetLedger {

  /** What a routed record waits for; the tag of the router's record gauge. */
  enum Routed implements MetricTag {
    /** Forwarded to the device's instance: its answer (the first receipt in Kafka). */
    FORWARDED,
    /** A receipt the router writes itself: Kafka's acknowledgement of it. */
    RECEIPT,
    /** Copied to its client's partition: Kafka's acknowledgement of the copy. */
    MOVING,
    /** Parked for its client in the sessions topic: Kafka's acknowledgement of the copy and its receipt. */
    PARKING;

    @Override
    public String metricTag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private static final int INITIAL = 64;
  private static final Routed[] KINDS = Routed.values();

  private long[] offsets = new long[INITIAL];
  private byte[] kinds = new byte[INITIAL];
  private boolean[] settled = new boolean[INITIAL];
  private int head;
  private int size;
  private final int[] waiting = new int[KINDS.length];

  /**
   * A record handed on; its offset is above every offset handed on before.
   *
   * @throws IllegalArgumentException when the offset does not increase: a record routed twice
   */
  void routed(long offset, Routed kind) {
    if (size > 0 && offset <= offsets[index(size - 1)]) {
      throw new IllegalArgumentException("offset " + offset + " routed after " + offsets[index(size - 1)]);
    }
    if (size == offsets.length) {
      grow();
    }
    int at = index(size++);
    offsets[at] = offset;
    kinds[at] = (byte) kind.ordinal();
    settled[at] = false;
    waiting[kind.ordinal()]++;
  }

  /** The record at {@code offset} is settled; an offset not (or no longer) routed is ignored. */
  void settle(long offset) {
    int found = find(offset);
    if (found < 0 || settled[index(found)]) {
      return;
    }
    int at = index(found);
    settled[at] = true;
    waiting[kinds[at]]--;
    while (size > 0 && settled[head]) {
      head = (head + 1) % offsets.length;
      size--;
    }
  }

  /** The first routed offset not settled, or -1 when every routed record is settled. */
  long firstUnsettled() {
    return size == 0 ? -1 : offsets[head];
  }

  /** Routed records not settled yet. */
  int unsettled() {
    int n = 0;
    for (int count : waiting) {
      n += count;
    }
    return n;
  }

  /** Routed records not settled yet that wait for {@code kind}. */
  int unsettled(Routed kind) {
    return waiting[kind.ordinal()];
  }

  /**
   * The offset to commit: the first record neither settled nor held, or the position (everything
   * before it is settled), or -1 when the position is not known.
   *
   * @param position  the consumer's position in the partition, -1 when not known
   * @param firstHeld the first record still held (not routed yet), -1 when none is
   */
  long commitPoint(long position, long firstHeld) {
    if (position < 0) {
      return -1;
    }
    long point = position;
    if (size > 0) {
      point = Math.min(point, offsets[head]);
    }
    if (firstHeld >= 0) {
      point = Math.min(point, firstHeld);
    }
    return point;
  }

  private int index(int i) {
    return (head + i) % offsets.length;
  }

  /** The position (0..size-1) of {@code offset} in the ring, or -1. */
  private int find(long offset) {
    int low = 0;
    int high = size - 1;
    while (low <= high) {
      int mid = (low + high) >>> 1;
      long value = offsets[index(mid)];
      if (value < offset) {
        low = mid + 1;
      } else if (value > offset) {
        high = mid - 1;
      } else {
        return mid;
      }
    }
    return -1;
  }

  private void grow() {
    int capacity = offsets.length * 2;
    long[] o = new long[capacity];
    byte[] k = new byte[capacity];
    boolean[] s = new boolean[capacity];
    for (int i = 0; i < size; i++) {
      int from = index(i);
      o[i] = offsets[from];
      k[i] = kinds[from];
      s[i] = settled[from];
    }
    offsets = o;
    kinds = k;
    settled = s;
    head = 0;
  }

  @Override
  public String toString() {
    return "OffsetLedger[first=" + firstUnsettled() + ", waiting=" + Arrays.toString(waiting) + "]";
  }
}
