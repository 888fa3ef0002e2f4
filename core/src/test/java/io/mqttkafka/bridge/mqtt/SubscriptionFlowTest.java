package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.records.PresenceRecord;
import io.mqttkafka.bridge.records.PresenceRecord.Event;
import io.mqttkafka.bridge.testsupport.FakeMqttEndpoint;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttTopicSubscription;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.mqtt.messages.MqttSubscribeMessage;
import io.vertx.mqtt.messages.MqttUnsubscribeMessage;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.KafkaException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * SUBSCRIBE and UNSUBSCRIBE (SubscriptionFlow, driven through its DeviceSession): the device is
 * answered only once the presence record that tells the router is in Kafka, and a subscription whose
 * record Kafka refused is withdrawn. The default configuration allows the filters under DL/.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class SubscriptionFlowTest {

  private SessionHarness h;

  @BeforeEach
  void connect(Vertx vertx) throws Exception {
    h = new SessionHarness(vertx, new FakeMqttEndpoint("car1", 5));
    h.completePresence(); // the "connected" record
  }

  @Test
  void subackOnlyOnceThePresenceRecordWithTheSubscriptionIsInKafka() {
    subscribe(5, "DL/car1/#");

    assertThat(h.endpoint.sent()).as("the router could not know it yet").isEmpty();
    PresenceRecord record = last(h.presence());
    assertThat(record.event()).isEqualTo(Event.SUBSCRIBED);
    assertThat(record.filters()).containsExactly(new PresenceRecord.Subscription("DL/car1/#", 1));

    h.completePresence();
    assertThat(h.endpoint.sent()).containsExactly("SUBACK 5 [GRANTED_QOS1]");
  }

  @Test
  void aSubscriptionWhosePresenceRecordKafkaRefusedIsWithdrawnAndAnswered0x80() {
    subscribe(5, "DL/car1/#");

    h.fail(h.waitingPresence().get(0), new KafkaException("Kafka is away"));
    assertThat(h.endpoint.sent()).containsExactly("SUBACK 5 [UNSPECIFIED_ERROR]");

    h.onLoop(() -> h.endpoint.receiveUnsubscribe(MqttUnsubscribeMessage.create(6, List.of("DL/other"))));
    assertThat(last(h.presence()).filters()).as("the next record no longer holds the refused filter").isEmpty();
  }

  @Test
  void unsubackOnlyOnceThePresenceRecordWithoutTheSubscriptionIsInKafka() {
    subscribe(5, "DL/car1/#");
    h.completePresence();

    h.onLoop(() -> h.endpoint.receiveUnsubscribe(MqttUnsubscribeMessage.create(6, List.of("DL/car1/#"))));
    assertThat(h.endpoint.sent()).containsExactly("SUBACK 5 [GRANTED_QOS1]");
    assertThat(last(h.presence()).event()).isEqualTo(Event.UNSUBSCRIBED);
    assertThat(last(h.presence()).filters()).isEmpty();

    h.completePresence();
    assertThat(h.endpoint.sent()).containsExactly("SUBACK 5 [GRANTED_QOS1]", "UNSUBACK 6 [SUCCESS]");
  }

  private void subscribe(int packetId, String filter) {
    MqttSubscribeMessage message = MqttSubscribeMessage.create(packetId,
        List.of(new MqttTopicSubscription(filter, MqttQoS.AT_LEAST_ONCE)));
    h.onLoop(() -> h.endpoint.receiveSubscribe(message));
  }

  private static PresenceRecord last(List<PresenceRecord> records) {
    return records.get(records.size() - 1);
  }
}
