package io.mqttkafka.bridge.records;

import java.util.Arrays;

/**
 * JSON written straight into UTF-8 bytes, for the records the bridge writes per message (receipts):
 * no StringBuilder, no String, no second pass to encode. Escapes as Jackson does: the two-character
 * escapes, {@code \\uXXXX} for other control characters and for each half of a surrogate pair.
 */
final class JsonBytes {

  private static final byte[] HEX = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};

  private byte[] bytes;
  private int length;

  JsonBytes(int capacity) {
    bytes = new byte[capacity];
  }

  /** Appends {@code ascii}, which needs no escaping (the names and punctuation of the format). */
  JsonBytes raw(String ascii) {
    int n = ascii.length();
    ensure(n);
    for (int i = 0; i < n; i++) {
      bytes[length++] = (byte) ascii.charAt(i);
    }
    return this;
  }

  JsonBytes number(long value) {
    return raw(Long.toString(value));
  }

  /** Appends {@code value} as a JSON string, quotes included. */
  JsonBytes string(String value) {
    int n = value.length();
    ensure(n + 2);
    bytes[length++] = '"';
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
        if (length == bytes.length) {
          ensure(n - i + 1);
        }
        bytes[length++] = (byte) c;
      } else {
        escaped(c);
      }
    }
    ensure(1);
    bytes[length++] = '"';
    return this;
  }

  byte[] toArray() {
    return Arrays.copyOf(bytes, length);
  }

  private void escaped(char c) {
    ensure(6);
    switch (c) {
      case '"' -> two('"');
      case '\\' -> two('\\');
      case '\n' -> two('n');
      case '\r' -> two('r');
      case '\t' -> two('t');
      case '\b' -> two('b');
      case '\f' -> two('f');
      default -> {
        if (c < 0x20 || Character.isSurrogate(c)) {
          bytes[length++] = '\\';
          bytes[length++] = 'u';
          bytes[length++] = HEX[c >> 12];
          bytes[length++] = HEX[(c >> 8) & 0xF];
          bytes[length++] = HEX[(c >> 4) & 0xF];
          bytes[length++] = HEX[c & 0xF];
        } else if (c < 0x80) {
          bytes[length++] = (byte) c; // DEL
        } else if (c < 0x800) {
          bytes[length++] = (byte) (0xC0 | (c >> 6));
          bytes[length++] = (byte) (0x80 | (c & 0x3F));
        } else {
          bytes[length++] = (byte) (0xE0 | (c >> 12));
          bytes[length++] = (byte) (0x80 | ((c >> 6) & 0x3F));
          bytes[length++] = (byte) (0x80 | (c & 0x3F));
        }
      }
    }
  }

  private void two(char c) {
    bytes[length++] = '\\';
    bytes[length++] = (byte) c;
  }

  private void ensure(int more) {
    if (length + more > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
    }
  }
}
