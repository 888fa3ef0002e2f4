package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.vertx.EndpointChannel;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.metrics.MetricTags.ReadPause;
import io.vertx.mqtt.MqttEndpoint;
import java.util.function.BooleanSupplier;

/**
 * Whether the bridge reads from one connection's socket (backpressure). Paused, nothing more is read,
 * so the client's TCP window fills and TCP slows it down, instead of its messages being dropped or
 * piling up in the bridge. Causes: the uplink is congested, or an MQTT 3.1.1 client has
 * mqtt.receiveMaximum QoS 1/2 PUBLISHes unacknowledged (it cannot be told a Receive Maximum).
 * Reading resumes when the cause is gone, and at the latest after {@link ReadPauses#maxPauseNanos}:
 * a paused client's PINGREQ is not read either, so no keep-alive timer may run out meanwhile.
 * A pause for the uplink that ends at that bound with the uplink still congested is not repeated
 * until the uplink drains: the socket buffers can hold megabytes of PUBLISH packets in front of the
 * client's PINGREQ, which a pause after every read would keep from the bridge until the client gives
 * up and drops them all uncounted. Read on, QoS 0 beyond the sender's limit is dropped and counted.
 * Event loop only.
 */
final class SocketReading {

  private final MqttEndpoint endpoint;
  private final ReadPauses pauses;
  private final BridgeMetrics metrics;
  private final long maxPauseNanos;
  private final BooleanSupplier inflightCleared;
  private boolean paused;
  /** The pause is for the in-flight bound, not for the uplink. */
  private boolean forInflight;
  /** The last uplink pause ended at its bound with the uplink still congested; no new one until it drains. */
  private boolean uplinkPauseSpent;
  private long resumeBy;

  /**
   * @param maxPauseNanos   the longest one pause may last
   * @param inflightCleared true when a pause for the in-flight bound may end
   */
  SocketReading(MqttEndpoint endpoint, ReadPauses pauses, BridgeMetrics metrics, long maxPauseNanos,
                BooleanSupplier inflightCleared) {
    this.endpoint = endpoint;
    this.pauses = pauses;
    this.metrics = metrics;
    this.maxPauseNanos = maxPauseNanos;
    this.inflightCleared = inflightCleared;
  }

  boolean paused() {
    return paused;
  }

  boolean pausedForInflight() {
    return paused && forInflight;
  }

  /** Stops reading; {@code inflight}: for the in-flight bound, else for the uplink. */
  void pause(boolean inflight) {
    if (paused || (!inflight && uplinkPauseSpent) || !EndpointChannel.setAutoRead(endpoint, false)) {
      return;
    }
    paused = true;
    forInflight = inflight;
    resumeBy = System.nanoTime() + maxPauseNanos;
    pauses.paused(this);
    metrics.readPaused(inflight ? ReadPause.INFLIGHT : ReadPause.UPLINK);
  }

  /** Whether reading may resume; {@code uplinkDrained}: the uplink is below its low-water mark. */
  boolean mayResume(boolean uplinkDrained, long nowNanos) {
    if (nowNanos - resumeBy >= 0) {
      uplinkPauseSpent |= !forInflight && !uplinkDrained;
      return true;
    }
    return forInflight ? inflightCleared.getAsBoolean() : uplinkDrained;
  }

  /** The uplink is no longer congested: a later congestion may pause this connection again. */
  void uplinkRelieved() {
    uplinkPauseSpent = false;
  }

  void resume() {
    if (!paused) {
      return;
    }
    paused = false;
    pauses.resumed(this);
    EndpointChannel.setAutoRead(endpoint, true);
  }

  /** The connection closed: nothing to resume. */
  void closed() {
    paused = false;
    pauses.resumed(this);
  }
}
