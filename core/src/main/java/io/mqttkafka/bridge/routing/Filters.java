package io.mqttkafka.bridge.routing;

import io.mqttkafka.bridge.records.PresenceRecord.Subscription;
import io.mqttkafka.bridge.topic.TopicFilter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A client's parsed filters with their QoS, compared by value so that equal lists can be shared
 * between clients ({@link Interner}): most devices subscribe to the same filters.
 */
final class Filters {

  static final Filters NONE = of(List.of());

  private final TopicFilter[] filters;
  private final byte[] qos;
  private final int hash;

  private Filters(TopicFilter[] filters, byte[] qos) {
    this.filters = filters;
    this.qos = qos;
    this.hash = 31 * Arrays.hashCode(filters) + Arrays.hashCode(qos);
  }

  static Filters of(List<Subscription> subscriptions) {
    int n = subscriptions.size();
    TopicFilter[] filters = new TopicFilter[n];
    byte[] qos = new byte[n];
    for (int i = 0; i < n; i++) {
      filters[i] = TopicFilter.parse(subscriptions.get(i).filter());
      qos[i] = (byte) subscriptions.get(i).qos();
    }
    return new Filters(filters, qos);
  }

  /** The highest QoS among the filters that match {@code topic}, or -1 when none does. */
  int grantedQos(String topic) {
    int granted = -1;
    for (int i = 0; i < filters.length; i++) {
      if (qos[i] > granted && filters[i].matches(topic)) {
        granted = qos[i];
      }
    }
    return granted;
  }

  /** The filters as presence records and the resume answer carry them. */
  List<Subscription> subscriptions() {
    List<Subscription> list = new ArrayList<>(filters.length);
    for (int i = 0; i < filters.length; i++) {
      list.add(new Subscription(filters[i].value(), qos[i]));
    }
    return list;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Filters other && hash == other.hash
        && Arrays.equals(filters, other.filters) && Arrays.equals(qos, other.qos);
  }

  @Override
  public int hashCode() {
    return hash;
  }
}
