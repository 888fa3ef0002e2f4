package io.mqttkafka.bridge.bus;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.bus.AdminProtocol.ClientAnswer;
import io.mqttkafka.bridge.bus.AdminProtocol.Connection;
import io.mqttkafka.bridge.bus.AdminProtocol.DisconnectAnswer;
import io.mqttkafka.bridge.bus.AdminProtocol.InstanceInfo;
import io.mqttkafka.bridge.bus.AdminProtocol.Route;
import io.mqttkafka.bridge.records.PresenceRecord.Subscription;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The admin protocol's messages cross the wire between instances unchanged, and stay themselves within one. */
class AdminProtocolTest {

  @Test
  void everyMessageSurvivesTheWire() {
    List<Record> messages = List.of(new AdminProtocol.InstanceQuery(), new AdminProtocol.ClientQuery("car-1"),
        new InstanceInfo("i-1", 1_000L, 3, List.of(0, 2), 5, true, Map.of("uplink.written", 12.0), 2_000L),
        new ClientAnswer("i-2", new Connection("car-1", "i-2/1-1", "alice", 5, 1_500L,
            List.of(new Subscription("DL/#", 1))), new Route(2, true, "i-2", "i-2/1-1",
            List.of(new Subscription("DL/#", 1)), new AdminProtocol.SessionState(3600, 0,
            List.of(new Subscription("DL/#", 1)), 2, 240))),
        new ClientAnswer("i-1", null, new Route(1, false, null, null, List.of(), null)),
        new ClientAnswer("i-1", null, null),
        new AdminProtocol.DisconnectRequest("car-1"), new DisconnectAnswer("i-2", null));

    for (Record message : messages) {
      assertThat(roundTrip(message)).isEqualTo(message);
    }
  }

  @Test
  void withinOneInstanceTheObjectItselfIsHandedOver() {
    ClientAnswer answer = new ClientAnswer("i-1", null, null);

    assertThat(new JsonRecordCodec<>(ClientAnswer.class).transform(answer)).isSameAs(answer);
    assertThat(new JsonRecordCodec<>(ClientAnswer.class).name()).isEqualTo("mqtt-bridge-ClientAnswer");
  }

  @SuppressWarnings("unchecked")
  private static <T extends Record> T roundTrip(T message) {
    JsonRecordCodec<T> codec = new JsonRecordCodec<>((Class<T>) message.getClass());
    Buffer wire = Buffer.buffer().appendString("prefix");
    codec.encodeToWire(wire, message);
    return codec.decodeFromWire("prefix".length(), wire);
  }
}
