package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.auth.AuthenticationException;
import io.mqttkafka.bridge.auth.AuthenticationException.Reason;
import io.mqttkafka.bridge.mqtt.ReasonCodes.Refusal;
import io.mqttkafka.bridge.kafka.OverloadedException;
import io.mqttkafka.bridge.uplink.RejectedTopicException;
import io.mqttkafka.bridge.uplink.TopicNotAuthorizedException;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubAckReasonCode;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ReasonCodesTest {

  @Test
  void uplinkFailuresMapToTheSpecsPubackAndDisconnectCodes() {
    assertThat(ReasonCodes.puback(new RejectedTopicException("x"))).isEqualTo(MqttPubAckReasonCode.TOPIC_NAME_INVALID);
    assertThat(ReasonCodes.puback(new OverloadedException("x"))).isEqualTo(MqttPubAckReasonCode.QUOTA_EXCEEDED);
    assertThat(ReasonCodes.puback(new TopicAuthorizationException("x"))).isEqualTo(MqttPubAckReasonCode.NOT_AUTHORIZED);
    assertThat(ReasonCodes.puback(new TimeoutException("x"))).isEqualTo(MqttPubAckReasonCode.UNSPECIFIED_ERROR);
    assertThat(ReasonCodes.disconnect(new RejectedTopicException("x")))
        .isEqualTo(MqttDisconnectReasonCode.TOPIC_NAME_INVALID);
    assertThat(ReasonCodes.disconnect(new OverloadedException("x"))).isEqualTo(MqttDisconnectReasonCode.QUOTA_EXCEEDED);
    assertThat(ReasonCodes.disconnect(new TimeoutException("x"))).isEqualTo(MqttDisconnectReasonCode.UNSPECIFIED_ERROR);
  }

  @Test
  void someoneElsesTopicIsNotAuthorizedAndTheDevicesFault() {
    assertThat(ReasonCodes.puback(new TopicNotAuthorizedException("x"))).isEqualTo(MqttPubAckReasonCode.NOT_AUTHORIZED);
    assertThat(ReasonCodes.disconnect(new TopicNotAuthorizedException("x")))
        .isEqualTo(MqttDisconnectReasonCode.NOT_AUTHORIZED);
    assertThat(ReasonCodes.isDeviceFault(new TopicNotAuthorizedException("x"))).isTrue();
  }

  @Test
  void onlyRefusedTopicsAreTheDevicesFaultNotKafkaRefusingTheBridge() {
    assertThat(ReasonCodes.isDeviceFault(new RejectedTopicException("x"))).isTrue();
    assertThat(ReasonCodes.isDeviceFault(new TopicAuthorizationException("x"))).as("a missing ACL: the operator's")
        .isFalse();
    assertThat(ReasonCodes.isDeviceFault(new OverloadedException("x"))).isFalse();
    assertThat(ReasonCodes.isDeviceFault(new TimeoutException("x"))).isFalse();
  }

  @Test
  void connackCodesFollowTheProtocolVersion() {
    assertThat(ReasonCodes.connack(Refusal.CLIENT_ID_INVALID, 4))
        .isEqualTo(MqttConnectReturnCode.CONNECTION_REFUSED_IDENTIFIER_REJECTED);
    assertThat(ReasonCodes.connack(Refusal.CLIENT_ID_INVALID, 5))
        .isEqualTo(MqttConnectReturnCode.CONNECTION_REFUSED_CLIENT_IDENTIFIER_NOT_VALID);
    assertThat(ReasonCodes.connack(Refusal.SERVER_UNAVAILABLE, 4))
        .isEqualTo(MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE);
    assertThat(ReasonCodes.connack(Refusal.SERVER_UNAVAILABLE, 5))
        .isEqualTo(MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE_5);
    assertThat(ReasonCodes.connack(Refusal.QUOTA_EXCEEDED, 4))
        .isEqualTo(MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE);
    assertThat(ReasonCodes.connack(Refusal.QUOTA_EXCEEDED, 5).byteValue()).isEqualTo((byte) 0x97);
    assertThat(ReasonCodes.connack(Refusal.CONNECTION_RATE_EXCEEDED, 4))
        .isEqualTo(MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE);
    assertThat(ReasonCodes.connack(Refusal.CONNECTION_RATE_EXCEEDED, 5).byteValue()).isEqualTo((byte) 0x9F);
  }

  @ParameterizedTest(name = "{0}: v3 {2}, v5 {3}")
  @CsvSource(textBlock = """
      BAD_CREDENTIALS,    BAD_CREDENTIALS, 0x04, 0x86
      INVALID_TOKEN,      BAD_CREDENTIALS, 0x04, 0x86
      NO_CREDENTIALS,     NOT_AUTHORIZED,  0x05, 0x87
      CLIENT_ID_MISMATCH, NOT_AUTHORIZED,  0x05, 0x87
      """)
  void authenticationFailureMapsToOneRefusal(Reason reason, Refusal refusal, String v3, String v5) {
    Refusal actual = ReasonCodes.refusal(new AuthenticationException(reason, "detail"));

    assertThat(actual).isEqualTo(refusal);
    assertThat(ReasonCodes.connack(actual, 4).byteValue()).isEqualTo(Integer.decode(v3).byteValue());
    assertThat(ReasonCodes.connack(actual, 5).byteValue()).isEqualTo(Integer.decode(v5).byteValue());
  }

  @ParameterizedTest(name = "version {0}")
  @CsvSource({"4, 0x03", "5, 0x88"})
  void failureOfTheBridgeItselfIsServerUnavailable(int version, String code) {
    Refusal refusal = ReasonCodes.refusal(new IllegalStateException("worker pool closed"));

    assertThat(refusal).isEqualTo(Refusal.SERVER_UNAVAILABLE);
    assertThat(ReasonCodes.connack(refusal, version).byteValue()).isEqualTo(Integer.decode(code).byteValue());
  }
}
