package io.mqttkafka.bridge.downlink;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.records.DownlinkProperties;
import io.mqttkafka.bridge.records.DownlinkProperties.UserProperty;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.util.AttributeKey;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A downlink message's MQTT 5 properties (PublishProperties): what is sent, and the packet size the
 * Maximum Packet Size check uses, which must be what Netty's encoder writes, byte for byte.
 */
class PublishPropertiesTest {

  @Test
  void everyPropertyIsSentInTheFormTheRecordGaveIt() {
    byte[] correlation = {0, (byte) 0xFF};
    DownlinkProperties p = new DownlinkProperties("text/plain", 1, "RSP/car1/42", correlation,
        List.of(new UserProperty("a", "1"), new UserProperty("a", "2")), 30_000);

    MqttProperties sent = PublishProperties.of(p, 30);

    assertThat(sent.getProperty(MqttProperties.CONTENT_TYPE).value()).isEqualTo("text/plain");
    assertThat(sent.getProperty(MqttProperties.PAYLOAD_FORMAT_INDICATOR).value()).isEqualTo(1);
    assertThat(sent.getProperty(MqttProperties.RESPONSE_TOPIC).value()).isEqualTo("RSP/car1/42");
    assertThat((byte[]) sent.getProperty(MqttProperties.CORRELATION_DATA).value()).containsExactly(correlation);
    assertThat(sent.getProperty(MqttProperties.PUBLICATION_EXPIRY_INTERVAL).value()).isEqualTo(30);
    assertThat(sent.getProperties(MqttProperties.USER_PROPERTY)).extracting(u -> ((MqttProperties.UserProperty) u)
        .value().value).as("in order [MQTT-3.3.2-18]").containsExactly("1", "2");
  }

  @Test
  void nothingToSendIsTheSharedEmptyProperties() {
    assertThat(PublishProperties.of(DownlinkProperties.NONE, -1)).isSameAs(MqttProperties.NO_PROPERTIES);
  }

  @Test
  void thePacketSizeIsWhatNettyWrites() {
    String longValue = "v".repeat(200); // a two-byte remaining length and properties length
    List<DownlinkProperties> cases = List.of(DownlinkProperties.NONE, DownlinkProperties.ttlOnly(1),
        new DownlinkProperties("application/json", 0, "RSP/水/42", new byte[] {1, 2, 3},
            List.of(new UserProperty("é", "😀"), new UserProperty("k", longValue)), 5_000));
    for (DownlinkProperties p : cases) {
      for (int qos = 0; qos <= 1; qos++) {
        for (int payload : new int[] {0, 100, 20_000}) {
          long expiry = p.expiryIntervalSeconds(0, 0);
          assertThat(PublishProperties.packetSize("DL/car1/ü", qos, p, expiry, payload))
              .as("%s qos %d payload %d", p, qos, payload)
              .isEqualTo(encodedSize("DL/car1/ü", qos, PublishProperties.of(p, expiry), payload));
        }
      }
    }
  }

  private static long encodedSize(String topic, int qos, MqttProperties properties, int payload) {
    EmbeddedChannel channel = new EmbeddedChannel(MqttEncoder.INSTANCE);
    channel.attr(AttributeKey.<MqttVersion>valueOf("NETTY_CODEC_MQTT_VERSION")).set(MqttVersion.MQTT_5);
    MqttPublishMessage message = new MqttPublishMessage(
        new MqttFixedHeader(MqttMessageType.PUBLISH, false, MqttQoS.valueOf(qos), false, 0),
        new MqttPublishVariableHeader(topic, qos > 0 ? 1 : 0, properties), Unpooled.wrappedBuffer(new byte[payload]));
    channel.writeOutbound(message);
    long size = 0;
    for (ByteBuf written = channel.readOutbound(); written != null; written = channel.readOutbound()) {
      size += written.readableBytes();
      written.release();
    }
    channel.finishAndReleaseAll();
    return size;
  }
}
