package io.mqttkafka.bridge.downlink;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.bus.DownlinkMessage;
import io.mqttkafka.bridge.records.DownlinkProperties;
import io.mqttkafka.bridge.records.TraceHeaders;
import io.mqttkafka.bridge.bus.InstanceProtocol;
import io.mqttkafka.bridge.bus.InstanceProtocol.Await;
import io.mqttkafka.bridge.bus.InstanceProtocol.Outcome;
import io.mqttkafka.bridge.mqtt.SessionRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dispatcher's answers to a router for messages it cannot hand to a session here: typed outcomes
 * the router tells apart (see DownlinkForwarder), and for which it writes {@code offline}.
 */
class DownlinkDispatcherTest {

  private static final String INSTANCE = "i-test";
  private Vertx vertx;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    vertx.deployVerticle(new DownlinkDispatcher(INSTANCE, new SessionRegistry(INSTANCE)))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aDeliverForAConnectionNotHereIsAnsweredNotConnectedAtOnce() throws Exception {
    Outcome outcome = ask(message("car-gone", 3, 17));

    assertThat(outcome.kind()).isEqualTo(Outcome.Kind.NOT_CONNECTED);
    assertThat(outcome.detail()).contains("c-1").contains(INSTANCE);
  }

  @Test
  void anAwaitForAMessageThisInstanceDoesNotHoldIsAnsweredUnknownMessage() throws Exception {
    // An instance restarted under the same id knows nothing of what its predecessor reported pending.
    Outcome outcome = ask(Await.of(message("car-1", 2, 41)));

    assertThat(outcome.kind()).isEqualTo(Outcome.Kind.UNKNOWN_MESSAGE);
    assertThat(outcome.detail()).contains("2/41");
  }

  private Outcome ask(Object request) throws Exception {
    return vertx.eventBus().<Outcome>request(InstanceProtocol.address(INSTANCE), request, InstanceProtocol.REQUEST)
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).body();
  }

  private static DownlinkMessage message(String clientId, int partition, long offset) {
    return new DownlinkMessage(clientId, "c-1", "DL/X", 1, "corr", partition, offset, partition, offset, 0L,
        Buffer.buffer("payload"), DownlinkProperties.NONE, DownlinkMessage.FIRST_SEND, false, TraceHeaders.NONE);
  }
}
