package io.mqttkafka.bridge.testkit;

import io.netty.buffer.ByteBuf;

/**
 * Splits what a connection reads into whole MQTT packets, across reads: the first byte, the
 * remaining length ([MQTT-2.2.3]) and the body. A packet that lies whole in a read is handed over
 * as a slice of it, with no copy; only the bytes of a packet that a read ends in the middle of are
 * kept, until the next read completes it. For {@link Fleet.Session}s; confined to one event loop.
 */
public final class PacketReader {

  /** Takes one packet; {@code body} (reader index at its start) is valid during the call only. */
  @FunctionalInterface
  public interface Handler {
    void packet(int firstByte, ByteBuf body);
  }

  private ByteBuf partial;

  /**
   * Hands every whole packet in {@code in}, after the rest of the previous read, to {@code handler}
   * and keeps what is left; reads {@code in} whole, the caller still owns it.
   *
   * @throws IllegalStateException when a remaining length runs over four bytes: not MQTT
   */
  public void read(ByteBuf in, Handler handler) {
    ByteBuf buf = in;
    if (partial != null) {
      partial.writeBytes(in);
      buf = partial;
    }
    while (next(buf, handler)) {
      // each call handed over one packet
    }
    if (buf == partial) {
      if (partial.isReadable()) {
        partial.discardSomeReadBytes();
      } else {
        release();
      }
    } else if (in.isReadable()) {
      partial = in.alloc().heapBuffer(Math.max(256, in.readableBytes()));
      partial.writeBytes(in);
    }
  }

  /** Drops a partial packet kept from the last read; call it when the connection closed. */
  public void release() {
    if (partial != null) {
      partial.release();
      partial = null;
    }
  }

  private static boolean next(ByteBuf buf, Handler handler) {
    int start = buf.readerIndex();
    int readable = buf.readableBytes();
    int length = 0;
    for (int i = 1; i < readable; i++) {
      int b = buf.getUnsignedByte(start + i);
      length |= (b & 0x7F) << (7 * (i - 1));
      if ((b & 0x80) == 0) {
        int header = i + 1;
        if (readable - header < length) {
          return false;
        }
        handler.packet(buf.getUnsignedByte(start), buf.slice(start + header, length));
        buf.readerIndex(start + header + length);
        return true;
      }
      if (i == 4) {
        throw new IllegalStateException("a remaining length of more than four bytes");
      }
    }
    return false;
  }
}
