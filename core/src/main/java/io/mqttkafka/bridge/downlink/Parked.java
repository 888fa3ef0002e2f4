package io.mqttkafka.bridge.downlink;

import io.mqttkafka.bridge.bus.InstanceProtocol.Outcome;

/**
 * The failure of {@link DeviceDelivery#deliver} for a persistent session whose connection ended before
 * the message was acknowledged: the router parks the message to be resent on the session's next
 * connection ({@link Outcome.Kind#PARKED}). A control-flow signal, without a stack trace.
 */
public final class Parked extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final transient Outcome outcome;

  public Parked(Outcome outcome) {
    super(outcome.detail(), null, false, false);
    this.outcome = outcome;
  }

  /** The answer for the router: a {@link Outcome.Kind#PARKED} outcome. */
  public Outcome outcome() {
    return outcome;
  }
}
