package io.mqttkafka.bridge.routing;

import io.mqttkafka.bridge.bus.DownlinkMessage;
import io.mqttkafka.bridge.records.DownlinkRecord;
import io.mqttkafka.bridge.records.OfflinePolicy;
import io.mqttkafka.bridge.records.ParkedRecord;
import io.mqttkafka.bridge.records.PresenceRecord;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.mqttkafka.bridge.records.UserPropertyRules;
import io.mqttkafka.bridge.routing.DownlinkForwarder.Result;
import io.mqttkafka.bridge.routing.OffsetLedger.Routed;
import io.mqttkafka.bridge.routing.SubscriptionTable.Route;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downlink records that are kept for their clients ({@code mqtt.offline} {@code queue} or
 * {@code latest}, the default for persistent sessions), on the router thread: forwarded when the client
 * can take them now and nothing queued is ahead of them, else parked in {@code mqtt.sessions}
 * (receipt {@code queued}), superseded ({@code latest}), refused beyond the client's bounds
 * ({@code queue_full}) or expired; and the persistent sessions' ends the router owns: expiry, and
 * connections whose instance is gone. {@link QueueDrain} delivers what is parked.
 */
final class QueueRouter implements RouterOutput.Gone {

  private static final Logger LOG = LoggerFactory.getLogger(QueueRouter.class);

  /**
   * A client's bounds and how long anything is kept.
   *
   * @param maxParkMillis the longest a parked record waits: the longest session expiry
   */
  record Limits(int maxMessages, long maxBytes, long maxParkMillis) {
  }

  private final RouterOutput output;
  private final SettleQueue onRouterThread;
  private final Limits limits;
  private final QueueDrain drain;
  private final UserPropertyRules userProperties;

  /** @param userProperties which headers of a parked record become MQTT 5 user properties, as when it was routed */
  QueueRouter(RouterOutput output, SettleQueue onRouterThread, Limits limits, UserPropertyRules userProperties) {
    this.output = output;
    this.onRouterThread = onRouterThread;
    this.limits = limits;
    this.userProperties = userProperties;
    this.drain = new QueueDrain(output, onRouterThread, this);
  }

  /** Reads a parked copy as the downlink record it is, at its place in the client's downlink partition. */
  DownlinkRecord parse(String clientId, long routedOffset, int partition, ConsumerRecord<String, byte[]> copy) {
    return DownlinkRecord.parse(clientId, copy.headers(), partition, routedOffset, copy.timestamp(), userProperties);
  }

  QueueDrain drain() {
    return drain;
  }

  /**
   * Routes a valid record in its client's partition whose policy keeps it: straight to the connection
   * when the client can take it and nothing of it is queued ahead, else parked.
   */
  void route(DownlinkPartition partition, ConsumerRecord<String, byte[]> record, DownlinkRecord parsed, Route route,
             OfflinePolicy policy, long nowMillis) {
    ClientQueue queue = partition.queues.of(parsed.clientId());
    if (queue != null && queue.get(record.offset()) != null) {
      // Routed again after a crash or a move of the partition: its copy is parked already.
      partition.ledger.routed(record.offset(), Routed.PARKING);
      partition.ledger.settle(record.offset());
      return;
    }
    if (route.kind() == Route.Kind.DELIVER && (queue == null || !queue.holdsBack(route.connectionId()))) {
      forward(partition, record, parsed, route, policy);
      return;
    }
    partition.ledger.routed(record.offset(), Routed.PARKING);
    String why = route.kind() == Route.Kind.OFFLINE ? "the client is offline"
        : route.kind() == Route.Kind.NOT_SUBSCRIBED ? "the client is not subscribed to " + parsed.mqttTopic()
        : "behind the client's queued messages";
    park(partition, record, parsed, new Parking(policy, ParkedRecord.NEVER_SENT, nowMillis), why,
        () -> partition.ledger.settle(record.offset()));
  }

  /** Forwards a kept record; if its persistent session's connection ends before the PUBACK, it is parked. */
  private void forward(DownlinkPartition partition, ConsumerRecord<String, byte[]> record, DownlinkRecord parsed,
                       Route route, OfflinePolicy policy) {
    DownlinkMessage message = RecordRouter.message(parsed, route.connectionId(),
        Math.min(parsed.qos(), route.grantedQos()), record.value(), DownlinkMessage.FIRST_SEND, true);
    partition.ledger.routed(record.offset(), Routed.FORWARDED);
    ClientQueue queue = route.persistent() ? partition.queues.getOrCreate(parsed.clientId()) : null;
    if (queue != null) {
      queue.forwarded(route.connectionId());
    }
    output.send(route.instanceId(), message).onSuccess(result -> onRouterThread.run(() ->
        forwarded(partition, record, parsed, policy, message, queue, result)));
  }

  private void forwarded(DownlinkPartition partition, ConsumerRecord<String, byte[]> record, DownlinkRecord parsed,
                         OfflinePolicy policy, DownlinkMessage message, ClientQueue queue, Result result) {
    String clientId = parsed.clientId();
    if (queue != null) {
      queue.forwardSettled(message.connectionId());
      partition.queues.dropIfEmpty(clientId, queue);
    }
    Runnable settle = () -> partition.ledger.settle(record.offset());
    switch (result.kind()) {
      case RECEIPT_WRITTEN -> settle.run();
      case RECEIPT_NOT_WRITTEN -> output.receipt(result.outcome().status(), message.receiptRef(), result.detail(),
          settle);
      case PARKED, GONE, NO_ANSWER -> {
        park(partition, record, parsed, new Parking(policy, sentWith(result), System.currentTimeMillis()),
            result.detail(), settle);
        if (result.kind() == Result.Kind.GONE) {
          connectionGone(partition, clientId, message.connectionId());
        }
      }
    }
    drain.drain(partition, clientId);
  }

  /**
   * What a result says of a message's send: {@link ParkedRecord#NEVER_SENT} when it never reached a
   * connection, 0 when it may have (no answer), else the packet id it was sent with.
   */
  static int sentWith(Result result) {
    return switch (result.kind()) {
      case PARKED -> result.outcome().packetId() > 0 ? result.outcome().packetId() : ParkedRecord.NEVER_SENT;
      case NO_ANSWER -> 0;
      default -> ParkedRecord.NEVER_SENT;
    };
  }

  /**
   * How a record is parked: its offline policy, how it was sent before ({@link #sentWith}) and when.
   */
  record Parking(OfflinePolicy policy, int sent, long nowMillis) {
  }

  /**
   * Parks a record for its client, unless the client's queue is full; {@code settled} runs once its
   * receipt ({@code queued}, or {@code queue_full}) is in Kafka.
   */
  void park(DownlinkPartition partition, ConsumerRecord<String, byte[]> record, DownlinkRecord parsed,
            Parking parking, String why, Runnable settled) {
    OfflinePolicy policy = parking.policy();
    int sent = parking.sent();
    long nowMillis = parking.nowMillis();
    String clientId = parsed.clientId();
    ClientQueue queue = partition.queues.getOrCreate(clientId);
    if (policy == OfflinePolicy.LATEST && sent == ParkedRecord.NEVER_SENT && superseded(partition, queue, record,
        parsed, settled)) {
      return;
    }
    int bytes = bytes(record);
    // A message sent before is kept whatever the bound: it was not in the queue, and must not be lost.
    if (sent == ParkedRecord.NEVER_SENT
        && (queue.size() >= limits.maxMessages() || queue.bytes() + bytes > limits.maxBytes())) {
      partition.queues.dropIfEmpty(clientId, queue);
      output.receipt(Status.QUEUE_FULL, parsed.ref(), "the client's queue holds " + queue.size() + " messages, "
          + queue.bytes() + " bytes (sessions.queue.maxMessages " + limits.maxMessages() + ", maxBytes "
          + limits.maxBytes() + ")", settled);
      return;
    }
    long deadline = Math.min(parsed.ttlMs() < 0 ? Long.MAX_VALUE : parsed.timestamp() + parsed.ttlMs(),
        nowMillis + limits.maxParkMillis());
    ParkedMessage message = new ParkedMessage(parsed, deadline, policy == OfflinePolicy.LATEST, bytes, sent);
    partition.queues.add(message);
    Headers headers = ParkedRecord.headers(record.headers(), new ParkedRecord.Meta(deadline, policy, sent));
    output.park(partition, ParkedRecord.key(clientId, record.offset()), headers, record.timestamp(),
        record.value() == null ? new byte[0] : record.value(), at -> {
          message.sessionsOffset = at;
          if (!partition.queues.holds(message)) {
            settled.run(); // superseded while its copy was written: that receipt is its only one
            return;
          }
          message.state = ParkedMessage.State.WAITING;
          output.receipt(Status.QUEUED, message.ref(), why, settled);
          drain.drain(partition, clientId);
        });
  }

  /**
   * Supersedes the older parked {@code latest} messages of the record's MQTT topic; or, when a newer one
   * is parked already (a forward that came back after it), the record itself, and says true.
   */
  private boolean superseded(DownlinkPartition partition, ClientQueue queue, ConsumerRecord<String, byte[]> record,
                             DownlinkRecord parsed, Runnable settled) {
    List<ParkedMessage> parked = queue.latestOf(parsed.mqttTopic());
    for (ParkedMessage other : parked) {
      if (other.routedOffset > record.offset()) {
        partition.queues.dropIfEmpty(parsed.clientId(), queue);
        output.receipt(Status.SUPERSEDED, parsed.ref(), "offset " + other.routedOffset + " is newer", settled);
        return true;
      }
    }
    for (ParkedMessage older : parked) {
      end(partition, older, Status.SUPERSEDED, "offset " + record.offset() + " is newer");
    }
    return false;
  }

  /** Ends a parked message with a receipt of {@code status}, and deletes its copy. */
  void end(DownlinkPartition partition, ParkedMessage message, Status status, String detail) {
    partition.queues.remove(message);
    output.unpark(partition, ParkedRecord.key(message.clientId, message.routedOffset));
    output.receipt(status, message.ref(), detail, () -> { });
  }

  /** A parked message was delivered (its receipts are the instance's): its copy is deleted. */
  void delivered(DownlinkPartition partition, ParkedMessage message) {
    partition.queues.remove(message);
    output.unpark(partition, ParkedRecord.key(message.clientId, message.routedOffset));
  }

  /**
   * Ends what expired by {@code nowMillis}: offline sessions (an {@code expired} presence record, and
   * every message parked for them) and parked messages past their deadline.
   */
  void sweep(DownlinkPartition partition, long nowMillis) {
    for (Map.Entry<String, PresenceRecord> expired : partition.table.expireDue(nowMillis).entrySet()) {
      String clientId = expired.getKey();
      output.presence(clientId, expired.getValue());
      for (ParkedMessage message : partition.queues.allOf(clientId)) {
        if (message.state == ParkedMessage.State.WAITING) {
          end(partition, message, Status.EXPIRED, "the client's session expired");
        }
      }
      LOG.debug("[client-id: {}] offline session expired", clientId);
    }
    for (ParkedMessage message : partition.queues.expired(nowMillis)) {
      end(partition, message, Status.EXPIRED, "not delivered before its deadline (ttl.ms, at most "
          + "sessions.maxExpiry)");
    }
  }

  /**
   * The connection turned out to be gone without its {@code disconnected} record (its instance died
   * or restarted): the router writes that record, with the session if it is persistent, from which
   * its expiry counts.
   */
  @Override
  public void connectionGone(DownlinkPartition partition, String clientId, String connectionId) {
    SubscriptionTable.Connection current = partition.table.connection(clientId);
    if (current != null && current.connectionId().equals(connectionId)) {
      output.presence(clientId, partition.table.offlineRecord(clientId, System.currentTimeMillis()));
    }
  }

  /** An instance is gone (it stopped or died): each connection through it ends, as its instance could not say. */
  void instanceGone(DownlinkPartition partition, String instanceId) {
    long now = System.currentTimeMillis();
    for (String clientId : partition.table.connectedThrough(instanceId)) {
      output.presence(clientId, partition.table.offlineRecord(clientId, now));
    }
  }

  /** The client's offline session, restated: a stale record of an older connection came after its own. */
  void restate(DownlinkPartition partition, String clientId) {
    PresenceRecord offline = partition.table.offlineRecord(clientId, System.currentTimeMillis());
    if (offline != null) {
      output.presence(clientId, offline);
    }
  }

  /** Rebuilds a partition's queues from a record of {@code mqtt.sessions}, read from its start. */
  void rebuild(DownlinkPartition partition, ConsumerRecord<String, byte[]> copy) {
    String clientId = ParkedRecord.clientId(copy.key());
    long offset = ParkedRecord.offset(copy.key());
    if (clientId == null || offset < 0) {
      LOG.warn("Skipping record {}/{} of the sessions topic: its key is not a client id and an offset",
          copy.partition(), copy.offset());
      return;
    }
    ClientQueue queue = partition.queues.of(clientId);
    ParkedMessage before = queue == null ? null : queue.get(offset);
    if (copy.value() == null) {
      if (before != null) {
        partition.queues.remove(before);
      }
      return;
    }
    ParkedRecord.Meta meta = ParkedRecord.meta(copy.headers());
    DownlinkRecord parsed = parse(clientId, offset, partition.number, copy);
    if (meta == null || parsed.invalid() != null) {
      LOG.warn("Skipping record {}/{} of the sessions topic: {}", copy.partition(), copy.offset(),
          meta == null ? "its parking headers are missing or broken" : parsed.invalid());
      return;
    }
    ParkedMessage message = new ParkedMessage(parsed, meta.deadline(), meta.policy() == OfflinePolicy.LATEST,
        bytes(copy), meta.sent());
    message.sessionsOffset = copy.offset();
    message.state = ParkedMessage.State.WAITING;
    partition.queues.add(message);
  }

  private static int bytes(ConsumerRecord<String, byte[]> record) {
    return Math.max(0, record.serializedValueSize()) + Math.max(0, record.serializedKeySize());
  }
}
