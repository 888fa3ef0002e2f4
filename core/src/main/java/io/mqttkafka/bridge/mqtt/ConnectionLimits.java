package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.config.MqttSettings;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The limits of one bridge instance that all its MQTT verticles (one per event loop and listener)
 * share: how many connections may be open (mqtt.limits.maxConnections) and how fast CONNECTs are
 * admitted (mqtt.limits.connectRate/connectBurst). Lock-free; called once per CONNECT and close.
 */
public final class ConnectionLimits {

  private final int maxConnections;
  private final RateLimiter connectRate;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger paused = new AtomicInteger();

  public ConnectionLimits(MqttSettings.Limits limits) {
    this.maxConnections = limits.maxConnections();
    this.connectRate = limits.connectRate() == 0 ? null
        : RateLimiter.shared(limits.connectRate(), limits.effectiveConnectBurst(), System.nanoTime());
  }

  /** Takes a connection slot; false when mqtt.limits.maxConnections are open. Release with {@link #release()}. */
  boolean tryOpen() {
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

  void pausedChanged(int delta) {
    paused.addAndGet(delta);
  }
}
