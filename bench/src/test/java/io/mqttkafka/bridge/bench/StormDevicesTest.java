package io.mqttkafka.bridge.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The storm bench's devices on an {@link EmbeddedChannel}: when a device counts as back (session
 * present, or its SUBACK granted), once per phase.
 */
class StormDevicesTest {

  private static final byte[] SUBACK_GRANTED = {(byte) 0x90, 3, 0, 1, 1};
  private static final byte[] SUBACK_REFUSED = {(byte) 0x90, 3, 0, 1, (byte) 0x80};

  private final List<EmbeddedChannel> channels = new ArrayList<>();

  @AfterEach
  void release() {
    channels.forEach(EmbeddedChannel::finishAndReleaseAll);
  }

  @Test
  void aCleanDeviceSubscribesAndIsBackAtItsGrantingSubackOncePerPhase() {
    StormDevices devices = new StormDevices(4, false, "DL/{i}/#");
    devices.phase(1, System.nanoTime());
    EmbeddedChannel channel = open(devices, 2, true);

    ByteBuf subscribe = channel.readOutbound();
    assertThat(subscribe.readableBytes()).isGreaterThan(2);
    assertThat(subscribe.getUnsignedByte(0)).isEqualTo((short) 0x82); // SUBSCRIBE
    subscribe.release();
    assertThat(devices.back()).isZero();

    channel.writeInbound(Unpooled.wrappedBuffer(SUBACK_GRANTED));
    channel.writeInbound(Unpooled.wrappedBuffer(SUBACK_GRANTED));

    assertThat(devices.back()).isEqualTo(1);
    Map<String, Object> figures = new LinkedHashMap<>();
    devices.describe(figures);
    assertThat(figures).containsEntry("back_by_subscribe", 1L).containsEntry("back_with_session_present", 0L);
  }

  @Test
  void aPersistentDeviceWhoseSessionIsPresentIsBackWithoutSubscribing() {
    StormDevices devices = new StormDevices(4, true, "DL/{i}/#");
    devices.phase(1, System.nanoTime());

    EmbeddedChannel channel = open(devices, 0, true);

    assertThat(channel.<Object>readOutbound()).isNull();
    assertThat(devices.back()).isEqualTo(1);
    assertThat(devices.session(0).cleanSession()).isFalse();
  }

  @Test
  void aPersistentDeviceWithoutItsSessionSubscribesAgainAndARefusalIsNotBack() {
    StormDevices devices = new StormDevices(4, true, "DL/{i}/#");
    devices.phase(1, System.nanoTime());
    EmbeddedChannel channel = open(devices, 1, false);

    ((ByteBuf) channel.readOutbound()).release();
    channel.writeInbound(Unpooled.wrappedBuffer(SUBACK_REFUSED));

    assertThat(devices.back()).isZero();
    Map<String, Object> figures = new LinkedHashMap<>();
    devices.describe(figures);
    assertThat(figures).containsEntry("subscribe_refused", 1L);
  }

  @Test
  void aNewPhaseCountsEveryDeviceAgain() {
    StormDevices devices = new StormDevices(4, true, "DL/{i}/#");
    devices.phase(1, System.nanoTime());
    open(devices, 3, true);
    assertThat(devices.back()).isEqualTo(1);

    devices.phase(2, System.nanoTime());
    assertThat(devices.back()).isZero();
    open(devices, 3, true);

    assertThat(devices.back()).isEqualTo(1);
  }

  /** A device's connection right after its CONNACK, with its session present flag. */
  private EmbeddedChannel open(StormDevices devices, int index, boolean sessionPresent) {
    EmbeddedChannel channel = SessionChannel.open(devices.session(index), sessionPresent);
    channels.add(channel);
    return channel;
  }
}
