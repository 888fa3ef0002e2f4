package io.mqttkafka.bridge.kafka;

/** The producer holds as many unacknowledged bytes as it may; the record was not sent. Ours, retriable. */
public final class OverloadedException extends RuntimeException {
  public OverloadedException(String message) {
    super(message, null, false, false);
  }
}
