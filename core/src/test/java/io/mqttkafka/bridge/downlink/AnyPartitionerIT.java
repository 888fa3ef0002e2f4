package io.mqttkafka.bridge.downlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.records.DownlinkRecord;
import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.mqttkafka.bridge.testkit.Clients;
import io.mqttkafka.bridge.testkit.Received;
import io.mqttkafka.bridge.testkit.TestKafka;
import io.mqttkafka.bridge.testsupport.TestBridge;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RoundRobinPartitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Back ends write downlink records with whatever partitioner their Kafka client has: every device
 * gets its own messages, each record gets its receipts under the name the back end gave it (its
 * partition and offset), and records one producer wrote to one partition arrive in order.
 */
class AnyPartitionerIT {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int PARTITIONS = 3;
  private static final int PER_DEVICE = 15;
  private static final Map<String, String> DEPLOYMENT = TestBridge.isolated();
  private static final String DOWNLINK = TestBridge.downlinkTopic(DEPLOYMENT);
  private static final String RECEIPTS = TestBridge.receiptsTopic(DEPLOYMENT);
  private static final List<MqttAsyncClient> clients = new ArrayList<>();
  private static Bridge bridge;

  @BeforeAll
  static void start() throws Exception {
    bridge = TestBridge.start("", DEPLOYMENT);
  }

  @AfterAll
  static void stop() throws Exception {
    for (MqttAsyncClient client : clients) {
      client.disconnect().waitForCompletion(5_000);
    }
    bridge.stop();
  }

  /** librdkafka's default partitioner (consistent_random): CRC32 of the key, as kcat, confluent-kafka, ... use. */
  public static final class Crc32Partitioner implements Partitioner {
    @Override
    public int partition(String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes, Cluster cluster) {
      CRC32 crc = new CRC32();
      crc.update(keyBytes);
      return (int) (crc.getValue() % cluster.partitionsForTopic(topic).size());
    }

    @Override
    public void close() {
    }

    @Override
    public void configure(Map<String, ?> configs) {
    }
  }

  @Test
  void librdkafkasDefaultPartitionerCrc32() throws Exception {
    runWith("crc32", Crc32Partitioner.class.getName(), true);
  }

  @Test
  void roundRobinSpreadsEveryClientOverAllPartitions() throws Exception {
    // One client's records in several partitions: no order across them, but none lost or doubled.
    runWith("roundrobin", RoundRobinPartitioner.class.getName(), false);
  }

  @Test
  void aProducerThatWritesEachClientToAFixedWrongPartition() throws Exception {
    List<String> devices = devices("fixed");
    Map<String, Received> received = subscribe(devices);
    try (KafkaProducer<String, byte[]> producer = producer(null)) {
      for (int i = 0; i < PER_DEVICE; i++) {
        for (String device : devices) {
          int wrong = (DownlinkRecord.homePartition(device, PARTITIONS) + 1) % PARTITIONS;
          producer.send(new ProducerRecord<>(DOWNLINK, wrong, device, payload(device, i), headers(device))).get();
        }
      }
    }
    checkDelivered(devices, received, true);
  }

  @Test
  void kcatAtItsDefaults() throws Exception {
    boolean required = Boolean.getBoolean("kcat.required");
    boolean found = kcatFound();
    if (required && !found) {
      throw new AssertionError("kcat not found, and -Dkcat.required is set (.ci/run installs it: apt-get install kcat)");
    }
    assumeTrue(found, "kcat not installed (apt-get install kcat); .ci/run installs it and requires this test");
    List<String> devices = devices("kcat");
    Map<String, Received> received = subscribe(devices);
    for (String device : devices) {
      // One kcat per device: -H sets the headers of every record it writes; the key is before ':'.
      Process kcat = new ProcessBuilder("kcat", "-P", "-b", TestKafka.bootstrapServers(), "-t", DOWNLINK, "-K", ":",
          "-H", HeaderNames.TOPIC + "=DL/" + device, "-H", HeaderNames.CORRELATION_ID + "=" + device)
          .redirectErrorStream(true).start();
      try (OutputStream in = kcat.getOutputStream()) {
        for (int i = 0; i < PER_DEVICE; i++) {
          in.write((device + ":" + new String(payload(device, i), StandardCharsets.UTF_8) + "\n")
              .getBytes(StandardCharsets.UTF_8));
        }
      }
      assertThat(kcat.waitFor(30, TimeUnit.SECONDS)).as("kcat ended").isTrue();
      assertThat(kcat.exitValue()).as("kcat: %s", new String(kcat.getInputStream().readAllBytes(),
          StandardCharsets.UTF_8)).isZero();
    }
    checkDelivered(devices, received, true);
  }

  private void runWith(String label, String partitioner, boolean ordered) throws Exception {
    List<String> devices = devices(label);
    Map<String, Received> received = subscribe(devices);
    try (KafkaProducer<String, byte[]> producer = producer(partitioner)) {
      for (int i = 0; i < PER_DEVICE; i++) {
        for (String device : devices) {
          producer.send(new ProducerRecord<>(DOWNLINK, null, device, payload(device, i), headers(device))).get();
        }
      }
    }
    checkDelivered(devices, received, ordered);
  }

  /**
   * Every device received exactly its {@link #PER_DEVICE} messages (in order when asked), and every
   * record the back end wrote (not the bridge's copies) has a delivered and an acked receipt naming it.
   */
  private void checkDelivered(List<String> devices, Map<String, Received> received, boolean ordered)
      throws Exception {
    for (String device : devices) {
      List<String> payloads = new ArrayList<>();
      for (int i = 0; i < PER_DEVICE; i++) {
        Received.Message message = received.get(device).next(WAIT.toMillis());
        assertThat(message).as("%s message %d", device, i).isNotNull();
        assertThat(message.topic()).isEqualTo("DL/" + device);
        payloads.add(new String(message.payload(), StandardCharsets.UTF_8));
      }
      assertThat(received.get(device).next(500)).as("%s: nothing more", device).isNull();
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < PER_DEVICE; i++) {
        expected.add(new String(payload(device, i), StandardCharsets.UTF_8));
      }
      if (ordered) {
        assertThat(payloads).containsExactlyElementsOf(expected);
      } else {
        assertThat(payloads).containsExactlyInAnyOrderElementsOf(expected);
      }
    }
    Set<String> written = new TreeSet<>();
    Map<String, Integer> copies = new HashMap<>();
    for (ConsumerRecord<String, byte[]> record : TestKafka.consumeFor(DOWNLINK, Duration.ofSeconds(2))) {
      if (devices.contains(record.key())) {
        if (record.headers().lastHeader(HeaderNames.ORIGINAL_PARTITION) == null) {
          written.add(record.partition() + "/" + record.offset());
        } else {
          copies.merge(record.key(), 1, Integer::sum);
        }
      }
    }
    assertThat(written).hasSize(devices.size() * PER_DEVICE);
    Map<String, List<Status>> receipts = receiptsByRecord(devices, 2 * written.size());
    assertThat(receipts.keySet()).as("every record the back end wrote has receipts, and no other")
        .containsExactlyInAnyOrderElementsOf(written);
    assertThat(receipts.values()).allSatisfy(statuses ->
        assertThat(statuses).containsExactly(Status.DELIVERED, Status.ACKED));
    assertThat(copies.values().stream().mapToInt(Integer::intValue).sum()).as("records moved")
        .isLessThanOrEqualTo(written.size()).isPositive();
  }

  /** The receipts of the devices' records, by "partition/offset" as they name them. */
  private static Map<String, List<Status>> receiptsByRecord(List<String> devices, int count) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    Map<String, List<Status>> byRecord = new LinkedHashMap<>();
    while (System.nanoTime() < deadline) {
      byRecord.clear();
      int found = 0;
      for (ConsumerRecord<String, byte[]> record : TestKafka.consume(RECEIPTS, Integer.MAX_VALUE,
          Duration.ofMillis(500))) {
        if (devices.contains(record.key())) {
          Receipt receipt = Receipt.fromJson(record.value());
          byRecord.computeIfAbsent(receipt.partition() + "/" + receipt.offset(), k -> new ArrayList<>())
              .add(receipt.status());
          found++;
        }
      }
      if (found >= count) {
        break;
      }
    }
    return byRecord;
  }

  private static Map<String, Received> subscribe(List<String> devices) throws Exception {
    Map<String, Received> received = new HashMap<>();
    for (String device : devices) {
      Received messages = new Received();
      MqttAsyncClient client = Clients.v3(bridge.mqttPort(), device);
      client.setCallback(messages);
      client.subscribe("DL/" + device, 1).waitForCompletion(10_000);
      clients.add(client);
      received.put(device, messages);
    }
    return received;
  }

  private static List<String> devices(String prefix) {
    List<String> devices = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      devices.add("car-" + prefix + "-" + i);
    }
    return devices;
  }

  private static KafkaProducer<String, byte[]> producer(String partitioner) {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    if (partitioner != null) {
      config.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, partitioner);
    }
    return new KafkaProducer<>(config);
  }

  private static org.apache.kafka.common.header.internals.RecordHeaders headers(String device) {
    org.apache.kafka.common.header.internals.RecordHeaders headers =
        new org.apache.kafka.common.header.internals.RecordHeaders();
    headers.add(HeaderNames.TOPIC, ("DL/" + device).getBytes(StandardCharsets.UTF_8));
    headers.add(HeaderNames.CORRELATION_ID, device.getBytes(StandardCharsets.UTF_8));
    return headers;
  }

  private static byte[] payload(String device, int i) {
    return (device + " #" + i).getBytes(StandardCharsets.UTF_8);
  }

  private static boolean kcatFound() {
    try {
      return new ProcessBuilder("kcat", "-V").redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
