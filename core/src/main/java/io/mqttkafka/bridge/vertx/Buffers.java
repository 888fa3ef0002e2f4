package io.mqttkafka.bridge.vertx;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

/** A vert.x {@link Buffer} and the Netty buffer under it, without copies. */
public final class Buffers {

  private Buffers() {
  }

  /** A Buffer over {@code bytes} without copying them ({@code Buffer.buffer(byte[])} copies). */
  public static Buffer wrap(byte[] bytes) {
    return BufferInternal.buffer(Unpooled.wrappedBuffer(bytes));
  }

  /** The Netty buffer under a vert.x buffer (every vert.x 5 Buffer has one). */
  public static ByteBuf byteBuf(Buffer buffer) {
    return ((BufferInternal) buffer).getByteBuf();
  }
}
