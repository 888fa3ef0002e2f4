package io.mqttkafka.bridge.routing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One client's parked downlink messages in their order (their offsets in the client's downlink
 * partition), and its forwards not settled yet, by the connection they went to: while either is
 * there, the client's new records queue behind them, and nothing goes to a newer connection while a
 * forward to an older one may still come back to be resent, so that the client receives in order.
 * The router thread only.
 */
final class ClientQueue {

  private final TreeMap<Long, ParkedMessage> messages = new TreeMap<>();
  private long bytes;
  /** Parked messages being read back or forwarded. */
  private int draining;
  /** Forwards not settled (direct ones and parked ones), by the connection they went to. */
  private final Map<String, Integer> unsettled = new HashMap<>();

  int size() {
    return messages.size();
  }

  long bytes() {
    return bytes;
  }

  boolean isEmpty() {
    return messages.isEmpty() && unsettled.isEmpty();
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

  /**
   * Every parked message in delivery order: the order their records were written in (by offset).
   * Those sent before, resent with DUP, are older than the rest but where an instance died with
   * forwards in flight: one it never got can be older than one it may have sent.
   */
  List<ParkedMessage> inOrder() {
    return new ArrayList<>(messages.values());
  }

  /**
   * True when a new record for the client must queue behind what is here, rather than go straight
   * to its connection {@code connectionId}: parked messages wait, or forwards to an older
   * connection are not settled (they may come back to be resent, in their place).
   */
  boolean holdsBack(String connectionId) {
    return !messages.isEmpty() || forwardsElsewhere(connectionId);
  }

  /**
   * True while forwards to a connection other than {@code connectionId} (an older one of the client)
   * are not settled: they may come back to be resent in their place, so nothing may go to {@code connectionId}
   * before them.
   */
  boolean forwardsElsewhere(String connectionId) {
    return unsettled.size() > 1 || (unsettled.size() == 1 && !unsettled.containsKey(connectionId));
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

  /** A message went to {@code connectionId}: not settled until {@link #forwardSettled} says so. */
  void forwarded(String connectionId) {
    unsettled.merge(connectionId, 1, Integer::sum);
  }

  void forwardSettled(String connectionId) {
    unsettled.computeIfPresent(connectionId, (id, n) -> n == 1 ? null : n - 1);
  }
}
