package io.mqttkafka.bridge.kafka;

import io.mqttkafka.bridge.vertx.Buffers;
import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serialises a Vert.x {@link Buffer} for Kafka without copying it when possible.
 *
 * <p>vertx-mqtt copies every PUBLISH payload out of Netty's pooled buffer into an exactly sized heap
 * buffer ({@code VertxHandler.safeBuffer}); that buffer's backing array is handed to the producer
 * as it is. Any other buffer shape falls back to one copy.
 */
public final class BufferSerializer implements Serializer<Buffer> {

  /**
   * A Buffer over {@code bytes} without copying them ({@code Buffer.buffer(byte[])} copies), which
   * {@link #serialize} hands back as they are. The caller gives up the array: neither side writes to it.
   */
  public static Buffer wrap(byte[] bytes) {
    return Buffers.wrap(bytes);
  }

  @Override
  public byte[] serialize(String topic, Buffer data) {
    if (data == null) {
      return null;
    }
    ByteBuf buf = Buffers.byteBuf(data);
    if (buf.hasArray() && buf.arrayOffset() == 0 && buf.readerIndex() == 0
        && buf.array().length == buf.readableBytes()) {
      return buf.array();
    }
    return data.getBytes();
  }
}
