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
 * {@link DeviceDelivery} for a clean session and a record kept for its client ({@code mqtt.offline}
 * {@code queue}): one the connection ends before it is sent is handed back to the router to keep
 * ({@link Parked}), not ended {@code offline}; one sent keeps the clean session's receipts. The fleet
 * churn test found kept records ending {@code queued}, {@code offline} and never delivered: a clean
 * device had left while its queue was being drained to it.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class KeptDeliveryTest {

  private static final long ACK_TIMEOUT_MS = 30_000;

  private final ManualClock clock = new ManualClock();
  private final FakeMqttEndpoint endpoint = new FakeMqttEndpoint("phone1", 5);
  private final MockProducer<String, Buffer> producer =
      new MockProducer<>(true, null, new StringSerializer(), new BufferSerializer());
  private DeviceDelivery delivery;

  @BeforeEach
  void delivery(Vertx vertx) {
    BridgeMetrics metrics = new BridgeMetrics(new SimpleMeterRegistry());
    ReceiptWriter receipts = new ReceiptWriter(new KafkaSender(vertx, producer, 100_000_000, 60_000), "test.receipts",
        "i-test", metrics);
    delivery = new DeviceDelivery(endpoint, clock, receipts, metrics, new DeviceDelivery.Terms(1, ACK_TIMEOUT_MS, false),
        () -> { });
  }

  @Test
  void aKeptMessageBehindTheWindowIsHandedBackUnsentWhenItsCleanConnectionEnds() {
    Future<Void> inFlight = delivery.deliver(message(1, true));
    Future<Void> waiting = delivery.deliver(message(2, true));

    delivery.closed();

    assertThat(inFlight.succeeded()).as("answered by its delivered receipt").isTrue();
    assertThat(outcome(waiting)).isEqualTo(Outcome.parked(0, Status.OFFLINE, "connection closed before delivery"));
    assertThat(receipts()).containsExactly("1 delivered", "1 timeout");
  }

  @Test
  void aKeptMessageForAClosedCleanConnectionIsHandedBackUnsent() {
    delivery.closed();

    Future<Void> answer = delivery.deliver(message(1, true));

    assertThat(outcome(answer).packetId()).isZero();
    assertThat(receipts()).isEmpty();
  }

  @Test
  void aMessageNotKeptStillEndsOfflineWhenItsCleanConnectionEnds() {
    delivery.deliver(message(1, false));
    Future<Void> waiting = delivery.deliver(message(2, false));

    delivery.closed();

    assertThat(waiting.succeeded()).as("answered by its offline receipt").isTrue();
    assertThat(receipts()).containsExactly("1 delivered", "1 timeout", "2 offline");
  }

  private static Outcome outcome(Future<Void> answer) {
    assertThat(answer.failed()).as("handed back").isTrue();
    assertThat(answer.cause()).isInstanceOf(Parked.class);
    return ((Parked) answer.cause()).outcome();
  }

  private static DownlinkMessage message(long offset, boolean kept) {
    return new DownlinkMessage("phone1", "c-1", "DL/phone1", 1, "corr-" + offset, 0, offset, 0, offset, 0L,
        Buffer.buffer("p"), DownlinkProperties.NONE, DownlinkMessage.FIRST_SEND, kept, TraceHeaders.NONE);
  }

  private List<String> receipts() {
    return producer.history().stream().map(r -> Receipt.fromJson(r.value().getBytes()))
        .map(r -> r.offset() + " " + r.status().metricTag()).toList();
  }
}
