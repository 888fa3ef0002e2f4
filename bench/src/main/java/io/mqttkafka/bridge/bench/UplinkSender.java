package io.mqttkafka.bridge.bench;

import io.mqttkafka.bridge.testkit.Fleet;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.Pacer;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The uplink load, sent from the event loops of a {@link Fleet}. A turn of each event loop
 * (scheduled {@value #TURN_MICROS} us after the last; NIO's selector sleeps in millisecond steps, so
 * often 1 ms later when no acknowledgement wakes it) asks the {@link Pacer} how many
 * messages are due, hands them round-robin to that loop's connections that may send, and writes each
 * connection's share as one buffer of PUBLISH packets: MQTT 3.1.1, a header encoded once per
 * connection ({@link MqttPackets#publishHead}) followed by each message's packet id and payload,
 * with no client library, map or regular expression per message.
 *
 * <p>Flow control per connection: QoS 1/2 keep at most {@code window} PUBLISH packets unacknowledged
 * (the window a real client has), and no QoS writes while the connection's outbound buffer is over
 * its high water mark, so a bridge that stops reading pushes back through TCP rather than filling
 * the bench's heap. The bench answers PUBREC with PUBREL. PUBACK (QoS 1) or PUBCOMP (QoS 2)
 * latency is measured in the measured phase: the bridge acknowledges in PUBLISH order, so each
 * connection's send times form a queue; an acknowledgement for another packet id than the queue's
 * head is counted as unexpected, as is any packet but PUBACK, PUBREC, PUBCOMP and PINGRESP.
 */
final class UplinkSender {

  /** How long a loop waits before its next turn. */
  static final long TURN_MICROS = 100;
  /** At most this many messages per loop and turn, so that acknowledgements are read in between. */
  private static final int MAX_PER_TURN = 4096;

  private final int qos;
  private final int payloadSize;
  private final int runId;
  private final double rate;
  private final int window;
  private final String topicPattern;
  private final Latency ackLatency = new Latency();
  private final List<Publisher> publishers = new ArrayList<>();
  private final LongAdder[] published = {new LongAdder(), new LongAdder()};
  private final LongAdder writeFailures = new LongAdder();
  private final LongAdder acked = new LongAdder();
  private final LongAdder unexpected = new LongAdder();
  private final AtomicLong budget = new AtomicLong(Long.MAX_VALUE);
  private final List<Lane> lanes = new ArrayList<>();
  private volatile byte phase = Payload.WARMUP;
  private volatile long measuredStartNanos = Long.MAX_VALUE;
  private volatile boolean running = true;

  /** @param window unacknowledged PUBLISH packets per connection (QoS 1/2), 1 to 65,535 (the packet ids) */
  UplinkSender(int qos, int payloadSize, int runId, double rate, int window, String topicPattern) {
    this.qos = qos;
    this.payloadSize = Math.max(Payload.HEADER, payloadSize);
    this.runId = runId;
    this.rate = rate;
    this.window = window;
    this.topicPattern = topicPattern;
  }

  /** The session of the connection with this index; it joins the load once its CONNACK came. */
  Fleet.Session session(int index) {
    return new Publisher(index, topicPattern.replace("{i}", Integer.toString(index)));
  }

  /** Starts sending on every connection open now; the rate is shared by the connections evenly. */
  void start() {
    Map<EventExecutor, List<Publisher>> byLoop = new LinkedHashMap<>();
    int total;
    synchronized (publishers) {
      publishers.forEach(p -> byLoop.computeIfAbsent(p.ctx.executor(), l -> new ArrayList<>()).add(p));
      total = publishers.size();
    }
    byLoop.forEach((loop, on) -> {
      Lane lane = new Lane(loop, on.toArray(Publisher[]::new), rate <= 0 ? 0 : rate * on.size() / total);
      lanes.add(lane);
      loop.execute(lane);
    });
  }

  /** From now on messages count as measured; {@code messages} > 0 ends the run after that many. */
  void measure(long nowNanos, long messages) {
    measuredStartNanos = nowNanos;
    if (messages > 0) {
      budget.set(messages);
    }
    phase = Payload.MEASURED;
  }

  boolean budgetUsed() {
    return budget.get() <= 0;
  }

  /** Stops sending and waits until every loop has finished its turn. */
  void stop() throws InterruptedException {
    running = false;
    for (Lane lane : lanes) {
      lane.stopped.await(10, TimeUnit.SECONDS);
    }
  }

  long published(byte ofPhase) {
    return published[ofPhase].sum();
  }

  long publishedTotal() {
    return published[0].sum() + published[1].sum();
  }

  long writeFailures() {
    return writeFailures.sum();
  }

  long acked() {
    return acked.sum();
  }

  /** Acknowledgements for another packet than the oldest unacknowledged one, and packets of a type the bench does not expect. */
  long unexpected() {
    return unexpected.sum();
  }

  /** QoS 1/2 messages published and not yet acknowledged on connections still open. */
  long outstanding() {
    long sum = 0;
    synchronized (publishers) {
      for (Publisher p : publishers) {
        sum += p.closed ? 0 : p.outstanding;
      }
    }
    return sum;
  }

  int connections() {
    synchronized (publishers) {
      return publishers.size();
    }
  }

  Latency ackLatency() {
    return ackLatency;
  }

  /** Takes up to {@code wanted} from the message budget of the measured phase. */
  private long reserve(long wanted, byte ofPhase) {
    if (ofPhase != Payload.MEASURED) {
      return wanted;
    }
    while (true) {
      long left = budget.get();
      if (left == Long.MAX_VALUE) {
        return wanted;
      }
      long take = Math.min(left, wanted);
      if (take <= 0) {
        return 0;
      }
      if (budget.compareAndSet(left, left - take)) {
        return take;
      }
    }
  }

  /** The connections of one event loop and their share of the rate; runs as that loop's task. */
  private final class Lane implements Runnable {
    private final EventExecutor loop;
    private final Publisher[] on;
    private final Pacer pacer;
    private final int[] shares;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private int cursor;
    private boolean started;

    Lane(EventExecutor loop, Publisher[] on, double rate) {
      this.loop = loop;
      this.on = on;
      this.pacer = new Pacer(rate);
      this.shares = new int[on.length];
    }

    @Override
    public void run() {
      if (!running) {
        stopped.countDown();
        return;
      }
      if (!started) {
        started = true;
        pacer.start(System.nanoTime());
      }
      byte p = phase; // before the clock: a measured message is never sent before the measured start
      long now = System.nanoTime();
      long due = Math.min(pacer.due(now), MAX_PER_TURN);
      int planned = plan(due);
      long granted = reserve(planned, p);
      if (granted < planned) {
        trim(planned - (int) granted);
        if (granted == 0) {
          running = false;
        }
      }
      for (int i = 0; i < on.length; i++) {
        if (shares[i] > 0) {
          on[i].send(shares[i], p, now);
          shares[i] = 0;
        }
      }
      pacer.sent(granted);
      published[p].add(granted);
      loop.schedule(this, TURN_MICROS, TimeUnit.MICROSECONDS);
    }

    /** Hands out up to {@code due} messages, one per connection in turn, to connections that may send. */
    private int plan(long due) {
      int planned = 0;
      int refused = 0;
      while (planned < due && refused < on.length) {
        int i = cursor;
        cursor = cursor + 1 == on.length ? 0 : cursor + 1;
        if (on[i].mayTake(shares[i])) {
          shares[i]++;
          planned++;
          refused = 0;
        } else {
          refused++;
        }
      }
      return planned;
    }

    /** Gives back {@code excess} planned messages the budget did not grant. */
    private void trim(int excess) {
      for (int i = 0; i < on.length && excess > 0; i++) {
        int back = Math.min(excess, shares[i]);
        shares[i] -= back;
        excess -= back;
      }
    }
  }

  /** One connection: encodes its PUBLISH packets and reads the acknowledgements. Confined to its event loop. */
  private final class Publisher implements Fleet.Session {
    private final int index;
    /** PUBLISH fixed header and topic name; the packet id (QoS 1/2) and the payload follow. */
    private final byte[] head;
    private final int packetBytes;
    private final long[] sendTimes;
    private final int[] packetIds;
    private final AckReader reader = new AckReader();
    private ChannelHandlerContext ctx;
    private int ring; // next slot to fill; the oldest unacknowledged is ring - outstanding
    private volatile int outstanding;
    private volatile boolean closed;
    private int nextPacketId = 1;
    private long seq;

    Publisher(int index, String topic) {
      this.index = index;
      this.head = MqttPackets.publishHead(topic, qos, payloadSize);
      this.packetBytes = head.length + (qos > 0 ? 2 : 0) + payloadSize;
      int slots = qos > 0 ? Integer.highestOneBit(window) << 1 : 0;
      this.sendTimes = new long[slots];
      this.packetIds = new int[slots];
    }

    @Override
    public void opened(ChannelHandlerContext ctx) {
      this.ctx = ctx;
      synchronized (publishers) {
        publishers.add(this);
      }
    }

    @Override
    public void closed() {
      closed = true;
    }

    /** Whether it may take one more message on top of the {@code planned} ones of this turn. */
    boolean mayTake(int planned) {
      return !closed && ctx.channel().isWritable() && (qos == 0 || outstanding + planned < window);
    }

    void send(int count, byte ofPhase, long now) {
      ByteBuf out = ctx.alloc().ioBuffer(count * packetBytes);
      int outstandingNow = outstanding;
      for (int n = 0; n < count; n++) {
        out.writeBytes(head);
        if (qos > 0) {
          int id = nextPacketId;
          nextPacketId = id == 65_535 ? 1 : id + 1;
          out.writeShort(id);
          int slot = ring++ & (sendTimes.length - 1);
          sendTimes[slot] = now;
          packetIds[slot] = id;
          outstandingNow++;
        }
        Payload.write(out, payloadSize, runId, ofPhase, now, index, seq++);
      }
      outstanding = outstandingNow;
      ctx.writeAndFlush(out).addListener((ChannelFutureListener) f -> {
        if (!f.isSuccess()) {
          writeFailures.add(count);
        }
      });
    }

    @Override
    public void read(ChannelHandlerContext ctx, ByteBuf in) {
      ByteBuf answers = null;
      while (reader.next(in)) {
        switch (reader.type) {
          case 0x40 -> acknowledged(reader.packetId, 1); // PUBACK
          case 0x50 -> { // PUBREC: answer PUBREL
            if (!expected(2)) {
              break;
            }
            if (answers == null) {
              answers = ctx.alloc().ioBuffer(64);
            }
            answers.writeShort(MqttPackets.PUBREL_HEADER).writeShort(reader.packetId);
          }
          case 0x70 -> acknowledged(reader.packetId, 2); // PUBCOMP
          case 0xD0 -> { } // PINGRESP
          default -> unexpected.increment();
        }
      }
      if (answers != null) {
        ctx.writeAndFlush(answers);
      }
    }

    /** Whether an acknowledgement of a {@code ofQos} message may come now: else it is counted as unexpected. */
    private boolean expected(int ofQos) {
      if (qos != ofQos || reader.remaining != 2 || outstanding == 0) {
        unexpected.increment();
        return false;
      }
      return true;
    }

    private void acknowledged(int packetId, int ofQos) {
      if (!expected(ofQos)) {
        return;
      }
      int slot = (ring - outstanding) & (sendTimes.length - 1);
      if (packetIds[slot] != packetId) {
        unexpected.increment();
      }
      long sent = sendTimes[slot];
      outstanding = outstanding - 1;
      if (sent >= measuredStartNanos) {
        ackLatency.recordNanos(System.nanoTime() - sent);
      }
      acked.increment();
    }
  }

  /**
   * Splits what the bridge sends into packets, across reads: the fixed header's type byte, the
   * remaining length, and the first two bytes of the rest (the packet id of every acknowledgement);
   * longer packets are skipped.
   */
  static final class AckReader {
    int type;
    int remaining;
    int packetId;
    private int state; // 0: type, 1: remaining length, 2: body
    private int lengthShift;
    private int bodyRead;

    /** Reads from {@code in} until a packet is complete (true; its fields are set) or {@code in} is empty. */
    boolean next(ByteBuf in) {
      while (in.isReadable()) {
        switch (state) {
          case 0 -> {
            type = in.readUnsignedByte();
            remaining = 0;
            lengthShift = 0;
            packetId = 0;
            bodyRead = 0;
            state = 1;
          }
          case 1 -> {
            int b = in.readUnsignedByte();
            remaining |= (b & 0x7F) << lengthShift;
            lengthShift += 7;
            if ((b & 0x80) == 0) {
              state = 2;
              if (remaining == 0) {
                state = 0;
                return true;
              }
            }
          }
          default -> {
            if (bodyRead < 2) {
              packetId = packetId << 8 | in.readUnsignedByte();
              bodyRead++;
            } else {
              int skip = Math.min(in.readableBytes(), remaining - bodyRead);
              in.skipBytes(skip);
              bodyRead += skip;
            }
            if (bodyRead == remaining) {
              state = 0;
              return true;
            }
          }
        }
      }
      return false;
    }
  }
}
