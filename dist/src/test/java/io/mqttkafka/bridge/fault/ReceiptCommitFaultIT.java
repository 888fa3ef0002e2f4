package io.mqttkafka.bridge.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.mqttkafka.bridge.process.BridgeProcess;
import io.mqttkafka.bridge.testsupport.Downlink;
import io.mqttkafka.bridge.process.ProcessCluster;
import io.mqttkafka.bridge.testkit.ReliabilityReport;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * The router commits a downlink offset only once the receipt it wrote for that record is in Kafka.
 * Found by reading RouterLoop while writing the router crash test: a receipt the router writes itself
 * (offline, not_subscribed, expired, rejected) counted as settled when it was handed to the producer,
 * so a commit could pass the record while its receipt still waited; a crash then lost the receipt,
 * and the record was never routed again. The window is the receipt's way to Kafka (linger, network,
 * append); here {@code linger.ms} widens it to 10 s so that the kill lands in it every time.
 */
class ReceiptCommitFaultIT {

  @Test
  void aRouterKilledWhileItsReceiptIsPendingRoutesTheRecordAgainAfterRestart() throws Exception {
    String yaml = """
        kafka:
          producer: { linger.ms: 10000 }
        """;
    try (ProcessCluster deployment = new ProcessCluster("receipt", yaml, TestKafka.bootstrapServers(), 1)) {
      deployment.startAll();
      BridgeProcess bridge = deployment.get(0);
      String receipts = deployment.receiptsTopic();
      RecordHeaders headers = new RecordHeaders();
      headers.add("mqtt.topic", "DL/X".getBytes(StandardCharsets.UTF_8));
      headers.add("correlation.id", "pending-receipt".getBytes(StandardCharsets.UTF_8));
      RecordMetadata written = TestKafka.producer().send(new ProducerRecord<>(deployment.downlinkTopic(), null,
          "car-nobody", "x".getBytes(StandardCharsets.UTF_8), headers)).get(10, TimeUnit.SECONDS);
      // Routed (its batch left the presence wait, and its receipt went to the producer); the receipts
      // counter itself counts only receipts Kafka has, so it would wait out the linger.
      await().atMost(Duration.ofSeconds(20))
          .until(() -> bridge.metric("mqtt_bridge_router_presence_wait_seconds_count", "") >= 1);
      Thread.sleep(2_500); // the router commits every second; the receipt lingers for 10 s
      TopicPartition tp = new TopicPartition(written.topic(), written.partition());
      OffsetAndMetadata committed = TestKafka.admin()
          .listConsumerGroupOffsets(deployment.deployment().get("MQTT_BRIDGE_KAFKA_CONSUMER_GROUP_ID"))
          .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS).get(tp);
      bridge.kill();

      deployment.start(0);
      deployment.awaitRouted();
      List<Receipt> found = Downlink.receipts(receipts, "pending-receipt", 1, Duration.ofSeconds(30));
      ReliabilityReport.row("SIGKILL of the router while its receipt waits for Kafka (linger.ms 10 s)",
          "1 downlink record", "-", found.size() + " receipt(s) after restart", found.isEmpty() ? 1 : 0, "-",
          "-", "committed offset before the kill " + (committed == null ? "none" : committed.offset())
              + ", record at " + written.offset());
      assertThat(found).as("receipts of the record after the restart").extracting(Receipt::status)
          .contains(Status.OFFLINE);
      assertThat(committed == null || committed.offset() <= written.offset())
          .as("committed offset (" + committed + ") must not pass the record (" + written.offset()
              + ") while its receipt is not in Kafka").isTrue();
    }
  }
}
