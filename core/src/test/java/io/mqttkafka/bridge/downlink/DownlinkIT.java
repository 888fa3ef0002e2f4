package io.mqttkafka.bridge.downlink;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.mqttkafka.bridge.testkit.Clients;
import io.mqttkafka.bridge.testsupport.Downlink;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.RawMqttClient;
import io.mqttkafka.bridge.testkit.Received;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Kafka record -> router -> the device, with a receipt for every outcome (one instance). */
class DownlinkIT {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Map<String, String> DEPLOYMENT = TestBridge.isolated();
  private static final String DOWNLINK = TestBridge.downlinkTopic(DEPLOYMENT);
  private static final String RECEIPTS = TestBridge.receiptsTopic(DEPLOYMENT);
  private static Bridge bridge;

  @BeforeAll
  static void start() throws Exception {
    bridge = TestBridge.start("""
        mappings:
          downlink:
            filters: ["DL/#", "cmd/${clientId}/#"]
            ackTimeout: 1s
        """, DEPLOYMENT);
  }

  @AfterAll
  static void stop() {
    bridge.stop();
  }

  @Test
  void subscribedDeviceReceivesTheRecordAndTheBackEndGetsDeliveredAndAcked() throws Exception {
    Received received = new Received();
    MqttAsyncClient car = subscribed("car-dl1", "DL/#", 1, received);
    String correlation = UUID.randomUUID().toString();
    Downlink.send(DOWNLINK, "car-dl1", bytes("warning"), "mqtt.topic", "DL/WARN", "correlation.id", correlation);

    Received.Message message = received.next(WAIT.toMillis());
    assertThat(message).isNotNull();
    assertThat(message.topic()).isEqualTo("DL/WARN");
    assertThat(new String(message.payload(), StandardCharsets.UTF_8)).isEqualTo("warning");
    assertThat(message.qos()).isEqualTo(1);
    List<Receipt> receipts = Downlink.receipts(RECEIPTS, correlation, 2, WAIT);
    assertThat(receipts).extracting(Receipt::status).containsExactly(Status.DELIVERED, Status.ACKED);
    assertThat(receipts.get(0).clientId()).isEqualTo("car-dl1");
    assertThat(receipts.get(0).mqttTopic()).isEqualTo("DL/WARN");
    assertThat(receipts.get(0).instanceId()).isEqualTo(bridge.config().bridge().id());
    car.disconnect().waitForCompletion();
  }

  @Test
  void qosIsTheLowerOfRequestedAndGranted() throws Exception {
    Received received = new Received();
    MqttAsyncClient car = subscribed("car-dl-qos", "DL/#", 0, received);
    String correlation = UUID.randomUUID().toString();
    Downlink.send(DOWNLINK, "car-dl-qos", bytes("q"), "mqtt.topic", "DL/Q", "mqtt.qos", "1",
        "correlation.id", correlation);
    assertThat(received.next(WAIT.toMillis()).qos()).isZero();
    assertThat(Downlink.receipts(RECEIPTS, correlation, 1, WAIT)).extracting(Receipt::status)
        .containsExactly(Status.DELIVERED);
    car.disconnect().waitForCompletion();
  }

  @Test
  void messagesToOneDeviceArriveInOrder() throws Exception {
    Received received = new Received();
    MqttAsyncClient car = subscribed("car-dl-order", "DL/#", 1, received);
    for (int i = 0; i < 200; i++) {
      Downlink.send(DOWNLINK, "car-dl-order", bytes(Integer.toString(i)), "mqtt.topic", "DL/SEQ");
    }
    List<String> got = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      Received.Message message = received.next(WAIT.toMillis());
      assertThat(message).as("message " + i).isNotNull();
      got.add(new String(message.payload(), StandardCharsets.UTF_8));
    }
    assertThat(got).containsExactlyElementsOf(java.util.stream.IntStream.range(0, 200).mapToObj(Integer::toString)
        .toList());
    car.disconnect().waitForCompletion();
  }

  @Test
  void recordForADeviceThatIsNotConnectedGetsOffline() throws Exception {
    String correlation = UUID.randomUUID().toString();
    Downlink.send(DOWNLINK, "car-nowhere", bytes("x"), "mqtt.topic", "DL/WARN", "correlation.id", correlation);
    assertThat(Downlink.receipts(RECEIPTS, correlation, 1, WAIT)).extracting(Receipt::status)
        .containsExactly(Status.OFFLINE);
  }

  @Test
  void recordOnATopicTheDeviceDidNotSubscribeToGetsNotSubscribed() throws Exception {
    MqttAsyncClient car = subscribed("car-dl-ns", "DL/A/#", 1, new Received());
    String correlation = UUID.randomUUID().toString();
    Downlink.send(DOWNLINK, "car-dl-ns", bytes("x"), "mqtt.topic", "DL/B", "correlation.id", correlation);
    assertThat(Downlink.receipts(RECEIPTS, correlation, 1, WAIT)).extracting(Receipt::status)
        .containsExactly(Status.NOT_SUBSCRIBED);
    car.disconnect().waitForCompletion();
  }

  @Test
  void afterUnsubscribeTheDeviceGetsNothingAndTheBackEndNotSubscribed() throws Exception {
    Received received = new Received();
    MqttAsyncClient car = subscribed("car-dl-unsub", "DL/#", 1, received);
    car.unsubscribe("DL/#").waitForCompletion(10_000);
    String correlation = UUID.randomUUID().toString();
    Downlink.send(DOWNLINK, "car-dl-unsub", bytes("x"), "mqtt.topic", "DL/A", "correlation.id", correlation);
    assertThat(Downlink.receipts(RECEIPTS, correlation, 1, WAIT)).extracting(Receipt::status)
        .containsExactly(Status.NOT_SUBSCRIBED);
    assertThat(received.next(500)).isNull();
    car.disconnect().waitForCompletion();
  }

  @Test
  void recordOlderThanItsTtlGetsExpired() throws Exception {
    MqttAsyncClient car = subscribed("car-dl-ttl", "DL/#", 1, new Received());
    String correlation = UUID.randomUUID().toString();
    RecordHeaders headers = new RecordHeaders();
    headers.add("mqtt.topic", bytes("DL/OLD"));
    headers.add("correlation.id", bytes(correlation));
    headers.add("ttl.ms", bytes("1000"));
    TestKafka.producer().send(new ProducerRecord<>(DOWNLINK, null, System.currentTimeMillis() - 60_000,
        "car-dl-ttl", bytes("old"), headers)).get();
    assertThat(Downlink.receipts(RECEIPTS, correlation, 1, WAIT)).extracting(Receipt::status)
        .containsExactly(Status.EXPIRED);
    car.disconnect().waitForCompletion();
  }

  @Test
  void recordsWithoutKeyOrTopicOrWithABadQosAreRejected() throws Exception {
    String noKey = UUID.randomUUID().toString();
    String noTopic = UUID.randomUUID().toString();
    String badQos = UUID.randomUUID().toString();
    String wildcard = UUID.randomUUID().toString();
    Downlink.send(DOWNLINK, null, bytes("x"), "mqtt.topic", "DL/A", "correlation.id", noKey);
    Downlink.send(DOWNLINK, "car-x", bytes("x"), "correlation.id", noTopic);
    Downlink.send(DOWNLINK, "car-x", bytes("x"), "mqtt.topic", "DL/A", "mqtt.qos", "2", "correlation.id", badQos);
    Downlink.send(DOWNLINK, "car-x", bytes("x"), "mqtt.topic", "DL/#", "correlation.id", wildcard);
    for (String correlation : List.of(noKey, noTopic, badQos, wildcard)) {
      List<Receipt> receipts = Downlink.receipts(RECEIPTS, correlation, 1, WAIT);
      assertThat(receipts).extracting(Receipt::status).containsExactly(Status.REJECTED);
      assertThat(receipts.get(0).detail()).isNotBlank();
    }
  }

  @Test
  void recordInAnotherPartitionThanItsClientsIsMovedThereDeliveredAndReceiptedUnderItsOwnName() throws Exception {
    Received received = new Received();
    MqttAsyncClient car = subscribed("car-dl-part", "DL/#", 1, received);
    int right = io.mqttkafka.bridge.testsupport.TestCluster.partitionOf("car-dl-part");
    String correlation = UUID.randomUUID().toString();
    RecordHeaders headers = new RecordHeaders();
    headers.add("mqtt.topic", bytes("DL/P"));
    headers.add("correlation.id", bytes(correlation));
    // What a librdkafka client (kcat) with its default partitioner does: another partition.
    RecordMetadata written = TestKafka.producer()
        .send(new ProducerRecord<>(DOWNLINK, (right + 1) % 3, "car-dl-part", bytes("x"), headers)).get();

    Received.Message message = received.next(WAIT.toMillis());
    assertThat(message).isNotNull();
    assertThat(message.topic()).isEqualTo("DL/P");
    List<Receipt> receipts = Downlink.receipts(RECEIPTS, correlation, 2, WAIT);
    assertThat(receipts).extracting(Receipt::status).containsExactly(Status.DELIVERED, Status.ACKED);
    assertThat(receipts).allSatisfy(r -> {
      assertThat(r.partition()).as("the partition the back end wrote to").isEqualTo(written.partition());
      assertThat(r.offset()).isEqualTo(written.offset());
    });
    car.disconnect().waitForCompletion();
  }

  @Test
  void qos1WithoutPubackWithinTheAckTimeoutGetsTimeout() throws Exception {
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      subscribedQos1(raw, "car-dl-silent");
      String correlation = UUID.randomUUID().toString();
      Downlink.send(DOWNLINK, "car-dl-silent", bytes("x"), "mqtt.topic", "DL/T", "correlation.id", correlation);
      assertThat(raw.read().type()).isEqualTo(3); // PUBLISH, deliberately never acknowledged
      assertThat(Downlink.receipts(RECEIPTS, correlation, 2, WAIT)).extracting(Receipt::status)
          .containsExactly(Status.DELIVERED, Status.TIMEOUT);
    }
  }

  /**
   * One timer per connection covers every in-flight message (the oldest deadline first, armed again
   * for the next): each unacknowledged message still times out on its own deadline, an acknowledged
   * one in between never does.
   */
  @Test
  void eachUnacknowledgedMessageTimesOutOnItsOwnDeadlineAndAnAcknowledgedOneNever() throws Exception {
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      subscribedQos1(raw, "car-dl-some-acks");
      String run = UUID.randomUUID().toString();
      Downlink.send(DOWNLINK, "car-dl-some-acks", bytes("1"), "mqtt.topic", "DL/T", "correlation.id", run + "-1");
      assertThat(raw.read().type()).isEqualTo(3); // never acknowledged
      Thread.sleep(400); // the next two are due later than the first, the third after its timer was armed
      Downlink.send(DOWNLINK, "car-dl-some-acks", bytes("2"), "mqtt.topic", "DL/T", "correlation.id", run + "-2");
      RawMqttClient.Packet second = raw.read();
      assertThat(second.type()).isEqualTo(3);
      byte[] body = second.body();
      int topicLength = ((body[0] & 0xFF) << 8) | (body[1] & 0xFF); // the packet id follows the topic
      raw.send(MqttPackets.packet(0x40, new byte[] {body[2 + topicLength], body[3 + topicLength]}));
      Downlink.send(DOWNLINK, "car-dl-some-acks", bytes("3"), "mqtt.topic", "DL/T", "correlation.id", run + "-3");
      assertThat(raw.read().type()).isEqualTo(3); // never acknowledged

      assertThat(Downlink.receipts(RECEIPTS, run + "-1", 2, WAIT)).extracting(Receipt::status)
          .containsExactly(Status.DELIVERED, Status.TIMEOUT);
      assertThat(Downlink.receipts(RECEIPTS, run + "-3", 2, WAIT)).extracting(Receipt::status)
          .containsExactly(Status.DELIVERED, Status.TIMEOUT);
      List<Receipt> acked = Downlink.receipts(RECEIPTS, run + "-2", 2, WAIT);
      assertThat(acked).extracting(Receipt::status).containsExactly(Status.DELIVERED, Status.ACKED);
      Thread.sleep(1_500); // past the second's own deadline: no timeout receipt follows its ack
      assertThat(Downlink.receipts(RECEIPTS, run + "-2", 3, Duration.ofSeconds(2))).hasSize(2);
    }
  }

  @Test
  void subscribingOutsideTheAllowedFiltersIsRefused() throws Exception {
    MqttAsyncClient car = Clients.v3(bridge.mqttPort(), "car1");
    assertThat(granted(car, "other/#", 1)).containsExactly(0x80);
    assertThat(granted(car, "cmd/car2/#", 1)).containsExactly(0x80);
    assertThat(granted(car, "#", 1)).containsExactly(0x80);
    assertThat(granted(car, "cmd/car1/#", 2)).containsExactly(1);
    car.disconnect().waitForCompletion();
  }

  @Test
  void mqtt5ClientIsToldNotAuthorized() throws Exception {
    org.eclipse.paho.mqttv5.client.MqttAsyncClient car = Clients.v5(bridge.mqttPort(), "car-dl-v5");
    var token = car.subscribe(new org.eclipse.paho.mqttv5.common.MqttSubscription("other/#", 1));
    token.waitForCompletion(10_000);
    assertThat(token.getReasonCodes()).containsExactly(0x87);
    car.disconnect().waitForCompletion();
  }

  @Test
  void invalidFilterClosesTheConnection() throws Exception {
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.connected("car-dl-bad");
      raw.send(MqttPackets.packet(0x82, MqttPackets.concat(new byte[] {0, 1}, MqttPackets.string("DL/#/x"),
          new byte[] {1})));
      assertThat(raw.closedByPeer()).isTrue();
    }
  }

  /** A raw client that connects and subscribes to DL/# at QoS 1, so the test decides when to PUBACK. */
  private static void subscribedQos1(RawMqttClient raw, String clientId) throws Exception {
    raw.connected(clientId);
    raw.send(MqttPackets.packet(0x82, MqttPackets.concat(new byte[] {0, 1}, MqttPackets.string("DL/#"),
        new byte[] {1})));
    assertThat(raw.read().type()).isEqualTo(RawMqttClient.SUBACK);
  }

  private MqttAsyncClient subscribed(String clientId, String filter, int qos, Received received) throws Exception {
    MqttAsyncClient client = Clients.v3(bridge.mqttPort(), clientId);
    client.setCallback(received);
    int[] granted = granted(client, filter, qos);
    if (granted[0] == 0x80) {
      throw new MqttException(MqttException.REASON_CODE_SUBSCRIBE_FAILED);
    }
    return client;
  }

  private static int[] granted(MqttAsyncClient client, String filter, int qos) throws MqttException {
    IMqttToken token = client.subscribe(filter, qos);
    token.waitForCompletion(10_000);
    return token.getGrantedQos();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
