package io.mqttkafka.bridge.records;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Strict UTF-8 as MQTT wants it (MqttUtf8): Java's decoder would replace these bytes instead of refusing them. */
class MqttUtf8Test {

  @Test
  void textInEveryEncodedLengthIsWellFormed() {
    String text = "a é 水 😀 \uFFFF";

    assertThat(MqttUtf8.isWellFormed(text.getBytes(StandardCharsets.UTF_8), false)).isTrue();
    assertThat(MqttUtf8.string(text.getBytes(StandardCharsets.UTF_8))).isEqualTo(text);
    assertThat(MqttUtf8.isWellFormed(new byte[0], false)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "c328",       // a lead byte followed by no continuation byte
      "80",         // a continuation byte first
      "c080",       // overlong U+0000
      "c1bf",       // overlong
      "e08080",     // overlong three bytes
      "f0808080",   // overlong four bytes
      "eda080",     // the surrogate U+D800 [MQTT-1.5.4-1]
      "edbfbf",     // the surrogate U+DFFF
      "f4908080",   // past U+10FFFF
      "f5808080",   // never a lead byte
      "ff",
      "e282",       // cut short
      "f09f98",     // cut short
  })
  void illFormedUtf8IsRefused(String hex) {
    byte[] bytes = HexFormat.of().parseHex(hex);

    assertThat(MqttUtf8.isWellFormed(bytes, true)).isFalse();
    assertThat(MqttUtf8.string(bytes)).isNull();
  }

  @Test
  void uPlus0000IsRefusedInAStringButAllowedInAPayload() {
    byte[] withNull = {'a', 0, 'b'};

    assertThat(MqttUtf8.string(withNull)).isNull(); // [MQTT-1.5.4-2]
    assertThat(MqttUtf8.isWellFormed(withNull, true)).isTrue();
  }

  @Test
  void aStringHasAtMost65535Bytes() {
    assertThat(MqttUtf8.string("x".repeat(65_535).getBytes(StandardCharsets.UTF_8))).hasSize(65_535);
    assertThat(MqttUtf8.string("x".repeat(65_536).getBytes(StandardCharsets.UTF_8))).isNull();
  }
}
