package io.mqttkafka.bridge.bench;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.record.TimestampType;

/**
 * Counts this run's records in the uplink's Kafka topic, from the topic's end as of {@link #start}:
 * unique, duplicate and reordered per connection, and the end-to-end latency (MQTT PUBLISH written
 * by the bench to record in Kafka) of the measured phase. Two ways:
 * <ul>
 *   <li>{@code live}: a consumer thread reads while the load runs; latency = time the record was
 *       read minus the send time in the payload.</li>
 *   <li>{@code after}: during the run only the end offsets are watched (no consumer competing for
 *       the machine's cores); afterwards {@link #finish} reads every record. Latency = the broker's
 *       LogAppendTime (the bench creates its topic with it) minus the send time, 1 ms resolution.</li>
 * </ul>
 */
final class UplinkCounter {

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Admin admin;
  private final String topic;
  private final int runId;
  private final boolean live;
  private final SeqTracker seq;
  private final Latency latency = new Latency();
  private final Thread thread;
  /** nanoTime + this = wall-clock nanoseconds, for comparing with broker timestamps. */
  private final long wallOffsetNanos = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
  private final Payload.Header h = new Payload.Header();
  private Map<TopicPartition, Long> startOffsets = Map.of();
  private volatile boolean running = true;
  private volatile long uniqueTotal;
  private volatile long uniqueMeasured;
  private volatile long lastMeasuredArrivalNanos;
  private volatile Throwable failure;
  private volatile long duplicates;
  private volatile long reordered;
  private volatile long foreign;
  private volatile boolean appendTime = true;

  UplinkCounter(String bootstrap, Admin admin, String topic, int runId, int sources, boolean live) {
    this.consumer = KafkaClients.consumer(bootstrap, "bench-uplink-counter");
    this.admin = admin;
    this.topic = topic;
    this.runId = runId;
    this.live = live;
    this.seq = new SeqTracker(sources);
    this.thread = new Thread(this::run, "bench-uplink-counter");
    this.thread.setDaemon(true);
  }

  /** Positions at the topic's end; in live mode starts reading. Returns once positioned. */
  void start() {
    KafkaClients.assignAtEnd(consumer, topic);
    startOffsets = consumer.assignment().stream().collect(Collectors.toMap(tp -> tp, consumer::position));
    if (live) {
      thread.start();
    }
  }

  private void run() {
    try {
      while (running) {
        count(consumer.poll(Duration.ofMillis(100)), System.nanoTime());
      }
    } catch (WakeupException e) {
      // close()
    } catch (RuntimeException e) {
      failure = e;
    }
  }

  /** After mode: reads everything written since {@link #start}. Live mode: nothing to do. */
  void finish(Duration timeout) {
    if (live) {
      return;
    }
    Map<TopicPartition, Long> end = endOffsets();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline && !reached(end)) {
      count(consumer.poll(Duration.ofMillis(100)), 0);
    }
  }

  private boolean reached(Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  /** @param readNanos when the batch was read (live), or 0 to use the broker's append time */
  private void count(ConsumerRecords<byte[], byte[]> records, long readNanos) {
    if (records.isEmpty()) {
      return;
    }
    long measured = 0;
    long other = 0;
    for (ConsumerRecord<byte[], byte[]> r : records) {
      int outcome = Payload.decode(r.value(), runId, h) ? seq.arrived(h.source, h.seq) : SeqTracker.FOREIGN;
      if (outcome == SeqTracker.FOREIGN) {
        other++;
      } else if (outcome == SeqTracker.NEW && h.phase == Payload.MEASURED) {
        measured++;
        if (readNanos != 0) {
          latency.recordNanos(readNanos - h.sendNanos);
        } else {
          if (r.timestampType() != TimestampType.LOG_APPEND_TIME) {
            appendTime = false;
          }
          long arrivedNanos = r.timestamp() * 1_000_000L - wallOffsetNanos;
          latency.recordNanos(arrivedNanos - h.sendNanos);
          lastMeasuredArrivalNanos = Math.max(lastMeasuredArrivalNanos, arrivedNanos);
        }
      }
    }
    uniqueTotal = seq.unique();
    duplicates = seq.duplicates();
    reordered = seq.reordered();
    foreign += other;
    if (measured > 0) {
      uniqueMeasured += measured;
      if (readNanos != 0) {
        lastMeasuredArrivalNanos = readNanos;
      }
    }
  }

  /** Records appended to the topic since start (any writer): the after mode's progress figure. */
  long appended() {
    long sum = 0;
    for (Map.Entry<TopicPartition, Long> e : endOffsets().entrySet()) {
      sum += e.getValue() - startOffsets.getOrDefault(e.getKey(), 0L);
    }
    return sum;
  }

  /** Arrived so far: unique records read (live) or appended (after). */
  long arrived() {
    return live ? uniqueTotal : appended();
  }

  private Map<TopicPartition, Long> endOffsets() {
    try {
      Map<TopicPartition, OffsetSpec> spec = new HashMap<>();
      startOffsets.keySet().forEach(tp -> spec.put(tp, OffsetSpec.latest()));
      Map<TopicPartition, Long> out = new HashMap<>();
      admin.listOffsets(spec).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> out.put(tp, info.offset()));
      return out;
    } catch (Exception e) {
      throw new IllegalStateException("cannot read the end offsets of " + topic + ": " + e, e);
    }
  }

  long uniqueTotal() {
    return uniqueTotal;
  }

  long uniqueMeasured() {
    return uniqueMeasured;
  }

  long lastMeasuredArrivalNanos() {
    return lastMeasuredArrivalNanos;
  }

  Latency latency() {
    return latency;
  }

  Throwable failure() {
    return failure;
  }

  void describe(Map<String, Object> out) {
    out.put("arrived_unique", uniqueTotal);
    out.put("arrived_unique_measured", uniqueMeasured);
    out.put("duplicates", duplicates);
    out.put("reordered", reordered);
    out.put("foreign_records", foreign);
  }

  /** How the latency was taken, for the summary. */
  String latencyMethod() {
    if (live) {
      return "record read by a live consumer minus send time in the payload";
    }
    return appendTime ? "broker LogAppendTime minus send time in the payload (1 ms resolution)"
        : "record CreateTime (set by the bridge's producer, topic not LogAppendTime) minus send time";
  }

  void close() {
    running = false;
    consumer.wakeup();
    if (live) {
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    consumer.close();
  }
}
