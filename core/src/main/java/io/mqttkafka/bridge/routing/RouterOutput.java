package io.mqttkafka.bridge.routing;

import io.mqttkafka.bridge.bus.DownlinkMessage;
import io.mqttkafka.bridge.bus.InstanceProtocol;
import io.mqttkafka.bridge.bus.InstanceProtocol.Notice;
import io.mqttkafka.bridge.bus.InstanceProtocol.Outcome;
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
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BooleanSupplier;
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

  RouterOutput(Vertx vertx, RouterVerticle.Writers writers, RouterVerticle.Local local, SettleQueue settlements,
               BooleanSupplier running) {
    this.local = local;
    this.vertx = vertx;
    this.receipts = writers.receipts();
    this.presence = writers.presence();
    this.sender = writers.sender();
    this.metrics = writers.metrics();
    this.forwarder = new DownlinkForwarder(vertx, writers.metrics());
    this.settlements = settlements;
    this.running = running;
  }

  /** A receipt the router decides itself; the record settles once Kafka has it. */
  void receipt(DownlinkPartition partition, long offset, Status status, DownlinkRef record, String detail) {
    partition.ledger.routed(offset, Routed.RECEIPT);
    untilWritten(() -> receipts.write(status, record, detail), partition, offset);
  }

  /**
   * Forwards the message to the instance that holds its device: over the event bus, or straight to
   * the connection when that is this instance (no request, reply, timer or context hop of the
   * protocol: the router cannot outlive its own instance). It settles once that instance has the
   * first receipt in Kafka, or once the router has written the receipt the instance could not.
   */
  void forward(DownlinkPartition partition, String instanceId, DownlinkMessage message) {
    partition.ledger.routed(message.offset(), Routed.FORWARDED);
    Future<Result> delivered = instanceId.equals(local.instanceId()) ? deliverHere(message)
        : forwarder.deliver(instanceId, message);
    delivered.onSuccess(result -> {
      switch (result.kind()) {
        case RECEIPT_WRITTEN -> settlements.settled(partition, message.offset());
        case RECEIPT_NOT_WRITTEN -> untilWritten(() -> receipts.write(result.outcome().status(),
            message.receiptRef(), result.detail()), partition, message.offset());
        case GONE, NO_ANSWER -> {
          untilWritten(() -> receipts.write(Status.OFFLINE, message.receiptRef(), result.detail()), partition,
              message.offset());
          if (result.kind() == Result.Kind.GONE) {
            disconnected(instanceId, message);
          }
        }
      }
    });
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
    ProducerRecord<String, io.vertx.core.buffer.Buffer> copy = new ProducerRecord<>(record.topic(), home,
        record.timestamp(), record.key(), record.value() == null ? null : BufferSerializer.wrap(record.value()),
        headers);
    untilWritten(() -> sender.sendControl(copy).onSuccess(ok -> metrics.routerRerouted()).mapEmpty(), partition,
        record.offset());
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
      Outcome outcome = answer.cause() instanceof FirstReceiptNotWritten failed
          ? Outcome.receiptNotWritten(failed.status(), failed.detail())
          : Outcome.receiptNotWritten(Status.OFFLINE, answer.cause().toString());
      return Future.succeededFuture(new Result(Result.Kind.RECEIPT_NOT_WRITTEN, outcome, outcome.detail()));
    });
  }

  /** Tells an instance about one of its connections (takeover, refresh); fire and forget. */
  void notice(String instanceId, Notice notice) {
    vertx.eventBus().send(InstanceProtocol.address(instanceId), notice);
  }

  /** The connection is gone without its "disconnected" record (its instance died): say so for it. */
  private void disconnected(String instanceId, DownlinkMessage message) {
    presence.write(message.clientId(), new PresenceRecord(PresenceRecord.Event.DISCONNECTED, instanceId,
        message.connectionId(), false, List.of(), PresenceRecord.UNKNOWN_PROTOCOL_VERSION,
        System.currentTimeMillis()));
  }

  /** Writes until Kafka has it, while the router runs; then settles the record. */
  private void untilWritten(Supplier<Future<?>> write, DownlinkPartition partition, long offset) {
    write.get().onComplete((ok, failure) -> {
      if (failure == null) {
        settlements.settled(partition, offset);
      } else if (running.getAsBoolean()) {
        // Also for a partition that moved meanwhile: its new owner routes the record again (at worst a
        // second receipt or copy); this router cannot tell from here, and one too many loses nothing.
        LOG.debug("Router: write for downlink {}/{} failed, trying again: {}", partition.downlink, offset,
            failure.toString());
        vertx.setTimer(RETRY_MS, id -> untilWritten(write, partition, offset));
      }
      // Else the router stops: the record stays uncommitted and is routed again by the next owner.
    });
  }

  private static byte[] ascii(String value) {
    return value.getBytes(StandardCharsets.US_ASCII);
  }
}
