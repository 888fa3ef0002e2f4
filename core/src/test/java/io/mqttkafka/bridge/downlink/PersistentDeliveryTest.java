package io.mqttkafka.bridge.downlink;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttkafka.bridge.bus.DownlinkMessage;
import io.mqttkafka.bridge.bus.InstanceProtocol.Outcome;
import io.mqttkafka.bridge.kafka.BufferSerializer;
import io.mqttkafka.bridge.kafka.KafkaSender;
import io.mqttkafka.bridge.kafka.ReceiptWriter;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.records.DownlinkProperties;
import io.mqttkafka.bridge.records.TraceHeaders;
import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.records.Receipt.Status;
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
 * {@link DeviceDelivery} for a persistent session: the router is answered with a message's final
 * receipt; a message the connection ends before its PUBACK is handed back to be kept ({@link Parked},
 * with its packet id) instead of a receipt; a message sent before goes again with DUP and, when it is
 * free, its packet id.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class PersistentDeliveryTest {

  private static final long ACK_TIMEOUT_MS = 30_000;

  private final ManualClock clock = new ManualClock();
  private final FakeMqttEndpoint endpoint = new FakeMqttEndpoint("car1", 5);
  private final MockProducer<String, Buffer> producer =
      new MockProducer<>(true, null, new StringSerializer(), new BufferSerializer());
  private DeviceDelivery delivery;

  @BeforeEach
  void delivery(Vertx vertx) {
    BridgeMetrics metrics = new BridgeMetrics(new SimpleMeterRegistry());
    ReceiptWriter receipts = new ReceiptWriter(new KafkaSender(vertx, producer, 100_000_000, 60_000), "test.receipts",
        "i-test", metrics);
    delivery = new DeviceDelivery(endpoint, clock, receipts, metrics, new DeviceDelivery.Terms(2, ACK_TIMEOUT_MS, true),
        () -> { });
  }

  @Test
  void aQos1MessageIsAnsweredWithItsPubackNotWithItsDelivery() {
    Future<Void> answer = delivery.deliver(message(1, 1, DownlinkMessage.FIRST_SEND));

    assertThat(receipts()).containsExactly("1 delivered");
    assertThat(answer.isComplete()).as("waits for the PUBACK").isFalse();
    delivery.onPuback(1);

    assertThat(answer.succeeded()).isTrue();
    assertThat(receipts()).containsExactly("1 delivered", "1 acked");
  }

  @Test
  void aMessageWhoseConnectionEndsBeforeItsPubackIsHandedBackWithItsPacketIdAndNoTimeout() {
    Future<Void> inFlight = delivery.deliver(message(1, 1, DownlinkMessage.FIRST_SEND));
    delivery.deliver(message(2, 1, DownlinkMessage.FIRST_SEND));
    Future<Void> waiting = delivery.deliver(message(3, 1, DownlinkMessage.FIRST_SEND));

    delivery.closed();

    assertThat(outcome(inFlight)).isEqualTo(Outcome.parked(1, Status.TIMEOUT, "connection closed before PUBACK"));
    assertThat(outcome(waiting)).as("never sent: behind the window")
        .isEqualTo(Outcome.parked(0, Status.OFFLINE, "connection closed before delivery"));
    assertThat(receipts()).containsExactly("1 delivered", "2 delivered");
  }

  @Test
  void aMessageSentBeforeGoesAgainWithDupAndItsPacketId() {
    delivery.deliver(message(1, 1, 7));
    delivery.deliver(message(2, 1, 0));

    assertThat(endpoint.sent()).containsExactly("PUBLISH DL/car1 qos=1 id=7 dup", "PUBLISH DL/car1 qos=1 id=1 dup");
  }

  @Test
  void aResentPacketIdStillInUseIsNotUsedTwice() {
    delivery.deliver(message(1, 1, DownlinkMessage.FIRST_SEND));

    delivery.deliver(message(2, 1, 1));

    assertThat(endpoint.sent()).containsExactly("PUBLISH DL/car1 qos=1 id=1", "PUBLISH DL/car1 qos=1 id=2 dup");
  }

  @Test
  void anAckTimeoutIsFinalAndAnswersTheRouter() {
    Future<Void> answer = delivery.deliver(message(1, 1, DownlinkMessage.FIRST_SEND));

    clock.advance(ACK_TIMEOUT_MS + 1);

    assertThat(answer.succeeded()).isTrue();
    assertThat(receipts()).containsExactly("1 delivered", "1 timeout");
  }

  @Test
  void aQos0MessageIsFinalOnceWrittenAndNeverDup() {
    Future<Void> answer = delivery.deliver(message(1, 0, 3));

    assertThat(answer.succeeded()).isTrue();
    assertThat(endpoint.sent()).containsExactly("PUBLISH DL/car1 qos=0 id=0");
  }

  @Test
  void aMessageForAClosedConnectionIsHandedBackUnsent() {
    delivery.closed();

    Future<Void> answer = delivery.deliver(message(1, 1, DownlinkMessage.FIRST_SEND));

    assertThat(outcome(answer).packetId()).isZero();
    assertThat(receipts()).isEmpty();
  }

  private static Outcome outcome(Future<Void> answer) {
    assertThat(answer.failed()).as("handed back").isTrue();
    assertThat(answer.cause()).isInstanceOf(Parked.class);
    return ((Parked) answer.cause()).outcome();
  }

  private static DownlinkMessage message(long offset, int qos, int sent) {
    return new DownlinkMessage("car1", "c-1", "DL/car1", qos, "corr-" + offset, 0, offset, 0, offset, 0L,
        Buffer.buffer("p"), DownlinkProperties.NONE, sent, false, TraceHeaders.NONE);
  }

  private List<String> receipts() {
    return producer.history().stream().map(r -> Receipt.fromJson(r.value().getBytes()))
        .map(r -> r.offset() + " " + r.status().metricTag()).toList();
  }
}
