package io.mqttkafka.bridge.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The downlink payloads one {@link LoadDevice} received: how often each came, and all of them in
 * arrival order, repeats included. Written by the MQTT client's callback thread; read from any thread.
 */
final class DownlinkInbox {

  private final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
  private final List<String> arrivals = new ArrayList<>();

  void add(String payload) {
    received.computeIfAbsent(payload, k -> new AtomicInteger()).incrementAndGet();
    synchronized (arrivals) {
      arrivals.add(payload);
    }
  }

  /** Payload to how often it came; a live view. */
  Map<String, AtomicInteger> received() {
    return received;
  }

  /** A copy of the payloads in arrival order. */
  List<String> arrivals() {
    synchronized (arrivals) {
      return List.copyOf(arrivals);
    }
  }
}
