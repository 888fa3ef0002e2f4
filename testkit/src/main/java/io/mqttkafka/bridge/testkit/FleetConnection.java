package io.mqttkafka.bridge.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * One attempt of a {@link Fleet} device to connect, and the connection it becomes: sends its
 * CONNECT, checks the 4-byte CONNACK, then sends PINGREQ every keep-alive interval and hands what
 * arrives to the device's {@link Fleet.Session}. Confined to its channel's event loop, except
 * {@link #failed} when the TCP connect itself failed.
 */
final class FleetConnection extends ChannelInboundHandlerAdapter {

  private static final ByteBuf PINGREQ = Unpooled.unreleasableBuffer(
      Unpooled.wrappedBuffer(MqttPackets.pingreq()).asReadOnly());
  private static final long CONNACK_TIMEOUT_MILLIS = 30_000;

  private final Fleet fleet;
  private final int index;
  private final byte[] connect;
  private final Fleet.Session session;
  /** When the TCP connect began: CONNACK latency counts from here. */
  private final long startNanos;
  private final byte[] connack = new byte[4];
  private int connackRead;
  private boolean settled; // CONNACK checked or the attempt failed: counted once
  private boolean opened; // the CONNACK accepted it: the session has it
  private long connectSentNanos;
  private ScheduledFuture<?> timer;

  FleetConnection(Fleet fleet, int index, byte[] connect, long startNanos, Fleet.Session session) {
    this.fleet = fleet;
    this.index = index;
    this.connect = connect;
    this.startNanos = startNanos;
    this.session = session;
  }

  /** Counts the attempt as failed, once. */
  void failed(String reason) {
    if (settled) {
      return;
    }
    settled = true;
    if (timer != null) {
      timer.cancel(false);
    }
    fleet.attemptFailed(index, reason);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    connectSentNanos = System.nanoTime();
    ctx.writeAndFlush(Unpooled.wrappedBuffer(connect));
    timer = ctx.executor().schedule(() -> {
      if (!settled) {
        failed("no CONNACK in " + CONNACK_TIMEOUT_MILLIS / 1000 + " s");
        ctx.close();
      }
    }, CONNACK_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf in = (ByteBuf) msg;
    try {
      if (connackRead < connack.length) {
        int n = Math.min(in.readableBytes(), connack.length - connackRead);
        in.readBytes(connack, connackRead, n);
        connackRead += n;
        if (connackRead == connack.length) {
          connackRead(ctx);
        }
      }
      if (opened && in.isReadable()) {
        session.read(ctx, in);
      }
    } finally {
      ReferenceCountUtil.release(in);
    }
  }

  private void connackRead(ChannelHandlerContext ctx) {
    if (settled) {
      return;
    }
    // [MQTT-3.2]: CONNACK is 0x20, remaining length 2, acknowledge flags, return code.
    if (connack[0] != 0x20 || connack[1] != 2) {
      failed(String.format(Locale.ROOT, "not a CONNACK: 0x%02X 0x%02X", connack[0], connack[1]));
      ctx.close();
      return;
    }
    if (connack[3] != 0) {
      failed("CONNACK " + returnCode(connack[3]));
      ctx.close();
      return;
    }
    settled = true;
    timer.cancel(false);
    fleet.attemptConnected(ctx.channel(), startNanos);
    int keepAlive = fleet.keepAliveSeconds();
    if (keepAlive > 0) {
      // [MQTT-3.1.2-23]: a packet at least every keep-alive seconds; the CONNECT counted as the first.
      long first = TimeUnit.SECONDS.toNanos(keepAlive) - (System.nanoTime() - connectSentNanos);
      timer = ctx.executor().scheduleAtFixedRate(() -> ctx.writeAndFlush(PINGREQ.duplicate()),
          Math.max(0, first), TimeUnit.SECONDS.toNanos(keepAlive), TimeUnit.NANOSECONDS);
    }
    opened = true;
    session.opened(ctx, (connack[2] & 0x01) != 0); // [MQTT-3.2.2-2] session present
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (timer != null) {
      timer.cancel(false);
    }
    failed("closed before CONNACK");
    if (opened) {
      session.closed();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    failed(Fleet.reason(cause));
    ctx.close();
  }

  private static String returnCode(byte code) {
    try {
      return MqttConnectReturnCode.valueOf(code).name();
    } catch (IllegalArgumentException e) {
      return "0x" + Integer.toHexString(code & 0xFF);
    }
  }
}
