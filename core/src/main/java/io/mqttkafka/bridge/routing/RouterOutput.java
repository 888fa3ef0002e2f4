package io.mqttkafka.bridge.routing;

import io.mqttkafka.bridge.bus.DownlinkMessage;
import io.mqttkafka.bridge.bus.InstanceProtocol;
import io.mqttkafka.bridge.bus.InstanceProtocol.Notice;
import io.mqttkafka.bridge.bus.InstanceProtocol.Outcome;
import io.mqttkafka.bridge.bus.InstanceProtocol.Ping;
import io.mqttkafka.bridge.downlink.Parked;
import io.mqttkafka.bridge.downlink.DeliveryTarget;
import io.mqttkafka.bridge.downlink.FirstReceiptNotWritten;
import io.mqttkafka.bridge.kafka.BufferSerializer;
import io.mqttkafka.bridge.kafka.KafkaSender;
import io.mqttkafka.bridge.kafka.PresenceWriter;
import io.mqttkafka.bridge.kafka.ReceiptWriter;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.records.DownlinkRef;
import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.records.PresenceRecord;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.mqttkafka.bridge.routing.DownlinkForwarder.Result;
import io.mqttkafka.bridge.routing.OffsetLedger.Routed;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything the router sends or writes for a downlink record, and the settlement of that record
 * once it is done: a receipt of its own, a forward to the device's instance (then perhaps the receipt
 * that instance could not write), or a copy in the client's partition. A write Kafka does not take is
 * tried again every {@link #RETRY_MS} while the router runs; a crash or stop before it is written
 * leaves the record unsettled, so the next owner routes it again: no record is left without a
 * receipt, at worst one gets two. Called on the router thread; completions run on its context's
 * event loop and settle through the {@link SettleQueue}.
 */
final class RouterOutput {

  private static final Logger LOG = LoggerFactory.getLogger(RouterOutput.class);
  /** Pause before a write Kafka did not take is tried again. */
  static final long RETRY_MS = 1_000;

  private final Vertx vertx;
  private final ReceiptWriter receipts;
  private final PresenceWriter presence;
  private final KafkaSender sender;
  private final DownlinkForwarder forwarder;
  private final BridgeMetrics metrics;
  private final SettleQueue settlements;
  private final BooleanSupplier running;
  private final RouterVerticle.Local local;
  private final String sessionsTopic;

  RouterOutput(Vertx vertx, RouterVerticle.Writers writers, RouterVerticle.Local local, SettleQueue settlements,
               BooleanSupplier running, String sessionsTopic) {
    this.local = local;
    this.vertx = vertx;
    this.receipts = writers.receipts();
    this.presence = writers.presence();
    this.sender = writers.sender();
    this.metrics = writers.metrics();
    this.forwarder = new DownlinkForwarder(vertx, writers.metrics());
    this.settlements = settlements;
    this.running = running;
    this.sessionsTopic = sessionsTopic;
  }

  /** A receipt the router decides itself; the record settles once Kafka has it. */
  void receipt(DownlinkPartition partition, long offset, Status status, DownlinkRef record, String detail) {
    partition.ledger.routed(offset, Routed.RECEIPT);
    untilWritten(() -> receipts.write(status, record, detail), () -> partition.ledger.settle(offset));
  }

  /**
   * Forwards the message to the instance that holds its device: over the event bus, or straight to
   * the connection when that is this instance (no request, reply, timer or context hop of the
   * protocol: the router cannot outlive its own instance). It settles once that instance has the
   * first receipt in Kafka, or once the router has written the receipt the instance could not. The
   * record is not kept for its client: a persistent session's connection that ends before the
   * PUBACK leaves the receipt the instance names.
   *
   * @param gone told, on the router thread, when the connection turned out to be gone
   */
  void forward(DownlinkPartition partition, String instanceId, DownlinkMessage message, Gone gone) {
    partition.ledger.routed(message.offset(), Routed.FORWARDED);
    Runnable settle = () -> partition.ledger.settle(message.offset());
    send(instanceId, message).onSuccess(result -> {
      switch (result.kind()) {
        case RECEIPT_WRITTEN -> settlements.run(settle);
        case RECEIPT_NOT_WRITTEN, PARKED -> untilWritten(() -> receipts.write(result.outcome().status(),
            message.receiptRef(), result.detail()), settle);
        case GONE, NO_ANSWER -> {
          untilWritten(() -> receipts.write(Status.OFFLINE, message.receiptRef(), result.detail()), settle);
          if (result.kind() == Result.Kind.GONE) {
            settlements.run(() -> gone.connectionGone(partition, message.clientId(), message.connectionId()));
          }
        }
      }
    });
  }

  /** Told on the router thread that a connection the router forwarded to is gone. */
  @FunctionalInterface
  interface Gone {
    void connectionGone(DownlinkPartition partition, String clientId, String connectionId);
  }

  /**
   * Sends the message to its device's instance (or straight to the connection when that is this
   * instance); completes, never fails, with the final result, on an event loop.
   */
  Future<Result> send(String instanceId, DownlinkMessage message) {
    return instanceId.equals(local.instanceId()) ? deliverHere(message) : forwarder.deliver(instanceId, message);
  }

  /**
   * Copies a record a back end wrote to another partition than its client's into the client's
   * partition, with the partition and offset the back end's record got (kept if it was moved before),
   * its key, headers, value and timestamp; the original settles once Kafka has the copy, which the
   * owner of that partition routes.
   */
  void move(DownlinkPartition partition, ConsumerRecord<String, byte[]> record, int home) {
    partition.ledger.routed(record.offset(), Routed.MOVING);
    Headers headers = new RecordHeaders(record.headers().toArray());
    if (headers.lastHeader(HeaderNames.ORIGINAL_PARTITION) == null) {
      headers.add(HeaderNames.ORIGINAL_PARTITION, ascii(Integer.toString(record.partition())));
      headers.add(HeaderNames.ORIGINAL_OFFSET, ascii(Long.toString(record.offset())));
    }
    ProducerRecord<String, Buffer> copy = new ProducerRecord<>(record.topic(), home,
        record.timestamp(), record.key(), record.value() == null ? null : BufferSerializer.wrap(record.value()),
        headers);
    untilWritten(() -> sender.sendControl(copy).onSuccess(ok -> metrics.routerRerouted()).mapEmpty(),
        () -> partition.ledger.settle(record.offset()));
  }

  /**
   * Writes a parked record's copy to {@code mqtt.sessions} (the partition of the same number), until
   * Kafka has it; then {@code written} gets its offset there, on the router thread.
   */
  void park(DownlinkPartition partition, String key, Headers headers, long timestamp, byte[] payload,
            LongConsumer written) {
    ProducerRecord<String, Buffer> copy = new ProducerRecord<>(sessionsTopic, partition.number, timestamp, key,
        payload == null ? null : BufferSerializer.wrap(payload), headers);
    long[] offset = {-1};
    untilWritten(() -> sender.sendControl(copy).onSuccess(metadata -> offset[0] = metadata.offset()),
        () -> written.accept(offset[0]));
  }

  /** Deletes a parked record's copy from {@code mqtt.sessions}: a tombstone, written until Kafka has it. */
  void unpark(DownlinkPartition partition, String key) {
    ProducerRecord<String, Buffer> tombstone = new ProducerRecord<>(sessionsTopic, partition.number, key, null);
    untilWritten(() -> sender.sendControl(tombstone), () -> { });
  }

  /** A receipt of a parked record; {@code written} runs on the router thread once Kafka has it. */
  void receipt(Status status, DownlinkRef record, String detail, Runnable written) {
    untilWritten(() -> receipts.write(status, record, detail), written);
  }

  /** A presence record the router writes for a client (its session expired, its connection is gone). */
  void presence(String clientId, PresenceRecord record) {
    untilWritten(() -> presence.write(clientId, record), () -> { });
  }

  /** The message to a connection of this instance: the same outcomes as over the protocol. */
  private Future<Result> deliverHere(DownlinkMessage message) {
    DeliveryTarget target = local.connections().get(message.clientId());
    if (target == null || !target.connectionId().equals(message.connectionId())) {
      return Future.succeededFuture(new Result(Result.Kind.GONE, null, "the connection is gone"));
    }
    return target.deliver(message).transform(answer -> {
      if (answer.succeeded()) {
        return Future.succeededFuture(new Result(Result.Kind.RECEIPT_WRITTEN, Outcome.RECEIPT_WRITTEN, null));
      }
      Outcome outcome;
      if (answer.cause() instanceof Parked parked) {
        outcome = parked.outcome();
        return Future.succeededFuture(new Result(Result.Kind.PARKED, outcome, outcome.detail()));
      }
      outcome = answer.cause() instanceof FirstReceiptNotWritten failed
          ? Outcome.receiptNotWritten(failed.status(), failed.detail())
          : Outcome.receiptNotWritten(Status.OFFLINE, answer.cause().toString());
      return Future.succeededFuture(new Result(Result.Kind.RECEIPT_NOT_WRITTEN, outcome, outcome.detail()));
    });
  }

  /** The instance is gone: what waits for its answers ends as not answered. Any thread. */
  void instanceGone(String instanceId) {
    forwarder.instanceGone(instanceId);
  }

  /** Tells an instance about one of its connections (takeover, refresh); fire and forget. */
  void notice(String instanceId, Notice notice) {
    vertx.eventBus().send(InstanceProtocol.address(instanceId), notice);
  }

  /**
   * Asks whether an instance is there; {@code gone} runs on the router thread when the event bus has
   * no handler for it (the instance stopped or died), and what waits for its answers ends
   * ({@link DownlinkForwarder#instanceGone}). No answer in time says nothing.
   */
  void ping(String instanceId, Runnable gone) {
    vertx.eventBus().request(InstanceProtocol.address(instanceId), new Ping(local.instanceId()),
        InstanceProtocol.REQUEST).onFailure(failure -> {
          if (failure instanceof ReplyException reply && reply.failureType() == ReplyFailure.NO_HANDLERS) {
            forwarder.instanceGone(instanceId);
            settlements.run(gone);
          }
        });
  }

  /**
   * Writes until Kafka has it, while the router runs; then runs {@code written} on the router thread.
   * A router that stops leaves it unwritten: a record not settled is routed again by the next owner.
   */
  private void untilWritten(Supplier<Future<?>> write, Runnable written) {
    write.get().onComplete((ok, failure) -> {
      if (failure == null) {
        settlements.run(written);
      } else if (running.getAsBoolean()) {
        // Also for a partition that moved meanwhile: its new owner routes the record again (at worst a
        // second receipt or copy); this router cannot tell from here, and one too many loses nothing.
        LOG.debug("Router: write failed, trying again: {}", failure.toString());
        vertx.setTimer(RETRY_MS, id -> untilWritten(write, written));
      }
    });
  }

  private static byte[] ascii(String value) {
    return value.getBytes(StandardCharsets.US_ASCII);
  }
}
