package io.mqttkafka.bridge.records;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.records.DownlinkProperties.UserProperty;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A downlink record's headers as the MQTT 5 properties of its PUBLISH (DownlinkRecord.parse with
 * PropertyHeaderReader and UserPropertyRules): the contract's property headers, the other headers as
 * user properties, and every way a record can break them, each with the receipt's detail.
 */
class DownlinkPropertiesTest {

  private static final UserPropertyRules ALL = UserPropertyRules.DEFAULT;

  @Test
  void theContractsPropertyHeadersBecomeTheProperties() {
    byte[] correlation = {0, (byte) 0xFF, (byte) 0xC3, 0x28};
    Headers headers = contract().add(HeaderNames.RESPONSE_TOPIC, bytes("RSP/car1/42"))
        .add(HeaderNames.CORRELATION_DATA, correlation.clone())
        .add(HeaderNames.CONTENT_TYPE, bytes("application/json"))
        .add(HeaderNames.PAYLOAD_FORMAT, bytes("1"))
        .add(HeaderNames.TTL_MS, bytes("60000"));

    DownlinkRecord record = DownlinkRecord.parse("car1", headers, 0, 0, 0, ALL);

    assertThat(record.invalid()).isNull();
    DownlinkProperties p = record.properties();
    assertThat(p.responseTopic()).isEqualTo("RSP/car1/42");
    assertThat(p.correlationData()).as("binary, unchanged").containsExactly(correlation);
    assertThat(p.contentType()).isEqualTo("application/json");
    assertThat(p.payloadFormat()).isEqualTo(1);
    assertThat(p.ttlMs()).isEqualTo(60_000);
    assertThat(p.userProperties()).as("none of the contract's headers").isEmpty();
    assertThat(p.hasMqtt5Only()).isTrue();
  }

  @Test
  void aRecordWithTheBasicHeadersOnlyCarriesNoProperties() {
    DownlinkRecord record = DownlinkRecord.parse("car1", contract(), 0, 0, 0, ALL);

    assertThat(record.properties()).isSameAs(DownlinkProperties.NONE);
    assertThat(record.properties().hasMqtt5Only()).isFalse();
  }

  @Test
  void otherHeadersBecomeUserPropertiesInOrderRepeatsIncluded() {
    Headers headers = contract().add("traceparent", bytes("00-abc-01")).add("unit", bytes("°C"))
        .add("unit", bytes("K")).add("empty", null);

    DownlinkProperties p = DownlinkRecord.parse("car1", headers, 0, 0, 0, ALL).properties();

    assertThat(p.userProperties()).containsExactly(new UserProperty("traceparent", "00-abc-01"),
        new UserProperty("unit", "°C"), new UserProperty("unit", "K"), new UserProperty("empty", ""));
    assertThat(p.hasMqtt5Only()).isTrue();
  }

  @Test
  void theBridgesOwnHeadersAreNeverUserPropertiesUnlessTheAllowListNamesThemExactly() {
    Headers headers = contract().add(HeaderNames.CLIENT_ID, bytes("car9")).add("mqtt.custom", bytes("x"))
        .add(HeaderNames.ORIGINAL_PARTITION, bytes("1"));

    assertThat(DownlinkRecord.parse("car1", headers, 0, 0, 0, ALL).properties().userProperties()).isEmpty();
    UserPropertyRules meant = new UserPropertyRules(List.of("mqtt.custom", "mqtt.*"), List.of(), 4096);
    assertThat(DownlinkRecord.parse("car1", headers, 0, 0, 0, meant).properties().userProperties())
        .containsExactly(new UserProperty("mqtt.custom", "x"));
  }

  @Test
  void anAllowListCopiesOnlyWhatItNamesAndADenyListWins() {
    Headers headers = contract().add("x-trace-id", bytes("1")).add("x-trace-secret", bytes("2"))
        .add("__TypeId__", bytes("com.example.Command")).add("unit", bytes("K"));
    UserPropertyRules rules = new UserPropertyRules(List.of("x-trace-*", "unit"), List.of("x-trace-secret"), 4096);

    assertThat(DownlinkRecord.parse("car1", headers, 0, 0, 0, rules).properties().userProperties())
        .containsExactly(new UserProperty("x-trace-id", "1"), new UserProperty("unit", "K"));
    UserPropertyRules denyAll = new UserPropertyRules(List.of(), List.of("*"), 4096);
    assertThat(DownlinkRecord.parse("car1", headers, 0, 0, 0, denyAll).properties().userProperties()).isEmpty();
  }

  @Test
  void userPropertiesOverTheSizeBoundRejectTheRecordWhole() {
    Headers fits = contract().add("abc", bytes("1234567"));
    Headers over = contract().add("abc", bytes("12345678"));
    UserPropertyRules tenBytes = new UserPropertyRules(List.of(), List.of(), 10);

    assertThat(DownlinkRecord.parse("car1", fits, 0, 0, 0, tenBytes).invalid()).isNull();
    DownlinkRecord rejected = DownlinkRecord.parse("car1", over, 0, 0, 0, tenBytes);
    assertThat(rejected.invalid()).isEqualTo("the headers sent as user properties take 11 bytes, more than"
        + " mappings.downlink.userProperties.maxBytes (10)");
    assertThat(rejected.properties()).isSameAs(DownlinkProperties.NONE);
  }

  @ParameterizedTest
  @ValueSource(strings = {"RSP/+/42", "RSP/#", "+", ""})
  void aResponseTopicWithWildcardsOrEmptyIsRejected(String responseTopic) {
    Headers headers = contract().add(HeaderNames.RESPONSE_TOPIC, bytes(responseTopic));

    assertThat(DownlinkRecord.parse("car1", headers, 0, 0, 0, ALL).invalid())
        .isEqualTo("header mqtt.response.topic is not a valid MQTT topic name");
  }

  @Test
  void aResponseTopicOrContentTypeThatIsNoMqttUtf8StringIsRejected() {
    byte[][] bad = {{'R', '/', (byte) 0xC3, 0x28}, {'R', '/', 0}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}};
    for (byte[] value : bad) {
      assertThat(DownlinkRecord.parse("car1", contract().add(HeaderNames.RESPONSE_TOPIC, value), 0, 0, 0, ALL)
          .invalid()).isEqualTo("header mqtt.response.topic is not an MQTT UTF-8 string"
              + " (well-formed UTF-8, no U+0000, at most 65535 bytes)");
      assertThat(DownlinkRecord.parse("car1", contract().add(HeaderNames.CONTENT_TYPE, value), 0, 0, 0, ALL)
          .invalid()).startsWith("header mqtt.content.type is not an MQTT UTF-8 string");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"2", "x", "01", "", "utf-8"})
  void aPayloadFormatOtherThan0Or1IsRejected(String format) {
    Headers headers = contract().add(HeaderNames.PAYLOAD_FORMAT, bytes(format));

    assertThat(DownlinkRecord.parse("car1", headers, 0, 0, 0, ALL).invalid())
        .isEqualTo("header mqtt.payload.format must be 0 or 1");
  }

  @Test
  void correlationDataOfMoreThan65535BytesIsRejected() {
    assertThat(DownlinkRecord.parse("car1", contract().add(HeaderNames.CORRELATION_DATA, new byte[65_535]), 0, 0, 0,
        ALL).invalid()).isNull();
    assertThat(DownlinkRecord.parse("car1", contract().add(HeaderNames.CORRELATION_DATA, new byte[65_536]), 0, 0, 0,
        ALL).invalid()).isEqualTo("header mqtt.correlation.data is longer than 65535 bytes");
  }

  @Test
  void aHeaderWhoseValueIsNoTextCannotBeAUserPropertyAndSaysHowToLeaveItOut() {
    Headers headers = contract().add("kafka_correlationId", new byte[] {(byte) 0x9F, 0x01});

    assertThat(DownlinkRecord.parse("car1", headers, 0, 0, 0, ALL).invalid()).isEqualTo(
        "header kafka_correlationId is not an MQTT UTF-8 string (well-formed UTF-8, no U+0000, at most 65535"
            + " bytes), so it cannot be a user property: leave it out with mappings.downlink.userProperties.deny");
    UserPropertyRules denied = new UserPropertyRules(List.of(), List.of("kafka_*"), 4096);
    assertThat(DownlinkRecord.parse("car1", headers, 0, 0, 0, denied).invalid()).isNull();
  }

  @Test
  void theExpiryIntervalIsWhatIsLeftOfTheTtlRoundedUp() {
    DownlinkProperties p = DownlinkProperties.ttlOnly(10_000);
    long written = 1_000_000;

    assertThat(p.expiryIntervalSeconds(written, written)).isEqualTo(10);
    assertThat(p.expiryIntervalSeconds(written, written + 2_500)).isEqualTo(8);
    assertThat(p.expiryIntervalSeconds(written, written + 9_999)).isEqualTo(1);
    assertThat(p.expiryIntervalSeconds(written, written + 10_000)).as("the last millisecond").isEqualTo(1);
    assertThat(p.expiredAt(written, written + 10_000)).isFalse();
    assertThat(p.expiredAt(written, written + 10_001)).isTrue();
    assertThat(DownlinkProperties.ttlOnly(999_999_999_999_999L).expiryIntervalSeconds(0, 0))
        .as("at most a Four Byte Integer").isEqualTo(0xFFFF_FFFFL);
    assertThat(DownlinkProperties.NONE.expiryIntervalSeconds(0, Long.MAX_VALUE)).as("never expires").isEqualTo(-1);
  }

  @Test
  void aTtlAloneIsNoPropertyAnMqtt311DeviceMisses() {
    assertThat(DownlinkRecord.parse("car1", contract().add(HeaderNames.TTL_MS, bytes("5000")), 0, 0, 0, ALL)
        .properties()).isEqualTo(DownlinkProperties.ttlOnly(5000))
        .satisfies(p -> assertThat(p.hasMqtt5Only()).isFalse());
  }

  @Test
  void theParseWithoutRulesCopiesOtherHeadersByTheDefaultRules() {
    Headers headers = new RecordHeaders().add(HeaderNames.TOPIC, bytes("DL/x")).add("note", bytes("n"));

    assertThat(DownlinkRecord.parse("car1", headers, 0, 0, 0).properties().userProperties())
        .containsExactly(new UserProperty("note", "n"));
  }

  private static Headers contract() {
    return DownlinkRecord.headers("DL/car1/cmd", 1, "cmd-1");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
