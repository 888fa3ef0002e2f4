package io.mqttkafka.bridge.bench;

import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.records.Receipt;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;

/**
 * Reads {@code mqtt.receipts} from its end on its own thread and counts the receipts of this run's
 * downlink records by phase and status. The bench's correlation ids are
 * {@code <prefix><phase>-<device>-<seq>}, phase 0 (warm-up) or 1 (measured).
 */
final class ReceiptCounter {

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String topic;
  private final byte[] prefix;
  /** Per phase (index {@link Payload#WARMUP}, {@link Payload#MEASURED}); guarded by itself. */
  private final List<Map<Receipt.Status, Long>> counts = List.of(
      new EnumMap<>(Receipt.Status.class), new EnumMap<>(Receipt.Status.class));
  private final Thread thread;
  private volatile boolean running = true;
  private final java.util.concurrent.atomic.AtomicLong unreadable = new java.util.concurrent.atomic.AtomicLong();

  ReceiptCounter(String bootstrap, String topic, String correlationPrefix) {
    this.consumer = KafkaClients.consumer(bootstrap, "bench-receipt-counter");
    this.topic = topic;
    this.prefix = correlationPrefix.getBytes(StandardCharsets.UTF_8);
    this.thread = new Thread(this::run, "bench-receipt-counter");
    this.thread.setDaemon(true);
  }

  void start() {
    KafkaClients.assignAtEnd(consumer, topic);
    thread.start();
  }

  private void run() {
    try {
      while (running) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          Header correlation = r.headers().lastHeader(HeaderNames.CORRELATION_ID);
          if (correlation == null || !startsWith(correlation.value())) {
            continue;
          }
          int phase = correlation.value()[prefix.length] == '1' ? Payload.MEASURED : Payload.WARMUP;
          try {
            Receipt receipt = Receipt.fromJson(r.value());
            synchronized (counts) {
              counts.get(phase).merge(receipt.status(), 1L, Long::sum);
            }
          } catch (IllegalArgumentException e) {
            unreadable.incrementAndGet();
          }
        }
      }
    } catch (WakeupException e) {
      // close()
    }
  }

  private boolean startsWith(byte[] value) {
    if (value == null || value.length <= prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (value[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  long count(byte phase, Receipt.Status status) {
    synchronized (counts) {
      return counts.get(phase).getOrDefault(status, 0L);
    }
  }

  /** Measured-phase receipts by status, and the warm-up's in one map. */
  void describe(Map<String, Object> out) {
    synchronized (counts) {
      for (Receipt.Status s : Receipt.Status.values()) {
        out.put(s.name().toLowerCase(java.util.Locale.ROOT), counts.get(Payload.MEASURED).getOrDefault(s, 0L));
      }
      Map<String, Object> warmup = Summary.child(out, "warmup");
      counts.get(Payload.WARMUP).forEach((s, n) -> warmup.put(s.name().toLowerCase(java.util.Locale.ROOT), n));
    }
    if (unreadable.get() > 0) {
      out.put("unreadable", unreadable.get());
    }
  }

  void close() {
    running = false;
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    consumer.close();
  }
}
