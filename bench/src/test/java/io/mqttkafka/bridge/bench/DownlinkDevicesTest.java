package io.mqttkafka.bridge.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The downlink bench's devices on an {@link EmbeddedChannel}: what they write is decoded by Netty's
 * MQTT decoder, and what the bridge would send is encoded by Netty's MQTT encoder.
 */
class DownlinkDevicesTest {

  private static final int RUN = 42;

  private final List<EmbeddedChannel> channels = new ArrayList<>();

  @AfterEach
  void release() {
    channels.forEach(EmbeddedChannel::finishAndReleaseAll);
  }

  @Test
  void aDeviceSubscribesToItsFilterOnceOpenedAndCountsTheSuback() {
    DownlinkDevices devices = new DownlinkDevices(RUN, 10, "DL/{i}/#", 1);
    EmbeddedChannel channel = open(devices, 3);

    List<MqttMessage> written = decoded(channel);
    assertThat(written).hasSize(1);
    MqttSubscribeMessage subscribe = (MqttSubscribeMessage) written.get(0);
    assertThat(subscribe.payload().topicSubscriptions()).singleElement().satisfies(s -> {
      assertThat(s.topicFilter()).isEqualTo("DL/3/#");
      assertThat(s.qualityOfService()).isEqualTo(MqttQoS.AT_LEAST_ONCE);
    });
    assertThat(devices.opened()).containsExactly(3);

    channel.writeInbound(encode(MqttMessageBuilders.subAck().packetId(1).addGrantedQos(MqttQoS.AT_LEAST_ONCE).build()));
    channel.writeInbound(encode(MqttMessageBuilders.subAck().packetId(1).addGrantedQos(MqttQoS.FAILURE).build()));
    assertThat(devices.subacked()).isEqualTo(1);
    assertThat(devices.refused()).isEqualTo(1);
  }

  @Test
  void qos1PublishesAreRecordedAndAnsweredWithPubackAcrossReads() {
    DownlinkDevices devices = new DownlinkDevices(RUN, 10, "DL/#", 1);
    EmbeddedChannel channel = open(devices, 2);
    decoded(channel); // the SUBSCRIBE
    ByteBuf stream = Unpooled.wrappedBuffer(encode(publish(1, 7, Payload.MEASURED, 2, 0)),
        encode(publish(1, 8, Payload.MEASURED, 2, 1)), encode(publish(1, 9, Payload.WARMUP, 2, 1))); // a duplicate
    byte[] bytes = ByteBufUtil.getBytes(stream);
    stream.release();

    channel.writeInbound(Unpooled.wrappedBuffer(bytes, 0, 50)); // the first PUBLISH is longer than 50 bytes
    channel.writeInbound(Unpooled.wrappedBuffer(bytes, 50, bytes.length - 50));

    assertThat(decoded(channel)).extracting(m -> m.fixedHeader().messageType(),
            m -> ((MqttMessageIdVariableHeader) m.variableHeader()).messageId())
        .containsExactly(tuple(MqttMessageType.PUBACK, 7),
            tuple(MqttMessageType.PUBACK, 8),
            tuple(MqttMessageType.PUBACK, 9));
    Map<String, Object> figures = new LinkedHashMap<>();
    devices.describe(figures);
    assertThat(figures).containsEntry("received_unique", 2L).containsEntry("received_unique_measured", 2L)
        .containsEntry("duplicates", 1L).containsEntry("foreign", 0L);
    assertThat(devices.latency().total().getTotalCount()).isEqualTo(2);
    assertThat(devices.unexpected()).isZero();
  }

  @Test
  void qos0PublishesGetNoAnswerAndOtherRunsCountAsForeign() {
    DownlinkDevices devices = new DownlinkDevices(RUN, 10, "DL/#", 0);
    EmbeddedChannel channel = open(devices, 0);
    decoded(channel);

    channel.writeInbound(encode(publish(0, 0, Payload.MEASURED, 0, 0)));
    MqttPublishMessage foreign = new MqttPublishMessage(
        new MqttFixedHeader(MqttMessageType.PUBLISH, false, MqttQoS.AT_MOST_ONCE, false, 0),
        new MqttPublishVariableHeader("DL/0/cmd", -1),
        Unpooled.wrappedBuffer(Payload.encode(40, RUN + 1, Payload.MEASURED, System.nanoTime(), 0, 1)));
    channel.writeInbound(encode(foreign));
    channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0xB0, 2, 0, 1})); // UNSUBACK: not expected

    assertThat(decoded(channel)).isEmpty();
    assertThat(devices.total()).isEqualTo(1);
    Map<String, Object> figures = new LinkedHashMap<>();
    devices.describe(figures);
    assertThat(figures).containsEntry("foreign", 1L);
    assertThat(devices.unexpected()).isEqualTo(1);
  }

  private static MqttPublishMessage publish(int qos, int packetId, byte phase, int device, long seq) {
    return new MqttPublishMessage(new MqttFixedHeader(MqttMessageType.PUBLISH, false, MqttQoS.valueOf(qos), false, 0),
        new MqttPublishVariableHeader("DL/" + device + "/cmd", qos > 0 ? packetId : -1),
        Unpooled.wrappedBuffer(Payload.encode(100, RUN, phase, System.nanoTime(), device, seq)));
  }

  /** A device's connection right after its CONNACK. */
  private EmbeddedChannel open(DownlinkDevices devices, int index) {
    EmbeddedChannel channel = SessionChannel.open(devices.session(index), false);
    channels.add(channel);
    return channel;
  }

  /** Everything the device wrote, decoded by Netty's MQTT decoder. */
  private static List<MqttMessage> decoded(EmbeddedChannel channel) {
    EmbeddedChannel decoder = new EmbeddedChannel(new MqttDecoder(1 << 20));
    for (Object out; (out = channel.readOutbound()) != null; ) {
      decoder.writeInbound(out);
    }
    List<MqttMessage> messages = new ArrayList<>();
    for (Object m; (m = decoder.readInbound()) != null; ) {
      assertThat(((MqttMessage) m).decoderResult().isSuccess()).isTrue();
      messages.add((MqttMessage) m);
    }
    decoder.finishAndReleaseAll();
    return messages;
  }

  private static ByteBuf encode(MqttMessage message) {
    EmbeddedChannel channel = new EmbeddedChannel(MqttEncoder.INSTANCE);
    channel.writeOutbound(message);
    ByteBuf out = Unpooled.buffer();
    for (ByteBuf b; (b = channel.readOutbound()) != null; ) {
      out.writeBytes(b);
      b.release();
    }
    channel.finishAndReleaseAll();
    return out;
  }
}
