package io.mqttkafka.bridge.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * When the offline sessions of one partition expire, soonest first: one entry per offline session,
 * removed when it connects again or ends, so a client that disconnects often costs one entry, not one
 * per disconnect. Not thread-safe: the router thread only.
 */
final class SessionExpiry {

  private record Due(long at, String clientId) implements Comparable<Due> {
    @Override
    public int compareTo(Due other) {
      int byTime = Long.compare(at, other.at);
      return byTime != 0 ? byTime : clientId.compareTo(other.clientId);
    }
  }

  private final TreeSet<Due> schedule = new TreeSet<>();

  void add(String clientId, long expiresAt) {
    schedule.add(new Due(expiresAt, clientId));
  }

  void remove(String clientId, long expiresAt) {
    schedule.remove(new Due(expiresAt, clientId));
  }

  /** The clients whose sessions expire at or before {@code nowMillis}, no longer scheduled. */
  List<String> due(long nowMillis) {
    List<String> due = new ArrayList<>();
    Due first;
    while (!schedule.isEmpty() && (first = schedule.first()).at <= nowMillis) {
      schedule.pollFirst();
      due.add(first.clientId);
    }
    return due;
  }

  int size() {
    return schedule.size();
  }

  void clear() {
    schedule.clear();
  }
}
