package io.mqttkafka.bridge.testkit;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * MQTT packets as bytes, the one encoder of the tests and the bench: what a client sends (CONNECT,
 * PUBLISH, PUBACK, PUBREL, SUBSCRIBE, PINGREQ, DISCONNECT), built from MQTT's encodings
 * ({@link Writer}: big-endian integers, the variable byte integer, length-prefixed strings). No
 * check: a test may build a packet that breaks a rule on purpose. For a hot path, {@link #publishHead}
 * encodes a PUBLISH up to its packet id once, and the caller appends the packet id and payload.
 */
public final class MqttPackets {

  /** Protocol levels ([MQTT-3.1.2-2]): 3 is MQTT 3.1 ("MQIsdp"), 4 is 3.1.1, 5 is MQTT 5. */
  public static final int V31 = 3;
  public static final int V311 = 4;
  public static final int V5 = 5;

  /**
   * PUBACK's fixed header as one big-endian short (type 4, flags 0, remaining length 2), for a hot
   * path that writes it into its own buffer; the packet id follows.
   */
  public static final int PUBACK_HEADER = 0x4002;
  /** PUBREL's fixed header as one short: type 6, [MQTT-3.6.1-1] flags 0010, remaining length 2. */
  public static final int PUBREL_HEADER = 0x6202;

  private MqttPackets() {
  }

  /** A UTF-8 string with its two-byte length ([MQTT-1.5.3]). */
  public static byte[] string(String s) {
    return new Writer().str(s).toByteArray();
  }

  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  public static byte[] concat(byte[]... parts) {
    Writer w = new Writer();
    for (byte[] p : parts) {
      w.raw(p);
    }
    return w.toByteArray();
  }

  /** A whole packet: first byte (type and flags), remaining length ([MQTT-2.2.3]), body. */
  public static byte[] packet(int firstByte, byte[] body) {
    return new Writer().u8(firstByte).varint(body.length).raw(body).toByteArray();
  }

  /** CONNECT for MQTT 3.1.1, clean session, keep-alive 60 s, no Will, user name or password. */
  public static byte[] connect(String clientId) {
    return connect(clientId, 60);
  }

  /** CONNECT for MQTT 3.1.1, clean session, with the given keep-alive. */
  public static byte[] connect(String clientId, int keepAliveSeconds) {
    return connect(clientId, V311, null, null, 0, false, keepAliveSeconds);
  }

  /** CONNECT with an optional Will and keep-alive 60 s; level 5 adds empty property lists. */
  public static byte[] connect(String clientId, int level, String willTopic, byte[] willPayload, int willQos,
                               boolean willRetain) {
    return connect(clientId, level, willTopic, willPayload, willQos, willRetain, 60);
  }

  /**
   * CONNECT with everything chosen: protocol level, optional Will (null topic: none), keep-alive;
   * clean session, no user name or password. Level 5 adds empty property lists.
   */
  public static byte[] connect(String clientId, int level, String willTopic, byte[] willPayload, int willQos,
                               boolean willRetain, int keepAliveSeconds) {
    return connect(clientId, level, willTopic, willPayload, willQos, willRetain, keepAliveSeconds, true);
  }

  /** CONNECT for MQTT 3.1.1 with the CleanSession flag given, no Will, keep-alive 60 s. */
  public static byte[] connect(String clientId, boolean cleanSession) {
    return connect(clientId, V311, null, null, 0, false, 60, cleanSession);
  }

  /** CONNECT with everything chosen, the CleanSession (MQTT 5: Clean Start) flag too. */
  public static byte[] connect(String clientId, int level, String willTopic, byte[] willPayload, int willQos,
                               boolean willRetain, int keepAliveSeconds, boolean cleanSession) {
    int flags = cleanSession ? 0x02 : 0; // [MQTT-3.1.2-4] clean session
    if (willTopic != null) {
      flags |= 0x04 | (willQos << 3) | (willRetain ? 0x20 : 0);
    }
    // [MQTT-3.1.2-1] protocol name, [MQTT-3.1.2-2] level, flags, keep-alive
    Writer w = new Writer().str(level == V31 ? "MQIsdp" : "MQTT").u8(level).u8(flags).u16(keepAliveSeconds);
    if (level == V5) {
      w.u8(0);
    }
    w.str(clientId); // [MQTT-3.1.3-3]
    if (willTopic != null) {
      if (level == V5) {
        w.u8(0);
      }
      w.str(willTopic).bin(willPayload);
    }
    return packet(0x10, w.toByteArray());
  }

  /** PUBLISH for MQTT 3.1.1, RETAIN 0; the packet id only for QoS 1 and 2 ([MQTT-2.3.1-5]). */
  public static byte[] publish(String topic, byte[] payload, int qos, int packetId, boolean dup) {
    Writer w = new Writer().str(topic);
    if (qos > 0) {
      w.u16(packetId);
    }
    return packet(0x30 | (dup ? 0x08 : 0) | (qos << 1), w.raw(payload).toByteArray());
  }

  /**
   * A PUBLISH for MQTT 3.1.1 up to its packet id: the fixed header (DUP 0, RETAIN 0) with the
   * remaining length of a packet whose payload has {@code payloadSize} bytes, and the topic name.
   * The caller appends the packet id (QoS 1 and 2) and the payload, so that a connection encodes its
   * header once and each message costs two copies.
   */
  public static byte[] publishHead(String topic, int qos, int payloadSize) {
    byte[] name = utf8(topic);
    int remaining = 2 + name.length + (qos > 0 ? 2 : 0) + payloadSize;
    return new Writer().u8(0x30 | qos << 1).varint(remaining).bin(name).toByteArray();
  }

  /** PUBACK for MQTT 3.1.1. */
  public static byte[] puback(int packetId) {
    return new Writer().u16(PUBACK_HEADER).u16(packetId).toByteArray();
  }

  /** PUBREL for MQTT 3.1.1. */
  public static byte[] pubrel(int packetId) {
    return new Writer().u16(PUBREL_HEADER).u16(packetId).toByteArray();
  }

  /** SUBSCRIBE for MQTT 3.1.1 with one filter; [MQTT-3.8.1-1] flags 0010. */
  public static byte[] subscribe(int packetId, String filter, int qos) {
    return packet(0x82, new Writer().u16(packetId).str(filter).u8(qos).toByteArray());
  }

  /** [MQTT-3.12.1]: PINGREQ, no variable header or payload. */
  public static byte[] pingreq() {
    return new byte[] {(byte) 0xC0, 0};
  }

  /** [MQTT-3.14.1]: DISCONNECT for MQTT 3.1.1, no variable header or payload. */
  public static byte[] disconnect() {
    return new byte[] {(byte) 0xE0, 0};
  }

  /** An MQTT 5 property list: its length as a variable byte integer ([MQTT-2.2.2]), then the properties. */
  static byte[] propertyList(byte[] body) {
    return new Writer().varint(body.length).raw(body).toByteArray();
  }

  // Fixed-header surgery, for the hostile packets that break the framing on purpose.

  /** Offset of the variable header: after the first byte and the remaining length. */
  static int variableHeaderStart(byte[] p) {
    int i = 1;
    while (i < p.length && i < 5 && (p[i] & 0x80) != 0) {
      i++;
    }
    return i + 1;
  }

  /** The remaining length the packet's fixed header claims (at most four bytes of it read). */
  static int remainingLength(byte[] p) {
    int length = 0;
    int multiplier = 1;
    for (int i = 1; i < Math.min(p.length, 5); i++) {
      length += (p[i] & 0x7F) * multiplier;
      if ((p[i] & 0x80) == 0) {
        break;
      }
      multiplier *= 128;
    }
    return length;
  }

  /** The same packet with another remaining length (the body unchanged). */
  static byte[] withRemainingLength(byte[] p, int length) {
    if (p.length < 2) {
      return p;
    }
    int start = Math.min(variableHeaderStart(p), p.length);
    return concat(new Writer().u8(p[0] & 0xFF).varint(length).toByteArray(), Arrays.copyOfRange(p, start, p.length));
  }

  /** A big-endian byte writer in MQTT's encodings; any value is written as given, valid or not. */
  public static final class Writer {
    private byte[] bytes = new byte[64];
    private int length;

    public Writer u8(int v) {
      if (length == bytes.length) {
        bytes = Arrays.copyOf(bytes, bytes.length * 2);
      }
      bytes[length++] = (byte) v;
      return this;
    }

    public Writer u16(int v) {
      return u8(v >> 8).u8(v);
    }

    public Writer u32(int v) {
      return u16(v >>> 16).u16(v & 0xFFFF);
    }

    /** A variable byte integer ([MQTT-1.5.5]): 7 bits a byte, low first, high bit = more. */
    public Writer varint(int v) {
      do {
        int digit = v % 128;
        v /= 128;
        u8(v > 0 ? digit | 0x80 : digit);
      } while (v > 0);
      return this;
    }

    /** A UTF-8 string with its two-byte length. */
    public Writer str(String s) {
      return bin(utf8(s));
    }

    /** Bytes with their two-byte length (also a UTF-8 string given as bytes, valid or not). */
    public Writer bin(byte[] b) {
      return u16(b.length).raw(b);
    }

    public Writer raw(byte[] b) {
      if (length + b.length > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + b.length));
      }
      System.arraycopy(b, 0, bytes, length, b.length);
      length += b.length;
      return this;
    }

    public byte[] toByteArray() {
      return Arrays.copyOf(bytes, length);
    }
  }
}
