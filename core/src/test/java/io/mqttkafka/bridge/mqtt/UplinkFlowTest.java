package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.config.ConfigLoader;
import io.mqttkafka.bridge.metrics.MetricTags.ProtocolError;
import io.mqttkafka.bridge.testsupport.FakeMqttEndpoint;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The uplink of one connection (UplinkFlow, driven through its DeviceSession): acknowledgements only
 * after Kafka and in arrival order, QoS 2 de-duplication, failures, order after a failure, the
 * connection's limits and the drain on shutdown. A fake endpoint records what the client is sent;
 * the test decides when, and in which order, Kafka takes each record.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class UplinkFlowTest {

  private static final int MQTT_3_1_1 = 4;
  private static final int MQTT_5 = 5;

  @Test
  void qos1PubackOnlyOnceKafkaHasTheRecordAndInArrivalOrder(Vertx vertx) throws Exception {
    SessionHarness h = new SessionHarness(vertx, new FakeMqttEndpoint("car1", MQTT_5));
    h.publish(1, 1, "UL/a", "first");
    h.publish(2, 1, "UL/b", "second");

    assertThat(h.uplinkPayloads()).containsExactly("first", "second");
    assertThat(h.endpoint.sent()).as("nothing acknowledged before Kafka has it").isEmpty();

    h.complete(h.uplink().get(1));
    assertThat(h.endpoint.sent()).as("the second waits for the first [MQTT-4.6.0-2]").isEmpty();

    h.complete(h.uplink().get(0));
    assertThat(h.endpoint.sent()).containsExactly("PUBACK 1", "PUBACK 2");
  }

  @Test
  void aResentQos2PacketIdIsNeverWrittenTwiceAndGetsPubrecAgainOnceWritten(Vertx vertx) throws Exception {
    SessionHarness h = new SessionHarness(vertx, new FakeMqttEndpoint("car1", MQTT_5));
    h.publish(7, 2, "UL/a", "once");
    h.publish(7, 2, "UL/a", "once");
    assertThat(h.uplinkPayloads()).as("a resend while Kafka writes it").containsExactly("once");
    assertThat(h.endpoint.sent()).isEmpty();

    h.complete(h.uplink().get(0));
    h.publish(7, 2, "UL/a", "once");
    assertThat(h.uplinkPayloads()).as("a resend after PUBREC").containsExactly("once");
    assertThat(h.endpoint.sent()).containsExactly("PUBREC 7", "PUBREC 7");

    h.onLoop(() -> h.endpoint.receivePubrel(7));
    h.publish(7, 2, "UL/a", "next");
    assertThat(h.endpoint.sent()).containsExactly("PUBREC 7", "PUBREC 7", "PUBCOMP 7");
    assertThat(h.uplinkPayloads()).as("after PUBREL the id is free for a new message").containsExactly("once", "next");
  }

  @Test
  void aFailedQos1PublishClosesAnMqtt311ConnectionWithoutPuback(Vertx vertx) throws Exception {
    SessionHarness h = new SessionHarness(vertx, new FakeMqttEndpoint("car1", MQTT_3_1_1));
    h.publish(1, 1, "UL/a", "lost");

    h.fail(h.uplink().get(0), new KafkaException("Kafka is away"));

    assertThat(h.endpoint.sent()).as("MQTT 3.1.1 has no negative PUBACK: the client resends").containsExactly("CLOSE");
    assertThat(h.endpoint.closed()).isTrue();
    assertThat(h.count("connections.closed", "reason", CloseReason.UPLINK_FAILURE)).isEqualTo(1);
  }

  @Test
  void aFailedQos1PublishOfAnMqtt5ClientGetsANegativePubackAndTheConnectionStays(Vertx vertx) throws Exception {
    SessionHarness h = new SessionHarness(vertx, new FakeMqttEndpoint("car1", MQTT_5));
    h.publish(1, 1, "UL/a", "refused");
    h.publish(2, 1, "UL/b", "taken");

    h.fail(h.uplink().get(0), new TopicAuthorizationException("no ACL for cs.uplink"));
    h.complete(h.uplink().get(1));

    assertThat(h.endpoint.sent()).containsExactly("PUBACK 1 NOT_AUTHORIZED", "PUBACK 2");
    assertThat(h.endpoint.closing()).isFalse();
  }

  @Test
  void afterAFailureThatClosesTheConnectionLaterPublishesAreNotWritten(Vertx vertx) throws Exception {
    SessionHarness h = new SessionHarness(vertx, new FakeMqttEndpoint("car1", MQTT_3_1_1));
    h.publish(1, 1, "UL/a", "one");
    h.publish(2, 1, "UL/a", "two");
    h.fail(h.uplink().get(1), new KafkaException("Kafka is away"));

    h.publish(3, 1, "UL/a", "three");
    h.publish(4, 0, "UL/a", "four at QoS 0");

    assertThat(h.uplinkPayloads()).as("the client resends from 'two' on, so 'three' must not go ahead of it")
        .containsExactly("one", "two", "four at QoS 0");
    h.complete(h.uplink().get(0));
    assertThat(h.endpoint.sent()).containsExactly("PUBACK 1", "CLOSE");
  }

  @Test
  void moreUnacknowledgedQos1PublishesThanTheReceiveMaximumDisconnectWith0x93(Vertx vertx) throws Exception {
    SessionHarness h = new SessionHarness(vertx, new FakeMqttEndpoint("car1", MQTT_5),
        Map.of(ConfigLoader.envName("mqtt.receiveMaximum"), "2"));
    h.publish(1, 1, "UL/a", "one");
    h.publish(2, 2, "UL/a", "two");
    h.publish(3, 1, "UL/a", "three");

    assertThat(h.endpoint.sent()).containsExactly("DISCONNECT RECEIVE_MAXIMUM_EXCEEDED", "CLOSE");
    assertThat(h.uplinkPayloads()).containsExactly("one", "two");
    assertThat(h.count("protocol.errors", "type", ProtocolError.RECEIVE_MAXIMUM)).isEqualTo(1);
    assertThat(h.count("connections.closed", "reason", CloseReason.PROTOCOL_ERROR)).isEqualTo(1);
  }

  @Test
  void withTopicAliasMaximum0ATopicAliasDisconnectsWith0x94AndIsNotWritten(Vertx vertx) throws Exception {
    SessionHarness h = new SessionHarness(vertx, new FakeMqttEndpoint("car1", MQTT_5),
        Map.of(ConfigLoader.envName("mqtt.topicAliasMaximum"), "0"));
    MqttProperties alias = new MqttProperties();
    alias.add(new MqttProperties.IntegerProperty(MqttProperties.TOPIC_ALIAS, 1));

    h.publish(1, 1, "UL/a", "aliased", alias);

    assertThat(h.endpoint.sent()).containsExactly("DISCONNECT TOPIC_ALIAS_INVALID", "CLOSE");
    assertThat(h.uplink()).isEmpty();
    assertThat(h.count("protocol.errors", "type", ProtocolError.TOPIC_ALIAS)).isEqualTo(1);
  }

  @Test
  void anAliasOnlyPublishWithAnEmptyTopicDisconnectsWith0x94(Vertx vertx) throws Exception {
    SessionHarness h = new SessionHarness(vertx, new FakeMqttEndpoint("car1", MQTT_5));

    h.publish(1, 0, "", "alias only");

    assertThat(h.endpoint.sent()).containsExactly("DISCONNECT TOPIC_ALIAS_INVALID", "CLOSE");
    assertThat(h.uplink()).isEmpty();
  }

  @Test
  void onShutdownNewQos1And2PublishesAreLeftUnansweredAndTheConnectionClosesOnceTheHeldOnesAreAcknowledged(
      Vertx vertx) throws Exception {
    SessionHarness h = new SessionHarness(vertx, new FakeMqttEndpoint("car1", MQTT_5));
    h.publish(1, 1, "UL/a", "held");
    h.publish(2, 2, "UL/a", "held too");

    h.session.shutdown();
    h.settle();
    assertThat(h.endpoint.sent()).as("it waits for the held ones").isEmpty();

    h.publish(3, 1, "UL/a", "after shutdown");
    h.publish(4, 2, "UL/a", "after shutdown too");
    assertThat(h.uplinkPayloads()).as("resent to another instance after the DISCONNECT")
        .containsExactly("held", "held too");

    h.complete(h.uplink().get(0));
    assertThat(h.endpoint.sent()).containsExactly("PUBACK 1");
    h.complete(h.uplink().get(1));
    assertThat(h.endpoint.sent()).containsExactly("PUBACK 1", "PUBREC 2", "DISCONNECT SERVER_SHUTTING_DOWN", "CLOSE");
    assertThat(h.count("connections.closed", "reason", CloseReason.SHUTDOWN)).isEqualTo(1);
  }

  @Test
  void onShutdownAConnectionHoldingNothingClosesAtOnce(Vertx vertx) throws Exception {
    SessionHarness h = new SessionHarness(vertx, new FakeMqttEndpoint("car1", MQTT_5));

    h.session.shutdown();
    h.settle();

    assertThat(h.endpoint.sent()).containsExactly("DISCONNECT SERVER_SHUTTING_DOWN", "CLOSE");
  }
}
