package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.vertx.EndpointChannel;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.vertx.mqtt.MqttEndpoint;
import java.util.function.Predicate;

/**
 * The positive PUBACKs of one connection, encoded here and written to its channel together: those
 * released while {@code KafkaSender} hands one batch of Kafka completions over on the event loop go out
 * as one buffer, written right after the batch ({@code KafkaSender.afterCompletions}); released
 * elsewhere (a refusal while reading), by a task queued behind the one running.
 * Through vertx-mqtt each PUBACK costs a fixed header, a variable header and a message object, a
 * monitor, a future and vert.x's outbound queue, then Netty's MQTT encoder allocates its own buffer:
 * about a sixth of the bridge's CPU per QoS 1 message at full rate (BENCHMARKS.md). A success PUBACK
 * is the same four bytes in MQTT 3.1.1 and 5 (the reason code and properties may be left out when
 * they are 0 and empty [MQTT-3.4.2.1]), so nothing of the endpoint's state is bypassed.
 *
 * <p>Written from the tail of the pipeline, so they pass every outbound handler Netty's MQTT encoder
 * output passes (WebSocket framing, TLS, flush consolidation). Negative PUBACKs, PUBREC and PUBCOMP
 * still go through the endpoint; {@link #flush} first, so that acknowledgements keep their order
 * [MQTT-4.6.0-2]. Without a reachable channel (a test double) each PUBACK goes through the endpoint.
 * Event loop only.
 */
final class Pubacks {

  private static final int PUBACK = 0x40;
  private static final int REMAINING_LENGTH = 2;
  private static final int SIZE = 4;

  private final MqttEndpoint endpoint;
  /** Runs a task after the batch of Kafka completions being handed over, if one is: KafkaSender's. */
  private final Predicate<Runnable> afterCompletions;
  /** Null when the endpoint's channel cannot be reached: then every PUBACK goes through the endpoint. */
  private final Channel channel;
  /** The PUBACKs added since the last flush; null when there are none. */
  private ByteBuf pending;
  private final Runnable flushTask = this::flush;

  /** @param afterCompletions {@code KafkaSender::afterCompletions} */
  Pubacks(MqttEndpoint endpoint, Predicate<Runnable> afterCompletions) {
    this(endpoint, EndpointChannel.of(endpoint), afterCompletions);
  }

  /** @param channel the endpoint's channel; null to write every PUBACK through the endpoint */
  Pubacks(MqttEndpoint endpoint, Channel channel, Predicate<Runnable> afterCompletions) {
    this.endpoint = endpoint;
    this.channel = channel;
    this.afterCompletions = afterCompletions;
  }

  /**
   * Acknowledges a QoS 1 PUBLISH: written by the next {@link #flush}, which the first PUBACK after a
   * flush arranges: after the batch of Kafka completions being handed over, or else as a task queued
   * on the event loop behind the one running.
   */
  void add(int packetId) {
    if (channel == null) {
      endpoint.publishAcknowledge(packetId);
      return;
    }
    if (pending == null) {
      pending = channel.alloc().ioBuffer(8 * SIZE);
      if (!afterCompletions.test(flushTask)) {
        channel.eventLoop().execute(flushTask);
      }
    }
    pending.writeByte(PUBACK).writeByte(REMAINING_LENGTH).writeShort(packetId);
  }

  /**
   * Writes the PUBACKs added since the last flush, in one buffer; dropped when the channel is closed.
   * Called before any other acknowledgement of the connection is written, so that they keep their order.
   */
  void flush() {
    ByteBuf acks = pending;
    if (acks == null) {
      return;
    }
    pending = null;
    if (channel.isActive()) {
      channel.writeAndFlush(acks, channel.voidPromise());
    } else {
      acks.release();
    }
  }
}
