package io.mqttkafka.bridge.testkit;

import io.mqttkafka.bridge.testkit.MqttPackets.Writer;
import java.util.List;
import java.util.Random;

/**
 * Packet sequences for fuzzing an MQTT server, one connection's worth at a time: valid MQTT 3.1.1
 * and 5 sequences ({@link RandomClientPackets}), the same with byte-level mutations
 * ({@link ByteMutations}), and named hostile cases that each break one rule of the spec
 * ({@link HostileCases}). Pure: everything comes from the given {@link Random}, so a seed reproduces
 * a sequence.
 */
public final class HostilePackets {

  /** Protocol levels. */
  public static final int V311 = MqttPackets.V311;
  public static final int V5 = MqttPackets.V5;

  /**
   * One connection's bytes.
   *
   * @param name    the hostile case ({@code valid}, {@code mutation.bit_flip}, {@code publish.qos3}, ...)
   * @param packets the packets in sending order (a mutated packet may no longer be one packet)
   * @param mutated how many of them were mutated or built to break a rule
   */
  public record Sequence(String name, List<byte[]> packets, int mutated) {
    public byte[] bytes() {
      Writer b = new Writer();
      packets.forEach(b::raw);
      return b.toByteArray();
    }
  }

  private final RandomClientPackets packets;
  private final HostileCases hostileCases;
  private final ByteMutations mutations;

  /** @param clientId the client id a valid CONNECT carries (hostile cases may break it) */
  public HostilePackets(Random random, int level, String clientId) {
    this.packets = new RandomClientPackets(random, level, clientId);
    this.hostileCases = new HostileCases(packets);
    this.mutations = new ByteMutations(packets);
  }

  /** A valid random sequence: CONNECT, 1-6 packets, usually DISCONNECT. */
  public List<byte[]> validSequence() {
    return packets.validSequence();
  }

  /** The named hostile cases: each builds a sequence that breaks one rule. */
  public List<String> caseNames() {
    return hostileCases.names();
  }

  /**
   * Builds the named case's sequence.
   *
   * @throws IllegalArgumentException when {@code name} is not among {@link #caseNames()}
   */
  public Sequence hostile(String name) {
    return new Sequence(name, hostileCases.build(name), 1);
  }

  /** A valid sequence with 1-3 byte-level mutations applied to its packets. */
  public Sequence mutated() {
    return mutations.mutate(packets.validSequence());
  }
}
