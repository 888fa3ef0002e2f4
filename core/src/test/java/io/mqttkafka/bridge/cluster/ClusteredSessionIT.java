package io.mqttkafka.bridge.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.mqttkafka.bridge.testkit.Received;
import io.mqttkafka.bridge.testkit.TestKafka;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.RawMqttClient;
import io.mqttkafka.bridge.testsupport.Downlink;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testsupport.TestCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.header.Header;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;

/**
 * Persistent sessions across clustered instances: a session made on one instance resumes on another
 * (session present, subscriptions without SUBSCRIBE, the queue in order, then new records); two
 * connections of one client racing to resume on two instances leave one connection and lose nothing;
 * the session and its queue survive a restart of every instance, as they live in Kafka only.
 */
class ClusteredSessionIT {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String UPLINK = TestKafka.uniqueTopic("sessions-uplink");
  private static final String YAML = """
      mappings:
        uplink:
          - { match: "^UL/(.+)$", topic: "%s" }
        downlink: { filters: ["DL/#"], ackTimeout: 5s }
      sessions:
        maxExpiry: 300s
        queue: { maxMessages: 100 }
      """.formatted(UPLINK);

  @Test
  void aSessionMadeOnOneInstanceResumesOnAnotherWithItsQueueInOrderThenNewRecords() throws Exception {
    try (TestCluster cluster = new TestCluster(YAML, 2)) {
      cluster.start(0);
      cluster.start(1);
      cluster.awaitRouted();
      // Routed by A, connected first through A, then through B: B asks A for the session over the bus.
      String car = cluster.clientIdRoutedBy(0, "car-tunnel");
      Car first = Car.connect(cluster.get(0).mqttPort(), car);
      assertThat(first.sessionPresent()).as("a new session").isFalse();
      first.client.subscribe("DL/#", 1).waitForCompletion(WAIT.toMillis());
      first.disconnect();

      String prefix = car + "-" + System.nanoTime() + "-";
      String downlink = TestBridge.downlinkTopic(cluster.deployment());
      for (int i = 0; i < 4; i++) {
        Downlink.send(downlink, car, bytes("cmd-" + i), "mqtt.topic", "DL/cmd", "correlation.id", prefix + "cmd-" + i);
        if (i < 3) {
          Downlink.send(downlink, car, bytes("route-" + i), "mqtt.topic", "DL/route", "mqtt.offline", "latest",
              "correlation.id", prefix + "route-" + i);
        }
      }
      // A "latest" record the router took in an earlier batch than its successor was queued first, then
      // superseded; one taken in the same batch is superseded at once: either way it ends superseded.
      Map<String, List<Status>> parked = receipts(cluster, prefix, 7, 7);
      long until = System.nanoTime() + WAIT.toNanos();
      while (!endsSuperseded(parked, prefix + "route-0", prefix + "route-1") && System.nanoTime() < until) {
        parked = receipts(cluster, prefix, 7, 7);
      }
      for (String route : List.of("route-0", "route-1")) {
        assertThat(parked.get(prefix + route)).as(route).isIn(List.of(Status.SUPERSEDED),
            List.of(Status.QUEUED, Status.SUPERSEDED));
      }
      assertThat(parked).containsEntry(prefix + "route-2", List.of(Status.QUEUED));
      for (String c : List.of("cmd-0", "cmd-1", "cmd-2", "cmd-3")) {
        assertThat(parked.get(prefix + c)).as(c).containsExactly(Status.QUEUED);
      }

      Car back = Car.connect(cluster.get(1).mqttPort(), car);

      assertThat(back.sessionPresent()).isTrue();
      assertThat(back.payloads(5)).containsExactly("cmd-0", "cmd-1", "cmd-2", "route-2", "cmd-3");
      Downlink.send(downlink, car, bytes("new"), "mqtt.topic", "DL/cmd", "correlation.id", prefix + "new");
      assertThat(back.payloads(1)).containsExactly("new");
      Map<String, List<Status>> all = receipts(cluster, prefix, 8, 7 + 5 * 2 + 2);
      assertThat(all).hasSize(8).allSatisfy((correlation, statuses) -> assertThat(statuses.get(statuses.size() - 1))
          .as(correlation).isIn(Status.ACKED, Status.SUPERSEDED));
      // Written once the queue was received, it may still find the last PUBACK on its way to the router,
      // and wait behind it (queued, then delivered): either way it comes after the queue.
      assertThat(all.get(prefix + "new")).endsWith(Status.DELIVERED, Status.ACKED);
      back.disconnect();
    }
  }

  @Test
  void twoConnectionsResumingOneSessionOnTwoInstancesLeaveOneAndLoseNoRecord() throws Exception {
    try (TestCluster cluster = new TestCluster(YAML, 2)) {
      cluster.start(0);
      cluster.start(1);
      cluster.awaitRouted();
      String car = cluster.clientIdRoutedBy(1, "car-race");
      Car made = Car.connect(cluster.get(0).mqttPort(), car);
      made.client.subscribe("DL/#", 1).waitForCompletion(WAIT.toMillis());
      made.disconnect();
      String prefix = car + "-" + System.nanoTime() + "-";
      String downlink = TestBridge.downlinkTopic(cluster.deployment());
      int queued = 10;
      for (int i = 0; i < queued; i++) {
        Downlink.send(downlink, car, bytes("m-" + i), "mqtt.topic", "DL/cmd", "correlation.id", prefix + i);
      }
      receipts(cluster, prefix, queued, queued);

      Set<String> received = new LinkedHashSet<>();
      int total = queued;
      for (int round = 0; round < 3; round++) {
        // Records keep coming while the two connections race.
        int from = total;
        total += 5;
        int to = total;
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
          for (int i = from; i < to; i++) {
            try {
              Downlink.send(downlink, car, bytes("m-" + i), "mqtt.topic", "DL/cmd", "correlation.id", prefix + i);
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          }
        });
        List<Car> racers = race(car, cluster.get(0).mqttPort(), cluster.get(1).mqttPort());
        writer.get();
        await().atMost(WAIT).until(() -> racers.stream().filter(c -> c != null && c.connected()).count() <= 1);
        List<Car> alive = racers.stream().filter(c -> c != null && c.connected()).toList();
        assertThat(alive).as("connections left after the race of round %d", round).hasSize(1);
        Thread.sleep(1_000);
        for (Car racer : racers) {
          if (racer != null) {
            racer.disconnect(); // first: what arrives until then is acknowledged, and taken below
            received.addAll(racer.drain());
          }
        }
      }

      // The next connection gets what is still queued; then every record has been received and acked.
      Car last = Car.connect(cluster.get(0).mqttPort(), car);
      assertThat(last.sessionPresent()).isTrue();
      int expected = total;
      await().atMost(WAIT).untilAsserted(() -> {
        received.addAll(last.drain());
        assertThat(received).hasSize(expected);
      });
      await().atMost(WAIT).untilAsserted(() -> assertThat(receipts(cluster, prefix, expected, 0)).hasSize(expected)
          .allSatisfy((correlation, statuses) -> assertThat(statuses).as(correlation).contains(Status.ACKED)));
      last.disconnect();
    }
  }

  @Test
  void theSessionItsQueueAndItsQos2StateSurviveARestartOfEveryInstance() throws Exception {
    try (TestCluster cluster = new TestCluster(YAML, 4)) {
      cluster.start(0);
      cluster.start(1);
      cluster.awaitRouted();
      String car = "car-parked-" + System.nanoTime();
      Car made = Car.connect(cluster.get(1).mqttPort(), car);
      made.client.subscribe("DL/#", 1).waitForCompletion(WAIT.toMillis());
      made.disconnect();
      String prefix = car + "-";
      String downlink = TestBridge.downlinkTopic(cluster.deployment());
      for (int i = 0; i < 3; i++) {
        Downlink.send(downlink, car, bytes("m-" + i), "mqtt.topic", "DL/cmd", "correlation.id", prefix + i);
      }
      receipts(cluster, prefix, 3, 3);
      // A QoS 2 PUBLISH written, its PUBREC sent, and the device gone before PUBREL.
      String meter = "meter-" + System.nanoTime();
      byte[] reading = bytes("reading-" + meter);
      try (RawMqttClient device = new RawMqttClient(cluster.get(0).mqttPort())) {
        device.send(MqttPackets.connect(meter, false));
        assertThat(device.read().type()).isEqualTo(RawMqttClient.CONNACK);
        device.send(MqttPackets.publish("UL/" + meter, reading, 2, 9, false));
        assertThat(device.read().type()).isEqualTo(RawMqttClient.PUBREC);
      }

      cluster.stop(0);
      cluster.stop(1);
      // Written while no instance runs: routed (and parked) by the next ones.
      for (int i = 3; i < 5; i++) {
        Downlink.send(downlink, car, bytes("m-" + i), "mqtt.topic", "DL/cmd", "correlation.id", prefix + i);
      }
      cluster.start(2);
      cluster.start(3);
      cluster.awaitRouted();

      Car back = Car.connect(cluster.get(3).mqttPort(), car);
      assertThat(back.sessionPresent()).isTrue();
      assertThat(back.payloads(5)).containsExactly("m-0", "m-1", "m-2", "m-3", "m-4");
      await().atMost(WAIT).untilAsserted(() -> assertThat(receipts(cluster, prefix, 5, 0)).hasSize(5)
          .allSatisfy((correlation, statuses) -> assertThat(statuses).as(correlation)
              .containsSubsequence(Status.QUEUED, Status.DELIVERED, Status.ACKED)));
      back.disconnect();

      // Resent on a new instance after every instance restarted: acknowledged, not written again.
      try (RawMqttClient device = new RawMqttClient(cluster.get(2).mqttPort())) {
        device.send(MqttPackets.connect(meter, false));
        assertThat(device.read().body()[0] & 0x01).as("session present").isEqualTo(1);
        device.send(MqttPackets.publish("UL/" + meter, reading, 2, 9, true));
        RawMqttClient.Packet pubrec = device.read();
        assertThat(pubrec.type()).isEqualTo(RawMqttClient.PUBREC);
        assertThat(pubrec.packetId()).isEqualTo(9);
        device.send(MqttPackets.pubrel(9));
        assertThat(device.read().type()).isEqualTo(RawMqttClient.PUBCOMP);
      }
      assertThat(TestKafka.consumeFor(UPLINK, Duration.ofSeconds(3)).stream()
          .filter(r -> Arrays.equals(r.value(), reading))).as("the QoS 2 message in Kafka").hasSize(1);
    }
  }

  /** Two connections of one client, CONNECT sent at the same moment to two instances; null for a refused one. */
  private static List<Car> race(String clientId, int portA, int portB) throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    List<CompletableFuture<Car>> connecting = new ArrayList<>();
    for (int port : List.of(portA, portB)) {
      connecting.add(CompletableFuture.supplyAsync(() -> {
        try {
          go.await();
          return Car.connect(port, clientId);
        } catch (Exception e) {
          return null; // refused or taken over before its CONNACK
        }
      }));
    }
    go.countDown();
    List<Car> cars = new ArrayList<>();
    for (CompletableFuture<Car> c : connecting) {
      cars.add(c.get());
    }
    return cars;
  }

  /**
   * The statuses of the receipts whose correlation id starts with {@code prefix}, by correlation id in
   * the order written; waits until {@code records} correlation ids and {@code atLeast} receipts are there.
   */
  private static boolean endsSuperseded(Map<String, List<Status>> receipts, String... correlations) {
    for (String c : correlations) {
      List<Status> statuses = receipts.get(c);
      if (statuses == null || statuses.get(statuses.size() - 1) != Status.SUPERSEDED) {
        return false;
      }
    }
    return true;
  }

  private static Map<String, List<Status>> receipts(TestCluster cluster, String prefix, int records, int atLeast) {
    String topic = TestBridge.receiptsTopic(cluster.deployment());
    long deadline = System.nanoTime() + WAIT.toNanos();
    Map<String, List<Status>> found = new HashMap<>();
    int count = 0;
    while (System.nanoTime() < deadline) {
      found = new HashMap<>();
      count = 0;
      for (var r : TestKafka.consume(topic, Integer.MAX_VALUE, Duration.ofMillis(500))) {
        String correlation = header(r.headers().lastHeader("correlation.id"));
        if (correlation != null && correlation.startsWith(prefix)) {
          found.computeIfAbsent(correlation, k -> new ArrayList<>()).add(Receipt.fromJson(r.value()).status());
          count++;
        }
      }
      if (found.size() >= records && count >= atLeast) {
        return found;
      }
    }
    assertThat(found).as("receipts of %s (%d)", prefix, count).hasSizeGreaterThanOrEqualTo(records);
    assertThat(count).as("receipts of %s: %s", prefix, found).isGreaterThanOrEqualTo(atLeast);
    return found;
  }

  /** A persistent MQTT 3.1.1 client (CleanSession 0) and what it received. */
  private record Car(MqttAsyncClient client, IMqttToken token, Received received) {

    static Car connect(int port, String clientId) throws Exception {
      MqttAsyncClient client = new MqttAsyncClient("tcp://127.0.0.1:" + port, clientId, new MemoryPersistence());
      Received received = new Received();
      client.setCallback(received);
      MqttConnectOptions options = new MqttConnectOptions();
      options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
      options.setCleanSession(false);
      options.setAutomaticReconnect(false);
      options.setConnectionTimeout(20);
      try {
        IMqttToken token = client.connect(options);
        token.waitForCompletion(WAIT.toMillis());
        return new Car(client, token, received);
      } catch (Exception e) {
        client.close(true);
        throw e;
      }
    }

    boolean sessionPresent() {
      return token.getSessionPresent();
    }

    boolean connected() {
      return client.isConnected() && !received.connectionLost();
    }

    List<String> payloads(int count) throws InterruptedException {
      List<String> payloads = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        Received.Message message = received.next(WAIT.toMillis());
        assertThat(message).as("message %d of %d (got %s)", i + 1, count, payloads).isNotNull();
        payloads.add(new String(message.payload(), StandardCharsets.UTF_8));
      }
      return payloads;
    }

    /** What it received so far and was not taken yet. */
    List<String> drain() throws InterruptedException {
      List<String> payloads = new ArrayList<>();
      Received.Message message;
      while ((message = received.next(0)) != null) {
        payloads.add(new String(message.payload(), StandardCharsets.UTF_8));
      }
      return payloads;
    }

    void disconnect() throws Exception {
      if (client.isConnected()) {
        client.disconnect().waitForCompletion(WAIT.toMillis());
      }
      client.close(true);
    }
  }

  private static String header(Header header) {
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
