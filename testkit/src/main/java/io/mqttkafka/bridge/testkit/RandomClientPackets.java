package io.mqttkafka.bridge.testkit;

import static io.mqttkafka.bridge.testkit.MqttPackets.V5;
import static io.mqttkafka.bridge.testkit.MqttPackets.packet;
import static io.mqttkafka.bridge.testkit.MqttPackets.pingreq;
import static io.mqttkafka.bridge.testkit.MqttPackets.propertyList;
import static io.mqttkafka.bridge.testkit.MqttPackets.utf8;

import io.mqttkafka.bridge.testkit.MqttPackets.Writer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * The packets an MQTT client sends on one fuzzed connection (CONNECT with or without Will,
 * credentials and properties; PUBLISH QoS 0/1/2 with properties; PUBREL; SUBSCRIBE; UNSUBSCRIBE;
 * DISCONNECT), valid MQTT 3.1.1 or 5 with random contents. Every field can also be given, so that
 * {@link HostileCases} builds the same packets with one rule broken. Everything comes from the one
 * {@link Random} of the connection, in call order: the same seed and calls give the same bytes.
 */
final class RandomClientPackets {

  /** The topics a valid sequence publishes to; the test maps {@code UL/fz/...} to a Kafka topic. */
  static final String TOPIC_PREFIX = "UL/fz/";

  final Random random;
  final int level;
  private final String clientId;
  private int nextPacketId;

  RandomClientPackets(Random random, int level, String clientId) {
    this.random = random;
    this.level = level;
    this.clientId = clientId;
    this.nextPacketId = 1 + random.nextInt(60_000);
  }

  /** A valid random sequence: CONNECT, 1-6 packets, usually DISCONNECT. */
  List<byte[]> validSequence() {
    List<byte[]> packets = new ArrayList<>();
    packets.add(connect(new ConnectSpec()));
    int count = 1 + random.nextInt(6);
    for (int i = 0; i < count; i++) {
      switch (random.nextInt(9)) {
        case 0, 1 -> packets.add(publish(0, topic(), 0, publishProperties()));
        case 2, 3 -> packets.add(publish(1, topic(), packetId(), publishProperties()));
        case 4 -> {
          int id = packetId();
          packets.add(publish(2, topic(), id, publishProperties()));
          if (random.nextBoolean()) {
            packets.add(pubrel(id));
          }
        }
        case 5 -> packets.add(subscribe(packetId(), filter()));
        case 6 -> packets.add(unsubscribe(packetId(), filter()));
        default -> packets.add(pingreq());
      }
    }
    if (random.nextInt(4) != 0) {
      packets.add(disconnect());
    }
    return packets;
  }

  /** What a CONNECT carries; valid and random unless a hostile case changes a field. */
  final class ConnectSpec {
    String protocolName = "MQTT";
    int protocolLevel = level;
    byte[] clientIdBytes = utf8(clientId);
    int keepAlive = 2 + random.nextInt(29);
    boolean cleanStart = true;
    boolean reservedFlag;
    boolean will = random.nextInt(3) == 0;
    int willQos = random.nextInt(3);
    boolean willRetain = random.nextBoolean();
    byte[] willTopic = utf8(TOPIC_PREFIX + "will");
    boolean user = random.nextInt(3) == 0;
    boolean password = user && random.nextBoolean();
    byte[] username = utf8("user" + random.nextInt(100));
    byte[] properties = props(RandomClientPackets.this::connectProperty);
    byte[] willProperties = props(RandomClientPackets.this::willProperty);
  }

  /** A fresh valid, random CONNECT description (draws from the random source). */
  ConnectSpec connectSpec() {
    return new ConnectSpec();
  }

  byte[] connect(ConnectSpec c) {
    int flags = (c.user ? 0x80 : 0) | (c.password ? 0x40 : 0) | (c.cleanStart ? 0x02 : 0) | (c.reservedFlag ? 1 : 0);
    if (c.will) {
      flags |= 0x04 | (c.willQos << 3) | (c.willRetain ? 0x20 : 0);
    }
    Writer b = new Writer().str(c.protocolName).u8(c.protocolLevel).u8(flags).u16(c.keepAlive);
    if (level == V5) {
      b.raw(c.properties);
    }
    b.bin(c.clientIdBytes);
    if (c.will) {
      if (level == V5) {
        b.raw(c.willProperties);
      }
      b.bin(c.willTopic).bin(randomBytes(random.nextInt(20)));
    }
    if (c.user) {
      b.bin(c.username);
    }
    if (c.password) {
      b.bin(randomBytes(1 + random.nextInt(12)));
    }
    return packet(0x10, b.toByteArray());
  }

  byte[] publish(int qos, String topic, int packetId, byte[] properties) {
    return publish(0x30 | (qos << 1) | (random.nextInt(5) == 0 ? 1 : 0), utf8(topic), qos > 0, packetId, properties,
        randomBytes(random.nextInt(40)));
  }

  byte[] publish(int firstByte, byte[] topic, boolean withId, int packetId, byte[] properties, byte[] payload) {
    Writer b = new Writer().bin(topic);
    if (withId) {
      b.u16(packetId);
    }
    if (level == V5) {
      b.raw(properties);
    }
    return packet(firstByte, b.raw(payload).toByteArray());
  }

  byte[] pubrel(int packetId) {
    Writer b = new Writer().u16(packetId);
    if (level == V5 && random.nextBoolean()) {
      b.u8(0).raw(props(this::userProperty));
    }
    return packet(0x62, b.toByteArray());
  }

  byte[] subscribe(int packetId, String filter) {
    return subscribe(packetId, props(this::userProperty), utf8(filter), random.nextInt(2));
  }

  byte[] subscribe(int packetId, byte[] properties, byte[] filter, int options) {
    Writer b = new Writer().u16(packetId);
    if (level == V5) {
      b.raw(properties);
    }
    return packet(0x82, b.bin(filter).u8(options).toByteArray());
  }

  byte[] unsubscribe(int packetId, String filter) {
    Writer b = new Writer().u16(packetId);
    if (level == V5) {
      b.raw(props(this::userProperty));
    }
    return packet(0xA2, b.str(filter).toByteArray());
  }

  byte[] disconnect() {
    if (level == V5 && random.nextBoolean()) {
      return packet(0xE0, new Writer().u8(random.nextBoolean() ? 0x00 : 0x04).raw(props(this::userProperty))
          .toByteArray());
    }
    return MqttPackets.disconnect();
  }

  private String topic() {
    return random.nextInt(10) == 0 ? "XX/unmapped" : TOPIC_PREFIX + random.nextInt(8);
  }

  private String filter() {
    return switch (random.nextInt(4)) {
      case 0 -> "DL/#";
      case 1 -> "DL/" + clientId + "/+";
      case 2 -> "DL/x";
      default -> "other/#"; // not among mappings.downlink.filters: SUBACK failure
    };
  }

  /** The next packet id, 1..65535, wrapping. */
  int packetId() {
    nextPacketId = nextPacketId % 65_535 + 1;
    return nextPacketId;
  }

  // ---------------------------------------------------------------- MQTT 5 properties

  /** A PUBLISH property list (empty on MQTT 3.1.1): 0-3 random valid properties. */
  byte[] publishProperties() {
    return props(this::publishProperty);
  }

  /** A property list (empty on MQTT 3.1.1): 0-3 random properties from {@code one}. */
  private byte[] props(Function<Writer, Writer> one) {
    if (level != V5) {
      return new byte[0];
    }
    Writer body = new Writer();
    int count = random.nextInt(4);
    for (int i = 0; i < count; i++) {
      one.apply(body);
    }
    return propertyList(body.toByteArray());
  }

  private Writer connectProperty(Writer b) {
    return switch (random.nextInt(6)) {
      case 0 -> b.u8(0x11).u32(random.nextInt(3600)); // session expiry interval
      case 1 -> b.u8(0x21).u16(1 + random.nextInt(100)); // receive maximum
      case 2 -> b.u8(0x27).u32(1024 + random.nextInt(100_000)); // maximum packet size
      case 3 -> b.u8(0x22).u16(random.nextInt(10)); // topic alias maximum
      case 4 -> b.u8(0x17).u8(random.nextInt(2)); // request problem information
      default -> userProperty(b);
    };
  }

  private Writer willProperty(Writer b) {
    return switch (random.nextInt(4)) {
      case 0 -> b.u8(0x18).u32(random.nextInt(10)); // will delay interval
      case 1 -> b.u8(0x01).u8(0); // payload format indicator
      case 2 -> b.u8(0x03).str("text/plain"); // content type
      default -> userProperty(b);
    };
  }

  private Writer publishProperty(Writer b) {
    return switch (random.nextInt(6)) {
      case 0 -> b.u8(0x01).u8(0); // payload format indicator: unspecified bytes
      case 1 -> b.u8(0x02).u32(random.nextInt(1000)); // message expiry interval
      case 2 -> b.u8(0x03).str("application/octet-stream"); // content type
      case 3 -> b.u8(0x08).str("UL/fz/reply"); // response topic
      case 4 -> b.u8(0x09).bin(randomBytes(random.nextInt(8))); // correlation data
      default -> userProperty(b);
    };
  }

  private Writer userProperty(Writer b) {
    return b.u8(0x26).str("k" + random.nextInt(5)).str("v" + random.nextInt(100));
  }

  // ---------------------------------------------------------------- random choices

  @SafeVarargs
  final <T> T pickOf(T... options) {
    return options[random.nextInt(options.length)];
  }

  int pick(int... options) {
    return options[random.nextInt(options.length)];
  }

  byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }
}
