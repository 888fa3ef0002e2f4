package io.mqttkafka.bridge.bench;

import io.mqttkafka.bridge.kafka.BufferSerializer;
import io.mqttkafka.bridge.kafka.KafkaSender;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongFunction;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The reference records of {@code bench kafka-producer}, sent from one Vert.x event loop the way a
 * Vert.x application sends them: each send returns a future that completes back on that event loop,
 * and at most {@code window} records await their acknowledgement. The event loop sends until the
 * window is full or 1,024 records in a row went out, then lets the acknowledgements in. Two clients:
 * <ul>
 *   <li>{@code vertx}: vertx-kafka-client's {@code KafkaProducer.send}, which hands every record to
 *       a worker thread (an ordered executor on the shared worker pool) that calls
 *       {@code Producer.send}, and completes the future with one event-loop task per record;</li>
 *   <li>{@code bridge}: the bridge's own {@link KafkaSender} (as its uplink uses it), which calls
 *       {@code Producer.send} on the event loop ({@code max.block.ms=0}) and completes the futures
 *       that the producer's I/O thread acknowledged in one event-loop task per batch.</li>
 * </ul>
 * Both wrap a {@link KafkaProducer} with the same settings and send the same bytes: key, no headers,
 * value.
 */
final class EventLoopProducer {

  /** Records per event-loop task before the acknowledgements get a turn. */
  private static final int BURST = 1024;

  private final Context context;
  private final LongFunction<Future<?>> send;
  private final long records;
  private final int window;
  private final Latency latency = new Latency();
  private final LongAdder acked = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final Promise<Void> finished = Promise.promise();
  // Confined to the event loop:
  private long sent;
  private long done;
  private boolean scheduled;

  private EventLoopProducer(Context context, LongFunction<Future<?>> send, long records, int window) {
    this.context = context;
    this.send = send;
    this.records = records;
    this.window = window;
  }

  /** A producer of the reference records of {@code keys} keys (0: none), {@code value} each. */
  record Reference(Producer<?, ?> producer, Runnable close, EventLoopProducer sender) {
  }

  /** The vertx-kafka-client way, on {@code context}. */
  static Reference vertx(Context context, Map<String, Object> props, String topic, int keys, byte[] value,
                         long records, int window) {
    KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props);
    io.vertx.kafka.client.producer.KafkaProducer<byte[], byte[]> client =
        io.vertx.kafka.client.producer.KafkaProducer.create(context.owner(), producer);
    byte[][] keyBytes = new byte[Math.max(keys, 1)][];
    for (int k = 0; k < keyBytes.length; k++) {
      keyBytes[k] = key(k).getBytes(StandardCharsets.UTF_8);
    }
    LongFunction<Future<?>> send = i -> client.send(KafkaProducerRecord.create(topic,
        keys == 0 ? null : keyBytes[(int) (i % keys)], value));
    return new Reference(producer, () -> await(client.close()),
        new EventLoopProducer(context, send, records, window));
  }

  /** The bridge's way, on {@code context}: its producer settings ({@code max.block.ms=0}, String keys, Buffer values). */
  static Reference bridge(Context context, Map<String, Object> props, String topic, int keys, byte[] value,
                          long records, int window) {
    Map<String, Object> p = new HashMap<>(props);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "0");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, BufferSerializer.class.getName());
    KafkaProducer<String, Buffer> producer = new KafkaProducer<>(p);
    long bufferMemory = Long.parseLong(p.getOrDefault(ProducerConfig.BUFFER_MEMORY_CONFIG, 32L << 20).toString());
    // As the bridge's ProducerVerticle makes it: half the buffer may await Kafka, metadata waits 2 minutes.
    KafkaSender sender = new KafkaSender(context.owner(), producer, bufferMemory / 2, 120_000);
    String[] keyStrings = new String[Math.max(keys, 1)];
    for (int k = 0; k < keyStrings.length; k++) {
      keyStrings[k] = key(k);
    }
    Buffer buffer = BufferSerializer.wrap(value);
    LongFunction<Future<?>> send = i -> sender.send(new ProducerRecord<>(topic,
        keys == 0 ? null : keyStrings[(int) (i % keys)], buffer));
    return new Reference(producer, () -> producer.close(Duration.ofSeconds(10)),
        new EventLoopProducer(context, send, records, window));
  }

  static String key(int k) {
    return "bench-ref-" + k;
  }

  /** Starts sending on the event loop; the future completes there once every record was answered. */
  Future<Void> start() {
    context.runOnContext(v -> pump());
    return finished.future();
  }

  private void pump() {
    scheduled = false;
    for (int n = 0; n < BURST && sent < records && sent - done < window; n++) {
      long sendNanos = System.nanoTime();
      send.apply(sent++).onComplete((r, e) -> answered(e == null, sendNanos));
    }
    if (sent < records && sent - done < window) {
      schedule();
    }
  }

  private void answered(boolean ok, long sendNanos) {
    if (ok) {
      acked.increment();
      latency.recordNanos(System.nanoTime() - sendNanos);
    } else {
      failed.increment();
    }
    done++;
    if (done == records) {
      finished.tryComplete();
    } else if (sent < records && sent - done <= window / 2) {
      schedule();
    }
  }

  private void schedule() {
    if (!scheduled) {
      scheduled = true;
      context.runOnContext(v -> pump());
    }
  }

  Latency latency() {
    return latency;
  }

  long acked() {
    return acked.sum();
  }

  long failed() {
    return failed.sum();
  }

  private static void await(Future<?> future) {
    try {
      future.toCompletionStage().toCompletableFuture().get();
    } catch (Exception e) {
      throw new IllegalStateException("closing the producer failed", e);
    }
  }
}
