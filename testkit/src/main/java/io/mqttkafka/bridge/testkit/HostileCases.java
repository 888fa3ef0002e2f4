package io.mqttkafka.bridge.testkit;

import static io.mqttkafka.bridge.testkit.MqttPackets.V5;
import static io.mqttkafka.bridge.testkit.MqttPackets.concat;
import static io.mqttkafka.bridge.testkit.MqttPackets.packet;
import static io.mqttkafka.bridge.testkit.MqttPackets.pingreq;
import static io.mqttkafka.bridge.testkit.MqttPackets.propertyList;
import static io.mqttkafka.bridge.testkit.MqttPackets.utf8;
import static io.mqttkafka.bridge.testkit.MqttPackets.variableHeaderStart;
import static io.mqttkafka.bridge.testkit.MqttPackets.withRemainingLength;
import static io.mqttkafka.bridge.testkit.RandomClientPackets.TOPIC_PREFIX;

import io.mqttkafka.bridge.testkit.MqttPackets.Writer;
import io.mqttkafka.bridge.testkit.RandomClientPackets.ConnectSpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The named hostile cases: each builds a packet sequence that breaks one rule of the MQTT spec (a
 * CONNECT with a bad field, a packet before CONNECT, a PUBLISH or SUBSCRIBE with an invalid topic,
 * flag or property, an acknowledgement nobody asked for, a remaining length that lies), usually as
 * CONNECT, the bad packet, PINGREQ. Built from {@link RandomClientPackets}, so the rest of each
 * packet is valid and random. MQTT 5-only cases exist only for a level-5 connection. The order of
 * the cases is fixed: a seed that picks one by index picks the same one every run.
 */
final class HostileCases {

  private record HostileCase(String name, Supplier<List<byte[]>> build) {}

  private final RandomClientPackets gen;
  private final Random random;
  private final int level;

  HostileCases(RandomClientPackets gen) {
    this.gen = gen;
    this.random = gen.random;
    this.level = gen.level;
  }

  /** The case names, in their fixed order. */
  List<String> names() {
    return cases().stream().map(HostileCase::name).toList();
  }

  /**
   * The named case's packets.
   *
   * @throws IllegalArgumentException when there is no such case at this protocol level
   */
  List<byte[]> build(String name) {
    for (HostileCase c : cases()) {
      if (c.name().equals(name)) {
        return c.build().get();
      }
    }
    throw new IllegalArgumentException(name);
  }

  private List<HostileCase> cases() {
    List<HostileCase> c = new ArrayList<>();
    connectCases(c);
    beforeConnectCases(c);
    publishCases(c);
    subscribeCases(c);
    controlPacketCases(c);
    remainingLengthCases(c);
    return c;
  }

  /** A CONNECT, then the given packet (the one that breaks a rule), then a PINGREQ. */
  private List<byte[]> afterConnect(byte[] bad) {
    return new ArrayList<>(List.of(gen.connect(gen.connectSpec()), bad, pingreq()));
  }

  /** A PUBLISH with random valid properties and a one-byte payload; the fields given break a rule. */
  private byte[] badPublish(int firstByte, byte[] topic, boolean withId, int packetId) {
    return gen.publish(firstByte, topic, withId, packetId, gen.publishProperties(), new byte[] {1});
  }

  /** A CONNECT with one field changed, then a PINGREQ. */
  private List<byte[]> badConnect(Consumer<ConnectSpec> change) {
    ConnectSpec spec = gen.connectSpec();
    change.accept(spec);
    return new ArrayList<>(List.of(gen.connect(spec), pingreq()));
  }

  /** CONNECT: protocol name and level, flags, client id, user name, Will, MQTT 5 properties. */
  private void connectCases(List<HostileCase> c) {
    c.add(new HostileCase("connect.protocolLevel", () -> badConnect(s -> s.protocolLevel = gen.pick(0, 1, 2, 6, 7, 255))));
    c.add(new HostileCase("connect.mqtt31", () -> badConnect(s -> {
      s.protocolName = "MQIsdp";
      s.protocolLevel = 3;
    })));
    c.add(new HostileCase("connect.protocolName", () -> badConnect(s -> s.protocolName = gen.pickOf("MQTX", "mqtt", "", "MQTTMQTT"))));
    c.add(new HostileCase("connect.reservedFlag", () -> badConnect(s -> s.reservedFlag = true)));
    c.add(new HostileCase("connect.willQos3", () -> badConnect(s -> {
      s.will = true;
      s.willQos = 3;
    })));
    c.add(new HostileCase("connect.willQosWithoutWillFlag", () -> {
      // [MQTT-3.1.2-11]/[MQTT-3.1.2-13]: Will QoS and Will Retain must be 0 without the Will flag.
      ConnectSpec s = gen.connectSpec();
      s.will = false;
      byte[] p = gen.connect(s);
      p[variableHeaderStart(p) + 7] |= 0x08;
      return new ArrayList<>(List.of(p, pingreq()));
    }));
    c.add(new HostileCase("connect.passwordWithoutUsername", () -> badConnect(s -> {
      s.user = false;
      s.password = true;
    })));
    c.add(new HostileCase("connect.clientId.invalidUtf8", () -> badConnect(s -> s.clientIdBytes = badUtf8())));
    c.add(new HostileCase("connect.clientId.nul", () -> badConnect(s -> s.clientIdBytes = utf8("fz\u0000nul"))));
    c.add(new HostileCase("connect.clientId.surrogate", () -> badConnect(s ->
        s.clientIdBytes = new byte[] {'f', 'z', (byte) 0xED, (byte) 0xA0, (byte) 0x80})));
    c.add(new HostileCase("connect.clientId.empty", () -> badConnect(s -> s.clientIdBytes = new byte[0])));
    c.add(new HostileCase("connect.clientId.tooLong", () -> badConnect(s -> s.clientIdBytes = utf8("f".repeat(300)))));
    c.add(new HostileCase("connect.clientId.pattern", () -> badConnect(s -> s.clientIdBytes = utf8("fz/with space#"))));
    c.add(new HostileCase("connect.clientId.oversizedString", () -> {
      // The client id's length field claims 65,535 bytes; the packet holds a few.
      ConnectSpec s = gen.connectSpec();
      s.clientIdBytes = new byte[0];
      s.will = false;
      s.user = false;
      s.password = false;
      byte[] p = gen.connect(s);
      p[p.length - 2] = (byte) 0xFF;
      p[p.length - 1] = (byte) 0xFF;
      return new ArrayList<>(List.of(concat(p, utf8("fz")), pingreq()));
    }));
    c.add(new HostileCase("connect.username.invalidUtf8", () -> badConnect(s -> {
      s.user = true;
      s.username = badUtf8();
    })));
    c.add(new HostileCase("connect.willTopic.wildcard", () -> badConnect(s -> {
      s.will = true;
      s.willQos = 0;
      s.willTopic = utf8(gen.pickOf("UL/fz/#", "UL/+/x"));
    })));
    c.add(new HostileCase("connect.willTopic.unmapped", () -> {
      // A Will no mapping rule accepts, then a malformed packet: the bridge closes, the Will is refused.
      ConnectSpec s = gen.connectSpec();
      s.will = true;
      s.willQos = 0;
      s.willTopic = utf8("XX/will");
      return new ArrayList<>(List.of(gen.connect(s), new byte[] {0x00, 0x00}));
    }));
    c.add(new HostileCase("connect.willTopic.invalidUtf8", () -> badConnect(s -> {
      s.will = true;
      s.willQos = 0;
      s.willTopic = badUtf8();
    })));
    c.add(new HostileCase("connect.second", () -> new ArrayList<>(List.of(gen.connect(gen.connectSpec()),
        gen.connect(gen.connectSpec()), pingreq()))));
    if (level == V5) {
      c.add(new HostileCase("connect.v5.duplicateProperty", () -> badConnect(s -> s.properties =
          propertyList(new Writer().u8(0x21).u16(10).u8(0x21).u16(20).toByteArray()))));
      c.add(new HostileCase("connect.v5.receiveMaximum0", () -> badConnect(s -> s.properties =
          propertyList(new Writer().u8(0x21).u16(0).toByteArray()))));
      c.add(new HostileCase("connect.v5.maximumPacketSize0", () -> badConnect(s -> s.properties =
          propertyList(new Writer().u8(0x27).u32(0).toByteArray()))));
      c.add(new HostileCase("connect.v5.propertyNotAllowed", () -> badConnect(s -> s.properties =
          propertyList(new Writer().u8(gen.pick(0x23, 0x13, 0x24, 0x0B)).u16(1).toByteArray()))));
      c.add(new HostileCase("connect.v5.unknownProperty", () -> badConnect(s -> s.properties =
          propertyList(new Writer().u8(0x7F).u8(1).toByteArray()))));
      c.add(new HostileCase("connect.v5.propertyLengthBeyondPacket", () -> badConnect(s -> s.properties =
          new Writer().varint(200).u8(0x21).u16(5).toByteArray())));
      c.add(new HostileCase("connect.v5.authenticationMethod", () -> badConnect(s -> s.properties =
          propertyList(new Writer().u8(0x15).str("SCRAM-SHA-256").toByteArray()))));
      c.add(new HostileCase("connect.v5.userPropertyInvalidUtf8", () -> badConnect(s -> s.properties =
          propertyList(new Writer().u8(0x26).bin(badUtf8()).str("v").toByteArray()))));
    }
  }

  /** Packets before CONNECT, HTTP included. */
  private void beforeConnectCases(List<HostileCase> c) {
    c.add(new HostileCase("beforeConnect.publish", () -> List.of(gen.publish(1, TOPIC_PREFIX + "early", 1, gen.publishProperties()))));
    c.add(new HostileCase("beforeConnect.subscribe", () -> List.of(gen.subscribe(1, "DL/#"))));
    c.add(new HostileCase("beforeConnect.pingreq", () -> List.of(pingreq())));
    c.add(new HostileCase("beforeConnect.serverOnlyPacket", () -> List.of(serverOnlyPacket())));
    c.add(new HostileCase("beforeConnect.http", () -> List.of("GET /mqtt HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII))));
  }

  /** PUBLISH: QoS, topic name, packet id, size, MQTT 5 properties and flow control. */
  private void publishCases(List<HostileCase> c) {
    c.add(new HostileCase("publish.qos3", () -> afterConnect(badPublish(0x36, utf8(TOPIC_PREFIX + "q3"), true, 1))));
    c.add(new HostileCase("publish.topic.wildcard", () -> afterConnect(gen.publish(1, gen.pickOf(TOPIC_PREFIX + "#", TOPIC_PREFIX + "+/x", "UL/fz+"), gen.packetId(), gen.publishProperties()))));
    c.add(new HostileCase("publish.topic.invalidUtf8", () -> afterConnect(badPublish(0x32, badUtf8(), true, gen.packetId()))));
    c.add(new HostileCase("publish.topic.nul", () -> afterConnect(badPublish(0x30, utf8(TOPIC_PREFIX + "a\u0000b"), false, 0))));
    c.add(new HostileCase("publish.topic.surrogate", () -> afterConnect(badPublish(0x32,
        concat(utf8(TOPIC_PREFIX), new byte[] {(byte) 0xED, (byte) 0xB0, (byte) 0x80}), true, gen.packetId()))));
    c.add(new HostileCase("publish.topic.empty", () -> afterConnect(badPublish(0x32, new byte[0], true, gen.packetId()))));
    c.add(new HostileCase("publish.topic.lengthBeyondPacket", () -> afterConnect(packet(0x30, new Writer().u16(65_535).raw(utf8("UL/fz/x")).toByteArray()))));
    c.add(new HostileCase("publish.packetId0", () -> afterConnect(badPublish(0x32, utf8(TOPIC_PREFIX + "id0"), true, 0))));
    c.add(new HostileCase("publish.qos0WithDup", () -> afterConnect(badPublish(0x38, utf8(TOPIC_PREFIX + "dup"), false, 0))));
    c.add(new HostileCase("publish.overMaxMessageSize", () -> afterConnect(
        gen.publish(0x32, utf8(TOPIC_PREFIX + "big"), true, gen.packetId(), gen.publishProperties(), new byte[6000]))));
    c.add(new HostileCase("publish.remainingLengthBeyondData", () -> {
      byte[] p = gen.publish(0x30, utf8(TOPIC_PREFIX + "short"), false, 0, gen.publishProperties(), new byte[] {1, 2});
      return afterConnect(withRemainingLength(p, 3000));
    }));
    c.add(new HostileCase("publish.unmappedTopic", () -> afterConnect(gen.publish(1, "XX/unmapped", gen.packetId(), gen.publishProperties()))));
    if (level == V5) {
      c.add(new HostileCase("publish.v5.topicAlias0", () -> afterConnect(gen.publish(0x32, utf8(TOPIC_PREFIX + "a"), true, gen.packetId(),
          propertyList(new Writer().u8(0x23).u16(0).toByteArray()), new byte[] {1}))));
      c.add(new HostileCase("publish.v5.topicAliasBeyondMaximum", () -> afterConnect(gen.publish(0x32, utf8(TOPIC_PREFIX + "a"), true, gen.packetId(),
          propertyList(new Writer().u8(0x23).u16(1 + random.nextInt(65_535)).toByteArray()), new byte[] {1}))));
      c.add(new HostileCase("publish.v5.aliasOnly", () -> afterConnect(gen.publish(0x30, new byte[0], false, 0,
          propertyList(new Writer().u8(0x23).u16(1).toByteArray()), new byte[] {1}))));
      c.add(new HostileCase("publish.v5.duplicateProperty", () -> afterConnect(gen.publish(0x32, utf8(TOPIC_PREFIX + "a"), true, gen.packetId(),
          propertyList(new Writer().u8(0x01).u8(0).u8(0x01).u8(1).toByteArray()), new byte[] {1}))));
      c.add(new HostileCase("publish.v5.propertyNotAllowed", () -> afterConnect(gen.publish(0x32, utf8(TOPIC_PREFIX + "a"), true, gen.packetId(),
          propertyList(new Writer().u8(gen.pick(0x11, 0x21, 0x13)).u16(7).toByteArray()), new byte[] {1}))));
      c.add(new HostileCase("publish.v5.subscriptionIdentifier", () -> afterConnect(gen.publish(0x32, utf8(TOPIC_PREFIX + "a"), true, gen.packetId(),
          propertyList(new Writer().u8(0x0B).varint(5).toByteArray()), new byte[] {1}))));
      c.add(new HostileCase("publish.v5.responseTopicWildcard", () -> afterConnect(gen.publish(0x32, utf8(TOPIC_PREFIX + "a"), true, gen.packetId(),
          propertyList(new Writer().u8(0x08).str("UL/#").toByteArray()), new byte[] {1}))));
      c.add(new HostileCase("publish.v5.propertyLengthBeyondPacket", () -> afterConnect(gen.publish(0x32, utf8(TOPIC_PREFIX + "a"), true, gen.packetId(),
          new Writer().varint(100).u8(0x01).u8(0).toByteArray(), new byte[0]))));
      c.add(new HostileCase("publish.v5.receiveMaximumExceeded", () -> {
        List<byte[]> packets = new ArrayList<>();
        packets.add(gen.connect(gen.connectSpec()));
        for (int i = 0; i < 120; i++) {
          packets.add(gen.publish(0x32, utf8(TOPIC_PREFIX + "rm"), true, gen.packetId(), propertyList(new byte[0]), new byte[] {(byte) i}));
        }
        return packets;
      }));
    }
  }

  /** SUBSCRIBE and UNSUBSCRIBE: empty lists, options, filters, flags, MQTT 5 identifiers. */
  private void subscribeCases(List<HostileCase> c) {
    c.add(new HostileCase("subscribe.noFilters", () -> {
      Writer b = new Writer().u16(gen.packetId());
      if (level == V5) {
        b.u8(0);
      }
      return afterConnect(packet(0x82, b.toByteArray()));
    }));
    c.add(new HostileCase("subscribe.qos3", () -> afterConnect(gen.subscribe(gen.packetId(), propertyList(new byte[0]), utf8("DL/#"), 3))));
    c.add(new HostileCase("subscribe.reservedOptionBits", () -> afterConnect(gen.subscribe(gen.packetId(), propertyList(new byte[0]), utf8("DL/#"), 0xC1))));
    c.add(new HostileCase("subscribe.packetId0", () -> afterConnect(gen.subscribe(0, propertyList(new byte[0]), utf8("DL/#"), 1))));
    c.add(new HostileCase("subscribe.filter.invalidUtf8", () -> afterConnect(gen.subscribe(gen.packetId(), propertyList(new byte[0]), badUtf8(), 1))));
    c.add(new HostileCase("subscribe.filter.invalid", () -> afterConnect(gen.subscribe(gen.packetId(), propertyList(new byte[0]),
        utf8(gen.pickOf("DL/#/x", "DL/a+", "DL/#a", "")), 1))));
    c.add(new HostileCase("subscribe.wrongFlags", () -> {
      byte[] p = gen.subscribe(gen.packetId(), "DL/#");
      p[0] = (byte) 0x80;
      return afterConnect(p);
    }));
    c.add(new HostileCase("unsubscribe.noTopics", () -> {
      Writer b = new Writer().u16(gen.packetId());
      if (level == V5) {
        b.u8(0);
      }
      return afterConnect(packet(0xA2, b.toByteArray()));
    }));
    if (level == V5) {
      c.add(new HostileCase("subscribe.v5.subscriptionIdentifier", () -> afterConnect(gen.subscribe(gen.packetId(),
          propertyList(new Writer().u8(0x0B).varint(1 + random.nextInt(1000)).toByteArray()), utf8("DL/#"), 1))));
      c.add(new HostileCase("subscribe.v5.subscriptionIdentifier0", () -> afterConnect(gen.subscribe(gen.packetId(),
          propertyList(new Writer().u8(0x0B).varint(0).toByteArray()), utf8("DL/#"), 1))));
      c.add(new HostileCase("subscribe.v5.sharedSubscription", () -> afterConnect(gen.subscribe(gen.packetId(),
          propertyList(new byte[0]), utf8("$share/g/DL/#"), 1))));
      c.add(new HostileCase("subscribe.v5.retainHandling3", () -> afterConnect(gen.subscribe(gen.packetId(),
          propertyList(new byte[0]), utf8("DL/#"), 0x31))));
    }
  }

  /** Acknowledgements and the other packets a client may (or may not) send. */
  private void controlPacketCases(List<HostileCase> c) {
    c.add(new HostileCase("pubrel.unknownPacketId", () -> afterConnect(gen.pubrel(gen.packetId()))));
    c.add(new HostileCase("pubrel.wrongFlags", () -> {
      byte[] p = gen.pubrel(gen.packetId());
      p[0] = 0x60;
      return afterConnect(p);
    }));
    c.add(new HostileCase("puback.unknownPacketId", () -> afterConnect(packet(0x40, new Writer().u16(gen.packetId()).toByteArray()))));
    c.add(new HostileCase("pubrec.unknownPacketId", () -> afterConnect(packet(0x50, new Writer().u16(gen.packetId()).toByteArray()))));
    c.add(new HostileCase("pubcomp.unknownPacketId", () -> afterConnect(packet(0x70, new Writer().u16(gen.packetId()).toByteArray()))));
    c.add(new HostileCase("serverOnlyPacket", () -> afterConnect(serverOnlyPacket())));
    c.add(new HostileCase("reservedPacketType", () -> afterConnect(packet(level == V5 ? 0x00 : gen.pick(0x00, 0xF0), new byte[0]))));
    c.add(new HostileCase("pingreq.withBody", () -> afterConnect(packet(0xC0, new byte[] {1}))));
    c.add(new HostileCase("disconnect.withBody", () -> afterConnect(level == V5
        ? packet(0xE0, new Writer().u8(0).varint(50).toByteArray()) : packet(0xE0, new byte[] {0, 0}))));
    if (level == V5) {
      c.add(new HostileCase("pubrel.v5.unknownReasonCode", () -> afterConnect(packet(0x62,
          new Writer().u16(gen.packetId()).u8(gen.pick(0x05, 0x80, 0xFF)).u8(0).toByteArray()))));
      c.add(new HostileCase("puback.v5.unknownReasonCode", () -> afterConnect(packet(0x40,
          new Writer().u16(gen.packetId()).u8(gen.pick(0x05, 0x81, 0xFF)).u8(0).toByteArray()))));
      c.add(new HostileCase("disconnect.v5.unknownReasonCode", () -> afterConnect(packet(0xE0,
          new Writer().u8(gen.pick(0x03, 0x7F, 0xFF)).u8(0).toByteArray()))));
      c.add(new HostileCase("disconnect.v5.sessionExpiryAfterZero", () -> afterConnect(packet(0xE0,
          new Writer().u8(0).raw(propertyList(new Writer().u8(0x11).u32(60).toByteArray())).toByteArray()))));
      c.add(new HostileCase("auth.v5.afterConnect", () -> afterConnect(packet(0xF0,
          new Writer().u8(0x18).raw(propertyList(new Writer().u8(0x15).str("SCRAM-SHA-256").toByteArray())).toByteArray()))));
      c.add(new HostileCase("auth.v5.unknownReasonCode", () -> afterConnect(packet(0xF0, new Writer().u8(0x42).u8(0).toByteArray()))));
      c.add(new HostileCase("beforeConnect.auth", () -> List.of(packet(0xF0,
          new Writer().u8(0x18).raw(propertyList(new Writer().u8(0x15).str("SCRAM-SHA-256").toByteArray())).toByteArray()))));
    }
  }

  /** Remaining lengths that are too long, overlong-encoded or too short: malformed framing. */
  private void remainingLengthCases(List<HostileCase> c) {
    c.add(new HostileCase("remainingLength.fiveBytes", () -> afterConnect(new byte[] {0x30, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F})));
    c.add(new HostileCase("remainingLength.max268435455", () -> afterConnect(concat(new byte[] {0x30, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F},
        new Writer().str(TOPIC_PREFIX + "huge").raw(gen.randomBytes(64)).toByteArray()))));
    c.add(new HostileCase("remainingLength.max268435455BeforeConnect", () -> List.of(concat(new byte[] {0x10, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F},
        new Writer().str("MQTT").u8(level).u8(2).u16(30).toByteArray()))));
    c.add(new HostileCase("remainingLength.overlongEncoding", () -> afterConnect(new byte[] {(byte) 0xC0, (byte) 0x80, (byte) 0x80, 0x00})));
    c.add(new HostileCase("remainingLength.tooShortForHeader", () -> afterConnect(withRemainingLength(
        gen.publish(0x32, utf8(TOPIC_PREFIX + "x"), true, gen.packetId(), gen.publishProperties(), new byte[0]), 3))));
  }

  // ---------------------------------------------------------------- bad parts

  /** A packet only a server sends: CONNACK, SUBACK, UNSUBACK or PINGRESP. */
  private byte[] serverOnlyPacket() {
    return switch (random.nextInt(4)) {
      case 0 -> new byte[] {0x20, 2, 0, 0}; // CONNACK
      case 1 -> packet(0x90, new Writer().u16(1).raw(level == V5 ? new byte[] {0} : new byte[0]).u8(0).toByteArray()); // SUBACK
      case 2 -> packet(0xB0, new Writer().u16(1).raw(level == V5 ? new byte[] {0, 0} : new byte[0]).toByteArray()); // UNSUBACK
      default -> new byte[] {(byte) 0xD0, 0}; // PINGRESP
    };
  }

  /** Invalid UTF-8 of several kinds [MQTT-1.5.4-1]: bad continuation, overlong, lone continuation, 5-byte form. */
  private byte[] badUtf8() {
    byte[] bad = switch (random.nextInt(5)) {
      case 0 -> new byte[] {(byte) 0xC3, 0x28};
      case 1 -> new byte[] {(byte) 0xC0, (byte) 0xAF};
      case 2 -> new byte[] {(byte) 0x80};
      case 3 -> new byte[] {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80};
      default -> new byte[] {(byte) 0xFF, (byte) 0xFE};
    };
    return concat(utf8(TOPIC_PREFIX), bad);
  }
}
