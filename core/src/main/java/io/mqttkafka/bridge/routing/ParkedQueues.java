package io.mqttkafka.bridge.routing;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The parked messages of one partition: each client's {@link ClientQueue}, the messages by deadline
 * (for expiry), and those whose copies are being read back from {@code mqtt.sessions} (by offset
 * there, for the reader). The router thread only.
 */
final class ParkedQueues {

  private static final Comparator<ParkedMessage> BY_DEADLINE = Comparator
      .comparingLong((ParkedMessage m) -> m.deadline)
      .thenComparing(m -> m.clientId)
      .thenComparingLong(m -> m.routedOffset);

  private final Map<String, ClientQueue> clients = new HashMap<>();
  private final TreeSet<ParkedMessage> byDeadline = new TreeSet<>(BY_DEADLINE);
  private final TreeMap<Long, ParkedMessage> reading = new TreeMap<>();
  private long messages;
  private long bytes;

  /** The client's queue, or null when it has none. */
  ClientQueue of(String clientId) {
    return clients.get(clientId);
  }

  ClientQueue getOrCreate(String clientId) {
    return clients.computeIfAbsent(clientId, id -> new ClientQueue());
  }

  /** Adds a message, or replaces the one at the same place in its client's queue. */
  void add(ParkedMessage message) {
    ClientQueue existing = clients.get(message.clientId);
    ParkedMessage before = existing == null ? null : existing.get(message.routedOffset);
    if (before != null) {
      remove(before);
    }
    getOrCreate(message.clientId).add(message);
    byDeadline.add(message);
    messages++;
    bytes += message.bytes;
  }

  void remove(ParkedMessage message) {
    ClientQueue queue = clients.get(message.clientId);
    if (queue == null || queue.get(message.routedOffset) != message) {
      return;
    }
    queue.remove(message);
    byDeadline.remove(message);
    if (message.state == ParkedMessage.State.READING) {
      reading.remove(message.sessionsOffset, message);
    }
    message.copy = null;
    messages--;
    bytes -= message.bytes;
    dropIfEmpty(message.clientId, queue);
  }

  /** Forgets the client's queue once it holds nothing. */
  void dropIfEmpty(String clientId, ClientQueue queue) {
    if (queue.isEmpty()) {
      clients.remove(clientId, queue);
    }
  }

  /** The messages waiting past their deadline at {@code nowMillis}, soonest first. */
  List<ParkedMessage> expired(long nowMillis) {
    List<ParkedMessage> due = new ArrayList<>();
    for (ParkedMessage message : byDeadline) {
      if (message.deadline > nowMillis) {
        break;
      }
      if (message.state == ParkedMessage.State.WAITING) {
        due.add(message);
      }
    }
    return due;
  }

  /** The client's messages, all of them, to be ended (its session expired). */
  List<ParkedMessage> allOf(String clientId) {
    ClientQueue queue = clients.get(clientId);
    return queue == null ? List.of() : queue.inOrder();
  }

  /** True while {@code message} is parked (not delivered, ended or replaced). */
  boolean holds(ParkedMessage message) {
    ClientQueue queue = clients.get(message.clientId);
    return queue != null && queue.get(message.routedOffset) == message;
  }

  /** Marks a waiting message to be read back from {@code mqtt.sessions}. */
  void read(ParkedMessage message) {
    message.state = ParkedMessage.State.READING;
    reading.put(message.sessionsOffset, message);
  }

  /** The message whose copy is at {@code sessionsOffset}, no longer to be read; null when none is. */
  ParkedMessage readDone(long sessionsOffset) {
    return reading.remove(sessionsOffset);
  }

  /**
   * Where the reader goes next from {@code position}: the first copy to read at or after it, else the
   * first before it; -1 when there is nothing to read.
   */
  long nextRead(long position) {
    if (reading.isEmpty()) {
      return -1;
    }
    Long next = position < 0 ? null : reading.ceilingKey(position);
    return next != null ? next : reading.firstKey();
  }

  /** The clients that have parked messages or forwards not settled. */
  List<String> clients() {
    return List.copyOf(clients.keySet());
  }

  long messages() {
    return messages;
  }

  long bytes() {
    return bytes;
  }

  int readingCount() {
    return reading.size();
  }
}
