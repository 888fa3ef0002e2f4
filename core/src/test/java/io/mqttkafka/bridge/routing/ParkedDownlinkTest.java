package io.mqttkafka.bridge.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.bus.DownlinkMessage;
import io.mqttkafka.bridge.bus.InstanceProtocol;
import io.mqttkafka.bridge.bus.InstanceProtocol.Outcome;
import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.records.ParkedRecord;
import io.mqttkafka.bridge.records.PresenceRecord;
import io.mqttkafka.bridge.records.PresenceRecord.Event;
import io.mqttkafka.bridge.records.PresenceRecord.Session;
import io.mqttkafka.bridge.records.PresenceRecord.Subscription;
import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Downlink records kept for clients that cannot take them ({@code mqtt.offline}, persistent sessions):
 * parked in the sessions topic with a {@code queued} receipt, delivered in order once the client
 * connects with a matching subscription, superseded, bounded, expired, resent in order with their packet
 * id, and rebuilt by a new owner.
 */
class ParkedDownlinkTest extends RouterLoopHarness {

  /** An instance whose persistent connection ends before every PUBACK: it answers PARKED, sent with packet id 5. */
  private static final String PARKING = "parking";
  private static final long HOUR_SECONDS = 3_600;

  @Override
  QueueRouter.Limits queueLimits() {
    return new QueueRouter.Limits(3, 1024 * 1024, TimeUnit.DAYS.toMillis(30));
  }

  @BeforeEach
  void parkingInstance() throws Exception {
    vertx.eventBus().<Object>consumer(InstanceProtocol.address(PARKING), message -> {
      got(PARKING, message);
      message.reply(Outcome.parked(5, Status.TIMEOUT, "connection closed before PUBACK"));
    }).completion().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void aQueuedRecordForAnOfflineClientIsParkedThenDeliveredWhenItConnectsAndItsCopyDeleted() {
    String car = client(0, "car");
    routing(0);

    downlink(car, "DL/cmd", "queue", null);

    await().atMost(Duration.ofSeconds(5)).until(() -> receipts(Status.QUEUED).equals(List.of("0/0")));
    await().atMost(Duration.ofSeconds(5)).until(() -> committed(0).equals(OptionalLong.of(1)));
    ProducerRecord<String, Buffer> copy = parked().get(0);
    assertThat(copy.key()).isEqualTo(ParkedRecord.key(car, 0));
    assertThat(copy.partition()).isZero();
    assertThat(header(copy, ParkedRecord.POLICY)).isEqualTo("queue");
    assertThat(forwarded).isEmpty();

    subscribed(car, ALIVE);

    await().atMost(Duration.ofSeconds(5)).until(() -> forwards(ALIVE).equals(List.of("0/0")));
    await().atMost(Duration.ofSeconds(5)).until(() -> tombstones().contains(ParkedRecord.key(car, 0)));
    assertThat(delivered.get(0).sent()).as("never sent before").isEqualTo(DownlinkMessage.FIRST_SEND);
    assertThat(delivered.get(0).kept()).as("handed back, not ended offline, if it cannot be sent").isTrue();
    assertThat(loop.owned().parked()).isZero();
  }

  @Test
  void parkedRecordsAreDeliveredInOrderAndNewRecordsQueueBehindThem() {
    String car = client(0, "car");
    routing(0);
    for (int i = 0; i < 2; i++) {
      downlink(car, "DL/cmd", "queue", null);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> receipts(Status.QUEUED).size() == 2);

    subscribed(car, ALIVE);
    downlink(car, "DL/cmd", "queue", null);

    await().atMost(Duration.ofSeconds(5)).until(() -> forwards(ALIVE).size() == 3);
    assertThat(forwards(ALIVE)).containsExactly("0/0", "0/1", "0/2");
  }

  @Test
  void latestKeepsOnlyTheNewestRecordPerTopicAndSaysSoForTheOthers() {
    String car = client(0, "car");
    routing(0);
    downlink(car, "DL/route", "latest", null);
    downlink(car, "DL/config", "latest", null);
    downlink(car, "DL/route", "latest", null);
    await().atMost(Duration.ofSeconds(5)).until(() -> receipts(Status.SUPERSEDED).equals(List.of("0/0")));
    await().atMost(Duration.ofSeconds(5)).until(() -> committed(0).equals(OptionalLong.of(3)));

    assertThat(receipts(Status.QUEUED)).as("a record superseded while parked has no other receipt")
        .containsExactly("0/1", "0/2");
    subscribed(car, ALIVE);
    await().atMost(Duration.ofSeconds(5)).until(() -> forwards(ALIVE).size() == 2);
    assertThat(forwards(ALIVE)).containsExactly("0/1", "0/2");
  }

  @Test
  void latestRecordsThatComeBackOutOfOrderNeverSupersedeANewerOne() {
    String car = client(0, "car");
    connectedSession(car, DEAD);
    routing(0);
    for (int i = 0; i < 3; i++) {
      downlink(car, "DL/route", "latest", null);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> forwards(DEAD).size() == 3);
    disconnected(car, DEAD);
    await().atMost(Duration.ofSeconds(5)).until(() -> loop.owned().offlineSessions() == 1);

    // The connection was gone; the answers come back newest first.
    for (int i = 2; i >= 0; i--) {
      unanswered.get(i).reply(Outcome.notConnected("no such connection"));
    }

    await().atMost(Duration.ofSeconds(5)).until(() -> receipts(Status.SUPERSEDED).size() == 2);
    assertThat(receipts(Status.SUPERSEDED)).containsExactlyInAnyOrder("0/0", "0/1");
    assertThat(detail(Status.SUPERSEDED)).isEqualTo("offset 2 is newer");
    assertThat(receipts(Status.QUEUED)).containsExactly("0/2");
    connectedSession(car, ALIVE);
    await().atMost(Duration.ofSeconds(5)).until(() -> forwards(ALIVE).size() == 1);
    assertThat(forwards(ALIVE)).containsExactly("0/2");
  }

  @Test
  void aLatestRecordSentBeforeIsResentNotSupersededByANewerOne() {
    String car = client(0, "car");
    connectedSession(car, PARKING);
    routing(0);
    downlink(car, "DL/route", "latest", null);
    await().atMost(Duration.ofSeconds(5)).until(() -> receipts(Status.QUEUED).equals(List.of("0/0")));
    disconnected(car, PARKING);
    await().atMost(Duration.ofSeconds(5)).until(() -> loop.owned().offlineSessions() == 1);

    downlink(car, "DL/route", "latest", null);

    await().atMost(Duration.ofSeconds(5)).until(() -> receipts(Status.QUEUED).size() == 2);
    assertThat(receipts(Status.SUPERSEDED)).as("it was sent with packet id 5: resent [MQTT-4.4.0-1]").isEmpty();
    connectedSession(car, ALIVE);
    await().atMost(Duration.ofSeconds(5)).until(() -> forwards(ALIVE).size() == 2);
    assertThat(forwards(ALIVE)).containsExactly("0/0", "0/1");
    assertThat(delivered).filteredOn(m -> m.connectionId().equals(ALIVE + "-" + car)).first()
        .satisfies(m -> assertThat(m.sent()).isEqualTo(5));
  }

  @Test
  void aRecordBeyondTheClientsBoundIsRefusedWithAReceiptAndTheQueueKept() {
    String car = client(0, "car");
    routing(0);
    for (int i = 0; i < 4; i++) {
      downlink(car, "DL/cmd", "queue", null);
    }

    await().atMost(Duration.ofSeconds(5)).until(() -> receipts(Status.QUEUE_FULL).equals(List.of("0/3")));
    await().atMost(Duration.ofSeconds(5)).until(() -> committed(0).equals(OptionalLong.of(4)));
    assertThat(receipts(Status.QUEUED)).containsExactly("0/0", "0/1", "0/2");
    assertThat(detail(Status.QUEUE_FULL)).contains("maxMessages 3");
  }

  @Test
  void anUnknownOfflinePolicyIsRejectedWithADetail() {
    String car = client(0, "car");
    routing(0);

    downlink(car, "DL/cmd", "keep", null);

    await().atMost(Duration.ofSeconds(5)).until(() -> receipts(Status.REJECTED).equals(List.of("0/0")));
    assertThat(detail(Status.REJECTED)).isEqualTo("header mqtt.offline must be drop, queue or latest");
  }

  @Test
  void aPersistentSessionsRecordsAreQueuedByDefaultAClientWithoutOneGetsOffline() {
    String car = client(0, "car");
    String phone = client(0, "phone");
    offlineSession(car, System.currentTimeMillis() + 3_600_000);
    routing(0);

    downlink(car, "DL/cmd", null, null);
    downlink(phone, "DL/cmd", null, null);

    await().atMost(Duration.ofSeconds(5)).until(() -> receipts(Status.QUEUED).equals(List.of("0/0")));
    await().atMost(Duration.ofSeconds(5)).until(() -> receipts(Status.OFFLINE).equals(List.of("0/1")));
    assertThat(loop.owned().offlineSessions()).isEqualTo(1);
  }

  @Test
  void aMessageWhoseConnectionEndedBeforeItsPubackIsResentFirstWithItsPacketId() {
    String car = client(0, "car");
    connectedSession(car, PARKING);
    routing(0);
    downlink(car, "DL/cmd", null, null);
    await().atMost(Duration.ofSeconds(5)).until(() -> receipts(Status.QUEUED).equals(List.of("0/0")));
    assertThat(header(parked().get(0), ParkedRecord.SENT)).isEqualTo("5");
    assertThat(receipts(Status.TIMEOUT)).as("kept, not timed out").isEmpty();

    connectedSession(car, ALIVE);

    await().atMost(Duration.ofSeconds(5)).until(() -> forwards(ALIVE).equals(List.of("0/0")));
    assertThat(delivered).last().satisfies(m -> assertThat(m.sent()).isEqualTo(5));
  }

  @Test
  void aSessionResumedElsewhereGetsNothingParkedBeforeTheForwardsToItsOldConnectionAreSettled() {
    String car = client(0, "car");
    connectedSession(car, DEAD);
    routing(0);
    downlink(car, "DL/cmd", null, null);
    await().atMost(Duration.ofSeconds(5)).until(() -> forwards(DEAD).equals(List.of("0/0")));
    // The old connection's instance died with 0/0 unanswered; the session resumes through another.
    connectedSession(car, ALIVE);
    downlink(car, "DL/cmd", null, null);
    downlink(car, "DL/cmd", null, null);
    await().atMost(Duration.ofSeconds(5)).until(() -> receipts(Status.QUEUED).equals(List.of("0/1", "0/2")));

    assertThat(forwards(ALIVE)).as("nothing overtakes 0/0, which may come back to be resent").isEmpty();
    unanswered.get(0).reply(Outcome.parked(7, Status.TIMEOUT, "connection closed before PUBACK"));

    await().atMost(Duration.ofSeconds(5)).until(() -> forwards(ALIVE).size() == 3);
    assertThat(forwards(ALIVE)).containsExactly("0/0", "0/1", "0/2");
    assertThat(delivered).filteredOn(m -> m.connectionId().equals(ALIVE + "-" + car)).first()
        .satisfies(m -> assertThat(m.sent()).isEqualTo(7));
  }

  @Test
  void aForwardToTheOldConnectionThatComesBackGoneFirstWaitsForTheEarlierOnes() {
    String car = client(0, "car");
    connectedSession(car, DEAD);
    routing(0);
    downlink(car, "DL/cmd", null, null);
    downlink(car, "DL/cmd", null, null);
    await().atMost(Duration.ofSeconds(5)).until(() -> forwards(DEAD).equals(List.of("0/0", "0/1")));
    // The old instance died: 0/1 comes back gone at once (its handler was removed), 0/0 later. The
    // router does not know yet that the connection is gone, and sends 0/1 there once more.
    unanswered.get(1).reply(Outcome.notConnected("the connection is gone"));
    await().atMost(Duration.ofSeconds(5)).until(() -> forwards(DEAD).equals(List.of("0/0", "0/1", "0/1")));
    connectedSession(car, ALIVE);
    downlink(car, "DL/cmd", null, null);
    await().atMost(Duration.ofSeconds(5)).until(() -> receipts(Status.QUEUED).equals(List.of("0/1", "0/2")));
    unanswered.get(0).fail(-1, "timed out");
    await().atMost(Duration.ofSeconds(5)).until(() -> receipts(Status.QUEUED).size() == 3);

    assertThat(forwards(ALIVE)).as("nothing overtakes 0/1, on its way to the old connection again").isEmpty();
    unanswered.get(2).reply(Outcome.notConnected("the connection is gone"));

    await().atMost(Duration.ofSeconds(5)).until(() -> forwards(ALIVE).size() == 3);
    assertThat(forwards(ALIVE)).as("0/0 may have been sent: first").containsExactly("0/0", "0/1", "0/2");
  }

  @Test
  void anExpiredSessionEndsWithAnExpiredRecordAndItsQueuedMessagesExpire() {
    String car = client(0, "car");
    offlineSession(car, System.currentTimeMillis() + 1_500);
    routing(0);
    downlink(car, "DL/cmd", null, null);
    await().atMost(Duration.ofSeconds(5)).until(() -> receipts(Status.QUEUED).size() == 1);

    await().atMost(Duration.ofSeconds(5)).until(() -> receipts(Status.EXPIRED).equals(List.of("0/0")));
    assertThat(detail(Status.EXPIRED)).isEqualTo("the client's session expired");
    assertThat(tombstones()).contains(ParkedRecord.key(car, 0));
    assertThat(producer.history()).filteredOn(r -> r.topic().equals(SUBSCRIPTIONS))
        .extracting(r -> PresenceRecord.fromJson(r.value().getBytes()).event()).containsExactly(Event.EXPIRED);
  }

  @Test
  void aQueuedRecordPastItsTtlExpires() {
    String car = client(0, "car");
    routing(0);

    downlink(car, "DL/cmd", "queue", "1000");

    await().atMost(Duration.ofSeconds(5)).until(() -> receipts(Status.EXPIRED).equals(List.of("0/0")));
    assertThat(receipts(Status.QUEUED)).containsExactly("0/0");
  }

  @Test
  void aNewOwnerRebuildsTheQueuesFromTheSessionsTopicAndDeliversThem() {
    String car = client(0, "car");
    routing(0);
    downlink(car, "DL/cmd", "queue", null);
    downlink(car, "DL/cmd", "queue", null);
    await().atMost(Duration.ofSeconds(5)).until(() -> committed(0).equals(OptionalLong.of(2)));
    long rebuilt = rebuilds();

    onLoop(c -> c.loseAndRejoin(List.of(presence(0), downlink(0), sessions(0))));
    await().atMost(Duration.ofSeconds(5)).until(() -> rebuilds() == rebuilt + 1);
    assertThat(loop.owned().parked()).isEqualTo(2);
    subscribed(car, ALIVE);

    await().atMost(Duration.ofSeconds(5)).until(() -> forwards(ALIVE).size() == 2);
    assertThat(forwards(ALIVE)).containsExactly("0/0", "0/1");
    assertThat(receipts(Status.QUEUED)).as("not parked twice").hasSize(2);
  }

  @Test
  void aParkedMessageWaitsForASubscriptionThatMatchesIt() {
    String car = client(0, "car");
    routing(0);
    downlink(car, "DL/other", "queue", null);
    await().atMost(Duration.ofSeconds(5)).until(() -> receipts(Status.QUEUED).size() == 1);

    subscribed(car, ALIVE, "DL/cmd");
    downlink(car, "DL/cmd", "queue", null);

    await().atMost(Duration.ofSeconds(5)).until(() -> forwards(ALIVE).equals(List.of("0/1")));
    assertThat(loop.owned().parked()).as("DL/other still waits").isEqualTo(1);
  }

  private void downlink(String clientId, String topic, String offline, String ttlMs) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(HeaderNames.TOPIC, topic.getBytes(StandardCharsets.UTF_8));
    if (offline != null) {
      headers.add(HeaderNames.OFFLINE, offline.getBytes(StandardCharsets.UTF_8));
    }
    if (ttlMs != null) {
      headers.add(HeaderNames.TTL_MS, ttlMs.getBytes(StandardCharsets.UTF_8));
    }
    consumer.append(DOWNLINK, partitionOf(clientId), clientId, new byte[10], headers, 10);
  }

  private void subscribed(String clientId, String instanceId, String filter) {
    presence(clientId, new PresenceRecord(Event.SUBSCRIBED, instanceId, "connection-" + clientId, true,
        List.of(new Subscription(filter, 1)), 4, System.currentTimeMillis()));
  }

  /** The end of the session's connection through {@code instanceId}, as its instance writes it. */
  private void disconnected(String clientId, String instanceId) {
    presence(clientId, new PresenceRecord(Event.DISCONNECTED, instanceId, instanceId + "-" + clientId, false,
        List.of(new Subscription("DL/#", 1)), 4, System.currentTimeMillis(),
        new Session(HOUR_SECONDS, System.currentTimeMillis() + HOUR_SECONDS * 1_000, List.of())));
  }

  private void offlineSession(String clientId, long expiresAt) {
    presence(clientId, new PresenceRecord(Event.DISCONNECTED, "gone", "gone-" + clientId, false,
        List.of(new Subscription("DL/#", 1)), 4, 0, new Session(HOUR_SECONDS, expiresAt, List.of())));
  }

  private void presence(String clientId, PresenceRecord record) {
    byte[] json = record.toJson();
    consumer.append(SUBSCRIPTIONS, partitionOf(clientId), clientId, json, new RecordHeaders(), json.length);
  }

  /** The copies written to the sessions topic (not tombstones), in order. */
  private List<ProducerRecord<String, Buffer>> parked() {
    return producer.history().stream().filter(r -> r.topic().equals(SESSIONS) && r.value() != null).toList();
  }

  private List<String> tombstones() {
    return producer.history().stream().filter(r -> r.topic().equals(SESSIONS) && r.value() == null)
        .map(ProducerRecord::key).toList();
  }

  private String detail(Status status) {
    return producer.history().stream().filter(r -> r.topic().equals("test.receipts"))
        .map(r -> Receipt.fromJson(r.value().getBytes())).filter(r -> r.status() == status)
        .map(Receipt::detail).findFirst().orElseThrow();
  }
}
