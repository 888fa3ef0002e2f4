package io.mqttkafka.bridge.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.bus.DownlinkMessage;
import io.mqttkafka.bridge.bus.InstanceProtocol;
import io.mqttkafka.bridge.bus.InstanceProtocol.Outcome;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An instance dies with forwards unanswered: once the cluster drops it, or the event bus has no
 * handler for it any more, they end as not answered at once, not at the request timeout (10 s), so
 * that a client that resumed its session elsewhere gets what waited for it now. Each test waits less
 * than that timeout.
 */
class InstanceGoneTest extends RouterLoopHarness {

  private static final String DYING = "dying";
  private static final Duration LESS_THAN_THE_TIMEOUT = Duration.ofMillis(InstanceProtocol.REQUEST_TIMEOUT_MS / 2);

  /** What the dying instance got and never answers. */
  private final List<Message<Object>> held = new CopyOnWriteArrayList<>();
  private MessageConsumer<Object> dying;

  @BeforeEach
  void dyingInstance() throws Exception {
    dying = vertx.eventBus().consumer(InstanceProtocol.address(DYING), message -> {
      got(DYING, message);
      held.add(message);
    });
    dying.completion().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void aForwardToAnInstanceThatDiedEndsOfflineOnceAnotherFindsNoHandler() throws Exception {
    String car = client(0, "car");
    String van = client(0, "van");
    subscribed(car, DYING);
    subscribed(van, DYING);
    routing(0);
    downlink(car);
    await().atMost(Duration.ofSeconds(5)).until(() -> held.size() == 1);

    dies();
    downlink(van);

    await().atMost(LESS_THAN_THE_TIMEOUT).until(() -> receipts(Status.OFFLINE).size() == 2);
    assertThat(receiptDetails(Status.OFFLINE)).containsExactlyInAnyOrder(
        "0/0 instance dying is gone before it answered", "0/1 the connection is gone");
    await().atMost(Duration.ofSeconds(5)).until(() -> committed(0).equals(OptionalLong.of(2)));
  }

  @Test
  void aSessionResumedElsewhereGetsWhatWaitedForItsDeadInstanceWithoutWaitingForTheTimeout() throws Exception {
    String car = client(0, "car");
    String van = client(0, "van");
    connectedSession(car, DYING);
    subscribed(van, DYING);
    routing(0);
    downlink(car);
    await().atMost(Duration.ofSeconds(5)).until(() -> held.size() == 1);

    dies();
    connectedSession(car, ALIVE);
    downlink(car);
    await().atMost(Duration.ofSeconds(5)).until(() -> receipts(Status.QUEUED).equals(List.of("0/1")));
    assertThat(forwards(ALIVE)).as("0/1 waits behind 0/0, which may come back to be resent").isEmpty();
    downlink(van); // finds no handler for the dead instance

    await().atMost(LESS_THAN_THE_TIMEOUT).until(() -> forwards(ALIVE).size() == 2);
    assertThat(forwards(ALIVE)).containsExactly("0/0", "0/1");
    assertThat(receiptDetails(Status.QUEUED)).contains("0/0 instance dying is gone before it answered");
    assertThat(delivered).filteredOn(m -> m.offset() == 0 && m.connectionId().startsWith(ALIVE)).first()
        .as("sent before, maybe received: resent as such").satisfies(m -> assertThat(m.sent()).isZero());
  }

  @Test
  void whatWaitsForAMemberThatLeftTheClusterEndsAtOnce() throws Exception {
    String car = client(0, "car");
    connectedSession(car, DYING);
    routing(0);
    downlink(car);
    await().atMost(Duration.ofSeconds(5)).until(() -> held.size() == 1);
    connectedSession(car, ALIVE); // resumed elsewhere; nothing is sent to the dead instance any more

    loop.instanceGone(DYING); // what RouterVerticle.memberLeft does when the cluster drops it

    await().atMost(LESS_THAN_THE_TIMEOUT).until(() -> forwards(ALIVE).equals(List.of("0/0")));
    assertThat(receiptDetails(Status.QUEUED)).containsExactly("0/0 instance dying is gone before it answered");
  }

  @Test
  void aRecordItsInstanceNeverGotAndALaterOneItMayHaveSentAreResentInTheOrderTheyWereWritten() throws Exception {
    String car = client(0, "car");
    String van = client(0, "van");
    connectedSession(car, DYING);
    subscribed(van, DYING);
    routing(0);
    downlink(car);
    downlink(car);
    await().atMost(Duration.ofSeconds(5)).until(() -> held.size() == 2);
    connectedSession(car, ALIVE);
    held.get(0).reply(Outcome.notConnected("the connection is gone")); // 0/0 never reached the device
    await().atMost(Duration.ofSeconds(5)).until(() -> receipts(Status.QUEUED).equals(List.of("0/0")));

    dies();
    downlink(van); // 0/1, maybe sent, ends as not answered

    await().atMost(LESS_THAN_THE_TIMEOUT).until(() -> forwards(ALIVE).size() == 2);
    assertThat(forwards(ALIVE)).containsExactly("0/0", "0/1");
    assertThat(delivered).filteredOn(m -> m.connectionId().startsWith(ALIVE)).extracting(m -> m.sent())
        .as("0/0 never sent, 0/1 maybe (DUP)").containsExactly(DownlinkMessage.FIRST_SEND, 0);
  }

  private void dies() throws Exception {
    dying.unregister().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }
}
