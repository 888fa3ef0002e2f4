package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectPayload;
import io.netty.handler.codec.mqtt.MqttConnectVariableHeader;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageIdAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttSubscribePayload;
import io.netty.handler.codec.mqtt.MqttTopicSubscription;
import io.netty.handler.codec.mqtt.MqttUnsubscribeMessage;
import io.netty.handler.codec.mqtt.MqttUnsubscribePayload;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The packets that decode but break the protocol, as {@link ConnectionGuard} sees them. */
class ConnectionGuardTest {

  @Test
  void validPacketsPass() {
    assertThat(ConnectionGuard.violation(connect(5, true, true, false, 1, true, "UL/will", MqttProperties.NO_PROPERTIES)))
        .isNull();
    assertThat(ConnectionGuard.violation(connect(5, false, true, false, 0, false, null, MqttProperties.NO_PROPERTIES)))
        .as("MQTT 5 allows a password without a user name").isNull();
    assertThat(ConnectionGuard.violation(publish(false, MqttQoS.AT_LEAST_ONCE, property(MqttProperties.RESPONSE_TOPIC, "UL/r"))))
        .isNull();
    assertThat(ConnectionGuard.violation(subscribe(MqttProperties.NO_PROPERTIES, "DL/#"))).isNull();
    assertThat(ConnectionGuard.violation(unsubscribe("DL/#"))).isNull();
    assertThat(ConnectionGuard.violation(reply(MqttMessageType.PUBREL, 0x92))).isNull();
    assertThat(ConnectionGuard.violation(reply(MqttMessageType.PUBACK, 0x10))).isNull();
    assertThat(ConnectionGuard.violation(disconnect(0x04))).isNull();
    assertThat(ConnectionGuard.violation(new MqttMessage(fixed(MqttMessageType.PINGREQ, MqttQoS.AT_MOST_ONCE)))).isNull();
  }

  @Test
  void packetsOnlyAServerSendsAreViolations() {
    for (MqttMessageType type : List.of(MqttMessageType.CONNACK, MqttMessageType.SUBACK, MqttMessageType.UNSUBACK,
        MqttMessageType.PINGRESP, MqttMessageType.AUTH)) {
      assertThat(ConnectionGuard.violation(new MqttMessage(fixed(type, MqttQoS.AT_MOST_ONCE)))).as(type.name()).isNotNull();
    }
  }

  @Test
  void connectRulesAreChecked() {
    MqttProperties none = MqttProperties.NO_PROPERTIES;
    assertThat(ConnectionGuard.violation(connect(4, true, true, false, 3, true, "UL/w", none))).contains("Will QoS 3");
    assertThat(ConnectionGuard.violation(connect(4, true, true, false, 1, false, null, none))).contains("no Will");
    assertThat(ConnectionGuard.violation(connect(4, true, true, true, 0, false, null, none))).contains("no Will");
    assertThat(ConnectionGuard.violation(connect(5, true, true, false, 0, true, "UL/#", none))).contains("wildcard");
    assertThat(ConnectionGuard.violation(connect(4, false, true, false, 0, false, null, none))).contains("password");
    assertThat(ConnectionGuard.violation(connect(5, true, true, false, 0, false, null,
        property(MqttProperties.RECEIVE_MAXIMUM, 0)))).contains("Receive Maximum 0");
    assertThat(ConnectionGuard.violation(connect(5, true, true, false, 0, false, null,
        property(MqttProperties.MAXIMUM_PACKET_SIZE, 0)))).contains("Maximum Packet Size 0");
  }

  @Test
  void publishRulesAreChecked() {
    assertThat(ConnectionGuard.violation(publish(true, MqttQoS.AT_MOST_ONCE, MqttProperties.NO_PROPERTIES))).contains("DUP");
    assertThat(ConnectionGuard.violation(publish(false, MqttQoS.AT_LEAST_ONCE,
        property(MqttProperties.SUBSCRIPTION_IDENTIFIER, 3)))).contains("Subscription Identifier");
    assertThat(ConnectionGuard.violation(publish(false, MqttQoS.AT_LEAST_ONCE,
        property(MqttProperties.RESPONSE_TOPIC, "UL/+/r")))).contains("Response Topic");
  }

  @Test
  void subscribeRulesAreChecked() {
    assertThat(ConnectionGuard.violation(subscribe(MqttProperties.NO_PROPERTIES))).contains("without a topic filter");
    assertThat(ConnectionGuard.violation(subscribe(property(MqttProperties.SUBSCRIPTION_IDENTIFIER, 1), "DL/#")))
        .contains("Subscription Identifier");
    assertThat(ConnectionGuard.violation(unsubscribe())).contains("without a topic filter");
  }

  @Test
  void reasonCodesVertxDoesNotKnowAreViolations() {
    assertThat(ConnectionGuard.violation(reply(MqttMessageType.PUBREL, 0x05))).contains("unknown reason code");
    assertThat(ConnectionGuard.violation(reply(MqttMessageType.PUBACK, 0x81))).contains("unknown reason code");
    assertThat(ConnectionGuard.violation(reply(MqttMessageType.PUBREC, 0x01))).contains("unknown reason code");
    assertThat(ConnectionGuard.violation(reply(MqttMessageType.PUBCOMP, 0x80))).contains("unknown reason code");
    assertThat(ConnectionGuard.violation(disconnect(0x7F))).contains("unknown reason code");
  }

  private static MqttFixedHeader fixed(MqttMessageType type, MqttQoS qos) {
    return new MqttFixedHeader(type, false, qos, false, 0);
  }

  private static MqttConnectMessage connect(int version, boolean user, boolean password, boolean willRetain, int willQos,
                                            boolean will, String willTopic, MqttProperties properties) {
    MqttConnectVariableHeader header = new MqttConnectVariableHeader("MQTT", version, user, password, willRetain, willQos,
        will, true, 30, properties);
    MqttConnectPayload payload = new MqttConnectPayload("car1", MqttProperties.NO_PROPERTIES, willTopic,
        will ? new byte[] {1} : null, user ? "u" : null, password ? new byte[] {2} : null);
    return new MqttConnectMessage(fixed(MqttMessageType.CONNECT, MqttQoS.AT_MOST_ONCE), header, payload);
  }

  private static MqttPublishMessage publish(boolean dup, MqttQoS qos, MqttProperties properties) {
    return new MqttPublishMessage(new MqttFixedHeader(MqttMessageType.PUBLISH, dup, qos, false, 0),
        new MqttPublishVariableHeader("UL/x", qos == MqttQoS.AT_MOST_ONCE ? 0 : 1, properties), Unpooled.EMPTY_BUFFER);
  }

  private static MqttSubscribeMessage subscribe(MqttProperties properties, String... filters) {
    return new MqttSubscribeMessage(fixed(MqttMessageType.SUBSCRIBE, MqttQoS.AT_LEAST_ONCE),
        new MqttMessageIdAndPropertiesVariableHeader(1, properties),
        new MqttSubscribePayload(java.util.Arrays.stream(filters)
            .map(f -> new MqttTopicSubscription(f, MqttQoS.AT_LEAST_ONCE)).toList()));
  }

  private static MqttUnsubscribeMessage unsubscribe(String... filters) {
    return new MqttUnsubscribeMessage(fixed(MqttMessageType.UNSUBSCRIBE, MqttQoS.AT_LEAST_ONCE),
        new MqttMessageIdAndPropertiesVariableHeader(1, MqttProperties.NO_PROPERTIES),
        new MqttUnsubscribePayload(List.of(filters)));
  }

  private static MqttMessage reply(MqttMessageType type, int reasonCode) {
    return new MqttMessage(fixed(type, type == MqttMessageType.PUBREL ? MqttQoS.AT_LEAST_ONCE : MqttQoS.AT_MOST_ONCE),
        new MqttPubReplyMessageVariableHeader(1, (byte) reasonCode, MqttProperties.NO_PROPERTIES));
  }

  private static MqttMessage disconnect(int reasonCode) {
    return new MqttMessage(fixed(MqttMessageType.DISCONNECT, MqttQoS.AT_MOST_ONCE),
        new MqttReasonCodeAndPropertiesVariableHeader((byte) reasonCode, MqttProperties.NO_PROPERTIES));
  }

  private static MqttProperties property(int id, Object value) {
    MqttProperties properties = new MqttProperties();
    properties.add(value instanceof String s ? new MqttProperties.StringProperty(id, s)
        : new MqttProperties.IntegerProperty(id, (Integer) value));
    return properties;
  }
}
