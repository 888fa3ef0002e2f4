package io.mqttkafka.bridge.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * The bench's message body: a 29-byte header, then filler up to the payload size. Big-endian:
 * magic (int), run id (int), phase (byte: 0 warm-up, 1 measured), send time (long, this JVM's
 * {@link System#nanoTime}), source index (int: connection or device), sequence number (long, per
 * source). The run id tells this run's messages from older ones in the same topic.
 */
final class Payload {

  static final int HEADER = 29;
  static final int MAGIC = 0x4D4B4231; // "MKB1"
  static final byte WARMUP = 0;
  static final byte MEASURED = 1;

  /** A decoded header; {@code valid} is false for a foreign or short message. */
  static final class Header {
    boolean valid;
    byte phase;
    long sendNanos;
    int source;
    long seq;
  }

  private Payload() {
  }

  static byte[] encode(int size, int runId, byte phase, long sendNanos, int source, long seq) {
    byte[] bytes = new byte[Math.max(HEADER, size)];
    write(Unpooled.wrappedBuffer(bytes).clear(), size, runId, phase, sendNanos, source, seq);
    return bytes;
  }

  /** Writes the header, then zeros up to {@code size}, into {@code out}. */
  static void write(ByteBuf out, int size, int runId, byte phase, long sendNanos, int source, long seq) {
    out.writeInt(MAGIC).writeInt(runId).writeByte(phase).writeLong(sendNanos).writeInt(source).writeLong(seq)
        .writeZero(Math.max(HEADER, size) - HEADER);
  }

  /** Decodes into {@code into} (reused by the caller); true when it is a message of this run. */
  static boolean decode(byte[] bytes, int runId, Header into) {
    into.valid = false;
    return bytes != null && decode(Unpooled.wrappedBuffer(bytes), runId, into);
  }

  /** Decodes the readable bytes of {@code in} without moving its reader index; see {@link #decode(byte[], int, Header)}. */
  static boolean decode(ByteBuf in, int runId, Header into) {
    into.valid = false;
    int at = in.readerIndex();
    if (in.readableBytes() < HEADER || in.getInt(at) != MAGIC || in.getInt(at + 4) != runId) {
      return false;
    }
    into.phase = in.getByte(at + 8);
    into.sendNanos = in.getLong(at + 9);
    into.source = in.getInt(at + 17);
    into.seq = in.getLong(at + 21);
    into.valid = true;
    return true;
  }
}
