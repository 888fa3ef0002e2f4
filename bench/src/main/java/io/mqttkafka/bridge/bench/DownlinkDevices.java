package io.mqttkafka.bridge.bench;

import io.mqttkafka.bridge.testkit.Fleet;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.PacketReader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The devices of {@code bench downlink}, as {@link Fleet} sessions: each sends one SUBSCRIBE once its
 * CONNACK came, then reads what the bridge sends: a PUBLISH is decoded where it lies in the read
 * buffer, recorded, and answered with PUBACK at QoS 1 (the PUBACKs of one read go out together);
 * SUBACK is counted as granted or refused; PINGRESP is dropped; any other packet is unexpected.
 * Received messages are counted by device and sequence number (unique, duplicate, reordered, of
 * another run), with the latency from the back end's send time in the payload to the PUBLISH's arrival.
 */
final class DownlinkDevices {

  private final int runId;
  private final String filterPattern;
  private final int qos;
  private final SeqTracker seq;
  private final Latency latency = new Latency();
  private final Payload.Header h = new Payload.Header();
  private final List<Integer> opened = new ArrayList<>();
  private final AtomicLong subacked = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final LongAdder unexpected = new LongAdder();
  private long total;
  private long measured;
  private long foreign;

  /** @param filterPattern the filter each device subscribes to, {@code {i}} = its index */
  DownlinkDevices(int runId, int devices, String filterPattern, int qos) {
    this.runId = runId;
    this.filterPattern = filterPattern;
    this.qos = qos;
    this.seq = new SeqTracker(devices);
  }

  /** The session of the device with this index. */
  Fleet.Session session(int index) {
    return new Device(index);
  }

  /** The indexes of the devices whose connection was accepted, in order. */
  List<Integer> opened() {
    synchronized (opened) {
      List<Integer> out = new ArrayList<>(opened);
      Collections.sort(out);
      return out;
    }
  }

  long subacked() {
    return subacked.get();
  }

  long refused() {
    return refused.get();
  }

  /** Packets of a type the devices do not expect, and PUBLISH packets of QoS 2. */
  long unexpected() {
    return unexpected.sum();
  }

  Latency latency() {
    return latency;
  }

  /** Messages of this run received, each once. */
  synchronized long total() {
    return total;
  }

  synchronized void describe(Map<String, Object> out) {
    out.put("received_unique", total);
    out.put("received_unique_measured", measured);
    out.put("duplicates", seq.duplicates());
    out.put("reordered", seq.reordered());
    out.put("foreign", foreign);
  }

  /** One arrival: {@code payload} from its reader index. Called on the fleet's event loops. */
  private synchronized void received(ByteBuf payload, long now) {
    int outcome = Payload.decode(payload, runId, h) ? seq.arrived(h.source, h.seq) : SeqTracker.FOREIGN;
    if (outcome == SeqTracker.FOREIGN) {
      foreign++;
      return;
    }
    if (outcome == SeqTracker.NEW) {
      total++;
      if (h.phase == Payload.MEASURED) {
        measured++;
        latency.recordNanos(now - h.sendNanos);
      }
    }
  }

  /** One device's connection; confined to its event loop. */
  private final class Device implements Fleet.Session {
    private final int index;
    private final PacketReader reader = new PacketReader();
    private ByteBuf acks;

    Device(int index) {
      this.index = index;
    }

    @Override
    public void opened(ChannelHandlerContext ctx) {
      synchronized (opened) {
        opened.add(index);
      }
      ctx.writeAndFlush(Unpooled.wrappedBuffer(MqttPackets.subscribe(1, filterPattern.replace("{i}",
          Integer.toString(index)), qos)));
    }

    @Override
    public void read(ChannelHandlerContext ctx, ByteBuf in) {
      reader.read(in, (first, body) -> packet(ctx, first, body));
      if (acks != null) {
        ctx.writeAndFlush(acks);
        acks = null;
      }
    }

    private void packet(ChannelHandlerContext ctx, int first, ByteBuf body) {
      switch (first >> 4) {
        case 3 -> published(ctx, (first >> 1) & 3, body);
        case 9 -> { // SUBACK: packet id, one return code; 0x80 = failure [MQTT-3.9.3]
          boolean granted = body.readableBytes() == 3 && body.getUnsignedByte(2) < 0x80;
          (granted ? subacked : refused).incrementAndGet();
        }
        case 13 -> { } // PINGRESP
        default -> unexpected.increment();
      }
    }

    private void published(ChannelHandlerContext ctx, int publishQos, ByteBuf body) {
      long now = System.nanoTime();
      body.skipBytes(body.readUnsignedShort()); // the topic name
      int packetId = publishQos > 0 ? body.readUnsignedShort() : 0;
      received(body, now);
      if (publishQos == 1) {
        if (acks == null) {
          acks = ctx.alloc().ioBuffer(64);
        }
        acks.writeShort(MqttPackets.PUBACK_HEADER).writeShort(packetId);
      } else if (publishQos != 0) {
        unexpected.increment();
      }
    }

    @Override
    public void closed() {
      reader.release();
    }
  }
}
