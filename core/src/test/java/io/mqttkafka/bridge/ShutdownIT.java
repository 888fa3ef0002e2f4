package io.mqttkafka.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.testkit.Clients;
import io.mqttkafka.bridge.testkit.Metrics;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.RawMqttClient;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.junit.jupiter.api.Test;

/** Stopping the bridge: devices are told, and every acknowledged message is in Kafka. */
class ShutdownIT {

  @Test
  void drainTakesReadinessDownAndClosesConnectionsGraduallyOverTheDrainPeriod() throws Exception {
    Map<String, String> deployment = TestBridge.isolated();
    deployment.put("MQTT_BRIDGE_SHUTDOWN_DRAIN_PERIOD", "4s");
    Bridge bridge = TestBridge.start("", deployment);
    List<RawMqttClient> devices = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      RawMqttClient device = new RawMqttClient(bridge.mqttPort());
      device.send(MqttPackets.connect("car-drain-" + i, 5, null, null, 0, false));
      assertThat(device.read().type()).isEqualTo(RawMqttClient.CONNACK);
      devices.add(device);
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> Metrics.get(bridge.httpPort(), "/health/ready")
        .statusCode() == 200);
    int httpPort = bridge.httpPort();
    CompletableFuture<Void> stopping = CompletableFuture.runAsync(bridge::stop);

    await().atMost(Duration.ofSeconds(10)).until(() -> bridge.sessions().size() < 8);
    // Part-way through: some devices told to go, others still connected, readiness down.
    assertThat(bridge.sessions().size()).as("connections still open while draining").isPositive();
    assertThat(Metrics.get(httpPort, "/health/ready").statusCode()).isEqualTo(503);
    stopping.get(60, TimeUnit.SECONDS);
    for (RawMqttClient device : devices) {
      RawMqttClient.Packet disconnect = device.read();
      assertThat(disconnect.type()).isEqualTo(RawMqttClient.DISCONNECT);
      assertThat(disconnect.body()[0] & 0xFF).isEqualTo(0x8B);
      device.close();
    }
  }

  @Test
  void everyQos1MessageAcknowledgedBeforeStopIsInKafkaAndMqtt5ClientsGetServerShuttingDown() throws Exception {
    String topic = TestKafka.uniqueTopic("shutdown");
    Bridge bridge = TestBridge.start("""
        mappings:
          uplink:
            - { match: "^UL/(.+)$", topic: "%s" }
        """.formatted(topic));
    MqttAsyncClient publisher = Clients.v3(bridge.mqttPort(), "car-stop");
    RawMqttClient v5 = new RawMqttClient(bridge.mqttPort());
    v5.send(MqttPackets.connect("car-stop5", 5, null, null, 0, false));
    assertThat(v5.read().type()).isEqualTo(RawMqttClient.CONNACK);

    // Publish continuously while the bridge stops: whatever got its PUBACK must be in Kafka.
    List<IMqttDeliveryToken> tokens = java.util.Collections.synchronizedList(new ArrayList<>());
    List<String> payloads = java.util.Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<Void> load = CompletableFuture.runAsync(() -> {
      for (int i = 0; i < 100_000 && publisher.isConnected(); i++) {
        try {
          IMqttDeliveryToken token = publisher.publish("UL/seq", Integer.toString(i).getBytes(StandardCharsets.UTF_8),
              1, false);
          synchronized (tokens) {
            payloads.add(Integer.toString(i));
            tokens.add(token);
          }
        } catch (MqttException e) {
          if (e.getReasonCode() != MqttException.REASON_CODE_MAX_INFLIGHT) {
            return;
          }
          i--;
          Thread.onSpinWait();
        }
      }
    }, Executors.newSingleThreadExecutor());
    await().atMost(Duration.ofSeconds(20)).until(() -> completed(tokens) > 200);
    bridge.stop();
    load.get();

    RawMqttClient.Packet disconnect = v5.read();
    assertThat(disconnect.type()).isEqualTo(RawMqttClient.DISCONNECT);
    assertThat(disconnect.body()[0] & 0xFF).isEqualTo(0x8B);
    v5.close();

    List<String> acknowledged = new ArrayList<>();
    synchronized (tokens) {
      for (int i = 0; i < tokens.size(); i++) {
        if (tokens.get(i).isComplete() && tokens.get(i).getException() == null) {
          acknowledged.add(payloads.get(i));
        }
      }
    }
    List<String> inKafka = TestKafka.consumeFor(topic, Duration.ofSeconds(3)).stream()
        .map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
    assertThat(acknowledged).hasSizeGreaterThan(200);
    assertThat(inKafka).containsAll(acknowledged);
  }

  @Test
  void aConnectionHoldingUnacknowledgedPublishesIsAcknowledgedBeforeServerShuttingDown() throws Exception {
    drainsHeldPublishes("shutdown-held", 2, RawMqttClient.PUBREC);
  }

  @Test
  void theLastPubacksOfADrainingConnectionGoOutBeforeItsDisconnect() throws Exception {
    // Success PUBACKs are written after the batch of Kafka completions (Pubacks); the drain's close
    // comes in that batch, so they must be flushed before it.
    drainsHeldPublishes("shutdown-held-q1", 1, RawMqttClient.PUBACK);
  }

  /** Two PUBLISH packets (QoS 1, then {@code secondQos}) still in the producer when the bridge stops. */
  private void drainsHeldPublishes(String name, int secondQos, int secondAck) throws Exception {
    String topic = TestKafka.uniqueTopic(name);
    // Records wait 4 s in the producer (under 5 s, the longest a drain waits for them): the stop begins
    // while Kafka has not yet acknowledged them, even when the metrics scrape is slow on a loaded machine.
    Bridge bridge = TestBridge.start("""
        kafka:
          producer: { linger.ms: "4000" }
        mappings:
          uplink:
            - { match: "^UL/(.+)$", topic: "%s" }
        """.formatted(topic));
    try (RawMqttClient device = new RawMqttClient(bridge.mqttPort())) {
      device.send(MqttPackets.connect("car-" + name, 5, null, null, 0, false));
      assertThat(device.read().type()).isEqualTo(RawMqttClient.CONNACK);
      device.send(MqttPackets.concat(
          publish5("UL/q1", "one", 1, 7), publish5("UL/q2", "two", secondQos, 8)));
      await().atMost(Duration.ofSeconds(10)).until(() -> Metrics.value(Metrics.scrape(bridge.httpPort()),
          "mqtt_bridge_uplink_inflight_bytes", "") > 0);
      CompletableFuture<Void> stopping = CompletableFuture.runAsync(bridge::stop);

      // Without waiting, DISCONNECT would come first and the device would resend both elsewhere.
      RawMqttClient.Packet first = device.read();
      assertThat(first.type()).isEqualTo(RawMqttClient.PUBACK);
      assertThat(first.packetId()).isEqualTo(7);
      RawMqttClient.Packet second = device.read();
      assertThat(second.type()).isEqualTo(secondAck);
      assertThat(second.packetId()).isEqualTo(8);
      RawMqttClient.Packet disconnect = device.read();
      assertThat(disconnect.type()).isEqualTo(RawMqttClient.DISCONNECT);
      assertThat(disconnect.body()[0] & 0xFF).isEqualTo(0x8B);
      stopping.get(60, TimeUnit.SECONDS);
    }
    List<String> inKafka = TestKafka.consumeFor(topic, Duration.ofSeconds(3)).stream()
        .map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
    assertThat(inKafka).containsExactly("one", "two");
  }

  /** An MQTT 5 PUBLISH without properties. */
  private static byte[] publish5(String topic, String payload, int qos, int packetId) {
    return MqttPackets.packet(0x30 | (qos << 1), MqttPackets.concat(MqttPackets.string(topic),
        new byte[] {(byte) (packetId >> 8), (byte) packetId, 0}, payload.getBytes(StandardCharsets.UTF_8)));
  }

  private static long completed(List<IMqttDeliveryToken> tokens) {
    synchronized (tokens) {
      return tokens.stream().filter(IMqttDeliveryToken::isComplete).count();
    }
  }
}
