package io.mqttkafka.bridge.records;

import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 checks for what the bridge sends to devices: an MQTT UTF-8 string must be well-formed
 * UTF-8 without surrogates [MQTT-1.5.4-1] and without U+0000 [MQTT-1.5.4-2], and a payload marked as
 * UTF-8 (Payload Format Indicator 1) must be well-formed. Java's own decoding replaces bad bytes
 * instead of refusing them. Pure; checks allocate nothing.
 */
public final class MqttUtf8 {

  /** The longest MQTT string or binary data: a two-byte length [MQTT-1.5.4], [MQTT-1.5.6]. */
  public static final int MAX_STRING_BYTES = 65_535;

  private MqttUtf8() {
  }

  /**
   * The MQTT UTF-8 string these bytes encode, or null when they are not one: ill-formed UTF-8, a
   * U+0000, or longer than {@link #MAX_STRING_BYTES}.
   */
  public static String string(byte[] bytes) {
    if (bytes.length > MAX_STRING_BYTES || !isWellFormed(bytes, false)) {
      return null;
    }
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /**
   * True when {@code bytes} are well-formed UTF-8 (RFC 3629: shortest forms only, no surrogates,
   * nothing past U+10FFFF).
   *
   * @param nullAllowed whether U+0000 may appear (in a payload; never in an MQTT string)
   */
  public static boolean isWellFormed(byte[] bytes, boolean nullAllowed) {
    int i = 0;
    int n = bytes.length;
    while (i < n) {
      int b = bytes[i] & 0xFF;
      if (b < 0x80) {
        if (b == 0 && !nullAllowed) {
          return false;
        }
        i++;
        continue;
      }
      int more;
      int lowSecond = 0x80;
      int highSecond = 0xBF;
      if (b >= 0xC2 && b <= 0xDF) {
        more = 1;
      } else if (b >= 0xE0 && b <= 0xEF) {
        more = 2;
        if (b == 0xE0) {
          lowSecond = 0xA0; // overlong
        } else if (b == 0xED) {
          highSecond = 0x9F; // surrogates U+D800..U+DFFF
        }
      } else if (b >= 0xF0 && b <= 0xF4) {
        more = 3;
        if (b == 0xF0) {
          lowSecond = 0x90; // overlong
        } else if (b == 0xF4) {
          highSecond = 0x8F; // past U+10FFFF
        }
      } else {
        return false; // a continuation byte first, C0/C1 (overlong) or F5..FF
      }
      int last = i + more;
      if (last >= n) {
        return false;
      }
      int second = bytes[i + 1] & 0xFF;
      if (second < lowSecond || second > highSecond) {
        return false;
      }
      for (int k = i + 2; k <= last; k++) {
        if ((bytes[k] & 0xC0) != 0x80) {
          return false;
        }
      }
      i = last + 1;
    }
    return true;
  }
}
