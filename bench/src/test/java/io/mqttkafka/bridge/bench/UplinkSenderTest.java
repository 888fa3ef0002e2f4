package io.mqttkafka.bridge.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.testkit.MqttPackets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The uplink sender on an {@link EmbeddedChannel}: what it writes is decoded by Netty's MQTT decoder,
 * acknowledgements are fed back as the bridge would send them, and the event loop's turns are run by
 * hand.
 */
class UplinkSenderTest {

  private static final int RUN = 42;

  private final List<EmbeddedChannel> channels = new ArrayList<>();

  @AfterEach
  void release() {
    channels.forEach(EmbeddedChannel::finishAndReleaseAll);
  }

  @Test
  void publishPacketsAreWhatNettysEncoderWritesForEachQos() {
    for (int qos = 0; qos <= 2; qos++) {
      for (int payload : new int[] {29, 100, 20_000}) { // 20,000: a remaining length of three bytes
        byte[] head = MqttPackets.publishHead("UL/7/pos", qos, payload);
        ByteBuf ours = Unpooled.buffer().writeBytes(head);
        if (qos > 0) {
          ours.writeShort(513);
        }
        Payload.write(ours, payload, RUN, Payload.MEASURED, 1234L, 7, 9L);

        byte[] body = Payload.encode(payload, RUN, Payload.MEASURED, 1234L, 7, 9L);
        MqttPublishMessage netty = new MqttPublishMessage(
            new MqttFixedHeader(MqttMessageType.PUBLISH, false, MqttQoS.valueOf(qos), false, 0),
            new MqttPublishVariableHeader("UL/7/pos", qos > 0 ? 513 : -1), Unpooled.wrappedBuffer(body));
        assertThat(ByteBufUtil.getBytes(ours)).as("QoS %d, %d bytes", qos, payload).isEqualTo(encode(netty));
      }
    }
  }

  @Test
  void ackReaderFindsEachPacketAcrossReadsAndSkipsLongOnes() {
    UplinkSender.AckReader reader = new UplinkSender.AckReader();
    ByteBuf first = Unpooled.wrappedBuffer(new byte[] {0x40, 2, 0x01, 0x02, (byte) 0xD0, 0, 0x40, 2, 0x00});
    ByteBuf second = Unpooled.buffer();
    second.writeByte(0x07);
    second.writeByte(0x30).writeByte(0x83).writeByte(0x01); // PUBLISH, remaining length 131
    second.writeShort(3).writeBytes("a/b".getBytes()).writeZero(126);
    second.writeByte(0x70).writeByte(2).writeShort(65_535);

    assertThat(reader.next(first)).isTrue();
    assertThat(reader.type).isEqualTo(0x40);
    assertThat(reader.packetId).isEqualTo(0x0102);
    assertThat(reader.next(first)).isTrue();
    assertThat(reader.type).isEqualTo(0xD0);
    assertThat(reader.remaining).isZero();
    assertThat(reader.next(first)).isFalse(); // the third packet ends in the next read
    assertThat(reader.next(second)).isTrue();
    assertThat(reader.type).isEqualTo(0x40);
    assertThat(reader.packetId).isEqualTo(7);
    assertThat(reader.next(second)).isTrue();
    assertThat(reader.type).isEqualTo(0x30);
    assertThat(reader.remaining).isEqualTo(131);
    assertThat(reader.next(second)).isTrue();
    assertThat(reader.type).isEqualTo(0x70);
    assertThat(reader.packetId).isEqualTo(65_535);
    assertThat(reader.next(second)).isFalse();
  }

  @Test
  void qos1KeepsTheWindowAndSendsMoreOnlyAsPubacksCome() {
    UplinkSender sender = new UplinkSender(1, 100, RUN, 0, 3, "UL/{i}/pos");
    EmbeddedChannel channel = started(sender, 5);

    List<MqttPublishMessage> sent = published(channel);
    assertThat(sent).extracting(m -> m.variableHeader().packetId()).containsExactly(1, 2, 3);
    assertThat(sent).allSatisfy(m -> {
      assertThat(m.fixedHeader().qosLevel()).isEqualTo(MqttQoS.AT_LEAST_ONCE);
      assertThat(m.variableHeader().topicName()).isEqualTo("UL/5/pos");
      assertThat(m.payload().readableBytes()).isEqualTo(100);
    });
    assertThat(sender.outstanding()).isEqualTo(3);
    turn(channel);
    assertThat(published(channel)).isEmpty(); // the window is full

    channel.writeInbound(ack(MqttMessageType.PUBACK, 1));
    turn(channel);
    assertThat(published(channel)).extracting(m -> m.variableHeader().packetId()).containsExactly(4);
    assertThat(sender.acked()).isEqualTo(1);
    assertThat(sender.outstanding()).isEqualTo(3);
    assertThat(sender.unexpected()).isZero();
    release(sent);
  }

  @Test
  void anAcknowledgementForAnotherPacketOrOfAnotherKindIsCountedAsUnexpected() {
    UplinkSender sender = new UplinkSender(1, 100, RUN, 0, 2, "UL/{i}/pos");
    EmbeddedChannel channel = started(sender, 0);
    release(published(channel));

    channel.writeInbound(ack(MqttMessageType.PUBACK, 2)); // packet 1 is the oldest
    channel.writeInbound(ack(MqttMessageType.PUBCOMP, 2)); // a QoS 2 answer to QoS 1
    channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0xB0, 2, 0, 1})); // UNSUBACK

    assertThat(sender.unexpected()).isEqualTo(3);
    assertThat(sender.acked()).isEqualTo(1);
  }

  @Test
  void qos2AnswersPubrecWithPubrelAndCountsThePubcomp() {
    UplinkSender sender = new UplinkSender(2, 50, RUN, 0, 1, "UL/{i}/pos");
    sender.measure(System.nanoTime(), 0);
    EmbeddedChannel channel = started(sender, 1);
    List<MqttPublishMessage> sent = published(channel);
    assertThat(sent).extracting(m -> m.fixedHeader().qosLevel()).containsExactly(MqttQoS.EXACTLY_ONCE);

    channel.writeInbound(ack(MqttMessageType.PUBREC, 1));
    List<MqttMessage> answers = decoded(channel);
    assertThat(answers).hasSize(1);
    assertThat(answers.get(0).fixedHeader().messageType()).isEqualTo(MqttMessageType.PUBREL);
    assertThat(answers.get(0).fixedHeader().qosLevel()).isEqualTo(MqttQoS.AT_LEAST_ONCE); // flags 0010
    assertThat(((MqttMessageIdVariableHeader) answers.get(0).variableHeader()).messageId()).isEqualTo(1);
    assertThat(sender.acked()).isZero();

    channel.writeInbound(ack(MqttMessageType.PUBCOMP, 1));
    assertThat(sender.acked()).isEqualTo(1);
    assertThat(sender.outstanding()).isZero();
    assertThat(sender.ackLatency().total().getTotalCount()).isEqualTo(1);
    assertThat(sender.unexpected()).isZero();
    release(sent);
  }

  @Test
  void theMeasuredPhaseSendsExactlyItsBudgetAndMarksThePayloads() {
    UplinkSender sender = new UplinkSender(0, 40, RUN, 0, 100, "UL/{i}/pos");
    EmbeddedChannel a = connect(sender, 0);
    EmbeddedChannel b = connect(sender, 1);
    sender.measure(System.nanoTime(), 7);
    sender.start();
    a.runPendingTasks();
    b.runPendingTasks();
    turn(a);
    turn(b);

    List<MqttPublishMessage> sent = new ArrayList<>(published(a));
    sent.addAll(published(b));
    assertThat(sent).hasSize(7);
    assertThat(sender.published(Payload.MEASURED)).isEqualTo(7);
    assertThat(sender.published(Payload.WARMUP)).isZero();
    assertThat(sender.budgetUsed()).isTrue();
    Payload.Header header = new Payload.Header();
    for (MqttPublishMessage m : sent) {
      assertThat(Payload.decode(ByteBufUtil.getBytes(m.payload()), RUN, header)).isTrue();
      assertThat(header.phase).isEqualTo(Payload.MEASURED);
      assertThat(m.fixedHeader().qosLevel()).isEqualTo(MqttQoS.AT_MOST_ONCE);
    }
    release(sent);
  }

  @Test
  void aConnectionOverItsHighWaterMarkGetsNothingUntilItDrains() {
    UplinkSender sender = new UplinkSender(0, 1000, RUN, 0, 100, "UL/{i}/pos");
    EmbeddedChannel channel = connect(sender, 0);
    channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1, 2));
    channel.write(Unpooled.buffer(10).writeZero(10)); // not flushed: as if the socket took nothing
    assertThat(channel.isWritable()).isFalse();
    sender.start();
    channel.runPendingTasks();
    turn(channel);
    assertThat(sender.publishedTotal()).isZero();

    channel.flush();
    ReferenceCountUtil.release(channel.readOutbound()); // the stuck bytes
    turn(channel);
    assertThat(sender.publishedTotal()).isPositive();
    release(published(channel));
  }

  /** One connection, the sender started on it and its first turn run. */
  private EmbeddedChannel started(UplinkSender sender, int index) {
    EmbeddedChannel channel = connect(sender, index);
    sender.start();
    channel.runPendingTasks();
    return channel;
  }

  private EmbeddedChannel connect(UplinkSender sender, int index) {
    EmbeddedChannel channel = SessionChannel.open(sender.session(index), false);
    channel.freezeTime();
    channels.add(channel);
    return channel;
  }

  /** The next turn of the channel's event loop. */
  private static void turn(EmbeddedChannel channel) {
    channel.advanceTimeBy(UplinkSender.TURN_MICROS, TimeUnit.MICROSECONDS);
    channel.runScheduledPendingTasks();
  }

  private static List<MqttPublishMessage> published(EmbeddedChannel channel) {
    List<MqttPublishMessage> out = new ArrayList<>();
    for (MqttMessage m : decoded(channel)) {
      assertThat(m.decoderResult().isSuccess()).as("%s", m.decoderResult()).isTrue();
      out.add((MqttPublishMessage) m);
    }
    return out;
  }

  /** Everything the sender wrote, decoded by Netty's MQTT decoder as the bridge would. */
  private static List<MqttMessage> decoded(EmbeddedChannel channel) {
    EmbeddedChannel decoder = new EmbeddedChannel(new MqttDecoder(1 << 20));
    for (Object out; (out = channel.readOutbound()) != null; ) {
      decoder.writeInbound(out);
    }
    List<MqttMessage> messages = new ArrayList<>();
    for (Object m; (m = decoder.readInbound()) != null; ) {
      messages.add((MqttMessage) m);
    }
    decoder.finishAndReleaseAll();
    return messages;
  }

  private static ByteBuf ack(MqttMessageType type, int packetId) {
    return Unpooled.wrappedBuffer(new byte[] {(byte) (type.value() << 4), 2, (byte) (packetId >> 8), (byte) packetId});
  }

  private static byte[] encode(MqttMessage message) {
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

  private static void release(List<MqttPublishMessage> messages) {
    messages.forEach(ReferenceCountUtil::release);
  }
}
