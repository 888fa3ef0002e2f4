package io.mqttkafka.bridge.routing;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** Shares equal values and forgets each one when its last user releases it. Not thread-safe. */
final class Interner<T> {

  private final Map<T, Shared<T>> shared = new HashMap<>();

  T acquire(T value) {
    Shared<T> entry = shared.computeIfAbsent(value, Shared::new);
    entry.users++;
    return entry.value;
  }

  void release(T value) {
    Shared<T> entry = shared.get(value);
    if (--entry.users == 0) {
      shared.remove(value);
    }
  }

  int size() {
    return shared.size();
  }

  /** The values held now (a view). */
  Set<T> values() {
    return shared.keySet();
  }

  void clear() {
    shared.clear();
  }

  private static final class Shared<T> {
    final T value;
    int users;

    Shared(T value) {
      this.value = value;
    }
  }
}
