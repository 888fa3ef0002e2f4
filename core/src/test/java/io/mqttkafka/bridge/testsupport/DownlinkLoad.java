package io.mqttkafka.bridge.testsupport;

import io.mqttkafka.bridge.testkit.LoadDevice;
import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.records.Receipt.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
 * A back end writing QoS 1 downlink records at a fixed rate, round robin over client ids, each with
 * its own correlation id and payload {@code dl-<n>}; then the check that every record has a receipt.
 * Bounded in count and time; stops by itself.
 */
public final class DownlinkLoad implements AutoCloseable {

  /** Where one downlink record went. */
  public record Sent(String clientId, int partition, long offset, long sentAt) {
  }

  private final KafkaProducer<String, byte[]> producer;
  private final String topic;
  private final List<String> clientIds;
  private final double ratePerSecond;
  private final int max;
  private final long deadlineMillis;
  private final Map<Integer, Sent> sent = new ConcurrentHashMap<>();
  private final AtomicInteger failed = new AtomicInteger();
  private final Thread thread;
  private volatile boolean stopped;

  public DownlinkLoad(String bootstrap, String topic, List<String> clientIds, double ratePerSecond, int max,
                      Duration maxRun) {
    this.producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.LINGER_MS_CONFIG, 5));
    this.topic = topic;
    this.clientIds = List.copyOf(clientIds);
    this.ratePerSecond = ratePerSecond;
    this.max = max;
    this.deadlineMillis = System.currentTimeMillis() + maxRun.toMillis();
    this.thread = new Thread(this::run, "downlink-load");
    this.thread.setDaemon(true);
  }

  public DownlinkLoad start() {
    thread.start();
    return this;
  }

  /** Stops writing and waits until every record written has its offset. */
  public void stop() {
    stopped = true;
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.flush();
  }

  public Map<Integer, Sent> sent() {
    return sent;
  }

  public int failed() {
    return failed.get();
  }

  private void run() {
    long interval = (long) (TimeUnit.SECONDS.toNanos(1) / ratePerSecond);
    long nextAt = System.nanoTime();
    for (int n = 0; n < max && !stopped && System.currentTimeMillis() < deadlineMillis; n++) {
      long wait = nextAt - System.nanoTime();
      if (wait > 0) {
        try {
          TimeUnit.NANOSECONDS.sleep(wait);
        } catch (InterruptedException e) {
          return;
        }
      }
      nextAt += interval;
      String clientId = clientIds.get(n % clientIds.size());
      String id = "dl-" + n;
      RecordHeaders headers = new RecordHeaders();
      headers.add("mqtt.topic", "DL/LOAD".getBytes(StandardCharsets.UTF_8));
      headers.add("mqtt.qos", "1".getBytes(StandardCharsets.UTF_8));
      headers.add("correlation.id", id.getBytes(StandardCharsets.UTF_8));
      int number = n;
      long at = System.currentTimeMillis();
      producer.send(new ProducerRecord<>(topic, null, clientId, id.getBytes(StandardCharsets.UTF_8), headers),
          (metadata, failure) -> {
            if (failure == null) {
              sent.put(number, new Sent(clientId, metadata.partition(), metadata.offset(), at));
            } else {
              failed.incrementAndGet();
            }
          });
    }
  }

  @Override
  public void close() {
    stopped = true;
    producer.close(Duration.ofSeconds(5));
  }

  /**
   * What became of the downlink records: every one needs at least one receipt ({@code missing} must
   * be 0); a QoS 1 record delivered to a device should end {@code acked} or {@code timeout}
   * ({@code unfinished} counts those that did not).
   */
  public record Tally(int records, int withReceipt, int missing, Map<Status, Integer> byStatus, int unfinished,
                      int receivedByDevices, int duplicateDeliveries, int receipts) {
    @Override
    public String toString() {
      return "%d downlink records, %d with a receipt, %d without; %d receipts; records with each status %s; %d delivered without a final receipt; %d received by the devices, %d of them more than once"
          .formatted(records, withReceipt, missing, receipts, byStatus, unfinished, receivedByDevices,
              duplicateDeliveries);
    }
  }

  /** The receipts (parsed) of this load's records, by its record number. */
  public Map<Integer, List<Receipt>> receiptsByRecord(List<ConsumerRecord<String, byte[]>> receiptRecords) {
    Map<Long, Integer> byPosition = new HashMap<>();
    sent.forEach((n, s) -> byPosition.put(((long) s.partition() << 40) | s.offset(), n));
    Map<Integer, List<Receipt>> result = new HashMap<>();
    for (ConsumerRecord<String, byte[]> r : receiptRecords) {
      Receipt receipt = Receipt.fromJson(r.value());
      Integer n = byPosition.get(((long) receipt.partition() << 40) | receipt.offset());
      if (n != null) {
        result.computeIfAbsent(n, k -> new ArrayList<>()).add(receipt);
      }
    }
    return result;
  }

  public Tally verify(List<ConsumerRecord<String, byte[]>> receiptRecords, List<LoadDevice> devices) {
    Map<Integer, List<Receipt>> receipts = receiptsByRecord(receiptRecords);
    Map<String, Integer> deliveries = new HashMap<>();
    for (LoadDevice d : devices) {
      d.received().forEach((payload, count) -> deliveries.merge(payload, count.get(), Integer::sum));
    }
    Map<Status, Integer> byStatus = new EnumMap<>(Status.class);
    int withReceipt = 0;
    int unfinished = 0;
    int receiptCount = 0;
    int received = 0;
    int duplicates = 0;
    for (int n : sent.keySet()) {
      List<Receipt> list = receipts.getOrDefault(n, List.of());
      receiptCount += list.size();
      withReceipt += list.isEmpty() ? 0 : 1;
      Set<Status> statuses = EnumSet.noneOf(Status.class);
      list.forEach(r -> statuses.add(r.status()));
      statuses.forEach(s -> byStatus.merge(s, 1, Integer::sum));
      if (statuses.contains(Status.DELIVERED) && !statuses.contains(Status.ACKED)
          && !statuses.contains(Status.TIMEOUT)) {
        unfinished++;
      }
      int got = deliveries.getOrDefault("dl-" + n, 0);
      received += got > 0 ? 1 : 0;
      duplicates += got > 1 ? 1 : 0;
    }
    return new Tally(sent.size(), withReceipt, sent.size() - withReceipt, byStatus, unfinished, received, duplicates,
        receiptCount);
  }
}
