package io.mqttkafka.bridge.records;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.mqttkafka.bridge.records.PresenceRecord.Event;
import io.mqttkafka.bridge.records.PresenceRecord.Subscription;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class PresenceRecordTest {

  private static final String EXAMPLE = "{\"event\":\"connected\",\"instanceId\":\"host-1a2b3c\","
      + "\"connectionId\":\"host-1a2b3c/1763700000000-17\",\"connected\":true,"
      + "\"filters\":[{\"filter\":\"DL/#\",\"qos\":1}],\"protocolVersion\":4,\"timestamp\":1763700000000}";

  private static PresenceRecord example() {
    return new PresenceRecord(Event.CONNECTED, "host-1a2b3c", "host-1a2b3c/1763700000000-17", true,
        List.of(new Subscription("DL/#", 1)), 4, 1763700000000L);
  }

  private static PresenceRecord parse(String json) {
    return PresenceRecord.fromJson(json.getBytes(UTF_8));
  }

  @Test
  void writesTheDocumentedJson() {
    assertThat(new String(example().toJson(), UTF_8)).isEqualTo(EXAMPLE);
  }

  @Test
  void readsTheDocumentedJson() {
    assertThat(parse(EXAMPLE)).isEqualTo(example());
  }

  @ParameterizedTest
  @CsvSource({"CONNECTED,connected", "SUBSCRIBED,subscribed", "UNSUBSCRIBED,unsubscribed",
      "DISCONNECTED,disconnected", "REFRESHED,refreshed"})
  void eventsAreLowerCaseInJson(Event event, String json) {
    PresenceRecord record = new PresenceRecord(event, "i", "i/1", event != Event.DISCONNECTED, List.of(), 5, 1);
    assertThat(new String(record.toJson(), UTF_8)).startsWith("{\"event\":\"" + json + "\",");
    assertThat(PresenceRecord.fromJson(record.toJson())).isEqualTo(record);
  }

  @Test
  void roundTripsSeveralFiltersInOrder() {
    PresenceRecord record = new PresenceRecord(Event.SUBSCRIBED, "i", "i/1", true,
        List.of(new Subscription("DL/+/WARN", 2), new Subscription("DL/#", 0), new Subscription("$SYS/x", 1)),
        3, 42);
    assertThat(PresenceRecord.fromJson(record.toJson())).isEqualTo(record);
  }

  @Test
  void ignoresUnknownFieldsWrittenByNewerVersions() {
    String json = EXAMPLE.replace("{\"event\"", "{\"region\":\"eu\",\"extra\":{\"a\":[1]},\"event\"")
        .replace("\"qos\":1}", "\"qos\":1,\"noLocal\":true}");
    assertThat(parse(json)).isEqualTo(example());
  }

  @Test
  void keepsItsOwnCopyOfTheFilters() {
    List<Subscription> filters = new ArrayList<>(List.of(new Subscription("DL/#", 1)));
    PresenceRecord record = new PresenceRecord(Event.CONNECTED, "i", "i/1", true, filters, 4, 1);
    filters.clear();
    assertThat(record.filters()).containsExactly(new Subscription("DL/#", 1));
  }

  @ParameterizedTest
  @ValueSource(strings = {"event", "instanceId", "connectionId", "connected", "filters", "protocolVersion",
      "timestamp"})
  void aMissingFieldIsRejectedByName(String field) {
    String json = EXAMPLE.replaceFirst("\"" + field + "\":(\\[[^\\]]*\\]|[^,}]*),?", "").replace(",}", "}");
    assertThat(json).doesNotContain("\"" + field + "\":");
    assertThatIllegalArgumentException().isThrownBy(() -> parse(json))
        .withMessageStartingWith("invalid presence record: ")
        .withMessageContaining(field);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "\"event\":\"connected\"           | \"event\":\"reconnected\"             | reconnected",
      "\"event\":\"connected\"           | \"event\":\"CONNECTED\"               | CONNECTED",
      "\"event\":\"connected\"           | \"event\":null                        | event is missing",
      "\"instanceId\":\"host-1a2b3c\"    | \"instanceId\":\"\"                   | instanceId is missing or empty",
      "\"instanceId\":\"host-1a2b3c\"    | \"instanceId\":null                   | instanceId is missing or empty",
      "\"connected\":true                | \"connected\":false                   | connected must be true",
      "\"connected\":true                | \"connected\":\"true\"                | boolean",
      "\"connected\":true                | \"connected\":1                       | boolean",
      "\"filters\":[{\"filter\":\"DL/#\",\"qos\":1}] | \"filters\":null          | filters must be a list",
      "\"filters\":[{\"filter\":\"DL/#\",\"qos\":1}] | \"filters\":[null]        | filters must be a list",
      "\"filter\":\"DL/#\"               | \"filter\":\"DL/#/x\"                 | filter 'DL/#/x' is not a valid",
      "\"qos\":1                         | \"qos\":3                             | must be 0, 1 or 2, not 3",
      "\"qos\":1                         | \"qos\":\"1\"                         | int",
      "\"qos\":1                         | \"qos\":1.5                           | int",
      "\"protocolVersion\":4             | \"protocolVersion\":6                 | protocolVersion must be 3",
      "\"timestamp\":1763700000000       | \"timestamp\":null                    | timestamp",
  })
  void anInvalidFieldIsRejectedWithAClearMessage(String field, String replacement, String message) {
    String json = EXAMPLE.replace(field, replacement);
    assertThat(json).isNotEqualTo(EXAMPLE);
    assertThatIllegalArgumentException().isThrownBy(() -> parse(json))
        .withMessageStartingWith("invalid presence record: ")
        .withMessageContaining(message);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "not json", "[]", "null", "{\"event\":\"connected\"", EXAMPLE + "{}"})
  void somethingThatIsNoJsonObjectIsRejected(String json) {
    assertThatIllegalArgumentException().isThrownBy(() -> parse(json))
        .withMessageStartingWith("invalid presence record: ");
  }

  @Test
  void aTombstoneIsNoPresenceRecord() {
    assertThatIllegalArgumentException().isThrownBy(() -> PresenceRecord.fromJson(null))
        .withMessage("a presence record must not be null");
  }

  @ParameterizedTest
  @EnumSource(Event.class)
  void onlyDisconnectedAndExpiredAreNotConnected(Event event) {
    boolean connected = event != Event.DISCONNECTED && event != Event.EXPIRED;
    assertThat(new PresenceRecord(event, "i", "i/1", connected, List.of(), 4, 1).connected()).isEqualTo(connected);
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new PresenceRecord(event, "i", "i/1", !connected, List.of(), 4, 1))
        .withMessage("connected must be " + connected + " for event " + event);
  }
}
