package io.mqttkafka.bridge.routing;

import io.mqttkafka.bridge.bus.DownlinkMessage;
import io.mqttkafka.bridge.bus.InstanceProtocol.Notice;
import io.mqttkafka.bridge.kafka.BufferSerializer;
import io.mqttkafka.bridge.records.DownlinkProperties;
import io.mqttkafka.bridge.records.DownlinkRecord;
import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.records.MqttUtf8;
import io.mqttkafka.bridge.records.OfflinePolicy;
import io.mqttkafka.bridge.records.PresenceRecord;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.mqttkafka.bridge.records.UserPropertyRules;
import io.vertx.core.buffer.Buffer;
import java.util.function.IntSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the router does with each record of a partition it owns, on the router thread: a presence
 * record changes the partition's {@link SubscriptionTable} (and may tell an instance to close or
 * refresh a connection, and may let what is parked for the client be delivered); a downlink record is
 * decided: {@code rejected}, moved to its client's partition, {@code expired}, kept for its client
 * ({@link QueueRouter}), {@code offline}, {@code not_subscribed}, or forwarded to the instance that
 * holds its device. The decision is made here, the sending in {@link RouterOutput}.
 */
final class RecordRouter {

  private static final Logger LOG = LoggerFactory.getLogger(RecordRouter.class);

  private final RouterOutput output;
  private final QueueRouter queues;
  private final IntSupplier downlinkPartitions;
  private final UserPropertyRules userProperties;

  /**
   * @param downlinkPartitions how many partitions the downlink topic has (where a client's records belong)
   * @param userProperties     which other headers of a downlink record become MQTT 5 user properties
   */
  RecordRouter(RouterOutput output, QueueRouter queues, IntSupplier downlinkPartitions,
               UserPropertyRules userProperties) {
    this.output = output;
    this.queues = queues;
    this.downlinkPartitions = downlinkPartitions;
    this.userProperties = userProperties;
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
        if (presence.connected()) {
          output.notice(presence.instanceId(), new Notice(Notice.Action.TAKEOVER, record.key(),
              presence.connectionId()));
        }
      }
      case RESTATE -> queues.restate(partition, record.key());
      case NONE -> { }
    }
    // A connection, or a new subscription, may take what is parked for the client.
    queues.drain().drain(partition, record.key());
  }

  /** Decides a downlink record, in offset order; every record leaves here routed (see {@link OffsetLedger}). */
  void downlink(DownlinkPartition partition, ConsumerRecord<String, byte[]> record, long nowMillis) {
    DownlinkRecord parsed = DownlinkRecord.parse(record.key(), record.headers(), record.partition(), record.offset(),
        record.timestamp(), userProperties);
    long offset = record.offset();
    String invalid = parsed.invalid() != null ? parsed.invalid() : payloadProblem(parsed.properties(), record.value());
    if (invalid != null) {
      output.receipt(partition, offset, Status.REJECTED, parsed.ref(), invalid);
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
    OfflinePolicy policy = parsed.offlinePolicy(route.persistent());
    if (policy.keeps()) {
      queues.route(partition, record, parsed, route, policy, nowMillis);
      return;
    }
    switch (route.kind()) {
      case OFFLINE -> output.receipt(partition, offset, Status.OFFLINE, parsed.ref(), null);
      case NOT_SUBSCRIBED -> output.receipt(partition, offset, Status.NOT_SUBSCRIBED, parsed.ref(), null);
      case DELIVER -> output.forward(partition, route.instanceId(), message(parsed, route.connectionId(),
          Math.min(parsed.qos(), route.grantedQos()), record.value(), DownlinkMessage.FIRST_SEND, false), queues);
    }
  }

  /**
   * A payload that the record says is UTF-8 (Payload Format Indicator 1) must be: a device may refuse
   * it otherwise (PUBACK 0x99), and a PUBACK reason code never reaches the receipts.
   */
  private static String payloadProblem(DownlinkProperties properties, byte[] payload) {
    if (properties.payloadFormat() == 1 && payload != null && !MqttUtf8.isWellFormed(payload, true)) {
      return "header " + HeaderNames.PAYLOAD_FORMAT + " is 1 but the payload is not well-formed UTF-8";
    }
    return null;
  }

  /**
   * The message for a connection: the record, read at its place in its client's partition.
   *
   * @param sent see {@link DownlinkMessage#sent()}
   * @param kept see {@link DownlinkMessage#kept()}
   */
  static DownlinkMessage message(DownlinkRecord parsed, String connectionId, int qos, byte[] value, int sent,
                                 boolean kept) {
    Buffer payload = value == null ? Buffer.buffer() : BufferSerializer.wrap(value);
    return new DownlinkMessage(parsed.clientId(), connectionId, parsed.mqttTopic(), qos, parsed.correlationId(),
        parsed.partition(), parsed.offset(), parsed.originPartition(), parsed.originOffset(), parsed.timestamp(),
        payload, parsed.properties(), sent, kept, parsed.trace());
  }
}
