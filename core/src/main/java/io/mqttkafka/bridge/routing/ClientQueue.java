package io.mqttkafka.bridge.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * One client's parked downlink messages in their order (their offsets in the client's downlink
 * partition), and the direct forwards to its persistent connection that are not settled yet: while
 * either is there, the client's new records queue behind them, so that it receives in order. The
 * router thread only.
 */
final class ClientQueue {

  private final TreeMap<Long, ParkedMessage> messages = new TreeMap<>();
  private long bytes;
  /** Parked messages being read back or forwarded. */
  private int draining;
  /** Direct forwards (not parked) not settled yet, and the connection the last one went to. */
  private int forwards;
  private String forwardedTo;

  int size() {
    return messages.size();
  }

  long bytes() {
    return bytes;
  }

  boolean isEmpty() {
    return messages.isEmpty() && forwards == 0;
  }

  ParkedMessage get(long routedOffset) {
    return messages.get(routedOffset);
  }

  void add(ParkedMessage message) {
    ParkedMessage replaced = messages.put(message.routedOffset, message);
    if (replaced != null) {
      bytes -= replaced.bytes;
    }
    bytes += message.bytes;
  }

  void remove(ParkedMessage message) {
    if (messages.remove(message.routedOffset, message)) {
      bytes -= message.bytes;
    }
  }

  /**
   * The {@code latest} messages of {@code mqttTopic} not on their way to the client (waiting, or their
   * copy being written) and never sent to it: what a newer one supersedes. One sent before awaits its
   * PUBACK and is resent [MQTT-4.4.0-1].
   */
  List<ParkedMessage> latestOf(String mqttTopic) {
    List<ParkedMessage> found = new ArrayList<>();
    for (ParkedMessage message : messages.values()) {
      boolean parked = message.state == ParkedMessage.State.WAITING || message.state == ParkedMessage.State.WRITING;
      if (message.latest && parked && !message.resent() && message.mqttTopic.equals(mqttTopic)) {
        found.add(message);
      }
    }
    return found;
  }

  /** Every parked message in delivery order: those sent before (resent with DUP) first, then by offset. */
  List<ParkedMessage> inOrder() {
    List<ParkedMessage> ordered = new ArrayList<>(messages.size());
    for (ParkedMessage message : messages.values()) {
      if (message.resent()) {
        ordered.add(message);
      }
    }
    for (ParkedMessage message : messages.values()) {
      if (!message.resent()) {
        ordered.add(message);
      }
    }
    return ordered;
  }

  /**
   * True when a new record for the client must queue behind what is here, rather than go straight
   * to its connection {@code connectionId}: parked messages wait, or forwards to an older
   * connection are not settled (they may come back to be resent first).
   */
  boolean holdsBack(String connectionId) {
    return !messages.isEmpty() || forwardsElsewhere(connectionId);
  }

  /**
   * True while direct forwards to a connection other than {@code connectionId} (an older one of the
   * client) are not settled: they may come back to be resent first, so nothing parked may go to
   * {@code connectionId} before them.
   */
  boolean forwardsElsewhere(String connectionId) {
    return forwards > 0 && !connectionId.equals(forwardedTo);
  }

  int draining() {
    return draining;
  }

  void drainStarted() {
    draining++;
  }

  void drainEnded() {
    draining--;
  }

  void forwarded(String connectionId) {
    forwards++;
    forwardedTo = connectionId;
  }

  void forwardSettled() {
    forwards--;
  }
}
