package io.mqttkafka.bridge.downlink;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.records.PresenceRecord;
import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.mqttkafka.bridge.testkit.Clients;
import io.mqttkafka.bridge.testkit.Metrics;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.junit.jupiter.api.Test;

/**
 * A back end that writes a downlink record as soon as the device's SUBACK is there must see it
 * delivered: SUBACK is sent only once the device's "subscribed" record is in Kafka, so the router
 * has to route the downlink record against a state that includes it, although it reads
 * {@code mqtt.subscriptions} and {@code mqtt.downlink} independently.
 *
 * <p>The race is made to happen every time rather than now and then: just before the devices
 * subscribe, a burst of presence records of other clients lands in every subscriptions partition at
 * once, so the router is busy reading them (at most one fetch chunk and {@code max.poll.records} per
 * poll) when the devices' records and then the downlink records arrive. The downlink partitions
 * have no backlog, so their records are fetched ahead of the subscriptions they depend on; a router
 * that routes them at once says {@code not_subscribed}.
 */
class SubscribeThenDownlinkIT {

  private static final int DEVICES = 12;
  private static final int OTHER_CLIENTS_RECORDS = 60_000;
  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void aRecordWrittenRightAfterSubackIsDeliveredWhileTheRouterIsBehindOnPresence() throws Exception {
    Map<String, String> deployment = TestBridge.isolated();
    String subscriptions = deployment.get("MQTT_BRIDGE_KAFKA_TOPICS_SUBSCRIPTIONS");
    String downlink = TestBridge.downlinkTopic(deployment);
    Bridge bridge = TestBridge.start("""
        mappings:
          downlink: { filters: ["DL/#"] }
        """, deployment);
    List<MqttAsyncClient> devices = new ArrayList<>();
    try (KafkaProducer<String, byte[]> burst = burstProducer()) {
      for (int i = 0; i < DEVICES; i++) {
        devices.add(Clients.v3(bridge.mqttPort(), "car-race-" + i));
      }

      // Other clients' presence: written in large batches, so that they are appended all at once.
      byte[] gone = new PresenceRecord(PresenceRecord.Event.DISCONNECTED, "elsewhere", "elsewhere/1-1", false,
          List.of(), 4, System.currentTimeMillis()).toJson();
      for (int n = 0; n < OTHER_CLIENTS_RECORDS; n++) {
        burst.send(new ProducerRecord<>(subscriptions, "other-" + n, gone));
      }
      burst.flush();

      // Each device subscribes; the back end writes to it the moment its SUBACK arrives.
      Map<String, String> correlationToDevice = new ConcurrentHashMap<>();
      CountDownLatch written = new CountDownLatch(DEVICES);
      for (MqttAsyncClient device : devices) {
        String clientId = device.getClientId();
        device.subscribe("DL/#", 1, null, new IMqttActionListener() {
          @Override
          public void onSuccess(IMqttToken token) {
            String correlation = "race-" + clientId;
            correlationToDevice.put(correlation, clientId);
            RecordHeaders headers = new RecordHeaders();
            headers.add("mqtt.topic", "DL/NOW".getBytes(StandardCharsets.UTF_8));
            headers.add("correlation.id", correlation.getBytes(StandardCharsets.UTF_8));
            TestKafka.producer().send(new ProducerRecord<>(downlink, null, clientId,
                "now".getBytes(StandardCharsets.UTF_8), headers), (metadata, failure) -> written.countDown());
          }

          @Override
          public void onFailure(IMqttToken token, Throwable failure) {
            written.countDown();
          }
        });
      }
      assertThat(written.await(30, TimeUnit.SECONDS)).as("downlink records written").isTrue();
      assertThat(correlationToDevice).as("devices subscribed").hasSize(DEVICES);

      Map<String, Status> firstStatus = firstReceipts(TestBridge.receiptsTopic(deployment), correlationToDevice);
      assertThat(firstStatus).as("first receipt of each downlink record (by correlation id)")
          .hasSize(DEVICES).allSatisfy((correlation, status) -> assertThat(status).isEqualTo(Status.DELIVERED));
      assertThat(Metrics.value(Metrics.scrape(bridge.httpPort()),
          "mqtt_bridge_router_presence_wait_exceeded_total", ""))
          .as("downlink records routed without waiting for the presence records before them").isZero();
    } finally {
      for (MqttAsyncClient device : devices) {
        device.disconnectForcibly(1_000);
        device.close();
      }
      bridge.stop();
    }
  }

  /** The first receipt of each correlation id, once every one has one (or WAIT has passed). */
  private static Map<String, Status> firstReceipts(String receipts, Map<String, String> correlations) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    Map<String, Status> first = new HashMap<>();
    while (first.size() < correlations.size() && System.nanoTime() < deadline) {
      first.clear();
      for (ConsumerRecord<String, byte[]> r : TestKafka.consume(receipts, Integer.MAX_VALUE, Duration.ofSeconds(1))) {
        var header = r.headers().lastHeader("correlation.id");
        String correlation = header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
        if (correlation != null && correlations.containsKey(correlation)) {
          first.putIfAbsent(correlation, Receipt.fromJson(r.value()).status());
        }
      }
    }
    return first;
  }

  private static KafkaProducer<String, byte[]> burstProducer() {
    return new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers(),
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.LINGER_MS_CONFIG, 60_000,
        ProducerConfig.BATCH_SIZE_CONFIG, 900_000,
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8_000_000,
        ProducerConfig.BUFFER_MEMORY_CONFIG, 64_000_000));
  }
}
