package io.mqttkafka.bridge.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/** The held batches of one partition on a clock set by hand. */
class PresenceGateTest {

  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
  private final PresenceGate gate = new PresenceGate();
  private final List<String> routed = new ArrayList<>();
  private long offset;

  @Test
  void aBatchWaitsForItsSampleAndThenForThePresenceReadUpToIt() {
    gate.hold(records(2, 10), 0);
    assertThat(gate.awaitsSample()).isTrue();
    assertThat(gate.oldestUnsampledNanos()).isZero();

    assertThat(release(100, 5 * MS)).as("no sample yet").isEmpty();
    gate.sampled(40); // the presence records written before them end at 40
    assertThat(gate.awaitsSample()).isFalse();
    assertThat(release(39, 6 * MS)).as("presence read up to 39 only").isEmpty();
    assertThat(release(40, 7 * MS)).containsExactly("0 after 7 ms", "1 after 7 ms");
    assertThat(gate.firstHeld()).isEqualTo(-1);
  }

  @Test
  void batchesAreReleasedInOrderEvenWhenALaterOneIsCovered() {
    gate.hold(records(1, 10), 0);
    gate.sampled(50);
    gate.hold(records(1, 10), 2 * MS);
    gate.sampled(20);

    assertThat(release(30, 3 * MS)).as("the first waits for 50; the second may not pass it").isEmpty();
    assertThat(gate.firstHeld()).isZero();
    assertThat(release(50, 4 * MS)).containsExactly("0 after 4 ms", "1 after 2 ms");
  }

  @Test
  void afterTheLongestWaitABatchIsReleasedEarlyWithoutItsPresence() {
    gate.hold(records(1, 10), 0);
    gate.sampled(99);

    assertThat(release(10, PresenceGate.MAX_WAIT_NANOS - 1)).isEmpty();
    assertThat(release(10, PresenceGate.MAX_WAIT_NANOS)).containsExactly("0 after 5000 ms early");
  }

  @Test
  void anUnknownPresencePositionHoldsUntilTheLongestWait() {
    gate.hold(records(1, 10), 0);
    gate.sampled(0);

    assertThat(release(-1, MS)).isEmpty();
    assertThat(release(0, MS)).containsExactly("0 after 1 ms");
  }

  @Test
  void fetchingPausesAboveTheByteLimitAndResumesAtHalf() {
    int mib = 1024 * 1024;
    assertThat(gate.hold(records(3, mib), 0)).as("3 MiB: under 4").isFalse();
    assertThat(gate.hold(records(2, mib), MS)).as("5 MiB: pause").isTrue();
    assertThat(gate.paused()).isTrue();
    assertThat(gate.hold(records(1, mib), MS)).as("already paused").isFalse();
    gate.sampled(5);

    assertThat(gate.release(5, 2 * MS, (batch, waited, early) -> { })).as("all routed: resume").isTrue();
    assertThat(gate.paused()).isFalse();
  }

  @Test
  void newRecordsAfterASampleWaitForASampleOfTheirOwn() {
    gate.hold(records(1, 10), 0);
    gate.sampled(5);
    gate.hold(records(1, 10), MS);

    assertThat(gate.awaitsSample()).isTrue();
    assertThat(gate.oldestUnsampledNanos()).isEqualTo(MS);
    assertThat(release(5, 2 * MS)).containsExactly("0 after 2 ms");
    assertThat(gate.batches()).isEqualTo(1);
    assertThat(gate.records()).isEqualTo(1);
  }

  private List<String> release(long presencePosition, long now) {
    List<String> out = new ArrayList<>();
    gate.release(presencePosition, now, (batch, waited, early) -> {
      for (ConsumerRecord<String, byte[]> record : batch.records) {
        out.add(record.offset() + " after " + waited / MS + " ms" + (early ? " early" : ""));
      }
    });
    routed.addAll(out);
    return out;
  }

  private List<ConsumerRecord<String, byte[]>> records(int count, int size) {
    List<ConsumerRecord<String, byte[]>> batch = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      batch.add(new ConsumerRecord<>("test.downlink", 0, offset++, 0L, TimestampType.CREATE_TIME, 0, size, "car",
          new byte[0], new RecordHeaders(), Optional.empty()));
    }
    return batch;
  }
}
