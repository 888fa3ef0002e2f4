package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.auth.AuthenticationException;
import io.mqttkafka.bridge.auth.AuthenticationException.Reason;
import io.mqttkafka.bridge.mqtt.ReasonCodes.Refusal;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which CONNACK code an authentication failure gets, on MQTT 3.1.1 and 5. */
class ReasonCodesTest {

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
