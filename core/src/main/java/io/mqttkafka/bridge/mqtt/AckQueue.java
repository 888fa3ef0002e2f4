package io.mqttkafka.bridge.mqtt;

import java.util.ArrayDeque;

/**
 * Acknowledgements of one connection's QoS 1 and 2 PUBLISH packets, released in the order the
 * packets arrived [MQTT-4.6.0-2] [MQTT-4.6.0-3], however Kafka completes them (records for different
 * Kafka partitions complete in any order). Its size is the connection's in-flight count. Not
 * thread-safe: used on the connection's event loop only.
 */
final class AckQueue {

  /** Sends the acknowledgement (or failure) of one packet. */
  interface AckSender {
    void send(int packetId, int qos, Throwable failure);
  }

  static final class Entry {
    private final int packetId;
    private final int qos;
    private boolean done;
    private Throwable failure;

    private Entry(int packetId, int qos) {
      this.packetId = packetId;
      this.qos = qos;
    }
  }

  private final ArrayDeque<Entry> entries = new ArrayDeque<>();
  private final AckSender sender;

  AckQueue(AckSender sender) {
    this.sender = sender;
  }

  Entry add(int packetId, int qos) {
    Entry entry = new Entry(packetId, qos);
    entries.addLast(entry);
    return entry;
  }

  /** Marks an entry done and sends every acknowledgement that is now at the head of the queue. */
  void complete(Entry entry, Throwable failure) {
    entry.done = true;
    entry.failure = failure;
    Entry head;
    while ((head = entries.peekFirst()) != null && head.done) {
      entries.pollFirst();
      sender.send(head.packetId, head.qos, head.failure);
    }
  }

  int size() {
    return entries.size();
  }

  void clear() {
    entries.clear();
  }
}
