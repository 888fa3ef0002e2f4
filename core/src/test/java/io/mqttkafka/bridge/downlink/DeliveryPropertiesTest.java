package io.mqttkafka.bridge.downlink;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttkafka.bridge.bus.DownlinkMessage;
import io.mqttkafka.bridge.kafka.BufferSerializer;
import io.mqttkafka.bridge.kafka.KafkaSender;
import io.mqttkafka.bridge.kafka.ReceiptWriter;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.records.DownlinkProperties;
import io.mqttkafka.bridge.records.TraceHeaders;
import io.mqttkafka.bridge.records.DownlinkProperties.UserProperty;
import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.testsupport.FakeMqttEndpoint;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A downlink message's MQTT 5 properties on its way to the device (DeviceDelivery): sent to an MQTT 5
 * device with what is left of the TTL as Message Expiry Interval, left out for an MQTT 3.1.1 device
 * (its receipt says so), a message that expired while it waited is not sent, nor one larger than
 * the device's Maximum Packet Size. Receipts go through the real ReceiptWriter into MockProducer.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class DeliveryPropertiesTest {

  private static final String RECEIPTS = "test.receipts";
  private static final DownlinkProperties COMMAND = new DownlinkProperties("application/json", 1, "RSP/car1/42",
      new byte[] {0, (byte) 0xFF}, List.of(new UserProperty("traceparent", "00-abc-01")), 60_000);

  private final ManualClock clock = new ManualClock();
  private final MockProducer<String, Buffer> producer =
      new MockProducer<>(true, null, new StringSerializer(), new BufferSerializer());
  private final BridgeMetrics metrics = new BridgeMetrics(new SimpleMeterRegistry());
  private ReceiptWriter receipts;

  @BeforeEach
  void receiptWriter(Vertx vertx) {
    receipts = new ReceiptWriter(new KafkaSender(vertx, producer, 100_000_000, 60_000), RECEIPTS, "i-test", metrics);
  }

  @Test
  void anMqtt5DeviceGetsThePropertiesAndTheRestOfTheTtlAsExpiry() {
    FakeMqttEndpoint endpoint = new FakeMqttEndpoint("car1", 5);
    long written = ManualClock.WALL_START_MS - 15_500; // 15.5 s of its 60 s gone

    delivery(endpoint).deliver(message(1, written, COMMAND));

    assertThat(endpoint.sent()).containsExactly("PUBLISH DL/car1 qos=1 id=1");
    MqttProperties sent = endpoint.publishedProperties().get(0);
    assertThat(sent.getProperty(MqttProperties.RESPONSE_TOPIC).value()).isEqualTo("RSP/car1/42");
    assertThat((byte[]) sent.getProperty(MqttProperties.CORRELATION_DATA).value()).containsExactly(0, (byte) 0xFF);
    assertThat(sent.getProperty(MqttProperties.CONTENT_TYPE).value()).isEqualTo("application/json");
    assertThat(sent.getProperty(MqttProperties.PAYLOAD_FORMAT_INDICATOR).value()).isEqualTo(1);
    assertThat(sent.getProperty(MqttProperties.PUBLICATION_EXPIRY_INTERVAL).value())
        .as("44.5 s left, rounded up [MQTT-3.3.2-6]").isEqualTo(45);
    assertThat(((MqttProperties.UserProperty) sent.getProperties(MqttProperties.USER_PROPERTY).get(0)).value().key)
        .isEqualTo("traceparent");
    assertThat(receipts()).containsExactly("1 delivered -");
  }

  @Test
  void anMqtt311DeviceGetsTheMessageWithoutPropertiesAndTheReceiptSaysSo() {
    FakeMqttEndpoint endpoint = new FakeMqttEndpoint("car1", 4);

    delivery(endpoint).deliver(message(1, ManualClock.WALL_START_MS, COMMAND));
    delivery(endpoint).deliver(message(2, ManualClock.WALL_START_MS, DownlinkProperties.ttlOnly(60_000)));

    assertThat(endpoint.publishedProperties()).containsOnly(MqttProperties.NO_PROPERTIES);
    assertThat(receipts()).containsExactly(
        "1 delivered an MQTT 3.1.1 device: the record's MQTT 5 properties were not sent", "2 delivered -");
  }

  @Test
  void aMessageWhoseTtlRanOutWhileItWaitedBehindTheWindowExpiresUnsent() {
    FakeMqttEndpoint endpoint = new FakeMqttEndpoint("car1", 5);
    DeviceDelivery delivery = delivery(endpoint, 1);
    delivery.deliver(message(1, ManualClock.WALL_START_MS, DownlinkProperties.NONE));
    delivery.deliver(message(2, ManualClock.WALL_START_MS, DownlinkProperties.ttlOnly(1_000)));

    clock.advance(1_001);
    delivery.onPuback(1);

    assertThat(endpoint.sent()).containsExactly("PUBLISH DL/car1 qos=1 id=1");
    assertThat(receipts()).containsExactly("1 delivered -", "1 acked -",
        "2 expired its ttl.ms passed while it waited for the device");
  }

  @Test
  void aPublishLargerThanTheDevicesMaximumPacketSizeIsRejectedUnsentAndTheNextGoesOut() {
    MqttProperties connect = new MqttProperties();
    connect.add(new MqttProperties.IntegerProperty(MqttProperties.MAXIMUM_PACKET_SIZE, 100));
    FakeMqttEndpoint endpoint = new FakeMqttEndpoint("car1", 5, null, connect);
    DeviceDelivery delivery = delivery(endpoint);
    DownlinkProperties big = new DownlinkProperties(null, DownlinkProperties.NO_FORMAT, null, null,
        List.of(new UserProperty("k", "v".repeat(80))), -1);
    // 1 + 1 (remaining length) + 2 + 7 (topic) + 2 (packet id) + 1 (no properties) + 86 (payload)
    long exact = PublishProperties.packetSize("DL/car1", 1, DownlinkProperties.NONE, -1, 86);
    assertThat(exact).as("the test's own arithmetic").isEqualTo(100);

    delivery.deliver(message(1, ManualClock.WALL_START_MS, big));
    delivery.deliver(message(2, ManualClock.WALL_START_MS, DownlinkProperties.NONE, 86));
    delivery.deliver(message(3, ManualClock.WALL_START_MS, DownlinkProperties.NONE, 87));

    assertThat(endpoint.sent()).containsExactly("PUBLISH DL/car1 qos=1 id=1");
    assertThat(receipts()).containsExactly(
        "1 rejected the PUBLISH would take 108 bytes, more than the device's Maximum Packet Size (100)",
        "2 delivered -",
        "3 rejected the PUBLISH would take 101 bytes, more than the device's Maximum Packet Size (100)");
  }

  @Test
  void packetIdsCountTo65535ThenStartAgainSkippingThoseStillAwaitingPuback() {
    assertThat(DeviceDelivery.nextPacketId(0, id -> false)).isEqualTo(1);
    assertThat(DeviceDelivery.nextPacketId(65_534, id -> false)).isEqualTo(65_535);
    assertThat(DeviceDelivery.nextPacketId(65_535, id -> false)).isEqualTo(1);
    assertThat(DeviceDelivery.nextPacketId(65_535, Set.of(1, 2)::contains)).isEqualTo(3);
    assertThat(DeviceDelivery.nextPacketId(7, Set.of(8)::contains)).isEqualTo(9);
  }

  @Test
  void eachQos1PublishGetsTheNextPacketIdAndQos0None() {
    FakeMqttEndpoint endpoint = new FakeMqttEndpoint("car1", 5);
    DeviceDelivery delivery = delivery(endpoint);

    delivery.deliver(message(1, ManualClock.WALL_START_MS, DownlinkProperties.NONE));
    delivery.deliver(new DownlinkMessage("car1", "c-1", "DL/car1", 0, null, 0, 2, 0, 2, ManualClock.WALL_START_MS,
        Buffer.buffer("q0"), DownlinkProperties.NONE, DownlinkMessage.FIRST_SEND, false, TraceHeaders.NONE));
    delivery.deliver(message(3, ManualClock.WALL_START_MS, DownlinkProperties.NONE));

    assertThat(endpoint.sent()).containsExactly("PUBLISH DL/car1 qos=1 id=1", "PUBLISH DL/car1 qos=0 id=0",
        "PUBLISH DL/car1 qos=1 id=2");
  }

  private DeviceDelivery delivery(FakeMqttEndpoint endpoint) {
    return delivery(endpoint, 10);
  }

  private DeviceDelivery delivery(FakeMqttEndpoint endpoint, int receiveMaximum) {
    return new DeviceDelivery(endpoint, clock, receipts, metrics, new DeviceDelivery.Terms(receiveMaximum, 30_000,
        false), () -> { });
  }

  private static DownlinkMessage message(long offset, long timestamp, DownlinkProperties properties) {
    return message(offset, timestamp, properties, 8);
  }

  private static DownlinkMessage message(long offset, long timestamp, DownlinkProperties properties, int payload) {
    return new DownlinkMessage("car1", "c-1", "DL/car1", 1, "corr-" + offset, 0, offset, 0, offset, timestamp,
        Buffer.buffer(new byte[payload]), properties, DownlinkMessage.FIRST_SEND, false, TraceHeaders.NONE);
  }

  /** The receipts in Kafka, as "offset status detail" ("-" for no detail), in order. */
  private List<String> receipts() {
    return producer.history().stream()
        .filter(r -> r.topic().equals(RECEIPTS))
        .map(r -> Receipt.fromJson(r.value().getBytes()))
        .map(r -> r.offset() + " " + r.status().metricTag() + " " + (r.detail() == null ? "-" : r.detail()))
        .toList();
  }
}
