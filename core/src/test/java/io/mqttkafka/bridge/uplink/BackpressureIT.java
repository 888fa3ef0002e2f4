package io.mqttkafka.bridge.uplink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.devkafka.EmbeddedKafka;
import io.mqttkafka.bridge.testkit.Clients;
import io.mqttkafka.bridge.testkit.Metrics;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.RawMqttClient;
import io.mqttkafka.bridge.testsupport.TestBridge;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka is down or slow and devices keep publishing: the bridge stops reading from their sockets
 * (so TCP slows them down) instead of dropping QoS 0 or holding their messages in its heap, and
 * never for so long that their keep-alive runs out.
 */
class BackpressureIT {

  private static final String TOPIC = "backpressure";
  private static final int PAYLOAD = 1024;
  /** buffer.memory 1 MiB: the sender refuses beyond 512 KiB in flight and pauses readers above 256 KiB. */
  private static final String SMALL_PRODUCER = """
      kafka:
        producer:
          buffer.memory: 1048576
      """;

  @TempDir
  Path dataDir;
  private EmbeddedKafka kafka;
  private Bridge bridge;

  @BeforeEach
  void startKafka() {
    kafka = EmbeddedKafka.start(dataDir, 0, 0);
  }

  @AfterEach
  void stopAll() {
    if (bridge != null) {
      bridge.stop();
    }
    kafka.close();
  }

  @Test
  void qos0FloodWhileKafkaIsDownIsPausedNotDroppedAndArrivesWhenKafkaIsBack() throws Exception {
    bridge = TestBridge.start(mapping(SMALL_PRODUCER + """
        mqtt:
          limits: { maxReadPause: 60s }
        """), kafka.bootstrapServers());
    int count = 2000; // 2 MiB: four times what the sender may hold
    MqttAsyncClient qos1 = Clients.v5(bridge.mqttPort(), "qos1-car");
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.connected("flooder");
      raw.send(MqttPackets.publish("UL/warm", payload(-1), 1, 1, false));
      assertThat(raw.read().type()).isEqualTo(RawMqttClient.PUBACK); // the topic's metadata is known

      kafka.close();
      // The socket buffers take what the bridge does not read; a writer thread, as the writes may block.
      AtomicInteger written = new AtomicInteger();
      Thread writer = new Thread(() -> {
        try {
          for (int i = 0; i < count; i++) {
            raw.send(MqttPackets.publish("UL/flood", payload(i), 0, 0, false));
            written.incrementAndGet();
          }
        } catch (Exception e) {
          // the assertions below say what went wrong
        }
      });
      writer.start();
      await().atMost(Duration.ofSeconds(30)).until(() ->
          metric("mqtt_bridge_read_pauses_total", "reason=\"uplink\"") >= 1);
      assertThat(metric("mqtt_bridge_uplink_inflight_bytes", "")).isLessThanOrEqualTo(512 * 1024);
      // A well-behaved QoS 1 client meanwhile: no PUBACK while Kafka is away, then a good one.
      IMqttToken during = qos1.publish("UL/q1", payload(-2), 1, false);

      kafka = EmbeddedKafka.start(dataDir, kafka.port(), 0);
      writer.join(60_000);
      assertThat(written.get()).isEqualTo(count);
      during.waitForCompletion(90_000);
      assertThat(during.getReasonCodes()).containsExactly(0);
      assertThat(qos1.isConnected()).isTrue();
      List<Integer> received = readSequence(kafka.bootstrapServers(), count + 2, Duration.ofSeconds(90));
      assertThat(received).contains(-2);
      received.remove(Integer.valueOf(-2));
      List<Integer> expected = new ArrayList<>();
      expected.add(-1);
      for (int i = 0; i < count; i++) {
        expected.add(i);
      }
      assertThat(received).as("every QoS 0 message, in order").isEqualTo(expected);
      assertThat(metric("mqtt_bridge_uplink_messages_total", "outcome=\"overloaded\"")).isZero();
      await().atMost(Duration.ofSeconds(10)).until(() -> metric("mqtt_bridge_connections_paused", "") == 0);
      // Reading resumed: the connection answers.
      raw.send(new byte[] {(byte) 0xC0, 0});
      assertThat(raw.read().type()).as("PINGRESP").isEqualTo(13);
    } finally {
      qos1.disconnect().waitForCompletion(10_000);
    }
  }

  @Test
  void aFloodPausedUntilItsBoundIsReadOnSoItsPingreqIsAnsweredAndItsDropsCounted() throws Exception {
    bridge = TestBridge.start(mapping(SMALL_PRODUCER), kafka.bootstrapServers());
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      // Keep-alive 2 s: a pause lasts at most 1 s.
      raw.send(MqttPackets.connect("slowed", 2));
      assertThat(raw.read().type()).isEqualTo(RawMqttClient.CONNACK);
      raw.send(MqttPackets.publish("UL/warm", payload(-1), 1, 1, false));
      assertThat(raw.read().type()).isEqualTo(RawMqttClient.PUBACK);

      kafka.close();
      AtomicBoolean stop = new AtomicBoolean();
      Thread writer = new Thread(() -> {
        try {
          for (int i = 0; !stop.get(); i++) {
            raw.send(MqttPackets.publish("UL/flood", payload(i), 0, 0, false));
          }
        } catch (Exception e) {
          // closed at the end of the test
        }
      });
      writer.setDaemon(true);
      writer.start();
      await().atMost(Duration.ofSeconds(30)).until(() ->
          metric("mqtt_bridge_read_pauses_total", "reason=\"uplink\"") >= 1);
      // Kafka stays away past the pause's bound: the bridge reads on and drops beyond its limit,
      // counted, rather than pausing after every read while the client's PINGREQ waits behind
      // megabytes in the socket buffers until the client gives up and the buffers are lost uncounted.
      await().atMost(Duration.ofSeconds(30)).until(() ->
          metric("mqtt_bridge_uplink_messages_total", "qos=\"0\",outcome=\"overloaded\"") > 0);
      stop.set(true);
      writer.join(10_000);
      raw.setTimeoutMillis(10_000);
      raw.send(new byte[] {(byte) 0xC0, 0});
      assertThat(raw.read().type()).as("PINGRESP behind the flood, Kafka still down").isEqualTo(13);
      String scrape = Metrics.scrape(bridge.httpPort());
      assertThat(Metrics.value(scrape, "mqtt_bridge_connections_closed_total", "")).as("closed").isZero();
      assertThat(Metrics.value(scrape, "mqtt_bridge_connections", "")).isEqualTo(1);
      assertThat(Metrics.value(scrape, "mqtt_bridge_uplink_inflight_bytes", "")).isLessThanOrEqualTo(512 * 1024);
      // Kafka back before the bridge stops: stopping against a dead broker waits out the commit and
      // flush timeouts (90 s), which tests nothing here.
      kafka = EmbeddedKafka.start(dataDir, kafka.port(), 0);
    }
  }

  @Test
  void mqtt311ClientAtReceiveMaximumIsPausedUntilAcknowledged() throws Exception {
    bridge = TestBridge.start(mapping("""
        mqtt:
          receiveMaximum: 2
        """), kafka.bootstrapServers());
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.connected("car-inflight3");
      raw.send(MqttPackets.publish("UL/warm", payload(-1), 1, 1, false));
      assertThat(raw.read().type()).isEqualTo(RawMqttClient.PUBACK);

      kafka.close();
      byte[] five = new byte[0];
      for (int i = 0; i < 5; i++) {
        five = MqttPackets.concat(five, MqttPackets.publish("UL/q1", payload(i), 1, 10 + i, false));
      }
      raw.send(five);
      // MQTT 3.1.1 cannot be told a Receive Maximum; with two unacknowledged, the bridge reads no more.
      await().atMost(Duration.ofSeconds(20)).until(() ->
          metric("mqtt_bridge_read_pauses_total", "reason=\"inflight\"") >= 1);

      kafka = EmbeddedKafka.start(dataDir, kafka.port(), 0);
      raw.setTimeoutMillis(90_000);
      for (int i = 0; i < 5; i++) {
        RawMqttClient.Packet puback = raw.read();
        assertThat(puback.type()).isEqualTo(RawMqttClient.PUBACK);
        assertThat(puback.packetId()).isEqualTo(10 + i);
      }
      assertThat(readSequence(kafka.bootstrapServers(), 6, Duration.ofSeconds(30)))
          .containsExactly(-1, 0, 1, 2, 3, 4);
      assertThat(metric("mqtt_bridge_protocol_errors_total", "")).isZero();
    }
  }

  private double metric(String name, String labels) throws Exception {
    return Metrics.value(Metrics.scrape(bridge.httpPort()), name, labels);
  }

  private static String mapping(String extra) {
    return """
        mappings:
          uplink:
            - { match: "^UL/(.+)$", topic: "%s" }
        """.formatted(TOPIC) + extra;
  }

  /** A payload of PAYLOAD bytes that starts with its sequence number. */
  private static byte[] payload(int sequence) {
    return ByteBuffer.allocate(PAYLOAD).putInt(sequence).array();
  }

  private static List<Integer> readSequence(String bootstrap, int expected, Duration timeout) {
    Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    List<Integer> values = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
      TopicPartition partition = new TopicPartition(TOPIC, 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (values.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          values.add(ByteBuffer.wrap(r.value()).getInt());
        }
      }
    }
    return values;
  }
}
