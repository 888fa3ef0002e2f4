package io.mqttkafka.bridge.records;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DownlinkRecordTest {

  @Test
  void aRecordOfTheContractIsReadWhole() {
    Headers headers = DownlinkRecord.headers("DL/warn", 0, "warn-1").add(HeaderNames.TTL_MS, bytes("5000"));

    DownlinkRecord record = DownlinkRecord.parse("car1", headers, 3, 42, 1_000);

    assertThat(record.invalid()).isNull();
    assertThat(record).extracting(DownlinkRecord::clientId, DownlinkRecord::mqttTopic, DownlinkRecord::qos,
        DownlinkRecord::correlationId, DownlinkRecord::ttlMs).containsExactly("car1", "DL/warn", 0, "warn-1", 5000L);
    assertThat(record.moved()).isFalse();
    assertThat(record.ref()).isEqualTo(new DownlinkRef("car1", "DL/warn", 3, 42, "warn-1"));
    assertThat(record.expiredAt(6_000)).isFalse();
    assertThat(record.expiredAt(6_001)).isTrue();
  }

  @Test
  void itsTraceContextHeadersNameItForItsReceiptsAndStillBecomeUserProperties() {
    String traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    Headers headers = headers("mqtt.topic", "DL/x", "traceparent", traceparent, "tracestate", "congo=t61rcWkgMzE");

    DownlinkRecord record = DownlinkRecord.parse("car1", headers, 2, 5, 0);

    assertThat(record.ref()).isEqualTo(new DownlinkRef("car1", "DL/x", 2, 5, null,
        new TraceHeaders(traceparent, "congo=t61rcWkgMzE")));
    assertThat(record.properties().userProperties()).containsExactly(
        new DownlinkProperties.UserProperty("traceparent", traceparent),
        new DownlinkProperties.UserProperty("tracestate", "congo=t61rcWkgMzE"));
  }

  @Test
  void anInvalidRecordKeepsItsTraceparentForItsRejectedReceipt() {
    DownlinkRecord record = DownlinkRecord.parse("car1", headers("traceparent", "00-abc-def-01"), 0, 1, 0);

    assertThat(record.invalid()).isNotNull();
    assertThat(record.ref().trace()).isEqualTo(new TraceHeaders("00-abc-def-01", null));
  }

  @Test
  void aRecordWithoutTraceContextHasNone() {
    assertThat(DownlinkRecord.parse("car1", headers("mqtt.topic", "DL/x"), 0, 0, 0).trace())
        .isSameAs(TraceHeaders.NONE);
  }

  @Test
  void withoutQosOrTtlItIsQos1ForEver() {
    DownlinkRecord record = DownlinkRecord.parse("car1", headers("mqtt.topic", "DL/x"), 0, 0, 0);

    assertThat(record.qos()).isEqualTo(DownlinkRecord.DEFAULT_QOS).isEqualTo(1);
    assertThat(record.expiredAt(Long.MAX_VALUE)).isFalse();
  }

  @Test
  void aMovedRecordNamesWhereTheBackEndWroteIt() {
    Headers headers = headers("mqtt.topic", "DL/x", "mqtt.original.partition", "2", "mqtt.original.offset", "77");

    DownlinkRecord record = DownlinkRecord.parse("car1", headers, 5, 9, 0);

    assertThat(record.moved()).isTrue();
    assertThat(record.ref()).isEqualTo(new DownlinkRef("car1", "DL/x", 2, 77, null));
    assertThat(record.partition()).isEqualTo(5);
    assertThat(record.offset()).isEqualTo(9);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', nullValues = "-", value = {
      "-     | DL/x  | -   | -     | no key: the key must be the target client id",
      "''    | DL/x  | -   | -     | no key: the key must be the target client id",
      "car1  | -     | -   | -     | missing header mqtt.topic",
      "car1  | DL/+  | -   | -     | header mqtt.topic is not a valid MQTT topic name",
      "car1  | ''    | -   | -     | header mqtt.topic is not a valid MQTT topic name",
      "car1  | DL/x  | 2   | -     | header mqtt.qos must be 0 or 1",
      "car1  | DL/x  | one | -     | header mqtt.qos must be 0 or 1",
      "car1  | DL/x  | 1   | -5    | header ttl.ms must be a whole number of milliseconds",
      "car1  | DL/x  | 1   | 1e3   | header ttl.ms must be a whole number of milliseconds",
      "car1  | DL/x  | 1   | 9999999999999999999 | header ttl.ms must be a whole number of milliseconds",
  })
  void aRecordThatBreaksTheContractSaysWhy(String key, String topic, String qos, String ttl, String why) {
    Headers headers = new RecordHeaders();
    if (topic != null) {
      headers.add(HeaderNames.TOPIC, bytes(topic));
    }
    if (qos != null) {
      headers.add(HeaderNames.QOS, bytes(qos));
    }
    if (ttl != null) {
      headers.add(HeaderNames.TTL_MS, bytes(ttl));
    }

    assertThat(DownlinkRecord.parse(key, headers, 0, 0, 0).invalid()).isEqualTo(why);
  }

  @Test
  void theHomePartitionIsKafkasDefaultPartitioners() {
    for (String client : new String[] {"car1", "car2", "VIN-WDB1234567", "ü"}) {
      int expected = Utils.toPositive(Utils.murmur2(client.getBytes(StandardCharsets.UTF_8))) % 12;
      assertThat(DownlinkRecord.homePartition(client, 12)).isEqualTo(expected);
    }
  }

  private static Headers headers(String... namesAndValues) {
    Headers headers = new RecordHeaders();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      headers.add(namesAndValues[i], bytes(namesAndValues[i + 1]));
    }
    return headers;
  }

  private static byte[] bytes(String value) {
    return value.getBytes(StandardCharsets.UTF_8);
  }
}
