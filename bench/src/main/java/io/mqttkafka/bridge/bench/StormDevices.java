package io.mqttkafka.bridge.bench;

import io.mqttkafka.bridge.testkit.Fleet;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.PacketReader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The devices of {@code bench storm}, as {@link Fleet} sessions: each connects (with a clean or a
 * persistent session) and is "back" once it can receive its commands again: a device whose CONNACK
 * says its session is present is back at once, as a real client that does not subscribe again; any
 * other sends one SUBSCRIBE and is back at its granting SUBACK. Each device counts once per phase
 * ({@link #phase}): the first connect, and the reconnect after the instance died, whose times since
 * the phase began are recorded.
 */
final class StormDevices {

  private final boolean persistent;
  private final String filterPattern;
  /** Per device, the phase in which it was last back; 0: never. */
  private final AtomicLongArray backIn;
  private final AtomicLong back = new AtomicLong();
  private final LongAdder sessionPresent = new LongAdder();
  private final LongAdder subscribed = new LongAdder();
  private final LongAdder refused = new LongAdder();
  private final LongAdder unexpected = new LongAdder();
  private volatile Latency backLatency = new Latency();
  private volatile long phase;
  private volatile long phaseStartNanos;
  private final AtomicLong lastBackNanos = new AtomicLong();

  /** @param filterPattern the filter each device subscribes to, {@code {i}} = its index */
  StormDevices(int devices, boolean persistent, String filterPattern) {
    this.persistent = persistent;
    this.filterPattern = filterPattern;
    this.backIn = new AtomicLongArray(devices);
  }

  /** The session of the device with this index. */
  Fleet.Session session(int index) {
    return new Device(index);
  }

  /** A new phase begins now: every device is away until it is back again; counters start at 0. */
  void phase(long number, long nowNanos) {
    back.set(0);
    sessionPresent.reset();
    subscribed.reset();
    refused.reset();
    backLatency = new Latency();
    phaseStartNanos = nowNanos;
    lastBackNanos.set(nowNanos);
    phase = number;
  }

  /** Devices back in this phase. */
  long back() {
    return back.get();
  }

  /** Seconds from the phase's start until the last device came back. */
  double lastBackSeconds() {
    return (lastBackNanos.get() - phaseStartNanos) / 1e9;
  }

  /** The phase's figures: how devices came back and when. */
  void describe(Map<String, Object> out) {
    out.put("back", back.get());
    out.put("back_with_session_present", sessionPresent.sum());
    out.put("back_by_subscribe", subscribed.sum());
    out.put("subscribe_refused", refused.sum());
    out.put("unexpected_packets", unexpected.sum());
    out.put("last_back_s", Summary.value(lastBackSeconds()));
    Latency.describe(backLatency.total(), Summary.child(out, "time_until_back"));
  }

  private void isBack(int index, LongAdder how) {
    long current = phase;
    if (backIn.getAndSet(index, current) == current) {
      return; // a second SUBACK or connection in the same phase
    }
    long now = System.nanoTime();
    how.increment();
    backLatency.recordNanos(now - phaseStartNanos);
    lastBackNanos.accumulateAndGet(now, Math::max);
    back.incrementAndGet();
  }

  /** One device's connection; confined to its event loop. */
  private final class Device implements Fleet.Session {
    private final int index;
    private final PacketReader reader = new PacketReader();

    Device(int index) {
      this.index = index;
    }

    @Override
    public boolean cleanSession() {
      return !persistent;
    }

    @Override
    public void opened(ChannelHandlerContext ctx, boolean present) {
      if (persistent && present) {
        isBack(index, sessionPresent);
        return;
      }
      ctx.writeAndFlush(Unpooled.wrappedBuffer(MqttPackets.subscribe(1, filterPattern.replace("{i}",
          Integer.toString(index)), 1)));
    }

    @Override
    public void read(ChannelHandlerContext ctx, ByteBuf in) {
      reader.read(in, (first, body) -> {
        switch (first >> 4) {
          case 9 -> { // SUBACK: packet id, one return code; 0x80 = failure [MQTT-3.9.3]
            if (body.readableBytes() == 3 && body.getUnsignedByte(2) < 0x80) {
              isBack(index, subscribed);
            } else {
              refused.increment();
            }
          }
          case 13 -> { } // PINGRESP
          default -> unexpected.increment();
        }
      });
    }

    @Override
    public void closed() {
      reader.release();
    }
  }
}
