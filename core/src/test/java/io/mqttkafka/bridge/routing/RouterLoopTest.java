package io.mqttkafka.bridge.routing;

import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.records.PresenceRecord;
import io.mqttkafka.bridge.kafka.PresenceWriter;
import io.mqttkafka.bridge.kafka.ReceiptWriter;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.bus.DownlinkMessage;
import io.mqttkafka.bridge.downlink.DeliveryTarget;
import io.mqttkafka.bridge.downlink.FirstReceiptNotWritten;
import io.vertx.core.Future;
import io.mqttkafka.bridge.bus.InstanceProtocol;
import io.mqttkafka.bridge.bus.InstanceProtocol.Await;
import io.mqttkafka.bridge.bus.InstanceProtocol.Notice;
import io.mqttkafka.bridge.bus.InstanceProtocol.Outcome;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.records.PresenceRecord.Event;
import io.mqttkafka.bridge.records.PresenceRecord.Subscription;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.mqttkafka.bridge.testkit.WarningLog;
import io.mqttkafka.bridge.kafka.BufferSerializer;
import io.mqttkafka.bridge.kafka.KafkaSender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link RouterLoop} on its own thread with a mock consumer ({@link EagerMockConsumer}: eager
 * rebalances, a log per partition) and a real, unclustered Vert.x whose event bus has two device
 * instances: {@code alive} answers every forward, {@code dead} never does until the test says so.
 */
class RouterLoopTest extends RouterLoopHarness {

  @Test
  void aPartitionWhosePositionIsNotKnownStopsNeitherTheRouterNorTheOtherPartitionsCommits() throws Exception {
    String alive0 = client(0, "alive");
    String alive1 = client(1, "alive");
    subscribed(alive0, ALIVE);
    subscribed(alive1, ALIVE);
    routing(0, 1);
    // As when its committed offset cannot be fetched (the group coordinator unreachable).
    consumer.positionUnknown(downlink(0), true);

    downlink(alive1);
    await().atMost(Duration.ofSeconds(5)).until(() -> forwards(ALIVE).contains("1/0"));
    await().atMost(Duration.ofSeconds(5)).until(() -> committed(1).equals(OptionalLong.of(1)));
    assign(0, 1); // eager: the revocation commits synchronously, and asks for positions to keep

    assertThat(thread.isAlive()).as("the router thread still runs").isTrue();
    consumer.positionUnknown(downlink(0), false);
    downlink(alive0);
    await().atMost(Duration.ofSeconds(5)).until(() -> forwards(ALIVE).contains("0/0"));
    await().atMost(Duration.ofSeconds(5)).until(() -> committed(0).equals(OptionalLong.of(1)));
  }

  @Test
  void aRouterStoppedByAnUnexpectedFailureIsNotReady() {
    routing(0);

    stoppedByTheTest = true;
    consumer.setPollException(new KafkaException("an unexpected failure"));

    await().atMost(Duration.ofSeconds(5)).until(() -> !thread.isAlive());
    assertThat(loop.ready()).as("ready with no router").isFalse();
  }

  @Test
  void partitionKeptThroughARebalanceIsNotRebuiltAndNoRecordIsForwardedTwice() throws Exception {
    String alive = client(0, "alive");
    String dead = client(0, "dead");
    subscribed(alive, ALIVE);
    subscribed(dead, DEAD);
    routing(0);
    downlink(dead);
    downlink(alive);
    downlink(alive);
    await().atMost(Duration.ofSeconds(5)).until(() -> forwards(ALIVE).size() == 2 && unanswered.size() == 1);
    int presenceRead = consumer.fetched(presence(0));
    long rebuilt = rebuilds();

    assign(0); // eager: partition 0 revoked, then assigned back, while the forward of 0/0 is unanswered

    assertThat(loop.ready()).as("a kept partition is ready at once").isTrue();
    assertThat(loop.partitionsOwned()).containsExactly(0);
    assertThat(loop.owned().clients()).isEqualTo(2);
    downlink(alive);
    await().atMost(Duration.ofSeconds(5)).until(() -> forwards(ALIVE).contains("0/3"));
    Thread.sleep(300); // a record forwarded again would come before 0/3; give a late one time anyway
    assertThat(forwards(ALIVE)).containsExactly("0/1", "0/2", "0/3");
    assertThat(forwards(DEAD)).containsExactly("0/0");
    assertThat(consumer.fetched(presence(0))).as("presence records read again").isEqualTo(presenceRead);
    assertThat(rebuilds()).as("rebuilds").isEqualTo(rebuilt);

    // The unanswered forward still holds the commits back, then lets them pass once answered.
    Thread.sleep(1_500);
    assertThat(committed(0)).hasValue(0);
    unanswered.get(0).reply(Outcome.RECEIPT_WRITTEN);
    await().atMost(Duration.ofSeconds(5)).until(() -> committed(0).equals(OptionalLong.of(4)));
  }

  @Test
  void heldRecordsOfAKeptPartitionStayHeldPausedAndAreRoutedOnce() throws Exception {
    String alive = client(0, "alive");
    subscribed(alive, ALIVE);
    routing(0);
    consumer.updateEndOffsets(Map.of(presence(0), 2L)); // a presence record the router has not read yet
    for (int i = 0; i < 5; i++) {
      downlink(alive, MIB);
    }
    await().atMost(Duration.ofSeconds(4)).until(() -> consumer.paused().contains(downlink(0)));
    long rebuilt = rebuilds();

    assign(0);

    assertThat(loop.ready()).isTrue();
    assertThat(consumer.paused()).as("still paused: 5 MiB held").contains(downlink(0));
    downlink(alive);
    subscribed(alive, ALIVE); // the presence record the held ones wait for
    await().atMost(Duration.ofSeconds(4)).until(() -> forwards(ALIVE).size() == 6);
    Thread.sleep(300);
    assertThat(forwards(ALIVE)).containsExactly("0/0", "0/1", "0/2", "0/3", "0/4", "0/5");
    assertThat(consumer.paused()).doesNotContain(downlink(0));
    assertThat(rebuilds()).isEqualTo(rebuilt);
    assertThat(presenceWaitExceeded()).isZero();
  }

  @Test
  void partitionNotAssignedBackIsDroppedAndALateAnswerToItsForwardDoesNoHarm() throws Exception {
    String alive0 = client(0, "alive");
    String alive1 = client(1, "alive");
    String dead1 = client(1, "dead");
    subscribed(alive0, ALIVE);
    subscribed(alive1, ALIVE);
    subscribed(dead1, DEAD);
    routing(0, 1);
    downlink(alive1);
    downlink(dead1);
    downlink(alive1);
    await().atMost(Duration.ofSeconds(5)).until(() -> forwards(ALIVE).size() == 2 && unanswered.size() == 1);
    long rebuilt = rebuilds();

    assign(0); // partition 1 goes elsewhere

    assertThat(loop.partitionsOwned()).containsExactly(0);
    assertThat(loop.owned().clients()).isEqualTo(1);
    assertThat(committed(1)).as("committed at revocation, up to the unanswered forward").hasValue(1);
    downlink(alive0);
    await().atMost(Duration.ofSeconds(5)).until(() -> forwards(ALIVE).contains("0/0"));
    assertThat(rebuilds()).as("partition 0 was kept").isEqualTo(rebuilt);

    // Partition 1 comes back later: a new partition, rebuilt and routed from the committed offset.
    assign(0, 1);
    await().atMost(Duration.ofSeconds(5)).until(() -> unanswered.size() == 2);
    await().atMost(Duration.ofSeconds(5)).until(() -> forwards(ALIVE).size() == 4);
    assertThat(forwards(ALIVE)).containsExactly("1/0", "1/2", "0/0", "1/2");
    assertThat(forwards(DEAD)).containsExactly("1/1", "1/1");
    assertThat(rebuilds()).isEqualTo(rebuilt + 1);

    // The first forward of 1/1, from before the drop, fails late: its offline receipt is written, and
    // the second forward of 1/1, still unanswered, keeps holding the commits back.
    lateFailureLeavesTheNewerForwardHoldingTheCommit(1, 1, 3);
  }

  @Test
  void lostPartitionsAreRebuiltAndReroutedFromTheCommittedOffset() throws Exception {
    String alive = client(0, "alive");
    String dead = client(0, "dead");
    subscribed(alive, ALIVE);
    subscribed(dead, DEAD);
    routing(0);
    downlink(alive);
    downlink(dead);
    downlink(alive);
    await().atMost(Duration.ofSeconds(5)).until(() -> forwards(ALIVE).size() == 2 && unanswered.size() == 1);
    await().atMost(Duration.ofSeconds(5)).until(() -> committed(0).equals(OptionalLong.of(1)));
    int presenceRead = consumer.fetched(presence(0));
    long rebuilt = rebuilds();

    onLoop(c -> c.loseAndRejoin(List.of(presence(0), downlink(0), sessions(0))));

    await().atMost(Duration.ofSeconds(5)).until(() -> forwards(ALIVE).size() == 3 && unanswered.size() == 2);
    assertThat(forwards(ALIVE)).containsExactly("0/0", "0/2", "0/2");
    assertThat(forwards(DEAD)).containsExactly("0/1", "0/1");
    assertThat(consumer.fetched(presence(0))).as("presence records read again").isEqualTo(presenceRead + 2);
    assertThat(rebuilds()).isEqualTo(rebuilt + 1);

    // The forward from before the loss fails late: the one after it, still unanswered, keeps
    // holding the commits back.
    lateFailureLeavesTheNewerForwardHoldingTheCommit(0, 1, 3);
  }

  /**
   * The dead instance's two forwards of the record at {@code partition}/{@code offset}, from before and
   * after the partition came back: the first fails late and gets its offline receipt, the commit stays
   * at the record until the second is answered, then moves to {@code endOffset}.
   */
  private void lateFailureLeavesTheNewerForwardHoldingTheCommit(int partition, long offset, long endOffset)
      throws InterruptedException {
    unanswered.get(0).reply(Outcome.notConnected("connection gone"));
    await().atMost(Duration.ofSeconds(5)).until(() -> receipts(Status.OFFLINE).contains(partition + "/" + offset));
    Thread.sleep(1_500);
    assertThat(committed(partition)).hasValue(offset);
    unanswered.get(1).reply(Outcome.RECEIPT_WRITTEN);
    await().atMost(Duration.ofSeconds(5)).until(() -> committed(partition).equals(OptionalLong.of(endOffset)));
  }

  @Test
  void heldRecordsAreRoutedAfterTheLongestPresenceWaitWhenThePresenceRecordsNeverCome() {
    String alive = client(0, "alive");
    subscribed(alive, ALIVE);
    routing(0);
    consumer.updateEndOffsets(Map.of(presence(0), 5L)); // presence records the router never gets to read
    long start = System.nanoTime();
    downlink(alive);
    downlink(alive);

    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> forwards(ALIVE).isEmpty());
    await().atMost(Duration.ofSeconds(10)).until(() -> forwards(ALIVE).size() == 2);
    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(PresenceGate.MAX_WAIT_NANOS);
    assertThat(forwards(ALIVE)).containsExactly("0/0", "0/1");
    assertThat(presenceWaitExceeded()).isEqualTo(2);
  }

  @Test
  void endOffsetsTimeoutIsAskedAgainAndTheRecordRouted() {
    String alive = client(0, "alive");
    subscribed(alive, ALIVE);
    routing(0);
    consumer.timeOutEndOffsets(3);
    downlink(alive);

    await().atMost(Duration.ofSeconds(4)).until(() -> forwards(ALIVE).size() == 1);
    assertThat(consumer.endOffsetsTimeoutsLeft()).as("end-offsets requests that did not time out yet").isZero();
    assertThat(presenceWaitExceeded()).as("routed after asking again, not after the longest wait").isZero();
  }

  @Test
  void downlinkFetchingPausesAboveTheHeldBytesLimitAndResumesOnceRouted() throws Exception {
    String alive = client(0, "alive");
    subscribed(alive, ALIVE);
    routing(0);
    consumer.updateEndOffsets(Map.of(presence(0), 2L)); // a presence record the router has not read yet
    downlink(alive, 3 * MIB);
    await().atMost(Duration.ofSeconds(4)).until(() -> consumer.position(downlink(0)) == 1);
    assertThat(consumer.paused()).as("3 MiB held: under the limit").doesNotContain(downlink(0));
    downlink(alive, 2 * MIB);
    await().atMost(Duration.ofSeconds(4)).until(() -> consumer.paused().contains(downlink(0)));
    downlink(alive);
    Thread.sleep(300);
    assertThat(consumer.position(downlink(0))).as("nothing fetched while paused").isEqualTo(2);
    assertThat(forwards(ALIVE)).isEmpty();

    subscribed(alive, ALIVE); // the presence record they wait for
    await().atMost(Duration.ofSeconds(4)).until(() -> forwards(ALIVE).size() == 3);
    assertThat(forwards(ALIVE)).containsExactly("0/0", "0/1", "0/2");
    assertThat(consumer.paused()).doesNotContain(downlink(0));
    assertThat(presenceWaitExceeded()).isZero();
  }

  @Test
  void aForwardAnsweredPendingIsAskedAboutAgainAndHoldsTheCommitUntilItsFirstReceiptIsIn() throws Exception {
    String dead = client(0, "dead");
    subscribed(dead, DEAD);
    routing(0);
    downlink(dead);
    await().atMost(Duration.ofSeconds(5)).until(() -> unanswered.size() == 1);

    unanswered.get(0).reply(Outcome.PENDING);

    await().atMost(Duration.ofSeconds(5)).until(() -> unanswered.size() == 2);
    assertThat(forwards(DEAD)).containsExactly("0/0", "await 0/0");
    assertThat(registry.get("mqtt.bridge.router.awaits").counter().count()).isEqualTo(1);
    Thread.sleep(1_500); // a commit or more
    assertThat(committed(0)).as("not settled on a 'pending'").hasValue(0);
    unanswered.get(1).reply(Outcome.RECEIPT_WRITTEN);
    await().atMost(Duration.ofSeconds(5)).until(() -> committed(0).equals(OptionalLong.of(1)));
    assertThat(producer.history()).as("the instance wrote the receipt, not the router")
        .noneMatch(r -> r.topic().equals("test.receipts"));
  }

  @Test
  void aFirstReceiptTheInstanceCouldNotWriteIsWrittenByTheRouter() throws Exception {
    String dead = client(0, "dead");
    subscribed(dead, DEAD);
    routing(0);
    downlink(dead);
    await().atMost(Duration.ofSeconds(5)).until(() -> unanswered.size() == 1);

    unanswered.get(0).reply(Outcome.receiptNotWritten(Status.DELIVERED, "written to the connection"));

    await().atMost(Duration.ofSeconds(5)).until(() -> receipts(Status.DELIVERED).equals(List.of("0/0")));
    await().atMost(Duration.ofSeconds(5)).until(() -> committed(0).equals(OptionalLong.of(1)));
  }

  @Test
  void aReceiptKafkaRefusesIsWrittenAgainAndHoldsTheCommitUntilItIsIn() throws Exception {
    routing(0);
    receiptsToRefuse.set(2);

    downlink(client(0, "nobody")); // offline: the router's own receipt

    await().atMost(Duration.ofSeconds(5)).until(() -> receiptsToRefuse.get() == 1);
    assertThat(receipts(Status.OFFLINE)).isEmpty();
    Thread.sleep(500);
    assertThat(committed(0)).as("not settled while its receipt is not in Kafka").satisfiesAnyOf(
        c -> assertThat(c).isEmpty(), c -> assertThat(c).hasValue(0));
    await().atMost(Duration.ofSeconds(5)).until(() -> receipts(Status.OFFLINE).equals(List.of("0/0")));
    assertThat(registry.get("mqtt.bridge.receipt.write.failures").counter().count()).isEqualTo(2);
    await().atMost(Duration.ofSeconds(5)).until(() -> committed(0).equals(OptionalLong.of(1)));
  }

  @Test
  void aRecordInAnotherPartitionIsCopiedToItsClientsAndSettlesOnceTheCopyIsInKafka() throws Exception {
    String alive = client(0, "alive");
    subscribed(alive, ALIVE);
    routing(0, 1);
    RecordHeaders headers = new RecordHeaders();
    headers.add(HeaderNames.TOPIC, "DL/command".getBytes(StandardCharsets.UTF_8));
    headers.add(HeaderNames.CORRELATION_ID, "c-1".getBytes(StandardCharsets.UTF_8));
    consumer.append(DOWNLINK, 1, alive, new byte[] {7}, headers, 10); // written to partition 1, belongs to 0

    await().atMost(Duration.ofSeconds(5)).until(() -> copies().size() == 1);
    ProducerRecord<String, Buffer> copy = copies().get(0);
    assertThat(copy.partition()).isZero();
    assertThat(copy.key()).isEqualTo(alive);
    assertThat(header(copy, HeaderNames.ORIGINAL_PARTITION)).isEqualTo("1");
    assertThat(header(copy, HeaderNames.ORIGINAL_OFFSET)).isEqualTo("0");
    assertThat(header(copy, HeaderNames.CORRELATION_ID)).isEqualTo("c-1");
    assertThat(forwards(ALIVE)).as("not routed where it was written").isEmpty();
    await().atMost(Duration.ofSeconds(5)).until(() -> committed(1).equals(OptionalLong.of(1)));
    assertThat(registry.get("mqtt.bridge.downlink.rerouted").counter().count()).isEqualTo(1);

    // The copy, as the owner of partition 0 reads it: delivered under the original's name.
    consumer.append(DOWNLINK, 0, alive, new byte[] {7}, copy.headers(), 10);
    await().atMost(Duration.ofSeconds(5)).until(() -> forwards(ALIVE).contains("0/0"));
    assertThat(delivered.get(0).receiptRef()).extracting(r -> r.partition(), r -> r.offset())
        .containsExactly(1, 0L);
    assertThat(copies()).as("a copy is not copied again").hasSize(1);
  }

  @Test
  void aDeviceOnTheRoutersOwnInstanceGetsItsMessageWithoutTheEventBus() throws Exception {
    String near = client(0, "near");
    String gone = client(0, "gone");
    String failing = client(0, "failing");
    here.put(near, new LocalTarget("connection-" + near, Future.succeededFuture()));
    here.put(failing, new LocalTarget("connection-" + failing, Future.failedFuture(
        new FirstReceiptNotWritten(Status.DELIVERED, "written to the connection", new KafkaException("full")))));
    subscribed(near, HERE);
    subscribed(gone, HERE);
    subscribed(failing, HERE);
    routing(0);

    downlink(near);
    downlink(gone);
    downlink(failing);

    await().atMost(Duration.ofSeconds(5)).until(() -> committed(0).equals(OptionalLong.of(3)));
    assertThat(here.get(near).delivered).extracting(DownlinkMessage::offset).containsExactly(0L);
    assertThat(forwarded).as("no event-bus message").isEmpty();
    assertThat(receipts(Status.OFFLINE)).as("no connection here").containsExactly("0/1");
    assertThat(receipts(Status.DELIVERED)).as("written by the router for the instance").containsExactly("0/2");
    assertThat(producer.history()).filteredOn(r -> r.topic().equals(SUBSCRIPTIONS)).singleElement()
        .satisfies(r -> assertThat(PresenceRecord.fromJson(r.value().getBytes()).event()).isEqualTo(Event.DISCONNECTED));
  }

  @Test
  void aRecordOfAConnectionThatWasTakenOverClosesItAndHasTheCurrentOneWrittenAgain() throws Exception {
    String car = client(0, "car");
    routing(0);
    presence(car, Event.CONNECTED, ALIVE, "old");
    presence(car, Event.CONNECTED, DEAD, "new");
    await().atMost(Duration.ofSeconds(5)).until(() -> notices.contains(ALIVE + " TAKEOVER old"));

    // The old connection is still open (the takeover never reached it, say across a split of the
    // cluster) and writes its presence again.
    presence(car, Event.REFRESHED, ALIVE, "old");

    await().atMost(Duration.ofSeconds(5)).until(() -> notices.size() == 3);
    assertThat(notices).containsExactly(ALIVE + " TAKEOVER old", DEAD + " REFRESH new", ALIVE + " TAKEOVER old");
  }

  @Test
  void aLateDisconnectedOfAConnectionThatWasTakenOverOnlyHasTheCurrentOneWrittenAgain() throws Exception {
    String car = client(0, "car");
    routing(0);
    presence(car, Event.CONNECTED, ALIVE, "old");
    presence(car, Event.CONNECTED, DEAD, "new");
    presence(car, Event.DISCONNECTED, ALIVE, "old");

    // A later stale record that does close its connection marks where the router got to.
    presence(car, Event.REFRESHED, ALIVE, "old");

    await().atMost(Duration.ofSeconds(5)).until(() -> notices.size() >= 4);
    assertThat(notices).as("no takeover for the record that says its connection ended")
        .containsExactly(ALIVE + " TAKEOVER old", DEAD + " REFRESH new", DEAD + " REFRESH new", ALIVE + " TAKEOVER old");
  }
}
