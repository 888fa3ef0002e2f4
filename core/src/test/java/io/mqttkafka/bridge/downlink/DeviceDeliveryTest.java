package io.mqttkafka.bridge.downlink;

import io.mqttkafka.bridge.bus.DownlinkMessage;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttkafka.bridge.kafka.BufferSerializer;
import io.mqttkafka.bridge.kafka.KafkaSender;
import io.mqttkafka.bridge.kafka.ReceiptWriter;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.records.DownlinkProperties;
import io.mqttkafka.bridge.records.TraceHeaders;
import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.testsupport.FakeMqttEndpoint;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Downlink PUBLISH to one device and its receipts (DeviceDelivery): the device's in-flight window, the
 * bounded queue behind it, the ack timeout on a clock the test moves, what a close leaves behind,
 * and a device that does not read. Receipts go through the real ReceiptWriter and KafkaSender into
 * Kafka's MockProducer, which takes each at once; the test names a message by its offset.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class DeviceDeliveryTest {

  private static final long ACK_TIMEOUT_MS = 30_000;
  private static final String RECEIPTS = "test.receipts";

  private final ManualClock clock = new ManualClock();
  private final FakeMqttEndpoint endpoint = new FakeMqttEndpoint("car1", 5);
  private final MockProducer<String, Buffer> producer =
      new MockProducer<>(true, null, new StringSerializer(), new BufferSerializer());
  private final BridgeMetrics metrics = new BridgeMetrics(new SimpleMeterRegistry());
  private ReceiptWriter receipts;
  private int slowConsumerCloses;

  @BeforeEach
  void receiptWriter(Vertx vertx) {
    receipts = new ReceiptWriter(new KafkaSender(vertx, producer, 100_000_000, 60_000), RECEIPTS, "i-test", metrics);
  }

  @Test
  void atMostTheReceiveMaximumOfQos1MessagesAwaitPubackAndTheNextGoesOutOnPuback() {
    DeviceDelivery delivery = delivery(2);
    delivery.deliver(message(1, 1));
    delivery.deliver(message(2, 1));
    Future<Void> third = delivery.deliver(message(3, 1));

    assertThat(endpoint.sent()).containsExactly("PUBLISH DL/car1 qos=1 id=1", "PUBLISH DL/car1 qos=1 id=2");
    assertThat(third.isComplete()).as("waits behind the window [MQTT-3.3.4-7]").isFalse();

    delivery.onPuback(1);

    assertThat(endpoint.sent()).containsExactly("PUBLISH DL/car1 qos=1 id=1", "PUBLISH DL/car1 qos=1 id=2",
        "PUBLISH DL/car1 qos=1 id=3");
    assertThat(third.succeeded()).isTrue();
    assertThat(receipts()).containsExactly("1 delivered", "2 delivered", "1 acked", "3 delivered");
  }

  @Test
  void qos0IsNotHeldByAFullWindow() {
    DeviceDelivery delivery = delivery(1);
    delivery.deliver(message(1, 1));

    delivery.deliver(message(2, 0));

    assertThat(endpoint.sent()).containsExactly("PUBLISH DL/car1 qos=1 id=1", "PUBLISH DL/car1 qos=0 id=0");
    assertThat(receipts()).containsExactly("1 delivered", "2 delivered");
  }

  @Test
  void beyondAFullWindowAndAFullQueueAMessageIsRejected() {
    DeviceDelivery delivery = delivery(1);
    delivery.deliver(message(0, 1));
    for (int i = 1; i <= DeviceDelivery.MAX_QUEUED; i++) {
      delivery.deliver(message(i, 1));
    }

    Future<Void> refused = delivery.deliver(message(DeviceDelivery.MAX_QUEUED + 1, 1));

    assertThat(refused.succeeded()).as("answered once its receipt is in Kafka").isTrue();
    assertThat(receipts()).containsExactly("0 delivered", (DeviceDelivery.MAX_QUEUED + 1) + " rejected");
    assertThat(endpoint.sent()).hasSize(1);
  }

  @Test
  void noPubackWithinTheAckTimeoutGivesTimeoutAndFreesTheSlot() {
    DeviceDelivery delivery = delivery(1);
    delivery.deliver(message(1, 1));
    delivery.deliver(message(2, 1));

    clock.advance(ACK_TIMEOUT_MS - 1);
    assertThat(receipts()).containsExactly("1 delivered");

    clock.advance(1);
    assertThat(receipts()).containsExactly("1 delivered", "1 timeout", "2 delivered");

    delivery.onPuback(1);
    assertThat(receipts()).as("a PUBACK after the timeout changes nothing")
        .containsExactly("1 delivered", "1 timeout", "2 delivered");
  }

  @Test
  void eachMessageTimesOutAtItsOwnDeadlineWithOneTimer() {
    DeviceDelivery delivery = delivery(10);
    delivery.deliver(message(1, 1));
    clock.advance(500);
    delivery.deliver(message(2, 1));
    assertThat(clock.armed()).as("one timer per connection, not per message").isEqualTo(1);

    clock.advance(ACK_TIMEOUT_MS - 500);
    assertThat(receipts()).as("the first one's deadline, not yet the second one's")
        .containsExactly("1 delivered", "2 delivered", "1 timeout");

    clock.advance(499);
    assertThat(receipts()).containsExactly("1 delivered", "2 delivered", "1 timeout");
    clock.advance(2);
    assertThat(receipts()).containsExactly("1 delivered", "2 delivered", "1 timeout", "2 timeout");
    assertThat(clock.armed()).isZero();
  }

  @Test
  void aCloseGivesTheUnacknowledgedTimeoutAndTheQueuedOffline() {
    DeviceDelivery delivery = delivery(1);
    delivery.deliver(message(1, 1));
    Future<Void> queued = delivery.deliver(message(2, 1));

    delivery.closed();

    assertThat(receipts()).containsExactly("1 delivered", "1 timeout", "2 offline");
    assertThat(queued.succeeded()).isTrue();
    assertThat(clock.armed()).as("the ack timer is cancelled").isZero();

    delivery.deliver(message(3, 1));
    assertThat(receipts()).containsExactly("1 delivered", "1 timeout", "2 offline", "3 offline");
    assertThat(endpoint.sent()).containsExactly("PUBLISH DL/car1 qos=1 id=1");
  }

  @Test
  void aDeviceThatDoesNotReadIsClosedAsASlowConsumer() {
    endpoint.holdWrites();
    DeviceDelivery delivery = delivery(10);
    delivery.deliver(message(1, 0, 600 * 1024));

    Future<Void> second = delivery.deliver(message(2, 0, 600 * 1024));

    assertThat(slowConsumerCloses).isEqualTo(1);
    assertThat(endpoint.sent()).containsExactly("PUBLISH DL/car1 qos=0 id=0");
    assertThat(receipts()).containsExactly("2 offline");
    assertThat(second.succeeded()).isTrue();
  }

  @Test
  void aDeviceThatReadsIsNeverASlowConsumer() {
    DeviceDelivery delivery = delivery(10);

    for (int i = 1; i <= 3; i++) {
      delivery.deliver(message(i, 0, 600 * 1024));
    }

    assertThat(slowConsumerCloses).isZero();
    assertThat(receipts()).containsExactly("1 delivered", "2 delivered", "3 delivered");
  }

  private DeviceDelivery delivery(int receiveMaximum) {
    return new DeviceDelivery(endpoint, clock, receipts, metrics,
        new DeviceDelivery.Terms(receiveMaximum, ACK_TIMEOUT_MS, false), () -> slowConsumerCloses++);
  }

  private static DownlinkMessage message(long offset, int qos) {
    return message(offset, qos, 8);
  }

  private static DownlinkMessage message(long offset, int qos, int payloadBytes) {
    return new DownlinkMessage("car1", "c-1", "DL/car1", qos, "corr-" + offset, 0, offset, 0, offset, 0L,
        Buffer.buffer(new byte[payloadBytes]), DownlinkProperties.NONE, DownlinkMessage.FIRST_SEND, false,
        TraceHeaders.NONE);
  }

  /** The receipts in Kafka, as "offset status", in order. */
  private List<String> receipts() {
    return producer.history().stream()
        .filter(r -> r.topic().equals(RECEIPTS))
        .map(r -> Receipt.fromJson(r.value().getBytes()))
        .map(r -> r.offset() + " " + r.status().metricTag())
        .toList();
  }
}
