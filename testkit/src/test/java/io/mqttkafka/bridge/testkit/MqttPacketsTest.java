package io.mqttkafka.bridge.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The hand-encoded packets are byte for byte what Netty's MQTT encoder writes. */
class MqttPacketsTest {

  @Test
  void connectMatchesNettysEncoderForAShortClientId() {
    assertThat(MqttPackets.connect("bench-conn-0", 60)).isEqualTo(netty(connect("bench-conn-0", 60)));
  }

  @Test
  void connectMatchesNettysEncoderWhenTheRemainingLengthNeedsTwoBytes() {
    String id = "c".repeat(200);
    byte[] ours = MqttPackets.connect(id, 300);

    assertThat(ours).isEqualTo(netty(connect(id, 300)));
    assertThat(ours[1] & 0x80).isNotZero();
  }

  @Test
  void connectWithAWillMatchesNettysEncoder() {
    MqttMessage will = MqttMessageBuilders.connect().clientId("car1").keepAlive(60).cleanSession(true)
        .protocolVersion(MqttVersion.MQTT_3_1_1).willFlag(true).willTopic("UL/car1/will")
        .willMessage("gone".getBytes(StandardCharsets.UTF_8)).willQoS(MqttQoS.AT_LEAST_ONCE).willRetain(true)
        .build();

    assertThat(MqttPackets.connect("car1", MqttPackets.V311, "UL/car1/will", "gone".getBytes(StandardCharsets.UTF_8),
        1, true)).isEqualTo(netty(will));
  }

  @Test
  void publishAndItsHeadMatchNettysEncoderForEachQos() {
    byte[] payload = new byte[20_000]; // a remaining length of three bytes
    payload[7] = 42;
    for (int qos = 0; qos <= 2; qos++) {
      MqttPublishMessage netty = new MqttPublishMessage(
          new MqttFixedHeader(MqttMessageType.PUBLISH, false, MqttQoS.valueOf(qos), false, 0),
          new MqttPublishVariableHeader("UL/7/pos", qos > 0 ? 513 : -1), Unpooled.wrappedBuffer(payload));
      byte[] expected = netty(netty);

      assertThat(MqttPackets.publish("UL/7/pos", payload, qos, 513, false)).as("QoS %d", qos).isEqualTo(expected);
      byte[] id = qos > 0 ? new byte[] {2, 1} : new byte[0];
      assertThat(MqttPackets.concat(MqttPackets.publishHead("UL/7/pos", qos, payload.length), id, payload))
          .as("QoS %d", qos).isEqualTo(expected);
    }
  }

  @Test
  void subscribeMatchesNettysEncoder() {
    MqttMessage subscribe = MqttMessageBuilders.subscribe().messageId(7).addSubscription(MqttQoS.AT_LEAST_ONCE, "DL/#")
        .build();

    assertThat(MqttPackets.subscribe(7, "DL/#", 1)).isEqualTo(netty(subscribe));
  }

  @Test
  void acknowledgementsMatchNettysEncoder() {
    assertThat(MqttPackets.puback(65_535)).isEqualTo(netty(idOnly(MqttMessageType.PUBACK, MqttQoS.AT_MOST_ONCE, 65_535)));
    assertThat(MqttPackets.pubrel(258)).isEqualTo(netty(idOnly(MqttMessageType.PUBREL, MqttQoS.AT_LEAST_ONCE, 258)));
    assertThat(MqttPackets.pingreq()).isEqualTo(netty(MqttMessage.PINGREQ));
    assertThat(MqttPackets.disconnect()).isEqualTo(netty(MqttMessage.DISCONNECT));
  }

  private static MqttMessage connect(String clientId, int keepAlive) {
    return MqttMessageBuilders.connect().clientId(clientId).keepAlive(keepAlive).cleanSession(true)
        .protocolVersion(MqttVersion.MQTT_3_1_1).build();
  }

  private static MqttMessage idOnly(MqttMessageType type, MqttQoS qos, int packetId) {
    return new MqttMessage(new MqttFixedHeader(type, false, qos, false, 0), MqttMessageIdVariableHeader.from(packetId));
  }

  private static byte[] netty(MqttMessage message) {
    EmbeddedChannel channel = new EmbeddedChannel(MqttEncoder.INSTANCE);
    channel.writeOutbound(message);
    ByteBuf out = Unpooled.buffer();
    for (ByteBuf b; (b = channel.readOutbound()) != null; ) {
      out.writeBytes(b);
      b.release();
    }
    channel.finishAndReleaseAll();
    return ByteBufUtil.getBytes(out);
  }
}
