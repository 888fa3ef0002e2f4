package io.mqttkafka.bridge.testkit;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A fleet that comes and goes, cars in tunnels: N MQTT 3.1.1 devices on plain Netty (a few event
 * loop threads for all of them), every {@code persistentEvery}-th with a persistent session
 * (CleanSession=0), the others clean. Each device is offline for a random time, connects,
 * subscribes to {@code DL/#} at QoS 1 (a persistent one only when the bridge has no session for it),
 * publishes QoS 1 messages {@code <clientId>:<n>} to {@link #UPLINK_TOPIC} every
 * {@code publishEvery}, acknowledges every downlink message, and after a random online time leaves:
 * half with DISCONNECT, half with a TCP reset and no DISCONNECT. Then again, until {@link #hold}
 * (devices stay once connected) or {@link #close}.
 *
 * <p>Connections come from 127.0.0.1 to 127.0.0.4 in turn, so that sockets in TIME_WAIT after a
 * churn of hundreds of connections a second do not use up one address's ephemeral ports.
 */
public final class ChurnFleet implements AutoCloseable {

  public static final String UPLINK_TOPIC = "UL/churn";
  private static final int SOURCE_ADDRESSES = 4;

  /** Where to connect and how the fleet behaves; times in milliseconds, each drawn uniformly from [min, max]. */
  public record Config(String host, int port, String clientIdPrefix, int devices, int persistentEvery,
                       long offlineMin, long offlineMax, long onlineMin, long onlineMax, long publishEvery) {
  }

  /** What one device sent: messages 0 to sent - 1; {@code acked} has the ones whose PUBACK arrived. */
  public record Result(String clientId, boolean persistent, int sent, BitSet acked) {
  }

  /** What the devices saw, counted. */
  public enum Count {
    /** A CONNACK accepted the connection. */
    CONNECTED,
    /** TCP connect failed. */
    CONNECT_FAILED,
    /** No CONNACK within 30 s. */
    NO_CONNACK,
    /** A CONNACK refused the connection. */
    REFUSED,
    /** The bridge closed an accepted connection the device had not left. */
    CLOSED_BY_BRIDGE,
    /** A persistent device that had subscribed got session present = 0. */
    SESSION_LOST,
    /** SUBACK 0x80. */
    SUBSCRIBE_REFUSED,
    /** A packet a device does not expect, or not MQTT. */
    UNEXPECTED_PACKET,
    /** Left with DISCONNECT. */
    DISCONNECTS,
    /** Left with a reset, no DISCONNECT. */
    DROPS
  }

  private final Config config;
  private final EventLoopGroup group;
  private final Bootstrap bootstrap;
  private final InetSocketAddress remote;
  private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final List<ChurnDevice> devices = new ArrayList<>();
  private final Map<Count, LongAdder> counts = new EnumMap<>(Count.class);
  private final LongAdder sent = new LongAdder();
  private final LongAdder acked = new LongAdder();
  private final LongAdder abandoned = new LongAdder();
  private final AtomicInteger online = new AtomicInteger();
  private final AtomicInteger everConnected = new AtomicInteger();
  private final AtomicLong downlinkReceived = new AtomicLong();
  private final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
  private volatile boolean publishing = true;
  private volatile boolean holding;
  private volatile boolean closing;

  public ChurnFleet(Config config, int eventLoops) {
    this.config = config;
    for (Count c : Count.values()) {
      counts.put(c, new LongAdder());
    }
    this.group = new MultiThreadIoEventLoopGroup(eventLoops, new DefaultThreadFactory("churn", true),
        NioIoHandler.newFactory());
    this.bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000);
    this.remote = new InetSocketAddress(config.host(), config.port());
    for (int i = 0; i < config.devices(); i++) {
      boolean persistent = i % config.persistentEvery() == 0;
      String id = config.clientIdPrefix() + (persistent ? "p-" : "c-") + i;
      InetSocketAddress local = new InetSocketAddress("127.0.0." + (1 + i % SOURCE_ADDRESSES), 0);
      devices.add(new ChurnDevice(this, id, persistent, group.next(), local));
    }
  }

  /** The client ids, persistent ones first. */
  public List<String> clientIds(boolean persistent) {
    return devices.stream().filter(d -> d.persistent() == persistent).map(ChurnDevice::clientId).toList();
  }

  /** Every device connects for the first time within one longest offline time. */
  public void start() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (ChurnDevice d : devices) {
      d.start(random.nextLong(config.offlineMax() + 1));
    }
  }

  /** From now on a device that connects stays: the final phase, where every device comes back. */
  public void hold() {
    holding = true;
  }

  /** No more uplink messages; those sent still get their PUBACK. */
  public void stopPublishing() {
    publishing = false;
  }

  public int online() {
    return online.get();
  }

  /** Devices that have been connected at least once. */
  public int everConnected() {
    return everConnected.get();
  }

  public int devices() {
    return devices.size();
  }

  /** Uplink messages sent and neither acknowledged nor left behind by a connection that ended. */
  public long unsettled() {
    return sent.sum() - acked.sum() - abandoned.sum();
  }

  public long count(Count c) {
    return counts.get(c).sum();
  }

  public long sent() {
    return sent.sum();
  }

  public long acked() {
    return acked.sum();
  }

  public long downlinkReceived() {
    return downlinkReceived.get();
  }

  /** How many times each client received each payload: key {@code <clientId> <payload>}. */
  public Map<String, AtomicInteger> received() {
    return received;
  }

  /** Each device's messages; call after {@link #close}. */
  public List<Result> results() {
    return devices.stream().map(ChurnDevice::result).toList();
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    counts.forEach((c, n) -> s.append(c.name().toLowerCase(Locale.ROOT)).append(' ').append(n.sum())
        .append(", "));
    return s + "uplink sent " + sent.sum() + ", acked " + acked.sum() + ", left unacknowledged " + abandoned.sum()
        + ", downlink received " + downlinkReceived.get() + ", online " + online.get();
  }

  /**
   * Sends DISCONNECT on every open connection, closes them, and stops the threads: every socket is
   * closed when this returns, whatever happened before.
   */
  @Override
  public void close() {
    closing = true;
    try {
      channels.writeAndFlush(Unpooled.wrappedBuffer(MqttPackets.disconnect())).awaitUninterruptibly(5_000);
      channels.close().awaitUninterruptibly(10_000);
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(30_000);
    }
  }

  // What the devices call, on their event loops.

  Bootstrap bootstrap() {
    return bootstrap;
  }

  InetSocketAddress remote() {
    return remote;
  }

  boolean closing() {
    return closing;
  }

  boolean holding() {
    return holding;
  }

  boolean publishing() {
    return publishing;
  }

  void opened(Channel channel) {
    channels.add(channel);
  }

  void counter(Count c) {
    counts.get(c).increment();
  }

  void online(int delta) {
    online.addAndGet(delta);
  }

  void firstConnected() {
    everConnected.incrementAndGet();
  }

  void countSent() {
    sent.increment();
  }

  void countAcked() {
    acked.increment();
  }

  void abandoned(int n) {
    abandoned.add(n);
  }

  void received(String clientId, String payload) {
    downlinkReceived.incrementAndGet();
    received.computeIfAbsent(clientId + " " + payload, k -> new AtomicInteger()).incrementAndGet();
  }

  long offlineMillis() {
    return ThreadLocalRandom.current().nextLong(config.offlineMin(), config.offlineMax() + 1);
  }

  long onlineMillis() {
    return ThreadLocalRandom.current().nextLong(config.onlineMin(), config.onlineMax() + 1);
  }

  long publishMillis() {
    return config.publishEvery();
  }
}
