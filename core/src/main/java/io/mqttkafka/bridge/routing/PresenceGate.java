package io.mqttkafka.bridge.routing;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The downlink records of one partition that are <em>held</em>: fetched, not yet routed, because the
 * router has not read every presence record written before them.
 *
 * <p>The two topics are fetched independently, so a downlink record can arrive before a presence
 * record that was in Kafka before it was written (a back end writes right after the device's SUBACK,
 * which waits for its "subscribed" record). So each poll's records wait, in order, until the router
 * has read the subscriptions partition up to its end offset sampled after they were fetched
 * ({@link #sampled}): that sample includes every presence record written before them. The wait is
 * bounded ({@link #MAX_WAIT_NANOS}): past it they are released anyway, and the caller counts them.
 * Past {@link #MAX_BYTES} held, fetching the partition pauses until half of that is released.
 *
 * <p>Pure: the clock is the caller's ({@code nowNanos} arguments). The router thread only.
 */
final class PresenceGate {

  /**
   * Longest a downlink record waits for the presence records written before it. Normally it waits
   * one end-offsets round trip, or until a backlog of presence records is read; past this bound (the
   * router is far behind on presence, or cannot reach Kafka's leaders for the end offsets) it is
   * routed against the state the router has.
   */
  static final long MAX_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);
  /** Held downlink bytes of one partition beyond which its fetching pauses until they are routed. */
  static final long MAX_BYTES = 4L * 1024 * 1024;

  /** One poll's records of the partition. */
  static final class Batch {
    final List<ConsumerRecord<String, byte[]>> records;
    final long fetchedNanos;
    final long bytes;
    /** End offset of the subscriptions partition, sampled after these records were fetched; -1: not yet. */
    long presenceEnd = -1;

    Batch(List<ConsumerRecord<String, byte[]>> records, long fetchedNanos, long bytes) {
      this.records = records;
      this.fetchedNanos = fetchedNanos;
      this.bytes = bytes;
    }
  }

  /** Receives each released batch, in order. */
  @FunctionalInterface
  interface Release {
    /**
     * @param waitedNanos how long the batch was held
     * @param early       true when it is released after {@link #MAX_WAIT_NANOS} without its presence records
     */
    void route(Batch batch, long waitedNanos, boolean early);
  }

  private final ArrayDeque<Batch> held = new ArrayDeque<>();
  private long heldBytes;
  private boolean paused;

  /**
   * Holds one poll's records. True when this makes the held bytes pass {@link #MAX_BYTES}: the caller
   * pauses fetching the partition until {@link #release} says to resume.
   */
  boolean hold(List<ConsumerRecord<String, byte[]>> records, long nowNanos) {
    if (records.isEmpty()) {
      return false;
    }
    long bytes = 0;
    for (ConsumerRecord<String, byte[]> record : records) {
      bytes += Math.max(0, record.serializedValueSize()) + Math.max(0, record.serializedKeySize());
    }
    held.addLast(new Batch(records, nowNanos, bytes));
    heldBytes += bytes;
    if (!paused && heldBytes > MAX_BYTES) {
      paused = true;
      return true;
    }
    return false;
  }

  /** True when held records wait for an end-offsets sample of the subscriptions partition. */
  boolean awaitsSample() {
    Batch last = held.peekLast();
    return last != null && last.presenceEnd < 0;
  }

  /** When the oldest batch without a sample was fetched; {@code Long.MAX_VALUE} when there is none. */
  long oldestUnsampledNanos() {
    for (Batch batch : held) {
      if (batch.presenceEnd < 0) {
        return batch.fetchedNanos;
      }
    }
    return Long.MAX_VALUE;
  }

  /** The end offset of the subscriptions partition, asked for after every batch without one was fetched. */
  void sampled(long presenceEnd) {
    for (Batch batch : held) {
      if (batch.presenceEnd < 0) {
        batch.presenceEnd = presenceEnd;
      }
    }
  }

  /**
   * Releases, in order, every batch whose presence records are read ({@code presencePosition}
   * reached its sample) or that waited {@link #MAX_WAIT_NANOS}. True when fetching, paused by
   * {@link #hold}, may resume.
   *
   * @param presencePosition the router's position in the subscriptions partition; -1 when not known
   */
  boolean release(long presencePosition, long nowNanos, Release release) {
    Batch batch;
    while ((batch = held.peekFirst()) != null) {
      long waited = nowNanos - batch.fetchedNanos;
      boolean presenceRead = batch.presenceEnd >= 0 && presencePosition >= batch.presenceEnd;
      if (!presenceRead && waited < MAX_WAIT_NANOS) {
        break;
      }
      held.pollFirst();
      heldBytes -= batch.bytes;
      release.route(batch, waited, !presenceRead);
    }
    if (paused && heldBytes <= MAX_BYTES / 2) {
      paused = false;
      return true;
    }
    return false;
  }

  /** True while fetching is paused because too much is held. */
  boolean paused() {
    return paused;
  }

  /** The offset of the first held record, or -1. */
  long firstHeld() {
    Batch first = held.peekFirst();
    return first == null ? -1 : first.records.get(0).offset();
  }

  /** Held batches. */
  int batches() {
    return held.size();
  }

  /** Held records. */
  int records() {
    int n = 0;
    for (Batch batch : held) {
      n += batch.records.size();
    }
    return n;
  }
}
