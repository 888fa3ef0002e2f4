package io.mqttkafka.bridge.fault;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.process.BridgeProcess;
import io.mqttkafka.bridge.testkit.Clients;
import io.mqttkafka.bridge.testsupport.Downlink;
import io.mqttkafka.bridge.process.ProcessCluster;
import io.mqttkafka.bridge.testkit.Received;
import io.mqttkafka.bridge.testkit.ReliabilityReport;
import io.mqttkafka.bridge.testsupport.TestCluster;
import io.mqttkafka.bridge.testkit.TestKafka;
import io.mqttkafka.bridge.testkit.V5Callback;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.junit.jupiter.api.Test;

/**
 * The device's instance dies after it published a downlink message to the device but before its
 * {@code delivered} receipt reached Kafka. The router (on the other instance) must not have
 * committed the record's offset on the strength of the forward's answer: the answer comes only once
 * the first receipt is in Kafka. So the router's forward times out and it writes {@code offline}: the
 * record has a receipt. Before, the instance answered at once, the router committed, and the record
 * was left without any receipt. {@code linger.ms} 10 s holds the receipt back so that the kill lands
 * in the window every time.
 */
class DeliveredReceiptFaultIT {

  @Test
  void anInstanceKilledBeforeItsDeliveredReceiptIsInKafkaLeavesTheRecordWithAReceipt() throws Exception {
    String yaml = """
        kafka:
          producer: { linger.ms: 10000 }
        mappings:
          downlink: { filters: ["DL/#"] }
        """;
    try (ProcessCluster cluster = new ProcessCluster("answer", yaml, TestKafka.bootstrapServers(), 2)) {
      cluster.startAll();
      BridgeProcess router = cluster.get(0);
      BridgeProcess device = cluster.get(1);
      String clientId = clientRoutedBy(cluster, router, "car-answer");

      Received received = new Received();
      MqttAsyncClient client = Clients.v3(device.mqttPort(), clientId);
      client.setCallback(received);
      IMqttToken subscribed = client.subscribe("DL/#", 1);
      subscribed.waitForCompletion(30_000); // SUBACK waits for the presence record: up to linger.ms
      assertThat(subscribed.getGrantedQos()).containsExactly(1);

      RecordHeaders headers = new RecordHeaders();
      headers.add("mqtt.topic", "DL/X".getBytes(StandardCharsets.UTF_8));
      headers.add("correlation.id", "answered-late".getBytes(StandardCharsets.UTF_8));
      RecordMetadata written = TestKafka.producer().send(new ProducerRecord<>(cluster.downlinkTopic(), null,
          clientId, "x".getBytes(StandardCharsets.UTF_8), headers)).get(10, TimeUnit.SECONDS);
      assertThat(received.next(30_000)).as("the device received the message").isNotNull();
      Thread.sleep(2_500); // the router commits every second; the delivered receipt lingers for 10 s
      TopicPartition tp = new TopicPartition(written.topic(), written.partition());
      OffsetAndMetadata committed = TestKafka.admin()
          .listConsumerGroupOffsets(cluster.deployment().get("MQTT_BRIDGE_KAFKA_CONSUMER_GROUP_ID"))
          .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS).get(tp);
      device.kill();

      List<Receipt> found = Downlink.receipts(cluster.receiptsTopic(), "answered-late", 1, Duration.ofSeconds(60));
      ReliabilityReport.row("SIGKILL of the device's instance after delivery, before its delivered receipt is in"
              + " Kafka (linger.ms 10 s)", "1 downlink record", "-", found.size() + " receipt(s)",
          found.isEmpty() ? 1 : 0, "-", "-", "committed offset before the kill "
              + (committed == null ? "none" : committed.offset()) + ", record at " + written.offset()
              + "; receipts " + found.stream().map(r -> r.status() + " by " + r.instanceId()).toList());
      assertThat(committed == null || committed.offset() <= written.offset())
          .as("committed offset (" + committed + ") must not pass the record (" + written.offset()
              + ") while its first receipt is not in Kafka").isTrue();
      assertThat(found).as("receipts of the record after the device's instance died").isNotEmpty();
      client.disconnectForcibly(1_000);
      client.close();
    }
  }

  /**
   * A message waits behind the device's full in-flight window (MQTT 5 Receive Maximum 1, the first
   * message never acknowledged) longer than the router's forward may stay unanswered, and then the
   * device's instance dies. The instance answered "pending" rather than settling it, the router kept
   * asking, so its offset stayed uncommitted and the router wrote its receipt when the instance no
   * longer answered. Before, the instance answered after 5 s as if the message were settled: the
   * router committed past it and it was left without any receipt.
   */
  @Test
  void aMessageQueuedBehindAFullInFlightWindowWhenItsInstanceDiesStillGetsAReceipt() throws Exception {
    String yaml = """
        mappings:
          downlink: { filters: ["DL/#"], ackTimeout: 120s }
        """;
    try (ProcessCluster cluster = new ProcessCluster("queued", yaml, TestKafka.bootstrapServers(), 2)) {
      cluster.startAll();
      BridgeProcess router = cluster.get(0);
      BridgeProcess device = cluster.get(1);
      String clientId = clientRoutedBy(cluster, router, "car-queued");

      org.eclipse.paho.mqttv5.client.MqttAsyncClient client = new org.eclipse.paho.mqttv5.client.MqttAsyncClient(
          "tcp://127.0.0.1:" + device.mqttPort(), clientId,
          new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
      org.eclipse.paho.mqttv5.client.MqttConnectionOptions options =
          new org.eclipse.paho.mqttv5.client.MqttConnectionOptions();
      options.setCleanStart(true);
      options.setAutomaticReconnect(false);
      options.setReceiveMaximum(1);
      client.setManualAcks(true); // and never acknowledges: the window of one stays full
      java.util.concurrent.BlockingQueue<String> arrived = new java.util.concurrent.LinkedBlockingQueue<>();
      client.setCallback(new V5Callback() {
        @Override
        public void messageArrived(String topic, org.eclipse.paho.mqttv5.common.MqttMessage message) {
          arrived.add(new String(message.getPayload(), StandardCharsets.UTF_8));
        }
      });
      client.connect(options).waitForCompletion(10_000);
      client.subscribe("DL/#", 1).waitForCompletion(10_000);

      RecordMetadata first = sendDownlink(cluster, clientId, "first");
      assertThat(arrived.poll(30, TimeUnit.SECONDS)).as("the first message reached the device").isEqualTo("first");
      RecordMetadata queued = sendDownlink(cluster, clientId, "queued");
      // Past the instance's 5 s answer and the router's 1 s commits: the queued message is still queued.
      Thread.sleep(8_000);
      assertThat(arrived).as("nothing passes the full window").isEmpty();
      TopicPartition tp = new TopicPartition(queued.topic(), queued.partition());
      OffsetAndMetadata committed = TestKafka.admin()
          .listConsumerGroupOffsets(cluster.deployment().get("MQTT_BRIDGE_KAFKA_CONSUMER_GROUP_ID"))
          .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS).get(tp);
      device.kill();

      List<Receipt> found = Downlink.receipts(cluster.receiptsTopic(), "queued", 1, Duration.ofSeconds(60));
      ReliabilityReport.row("SIGKILL of the device's instance while a downlink message waits behind the device's"
              + " full in-flight window (Receive Maximum 1, no PUBACK) for 8 s", "2 downlink records", "-",
          found.size() + " receipt(s) of the queued one", found.isEmpty() ? 1 : 0, "-", "-",
          "committed offset before the kill " + (committed == null ? "none" : committed.offset())
              + ", first record at " + first.offset() + ", queued one at " + queued.offset() + "; its receipts "
              + found.stream().map(r -> r.status() + " by " + r.instanceId()).toList());
      assertThat(committed == null || committed.offset() <= queued.offset())
          .as("committed offset (" + committed + ") must not pass the queued record (" + queued.offset()
              + ") while it has no receipt").isTrue();
      assertThat(found).as("receipts of the queued record after the device's instance died").isNotEmpty();
      client.disconnectForcibly(1_000);
      client.close();
    }
  }

  /** A client id whose downlink partition {@code router} routes, so that its device can sit on the other member. */
  private static String clientRoutedBy(ProcessCluster cluster, BridgeProcess router, String prefix) throws Exception {
    Set<Integer> routed = cluster.routerPartitions(router);
    assertThat(routed).as("partitions routed by the first member").isNotEmpty().hasSizeLessThan(3);
    for (int n = 0; ; n++) {
      if (routed.contains(TestCluster.partitionOf(prefix + "-" + n))) {
        return prefix + "-" + n;
      }
    }
  }

  private static RecordMetadata sendDownlink(ProcessCluster cluster, String clientId, String correlationId)
      throws Exception {
    RecordHeaders headers = new RecordHeaders();
    headers.add("mqtt.topic", "DL/X".getBytes(StandardCharsets.UTF_8));
    headers.add("correlation.id", correlationId.getBytes(StandardCharsets.UTF_8));
    return TestKafka.producer().send(new ProducerRecord<>(cluster.downlinkTopic(), null, clientId,
        correlationId.getBytes(StandardCharsets.UTF_8), headers)).get(10, TimeUnit.SECONDS);
  }
}
