package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.config.MqttSettings;
import io.mqttkafka.bridge.vertx.HandshakeGate;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The limits of one bridge instance that all its MQTT verticles (one per event loop and listener)
 * share: how many connections may be open (mqtt.limits.maxConnections) and how fast CONNECTs are
 * admitted (mqtt.limits.connectRate/connectBurst). Lock-free; called once per CONNECT and close. A
 * reload changes the limits ({@link #update}): the next CONNECT sees them; connections over a lowered
 * maximum stay open.
 */
public final class ConnectionLimits {

  private volatile int maxConnections;
  /** mqtt.limits.connectRate; null when unlimited. Replaced when a reload changes rate or burst. */
  private volatile RateLimiter connectRate;
  private volatile MqttSettings.Limits limits;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger paused = new AtomicInteger();
  /** The TLS listeners' handshake gates; a listener's verticles share one. */
  private final Set<HandshakeGate> gates = ConcurrentHashMap.newKeySet();

  public ConnectionLimits(MqttSettings.Limits limits) {
    update(limits);
  }

  /** Puts new limits in force; the CONNECT rate starts over only when its rate or burst changed. */
  public synchronized void update(MqttSettings.Limits next) {
    MqttSettings.Limits before = limits;
    maxConnections = next.maxConnections();
    if (before == null || before.connectRate() != next.connectRate()
        || before.effectiveConnectBurst() != next.effectiveConnectBurst()) {
      connectRate = next.connectRate() == 0 ? null
          : RateLimiter.shared(next.connectRate(), next.effectiveConnectBurst(), System.nanoTime());
    }
    limits = next;
  }

  /** Takes a connection slot; false when mqtt.limits.maxConnections are open. Release with {@link #release()}. */
  boolean tryOpen() {
    int maxConnections = this.maxConnections;
    if (maxConnections == 0) {
      open.incrementAndGet();
      return true;
    }
    while (true) {
      int current = open.get();
      if (current >= maxConnections) {
        return false;
      }
      if (open.compareAndSet(current, current + 1)) {
        return true;
      }
    }
  }

  /** Frees a slot taken by {@link #tryOpen()}. */
  void release() {
    open.decrementAndGet();
  }

  /** Takes a token of the CONNECT rate; false when CONNECTs come faster than allowed. */
  boolean tryConnect() {
    RateLimiter connectRate = this.connectRate;
    return connectRate == null || connectRate.tryAcquire(System.nanoTime());
  }

  /** Connections holding a slot: accepted or being authenticated. */
  public int openConnections() {
    return open.get();
  }

  /** Connections whose reading is paused right now (backpressure). */
  public int pausedConnections() {
    return paused.get();
  }

  /** Counts {@code gate}'s handshakes and pauses in this instance's figures. */
  void gate(HandshakeGate gate) {
    gates.add(gate);
  }

  /** Connections between accept and CONNACK on all listeners (their TLS and MQTT handshakes). */
  public int pendingHandshakes() {
    return gates.stream().mapToInt(HandshakeGate::pending).sum();
  }

  /** How often a listener stopped accepting: mqtt.limits.maxPendingHandshakes were between accept and CONNACK. */
  public long acceptPauses() {
    return gates.stream().mapToLong(HandshakeGate::pauses).sum();
  }

  void pausedChanged(int delta) {
    paused.addAndGet(delta);
  }
}
