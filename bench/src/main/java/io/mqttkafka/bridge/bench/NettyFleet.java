package io.mqttkafka.bridge.bench;

import io.mqttkafka.bridge.testkit.MqttPackets;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * N MQTT 3.1.1 connections opened with plain Netty, for {@code bench connections} and
 * {@code bench uplink}: one {@link Bootstrap} on a small shared event loop group, a CONNECT encoded
 * once per connection ({@link MqttPackets}), the 4-byte CONNACK read and checked, a PINGREQ every keep-alive interval,
 * and after the CONNACK whatever the connection's {@link Session} does (an idle one: nothing).
 * A full MQTT client (vertx-mqtt's creates a {@code NetClient} per connection, checks every topic
 * against a regular expression and keeps a map per packet id) cost the bench about 500 us of CPU per
 * connection, several times what a warm bridge spends, so the bench, not the bridge, set the connect
 * rate; as a publisher it took 0.7 of the machine's 2 cores.
 * Pacing, the bound on CONNECTs awaiting CONNACK, source addresses and client ids
 * ({@code <prefix><index>}) follow {@link Fleet.Config}, as for the other modes.
 */
final class NettyFleet {

  /**
   * What a connection does once its CONNACK accepted it. Every method runs on the connection's
   * event loop.
   */
  interface Session {

    /** An idle device: reads and drops what arrives (PINGRESP). */
    Session IDLE = new Session() {
    };

    /** The CONNACK accepted the connection. */
    default void opened(ChannelHandlerContext ctx) {
    }

    /** Bytes that arrived after the CONNACK; the fleet releases {@code in} afterwards. */
    default void read(ChannelHandlerContext ctx, ByteBuf in) {
    }

    /** The connection closed after it was opened. */
    default void closed() {
    }
  }

  private static final ByteBuf DISCONNECT = Unpooled.unreleasableBuffer(
      Unpooled.wrappedBuffer(MqttPackets.disconnect()).asReadOnly());
  private static final ByteBuf PINGREQ = Unpooled.unreleasableBuffer(
      Unpooled.wrappedBuffer(MqttPackets.pingreq()).asReadOnly());
  private static final long CONNACK_TIMEOUT_MILLIS = 30_000;

  private final Fleet.Config config;
  private final EventLoopGroup group;
  private final Bootstrap bootstrap;
  private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final ConnectStats stats;
  private final Semaphore slots;
  private final IntFunction<Session> sessions;
  private volatile boolean closing;

  /** Idle connections. @param eventLoops the group's threads; one or two keep up with the bridge on loopback */
  NettyFleet(Fleet.Config config, int eventLoops) {
    this(config, eventLoops, index -> Session.IDLE);
  }

  /** @param sessions the session of the connection with each index */
  NettyFleet(Fleet.Config config, int eventLoops, IntFunction<Session> sessions) {
    this.config = config;
    this.sessions = sessions;
    this.stats = new ConnectStats(config.connectRate());
    this.slots = new Semaphore(Math.max(1, config.maxPending()));
    this.group = new MultiThreadIoEventLoopGroup(eventLoops, new DefaultThreadFactory("bench-conn", true),
        NioIoHandler.newFactory());
    // Each connection clones it and adds its own handler.
    this.bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000);
  }

  /**
   * Opens {@code count} connections and returns once each has a CONNACK or failed (or the timeout
   * passed); {@code onProgress} runs while waiting.
   */
  void open(int count, long timeoutMillis, Runnable onProgress) {
    Pacer pacer = new Pacer(config.connectRate());
    InetSocketAddress remote = new InetSocketAddress(config.host(), config.port());
    long startNanos = stats.start();
    pacer.start(startNanos);
    long deadline = startNanos + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    for (int i = 0; i < count && System.nanoTime() < deadline; ) {
      if (pacer.due(System.nanoTime()) == 0) {
        Pacer.pause();
        onProgress.run();
        continue;
      }
      // Blocks while --max-pending-connects await their CONNACK, rather than polling for a free slot.
      if (!awaitSlot()) {
        onProgress.run();
        continue;
      }
      byte[] connect = MqttPackets.connect(config.clientIdPrefix() + i, config.keepAliveSeconds());
      String source = config.sourceFor(i, count);
      stats.onConnecting();
      Bootstrap b = bootstrap.clone().handler(new Device(connect, System.nanoTime(), sessions.apply(i)));
      ChannelFuture f = source == null ? b.connect(remote) : b.connect(remote, new InetSocketAddress(source, 0));
      f.addListener((ChannelFutureListener) done -> {
        if (!done.isSuccess()) {
          fail(done.cause());
        }
      });
      pacer.sent(1);
      i++;
    }
    stats.end(deadline, onProgress);
  }

  private boolean awaitSlot() {
    try {
      return slots.tryAcquire(100, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while connecting", e);
    }
  }

  /** What opening the connections came to; also counts those the bridge closed while the fleet was not closing them. */
  ConnectStats stats() {
    return stats;
  }

  /**
   * Sends DISCONNECT on every open connection and waits up to the timeout for the bridge to close
   * them ([MQTT-3.14.4-1]), closing what is left, then stops the threads. The side that closes
   * first keeps the TIME_WAIT entry: left on the bench's side, 19,000 of them would slow the next
   * run's connect() calls, which search the ephemeral ports for a free one.
   */
  void close(long timeoutMillis) {
    closing = true;
    try {
      channels.writeAndFlush(DISCONNECT.duplicate());
      channels.newCloseFuture().awaitUninterruptibly(timeoutMillis / 2);
      channels.close().awaitUninterruptibly(timeoutMillis / 2);
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10_000);
    }
  }

  private void fail(Throwable failure) {
    stats.onFailed(failure);
    slots.release();
  }

  private void count(String reason) {
    stats.onFailed(reason);
    slots.release();
  }

  /** One connection: sends its CONNECT, checks the CONNACK, then pings and hands the rest to its session. */
  private final class Device extends ChannelInboundHandlerAdapter {

    private final byte[] connect;
    private final Session session;
    /** When the TCP connect began: CONNACK latency counts from here, as it did with vertx-mqtt's client. */
    private final long startNanos;
    private final byte[] connack = new byte[4];
    private int connackRead;
    private boolean settled; // CONNACK checked or the connection failed: counted once
    private boolean opened; // the CONNACK accepted it: the session has it
    private long connectSentNanos;
    private ScheduledFuture<?> timer;

    Device(byte[] connect, long startNanos, Session session) {
      this.connect = connect;
      this.startNanos = startNanos;
      this.session = session;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      connectSentNanos = System.nanoTime();
      ctx.writeAndFlush(Unpooled.wrappedBuffer(connect));
      timer = ctx.executor().schedule(() -> {
        if (!settled) {
          settled = true;
          count("no CONNACK in " + CONNACK_TIMEOUT_MILLIS / 1000 + " s");
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
      settled = true;
      timer.cancel(false);
      // [MQTT-3.2]: CONNACK is 0x20, remaining length 2, acknowledge flags, return code.
      if (connack[0] != 0x20 || connack[1] != 2) {
        count(String.format(java.util.Locale.ROOT, "not a CONNACK: 0x%02X 0x%02X", connack[0], connack[1]));
        ctx.close();
        return;
      }
      if (connack[3] != 0) {
        count("CONNACK " + returnCode(connack[3]));
        ctx.close();
        return;
      }
      stats.onConnected(startNanos);
      slots.release();
      channels.add(ctx.channel());
      ctx.channel().closeFuture().addListener(f -> {
        if (!closing) {
          stats.onClosedByPeer();
        }
      });
      int keepAlive = config.keepAliveSeconds();
      if (keepAlive > 0) {
        // [MQTT-3.1.2-23]: a packet at least every keep-alive seconds; the CONNECT counted as the first.
        long first = TimeUnit.SECONDS.toNanos(keepAlive) - (System.nanoTime() - connectSentNanos);
        timer = ctx.executor().scheduleAtFixedRate(() -> ctx.writeAndFlush(PINGREQ.duplicate()),
            Math.max(0, first), TimeUnit.SECONDS.toNanos(keepAlive), TimeUnit.NANOSECONDS);
      }
      opened = true;
      session.opened(ctx);
    }


    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (timer != null) {
        timer.cancel(false);
      }
      if (!settled) {
        settled = true;
        count("closed before CONNACK");
      }
      if (opened) {
        session.closed();
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (!settled) {
        settled = true;
        if (timer != null) {
          timer.cancel(false);
        }
        fail(cause);
      }
      ctx.close();
    }
  }

  private static String returnCode(byte code) {
    try {
      return MqttConnectReturnCode.valueOf(code).name();
    } catch (IllegalArgumentException e) {
      return "0x" + Integer.toHexString(code & 0xFF);
    }
  }
}
