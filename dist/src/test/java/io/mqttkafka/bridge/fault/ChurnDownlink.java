package io.mqttkafka.bridge.fault;

import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.records.Receipt.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A back end writing QoS 1 downlink records at a steady rate to devices drawn at random, half of
 * them with {@code mqtt.offline=queue} (the others take the default: queue for a persistent
 * session, drop for a clean one); each with payload and correlation id {@code dl-<n>}. Then what
 * became of each, from the receipts. Bounded in count and time; stops by itself.
 */
final class ChurnDownlink implements AutoCloseable {

  /** One record written: to whom, whether its client has a persistent session, whether it asked to queue. */
  record Sent(String clientId, boolean persistent, boolean queueHeader, int partition, long offset) {
  }

  /** Receipt statuses of one record, and how often its client received it. */
  record Outcome(Sent sent, Set<Status> statuses, int receivedTimes) {

    /** Kept for its client (receipt {@code queued}) or, for a persistent session, should have been. */
    boolean queued() {
      return statuses.contains(Status.QUEUED);
    }
  }

  private final KafkaProducer<String, byte[]> producer;
  private final String topic;
  private final List<String> persistent;
  private final List<String> clean;
  private final double ratePerSecond;
  private final long deadlineMillis;
  private final Map<Integer, Sent> sent = new ConcurrentHashMap<>();
  private final AtomicInteger failed = new AtomicInteger();
  private final Thread thread;
  private volatile boolean stopped;

  ChurnDownlink(String bootstrap, String topic, List<String> persistent, List<String> clean, double ratePerSecond,
                Duration maxRun) {
    this.producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.LINGER_MS_CONFIG, 5));
    this.topic = topic;
    this.persistent = List.copyOf(persistent);
    this.clean = List.copyOf(clean);
    this.ratePerSecond = ratePerSecond;
    this.deadlineMillis = System.currentTimeMillis() + maxRun.toMillis();
    this.thread = new Thread(this::run, "churn-downlink");
    this.thread.setDaemon(true);
  }

  ChurnDownlink start() {
    thread.start();
    return this;
  }

  /** Stops writing and waits until every record written has its offset. */
  void stop() {
    stopped = true;
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.flush();
  }

  int written() {
    return sent.size();
  }

  /** The records written, by number n (payload {@code dl-<n>}). */
  Map<Integer, Sent> sent() {
    return sent;
  }

  int failed() {
    return failed.get();
  }

  private void run() {
    long interval = (long) (TimeUnit.SECONDS.toNanos(1) / ratePerSecond);
    long nextAt = System.nanoTime();
    int total = persistent.size() + clean.size();
    for (int n = 0; !stopped && System.currentTimeMillis() < deadlineMillis; n++) {
      long wait = nextAt - System.nanoTime();
      if (wait > 0) {
        try {
          TimeUnit.NANOSECONDS.sleep(wait);
        } catch (InterruptedException e) {
          return;
        }
      }
      nextAt += interval;
      ThreadLocalRandom random = ThreadLocalRandom.current();
      int pick = random.nextInt(total);
      boolean toPersistent = pick < persistent.size();
      String clientId = toPersistent ? persistent.get(pick) : clean.get(pick - persistent.size());
      boolean queue = random.nextBoolean();
      String id = "dl-" + n;
      RecordHeaders headers = new RecordHeaders();
      headers.add("mqtt.topic", "DL/churn".getBytes(StandardCharsets.UTF_8));
      headers.add("mqtt.qos", "1".getBytes(StandardCharsets.UTF_8));
      headers.add("correlation.id", id.getBytes(StandardCharsets.UTF_8));
      if (queue) {
        headers.add("mqtt.offline", "queue".getBytes(StandardCharsets.UTF_8));
      }
      int number = n;
      producer.send(new ProducerRecord<>(topic, null, clientId, id.getBytes(StandardCharsets.UTF_8), headers),
          (metadata, failure) -> {
            if (failure == null) {
              sent.put(number, new Sent(clientId, toPersistent, queue, metadata.partition(), metadata.offset()));
            } else {
              failed.incrementAndGet();
            }
          });
    }
  }

  /** Each record's receipt statuses and deliveries; {@code received}: times by {@code <clientId> <payload>}. */
  List<Outcome> outcomes(List<ConsumerRecord<String, byte[]>> receiptRecords, Map<String, AtomicInteger> received) {
    Map<Long, Set<Status>> byPosition = new HashMap<>();
    for (ConsumerRecord<String, byte[]> r : receiptRecords) {
      Receipt receipt = Receipt.fromJson(r.value());
      byPosition.computeIfAbsent(((long) receipt.partition() << 40) | receipt.offset(),
          k -> EnumSet.noneOf(Status.class)).add(receipt.status());
    }
    List<Outcome> outcomes = new ArrayList<>();
    sent.forEach((n, s) -> {
      Set<Status> statuses = byPosition.getOrDefault(((long) s.partition() << 40) | s.offset(),
          EnumSet.noneOf(Status.class));
      AtomicInteger times = received.get(s.clientId() + " dl-" + n);
      outcomes.add(new Outcome(s, statuses, times == null ? 0 : times.get()));
    });
    return outcomes;
  }

  @Override
  public void close() {
    stopped = true;
    producer.close(Duration.ofSeconds(5));
  }
}
