package io.mqttkafka.bridge.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttVersion;
import org.junit.jupiter.api.Test;

/** The bench's hand-encoded CONNECT is byte for byte what Netty's MQTT encoder writes. */
class NettyFleetTest {

  @Test
  void connectPacketMatchesNettysEncoderForAShortClientId() {
    assertThat(NettyFleet.connectPacket("bench-conn-0", 60)).isEqualTo(netty("bench-conn-0", 60));
  }

  @Test
  void connectPacketMatchesNettysEncoderWhenTheRemainingLengthNeedsTwoBytes() {
    String id = "c".repeat(200);
    byte[] ours = NettyFleet.connectPacket(id, 300);

    assertThat(ours).isEqualTo(netty(id, 300));
    assertThat(ours[1] & 0x80).isNotZero();
  }

  private static byte[] netty(String clientId, int keepAlive) {
    MqttConnectMessage connect = MqttMessageBuilders.connect().clientId(clientId).keepAlive(keepAlive)
        .cleanSession(true).protocolVersion(MqttVersion.MQTT_3_1_1).build();
    EmbeddedChannel channel = new EmbeddedChannel(MqttEncoder.INSTANCE);
    channel.writeOutbound(connect);
    ByteBuf out = channel.readOutbound();
    try {
      return ByteBufUtil.getBytes(out);
    } finally {
      out.release();
      channel.finishAndReleaseAll();
    }
  }
}
