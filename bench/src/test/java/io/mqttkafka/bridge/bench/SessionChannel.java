package io.mqttkafka.bridge.bench;

import io.mqttkafka.bridge.testkit.Fleet;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;

/** A {@link Fleet.Session} on an {@link EmbeddedChannel}, as {@code Fleet} runs it right after an accepting CONNACK. */
final class SessionChannel {

  private SessionChannel() {
  }

  /** The session's connection, opened with the CONNACK's session present flag; inbound buffers go to its read. */
  static EmbeddedChannel open(Fleet.Session session, boolean sessionPresent) {
    return new EmbeddedChannel(new ChannelInboundHandlerAdapter() {
      @Override
      public void handlerAdded(ChannelHandlerContext ctx) {
        session.opened(ctx, sessionPresent);
      }

      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
          session.read(ctx, (ByteBuf) msg);
        } finally {
          ReferenceCountUtil.release(msg);
        }
      }
    });
  }
}
