package io.mqttkafka.bridge.uplink;

/**
 * The device published to a topic the bridge refuses: no mapping rule matches and
 * {@code mappings.unmatched} is {@code reject}, or the rule rendered an invalid Kafka topic name.
 * The device's fault, not retriable.
 */
public final class RejectedTopicException extends RuntimeException {
  public RejectedTopicException(String reason) {
    super(reason, null, false, false);
  }
}
