package io.mqttkafka.bridge.testkit;

import static io.mqttkafka.bridge.testkit.MqttPackets.concat;
import static io.mqttkafka.bridge.testkit.MqttPackets.packet;
import static io.mqttkafka.bridge.testkit.MqttPackets.pingreq;
import static io.mqttkafka.bridge.testkit.MqttPackets.utf8;

import io.mqttkafka.bridge.testkit.MqttPackets.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * Packet sequences for fuzzing an MQTT server: valid MQTT 3.1.1 and 5 sequences (CONNECT with or
 * without Will, credentials and properties; PUBLISH QoS 0/1/2 with properties; PUBREL; SUBSCRIBE;
 * UNSUBSCRIBE; PINGREQ; DISCONNECT), the same with byte-level mutations, and named hostile cases
 * that each break one rule of the spec. Pure: everything comes from the given {@link Random}, so a
 * seed reproduces a sequence.
 */
public final class HostilePackets {

  /** Protocol levels. */
  public static final int V311 = MqttPackets.V311;
  public static final int V5 = MqttPackets.V5;

  /**
   * One connection's bytes.
   *
   * @param name    the hostile case ({@code valid}, {@code mutation.bitflip}, {@code publish.qos3}, ...)
   * @param packets the packets in sending order (a mutated packet may no longer be one packet)
   * @param mutated how many of them were mutated or built to break a rule
   */
  public record Sequence(String name, List<byte[]> packets, int mutated) {
    public byte[] bytes() {
      Writer b = new Writer();
      packets.forEach(b::raw);
      return b.toByteArray();
    }
  }

  /** The topics a valid sequence publishes to; the test maps {@code UL/fz/...} to a Kafka topic. */
  static final String TOPIC_PREFIX = "UL/fz/";

  private final Random random;
  private final int level;
  private final String clientId;
  private int nextPacketId;

  /** @param clientId the client id a valid CONNECT carries (hostile cases may break it) */
  public HostilePackets(Random random, int level, String clientId) {
    this.random = random;
    this.level = level;
    this.clientId = clientId;
    this.nextPacketId = 1 + random.nextInt(60_000);
  }

  // ---------------------------------------------------------------- valid packets

  /** A valid random sequence: CONNECT, 1-6 packets, usually DISCONNECT. */
  public List<byte[]> validSequence() {
    List<byte[]> packets = new ArrayList<>();
    packets.add(connect(new ConnectSpec()));
    int count = 1 + random.nextInt(6);
    for (int i = 0; i < count; i++) {
      switch (random.nextInt(9)) {
        case 0, 1 -> packets.add(publish(0, topic(), 0, props(this::publishProperty)));
        case 2, 3 -> packets.add(publish(1, topic(), packetId(), props(this::publishProperty)));
        case 4 -> {
          int id = packetId();
          packets.add(publish(2, topic(), id, props(this::publishProperty)));
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
    byte[] properties = props(HostilePackets.this::connectProperty);
    byte[] willProperties = props(HostilePackets.this::willProperty);
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

  private int packetId() {
    nextPacketId = nextPacketId % 65_535 + 1;
    return nextPacketId;
  }

  // ---------------------------------------------------------------- MQTT 5 properties

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

  static byte[] propertyList(byte[] body) {
    return new Writer().varint(body.length).raw(body).toByteArray();
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

  // ---------------------------------------------------------------- hostile cases

  /** The named hostile cases: each builds a sequence that breaks one rule. */
  public List<String> caseNames() {
    return cases().stream().map(HostileCase::name).toList();
  }

  /** Builds the named case's sequence. */
  public Sequence hostile(String name) {
    for (HostileCase c : cases()) {
      if (c.name().equals(name)) {
        return new Sequence(name, c.build().get(), 1);
      }
    }
    throw new IllegalArgumentException(name);
  }

  private record HostileCase(String name, java.util.function.Supplier<List<byte[]>> build) {}

  /** A CONNECT, then the given packet (the one that breaks a rule), then a PINGREQ. */
  private List<byte[]> afterConnect(byte[] bad) {
    return new ArrayList<>(List.of(connect(new ConnectSpec()), bad, pingreq()));
  }

  private List<byte[]> badConnect(java.util.function.Consumer<ConnectSpec> change) {
    ConnectSpec spec = new ConnectSpec();
    change.accept(spec);
    return new ArrayList<>(List.of(connect(spec), pingreq()));
  }

  private List<HostileCase> cases() {
    List<HostileCase> c = new ArrayList<>();
    // CONNECT
    c.add(new HostileCase("connect.protocolLevel", () -> badConnect(s -> s.protocolLevel = pick(0, 1, 2, 6, 7, 255))));
    c.add(new HostileCase("connect.mqtt31", () -> badConnect(s -> {
      s.protocolName = "MQIsdp";
      s.protocolLevel = 3;
    })));
    c.add(new HostileCase("connect.protocolName", () -> badConnect(s -> s.protocolName = pickOf("MQTX", "mqtt", "", "MQTTMQTT"))));
    c.add(new HostileCase("connect.reservedFlag", () -> badConnect(s -> s.reservedFlag = true)));
    c.add(new HostileCase("connect.willQos3", () -> badConnect(s -> {
      s.will = true;
      s.willQos = 3;
    })));
    c.add(new HostileCase("connect.willQosWithoutWillFlag", () -> {
      // [MQTT-3.1.2-11]/[MQTT-3.1.2-13]: Will QoS and Will Retain must be 0 without the Will flag.
      ConnectSpec s = new ConnectSpec();
      s.will = false;
      byte[] p = connect(s);
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
      ConnectSpec s = new ConnectSpec();
      s.clientIdBytes = new byte[0];
      s.will = false;
      s.user = false;
      s.password = false;
      byte[] p = connect(s);
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
      s.willTopic = utf8(pickOf("UL/fz/#", "UL/+/x"));
    })));
    c.add(new HostileCase("connect.willTopic.unmapped", () -> {
      // A Will no mapping rule accepts, then a malformed packet: the bridge closes, the Will is refused.
      ConnectSpec s = new ConnectSpec();
      s.will = true;
      s.willQos = 0;
      s.willTopic = utf8("XX/will");
      return new ArrayList<>(List.of(connect(s), new byte[] {0x00, 0x00}));
    }));
    c.add(new HostileCase("connect.willTopic.invalidUtf8", () -> badConnect(s -> {
      s.will = true;
      s.willQos = 0;
      s.willTopic = badUtf8();
    })));
    c.add(new HostileCase("connect.second", () -> new ArrayList<>(List.of(connect(new ConnectSpec()),
        connect(new ConnectSpec()), pingreq()))));
    if (level == V5) {
      c.add(new HostileCase("connect.v5.duplicateProperty", () -> badConnect(s -> s.properties =
          propertyList(new Writer().u8(0x21).u16(10).u8(0x21).u16(20).toByteArray()))));
      c.add(new HostileCase("connect.v5.receiveMaximum0", () -> badConnect(s -> s.properties =
          propertyList(new Writer().u8(0x21).u16(0).toByteArray()))));
      c.add(new HostileCase("connect.v5.maximumPacketSize0", () -> badConnect(s -> s.properties =
          propertyList(new Writer().u8(0x27).u32(0).toByteArray()))));
      c.add(new HostileCase("connect.v5.propertyNotAllowed", () -> badConnect(s -> s.properties =
          propertyList(new Writer().u8(pick(0x23, 0x13, 0x24, 0x0B)).u16(1).toByteArray()))));
      c.add(new HostileCase("connect.v5.unknownProperty", () -> badConnect(s -> s.properties =
          propertyList(new Writer().u8(0x7F).u8(1).toByteArray()))));
      c.add(new HostileCase("connect.v5.propertyLengthBeyondPacket", () -> badConnect(s -> s.properties =
          new Writer().varint(200).u8(0x21).u16(5).toByteArray())));
      c.add(new HostileCase("connect.v5.authenticationMethod", () -> badConnect(s -> s.properties =
          propertyList(new Writer().u8(0x15).str("SCRAM-SHA-256").toByteArray()))));
      c.add(new HostileCase("connect.v5.userPropertyInvalidUtf8", () -> badConnect(s -> s.properties =
          propertyList(new Writer().u8(0x26).bin(badUtf8()).str("v").toByteArray()))));
    }
    // Before CONNECT
    c.add(new HostileCase("beforeConnect.publish", () -> List.of(publish(1, TOPIC_PREFIX + "early", 1, props(this::publishProperty)))));
    c.add(new HostileCase("beforeConnect.subscribe", () -> List.of(subscribe(1, "DL/#"))));
    c.add(new HostileCase("beforeConnect.pingreq", () -> List.of(pingreq())));
    c.add(new HostileCase("beforeConnect.serverOnlyPacket", () -> List.of(serverOnlyPacket())));
    c.add(new HostileCase("beforeConnect.http", () -> List.of("GET /mqtt HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII))));
    // PUBLISH
    c.add(new HostileCase("publish.qos3", () -> afterConnect(publish(0x36, utf8(TOPIC_PREFIX + "q3"), true, 1, props(this::publishProperty), new byte[] {1}))));
    c.add(new HostileCase("publish.topic.wildcard", () -> afterConnect(publish(1, pickOf(TOPIC_PREFIX + "#", TOPIC_PREFIX + "+/x", "UL/fz+"), packetId(), props(this::publishProperty)))));
    c.add(new HostileCase("publish.topic.invalidUtf8", () -> afterConnect(publish(0x32, badUtf8(), true, packetId(), props(this::publishProperty), new byte[] {1}))));
    c.add(new HostileCase("publish.topic.nul", () -> afterConnect(publish(0x30, utf8(TOPIC_PREFIX + "a\u0000b"), false, 0, props(this::publishProperty), new byte[] {1}))));
    c.add(new HostileCase("publish.topic.surrogate", () -> afterConnect(publish(0x32,
        concat(utf8(TOPIC_PREFIX), new byte[] {(byte) 0xED, (byte) 0xB0, (byte) 0x80}), true, packetId(), props(this::publishProperty), new byte[] {1}))));
    c.add(new HostileCase("publish.topic.empty", () -> afterConnect(publish(0x32, new byte[0], true, packetId(), props(this::publishProperty), new byte[] {1}))));
    c.add(new HostileCase("publish.topic.lengthBeyondPacket", () -> afterConnect(packet(0x30, new Writer().u16(65_535).raw(utf8("UL/fz/x")).toByteArray()))));
    c.add(new HostileCase("publish.packetId0", () -> afterConnect(publish(0x32, utf8(TOPIC_PREFIX + "id0"), true, 0, props(this::publishProperty), new byte[] {1}))));
    c.add(new HostileCase("publish.qos0WithDup", () -> afterConnect(publish(0x38, utf8(TOPIC_PREFIX + "dup"), false, 0, props(this::publishProperty), new byte[] {1}))));
    c.add(new HostileCase("publish.overMaxMessageSize", () -> afterConnect(
        publish(0x32, utf8(TOPIC_PREFIX + "big"), true, packetId(), props(this::publishProperty), new byte[6000]))));
    c.add(new HostileCase("publish.remainingLengthBeyondData", () -> {
      byte[] p = publish(0x30, utf8(TOPIC_PREFIX + "short"), false, 0, props(this::publishProperty), new byte[] {1, 2});
      return afterConnect(withRemainingLength(p, 3000));
    }));
    c.add(new HostileCase("publish.unmappedTopic", () -> afterConnect(publish(1, "XX/unmapped", packetId(), props(this::publishProperty)))));
    if (level == V5) {
      c.add(new HostileCase("publish.v5.topicAlias0", () -> afterConnect(publish(0x32, utf8(TOPIC_PREFIX + "a"), true, packetId(),
          propertyList(new Writer().u8(0x23).u16(0).toByteArray()), new byte[] {1}))));
      c.add(new HostileCase("publish.v5.topicAliasBeyondMaximum", () -> afterConnect(publish(0x32, utf8(TOPIC_PREFIX + "a"), true, packetId(),
          propertyList(new Writer().u8(0x23).u16(1 + random.nextInt(65_535)).toByteArray()), new byte[] {1}))));
      c.add(new HostileCase("publish.v5.aliasOnly", () -> afterConnect(publish(0x30, new byte[0], false, 0,
          propertyList(new Writer().u8(0x23).u16(1).toByteArray()), new byte[] {1}))));
      c.add(new HostileCase("publish.v5.duplicateProperty", () -> afterConnect(publish(0x32, utf8(TOPIC_PREFIX + "a"), true, packetId(),
          propertyList(new Writer().u8(0x01).u8(0).u8(0x01).u8(1).toByteArray()), new byte[] {1}))));
      c.add(new HostileCase("publish.v5.propertyNotAllowed", () -> afterConnect(publish(0x32, utf8(TOPIC_PREFIX + "a"), true, packetId(),
          propertyList(new Writer().u8(pick(0x11, 0x21, 0x13)).u16(7).toByteArray()), new byte[] {1}))));
      c.add(new HostileCase("publish.v5.subscriptionIdentifier", () -> afterConnect(publish(0x32, utf8(TOPIC_PREFIX + "a"), true, packetId(),
          propertyList(new Writer().u8(0x0B).varint(5).toByteArray()), new byte[] {1}))));
      c.add(new HostileCase("publish.v5.responseTopicWildcard", () -> afterConnect(publish(0x32, utf8(TOPIC_PREFIX + "a"), true, packetId(),
          propertyList(new Writer().u8(0x08).str("UL/#").toByteArray()), new byte[] {1}))));
      c.add(new HostileCase("publish.v5.propertyLengthBeyondPacket", () -> afterConnect(publish(0x32, utf8(TOPIC_PREFIX + "a"), true, packetId(),
          new Writer().varint(100).u8(0x01).u8(0).toByteArray(), new byte[0]))));
      c.add(new HostileCase("publish.v5.receiveMaximumExceeded", () -> {
        List<byte[]> packets = new ArrayList<>();
        packets.add(connect(new ConnectSpec()));
        for (int i = 0; i < 120; i++) {
          packets.add(publish(0x32, utf8(TOPIC_PREFIX + "rm"), true, packetId(), propertyList(new byte[0]), new byte[] {(byte) i}));
        }
        return packets;
      }));
    }
    // SUBSCRIBE, UNSUBSCRIBE
    c.add(new HostileCase("subscribe.noFilters", () -> {
      Writer b = new Writer().u16(packetId());
      if (level == V5) {
        b.u8(0);
      }
      return afterConnect(packet(0x82, b.toByteArray()));
    }));
    c.add(new HostileCase("subscribe.qos3", () -> afterConnect(subscribe(packetId(), propertyList(new byte[0]), utf8("DL/#"), 3))));
    c.add(new HostileCase("subscribe.reservedOptionBits", () -> afterConnect(subscribe(packetId(), propertyList(new byte[0]), utf8("DL/#"), 0xC1))));
    c.add(new HostileCase("subscribe.packetId0", () -> afterConnect(subscribe(0, propertyList(new byte[0]), utf8("DL/#"), 1))));
    c.add(new HostileCase("subscribe.filter.invalidUtf8", () -> afterConnect(subscribe(packetId(), propertyList(new byte[0]), badUtf8(), 1))));
    c.add(new HostileCase("subscribe.filter.invalid", () -> afterConnect(subscribe(packetId(), propertyList(new byte[0]),
        utf8(pickOf("DL/#/x", "DL/a+", "DL/#a", "")), 1))));
    c.add(new HostileCase("subscribe.wrongFlags", () -> {
      byte[] p = subscribe(packetId(), "DL/#");
      p[0] = (byte) 0x80;
      return afterConnect(p);
    }));
    c.add(new HostileCase("unsubscribe.noTopics", () -> {
      Writer b = new Writer().u16(packetId());
      if (level == V5) {
        b.u8(0);
      }
      return afterConnect(packet(0xA2, b.toByteArray()));
    }));
    if (level == V5) {
      c.add(new HostileCase("subscribe.v5.subscriptionIdentifier", () -> afterConnect(subscribe(packetId(),
          propertyList(new Writer().u8(0x0B).varint(1 + random.nextInt(1000)).toByteArray()), utf8("DL/#"), 1))));
      c.add(new HostileCase("subscribe.v5.subscriptionIdentifier0", () -> afterConnect(subscribe(packetId(),
          propertyList(new Writer().u8(0x0B).varint(0).toByteArray()), utf8("DL/#"), 1))));
      c.add(new HostileCase("subscribe.v5.sharedSubscription", () -> afterConnect(subscribe(packetId(),
          propertyList(new byte[0]), utf8("$share/g/DL/#"), 1))));
      c.add(new HostileCase("subscribe.v5.retainHandling3", () -> afterConnect(subscribe(packetId(),
          propertyList(new byte[0]), utf8("DL/#"), 0x31))));
    }
    // Acknowledgements and other packets a client may send
    c.add(new HostileCase("pubrel.unknownPacketId", () -> afterConnect(pubrel(packetId()))));
    c.add(new HostileCase("pubrel.wrongFlags", () -> {
      byte[] p = pubrel(packetId());
      p[0] = 0x60;
      return afterConnect(p);
    }));
    c.add(new HostileCase("puback.unknownPacketId", () -> afterConnect(packet(0x40, new Writer().u16(packetId()).toByteArray()))));
    c.add(new HostileCase("pubrec.unknownPacketId", () -> afterConnect(packet(0x50, new Writer().u16(packetId()).toByteArray()))));
    c.add(new HostileCase("pubcomp.unknownPacketId", () -> afterConnect(packet(0x70, new Writer().u16(packetId()).toByteArray()))));
    c.add(new HostileCase("serverOnlyPacket", () -> afterConnect(serverOnlyPacket())));
    c.add(new HostileCase("reservedPacketType", () -> afterConnect(packet(level == V5 ? 0x00 : pick(0x00, 0xF0), new byte[0]))));
    c.add(new HostileCase("pingreq.withBody", () -> afterConnect(packet(0xC0, new byte[] {1}))));
    c.add(new HostileCase("disconnect.withBody", () -> afterConnect(level == V5
        ? packet(0xE0, new Writer().u8(0).varint(50).toByteArray()) : packet(0xE0, new byte[] {0, 0}))));
    if (level == V5) {
      c.add(new HostileCase("pubrel.v5.unknownReasonCode", () -> afterConnect(packet(0x62,
          new Writer().u16(packetId()).u8(pick(0x05, 0x80, 0xFF)).u8(0).toByteArray()))));
      c.add(new HostileCase("puback.v5.unknownReasonCode", () -> afterConnect(packet(0x40,
          new Writer().u16(packetId()).u8(pick(0x05, 0x81, 0xFF)).u8(0).toByteArray()))));
      c.add(new HostileCase("disconnect.v5.unknownReasonCode", () -> afterConnect(packet(0xE0,
          new Writer().u8(pick(0x03, 0x7F, 0xFF)).u8(0).toByteArray()))));
      c.add(new HostileCase("disconnect.v5.sessionExpiryAfterZero", () -> afterConnect(packet(0xE0,
          new Writer().u8(0).raw(propertyList(new Writer().u8(0x11).u32(60).toByteArray())).toByteArray()))));
      c.add(new HostileCase("auth.v5.afterConnect", () -> afterConnect(packet(0xF0,
          new Writer().u8(0x18).raw(propertyList(new Writer().u8(0x15).str("SCRAM-SHA-256").toByteArray())).toByteArray()))));
      c.add(new HostileCase("auth.v5.unknownReasonCode", () -> afterConnect(packet(0xF0, new Writer().u8(0x42).u8(0).toByteArray()))));
      c.add(new HostileCase("beforeConnect.auth", () -> List.of(packet(0xF0,
          new Writer().u8(0x18).raw(propertyList(new Writer().u8(0x15).str("SCRAM-SHA-256").toByteArray())).toByteArray()))));
    }
    // Remaining length
    c.add(new HostileCase("remainingLength.fiveBytes", () -> afterConnect(new byte[] {0x30, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F})));
    c.add(new HostileCase("remainingLength.max268435455", () -> afterConnect(concat(new byte[] {0x30, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F},
        new Writer().str(TOPIC_PREFIX + "huge").raw(randomBytes(64)).toByteArray()))));
    c.add(new HostileCase("remainingLength.max268435455BeforeConnect", () -> List.of(concat(new byte[] {0x10, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F},
        new Writer().str("MQTT").u8(level).u8(2).u16(30).toByteArray()))));
    c.add(new HostileCase("remainingLength.overlongEncoding", () -> afterConnect(new byte[] {(byte) 0xC0, (byte) 0x80, (byte) 0x80, 0x00})));
    c.add(new HostileCase("remainingLength.tooShortForHeader", () -> afterConnect(withRemainingLength(
        publish(0x32, utf8(TOPIC_PREFIX + "x"), true, packetId(), props(this::publishProperty), new byte[0]), 3))));
    return c;
  }

  // ---------------------------------------------------------------- byte-level mutations

  /** Byte-level mutations of a valid sequence. */
  public enum Mutation {
    BIT_FLIP, BYTE_INSERT, BYTE_DELETE, TRUNCATE, WRONG_FLAGS, RESERVED_TYPE, HUGE_REMAINING_LENGTH,
    REMAINING_LENGTH_OFF_BY_SOME, RANDOM_SPLICE, DUPLICATE_PACKET
  }

  /** A valid sequence with 1-3 mutations applied to its packets (never the first one alone: see below). */
  public Sequence mutated() {
    List<byte[]> packets = validSequence();
    int count = 1 + random.nextInt(3);
    Mutation first = null;
    for (int i = 0; i < count; i++) {
      Mutation m = Mutation.values()[random.nextInt(Mutation.values().length)];
      first = first == null ? m : first;
      int index = random.nextInt(packets.size());
      apply(m, packets, index);
    }
    return new Sequence("mutation." + first.name().toLowerCase(java.util.Locale.ROOT) + (count > 1 ? "+" : ""),
        packets, count);
  }

  private void apply(Mutation m, List<byte[]> packets, int index) {
    byte[] p = packets.get(index);
    if (p.length == 0) {
      m = Mutation.RANDOM_SPLICE; // an earlier mutation emptied it
    }
    switch (m) {
      case BIT_FLIP -> {
        byte[] q = p.clone();
        int flips = 1 + random.nextInt(4);
        for (int i = 0; i < flips; i++) {
          q[random.nextInt(q.length)] ^= (byte) (1 << random.nextInt(8));
        }
        packets.set(index, q);
      }
      case BYTE_INSERT -> {
        int at = random.nextInt(p.length + 1);
        packets.set(index, concat(java.util.Arrays.copyOfRange(p, 0, at), randomBytes(1 + random.nextInt(3)),
            java.util.Arrays.copyOfRange(p, at, p.length)));
      }
      case BYTE_DELETE -> {
        int at = random.nextInt(p.length);
        int n = Math.min(p.length - at, 1 + random.nextInt(3));
        packets.set(index, concat(java.util.Arrays.copyOfRange(p, 0, at), java.util.Arrays.copyOfRange(p, at + n, p.length)));
      }
      case TRUNCATE -> {
        packets.set(index, java.util.Arrays.copyOf(p, random.nextInt(p.length)));
        while (packets.size() > index + 1) {
          packets.remove(packets.size() - 1); // the stream ends in the middle of the packet
        }
      }
      case WRONG_FLAGS -> {
        byte[] q = p.clone();
        q[0] = (byte) ((q[0] & 0xF0) | ((q[0] & 0x0F) ^ (1 + random.nextInt(15))));
        packets.set(index, q);
      }
      case RESERVED_TYPE -> {
        byte[] q = p.clone();
        q[0] = (byte) ((level == V5 ? 0x00 : pick(0x00, 0xF0)) | (q[0] & 0x0F));
        packets.set(index, q);
      }
      case HUGE_REMAINING_LENGTH -> packets.set(index, withRemainingLength(p, pick(268_435_455, 2_097_152, 16_384, 5000)));
      case REMAINING_LENGTH_OFF_BY_SOME -> {
        int length = remainingLength(p);
        packets.set(index, withRemainingLength(p, Math.max(0, length + pick(-3, -2, -1, 1, 2, 3))));
      }
      case RANDOM_SPLICE -> packets.add(index, randomBytes(1 + random.nextInt(16)));
      case DUPLICATE_PACKET -> packets.add(index, p.clone());
      default -> throw new IllegalStateException(m.name());
    }
  }

  // ---------------------------------------------------------------- helpers

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

  @SafeVarargs
  private <T> T pickOf(T... options) {
    return options[random.nextInt(options.length)];
  }

  private int pick(int... options) {
    return options[random.nextInt(options.length)];
  }

  private byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  /** Offset of the variable header: after the first byte and the remaining length. */
  static int variableHeaderStart(byte[] p) {
    int i = 1;
    while (i < p.length && i < 5 && (p[i] & 0x80) != 0) {
      i++;
    }
    return i + 1;
  }

  private static int remainingLength(byte[] p) {
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
    return concat(new Writer().u8(p[0] & 0xFF).varint(length).toByteArray(), java.util.Arrays.copyOfRange(p, start, p.length));
  }
}
