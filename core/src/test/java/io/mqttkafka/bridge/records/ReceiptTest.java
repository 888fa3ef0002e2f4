package io.mqttkafka.bridge.records;

import io.mqttkafka.bridge.records.PresenceRecord;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.mqttkafka.bridge.records.Receipt.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ReceiptTest {

  private static final String FULL = "{\"status\":\"delivered\",\"clientId\":\"car1\",\"mqttTopic\":\"DL/WARN\","
      + "\"instanceId\":\"host-1a2b3c\",\"partition\":3,\"offset\":1234,\"correlationId\":\"c-42\","
      + "\"detail\":\"qos 1\",\"timestamp\":1763700000000}";

  private static Receipt full() {
    return new Receipt(Status.DELIVERED, "car1", "DL/WARN", "host-1a2b3c", 3, 1234, "c-42", "qos 1",
        1763700000000L);
  }

  private static Receipt parse(String json) {
    return Receipt.fromJson(json.getBytes(UTF_8));
  }

  @Test
  void writesTheDocumentedJson() {
    assertThat(new String(full().toJson(), UTF_8)).isEqualTo(FULL);
    assertThat(parse(FULL)).isEqualTo(full());
  }

  @Test
  void leavesOutWhatIsUnknown() {
    Receipt rejected = new Receipt(Status.REJECTED, "car1", null, null, 0, 7, null, "missing header mqtt.topic", 5);
    String json = new String(rejected.toJson(), UTF_8);
    assertThat(json).isEqualTo("{\"status\":\"rejected\",\"clientId\":\"car1\",\"partition\":0,\"offset\":7,"
        + "\"detail\":\"missing header mqtt.topic\",\"timestamp\":5}");
    assertThat(parse(json)).isEqualTo(rejected);
  }

  @ParameterizedTest
  @CsvSource({"DELIVERED,delivered", "ACKED,acked", "OFFLINE,offline", "NOT_SUBSCRIBED,not_subscribed",
      "EXPIRED,expired", "REJECTED,rejected", "TIMEOUT,timeout"})
  void statusesAreLowerCaseInJson(Status status, String json) {
    Receipt receipt = new Receipt(status, "car1", "DL/x", "i", 1, 2, null, null, 3);
    assertThat(new String(receipt.toJson(), UTF_8)).startsWith("{\"status\":\"" + json + "\",");
    assertThat(Receipt.fromJson(receipt.toJson())).isEqualTo(receipt);
  }

  @ParameterizedTest
  @ValueSource(strings = {"plain", "quote \" and back\\slash", "new\nline\ttab\rcr\bbs\fff", "\u0000\u0001\u001f\u007f",
      "caf\u00e9 \u6c34 \ud83d\ude97", "/slash/ and </script>", ""})
  void writesWhatJacksonWrites(String text) {
    Receipt receipt = new Receipt(Status.NOT_SUBSCRIBED, text, text, text, 2, 9, text, text, 11);
    assertThat(new String(receipt.toJson(), UTF_8)).isEqualTo(new String(PresenceRecord.write(receipt), UTF_8));
    assertThat(Receipt.fromJson(receipt.toJson())).isEqualTo(receipt);
  }

  @Test
  void longTextsThatGrowWhenEscapedAreWrittenWhole() {
    String text = "\"\u0001\ud83d\ude97\u6c34".repeat(200);
    Receipt receipt = new Receipt(Status.REJECTED, "c", "t", "i", 0, 0, null, text, 1);
    assertThat(new String(receipt.toJson(), UTF_8)).isEqualTo(new String(PresenceRecord.write(receipt), UTF_8));
    assertThat(Receipt.fromJson(receipt.toJson())).isEqualTo(receipt);
  }

  @Test
  void ignoresUnknownFields() {
    assertThat(parse(FULL.replace("{", "{\"attempt\":2,\"via\":{\"x\":null},"))).isEqualTo(full());
  }

  @ParameterizedTest
  @ValueSource(strings = {"status", "partition", "offset", "timestamp"})
  void aMissingRequiredFieldIsRejectedByName(String field) {
    String json = FULL.replaceFirst("\"" + field + "\":[^,}]*,?", "").replace(",}", "}");
    assertThat(json).doesNotContain("\"" + field + "\"");
    assertThatIllegalArgumentException().isThrownBy(() -> parse(json))
        .withMessageStartingWith("invalid receipt: ")
        .withMessageContaining(field);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "\"status\":\"delivered\" | \"status\":\"lost\"     | lost",
      "\"status\":\"delivered\" | \"status\":\"NOT SENT\" | NOT SENT",
      "\"partition\":3          | \"partition\":-1        | partition and offset must not be negative",
      "\"offset\":1234          | \"offset\":\"1234\"     | long",
  })
  void anInvalidFieldIsRejectedWithAClearMessage(String field, String replacement, String message) {
    String json = FULL.replace(field, replacement);
    assertThat(json).isNotEqualTo(FULL);
    assertThatIllegalArgumentException().isThrownBy(() -> parse(json))
        .withMessageStartingWith("invalid receipt: ")
        .withMessageContaining(message);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "null", "{", "\"delivered\""})
  void somethingThatIsNoJsonObjectIsRejected(String json) {
    assertThatIllegalArgumentException().isThrownBy(() -> parse(json))
        .withMessageStartingWith("invalid receipt: ");
  }
}
