package io.mqttkafka.bridge.kafka;

import io.vertx.core.Completable;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.Context;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.BufferExhaustedException;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends records with the shared Kafka producer straight from the caller's event loop, and completes
 * each future back on the caller's context: no worker-thread hop per record. Kafka's acknowledgements
 * go back in batches: the producer's I/O thread queues them per context, and one task on the context
 * completes all that are queued (not one task per record), so that completions cannot pile up behind
 * the reading of new packets as one task each. The message paths pass a {@link Completable} of their
 * own instead of taking a future: no promise, future or listener per record.
 *
 * <p>The producer runs with {@code max.block.ms=0}, so {@code send} never blocks; it fails at once
 * where it would have waited:
 * <ul>
 *   <li>no metadata for the topic (its first record, or Kafka unreachable so that the client
 *       re-bootstrapped and forgot its topics): the record, and every later one for that topic, waits
 *       in order in a queue that is retried every 100 ms, until the metadata is there or
 *       {@code delivery.timeout.ms} has passed;</li>
 *   <li>a full {@code buffer.memory}: {@link OverloadedException}. The sender also refuses records
 *       itself once the bytes awaiting Kafka (sent or queued) reach its limit, half the buffer.</li>
 * </ul>
 * Thread-safe: all bridge verticles share one instance.
 */
public final class KafkaSender {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaSender.class);
  private static final long RETRY_MS = 100;
  /** Record overhead beyond key, value and headers, for the in-flight estimate. */
  private static final int RECORD_OVERHEAD = 64;

  private final Vertx vertx;
  private final Producer<String, Buffer> producer;
  private final long maxInFlightBytes;
  private final long metadataTimeoutNanos;
  private final AtomicLong inFlightBytes = new AtomicLong();
  /** Topics without metadata, with the records waiting for it; changed under {@link #coldLock}. */
  private final Map<String, ColdTopic> cold = new ConcurrentHashMap<>();
  /** Held while the queues of {@link #cold} change; the map itself is read without it. */
  private final Object coldLock = new Object();
  /** Per calling context (one per bridge verticle), its acknowledgements waiting to be completed. */
  private final Map<Context, Completions> completions = new ConcurrentHashMap<>();

  /**
   * @param metadataTimeoutMs how long a record may wait for its topic's metadata: {@code delivery.timeout.ms}
   */
  public KafkaSender(Vertx vertx, Producer<String, Buffer> producer, long maxInFlightBytes, long metadataTimeoutMs) {
    this.vertx = vertx;
    this.producer = producer;
    this.maxInFlightBytes = maxInFlightBytes;
    this.metadataTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(metadataTimeoutMs);
  }

  /**
   * Sends a record; the future completes on the calling context once Kafka acknowledged it (or
   * failed). Refused with {@link OverloadedException} once the bytes awaiting Kafka reach the limit.
   */
  public Future<RecordMetadata> send(ProducerRecord<String, Buffer> record) {
    Promise<RecordMetadata> promise = Promise.promise();
    send(record, maxInFlightBytes, promise, false);
    return promise.future();
  }

  /**
   * As {@link #send(ProducerRecord)}, with the outcome handed to {@code done} on the calling context
   * (from the producer's I/O thread for a caller outside vert.x), exactly once; a refused record is
   * handed over before this returns.
   */
  public void send(ProducerRecord<String, Buffer> record, Completable<RecordMetadata> done) {
    send(record, maxInFlightBytes, done, false);
  }

  /**
   * As {@link #send(ProducerRecord, Completable)}, but a success (which only counts: QoS 0) is handed
   * to {@code done} on the producer's I/O thread, with no task on the context; {@code done} must be
   * thread-safe for it. A failure comes on the calling context.
   */
  public void sendCountingSuccess(ProducerRecord<String, Buffer> record, Completable<RecordMetadata> done) {
    send(record, maxInFlightBytes, done, true);
  }

  /**
   * Sends one of the bridge's own records (a receipt, a presence record): counted like any other,
   * but not refused at the sender's limit, which uplink traffic may hold, only when the producer's
   * {@code buffer.memory} (twice the limit) is full. A downlink record's receipt must not be lost to
   * a flood of uplink messages; these records are few (one or two per downlink message or per
   * connection event) and their callers bound them.
   */
  public Future<RecordMetadata> sendControl(ProducerRecord<String, Buffer> record) {
    Promise<RecordMetadata> promise = Promise.promise();
    sendControl(record, promise);
    return promise.future();
  }

  /** As {@link #sendControl(ProducerRecord)}, the outcome handed to {@code done} on the calling context. */
  public void sendControl(ProducerRecord<String, Buffer> record, Completable<RecordMetadata> done) {
    send(record, 2 * maxInFlightBytes, done, false);
  }

  private void send(ProducerRecord<String, Buffer> record, long limit, Completable<RecordMetadata> done,
                    boolean successOnIoThread) {
    Context context = Vertx.currentContext();
    // Completed on the context (Completions), so its listeners run there; a caller off any context is
    // completed from the producer's I/O thread.
    Completions batch = context == null ? null : completionsOf(context);
    long size = estimateSize(record);
    long total = inFlightBytes.addAndGet(size);
    if (total > limit && total != size) {
      inFlightBytes.addAndGet(-size);
      done.complete(null, new OverloadedException("uplink overloaded: " + (total - size)
          + " bytes awaiting Kafka, limit " + limit));
      return;
    }
    Pending pending = new Pending(record, done, size, batch, successOnIoThread);
    if (cold.isEmpty() || !cold.containsKey(record.topic())) {
      if (trySend(pending)) {
        return;
      }
    }
    enqueue(pending);
  }

  /**
   * Asks for the metadata of topics known at start-up (without waiting), so that their first records
   * need not queue for it.
   */
  public void warmUp(Iterable<String> topics) {
    for (String topic : topics) {
      try {
        producer.partitionsFor(topic);
      } catch (TimeoutException e) {
        // Expected with max.block.ms=0: the metadata request is on its way.
      }
    }
  }

  /**
   * How many partitions {@code topic} has, from the producer's metadata, without waiting; -1 while
   * that is not known (the metadata request is then on its way).
   */
  public int partitions(String topic) {
    try {
      return producer.partitionsFor(topic).size();
    } catch (TimeoutException e) {
      return -1;
    }
  }

  /**
   * Runs {@code task} on the calling context right after the batch of outcomes being handed over there
   * now: true; false when none is (run it some other way). For work cheaper once per batch (PUBACKs).
   */
  public boolean afterCompletions(Runnable task) {
    Context context = Vertx.currentContext();
    Completions batch = context == null ? null : completions.get(context);
    if (batch == null || !batch.draining) {
      return false;
    }
    batch.after.add(task);
    return true;
  }

  /** Bytes handed to the sender and not yet acknowledged or failed. */
  public long inFlightBytes() {
    return inFlightBytes.get();
  }

  /**
   * True while the bytes awaiting Kafka are above half the limit: publishers should be slowed down
   * (their reading paused) before records are refused at the limit. One volatile read.
   */
  public boolean congested() {
    return inFlightBytes.get() > maxInFlightBytes / 2;
  }

  /** True once the bytes awaiting Kafka are below a quarter of the limit: paused publishers may go on. */
  public boolean drained() {
    return inFlightBytes.get() < maxInFlightBytes / 4;
  }

  private Completions completionsOf(Context context) {
    Completions batch = completions.get(context);
    return batch != null ? batch : completions.computeIfAbsent(context, Completions::new);
  }

  /** Hands the record to the producer; false when the producer has no metadata for its topic (not sent). */
  private boolean trySend(Pending pending) {
    Attempt attempt = new Attempt(pending);
    try {
      producer.send(pending.record, attempt);
    } catch (RuntimeException e) {
      // send() throws for a closed producer or an unserialisable record.
      attempt.onCompletion(null, e);
    }
    attempt.inSend = false;
    return !attempt.metadataMissing;
  }

  private void enqueue(Pending pending) {
    String topic = pending.record.topic();
    synchronized (coldLock) {
      ColdTopic waiting = cold.get(topic);
      if (waiting == null) {
        // Drained meanwhile, or the first record without metadata: the queue is empty, so try it now.
        if (trySend(pending)) {
          return;
        }
        waiting = new ColdTopic(topic, System.nanoTime() + metadataTimeoutNanos);
        cold.put(topic, waiting);
        scheduleRetry(waiting);
      }
      waiting.pending.add(pending);
    }
  }

  private void scheduleRetry(ColdTopic waiting) {
    vertx.setTimer(RETRY_MS, id -> retry(waiting));
  }

  private void retry(ColdTopic waiting) {
    synchronized (coldLock) {
      Pending head;
      while ((head = waiting.pending.peek()) != null && trySend(head)) {
        waiting.pending.poll();
      }
      if (waiting.pending.isEmpty() || System.nanoTime() - waiting.deadline > 0) {
        cold.remove(waiting.topic);
        TimeoutException timeout = new TimeoutException("no metadata for Kafka topic " + waiting.topic
            + " within delivery.timeout.ms: is Kafka reachable and does the topic exist?");
        for (Pending p : waiting.pending) {
          p.fail(timeout);
        }
        return;
      }
    }
    scheduleRetry(waiting);
  }

  private static long estimateSize(ProducerRecord<String, Buffer> record) {
    long size = RECORD_OVERHEAD + (record.value() == null ? 0 : record.value().length());
    if (record.key() != null) {
      size += record.key().length();
    }
    for (Header header : record.headers()) {
      size += header.key().length() + (header.value() == null ? 0 : header.value().length);
    }
    return size;
  }

  private final class Pending {
    final ProducerRecord<String, Buffer> record;
    final Completable<RecordMetadata> done;
    final long size;
    /** Where the outcome is completed; null for a caller outside vert.x (completed on the I/O thread). */
    final Completions batch;
    /** A success is completed where Kafka reports it (the I/O thread), not through {@link #batch}. */
    final boolean successOnIoThread;
    RecordMetadata metadata;
    Throwable failure;

    Pending(ProducerRecord<String, Buffer> record, Completable<RecordMetadata> done, long size, Completions batch,
            boolean successOnIoThread) {
      this.record = record;
      this.done = done;
      this.successOnIoThread = successOnIoThread;
      this.size = size;
      this.batch = batch;
    }

    void complete(RecordMetadata metadata) {
      this.metadata = metadata;
      settle();
    }

    void fail(Throwable failure) {
      this.failure = failure;
      settle();
    }

    private void settle() {
      inFlightBytes.addAndGet(-size);
      if (batch == null || successOnIoThread && failure == null) {
        completeNow();
      } else {
        batch.add(this);
      }
    }

    /** On the caller's context (or the I/O thread for a caller outside vert.x). */
    void completeNow() {
      done.complete(metadata, failure);
    }
  }

  /**
   * The outcomes of one context's records, completed there in batches. The producer's I/O thread adds
   * (many per produce response); the first addition after a drain schedules the next drain.
   */
  private static final class Completions implements Handler<Void> {
    private final Context context;
    private final ConcurrentLinkedQueue<Pending> done = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    /** True while {@link #handle} hands outcomes over; the context's thread only. */
    private boolean draining;
    /** Run once this drain is done ({@link #afterCompletions}), each on its own; the context's thread only. */
    private final ArrayList<Runnable> after = new ArrayList<>();

    Completions(Context context) {
      this.context = context;
    }

    void add(Pending pending) {
      done.add(pending);
      if (!scheduled.get() && scheduled.compareAndSet(false, true)) {
        context.runOnContext(this);
      }
    }

    /** Runs on the context: completes every outcome queued so far. */
    @Override
    public void handle(Void v) {
      scheduled.set(false);
      draining = true;
      try {
        Pending pending;
        while ((pending = done.poll()) != null) {
          pending.completeNow();
        }
      } finally {
        draining = false;
        for (int i = 0; i < after.size(); i++) {
          try {
            after.get(i).run();
          } catch (RuntimeException e) {
            LOG.warn("Work after a batch of Kafka completions failed", e);
          }
        }
        after.clear();
      }
    }
  }

  /**
   * The callback of one {@code send}. The producer calls it synchronously, inside {@code send}, when it
   * fails before queueing the record; a {@link TimeoutException} there means "no metadata" (with
   * {@code max.block.ms=0}), and the record goes to the cold queue instead of failing.
   */
  private static final class Attempt implements Callback {
    private final Pending pending;
    private final Thread caller = Thread.currentThread();
    private boolean inSend = true;
    private boolean metadataMissing;

    Attempt(Pending pending) {
      this.pending = pending;
    }

    @Override
    public void onCompletion(RecordMetadata metadata, Exception failure) {
      if (failure == null) {
        pending.complete(metadata);
      } else if (failure instanceof BufferExhaustedException) {
        pending.fail(new OverloadedException("Kafka producer buffer.memory exhausted"));
      } else if (Thread.currentThread() == caller && inSend && failure instanceof TimeoutException) {
        metadataMissing = true;
      } else {
        pending.fail(failure);
      }
    }
  }

  private record ColdTopic(String topic, long deadline, ArrayDeque<Pending> pending) {
    ColdTopic(String topic, long deadline) {
      this(topic, deadline, new ArrayDeque<>());
    }
  }
}
