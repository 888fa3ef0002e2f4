package io.mqttkafka.bridge.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One device of a {@link ChurnFleet}: connects, subscribes (a clean session on every connect, a
 * persistent one only when the bridge has no session for it), publishes numbered QoS 1 messages,
 * acknowledges what arrives, leaves after a while (DISCONNECT, or a reset without one) and comes
 * back later. All its state lives on one event loop; each connection has its own handler, so events
 * of an old connection never touch the new one.
 */
final class ChurnDevice {

  /** At most this many uplink messages await their PUBACK; a tick that finds more sends nothing. */
  private static final int WINDOW = 16;
  private static final long CONNACK_TIMEOUT_MILLIS = 30_000;
  private static final long PING_MILLIS = 30_000;
  private static final int KEEP_ALIVE_SECONDS = 60;

  private final ChurnFleet fleet;
  private final String clientId;
  private final boolean persistent;
  private final EventLoop loop;
  private final InetSocketAddress local;
  private final byte[] connect;
  /** The sequence numbers whose PUBACK arrived; message n is {@code <clientId>:<n>}. */
  private final BitSet acked = new BitSet();
  private int nextSeq;
  private int nextPacketId;
  /** Persistent only: a SUBACK granted the subscription, so the bridge's session holds it. */
  private boolean subscribed;
  private Connection current;
  private boolean connectedBefore;

  ChurnDevice(ChurnFleet fleet, String clientId, boolean persistent, EventLoop loop, InetSocketAddress local) {
    this.fleet = fleet;
    this.clientId = clientId;
    this.persistent = persistent;
    this.loop = loop;
    this.local = local;
    this.connect = MqttPackets.connect(clientId, MqttPackets.V311, null, null, 0, false, KEEP_ALIVE_SECONDS,
        !persistent);
  }

  String clientId() {
    return clientId;
  }

  boolean persistent() {
    return persistent;
  }

  /** Read after the fleet's event loops ended. */
  ChurnFleet.Result result() {
    return new ChurnFleet.Result(clientId, persistent, nextSeq, (BitSet) acked.clone());
  }

  void start(long delayMillis) {
    loop.schedule(this::connect, delayMillis, TimeUnit.MILLISECONDS);
  }

  private void connect() {
    if (fleet.closing()) {
      return;
    }
    Connection c = new Connection();
    current = c;
    ChannelFuture f = fleet.bootstrap().clone(loop).handler(c).connect(fleet.remote(), local);
    f.channel().closeFuture().addListener(done -> ended(c));
    f.addListener((ChannelFutureListener) done -> {
      if (!done.isSuccess()) {
        fleet.counter(ChurnFleet.Count.CONNECT_FAILED);
      }
    });
  }

  /** A connection ended, whoever ended it: the device is offline for a while, then comes back. */
  private void ended(Connection c) {
    c.cancelTimers();
    c.reader.release();
    fleet.abandoned(c.inflight.size());
    c.inflight.clear();
    if (c.online) {
      fleet.online(-1);
      if (!c.leaving && !fleet.closing()) {
        fleet.counter(ChurnFleet.Count.CLOSED_BY_BRIDGE);
      }
    }
    if (current == c && !fleet.closing()) {
      loop.schedule(this::connect, fleet.offlineMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** What one connection does, on the device's event loop. */
  private final class Connection extends ChannelInboundHandlerAdapter {

    private final PacketReader reader = new PacketReader();
    private final Map<Integer, Integer> inflight = new HashMap<>();
    private boolean online;
    private boolean leaving;
    private ScheduledFuture<?> connackTimer;
    private ScheduledFuture<?> publishTimer;
    private ScheduledFuture<?> pingTimer;
    private ScheduledFuture<?> leaveTimer;

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      fleet.opened(ctx.channel());
      ctx.writeAndFlush(Unpooled.wrappedBuffer(connect));
      connackTimer = loop.schedule(() -> {
        fleet.counter(ChurnFleet.Count.NO_CONNACK);
        ctx.close();
      }, CONNACK_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
      ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf in = (ByteBuf) msg;
      try {
        reader.read(in, (first, body) -> packet(ctx, first, body));
      } catch (IllegalStateException e) {
        fleet.counter(ChurnFleet.Count.UNEXPECTED_PACKET);
        ctx.close();
      } finally {
        ReferenceCountUtil.release(in);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }

    void cancelTimers() {
      for (ScheduledFuture<?> t : new ScheduledFuture<?>[] {connackTimer, publishTimer, pingTimer, leaveTimer}) {
        if (t != null) {
          t.cancel(false);
        }
      }
    }

    private void packet(ChannelHandlerContext ctx, int first, ByteBuf body) {
      switch (first >> 4) {
        case 2 -> connack(ctx, body.getUnsignedByte(body.readerIndex()) & 1,
            body.getUnsignedByte(body.readerIndex() + 1));
        case 3 -> publish(ctx, first, body);
        case 4 -> {
          Integer seq = inflight.remove(body.getUnsignedShort(body.readerIndex()));
          if (seq != null) {
            acked.set(seq);
            fleet.countAcked();
          }
        }
        case 9 -> {
          // SUBACK: packet id, then one return code; 0x80 is a refusal ([MQTT-3.9.3]).
          if (body.getUnsignedByte(body.readerIndex() + 2) == 0x80) {
            fleet.counter(ChurnFleet.Count.SUBSCRIBE_REFUSED);
          } else {
            subscribed = true;
          }
        }
        case 13 -> {
          // PINGRESP
        }
        default -> {
          fleet.counter(ChurnFleet.Count.UNEXPECTED_PACKET);
          ctx.close();
        }
      }
    }

    private void connack(ChannelHandlerContext ctx, int sessionPresent, int returnCode) {
      connackTimer.cancel(false);
      if (returnCode != 0) {
        fleet.counter(ChurnFleet.Count.REFUSED);
        ctx.close();
        return;
      }
      online = true;
      fleet.online(1);
      fleet.counter(ChurnFleet.Count.CONNECTED);
      if (!connectedBefore) {
        connectedBefore = true;
        fleet.firstConnected();
      }
      if (persistent && subscribed && sessionPresent == 0) {
        // The bridge lost the session it had: its queue and subscription with it.
        fleet.counter(ChurnFleet.Count.SESSION_LOST);
      }
      if (!persistent || sessionPresent == 0 || !subscribed) {
        ctx.writeAndFlush(Unpooled.wrappedBuffer(MqttPackets.subscribe(nextPacketId(), "DL/#", 1)));
      }
      ThreadLocalRandom random = ThreadLocalRandom.current();
      long every = fleet.publishMillis();
      publishTimer = loop.scheduleAtFixedRate(() -> send(ctx), random.nextLong(every), every, TimeUnit.MILLISECONDS);
      pingTimer = loop.scheduleAtFixedRate(() -> ctx.writeAndFlush(Unpooled.wrappedBuffer(MqttPackets.pingreq())),
          PING_MILLIS, PING_MILLIS, TimeUnit.MILLISECONDS);
      leaveTimer = loop.schedule(() -> leave(ctx), fleet.onlineMillis(), TimeUnit.MILLISECONDS);
    }

    /** A downlink PUBLISH: counted by client id and payload, and acknowledged (QoS 1). */
    private void publish(ChannelHandlerContext ctx, int first, ByteBuf body) {
      int qos = (first >> 1) & 3;
      int at = body.readerIndex();
      int topicLength = body.getUnsignedShort(at);
      at += 2 + topicLength;
      int packetId = qos > 0 ? body.getUnsignedShort(at) : 0;
      at += qos > 0 ? 2 : 0;
      String payload = body.toString(at, body.writerIndex() - at, StandardCharsets.UTF_8);
      fleet.received(clientId, payload);
      if (qos == 1) {
        ctx.writeAndFlush(Unpooled.wrappedBuffer(MqttPackets.puback(packetId)));
      }
    }

    private void send(ChannelHandlerContext ctx) {
      if (!fleet.publishing() || inflight.size() >= WINDOW) {
        return;
      }
      int seq = nextSeq++;
      int packetId = nextPacketId();
      inflight.put(packetId, seq);
      fleet.countSent();
      ctx.writeAndFlush(Unpooled.wrappedBuffer(MqttPackets.publish(ChurnFleet.UPLINK_TOPIC,
          (clientId + ":" + seq).getBytes(StandardCharsets.UTF_8), 1, packetId, false)));
    }

    /** Half leave with DISCONNECT, half drop the connection (a reset, no DISCONNECT): a tunnel. */
    private void leave(ChannelHandlerContext ctx) {
      if (fleet.holding()) {
        return;
      }
      leaving = true;
      Channel channel = ctx.channel();
      if (ThreadLocalRandom.current().nextBoolean()) {
        fleet.counter(ChurnFleet.Count.DISCONNECTS);
        ctx.writeAndFlush(Unpooled.wrappedBuffer(MqttPackets.disconnect())).addListener(ChannelFutureListener.CLOSE);
      } else {
        fleet.counter(ChurnFleet.Count.DROPS);
        channel.config().setOption(ChannelOption.SO_LINGER, 0);
        channel.close();
      }
    }
  }

  private int nextPacketId() {
    nextPacketId = nextPacketId % 65_535 + 1;
    return nextPacketId;
  }
}
