package io.mqttkafka.bridge.bench;

import java.util.BitSet;

/**
 * Counts what arrived from each source (connection or device) by sequence number: unique messages,
 * duplicates (a sequence number seen before) and reordered ones (arrived after a higher number of
 * the same source). Not thread-safe: one reader thread, or the caller synchronizes.
 */
final class SeqTracker {

  private final BitSet[] seen;
  private final long[] highest;
  private long unique;
  private long duplicates;
  private long reordered;

  SeqTracker(int sources) {
    seen = new BitSet[sources];
    highest = new long[sources];
    java.util.Arrays.fill(highest, -1);
  }

  static final int FOREIGN = -1;
  static final int DUPLICATE = 0;
  static final int NEW = 1;

  /** Records one arrival: {@link #NEW}, {@link #DUPLICATE}, or {@link #FOREIGN} (source out of range). */
  int arrived(int source, long seq) {
    if (source < 0 || source >= seen.length || seq < 0 || seq > Integer.MAX_VALUE) {
      return FOREIGN;
    }
    BitSet bits = seen[source];
    if (bits == null) {
      bits = seen[source] = new BitSet();
    }
    int s = (int) seq;
    if (bits.get(s)) {
      duplicates++;
      return DUPLICATE;
    }
    bits.set(s);
    unique++;
    if (seq < highest[source]) {
      reordered++;
    } else {
      highest[source] = seq;
    }
    return NEW;
  }

  long unique() {
    return unique;
  }

  long duplicates() {
    return duplicates;
  }

  long reordered() {
    return reordered;
  }
}
