package io.mqttkafka.bridge.vertx;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import io.vertx.core.Future;
import io.vertx.core.net.impl.NetServerInternal;
import java.lang.reflect.Field;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/**
 * Holds new connections back while too many are in their handshake on one listener: the TLS
 * handshake, which vert.x runs on an event loop before any handler of ours sees the connection, and
 * the MQTT one, CONNECT to CONNACK (authentication, a session's look-up). When thousands of devices
 * reconnect at once, that work queues on the event loops in front of the established connections'
 * traffic (PUBACKs waited half a second behind it, over TLS and in plaintext alike). The gate sits at
 * the head of the listening channel's pipeline, counts each accepted connection until its CONNACK
 * ({@link #release}) or its end, and at {@code max} stops accepting (Netty's autoRead off on the
 * listening channel): further devices wait in the kernel's accept queue, costing nothing, and are
 * accepted as others are answered. A connection counts for at most {@link #COUNTED_FOR_MILLIS}: one
 * that takes longer waits on its device (or on Kafka), not on the event loops, and must not hold the
 * listener shut (a few connections that never send their ClientHello or CONNECT would otherwise close
 * it until vert.x's timeouts).
 */
public final class HandshakeGate extends ChannelInboundHandlerAdapter {

  private static final AttributeKey<Pending> PENDING = AttributeKey.valueOf("mqtt-bridge-handshake-pending");
  private static final String NAME = "mqtt-bridge-handshake-gate";
  /** How long an accepted connection counts as in its handshake at most. */
  static final long COUNTED_FOR_MILLIS = 1_000;

  private final Channel listening;
  private final IntSupplier max;
  private final AtomicInteger pending = new AtomicInteger();
  private final LongAdder pauses = new LongAdder();

  private HandshakeGate(Channel listening, IntSupplier max) {
    this.listening = listening;
    this.max = max;
  }

  /**
   * Puts a gate on the listening channel of {@code server}, which must be listening; the verticles
   * that share one listening channel share its gate. {@code max} is read at each accept and each
   * CONNACK (a reload changes it); 0 = no limit.
   *
   * @throws IllegalStateException when vert.x keeps its listening channel elsewhere
   */
  public static HandshakeGate install(NetServerInternal server, IntSupplier max) {
    return on(listeningChannel(server), max);
  }

  /** The gate of a listening channel: the one it has, else a new one at the head of its pipeline. */
  static HandshakeGate on(Channel listening, IntSupplier max) {
    synchronized (listening) {
      if (listening.pipeline().get(NAME) instanceof HandshakeGate existing) {
        return existing;
      }
      HandshakeGate gate = new HandshakeGate(listening, max);
      listening.pipeline().addFirst(NAME, gate);
      return gate;
    }
  }

  /**
   * The connection of {@code channel} no longer counts: it got its CONNACK (accepted or refused), or
   * waits on something other than the event loops (its session's router). Once per connection.
   */
  public static void release(Channel channel) {
    Pending p = channel == null ? null : channel.attr(PENDING).getAndSet(null);
    if (p != null) {
      p.settle();
    }
  }

  /** Connections accepted whose handshake is under way. */
  public int pending() {
    return pending.get();
  }

  /** How often the listener stopped accepting because {@code max} connections were in their handshake. */
  public long pauses() {
    return pauses.sum();
  }

  /** An accepted connection, on its way to vert.x's acceptor (on the listening channel's loop). */
  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof Channel child) {
      Pending p = new Pending();
      child.attr(PENDING).set(p);
      child.closeFuture().addListener(f -> p.settle());
      ctx.executor().schedule(p::settle, COUNTED_FOR_MILLIS, TimeUnit.MILLISECONDS);
      int m = max.getAsInt();
      if (pending.incrementAndGet() >= m && m > 0 && listening.config().isAutoRead()) {
        listening.config().setAutoRead(false);
        pauses.increment();
      }
    }
    ctx.fireChannelRead(msg);
  }

  private void released() {
    int left = pending.decrementAndGet();
    int m = max.getAsInt();
    if ((m == 0 || left < m) && !listening.config().isAutoRead() && listening.isOpen()) {
      listening.config().setAutoRead(true); // Netty schedules the next accept on the listening loop
    }
  }

  /** One connection's place in the count, given back once. */
  private final class Pending {
    private final AtomicBoolean settled = new AtomicBoolean();

    void settle() {
      if (settled.compareAndSet(false, true)) {
        released();
      }
    }
  }

  /** The Netty channel a vert.x NetServer listens on: its actual server's bind result. */
  static Channel listeningChannel(NetServerInternal server) {
    try {
      Object actual = field(server.getClass(), "actualServer").get(server);
      @SuppressWarnings("unchecked")
      Future<Channel> bound = (Future<Channel>) field(actual.getClass(), "bindFuture").get(actual);
      Channel channel = bound == null ? null : bound.result();
      if (channel == null) {
        throw new IllegalStateException("the server is not listening");
      }
      return channel;
    } catch (ReflectiveOperationException | ClassCastException e) {
      throw new IllegalStateException("cannot find vert.x's listening channel (its internals changed?): " + e, e);
    }
  }

  private static Field field(Class<?> type, String name) throws NoSuchFieldException {
    Field f = type.getDeclaredField(name);
    f.setAccessible(true);
    return f;
  }
}
