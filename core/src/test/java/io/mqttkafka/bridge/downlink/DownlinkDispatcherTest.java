package io.mqttkafka.bridge.downlink;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.bus.Addresses;
import io.mqttkafka.bridge.mqtt.SessionRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dispatcher's answers to a router for messages it cannot hand to a session here: the router
 * tells them apart by failure code (see RouterLoop) and writes {@code offline} for both.
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
  void aDeliverForAConnectionNotHereFailsAtOnceWithNotConnectedHere() {
    DownlinkMessage message = message("car-gone", 3, 17);

    ReplyException failure = failure(vertx.eventBus().request(Addresses.instance(INSTANCE), message,
        DownlinkMessage.DELIVER).toCompletionStage().toCompletableFuture());

    assertThat(failure.failureCode()).isEqualTo(DownlinkDispatcher.NOT_CONNECTED_HERE);
    assertThat(failure.getMessage()).contains("c-1").contains(INSTANCE);
  }

  @Test
  void anAwaitForAMessageThisInstanceDoesNotHoldFailsWithUnknownMessage() {
    // An instance restarted under the same id knows nothing of what its predecessor reported pending.
    DownlinkMessage message = message("car-1", 2, 41);

    ReplyException failure = failure(vertx.eventBus().request(Addresses.instance(INSTANCE), null,
        message.toAwaitOptions(5_000)).toCompletionStage().toCompletableFuture());

    assertThat(failure.failureCode()).isEqualTo(DownlinkDispatcher.UNKNOWN_MESSAGE);
    assertThat(failure.getMessage()).contains("2/41");
  }

  private static DownlinkMessage message(String clientId, int partition, long offset) {
    return new DownlinkMessage(clientId, "c-1", "DL/X", 1, "corr", partition, offset, 0L,
        Buffer.buffer("payload"));
  }

  private static ReplyException failure(CompletableFuture<?> reply) {
    try {
      reply.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(ReplyException.class);
      return (ReplyException) e.getCause();
    } catch (Exception e) {
      throw new AssertionError("no answer from the dispatcher", e);
    }
    throw new AssertionError("the dispatcher answered with success");
  }
}
