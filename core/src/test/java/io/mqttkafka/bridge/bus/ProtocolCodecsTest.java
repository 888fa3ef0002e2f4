package io.mqttkafka.bridge.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.mqttkafka.bridge.bus.InstanceProtocol.Await;
import io.mqttkafka.bridge.bus.InstanceProtocol.Notice;
import io.mqttkafka.bridge.bus.InstanceProtocol.Outcome;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import org.junit.jupiter.api.Test;

class ProtocolCodecsTest {

  @Test
  void everyOutcomeCrossesTheWireWhole() {
    for (Outcome outcome : new Outcome[] {Outcome.RECEIPT_WRITTEN, Outcome.PENDING, Outcome.notConnected("gone"),
        Outcome.unknownMessage("2/41"), Outcome.receiptNotWritten(Status.DELIVERED, "written to the connection"),
        Outcome.receiptNotWritten(Status.OFFLINE, null)}) {
      assertThat(roundTrip(new ProtocolCodecs.OutcomeCodec(), outcome)).isEqualTo(outcome);
    }
  }

  @Test
  void awaitsAndNoticesCrossTheWireWhole() {
    Await await = new Await("car-é", "host-1/17-3", 7, 123_456_789_012L);
    assertThat(roundTrip(new ProtocolCodecs.AwaitCodec(), await)).isEqualTo(await);
    for (Notice.Action action : Notice.Action.values()) {
      Notice notice = new Notice(action, "car1", "host-2/9-1");
      assertThat(roundTrip(new ProtocolCodecs.NoticeCodec(), notice)).isEqualTo(notice);
    }
  }

  @Test
  void withinAnInstanceTheObjectItselfIsHandedOver() {
    Outcome outcome = Outcome.notConnected("x");
    assertThat(new ProtocolCodecs.OutcomeCodec().transform(outcome)).isSameAs(outcome);
  }

  @Test
  void aStatusGoesWithReceiptNotWrittenOnly() {
    assertThatIllegalArgumentException().isThrownBy(() -> new Outcome(Outcome.Kind.PENDING, Status.OFFLINE, null));
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new Outcome(Outcome.Kind.RECEIPT_NOT_WRITTEN, null, "no status"));
  }

  private static <T> T roundTrip(MessageCodec<T, T> codec, T value) {
    Buffer wire = Buffer.buffer().appendString("frame");
    codec.encodeToWire(wire, value);
    return codec.decodeFromWire("frame".length(), wire);
  }
}
