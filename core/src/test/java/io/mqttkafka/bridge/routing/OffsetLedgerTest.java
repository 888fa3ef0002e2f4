package io.mqttkafka.bridge.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.mqttkafka.bridge.routing.OffsetLedger.Routed;
import org.junit.jupiter.api.Test;

class OffsetLedgerTest {

  private final OffsetLedger ledger = new OffsetLedger();

  @Test
  void theCommitPointStaysAtTheFirstRecordNotSettled() {
    ledger.routed(10, Routed.FORWARDED);
    ledger.routed(11, Routed.RECEIPT);
    ledger.routed(12, Routed.FORWARDED);

    ledger.settle(11);
    ledger.settle(12);
    assertThat(ledger.commitPoint(13, -1)).as("10 still waits for its instance").isEqualTo(10);

    ledger.settle(10);
    assertThat(ledger.commitPoint(13, -1)).as("everything below the position settled").isEqualTo(13);
    assertThat(ledger.firstUnsettled()).isEqualTo(-1);
  }

  @Test
  void heldRecordsAndAnUnknownPositionHoldTheCommitToo() {
    ledger.routed(5, Routed.MOVING);

    assertThat(ledger.commitPoint(20, 3)).as("held since 3").isEqualTo(3);
    assertThat(ledger.commitPoint(20, 8)).isEqualTo(5);
    assertThat(ledger.commitPoint(-1, -1)).as("nothing read yet: nothing to commit").isEqualTo(-1);
  }

  @Test
  void countsWhatEachRoutedRecordWaitsFor() {
    ledger.routed(1, Routed.FORWARDED);
    ledger.routed(2, Routed.FORWARDED);
    ledger.routed(3, Routed.RECEIPT);
    ledger.routed(4, Routed.MOVING);
    ledger.settle(2);

    assertThat(ledger.unsettled(Routed.FORWARDED)).isEqualTo(1);
    assertThat(ledger.unsettled(Routed.RECEIPT)).isEqualTo(1);
    assertThat(ledger.unsettled(Routed.MOVING)).isEqualTo(1);
    assertThat(ledger.unsettled()).isEqualTo(3);
  }

  @Test
  void aSecondOrUnknownSettlementChangesNothing() {
    ledger.routed(7, Routed.RECEIPT);
    ledger.routed(9, Routed.RECEIPT);
    ledger.settle(9);
    ledger.settle(9);
    ledger.settle(8);
    ledger.settle(100);

    assertThat(ledger.unsettled()).isEqualTo(1);
    assertThat(ledger.firstUnsettled()).isEqualTo(7);
  }

  @Test
  void aRecordRoutedTwiceIsRefused() {
    ledger.routed(4, Routed.FORWARDED);

    assertThatIllegalArgumentException().isThrownBy(() -> ledger.routed(4, Routed.FORWARDED));
    assertThatIllegalArgumentException().isThrownBy(() -> ledger.routed(3, Routed.RECEIPT));
  }

  @Test
  void manyRecordsOutOfOrderSettlementsAcrossGrowthAndWrapAround() {
    long next = 0;
    // Fill, settle all but the first, then go around the ring many times with a lagging head.
    for (int round = 0; round < 50; round++) {
      for (int i = 0; i < 100; i++) {
        ledger.routed(next++, Routed.FORWARDED);
      }
      for (long o = next - 1; o > next - 100; o--) {
        ledger.settle(o); // newest first
      }
      assertThat(ledger.firstUnsettled()).isEqualTo(next - 100);
      ledger.settle(next - 100);
      assertThat(ledger.firstUnsettled()).isEqualTo(-1);
    }
    // A long backlog behind one unanswered forward: the ring grows, the commit point stays.
    ledger.routed(next, Routed.FORWARDED);
    long stuck = next++;
    for (int i = 0; i < 10_000; i++) {
      ledger.routed(next, Routed.RECEIPT);
      ledger.settle(next++);
    }
    assertThat(ledger.commitPoint(next, -1)).isEqualTo(stuck);
    ledger.settle(stuck);
    assertThat(ledger.commitPoint(next, -1)).isEqualTo(next);
    assertThat(ledger.unsettled()).isZero();
  }
}
