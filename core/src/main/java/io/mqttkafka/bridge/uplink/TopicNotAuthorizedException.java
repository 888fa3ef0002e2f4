package io.mqttkafka.bridge.uplink;

/**
 * The device published to a topic that a mapping rule with {@code ${clientId}} or {@code ${username}}
 * reserves for another client or user (or for clients with a user name): refused whatever
 * {@code mappings.unmatched} says. The device's fault, not retriable.
 */
public final class TopicNotAuthorizedException extends RuntimeException {
  public TopicNotAuthorizedException(String reason) {
    super(reason, null, false, false);
  }
}
