package io.mqttkafka.bridge.routing;

import io.mqttkafka.bridge.records.DownlinkRecord;
import io.mqttkafka.bridge.records.DownlinkRef;
import io.mqttkafka.bridge.records.TraceHeaders;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One downlink record parked for its client in {@code mqtt.sessions}: what the router keeps of it in
 * memory (no payload: that stays in Kafka and is read back when the client can take it). The router
 * thread only.
 */
final class ParkedMessage {

  /** Where the message is in its life. */
  enum State {
    /** Its copy is being written to {@code mqtt.sessions}. */
    WRITING,
    /** Parked: waits for its client. */
    WAITING,
    /** Its copy is being read back, to be delivered. */
    READING,
    /** Its copy is read ({@link #copy}): it is forwarded in its turn. */
    READ,
    /** Sent to the client's instance; the answer is awaited. */
    FORWARDED
  }

  final String clientId;
  /** Its offset in the client's {@code mqtt.downlink} partition: its place in the client's queue. */
  final long routedOffset;
  final String mqttTopic;
  final int qos;
  final String correlationId;
  final int originPartition;
  final long originOffset;
  /** Its trace context headers, which its receipts carry. */
  final TraceHeaders trace;
  /** When it expires unless delivered (epoch ms): its ttl.ms, at most the longest session expiry. */
  final long deadline;
  /** Parked as {@code latest}: a newer record for the same topic supersedes it while it waits. */
  final boolean latest;
  /** Key and value bytes of its copy. */
  final int bytes;
  /** Where its copy is in {@code mqtt.sessions}; -1 while it is written. */
  long sessionsOffset = -1;
  /** {@link io.mqttkafka.bridge.records.ParkedRecord#NEVER_SENT}, 0 (sent, packet id unknown) or the packet id. */
  int sent;
  State state = State.WRITING;
  /** Its copy, read back, while {@link State#READ}; else null. */
  ConsumerRecord<String, byte[]> copy;

  /**
   * @param record the parked record, read at its place in the client's downlink partition
   * @param sent   see {@link #sent}
   */
  ParkedMessage(DownlinkRecord record, long deadline, boolean latest, int bytes, int sent) {
    this.clientId = record.clientId();
    this.routedOffset = record.offset();
    this.mqttTopic = record.mqttTopic();
    this.qos = record.qos();
    this.correlationId = record.correlationId();
    this.originPartition = record.originPartition();
    this.originOffset = record.originOffset();
    this.trace = record.trace();
    this.deadline = deadline;
    this.latest = latest;
    this.bytes = bytes;
    this.sent = sent;
  }

  /** True when it was sent to a connection before: resent with DUP set [MQTT-4.4.0-1]. */
  boolean resent() {
    return sent >= 0;
  }

  /** The record as its receipts name it. */
  DownlinkRef ref() {
    return new DownlinkRef(clientId, mqttTopic, originPartition, originOffset, correlationId, trace);
  }
}
