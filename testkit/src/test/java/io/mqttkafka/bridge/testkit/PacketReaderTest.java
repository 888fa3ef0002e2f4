package io.mqttkafka.bridge.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The packet reader on byte streams cut at every point. */
class PacketReaderTest {

  private record Packet(int firstByte, byte[] body) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Packet p && p.firstByte == firstByte && Arrays.equals(p.body, body);
    }

    @Override
    public int hashCode() {
      return firstByte * 31 + Arrays.hashCode(body);
    }
  }

  @Test
  void eachPacketComesOutWholeWhereverTheReadsSplitTheStream() {
    byte[] big = new byte[300]; // a remaining length of two bytes
    big[299] = 9;
    byte[] stream = MqttPackets.concat(MqttPackets.puback(7), MqttPackets.publish("DL/1/cmd", big, 1, 513, false),
        MqttPackets.pingreq(), MqttPackets.publish("DL/2/cmd", new byte[] {1, 2}, 0, 0, false));
    List<Packet> expected = List.of(new Packet(0x40, new byte[] {0, 7}),
        new Packet(0x32, MqttPackets.concat(MqttPackets.string("DL/1/cmd"), new byte[] {2, 1}, big)),
        new Packet(0xC0, new byte[0]),
        new Packet(0x30, MqttPackets.concat(MqttPackets.string("DL/2/cmd"), new byte[] {1, 2})));

    for (int cut = 0; cut <= stream.length; cut++) {
      for (int second = cut; second <= stream.length; second += 7) {
        assertThat(read(stream, cut, second)).as("cut at %d and %d", cut, second).isEqualTo(expected);
      }
    }
  }

  @Test
  void aRemainingLengthOfFiveBytesIsNotMqtt() {
    PacketReader reader = new PacketReader();
    ByteBuf in = Unpooled.wrappedBuffer(new byte[] {0x30, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F});

    assertThatThrownBy(() -> reader.read(in, (first, body) -> { })).isInstanceOf(IllegalStateException.class);
  }

  /** The stream in three reads, cut at {@code a} and {@code b}. */
  private static List<Packet> read(byte[] stream, int a, int b) {
    PacketReader reader = new PacketReader();
    List<Packet> out = new ArrayList<>();
    for (int[] range : new int[][] {{0, a}, {a, b}, {b, stream.length}}) {
      ByteBuf in = Unpooled.wrappedBuffer(Arrays.copyOfRange(stream, range[0], range[1]));
      reader.read(in, (first, body) -> out.add(new Packet(first, ByteBufUtil.getBytes(body))));
      assertThat(in.isReadable()).isFalse();
      in.release();
    }
    reader.release();
    return out;
  }
}
