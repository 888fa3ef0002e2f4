package io.mqttkafka.bridge.routing;

import io.mqttkafka.bridge.bus.DownlinkMessage;
import io.mqttkafka.bridge.bus.InstanceProtocol.Notice;
import io.mqttkafka.bridge.kafka.BufferSerializer;
import io.mqttkafka.bridge.records.DownlinkRecord;
import io.mqttkafka.bridge.records.PresenceRecord;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.vertx.core.buffer.Buffer;
import java.util.function.IntSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the router does with each record of a partition it owns, on the router thread: a presence
 * record changes the partition's {@link SubscriptionTable} (and may tell an instance to close or
 * refresh a connection); a downlink record is decided: {@code rejected}, moved to its client's
 * partition, {@code expired}, {@code offline}, {@code not_subscribed}, or forwarded to the instance
 * that holds its device. The decision is made here, the sending in {@link RouterOutput}.
 */
final class RecordRouter {

  private static final Logger LOG = LoggerFactory.getLogger(RecordRouter.class);

  private final RouterOutput output;
  private final IntSupplier downlinkPartitions;

  /** @param downlinkPartitions how many partitions the downlink topic has (where a client's records belong) */
  RecordRouter(RouterOutput output, IntSupplier downlinkPartitions) {
    this.output = output;
    this.downlinkPartitions = downlinkPartitions;
  }

  /**
   * Applies a presence record. While the partition is rebuilt (replaying history) the instances named
   * in old records need no word.
   */
  void presence(DownlinkPartition partition, ConsumerRecord<String, byte[]> record) {
    if (record.key() == null) {
      return;
    }
    if (record.value() == null) {
      partition.table.applyTombstone(record.key());
      return;
    }
    PresenceRecord presence;
    try {
      presence = PresenceRecord.fromJson(record.value());
    } catch (IllegalArgumentException e) {
      LOG.warn("Skipping unreadable presence record {}/{} for client {}: {}", record.partition(), record.offset(),
          record.key(), e.getMessage());
      return;
    }
    SubscriptionTable.Applied applied = partition.table.apply(record.key(), presence);
    if (!partition.ready()) {
      return;
    }
    switch (applied.action()) {
      case TAKEOVER -> output.notice(applied.instanceId(),
          new Notice(Notice.Action.TAKEOVER, record.key(), applied.connectionId()));
      case STALE -> {
        output.notice(applied.instanceId(), new Notice(Notice.Action.REFRESH, record.key(), applied.connectionId()));
        // The record's connection is not the client's current one: if it says it is still open (a
        // takeover whose word never reached it, say across a split of the cluster), it is closed now.
        if (presence.event() != PresenceRecord.Event.DISCONNECTED) {
          output.notice(presence.instanceId(), new Notice(Notice.Action.TAKEOVER, record.key(),
              presence.connectionId()));
        }
      }
      case NONE -> { }
    }
  }

  /** Decides a downlink record, in offset order; every record leaves here routed (see {@link OffsetLedger}). */
  void downlink(DownlinkPartition partition, ConsumerRecord<String, byte[]> record, long nowMillis) {
    DownlinkRecord parsed = DownlinkRecord.parse(record.key(), record.headers(), record.partition(), record.offset(),
        record.timestamp());
    long offset = record.offset();
    if (parsed.invalid() != null) {
      output.receipt(partition, offset, Status.REJECTED, parsed.ref(), parsed.invalid());
      return;
    }
    if (parsed.expiredAt(nowMillis)) {
      output.receipt(partition, offset, Status.EXPIRED, parsed.ref(), null);
      return;
    }
    int home = DownlinkRecord.homePartition(parsed.clientId(), downlinkPartitions.getAsInt());
    if (home != record.partition()) {
      // Written with another partitioner than Kafka's default (librdkafka's, say): the client's
      // presence, and so its routing, is in the other partition.
      output.move(partition, record, home);
      return;
    }
    SubscriptionTable.Route route = partition.table.lookup(parsed.clientId(), parsed.mqttTopic());
    switch (route.kind()) {
      case OFFLINE -> output.receipt(partition, offset, Status.OFFLINE, parsed.ref(), null);
      case NOT_SUBSCRIBED -> output.receipt(partition, offset, Status.NOT_SUBSCRIBED, parsed.ref(), null);
      case DELIVER -> output.forward(partition, route.instanceId(), message(parsed, route, record));
    }
  }

  private static DownlinkMessage message(DownlinkRecord parsed, SubscriptionTable.Route route,
                                         ConsumerRecord<String, byte[]> record) {
    Buffer payload = record.value() == null ? Buffer.buffer() : BufferSerializer.wrap(record.value());
    return new DownlinkMessage(parsed.clientId(), route.connectionId(), parsed.mqttTopic(),
        Math.min(parsed.qos(), route.grantedQos()), parsed.correlationId(), parsed.partition(), parsed.offset(),
        parsed.originPartition(), parsed.originOffset(), parsed.timestamp(), payload);
  }
}
