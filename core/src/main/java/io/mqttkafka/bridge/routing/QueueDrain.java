package io.mqttkafka.bridge.routing;

import io.mqttkafka.bridge.bus.DownlinkMessage;
import io.mqttkafka.bridge.records.DownlinkRecord;
import io.mqttkafka.bridge.records.OfflinePolicy;
import io.mqttkafka.bridge.records.ParkedRecord;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.mqttkafka.bridge.routing.DownlinkForwarder.Result;
import io.mqttkafka.bridge.routing.ParkedMessage.State;
import io.mqttkafka.bridge.routing.SubscriptionTable.Connection;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Delivers a connected client's parked messages, on the router thread, in the order their records
 * were written (those sent before with DUP), each one whose topic the client's subscriptions match;
 * not before the forwards to an older connection of the client are settled (they may come back). At most
 * {@link #WINDOW} per client are on their way at a time: their copies are read back from
 * {@code mqtt.sessions} (the router's consumer seeks there, see {@link ParkedQueues#nextRead}), then
 * forwarded in order. A message delivered is deleted from {@code mqtt.sessions}; one whose connection
 * ended before its PUBACK waits again, marked sent.
 */
final class QueueDrain {

  /** Parked messages of one client on their way at a time (read back or forwarded). */
  static final int WINDOW = 32;

  private final RouterOutput output;
  private final SettleQueue onRouterThread;
  private final QueueRouter queues;

  QueueDrain(RouterOutput output, SettleQueue onRouterThread, QueueRouter queues) {
    this.output = output;
    this.onRouterThread = onRouterThread;
    this.queues = queues;
  }

  /** Starts reading the client's next parked messages, if it is connected and can take them. */
  void drain(DownlinkPartition partition, String clientId) {
    ClientQueue queue = partition.queues.of(clientId);
    Connection connection = queue == null || !partition.routes() ? null : partition.table.connection(clientId);
    if (connection == null || queue.forwardsElsewhere(connection.connectionId())) {
      // Forwards to an older connection (its instance may have died) settle first: those that come
      // back take their place among the parked ones, as the client must receive in order.
      return;
    }
    for (ParkedMessage message : queue.inOrder()) {
      if (queue.draining() >= WINDOW || message.state == State.WRITING) {
        break; // a message being written keeps its place: nothing after it overtakes it
      }
      if (message.state == State.WAITING && connection.filters().grantedQos(message.mqttTopic) >= 0) {
        partition.queues.read(message);
        queue.drainStarted();
      }
    }
    forwardRead(partition, clientId);
  }

  /** A record of {@code mqtt.sessions} read back: the copy of a message to deliver, or one to skip. */
  void copyRead(DownlinkPartition partition, ConsumerRecord<String, byte[]> copy) {
    ParkedMessage message = partition.queues.readDone(copy.offset());
    if (message == null || message.state != State.READING) {
      return;
    }
    message.state = State.READ;
    message.copy = copy;
    forwardRead(partition, message.clientId);
  }

  /** Forwards the client's messages that are read, in order: one not read yet holds back those after it. */
  private void forwardRead(DownlinkPartition partition, String clientId) {
    ClientQueue queue = partition.queues.of(clientId);
    if (queue == null) {
      return;
    }
    Connection connection = partition.routes() ? partition.table.connection(clientId) : null;
    if (connection != null && queue.forwardsElsewhere(connection.connectionId())) {
      return; // the client connected again since: what went to its old connection settles first (drain)
    }
    for (ParkedMessage message : queue.inOrder()) {
      int granted = connection == null ? -1 : connection.filters().grantedQos(message.mqttTopic);
      if (message.state == State.READING || message.state == State.WRITING
          || (message.state == State.WAITING && granted >= 0)) {
        break;
      }
      if (message.state != State.READ) {
        continue; // forwarded already, or not for the client's subscriptions
      }
      if (granted < 0) {
        // The client went away or unsubscribed since its copy was asked for.
        message.state = State.WAITING;
        message.copy = null;
        queue.drainEnded();
        continue;
      }
      forward(partition, queue, message, connection, granted);
    }
  }

  private void forward(DownlinkPartition partition, ClientQueue queue, ParkedMessage message, Connection connection,
                       int granted) {
    ConsumerRecord<String, byte[]> copy = message.copy;
    message.copy = null;
    DownlinkRecord parsed = queues.parse(message.clientId, message.routedOffset, partition.number, copy);
    if (parsed.invalid() != null || parsed.expiredAt(System.currentTimeMillis())) {
      queue.drainEnded();
      queues.end(partition, message, parsed.invalid() != null ? Status.REJECTED : Status.EXPIRED,
          parsed.invalid());
      return;
    }
    message.state = State.FORWARDED;
    DownlinkMessage forwarded = RecordRouter.message(parsed, connection.connectionId(),
        Math.min(parsed.qos(), granted), copy.value(), message.sent, true);
    queue.forwarded(connection.connectionId());
    output.send(connection.instanceId(), forwarded).onSuccess(result -> onRouterThread.run(() ->
        forwarded(partition, queue, message, copy, forwarded, result)));
  }

  private void forwarded(DownlinkPartition partition, ClientQueue queue, ParkedMessage message,
                         ConsumerRecord<String, byte[]> copy, DownlinkMessage forwarded, Result result) {
    queue.drainEnded();
    queue.forwardSettled(forwarded.connectionId());
    if (!partition.queues.holds(message)) {
      partition.queues.dropIfEmpty(message.clientId, queue);
      drain(partition, message.clientId);
      return; // replaced meanwhile (its record routed again after a crash): that one counts
    }
    switch (result.kind()) {
      case RECEIPT_WRITTEN -> queues.delivered(partition, message);
      case RECEIPT_NOT_WRITTEN -> {
        output.receipt(result.outcome().status(), message.ref(), result.detail(), () -> { });
        queues.delivered(partition, message);
      }
      case PARKED, GONE, NO_ANSWER -> {
        waitAgain(partition, message, copy, QueueRouter.sentWith(result), result.detail());
        if (result.kind() == Result.Kind.GONE) {
          queues.connectionGone(partition, message.clientId, forwarded.connectionId());
        }
      }
    }
    drain(partition, message.clientId);
  }

  /** The message's connection ended before its PUBACK: it waits again, its copy rewritten once it was sent. */
  private void waitAgain(DownlinkPartition partition, ParkedMessage message, ConsumerRecord<String, byte[]> copy,
                         int sent, String why) {
    message.state = State.WAITING;
    if (sent == ParkedRecord.NEVER_SENT || sent == message.sent) {
      return;
    }
    message.sent = sent;
    message.state = State.WRITING;
    ParkedRecord.Meta meta = new ParkedRecord.Meta(message.deadline,
        message.latest ? OfflinePolicy.LATEST : OfflinePolicy.QUEUE, sent);
    output.park(partition, ParkedRecord.key(message.clientId, message.routedOffset),
        ParkedRecord.headers(copy.headers(), meta), copy.timestamp(), copy.value(), at -> {
          message.sessionsOffset = at;
          if (!partition.queues.holds(message)) {
            return; // ended meanwhile (superseded, expired)
          }
          message.state = State.WAITING;
          output.receipt(Status.QUEUED, message.ref(), why, () -> { });
          drain(partition, message.clientId);
        });
  }
}
