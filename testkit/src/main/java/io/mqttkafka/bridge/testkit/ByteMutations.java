package io.mqttkafka.bridge.testkit;

import static io.mqttkafka.bridge.testkit.MqttPackets.V5;
import static io.mqttkafka.bridge.testkit.MqttPackets.concat;
import static io.mqttkafka.bridge.testkit.MqttPackets.remainingLength;
import static io.mqttkafka.bridge.testkit.MqttPackets.withRemainingLength;

import io.mqttkafka.bridge.testkit.HostilePackets.Sequence;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Byte-level damage to a valid packet sequence, blind to what the bytes mean: flipped bits,
 * inserted, deleted or spliced bytes, a stream cut in the middle of a packet, wrong fixed-header
 * flags, a reserved packet type, a remaining length that lies. Draws from the connection's
 * {@link RandomClientPackets}, so a seed reproduces the damage.
 */
final class ByteMutations {

  /** Byte-level mutations of a valid sequence. */
  enum Mutation {
    BIT_FLIP, BYTE_INSERT, BYTE_DELETE, TRUNCATE, WRONG_FLAGS, RESERVED_TYPE, HUGE_REMAINING_LENGTH,
    REMAINING_LENGTH_OFF_BY_SOME, RANDOM_SPLICE, DUPLICATE_PACKET
  }

  private final RandomClientPackets gen;
  private final Random random;

  ByteMutations(RandomClientPackets gen) {
    this.gen = gen;
    this.random = gen.random;
  }

  /**
   * {@code packets} (changed in place) with 1-3 mutations applied, named after the first one,
   * {@code +} when there were more.
   */
  Sequence mutate(List<byte[]> packets) {
    int count = 1 + random.nextInt(3);
    Mutation first = null;
    for (int i = 0; i < count; i++) {
      Mutation m = Mutation.values()[random.nextInt(Mutation.values().length)];
      first = first == null ? m : first;
      int index = random.nextInt(packets.size());
      apply(m, packets, index);
    }
    return new Sequence("mutation." + first.name().toLowerCase(Locale.ROOT) + (count > 1 ? "+" : ""),
        packets, count);
  }

  private void apply(Mutation m, List<byte[]> packets, int index) {
    byte[] p = packets.get(index);
    if (p.length == 0) {
      m = Mutation.RANDOM_SPLICE; // an earlier mutation emptied it
    }
    switch (m) {
      case BIT_FLIP -> {
        byte[] q = p.clone();
        int flips = 1 + random.nextInt(4);
        for (int i = 0; i < flips; i++) {
          q[random.nextInt(q.length)] ^= (byte) (1 << random.nextInt(8));
        }
        packets.set(index, q);
      }
      case BYTE_INSERT -> {
        int at = random.nextInt(p.length + 1);
        packets.set(index, concat(Arrays.copyOfRange(p, 0, at), gen.randomBytes(1 + random.nextInt(3)),
            Arrays.copyOfRange(p, at, p.length)));
      }
      case BYTE_DELETE -> {
        int at = random.nextInt(p.length);
        int n = Math.min(p.length - at, 1 + random.nextInt(3));
        packets.set(index, concat(Arrays.copyOfRange(p, 0, at), Arrays.copyOfRange(p, at + n, p.length)));
      }
      case TRUNCATE -> {
        packets.set(index, Arrays.copyOf(p, random.nextInt(p.length)));
        while (packets.size() > index + 1) {
          packets.remove(packets.size() - 1); // the stream ends in the middle of the packet
        }
      }
      case WRONG_FLAGS -> {
        byte[] q = p.clone();
        q[0] = (byte) ((q[0] & 0xF0) | ((q[0] & 0x0F) ^ (1 + random.nextInt(15))));
        packets.set(index, q);
      }
      case RESERVED_TYPE -> {
        byte[] q = p.clone();
        q[0] = (byte) ((gen.level == V5 ? 0x00 : gen.pick(0x00, 0xF0)) | (q[0] & 0x0F));
        packets.set(index, q);
      }
      case HUGE_REMAINING_LENGTH -> packets.set(index, withRemainingLength(p, gen.pick(268_435_455, 2_097_152, 16_384, 5000)));
      case REMAINING_LENGTH_OFF_BY_SOME -> {
        int length = remainingLength(p);
        packets.set(index, withRemainingLength(p, Math.max(0, length + gen.pick(-3, -2, -1, 1, 2, 3))));
      }
      case RANDOM_SPLICE -> packets.add(index, gen.randomBytes(1 + random.nextInt(16)));
      case DUPLICATE_PACKET -> packets.add(index, p.clone());
      default -> throw new IllegalStateException(m.name());
    }
  }
}
