package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.util.AttributeKey;
import io.mqttkafka.bridge.testsupport.FakeMqttEndpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The PUBACKs the bridge encodes itself: one buffer per batch, read back by Netty's own MQTT decoder. */
class PubacksTest {

  /** Outside a batch of Kafka completions: the flush is queued on the event loop. */
  private static final Predicate<Runnable> NO_BATCH = task -> false;

  private final FakeMqttEndpoint endpoint = new FakeMqttEndpoint("car1", 5);

  @ParameterizedTest
  @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
  void aBatchIsOneWriteThatEveryVersionDecodesAsSuccessPubacksInOrder(MqttVersion version) {
    EmbeddedChannel channel = new EmbeddedChannel();
    Pubacks pubacks = new Pubacks(endpoint, channel, NO_BATCH);
    pubacks.add(1);
    pubacks.add(65_535);
    pubacks.add(300);
    assertThat(channel.<Object>readOutbound()).as("nothing before the task queued behind this one").isNull();
    channel.runPendingTasks();
    ByteBuf written = channel.readOutbound();
    assertThat(channel.<Object>readOutbound()).as("one buffer for the batch").isNull();
    assertThat(written.readableBytes()).isEqualTo(12);

    List<MqttMessage> decoded = decode(version, written);
    assertThat(decoded).extracting(m -> m.fixedHeader().messageType()).containsOnly(MqttMessageType.PUBACK);
    assertThat(decoded).allSatisfy(m -> assertThat(m.decoderResult().isSuccess()).isTrue());
    assertThat(decoded).extracting(PubacksTest::packetId).containsExactly(1, 65_535, 300);
    if (version == MqttVersion.MQTT_5) {
      assertThat(decoded).extracting(m -> ((MqttPubReplyMessageVariableHeader) m.variableHeader()).reasonCode())
          .containsOnly((byte) 0);
    }
    assertThat(endpoint.sent()).as("nothing through the endpoint").isEmpty();
  }

  @Test
  void withinABatchOfKafkaCompletionsThePubacksAreWrittenRightAfterItWithoutATaskOfTheirOwn() {
    EmbeddedChannel channel = new EmbeddedChannel();
    List<Runnable> afterBatch = new ArrayList<>();
    Pubacks pubacks = new Pubacks(endpoint, channel, afterBatch::add);
    pubacks.add(1);
    pubacks.add(2);
    channel.runPendingTasks();
    assertThat(channel.<Object>readOutbound()).as("no task queued on the event loop").isNull();
    assertThat(afterBatch).hasSize(1);
    afterBatch.get(0).run(); // what KafkaSender does once the batch is handed over
    assertThat(channel.<ByteBuf>readOutbound().readableBytes()).isEqualTo(8);
  }

  @Test
  void anEarlierFlushTakesThePubacksAndTheQueuedOneFindsNothing() {
    EmbeddedChannel channel = new EmbeddedChannel();
    Pubacks pubacks = new Pubacks(endpoint, channel, NO_BATCH);
    pubacks.add(1);
    pubacks.flush(); // as before a PUBREC or a negative PUBACK
    assertThat(channel.<ByteBuf>readOutbound().readableBytes()).isEqualTo(4);
    channel.runPendingTasks();
    assertThat(channel.<Object>readOutbound()).isNull();
    pubacks.add(2);
    channel.runPendingTasks();
    assertThat(channel.<ByteBuf>readOutbound().readableBytes()).as("the next PUBACK queues a flush of its own")
        .isEqualTo(4);
  }

  @Test
  void aFlushWithNothingAddedWritesNothing() {
    EmbeddedChannel channel = new EmbeddedChannel();
    new Pubacks(endpoint, channel, NO_BATCH).flush();
    assertThat(channel.<Object>readOutbound()).isNull();
  }

  @Test
  void pubacksOfAClosedChannelAreReleasedNotWritten() {
    EmbeddedChannel channel = new EmbeddedChannel();
    Pubacks pubacks = new Pubacks(endpoint, channel, NO_BATCH);
    channel.close(); // before the queued flush runs
    pubacks.add(7);
    channel.runPendingTasks();
    assertThat(channel.<Object>readOutbound()).isNull();
    assertThat(endpoint.sent()).isEmpty();
  }

  @Test
  void withoutAChannelEachPubackGoesThroughTheEndpoint() {
    Pubacks pubacks = new Pubacks(endpoint, null, NO_BATCH);
    pubacks.add(9);
    pubacks.flush();
    assertThat(endpoint.sent()).containsExactly("PUBACK 9");
  }

  private static List<MqttMessage> decode(MqttVersion version, ByteBuf bytes) {
    EmbeddedChannel decoder = new EmbeddedChannel(new MqttDecoder());
    // What MqttDecoder reads the version from once a CONNECT set it (MqttCodecUtil's attribute).
    decoder.attr(AttributeKey.<MqttVersion>valueOf("NETTY_CODEC_MQTT_VERSION")).set(version);
    decoder.writeInbound(bytes);
    List<MqttMessage> messages = new ArrayList<>();
    MqttMessage message;
    while ((message = decoder.readInbound()) != null) {
      messages.add(message);
    }
    return messages;
  }

  private static int packetId(MqttMessage message) {
    Object header = message.variableHeader();
    return header instanceof MqttPubReplyMessageVariableHeader reply ? reply.messageId()
        : ((MqttMessageIdVariableHeader) header).messageId();
  }
}
