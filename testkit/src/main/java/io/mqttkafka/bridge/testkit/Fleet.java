package io.mqttkafka.bridge.testkit;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * N MQTT 3.1.1 connections opened with plain Netty, for the bench and for tests that need many
 * devices: one {@link Bootstrap} on a small shared event loop group and per connection a
 * {@link FleetConnection} (CONNECT, CONNACK checked, PINGREQ every keep-alive interval), then whatever
 * the connection's {@link Session} does (an idle one: nothing). Connections are opened at the
 * configured rate, with at most {@code maxPending} CONNECTs awaiting their CONNACK, from the
 * configured source addresses, and optionally tried again after a failure ({@link #retrying});
 * client ids are {@code <prefix><index>}. What happens to each attempt goes to an {@link Observer}.
 *
 * <p>A full MQTT client (vertx-mqtt's creates a {@code NetClient} per connection, checks every
 * topic against a regular expression and keeps a map per packet id) cost about 500 us of CPU per
 * connection, several times what a warm bridge spends, so the load generator, not the bridge, set
 * the connect rate; as a publisher it took 0.7 of the machine's 2 cores.
 */
public final class Fleet {

  /** Where and how to connect. */
  public record Config(String host, int port, String clientIdPrefix, int keepAliveSeconds,
                       List<String> sourceAddresses, int perAddress, double connectRate, int maxPending) {

    /**
     * Connections per source address. Linux's connect() looks for a free ephemeral port in one
     * half of ip_local_port_range (32768-60999: 14,116 ports) before the other; once one source
     * address holds more connections to the bridge than that half, every further connect() scans
     * the whole half (__inet_check_established), which cost the bench more CPU than the bridge's
     * whole CONNECT handling. 10,000 stays well inside the half of the default range.
     */
    public static final int DEFAULT_PER_ADDRESS = 10_000;

    public Config withClientIdPrefix(String prefix) {
      return new Config(host, port, prefix, keepAliveSeconds, sourceAddresses, perAddress, connectRate, maxPending);
    }

    /** The local address of connection {@code index} of {@code total}; null: the system's choice. */
    public String sourceFor(int index, int total) {
      if (!sourceAddresses.isEmpty()) {
        return sourceAddresses.get((index / perAddress) % sourceAddresses.size());
      }
      // 127.0.0.1, then 127.0.0.2 ... as each address's share of ephemeral ports is used up; only
      // towards a loopback bridge, which those addresses can reach.
      return total <= perAddress || !loopback() ? null : "127.0.0." + (1 + index / perAddress);
    }

    private boolean loopback() {
      return host.equals("localhost") || host.startsWith("127.");
    }
  }

  /**
   * What a connection does once its CONNACK accepted it. Every method runs on the connection's
   * event loop.
   */
  public interface Session {

    /** An idle device: reads and drops what arrives (PINGRESP). */
    Session IDLE = new Session() {
    };

    /** Whether the device's CONNECT asks for a clean session (the default) or resumes its session. */
    default boolean cleanSession() {
      return true;
    }

    /** The CONNACK accepted the connection. */
    default void opened(ChannelHandlerContext ctx) {
    }

    /** The CONNACK accepted the connection, with its session present flag; by default the method above. */
    default void opened(ChannelHandlerContext ctx, boolean sessionPresent) {
      opened(ctx);
    }

    /** Bytes that arrived after the CONNACK; the fleet releases {@code in} afterwards. */
    default void read(ChannelHandlerContext ctx, ByteBuf in) {
    }

    /** The connection closed after it was opened. */
    default void closed() {
    }
  }

  /** What became of each connection attempt; called on the event loops (and the opening thread). */
  public interface Observer {

    Observer NONE = new Observer() {
    };

    /** {@link #open} begins its first attempt. */
    default void openBegins() {
    }

    /** {@link #open} returns: every attempt was settled, or the time ran out. */
    default void openEnds() {
    }

    /** An attempt begins. */
    default void connecting() {
    }

    /** An attempt got its accepting CONNACK; {@code startNanos} is when its TCP connect began. */
    default void connected(long startNanos) {
    }

    /** An attempt failed: TCP, no CONNACK, or a CONNACK that refused it. */
    default void failed(String reason) {
    }

    /** An accepted connection was closed by the bridge, not by {@link #close}. */
    default void closedByPeer() {
    }
  }

  /**
   * TLS for every connection of a fleet. With {@code resume}, connection {@code i} presents itself as
   * peer {@code device-<i>}, so that the context's client session cache keeps one session per device
   * and a device that connects again (in any fleet sharing the context) resumes its own session, as a
   * reconnecting car would; without, no session is kept and every handshake is a full one. The
   * context must not check the host name: those peer names are not the server's.
   *
   * <p>With {@code resume}, an OpenSSL context is made to ask for session tickets, as OpenSSL's own
   * clients do: Netty turns them off in its contexts, and a server then resumes only from its own
   * session cache, which another instance does not have.
   */
  public record Tls(SslContext context, boolean resume) {
    public Tls {
      if (resume && context.sessionContext() instanceof OpenSslSessionContext sessions) {
        sessions.setTicketKeys(); // clears SSL_OP_NO_TICKET: the client sends the ticket extension
      }
    }
  }

  /** The port a device's TLS session is cached under, whichever instance it connects to. */
  private static final int SESSION_PORT = 8883;
  private static final ByteBuf DISCONNECT = Unpooled.unreleasableBuffer(
      Unpooled.wrappedBuffer(MqttPackets.disconnect()).asReadOnly());

  private final Config config;
  private final EventLoopGroup group;
  private final Bootstrap bootstrap;
  private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final Observer observer;
  private final Semaphore slots;
  private final AtomicInteger pending = new AtomicInteger();
  private final IntFunction<Session> sessions;
  private final AtomicLong handshakes = new AtomicLong();
  private final AtomicLong resumed = new AtomicLong();
  private final DelayQueue<RetryAt> retries = new DelayQueue<>();
  private volatile Tls tls;
  private volatile Duration retryBackoff;
  private volatile boolean closing;

  /**
   * @param eventLoops the group's threads; one or two keep up with the bridge on loopback
   * @param sessions   the session of the connection with each index
   */
  public Fleet(Config config, int eventLoops, IntFunction<Session> sessions, Observer observer) {
    this.config = config;
    this.sessions = sessions;
    this.observer = observer;
    this.slots = new Semaphore(Math.max(1, config.maxPending()));
    this.group = new MultiThreadIoEventLoopGroup(eventLoops, new DefaultThreadFactory("fleet", true),
        NioIoHandler.newFactory());
    // Each connection clones it and adds its own handler.
    this.bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000);
  }

  /** Connects over TLS from now on; null: plain TCP (the default). */
  public Fleet tls(Tls tls) {
    this.tls = tls;
    return this;
  }

  /** TLS handshakes completed, and of those how many resumed a session (-1: the engine does not say). */
  public long[] tlsHandshakes() {
    return new long[] {handshakes.get(), resumed.get()};
  }

  /**
   * Tries a failed attempt again after {@code backoff} times a random factor of 0.5 to 1.5, as a
   * device that cannot connect does, until {@link #open}'s timeout; without (the default), a failed
   * attempt stays failed. Every failed attempt is reported to the {@link Observer}.
   */
  public Fleet retrying(Duration backoff) {
    this.retryBackoff = backoff;
    return this;
  }

  /**
   * Opens {@code count} connections and returns once each has a CONNACK or failed for good (or the
   * timeout passed); {@code onProgress} runs while waiting.
   */
  public void open(int count, long timeoutMillis, Runnable onProgress) {
    Pacer pacer = new Pacer(config.connectRate());
    observer.openBegins();
    long startNanos = System.nanoTime();
    pacer.start(startNanos);
    long deadline = startNanos + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    int next = 0;
    while ((next < count || pending.get() > 0 || !retries.isEmpty()) && System.nanoTime() < deadline) {
      RetryAt retry = retries.peek();
      boolean retryDue = retry != null && retry.getDelay(TimeUnit.NANOSECONDS) <= 0;
      if (!retryDue && next >= count || pacer.due(System.nanoTime()) == 0) {
        Pacer.pause();
        onProgress.run();
        continue;
      }
      // Blocks while maxPending CONNECTs await their CONNACK, rather than polling for a free slot.
      if (!awaitSlot()) {
        onProgress.run();
        continue;
      }
      int index = retryDue ? retries.poll().index() : next++;
      attempt(index, count);
      pacer.sent(1);
    }
    retries.clear();
    observer.openEnds();
  }

  /** Begins connecting device {@code index}, its CONNECT slot taken. */
  private void attempt(int index, int count) {
    Session session = sessions.apply(index);
    byte[] connect = MqttPackets.connect(config.clientIdPrefix() + index, MqttPackets.V311, null, null, 0, false,
        config.keepAliveSeconds(), session.cleanSession());
    String source = config.sourceFor(index, count);
    pending.incrementAndGet();
    observer.connecting();
    FleetConnection connection = new FleetConnection(this, index, connect, System.nanoTime(), session);
    Bootstrap b = bootstrap.clone().handler(tls == null ? connection : tlsInitializer(tls, connection, index));
    InetSocketAddress remote = new InetSocketAddress(config.host(), config.port());
    ChannelFuture f = source == null ? b.connect(remote) : b.connect(remote, new InetSocketAddress(source, 0));
    f.addListener((ChannelFutureListener) done -> {
      if (!done.isSuccess()) {
        connection.failed(reason(done.cause()));
      }
    });
  }

  /** An attempt failed; called once per attempt, on its event loop or the opening thread. */
  void attemptFailed(int index, String reason) {
    observer.failed(reason);
    Duration backoff = retryBackoff;
    if (backoff != null && !closing) {
      long delay = (long) (backoff.toNanos() * (0.5 + ThreadLocalRandom.current().nextDouble()));
      retries.add(new RetryAt(index, System.nanoTime() + delay));
    }
    pending.decrementAndGet();
    slots.release();
  }

  /** An attempt got its accepting CONNACK; called once, on its event loop. */
  void attemptConnected(Channel channel, long startNanos) {
    observer.connected(startNanos);
    pending.decrementAndGet();
    slots.release();
    channels.add(channel);
    channel.closeFuture().addListener(f -> {
      if (!closing) {
        observer.closedByPeer();
      }
    });
  }

  int keepAliveSeconds() {
    return config.keepAliveSeconds();
  }

  /** A failed device's next attempt, due at {@code dueNanos}. */
  private record RetryAt(int index, long dueNanos) implements Delayed {

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(dueNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed other) {
      return Long.compare(dueNanos, ((RetryAt) other).dueNanos);
    }
  }

  /** An SslHandler in front of the device's handler; counts the handshakes and resumptions. */
  private ChannelInitializer<Channel> tlsInitializer(Tls tls, FleetConnection connection, int index) {
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        // Sessions are cached by the device's name and a fixed port, not the instance's: a device offers
        // its ticket to whichever instance it reaches, as behind a load balancer.
        SslHandler ssl = tls.resume() ? tls.context().newHandler(ch.alloc(), "device-" + index, SESSION_PORT)
            : tls.context().newHandler(ch.alloc());
        ssl.handshakeFuture().addListener(done -> {
          if (done.isSuccess()) {
            handshakes.incrementAndGet();
            Boolean reused = TlsResumption.reused(ssl.engine());
            if (reused == null) {
              resumed.set(-1);
            } else if (reused && resumed.get() >= 0) {
              resumed.incrementAndGet();
            }
          }
        });
        ch.pipeline().addLast(ssl, connection);
      }
    };
  }

  private boolean awaitSlot() {
    try {
      return slots.tryAcquire(100, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while connecting", e);
    }
  }

  /** Attempts that have neither their CONNACK nor failed yet. */
  public int pending() {
    return pending.get();
  }

  /** Connections accepted and still open. */
  public int openConnections() {
    return channels.size();
  }

  /**
   * Sends DISCONNECT on every open connection and waits up to the timeout for the bridge to close
   * them ([MQTT-3.14.4-1]), closing what is left, then stops the threads. The side that closes
   * first keeps the TIME_WAIT entry: left on the fleet's side, 19,000 of them would slow the next
   * run's connect() calls, which search the ephemeral ports for a free one.
   */
  public void close(long timeoutMillis) {
    closing = true;
    try {
      channels.writeAndFlush(DISCONNECT.duplicate());
      channels.newCloseFuture().awaitUninterruptibly(timeoutMillis / 2);
      channels.close().awaitUninterruptibly(timeoutMillis / 2);
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10_000);
    }
  }

  static String reason(Throwable failure) {
    String message = failure.getMessage();
    return failure.getClass().getSimpleName() + (message == null ? ""
        : ": " + (message.length() > 80 ? message.substring(0, 80) + "..." : message));
  }
}
