package io.mqttkafka.bridge.bus;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.records.DownlinkProperties;
import io.mqttkafka.bridge.records.TraceHeaders;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class DownlinkMessageCodecTest {

  private final DownlinkMessageCodec codec = new DownlinkMessageCodec();

  @Test
  void aMessageCrossesTheWireWhole() {
    DownlinkMessage sent = new DownlinkMessage("car-é1", "host-1/1763700000000-17", "DL/水/warn", 1, "corr-1", 7,
        123_456_789_012L, 7, 123_456_789_012L, 1_763_700_000_000L, Buffer.buffer(new byte[] {0, 1, 2, (byte) 0xFF}),
        DownlinkProperties.NONE, 4711, false, TraceHeaders.NONE);
    Buffer wire = Buffer.buffer().appendString("frame header");
    codec.encodeToWire(wire, sent);

    DownlinkMessage received = codec.decodeFromWire("frame header".length(), wire);

    assertThat(received).isEqualTo(sent);
  }

  @Test
  void whetherItsRecordIsKeptCrossesTheWire() {
    for (boolean kept : new boolean[] {true, false}) {
      DownlinkMessage sent = new DownlinkMessage("car1", "h/1-1", "DL/x", 1, "c", 0, 1, 0, 1, 5L, Buffer.buffer("p"),
          DownlinkProperties.ttlOnly(1_000), DownlinkMessage.FIRST_SEND, kept, TraceHeaders.NONE);
      Buffer wire = Buffer.buffer();
      codec.encodeToWire(wire, sent);

      assertThat(codec.decodeFromWire(0, wire).kept()).isEqualTo(kept);
    }
  }

  @Test
  void aMovedMessageKeepsWhereTheBackEndWroteIt() {
    DownlinkMessage sent = new DownlinkMessage("car1", "h/1-1", "DL/x", 1, null, 5, 9, 2, 77, 1L, Buffer.buffer("p"),
        DownlinkProperties.NONE, DownlinkMessage.FIRST_SEND, false, TraceHeaders.NONE);
    Buffer wire = Buffer.buffer();
    codec.encodeToWire(wire, sent);

    DownlinkMessage received = codec.decodeFromWire(0, wire);

    assertThat(received).isEqualTo(sent);
    assertThat(received.receiptRef().partition()).isEqualTo(2);
    assertThat(received.receiptRef().offset()).isEqualTo(77);
  }

  @Test
  void itsTraceContextHeadersCrossTheWireForItsReceipts() {
    TraceHeaders trace = new TraceHeaders("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "a=1");
    DownlinkMessage sent = new DownlinkMessage("car1", "h/1-1", "DL/x", 1, null, 5, 9, 5, 9, 1L, Buffer.buffer("p"),
        DownlinkProperties.NONE, DownlinkMessage.FIRST_SEND, false, trace);
    Buffer wire = Buffer.buffer();
    codec.encodeToWire(wire, sent);

    DownlinkMessage received = codec.decodeFromWire(0, wire);

    assertThat(received).isEqualTo(sent);
    assertThat(received.receiptRef().trace()).isEqualTo(trace);
  }

  @Test
  void absentCorrelationIdAndEmptyPayloadStayThat() {
    DownlinkMessage sent = new DownlinkMessage("c", "i/1-1", "t", 0, null, 0, 0, 0, 0, 0, Buffer.buffer(),
        DownlinkProperties.NONE, 0, false, TraceHeaders.NONE);
    Buffer wire = Buffer.buffer();
    codec.encodeToWire(wire, sent);

    assertThat(codec.decodeFromWire(0, wire)).isEqualTo(sent);
  }

  @Test
  void itsMqtt5PropertiesCrossTheWireWholeBinaryCorrelationDataIncluded() {
    DownlinkProperties properties = new DownlinkProperties("application/json", 1, "RSP/car1/42",
        new byte[] {0, (byte) 0xFF, (byte) 0xC3, 0x28}, List.of(new DownlinkProperties.UserProperty("unit", "°C"),
        new DownlinkProperties.UserProperty("unit", ""), new DownlinkProperties.UserProperty("水", "x")), 30_000);
    DownlinkMessage sent = new DownlinkMessage("car1", "h/1-1", "DL/x", 1, "c", 0, 1, 0, 1, 5L, Buffer.buffer("p"),
        properties, DownlinkMessage.FIRST_SEND, false, TraceHeaders.NONE);
    Buffer wire = Buffer.buffer();
    codec.encodeToWire(wire, sent);

    DownlinkMessage received = codec.decodeFromWire(0, wire);

    assertThat(received).isEqualTo(sent);
    assertThat(received.properties().correlationData()).containsExactly(0, (byte) 0xFF, (byte) 0xC3, 0x28);
    assertThat(received.payload().toString()).isEqualTo("p");
  }

  @Test
  void aTtlAloneAndNoPropertiesStayThat() {
    for (DownlinkProperties properties : List.of(DownlinkProperties.NONE, DownlinkProperties.ttlOnly(1_000),
        new DownlinkProperties(null, 0, null, new byte[0], List.of(), -1))) {
      DownlinkMessage sent = new DownlinkMessage("c", "i/1-1", "t", 0, null, 0, 0, 0, 0, 0, Buffer.buffer(),
          properties, DownlinkMessage.FIRST_SEND, false, TraceHeaders.NONE);
      Buffer wire = Buffer.buffer();
      codec.encodeToWire(wire, sent);

      assertThat(codec.decodeFromWire(0, wire).properties()).isEqualTo(properties);
    }
  }

  @Test
  void withinAnInstanceTheMessageItselfIsHandedOver() {
    DownlinkMessage sent = new DownlinkMessage("c", "i/1-1", "t", 0, null, 0, 0, 0, 0, 0, Buffer.buffer("x"),
        DownlinkProperties.NONE, -1, false, TraceHeaders.NONE);
    assertThat(codec.transform(sent)).isSameAs(sent);
  }
}
